"""Forgot password in a real browser: the link on sign-in, the request page, the email the back-office job sends,
the reset page (a refusal, then the new password), signing in with it; Change password and Sign out everywhere
on My account. axe-core on every new page. On a portal of its own: it changes a demo user's password."""
from email import message_from_bytes, policy
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from tests.conftest import LiveServer
from tests.e2e.conftest import assert_accessible, fresh_pages, screenshot, sign_in

KARI = "kari@fjordbutikken.example"
NEW_PASSWORD = "Lighthouse-Gravel-5120"
NEWER_PASSWORD = "Copper-Meadow-7743"


@pytest.fixture(scope="module")
def portal(tmp_path_factory):
    server = LiveServer.with_demo_data(tmp_path_factory.mktemp("password-live"))
    yield server
    server.stop()


def reset_link(server) -> str:
    outbox = Path(server.env["MAIL_OUTBOX"])
    mails = [message_from_bytes(p.read_bytes(), policy=policy.default) for p in sorted(outbox.glob("*.eml"))]
    resets = [m for m in mails if "/password/reset/" in m.get_body(("plain",)).get_content()]
    assert len(resets) == 1 and resets[0]["To"] == KARI
    text = resets[0].get_body(("plain",)).get_content()
    link = next(word for word in text.split() if "/password/reset/" in word)
    return urlsplit(link).path


def test_forgot_password_change_password_and_sign_out_everywhere(browser, portal):
    with fresh_pages(browser, portal.url) as open_page:
        page = open_page()
        page.goto("/login")
        page.get_by_role("link", name="Forgot password?").click()
        expect(page.get_by_role("heading", name="Forgot password")).to_be_visible()
        assert_accessible(page, "forgot password")
        page.get_by_label("Email").fill(KARI)
        page.get_by_role("button", name="Send reset link").click()
        expect(page.get_by_role("status")).to_contain_text("we have sent it a link")
        assert_accessible(page, "forgot password sent")
        screenshot(page, "password-forgot-sent")

        portal.flask("process-requests")
        page.goto(reset_link(portal))
        expect(page.get_by_role("heading", name="Set a new password")).to_be_visible()
        assert_accessible(page, "reset password")
        page.get_by_label("New password", exact=True).fill(NEW_PASSWORD)
        page.get_by_label("Repeat new password").fill(NEW_PASSWORD + "x")
        page.get_by_role("button", name="Set password").click()
        expect(page.get_by_role("alert")).to_contain_text("not the same")
        assert_accessible(page, "reset password refused")
        page.get_by_label("New password", exact=True).fill(NEW_PASSWORD)
        page.get_by_label("Repeat new password").fill(NEW_PASSWORD)
        page.get_by_role("button", name="Set password").click()
        page.wait_for_url("**/login")
        expect(page.get_by_role("status")).to_contain_text("Your new password is set")
        screenshot(page, "password-reset-done")

        # The link is spent.
        page.goto(reset_link(portal))
        expect(page.get_by_role("heading", name="Link expired")).to_be_visible()
        assert_accessible(page, "reset link expired")

        sign_in(page, KARI, NEW_PASSWORD)
        other = open_page()
        sign_in(other, KARI, NEW_PASSWORD)

        # Change password on My account: this browser stays signed in, the other one is signed out.
        page.get_by_role("link", name="My account").click()
        expect(page.get_by_role("heading", name="Password and sessions")).to_be_visible()
        assert_accessible(page, "my account with password and sessions")
        page.get_by_label("Current password").fill(NEW_PASSWORD)
        page.get_by_label("New password", exact=True).fill(NEWER_PASSWORD)
        page.get_by_label("Repeat new password").fill(NEWER_PASSWORD)
        page.get_by_role("button", name="Change password").click()
        expect(page.get_by_role("status")).to_contain_text("Your password is changed")
        other.reload()
        expect(other.get_by_role("heading", name="Sign in")).to_be_visible()
        expect(other.get_by_role("status")).to_contain_text("Your session expired")

        page.get_by_role("button", name="Sign out everywhere").click()
        page.wait_for_url("**/login")
        expect(page.get_by_role("status")).to_contain_text("You are signed out on every device.")
        assert_accessible(page, "signed out everywhere")
        page.goto("/account")
        expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
        sign_in(page, KARI, NEWER_PASSWORD)
