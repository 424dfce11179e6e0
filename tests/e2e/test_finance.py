"""Invoices a finance department accepts, in a real browser: payment details, VAT per rate and the e-invoice on the
invoice page; a credit note used in the cart; Your reference and the delivery address at the order checkout; axe
on the new pages at desktop and phone widths. The module has a portal of its own (it pays and orders)."""
import re

import pytest
from playwright.sync_api import expect

from tests.conftest import LiveServer
from tests.e2e.conftest import DEMO_PASSWORD, assert_accessible, screenshot

KARI = "kari@fjordbutikken.example"


@pytest.fixture(scope="module")
def finance_server(tmp_path_factory):
    server = LiveServer.with_demo_data(tmp_path_factory.mktemp("finance"))
    yield server
    server.stop()


@pytest.fixture
def kari(page, finance_server):
    page.goto(finance_server.url + "/login")
    page.get_by_label("Email").fill(KARI)
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/invoices**")
    return page


def test_invoice_page_payment_details_vat_and_e_invoice(kari, finance_server):
    page = kari
    page.goto(finance_server.url + "/invoices/INV-1002")
    details = page.get_by_role("region", name="Payment details")
    expect(details).to_contain_text("NO93 8601 1117 947")
    expect(details).to_contain_text("KID")
    expect(page.get_by_role("row", name=re.compile(r"^VAT 25 % of"))).to_be_visible()
    expect(page.get_by_role("link", name="Credit note CN-1001")).to_be_visible()
    with page.expect_download() as download:
        page.get_by_role("link", name="Download e-invoice").click()
    assert download.value.suggested_filename == "INV-1002-ehf.xml"
    assert b"urn:fdc:peppol.eu:2017:poacc:billing:3.0" in open(download.value.path(), "rb").read()
    screenshot(page, "finance-invoice-page")
    assert_accessible(page, "invoice page with payment details")
    page.set_viewport_size({"width": 390, "height": 844})
    assert_accessible(page, "invoice page at 390 px")
    page.goto(finance_server.url + "/credit-notes/CN-1001")
    expect(page.get_by_role("heading", name="Credit note CN-1001")).to_be_visible()
    assert_accessible(page, "credit note page at 390 px")
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(finance_server.url + "/invoices?status=credit_notes")
    expect(page.get_by_role("link", name="CN-1001")).to_be_visible()
    assert_accessible(page, "credit notes list")


def test_a_credit_note_lowers_what_the_card_pays(kari, finance_server):
    page = kari
    page.goto(finance_server.url + "/invoices/INV-1002")
    page.get_by_role("button", name="Pay invoice").click()
    expect(page.get_by_role("button", name="In cart")).to_be_visible()
    page.goto(finance_server.url + "/cart")
    before = page.locator("#cart-total").inner_text()
    page.get_by_role("button", name="Use credit note CN-1001").click()
    expect(page.get_by_role("button", name="Stop using CN-1001")).to_be_visible()
    expect(page.locator("#cart-total")).not_to_have_text(before)
    screenshot(page, "finance-cart-credit-note")
    assert_accessible(page, "cart with a credit note")
    page.set_viewport_size({"width": 390, "height": 844})
    assert_accessible(page, "cart with a credit note at 390 px")
    page.set_viewport_size({"width": 1280, "height": 900})
    page.get_by_role("button", name="Check out").click()
    expect(page.get_by_role("row", name=re.compile(r"^Credit note CN-1001 for INV-1002"))).to_be_visible()
    page.get_by_role("button", name="Pay now").click()
    page.get_by_label("Card number").fill("4242 4242 4242 4242")
    page.get_by_role("button", name="Pay").click()
    expect(page.get_by_role("heading", name="Payment received")).to_be_visible()
    expect(page.get_by_role("link", name="CN-1001")).to_be_visible()
    expect(page.get_by_text("Charged to the card")).to_be_visible()


def test_your_reference_and_delivery_address_reach_the_order(kari, finance_server):
    page = kari
    page.goto(finance_server.url + "/cart")
    if page.get_by_role("link", name="Empty cart").count():
        page.get_by_role("link", name="Empty cart").click()
        page.get_by_role("button", name="Yes, empty the cart").click()
        expect(page.get_by_text("Your cart is empty.")).to_be_visible()
    page.goto(finance_server.url + "/products")
    page.get_by_label("Quantity for Coffee beans, 1 kg").fill("2")
    page.get_by_role("button", name="Add Coffee beans, 1 kg to cart").click()
    expect(page.get_by_text("In your cart: 2.")).to_be_visible()  # added before leaving the page
    page.goto(finance_server.url + "/checkout")
    expect(page.get_by_role("row", name=re.compile(r"^VAT 15 % of"))).to_be_visible()
    page.get_by_label("Your reference").fill("PO-4471")
    page.get_by_label("Delivery address").fill("Lager 2\nKaigata 5\n5016 Bergen")
    assert_accessible(page, "order checkout with reference and delivery address")
    page.get_by_role("button", name="Place order").click()
    expect(page.get_by_text("PO-4471")).to_be_visible()
    expect(page.get_by_text("Lager 2")).to_be_visible()
