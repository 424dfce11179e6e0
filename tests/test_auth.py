"""Sign-in, sign-out, CSRF, `next`, cookies and expired sessions during htmx requests."""
import re

import pytest

from tests.conftest import make_app
from tests.world import PASSWORD


def test_sign_in_and_out(world, client, auth):
    assert client.get("/invoices").status_code == 302
    response = auth.login("kari")
    assert response.headers["Location"] == "/invoices"
    assert client.get("/invoices").status_code == 200
    assert client.post("/logout").status_code == 303
    assert client.get("/invoices").status_code == 302


def test_wrong_password_and_unknown_email_get_the_same_message(world, client):
    wrong = client.post("/login", data={"email": "kari@ret1.example", "password": "nope-nope"})
    unknown = client.post("/login", data={"email": "ghost@nowhere.example", "password": PASSWORD})
    assert wrong.status_code == unknown.status_code == 422
    message = "That email and password do not match an account"
    assert message in wrong.get_data(as_text=True) and message in unknown.get_data(as_text=True)
    assert client.get("/invoices").status_code == 302


def test_email_is_case_insensitive(world, client):
    response = client.post("/login", data={"email": "  KARI@Ret1.example ", "password": PASSWORD})
    assert response.status_code == 303


@pytest.mark.parametrize("target, expected", [
    ("/invoices/D-001", "/invoices/D-001"),
    ("/invoices?status=paid", "/invoices?status=paid"),
    ("https://evil.example/", "/invoices"),
    ("//evil.example/", "/invoices"),
    ("/\\evil.example", "/invoices"),
    ("javascript:alert(1)", "/invoices"),
])
def test_next_only_leads_to_local_paths(world, client, target, expected):
    response = client.post("/login", data={"email": "kari@ret1.example", "password": PASSWORD, "next": target})
    assert response.status_code == 303
    assert response.headers["Location"] == expected


def test_protected_page_sends_to_sign_in_with_next(world, client):
    response = client.get("/invoices?status=paid")
    assert response.status_code == 302
    assert "/login?next=" in response.headers["Location"]


def test_expired_session_during_htmx_redirects_whole_page(world, client):
    response = client.get("/invoices?status=paid", headers={
        "HX-Request": "true", "HX-Current-URL": "http://localhost/invoices?status=paid"})
    assert response.status_code == 200
    assert response.headers["HX-Redirect"].startswith("/login?next=")
    assert "<table" not in response.get_data(as_text=True)


def test_logout_needs_post(world, client, auth):
    auth.login("kari")
    assert client.get("/logout").status_code == 405
    assert client.get("/invoices").status_code == 200


def test_session_cookie_flags(world, client):
    response = client.post("/login", data={"email": "kari@ret1.example", "password": PASSWORD})
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_csrf_is_required_on_posts(sqlite_url, tmp_path):
    from models import db
    from models.importer import import_data
    from tests.world import world_payload

    app = make_app(sqlite_url, tmp_path, WTF_CSRF_ENABLED=True)
    with db.connection_context():
        import_data(world_payload())
    client = app.test_client()
    # No token: refused with a message, not signed in.
    refused = client.post("/login", data={"email": "kari@ret1.example", "password": PASSWORD})
    assert refused.status_code == 400 and "expired" in refused.get_data(as_text=True)
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    accepted = client.post("/login", data={"email": "kari@ret1.example", "password": PASSWORD, "csrf_token": token})
    assert accepted.status_code == 303
    # htmx requests carry the token in a header: the page puts it on the wrapper.
    html = client.get("/invoices").get_data(as_text=True)
    assert re.search(r'hx-headers=\'\{"X-CSRFToken": "[^"]+"\}\'', html)
    assert client.post("/logout").status_code == 400
    header_token = re.search(r'"X-CSRFToken": "([^"]+)"', html).group(1)
    assert client.post("/logout", headers={"X-CSRFToken": header_token}).status_code == 303


def test_secure_cookies_outside_development(sqlite_url, tmp_path, monkeypatch):
    monkeypatch.setenv("SETTLE_ENV", "production")
    app = make_app(sqlite_url, tmp_path)
    assert app.config["SESSION_COOKIE_SECURE"] is True
    monkeypatch.setenv("SETTLE_ENV", "development")
    assert make_app(sqlite_url, tmp_path).config["SESSION_COOKIE_SECURE"] is False


def test_unknown_url_is_a_friendly_404(world, client, auth):
    auth.login("kari")
    response = client.get("/no/such/page")
    assert response.status_code == 404 and "There is nothing here" in response.get_data(as_text=True)
    htmx = client.get("/no/such/page", headers={"HX-Request": "true"})
    assert htmx.status_code == 404 and htmx.headers["HX-Retarget"] == "#messages"


def test_private_pages_are_not_cached_and_carry_safety_headers(world, client, auth):
    auth.login("kari")
    response = client.get("/invoices")
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_content_security_policy_allows_only_our_own_scripts(world, client, auth):
    auth.login("kari")
    policy = client.get("/invoices").headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "unsafe-eval" not in policy and "frame-ancestors 'none'" in policy
