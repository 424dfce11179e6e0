"""Order on account in a real browser: a retailer orders, the distributor is billed, invoices and pays.

These tests create orders and invoices billed to DIST-1, which every demo user of DIST-1 and its
retailers would see, so they run against a live server of their own (demo data, SQLite), not the
shared one.
"""
import re

import pytest
from playwright.sync_api import expect

from tests.conftest import LiveServer
from tests.e2e.conftest import assert_accessible, fresh_pages, screenshot, sign_in

KARI = "kari@fjordbutikken.example"
NINA = "nina@nordic.example"
SARA = "sara@nordlys.example"


@pytest.fixture(scope="module")
def shop(tmp_path_factory):
    server = LiveServer.with_demo_data(tmp_path_factory.mktemp("orders-live"))
    yield server
    server.stop()


@pytest.fixture
def open_page(browser, shop):
    """A fresh browser (own cookies) on the orders server, per user."""
    with fresh_pages(browser, shop.url) as open_page:
        yield open_page


def add_to_cart(page, product, quantity, lines=1):
    page.goto("/products")
    page.get_by_label(f"Quantity for {product}").fill(str(quantity))
    page.get_by_role("button", name=f"Add {product} to cart").click()
    expect(page.get_by_role("link", name=re.compile(rf"^Cart \({lines}\)"))).to_be_visible()


def go_to_checkout(page):
    page.get_by_role("link", name=re.compile(r"^Cart")).click()
    expect(page.get_by_role("heading", name="Cart", level=1)).to_be_visible()
    page.get_by_role("button", name="Check out").click()
    expect(page.get_by_role("heading", name="Check out", level=1)).to_be_visible()


def test_retailer_orders_on_account_distributor_is_invoiced_and_pays(open_page, shop):
    kari = open_page()
    sign_in(kari, KARI)
    add_to_cart(kari, "Pallet wrap", 10)
    go_to_checkout(kari)

    billed = kari.locator("section.billed-to")
    expect(billed.get_by_role("heading", name="Billed to")).to_be_visible()
    expect(billed).to_contain_text("Nordic Distribution AS")
    expect(billed).to_contain_text("Storgata 1")
    expect(billed).to_contain_text("Net 30 days, 2 % cash discount within 10 days")
    expect(billed).to_contain_text("Available credit")
    expect(billed).to_contain_text("1,612.50")  # 10 x 129.00 + 25 % tax
    expect(billed.get_by_role("meter")).to_be_visible()
    group = kari.get_by_role("radiogroup", name="Payment method")
    expect(group.get_by_role("radio", name="On account")).to_be_checked()
    expect(group.get_by_role("radio", name="Card")).to_be_visible()
    assert_accessible(kari, "checkout of a product cart")
    screenshot(kari, "order-checkout")

    kari.get_by_role("button", name="Place order").click()
    heading = kari.get_by_role("heading", level=1, name=re.compile(r"^Order SO-\d+$"))
    expect(heading).to_be_visible()
    number = heading.inner_text().removeprefix("Order ")
    expect(kari.get_by_role("status").filter(has_text="your order is placed")).to_contain_text(
        "invoiced to Nordic Distribution AS")
    expect(kari.locator("main")).to_contain_text("RET-1 Fjordbutikken AS")
    expect(kari.get_by_role("link", name=re.compile(r"^Cart \(0\)"))).to_be_visible()
    assert_accessible(kari, "order confirmation")
    screenshot(kari, "order-confirmation")

    kari.get_by_role("link", name="My account", exact=True).first.click()
    expect(kari.get_by_role("heading", name="Orders")).to_be_visible()
    row = kari.get_by_role("row").filter(has=kari.get_by_role("link", name=number))
    expect(row).to_contain_text("RET-1")
    expect(row).to_contain_text("DIST-1")
    expect(row).to_contain_text("1,612.50")
    expect(row).to_contain_text("Open")
    expect(kari.get_by_role("meter")).to_be_visible()
    assert_accessible(kari, "my account with orders")
    screenshot(kari, "my-account-orders")

    done = shop.flask("invoice-orders")
    invoice_number = f"INV-{number}"
    assert f"{number} -> {invoice_number}: billed to DIST-1, ordered by RET-1" in done.stdout
    assert "No open orders to invoice." in shop.flask("invoice-orders").stdout

    nina = open_page()
    sign_in(nina, NINA)
    nina.get_by_label("Search invoices").fill(invoice_number)
    expect(nina).to_have_url(re.compile(rf"q={invoice_number}"))
    row = nina.locator("table.invoices tbody tr")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("RET-1")  # the retailer is the order account
    expect(row).to_contain_text("Unpaid")
    row.get_by_role("button", name="Pay invoice").click()
    expect(nina.get_by_role("link", name=re.compile(r"^Cart \(1\)"))).to_be_visible()
    go_to_checkout(nina)
    nina.get_by_role("radiogroup", name="Payment method").get_by_role("radio", name="Card").check()
    nina.get_by_role("button", name="Pay now").click()
    nina.get_by_label("Card number").fill("4242 4242 4242 4242")
    nina.get_by_role("button", name="Pay", exact=True).click()
    expect(nina.get_by_role("heading", name="Payment received")).to_be_visible()
    expect(nina.locator("main")).to_contain_text(invoice_number)

    kari.reload()
    row = kari.get_by_role("row").filter(has=kari.get_by_role("link", name=number))
    expect(row).to_contain_text("Invoiced")
    kari.goto(f"/invoices/{invoice_number}")
    expect(kari.get_by_role("heading", name=invoice_number, level=1)).to_be_visible()
    expect(kari.locator("main")).to_contain_text("Paid")


def test_order_over_the_credit_limit_is_refused_with_the_available_credit(open_page):
    sara = open_page()
    sign_in(sara, SARA)
    # About 800 000 kroner with tax, more than the room left under DIST-1's limit (about 500 000).
    add_to_cart(sara, "Packing tape, 36 rolls", 999)
    add_to_cart(sara, "Shipping cartons (25)", 999, lines=2)
    go_to_checkout(sara)
    expect(sara.locator("section.billed-to")).to_contain_text("more than the available credit")
    sara.get_by_role("button", name="Place order").click()
    expect(sara.get_by_role("heading", name="Order not placed")).to_be_visible()
    expect(sara.get_by_role("alert")).to_contain_text("Available credit: NOK")
    expect(sara.get_by_role("link", name=re.compile(r"^Cart \(2\)"))).to_be_visible()  # nothing was taken out
    assert_accessible(sara, "order refused")
    sara.goto("/account")
    expect(sara.get_by_role("heading", name="Orders")).to_be_visible()
    # Kari's order (billed to DIST-1 too) may be listed; none was placed by RET-2.
    expect(sara.locator("table.orders tbody tr").filter(has_text="RET-2")).to_have_count(0)
