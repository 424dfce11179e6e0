"""The cart in a real browser: Pay invoice in place, amounts checked in place, invoices or products never both."""

from playwright.sync_api import expect

from tests.e2e.conftest import assert_accessible, screenshot
from tests.e2e.test_pay import add_to_cart, cart_link, empty_cart, pay_server, row_of, sign_in_at  # noqa: F401

WRONG_AMOUNTS = [
    ("0", "Enter an amount greater than zero."),
    ("-10", "Enter an amount greater than zero."),
    ("1250.01", "Enter at most the balance, NOK\u00a01,250.00."),
    ("12.3456", "Use at most 2 decimals."),
    ("1.234", "“1.234” is unclear: “.” may separate thousands or decimals. Type 1234 for 1,234, or at most 2 "
              "decimals, for example 1.23."),
    ("abc", "Enter a number, for example 1250.00."),
    ("1e9", "Enter a number, for example 1250.00."),
    ("", "Enter the amount to pay."),
]


def test_pay_invoice_from_the_list_and_the_invoice_page_without_reload(page, pay_server):
    sign_in_at(page, pay_server)
    page.goto(pay_server.url + "/invoices?q=E2E-LIST")
    expect(cart_link(page)).to_contain_text("(0)")
    page.evaluate("window.__sameDocument = true")
    row_of(page, "E2E-LIST").get_by_role("button", name="Pay invoice").click()
    expect(row_of(page, "E2E-LIST").get_by_role("button", name="In cart")).to_be_visible()
    expect(cart_link(page)).to_contain_text("(1)")
    expect(page.get_by_role("status").filter(has_text="E2E-LIST is in your cart")).to_be_visible()
    assert page.evaluate("window.__sameDocument") is True, "the page reloaded"
    screenshot(page, "cart-pay-invoice-in-list")

    page.goto(pay_server.url + "/invoices/E2E-PAGE")
    page.evaluate("window.__sameDocument = true")
    page.get_by_role("button", name="Pay invoice").click()
    expect(page.get_by_role("button", name="In cart")).to_be_visible()
    expect(cart_link(page)).to_contain_text("(2)")
    assert page.evaluate("window.__sameDocument") is True, "the page reloaded"
    # The cart survives signing out and in again (it is kept in the database).
    page.get_by_role("button", name="Sign out").click()
    sign_in_again = page.get_by_label("Email")
    sign_in_again.fill("kari@fjordbutikken.example")
    page.get_by_label("Password").fill("demo-Passw0rd")
    page.get_by_role("button", name="Sign in").click()
    expect(cart_link(page)).to_contain_text("(2)")


def test_each_wrong_amount_gets_its_message_in_place(page, pay_server):
    sign_in_at(page, pay_server)
    add_to_cart(page, pay_server, "E2E-AMT")
    page.goto(pay_server.url + "/cart")
    amount = page.get_by_label("Amount to pay for E2E-AMT")
    page.evaluate("window.__sameDocument = true")
    for wrong, message in WRONG_AMOUNTS:
        # Two wrong amounts in a row can share a message: wait for this amount's answer, not the last one's.
        with page.expect_response(lambda r: r.url.endswith("/amount") and r.request.method == "POST"):
            amount.fill(wrong)
            amount.press("Tab")
        alert = page.locator("#cart").get_by_role("alert").filter(has_text=message)
        expect(alert).to_be_visible()
        expect(amount).to_have_attribute("aria-invalid", "true")
        # The total does not quietly keep the last valid amount: it leaves this one out and says so.
        expect(page.locator("#cart-total")).to_have_text("NOK\u00a00.00")
        expect(page.locator("#cart-total-note")).to_have_text("Excludes E2E-AMT: correct the amount marked above.")
    screenshot(page, "cart-wrong-amount")
    amount.fill("250")
    amount.press("Tab")
    expect(page.locator("#cart-total")).to_have_text("NOK\u00a0250.00")
    expect(amount).not_to_have_attribute("aria-invalid", "true")
    expect(page.locator("#cart-total-note")).to_have_text("")
    assert page.evaluate("window.__sameDocument") is True
    page.reload()
    expect(page.get_by_label("Amount to pay for E2E-AMT")).to_have_value("250.00")


def test_invoices_and_products_never_share_the_cart(page, pay_server):
    sign_in_at(page, pay_server)
    add_to_cart(page, pay_server, "E2E-EXCL")
    page.goto(pay_server.url + "/products")
    page.get_by_label("Quantity for Pallet wrap").fill("3")
    page.get_by_role("button", name="Add Pallet wrap to cart").click()
    expect(page.get_by_role("alert")).to_contain_text("Your cart holds invoices to pay")
    expect(page.get_by_role("alert")).to_contain_text("check out or empty the cart")
    expect(cart_link(page)).to_contain_text("(1)")

    empty_cart(page, pay_server)
    page.goto(pay_server.url + "/products")
    page.get_by_label("Quantity for Pallet wrap").fill("3")
    page.get_by_role("button", name="Add Pallet wrap to cart").click()
    expect(page.get_by_role("status").filter(has_text="In your cart: 3")).to_be_visible()
    expect(cart_link(page)).to_contain_text("(1)")
    assert_accessible(page, "products")
    page.goto(pay_server.url + "/invoices?q=E2E-EXCL")
    row_of(page, "E2E-EXCL").get_by_role("button", name="Pay invoice").click()
    alert = page.locator("#messages").get_by_role("alert")
    expect(alert).to_contain_text("Your cart holds products")
    expect(alert).to_contain_text("check out or empty the cart")
    expect(row_of(page, "E2E-EXCL").get_by_role("button", name="Pay invoice")).to_be_visible()
    page.goto(pay_server.url + "/checkout")
    expect(page.get_by_role("radiogroup", name="Payment method")).to_be_visible()
    expect(page.get_by_role("radio", name="On account")).to_be_visible()
    expect(page.get_by_role("radio", name="Card")).to_be_visible()
    expect(page.get_by_role("button", name="Place order")).to_be_visible()
    empty_cart(page, pay_server)


def test_cart_page_is_accessible_and_remove_updates_the_count(page, pay_server):
    sign_in_at(page, pay_server)
    add_to_cart(page, pay_server, "E2E-AXE")
    add_to_cart(page, pay_server, "E2E-REM")
    page.goto(pay_server.url + "/cart")
    expect(page.get_by_role("heading", name="Cart")).to_be_visible()
    expect(page.get_by_label("Amount to pay for E2E-AXE")).to_have_attribute("inputmode", "decimal")
    assert_accessible(page, "cart")
    screenshot(page, "cart")
    page.get_by_role("button", name="Remove E2E-AXE").click()
    expect(page.get_by_label("Amount to pay for E2E-AXE")).to_have_count(0)
    expect(cart_link(page)).to_contain_text("(1)")
    page.get_by_role("button", name="Remove E2E-REM").click()
    expect(page.get_by_text("Your cart is empty.")).to_be_visible()
    expect(cart_link(page)).to_contain_text("(0)")


def test_the_live_total_reads_amounts_like_the_server(page, pay_server):
    """The cart's JavaScript mirrors i18n/amounts.py: every spelling of tests/test_amount_entry.py reads the same in
    the browser as on the server, and the total follows what is typed before the field is left."""
    from i18n.amounts import AmountRefused, currency_tokens, parse_amount
    from tests.test_amount_entry import ACCEPTED, REFUSED

    sign_in_at(page, pay_server)
    add_to_cart(page, pay_server, "E2E-AMT")
    page.goto(pay_server.url + "/cart")
    for language, typed, *_ in ACCEPTED + REFUSED:
        currency = "PLN" if language == "pl" else "NOK"
        try:
            expected = int(parse_amount(typed, language, currency) * 100)
        except AmountRefused:
            expected = None
        if expected is not None and expected <= 0:
            continue
        got = page.evaluate("([t, l, c]) => window.settleParseAmount(t, l, c)",
                            [typed, language, sorted(currency_tokens(currency))])
        assert got == expected, (language, typed)
    amount = page.get_by_label("Amount to pay for E2E-AMT")
    amount.fill("1.234,50")
    expect(page.locator("#cart-total")).to_have_text("NOK\u00a01,234.50")
    amount.fill("1.234")
    expect(page.locator("#cart-total")).to_have_text("NOK\u00a00.00")
    expect(page.locator("#cart-total-note")).to_have_text("Excludes E2E-AMT: correct the amount marked above.")
    expect(amount).to_have_attribute("aria-invalid", "true")
    amount.fill("NOK 1,000")
    expect(page.locator("#cart-total")).to_have_text("NOK\u00a01,000.00")
    expect(page.locator("#cart-total-note")).to_have_text("")
    # Empty cart asks first, in place; Keep the cart leaves it as it was.
    page.get_by_role("link", name="Empty cart").click()
    expect(page.get_by_role("button", name="Yes, empty the cart")).to_be_focused()
    expect(page.get_by_role("group", name="Empty the cart? Its 1 line will be removed.")).to_be_visible()
    assert_accessible(page, "Empty cart asking first")
    page.get_by_role("link", name="Keep the cart").click()
    expect(page.get_by_label("Amount to pay for E2E-AMT")).to_be_visible()
