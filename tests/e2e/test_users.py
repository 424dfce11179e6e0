"""Company users in a real browser: Kari (Admin of Fjordbutikken) invites a Viewer, the back office's job sends
the email, the new user sets a password from its link and sees the invoices without any Pay button; signing in
again later is the same. axe-core on the Users page, the activity log and the invitation page at 1280 and 390 px.

On a server of its own: it creates a user, which no other browser test expects.
"""
import re
from email import message_from_bytes, policy
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from tests.conftest import LiveServer
from tests.e2e.conftest import assert_accessible, fresh_pages, screenshot, sign_in

KARI = "kari@fjordbutikken.example"
NEW = "lise@fjordbutikken.example"
NEW_PASSWORD = "Blue-river-stone-7"
WIDTHS = (1280, 390)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    live = LiveServer.with_demo_data(tmp_path_factory.mktemp("users"))
    yield live
    live.stop()


@pytest.fixture
def open_page(browser, server):
    with fresh_pages(browser, server.url) as opener:
        yield opener


def accessible_at_every_width(page, name):
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        assert_accessible(page, f"{name} at {width} px")
    screenshot(page, name.replace(" ", "-"))
    page.set_viewport_size({"width": 1360, "height": 900})


def invitation_link(server) -> str:
    outbox = Path(server.env["MAIL_OUTBOX"])
    mails = [message_from_bytes(p.read_bytes(), policy=policy.default) for p in sorted(outbox.glob("*.eml"))]
    [mail] = [m for m in mails if m["To"] == NEW]
    text = mail.get_body(("plain",)).get_content()
    return urlsplit(re.search(r"https?://\S+/invitations/\S+", text).group(0)).path


def test_invite_accept_and_the_new_viewer_cannot_pay(open_page, server):
    admin = open_page()
    sign_in(admin, KARI)
    admin.goto("/account")
    admin.get_by_role("link", name=re.compile("^Users:")).click()
    expect(admin.get_by_role("heading", name="Users", exact=True)).to_be_visible()
    expect(admin.get_by_role("row", name=re.compile("per@fjordbutikken.example"))).to_contain_text("Viewer")
    accessible_at_every_width(admin, "users page")

    per_row = admin.get_by_role("row", name=re.compile("per@fjordbutikken.example"))
    per_row.get_by_role("button", name="Edit roles").click()
    expect(admin.get_by_role("heading", name="Roles of Per Viewer")).to_be_visible()
    expect(admin.get_by_role("checkbox", name="Viewer")).to_be_checked()
    assert_accessible(admin, "edit roles page")
    admin.go_back()

    admin.get_by_role("button", name="Invite user").click()
    assert_accessible(admin, "invite page")
    admin.get_by_role("textbox", name="Email").fill(NEW)
    admin.get_by_role("textbox", name="Name").fill("Lise Lund")
    for role, checked in (("Admin", False), ("Payer", False), ("Buyer", False), ("Viewer", True)):
        box = admin.get_by_role("checkbox", name=role)
        expect(box).to_be_checked(checked=checked)
    admin.get_by_role("button", name="Send invitation").click()
    expect(admin.get_by_role("status").first).to_contain_text(f"Invitation sent to {NEW}")
    expect(admin.get_by_role("row", name=re.compile(NEW))).to_contain_text("Invited, valid until")

    result = server.flask("process-requests")
    assert re.search(r"Sent [1-9]\d*, failed 0", result.stdout), result.stdout
    link = invitation_link(server)

    newcomer = open_page()
    newcomer.goto(link)
    expect(newcomer.get_by_role("heading", name="Set your password")).to_be_visible()
    accessible_at_every_width(newcomer, "invitation page")
    newcomer.get_by_label("New password", exact=True).fill(NEW_PASSWORD)
    newcomer.get_by_label("Repeat new password").fill(NEW_PASSWORD)
    newcomer.get_by_role("button", name="Set password").click()
    newcomer.wait_for_url("**/invoices**")
    expect(newcomer.get_by_role("status").first).to_contain_text("Welcome, Lise Lund")
    expect(newcomer.locator("table.invoices tbody tr").first).to_be_visible()
    expect(newcomer.get_by_role("button", name="Pay invoice")).to_have_count(0)
    expect(newcomer.get_by_role("button", name="Pay selected")).to_have_count(0)
    expect(newcomer.get_by_role("button", name=re.compile("^Pay all overdue"))).to_have_count(0)
    expect(newcomer.get_by_role("button", name="Request invoice").first).to_be_visible()

    # The link worked once.
    newcomer.goto(link)
    expect(newcomer.get_by_role("heading", name="This invitation link cannot be used")).to_be_visible()
    accessible_at_every_width(newcomer, "used invitation page")

    # Signing in again later: still a Viewer.
    later = open_page()
    sign_in(later, NEW, NEW_PASSWORD)
    expect(later.get_by_role("button", name="Pay invoice")).to_have_count(0)
    later.goto("/products")
    expect(later.get_by_role("button", name=re.compile("^Add .* to cart"))).to_have_count(0)
    assert later.goto("/account/users").status == 403

    admin.goto("/account/activity")
    expect(admin.get_by_role("heading", name="Activity")).to_be_visible()
    expect(admin.get_by_role("main")).to_contain_text(f"Invited {NEW} as Viewer.")
    expect(admin.get_by_role("main")).to_contain_text("Accepted the invitation")
    accessible_at_every_width(admin, "activity page")
    admin.get_by_label("Show").select_option("sign_in")
    admin.get_by_role("button", name="Filter").click()
    expect(admin).to_have_url(re.compile(r"kind=sign_in"))
    expect(admin.get_by_role("main")).not_to_contain_text("Invited")
