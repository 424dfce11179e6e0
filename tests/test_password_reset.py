"""Forgot password end to end through a real SMTP server (aiosmtpd on loopback): the same answer for every email,
one email in the account's language with an absolute single-use link valid 60 minutes, the token never stored in
clear, the password rule, and every old session ended by the reset."""
from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest

from tests.conftest import free_port
from tests.test_mail import Inbox, SMTPServer, run_job
from tests.world import PASSWORD, USERS

NEW_PASSWORD = "Harbour-Kettle-2931"
KARI = USERS["kari"][0]


@pytest.fixture
def moment():
    from models import clock

    yield clock.travel
    clock.travel(None)


@pytest.fixture
def reset_app(app, world):
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=free_port(), MAIL_DEFAULT_SENDER="invoices@settle.test",
                      PORTAL_URL="https://portal.example.test")
    return app


def ask(client, email, **headers):
    return client.post("/password/forgot", data={"email": email}, headers=headers)


def deliver(app) -> list:
    with SMTPServer(Inbox(), app.config["MAIL_PORT"]) as server:
        run_job(app)
        return list(server.handler.messages)


def link_in(message) -> str:
    text = message.get_body(("plain",)).get_content()
    return re.search(r"https?://\S+/password/reset/\S+", text).group(0)


def test_forgot_password_is_linked_from_sign_in_and_answers_the_same_for_any_email(reset_app, client):
    login = client.get("/login").get_data(as_text=True)
    assert 'href="/password/forgot"' in login and "Forgot password?" in login
    page = client.get("/password/forgot").get_data(as_text=True)
    assert 'for="email"' in page and "Send reset link" in page
    known = ask(client, KARI)
    unknown = ask(client, "nobody@nowhere.example")
    assert known.status_code == unknown.status_code == 200
    def shown(response, email):  # the page, but for the email and the CSRF token (signed with the second)
        return re.sub(r"(csrf_token|X-CSRFToken)(\W+)[\w.-]+", r"\1\2TOKEN",
                      response.get_data(as_text=True).replace(email, "EMAIL"))

    assert shown(known, KARI) == shown(unknown, "nobody@nowhere.example")
    assert "we have sent it a link" in known.get_data(as_text=True)
    messages = deliver(reset_app)
    assert [recipients for recipients, _ in messages] == [[KARI]]


def test_reset_link_works_once_and_ends_every_old_session(reset_app, client):
    app = reset_app
    before = app.test_client()
    before.post("/login", data={"email": KARI, "password": PASSWORD, "remember": "1"})
    old_cookies = {name: before.get_cookie(name).value for name in ("session", "remember_token")}
    assert before.get("/account").status_code == 200

    ask(client, KARI)
    [(recipients, message)] = deliver(app)
    assert recipients == [KARI] and message["To"] == KARI
    link = link_in(message)
    assert link.startswith("https://portal.example.test/password/reset/")
    assert link in message.get_body(("html",)).get_content()
    path = urlsplit(link).path

    form = client.get(path)
    assert form.status_code == 200
    html = form.get_data(as_text=True)
    assert "New password" in html and "Repeat new password" in html and "Set password" in html
    done = client.post(path, data={"password": NEW_PASSWORD, "repeat": NEW_PASSWORD})
    assert done.status_code == 303 and done.headers["Location"] == "/login"
    assert "Your new password is set" in client.get("/login").get_data(as_text=True)

    # Once only.
    assert client.get(path).status_code == 404
    again = client.post(path, data={"password": "Another-Pass-9981", "repeat": "Another-Pass-9981"})
    assert again.status_code == 404 and "already been used" in again.get_data(as_text=True)
    # The new password signs in, the old one does not; every old cookie is signed out.
    assert client.post("/login", data={"email": KARI, "password": PASSWORD}).status_code == 422
    assert client.post("/login", data={"email": KARI, "password": NEW_PASSWORD}).status_code == 303
    assert before.get("/account").status_code == 302
    for name, value in old_cookies.items():
        replay = app.test_client()
        replay.set_cookie(name, value)
        assert replay.get("/account").status_code == 302
    # Nothing more was sent.
    assert deliver(app) == []


def test_reset_link_expires_after_60_minutes(reset_app, client, moment):
    ask(client, KARI)
    [(_, message)] = deliver(reset_app)
    path = urlsplit(link_in(message)).path
    moment(59 * 60)
    assert client.get(path).status_code == 200
    moment(2 * 60)
    expired = client.post(path, data={"password": NEW_PASSWORD, "repeat": NEW_PASSWORD})
    assert expired.status_code == 404 and "expired" in expired.get_data(as_text=True)
    assert client.post("/login", data={"email": KARI, "password": PASSWORD}).status_code == 303


def test_tokens_are_random_and_stored_only_as_digests(reset_app, client):
    from models import db
    from models.password_reset import PasswordReset
    from models.tokens import token_digest

    ask(client, KARI)
    ask(client, KARI)
    messages = deliver(reset_app)
    tokens = [urlsplit(link_in(message)).path.rsplit("/", 1)[1] for _, message in messages]
    assert len(tokens) == 2 and tokens[0] != tokens[1] and all(len(token) >= 43 for token in tokens)
    with reset_app.app_context(), db.connection_context():
        digests = {reset.digest for reset in PasswordReset.select()}
        assert digests == {token_digest(token) for token in tokens}
        everything = " ".join(str(row) for table in ("password_reset", "outbox_email")
                              for row in db.execute_sql(f"SELECT * FROM {table}").fetchall())
    assert not any(token in everything for token in tokens)
    # A made-up token opens nothing.
    assert client.get("/password/reset/" + "A" * 43).status_code == 404
    assert client.get("/password/reset/x").status_code == 404


@pytest.mark.parametrize("password, repeat, text", [
    ("short-1", "short-1", "at least 10 characters"),
    ("qwertyuiop", "qwertyuiop", "most common"),
    ("my-kari@ret1.example", "my-kari@ret1.example", "must not contain your email"),
    (NEW_PASSWORD, NEW_PASSWORD + "!", "not the same"),
])
def test_a_refused_password_keeps_the_link_working(reset_app, client, password, repeat, text):
    ask(client, KARI)
    [(_, message)] = deliver(reset_app)
    path = urlsplit(link_in(message)).path
    refused = client.post(path, data={"password": password, "repeat": repeat})
    assert refused.status_code == 422 and text in refused.get_data(as_text=True)
    assert client.post(path, data={"password": NEW_PASSWORD, "repeat": NEW_PASSWORD}).status_code == 303


def test_reset_email_is_in_the_language_of_the_page_it_was_asked_from(reset_app, client):
    ask(client, KARI, **{"Accept-Language": "pl"})
    [(_, message)] = deliver(reset_app)
    assert message["Subject"] == "Ustaw nowe hasło do Settle"
    assert "/password/reset/" in message.get_body(("plain",)).get_content()
