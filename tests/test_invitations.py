"""Invitations end to end through the real SMTP test server (aiosmtpd on loopback): an Admin invites, the job
sends the email in the Admin's page language with an absolute link from PORTAL_URL, the link sets a password once
and signs the new user in with the chosen roles; it expires after 7 days, is refused after use, after revoking
and after resending; only a digest of the token is stored."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest

from tests.test_mail import Inbox, SMTPServer, run_job
from tests.conftest import free_port
from tests.world import USERS

NEW = "new.person@ret1.example"
GOOD_PASSWORD = "river-Stone-42"


@pytest.fixture
def mail(app, world):
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=free_port(), MAIL_DEFAULT_SENDER="invoices@settle.test",
                      PORTAL_URL="https://portal.example")
    return app


def invite(client, email=NEW, roles=("viewer",), name="New Person"):
    return client.post("/account/users/invite", data={"email": email, "name": name, "roles": list(roles)})


def send_all(app, superseded=0):
    """Run the job against a real SMTP server; the messages it received. (An email of a link resent before it
    went out is not sent: the job counts it as failed, "no longer visible to its reader".)"""
    with SMTPServer(Inbox(), app.config["MAIL_PORT"]) as server:
        result = run_job(app)
        assert result.failed == superseded
        return [message for _recipients, message in server.handler.messages]


def link_in(message) -> str:
    plain = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    [link] = set(re.findall(r"https://portal\.example/invitations/[A-Za-z0-9_\-]+", plain))
    assert link in html
    return link


def path_of(link):
    return link.removeprefix("https://portal.example")


def stored_text(app) -> str:
    """Every value of every row the invitation could leave behind."""
    from models import db

    with db.connection_context():
        rows = []
        for table in ("invitation", "outbox_email", "activity", "user"):
            rows += [repr(row) for row in db.execute_sql(f'SELECT * FROM "{table}"').fetchall()]
    return "\n".join(rows)


@pytest.mark.both_databases
def test_invite_accept_once_and_sign_in_with_the_roles(mail, client, auth, app):
    from models import db
    from models.customer import User

    auth.login("kari")
    assert client.get("/account/users/invite").status_code == 200
    response = invite(client)
    assert response.status_code == 303
    assert "Invitation sent to new.person@ret1.example" in client.get("/account/users").get_data(as_text=True)

    [message] = send_all(app)
    assert message["To"] == NEW
    assert "RET-1 Company invites you to Settle" == message["Subject"]
    link = link_in(message)
    token = link.rsplit("/", 1)[1]
    assert len(token) >= 43, "256 bits"
    assert token not in stored_text(app), "the token is stored only as a digest"
    assert send_all(app) == [], "sent once"

    auth.logout()
    page = client.get(path_of(link))
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    for name in ("New password", "Repeat new password", "Set password"):
        assert name in html
    assert page.headers["Referrer-Policy"] == "no-referrer"

    response = client.post(path_of(link), data={"password": GOOD_PASSWORD, "repeat": GOOD_PASSWORD + "x"})
    assert response.status_code == 422 and "not the same" in response.get_data(as_text=True)
    response = client.post(path_of(link), data={"password": "short", "repeat": "short"})
    assert response.status_code == 422 and "at least 10 characters" in response.get_data(as_text=True)
    response = client.post(path_of(link), data={"password": NEW, "repeat": NEW})
    assert response.status_code == 422 and "must not contain your email" in response.get_data(as_text=True)
    response = client.post(path_of(link), data={"password": "password123", "repeat": "password123"})
    assert response.status_code == 422 and "most common" in response.get_data(as_text=True)
    with db.connection_context():
        assert not User.select().where(User.email == NEW).exists()

    response = client.post(path_of(link), data={"password": GOOD_PASSWORD, "repeat": GOOD_PASSWORD})
    assert response.status_code == 303 and response.headers["Location"].endswith("/invoices")
    invoices = client.get("/invoices").get_data(as_text=True)
    assert "New Person" in invoices and "Pay selected" not in invoices, "signed in, as a Viewer"
    with db.connection_context():
        new = User.get(User.email == NEW)
        assert (new.roles, new.customer.account, new.active) == ("viewer", "RET-1", True)

    # The link worked once.
    client.post("/logout")
    again = client.get(path_of(link))
    assert again.status_code == 410 and "already been used" in again.get_data(as_text=True)
    again = client.post(path_of(link), data={"password": "other-Passw0rd!", "repeat": "other-Passw0rd!"})
    assert again.status_code == 410
    assert client.post("/login", data={"email": NEW, "password": GOOD_PASSWORD}).status_code == 303


@pytest.fixture
def travel():
    """Moves the portal's moment on (models/clock.py: travel); back to the real one afterwards."""
    from models import clock

    yield clock.travel
    clock.travel(None)


def test_the_link_expires_after_7_days(mail, client, auth, app, travel):
    auth.login("kari")
    invite(client)
    link = link_in(send_all(app)[0])
    travel(timedelta(days=7, minutes=-1).total_seconds())
    assert client.get(path_of(link)).status_code == 200, "still valid on the 7th day"
    travel(timedelta(minutes=2).total_seconds())
    page = client.get(path_of(link))
    assert page.status_code == 410 and "expired" in page.get_data(as_text=True)
    response = client.post(path_of(link), data={"password": GOOD_PASSWORD, "repeat": GOOD_PASSWORD})
    assert response.status_code == 410
    auth.login("kari")  # a week on, the Admin's own session has long ended (SESSION_LIFETIME_HOURS)
    assert "Expired on" in client.get("/account/users").get_data(as_text=True)


def test_revoked_and_resent_links_stop_working(mail, client, auth, app):
    from models import db
    from models.invitation import Invitation

    auth.login("kari")
    invite(client)
    first = link_in(send_all(app)[0])
    with db.connection_context():
        invitation = Invitation.get()
    assert client.post(f"/account/invitations/{invitation.id}/resend").status_code == 303
    second = link_in(send_all(app)[0])
    assert second != first
    assert client.get(path_of(first)).status_code == 404, "the old link no longer opens anything"
    assert client.get(path_of(second)).status_code == 200
    assert client.post(f"/account/invitations/{invitation.id}/revoke").status_code == 303
    page = client.get(path_of(second))
    assert page.status_code == 410 and "withdrawn" in page.get_data(as_text=True)
    # A revoked invitation cannot be resent or revoked again.
    response = client.post(f"/account/invitations/{invitation.id}/resend", follow_redirects=True)
    assert "already accepted or revoked" in response.get_data(as_text=True)
    assert send_all(app) == []


def test_resending_before_the_job_ran_sends_only_the_new_link(mail, client, auth, app):
    from models import db
    from models.invitation import Invitation

    auth.login("kari")
    invite(client)
    with db.connection_context():
        invitation = Invitation.get()
    client.post(f"/account/invitations/{invitation.id}/resend")
    messages = send_all(app, superseded=1)
    assert len(messages) == 1
    assert client.get(path_of(link_in(messages[0]))).status_code == 200


def test_bad_invitations_are_refused_with_a_clear_message(mail, client, auth):
    from models import db
    from models.invitation import Invitation
    from models.outbox import OutboxEmail

    auth.login("kari")
    cases = [
        (dict(email=USERS["sara"][0]), "already has a Settle account"),
        (dict(email="not-an-email"), "Enter the email address"),
        (dict(name="  "), "Enter the name"),
        (dict(roles=()), "Choose at least one role"),
        (dict(roles=("viewer", "owner")), "Choose at least one role"),
    ]
    for change, text in cases:
        response = invite(client, **change)
        assert response.status_code == 422 and text in response.get_data(as_text=True), change
    assert invite(client).status_code == 303
    response = invite(client)
    assert response.status_code == 422 and "already invited" in response.get_data(as_text=True)
    with db.connection_context():
        assert Invitation.select().count() == 1 and OutboxEmail.select().count() == 1


def test_unknown_and_garbage_links_get_a_clear_page(mail, client):
    for token in ("x", "a" * 43, "a" * 500):
        response = client.get(f"/invitations/{token}")
        assert response.status_code == 404 and "not valid" in response.get_data(as_text=True)
    # Control characters never reach the view (views/input_guard.py): the portal's own 404 page.
    assert client.get("/invitations/" + "%00" * 30).status_code == 404


def test_the_email_is_in_the_language_of_the_admins_page(mail, client, auth, app):
    auth.login("kari")
    client.post("/language", data={"lang": "pl"})
    invite(client)
    [message] = send_all(app)
    assert message["Subject"] == "RET-1 Company zaprasza Cię do Settle"
    assert "Ustaw hasło" in message.get_body(("html",)).get_content()
