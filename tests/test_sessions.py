"""Sessions that really end: a copy of the cookies taken before Sign out, Sign out everywhere, a password change
or a reset signs no one in (a page redirects to /login); the remember cookie is a new value at every sign-in;
idle and absolute lifetimes; an htmx request after expiry goes to sign-in with the page to come back to."""
from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

from tests.world import PASSWORD, USERS

NEW_PASSWORD = "Fjord-Lantern-417"
MINUTE = 60


@pytest.fixture
def moment():
    """Moves the portal's moment on (models/clock.py: travel); back to the real one afterwards."""
    from models import clock

    yield clock.travel
    clock.travel(None)


def sign_in(app, who="kari", remember=False, password=PASSWORD):
    client = app.test_client()
    data = {"email": USERS[who][0], "password": password}
    if remember:
        data["remember"] = "1"
    response = client.post("/login", data=data)
    assert response.status_code == 303, response.get_data(as_text=True)[:500]
    return client


def cookies(client) -> dict:
    return {name: client.get_cookie(name).value for name in ("session", "remember_token") if client.get_cookie(name)}


def replay(app, taken: dict, only=None):
    """A new browser carrying copies of `taken` cookies (or only the one named)."""
    client = app.test_client()
    for name, value in taken.items():
        if only is None or name == only:
            client.set_cookie(name, value)
    return client


def signed_in(client) -> bool:
    response = client.get("/account")
    if response.status_code == 200:
        return True
    assert response.status_code == 302 and urlsplit(response.headers["Location"]).path == "/login"
    return False


def test_sign_out_ends_the_session_and_its_remember_cookie_but_not_other_browsers(world, app):
    browser = sign_in(app, remember=True)
    other = sign_in(app)
    taken = cookies(browser)
    assert set(taken) == {"session", "remember_token"}
    assert signed_in(replay(app, taken, "session")) and signed_in(replay(app, taken, "remember_token"))

    response = browser.post("/logout")
    assert response.status_code == 303 and response.headers["Location"] == "/login"
    assert "You are signed out." in browser.get("/login").get_data(as_text=True)
    assert not signed_in(browser)
    assert not signed_in(replay(app, taken, "session"))
    assert not signed_in(replay(app, taken, "remember_token"))
    assert not signed_in(replay(app, taken))
    assert signed_in(other)  # signing out here ends nothing elsewhere


def test_sign_out_everywhere_ends_every_session_of_the_user_only(world, app):
    here, phone, laptop = sign_in(app), sign_in(app, remember=True), sign_in(app, remember=True)
    colleague = sign_in(app, "ola")
    taken = [cookies(c) for c in (here, phone, laptop)]
    page = here.get("/account").get_data(as_text=True)
    assert "Sign out everywhere" in page

    response = here.post("/account/sign-out-everywhere")
    assert response.status_code == 303 and response.headers["Location"] == "/login"
    assert "You are signed out on every device." in here.get("/login").get_data(as_text=True)
    for client in (here, phone, laptop):
        assert not signed_in(client)
    for copy in taken:
        assert not signed_in(replay(app, copy))
        assert not signed_in(replay(app, copy, "remember_token") if "remember_token" in copy else replay(app, copy))
    assert signed_in(colleague)
    assert signed_in(sign_in(app))  # signing in again works


def test_password_change_ends_other_sessions_and_keeps_this_one(world, app, client):
    here, elsewhere = sign_in(app, remember=True), sign_in(app, remember=True)
    before = cookies(here)
    response = here.post("/account/password", data={"current": PASSWORD, "password": NEW_PASSWORD,
                                                     "repeat": NEW_PASSWORD})
    assert response.status_code == 303 and response.headers["Location"] == "/account"
    assert "Your password is changed" in here.get("/account").get_data(as_text=True)
    assert signed_in(here)
    assert cookies(here)["remember_token"] != before["remember_token"]
    assert signed_in(replay(app, cookies(here), "remember_token"))  # the new remember cookie works
    assert not signed_in(elsewhere)
    assert not signed_in(replay(app, before, "session"))
    assert not signed_in(replay(app, before, "remember_token"))
    assert app.test_client().post("/login", data={"email": USERS["kari"][0], "password": PASSWORD}).status_code == 422
    sign_in(app, password=NEW_PASSWORD)


def test_password_change_refusals_change_nothing(world, app, client):
    here = sign_in(app)
    for data, text in [
        ({"current": "wrong-password", "password": NEW_PASSWORD, "repeat": NEW_PASSWORD}, "current password is not"),
        ({"current": PASSWORD, "password": "short", "repeat": "short"}, "at least 10 characters"),
        ({"current": PASSWORD, "password": "password1234", "repeat": "password1234"}, "most common"),
        ({"current": PASSWORD, "password": "kari@ret1.example!", "repeat": "kari@ret1.example!"}, "email"),
        ({"current": PASSWORD, "password": NEW_PASSWORD, "repeat": NEW_PASSWORD + "x"}, "not the same"),
    ]:
        response = here.post("/account/password", data=data, follow_redirects=True)
        assert response.status_code == 200 and text in response.get_data(as_text=True), text
        assert signed_in(here)
    sign_in(app)  # the password is still the old one


def test_remember_cookie_differs_at_every_sign_in_and_a_bare_user_id_cookie_is_refused(world, app, client):
    first, second = sign_in(app, remember=True), sign_in(app, remember=True)
    assert cookies(first)["remember_token"] != cookies(second)["remember_token"]
    assert cookies(first)["session"] != cookies(second)["session"]
    # The cookie the portal used to make: "<user id>|<HMAC>", signed with the real key, signs no one in now.
    from flask_login.utils import encode_cookie
    from models import db
    from models.customer import User

    with app.app_context(), db.connection_context():
        user_id = User.get(User.email == USERS["kari"][0]).id
        old_style = encode_cookie(str(user_id))
    client = app.test_client()
    client.set_cookie("remember_token", old_style)
    assert not signed_in(client)


def test_idle_session_ends_and_sign_in_says_it_expired(world, app, client, moment):
    app.config["SESSION_IDLE_MINUTES"] = 30
    client = sign_in(app)
    moment(25 * MINUTE)
    assert signed_in(client)  # used: the idle time starts again
    moment(25 * MINUTE)
    assert signed_in(client)
    moment(31 * MINUTE)
    response = client.get("/invoices?status=paid")
    assert response.status_code == 302
    assert parse_qs(urlsplit(response.headers["Location"]).query)["next"] == ["/invoices?status=paid"]
    assert "Your session expired" in client.get(response.headers["Location"]).get_data(as_text=True)
    assert not signed_in(client)


def test_kept_session_outlives_idle_time_but_not_its_lifetime(world, app, client, moment):
    app.config.update(SESSION_IDLE_MINUTES=30, REMEMBER_DAYS=30)
    kept = sign_in(app, remember=True)
    remember_only = replay(app, cookies(kept), "remember_token")
    moment(3 * 24 * 60 * MINUTE)
    assert signed_in(kept) and signed_in(remember_only)
    moment(28 * 24 * 60 * MINUTE)
    assert not signed_in(kept) and not signed_in(remember_only)


def test_session_ends_after_its_absolute_lifetime_even_when_used(world, app, client, moment):
    app.config.update(SESSION_IDLE_MINUTES=60, SESSION_LIFETIME_HOURS=2)
    client = sign_in(app)
    for _ in range(5):
        moment(20 * MINUTE)
        assert signed_in(client)
    moment(21 * MINUTE)
    assert not signed_in(client)


def test_htmx_request_after_expiry_lands_on_sign_in_with_the_exact_page(world, app, client, moment):
    app.config["SESSION_IDLE_MINUTES"] = 30
    client = sign_in(app)
    moment(31 * MINUTE)
    page = "/invoices?status=unpaid&q=D-00&sort=due&page=1"
    response = client.get("/invoices?status=unpaid&q=D-00&sort=due&page=1", headers={
        "HX-Request": "true", "HX-Current-URL": f"http://localhost{page}"})
    assert response.status_code == 200 and "<table" not in response.get_data(as_text=True)
    target = response.headers["HX-Redirect"]
    assert urlsplit(target).path == "/login"
    assert parse_qs(urlsplit(target).query)["next"] == [page]
    login_page = client.get(target).get_data(as_text=True)
    assert "Your session expired" in login_page
    # Signing in from there returns to the page, filters and all.
    again = client.post("/login", data={"email": USERS["kari"][0], "password": PASSWORD, "next": page})
    assert again.headers["Location"] == page


def test_a_revoked_session_says_it_expired_once(world, app, client):
    client = sign_in(app)
    sign_in(app).post("/account/sign-out-everywhere")
    response = client.get("/payments")
    assert response.status_code == 302
    assert "Your session expired" in client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Your session expired" not in client.get("/login").get_data(as_text=True)


@pytest.mark.parametrize("target", ["/\t/evil.example", "/\n/evil.example", "/\x00/x", " //evil.example",
                                    "https:/evil.example", "\\\\evil.example"])
def test_next_never_leads_off_the_site(world, client, target):
    response = client.post("/login", data={"email": USERS["kari"][0], "password": PASSWORD, "next": target})
    if "\x00" in target:  # refused before any view (views/input_guard.py): not signed in, sent nowhere
        assert response.status_code == 422 and "Location" not in response.headers
        return
    assert response.status_code == 303 and response.headers["Location"] == "/invoices"


def test_deactivation_ends_every_cookie_and_reactivation_does_not_revive_them(world, app):
    """An Admin deactivates Ola: Ola's browsers are signed out at once, remember cookie included, and when the
    Admin reactivates Ola the old cookies stay dead: Ola signs in again."""
    from models.customer import User

    admin = sign_in(app, "kari")
    browser, kept = sign_in(app, "ola"), sign_in(app, "ola", remember=True)
    taken = [cookies(browser), cookies(kept)]
    ola = User.get(User.email == USERS["ola"][0])
    assert admin.post(f"/account/users/{ola.id}/deactivate").status_code == 303
    assert not signed_in(browser) and not signed_in(kept)
    assert admin.post(f"/account/users/{ola.id}/reactivate").status_code == 303
    for copy in taken:
        assert not signed_in(replay(app, copy))
        assert not signed_in(replay(app, copy, "remember_token") if "remember_token" in copy else replay(app, copy))
    assert signed_in(sign_in(app, "ola"))
