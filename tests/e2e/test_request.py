"""Request an invoice copy in a real browser: the dialog, My account, the back-office job, the .eml.

Uses Ola (and Sara without JavaScript): nobody else's browser test makes requests as them, and a
request changes nothing another test looks at.
"""
import re
from email import message_from_bytes, policy
from pathlib import Path

from playwright.sync_api import expect

from tests.e2e.conftest import DEMO_PASSWORD, assert_accessible, screenshot, sign_in

OLA = "ola@fjordbutikken.example"
SARA = "sara@nordlys.example"


def request_row(page, number):
    section = page.locator("section", has=page.get_by_role("heading", name="B2B requests"))
    return section.locator("tbody tr", has=page.get_by_role("link", name=number, exact=True))


def outbox_messages(live_server):
    outbox = Path(live_server.env["MAIL_OUTBOX"])
    return [message_from_bytes(p.read_bytes(), policy=policy.default) for p in sorted(outbox.glob("*.eml"))]


def test_request_invoice_dialog_my_account_and_the_job(page, live_server):
    sign_in(page, OLA)
    page.evaluate("window.__sameDocument = true")
    row = page.locator("table.invoices tbody tr").nth(1)
    number = row.locator("th a").inner_text()
    opener = row.get_by_role("button", name="Request invoice")

    # Open: a labelled modal dialog with Ola's address; focus moves in; Esc closes and gives focus back.
    opener.click()
    dialog = page.get_by_role("dialog", name=f"Request invoice {number}")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text(OLA)
    expect(dialog.get_by_role("button", name="Send request")).to_be_focused()
    assert_accessible(page, "request dialog")
    screenshot(page, "request-dialog")
    page.keyboard.press("Escape")
    expect(page.get_by_role("dialog")).to_have_count(0)
    expect(opener).to_be_focused()

    # Send: the dialog closes, the button's place confirms, and the page never reloaded.
    opener.click()
    page.get_by_role("dialog").get_by_role("button", name="Send request").click()
    expect(page.get_by_role("dialog")).to_have_count(0)
    confirmation = row.get_by_role("status")
    expect(confirmation).to_contain_text("Requested")
    follow = row.get_by_role("link", name="follow it under B2B requests")
    expect(follow).to_be_focused()
    assert page.evaluate("window.__sameDocument") is True

    follow.click()
    expect(page.get_by_role("heading", name="My account")).to_be_visible()
    expect(page.get_by_role("heading", name="B2B requests")).to_be_visible()
    expect(request_row(page, number)).to_contain_text("Pending")
    expect(request_row(page, number)).to_contain_text(OLA)
    assert_accessible(page, "My account with a pending request")

    # The back office runs its job; the request is Completed and the mail is in the outbox.
    before = len(outbox_messages(live_server))
    result = live_server.flask("process-requests")
    assert re.search(r"Sent [1-9]\d*, failed 0", result.stdout), result.stdout
    page.reload()
    expect(request_row(page, number).locator(".status")).to_have_text("Completed")
    assert_accessible(page, "My account with a completed request")
    screenshot(page, "request-my-account")
    mails = [m for m in outbox_messages(live_server)[before:] if number in m["Subject"]]
    assert len(mails) == 1 and mails[0]["To"] == OLA
    [attachment] = list(mails[0].iter_attachments())
    assert attachment.get_filename() == f"{number}.pdf"


def test_request_invoice_without_javascript(browser, live_server):
    context = browser.new_context(base_url=live_server.url, java_script_enabled=False)
    page = context.new_page()
    try:
        page.goto("/login")
        page.get_by_label("Email").fill(SARA)
        page.get_by_label("Password").fill(DEMO_PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url("**/invoices**")
        row = page.locator("table.invoices tbody tr").first
        number = row.locator("th a").inner_text()
        row.get_by_role("button", name="Request invoice").click()
        expect(page.get_by_role("heading", name=f"Request invoice {number}")).to_be_visible()
        expect(page.get_by_role("main")).to_contain_text(SARA)
        page.get_by_role("button", name="Send request").click()
        expect(page).to_have_url(re.compile(r"/account"))
        expect(page.get_by_role("status").first).to_contain_text(f"a copy of invoice {number} will be emailed")
        expect(request_row(page, number).locator(".status")).to_have_text("Pending")
    finally:
        context.close()


def test_download_pdf_from_the_invoice_page(page):
    sign_in(page, OLA)
    page.locator("table.invoices tbody tr th a").first.click()
    number = page.get_by_role("heading", level=1).inner_text()
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download PDF").click()
    download = download_info.value
    assert download.suggested_filename == f"{number}.pdf"
    assert Path(download.path()).read_bytes().startswith(b"%PDF-")
