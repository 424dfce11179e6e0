"""Knowing what you owe in a real browser: the overview (screenshot), a bucket click that narrows the list in
place, select-and-pay, both downloads, and axe on every new page at desktop and phone widths."""
import re

import pytest
from playwright.sync_api import expect

from tests.conftest import LiveServer
from tests.e2e.conftest import assert_accessible, screenshot, sign_in

OLA = "ola@fjordbutikken.example"  # RET-1's second user: a cart of its own on this module's server


@pytest.fixture(scope="module")
def owing_server(tmp_path_factory):
    server = LiveServer.with_demo_data(tmp_path_factory.mktemp("owing"))
    yield server
    server.stop()


@pytest.fixture
def ola(browser, owing_server):
    context = browser.new_context(base_url=owing_server.url, locale="en-GB", viewport={"width": 1280, "height": 900},
                                  accept_downloads=True)
    page = context.new_page()
    sign_in(page, OLA)
    yield page
    context.close()


def test_overview_and_a_bucket_click_narrow_the_list_in_place(ola):
    page = ola
    region = page.get_by_role("region", name="Account overview")
    expect(region).to_be_visible()
    for text in ("Total open", "Overdue", "Due in the next 7 days"):
        expect(region.get_by_text(text, exact=True)).to_be_visible()
    screenshot(page, "account-overview")
    page.evaluate("window.__sameDocument = true")
    region.get_by_role("link", name=re.compile(r"^31–60 days")).click()
    expect(page).to_have_url(re.compile(r"aging=31-60"))
    expect(page.get_by_label("Age", exact=True)).to_have_value("31-60")
    badges = page.locator("table.invoices .badge-overdue")
    expect(badges.first).to_be_visible()
    days = [int(re.search(r"\d+", text).group()) for text in badges.all_inner_texts()]
    assert days and all(31 <= d <= 60 for d in days), days
    assert page.evaluate("window.__sameDocument") is True
    page.reload()
    expect(page.get_by_label("Age", exact=True)).to_have_value("31-60")


def test_select_and_pay_puts_the_ticked_invoices_in_the_cart(ola):
    page = ola
    boxes = page.get_by_role("checkbox", name=re.compile(r"^Select INV-"))
    first, second = boxes.nth(0), boxes.nth(1)
    numbers = [first.get_attribute("value"), second.get_attribute("value")]
    first.check()
    second.check()
    expect(page.get_by_role("button", name="Pay selected (2)")).to_be_visible()
    page.get_by_role("button", name="Pay selected (2)").click()
    expect(page).to_have_url(re.compile(r"/cart$"))
    expect(page.get_by_role("heading", name="Cart", exact=True)).to_be_visible()
    for number in numbers:
        expect(page.get_by_label(f"Amount to pay for {number}")).to_be_visible()
    expect(page.get_by_role("link", name=re.compile(r"^Cart \(2\)"))).to_be_visible()
    # Select all on this page ticks every payable row.
    page.goto("/invoices")
    page.get_by_label("Select all on this page").check()
    count = page.get_by_role("checkbox", name=re.compile(r"^Select INV-")).count()
    expect(page.get_by_role("button", name=f"Pay selected ({count})")).to_be_visible()


def test_both_downloads_carry_the_filters(ola):
    page = ola
    page.goto("/invoices?status=overdue")
    with page.expect_download() as csv_download:
        page.get_by_role("link", name="Download CSV").click()
    text = open(csv_download.value.path(), encoding="utf-8").read()
    lines = text.strip().splitlines()
    assert lines[0] == "number,invoice_date,due_date,order_account,invoice_account,currency,total,balance,status"
    shown = re.search(r"(\d+) invoices?", page.locator("#results-status").inner_text()).group(1)
    assert len(lines) - 1 == int(shown)
    with page.expect_download() as xlsx_download:
        page.get_by_role("link", name="Download Excel").click()
    assert xlsx_download.value.suggested_filename.endswith(".xlsx")
    assert open(xlsx_download.value.path(), "rb").read(2) == b"PK"


@pytest.mark.parametrize("width", [1280, 390])
def test_new_pages_are_accessible(ola, width):
    page = ola
    page.set_viewport_size({"width": width, "height": 900})
    for path, heading in (("/invoices", "Invoices"), ("/statement", "Statement of account"), ("/payments", "Payments")):
        page.goto(path)
        expect(page.get_by_role("heading", name=heading, level=1)).to_be_visible()
        assert_accessible(page, f"{path} at {width} px")
    page.goto("/statement")
    expect(page.get_by_label("As of")).to_be_visible()
    expect(page.get_by_role("link", name="Download statement")).to_be_visible()
    expect(page.get_by_role("button", name="Email me the statement")).to_be_visible()
    if width == 390:
        page.goto("/invoices")
        screenshot(page, "account-overview-phone")
