"""The cart, on SQLite and PostgreSQL: what goes in, what amounts are accepted, and what is refused with why.

World (tests/world.py): D-001 is 1250.00 NOK billed to DIST-1 inside its 2 % cash-discount window
(pay 1225.00, save 25.00); D-004 has 1000.00 left; D-003 is paid; I-* are IND-1's PLN invoices.
"""
import re
from decimal import Decimal

import pytest

from tests.world import USERS
from models.signed_in import signed_in_user

HTMX = {"HX-Request": "true"}


@pytest.fixture
def ctx(app, world):
    """A request context with an open connection, for model-level tests."""
    from models import db

    with app.test_request_context():
        db.connect(reuse_if_open=True)
        yield app
        db.close()


def user(who):
    from models.customer import User

    return signed_in_user(User.get(User.email == USERS[who][0]).id)


def invoice(number):
    from models.invoice import Invoice

    return Invoice.get(Invoice.number == number)


def product(item):
    from models.product import Product

    return Product.get(Product.item == item)


def fresh_cart(who):
    from models.cart import Cart

    return Cart.for_user(user(who))


# ---------------------------------------------------------------------------------- model


def test_cart_is_kept_per_user_and_counted_in_one_query(ctx, count_queries):
    from models.cart import Cart

    kari, ola = user("kari"), user("ola")
    Cart.for_user(kari).add_invoice(invoice("D-001"), kari)
    Cart.for_user(kari).add_invoice(invoice("R1-001"), kari)
    assert Cart.count_lines_for(kari) == 2
    assert Cart.count_lines_for(ola) == 0, "a colleague has a cart of their own"
    del count_queries.statements[:]
    assert Cart.count_lines_for(kari) == 2
    assert len(count_queries) == 1
    again = Cart.for_user(kari)
    assert [line.invoice.number for line in again.invoice_lines()] == ["D-001", "R1-001"]
    assert again.kind == "invoices" and again.currency == "NOK"


def test_default_amount_is_the_discounted_balance_while_the_discount_is_open(ctx):
    cart = fresh_cart("kari")
    with_discount = cart.add_invoice(invoice("D-001"))
    without = cart.add_invoice(invoice("R1-001"))  # RET-1 has no cash discount
    assert with_discount.amount == Decimal("1225.00")
    assert without.amount == Decimal("1250.00")
    assert cart.total == Decimal("2475.00")


def test_an_invoice_goes_in_once_and_only_with_a_balance(ctx):
    from models.cart import CartError

    cart = fresh_cart("kari")
    first = cart.add_invoice(invoice("D-004"))
    second = cart.add_invoice(invoice("D-004"))
    assert first.id == second.id and len(cart) == 1
    assert first.amount == Decimal("1000.00")
    with pytest.raises(CartError, match="paid in full"):
        cart.add_invoice(invoice("D-003"))
    assert len(cart) == 1


def test_another_companys_invoice_cannot_be_added(ctx):
    from models.invoice import Invoice

    cart = fresh_cart("kari")
    with pytest.raises(Invoice.DoesNotExist):
        cart.add_invoice(invoice("R2-001"))  # billed to RET-2: sara's, not kari's
    with pytest.raises(Invoice.DoesNotExist):
        cart.add_invoice(invoice("I-001"))
    assert len(cart) == 0


VALID = [
    ("500", "500.00"), ("500.5", "500.50"), ("500,50", "500.50"), ("1 000.00", "1000.00"),
    ("0.01", "0.01"), ("1224.99", "1224.99"),
    # From the discounted balance up to the balance: paid in full with the discount.
    ("1225", "1225.00"), ("1240", "1225.00"), ("1250.00", "1225.00"),
]
WRONG = [
    ("0", "greater than zero"), ("0.00", "greater than zero"), ("-5", "greater than zero"),
    ("1250.01", "at most the balance"), ("99999999", "at most the balance"),
    ("1e9", "Enter a number"), ("1E3", "Enter a number"), ("12.345", "at most 2 decimals"),
    ("abc", "Enter a number"), ("NaN", "Enter a number"), ("inf", "Enter a number"), ("", "Enter the amount"),
    ("1.2.3", "Enter a number"), ("12,5,0", "Enter a number"), ("9" * 41, "Enter a number"),
]


def test_valid_amounts(ctx):
    cart = fresh_cart("kari")
    line = cart.add_invoice(invoice("D-001"))
    for text, stored in VALID:
        assert cart.set_amount(line.id, text).amount == Decimal(stored), text


def test_wrong_amounts_are_refused_and_change_nothing(ctx):
    from models.cart import CartError

    cart = fresh_cart("kari")
    line = cart.add_invoice(invoice("D-001"))
    version = fresh_cart("kari").version
    for text, message in WRONG:
        with pytest.raises(CartError) as refused:
            cart.set_amount(line.id, text)
        assert message in refused.value.message, text
        again = fresh_cart("kari")
        assert again.invoice_lines()[0].amount == Decimal("1225.00"), text
        assert again.version == version, text


def test_over_balance_message_names_the_balance(ctx):
    from models.cart import CartError

    cart = fresh_cart("kari")
    line = cart.add_invoice(invoice("D-004"))
    with pytest.raises(CartError) as refused:
        cart.set_amount(line.id, "1000.01")
    assert "1,000.00" in refused.value.message


def test_set_amounts_is_all_or_nothing(ctx):
    cart = fresh_cart("kari")
    a = cart.add_invoice(invoice("D-001"))
    b = cart.add_invoice(invoice("D-004"))
    errors = cart.set_amounts({a.id: "100", b.id: "abc"})
    assert set(errors) == {b.id}
    lines = fresh_cart("kari").invoice_lines()
    assert [line.amount for line in lines] == [Decimal("1225.00"), Decimal("1000.00")]
    assert cart.set_amounts({a.id: "100", b.id: "200,5"}) == {}
    assert [line.amount for line in fresh_cart("kari").invoice_lines()] == [Decimal("100.00"), Decimal("200.50")]


def test_invoices_and_products_never_share_a_cart(ctx):
    from models.cart import CartError

    cart = fresh_cart("kari")
    cart.add_invoice(invoice("D-001"))
    with pytest.raises(CartError) as refused:
        cart.add_product(product("A-100"), "2")
    assert "holds invoices" in refused.value.message and "empty the cart" in refused.value.message
    assert fresh_cart("kari").kind == "invoices" and len(fresh_cart("kari")) == 1

    other = fresh_cart("ola")
    other.add_product(product("A-100"), "2")
    with pytest.raises(CartError) as refused:
        other.add_invoice(invoice("D-001"))
    assert "holds products" in refused.value.message and "empty the cart" in refused.value.message
    assert fresh_cart("ola").kind == "products" and len(fresh_cart("ola")) == 1


def test_one_currency_per_cart(ctx):
    from models.cart import CartError
    from models.invoice import Invoice

    euro = invoice("R1-001")
    copy = Invoice.create(number="R1-EUR", invoice_account=euro.invoice_account_id,
                          order_account=euro.order_account_id, invoice_date=euro.invoice_date,
                          due_date=euro.due_date, currency="EUR", total=Decimal("80.00"), balance=Decimal("80.00"))
    cart = fresh_cart("kari")
    cart.add_invoice(invoice("D-001"))
    with pytest.raises(CartError) as refused:
        cart.add_invoice(copy)
    assert "NOK" in refused.value.message and "EUR" in refused.value.message
    assert len(fresh_cart("kari")) == 1
    products = fresh_cart("ola")
    products.add_product(product("A-100"), "1")
    with pytest.raises(CartError, match="PLN"):
        products.add_product(product("P-100"), "1")


def test_products_add_up_and_quantities_are_checked(ctx):
    from models.cart import CartError

    cart = fresh_cart("ola")
    cart.add_product(product("A-100"), "2")
    line = cart.add_product(product("A-100"), "3")
    assert line.quantity == 5 and line.amount == Decimal("645.00")
    for wrong in ("0", "-1", "1.5", "abc", "10000", ""):
        with pytest.raises(CartError):
            cart.add_product(product("A-100"), wrong)
    assert fresh_cart("ola").product_lines()[0].quantity == 5


def test_remove_and_clear(ctx):
    cart = fresh_cart("kari")
    a = cart.add_invoice(invoice("D-001"))
    cart.add_invoice(invoice("D-004"))
    cart.remove_line(a.id)
    assert [line.invoice.number for line in fresh_cart("kari").lines()] == ["D-004"]
    cart.clear()
    assert fresh_cart("kari").kind is None


@pytest.mark.parametrize("balance, percent, discount, pay", [
    ("1250.00", "2", "25.00", "1225.00"),
    ("333.33", "2", "6.67", "326.66"),     # 6.6666 rounds up
    ("100.25", "2", "2.01", "98.24"),      # 2.005: half-up, not half-even
    ("100.24", "2.5", "2.51", "97.73"),    # 2.506
    ("0.40", "1", None, None),             # 0.004 rounds to nothing: no discount offered
])
def test_discount_math_and_rounding(ctx, balance, percent, discount, pay):
    from models.cart import allocate

    inv = invoice("D-001")
    inv.balance = Decimal(balance)
    inv.discount_percent = Decimal(percent)
    offer = inv.cash_discount()
    if discount is None:
        assert offer is None
        assert allocate(inv, Decimal(balance)).discount == 0
        return
    assert (offer.amount, offer.pay_amount) == (Decimal(discount), Decimal(pay))
    full = allocate(inv, Decimal(pay))
    assert (full.charge, full.discount, full.settles) == (Decimal(pay), Decimal(discount), Decimal(balance))
    part = allocate(inv, Decimal(pay) - Decimal("0.01"))
    assert part.discount == 0, "a partial payment takes no discount"


def test_no_discount_after_the_discount_date(ctx):
    from datetime import timedelta

    from models.cart import allocate

    inv = invoice("D-001")
    late = inv.discount_until + timedelta(days=1)
    assert inv.cash_discount(late) is None
    assert allocate(inv, Decimal("1250.00"), late).discount == 0
    assert inv.cash_discount(inv.discount_until) is not None, "on the discount date itself it still applies"


# ---------------------------------------------------------------------------------- HTTP


def test_pay_invoice_button_adds_in_place_and_updates_the_header(world, client, auth):
    auth.login("kari")
    page = client.get("/invoices?status=unpaid").get_data(as_text=True)
    assert "Pay invoice" in page and "Cart <span class=\"count\">(0)</span>" in page
    response = client.post("/cart/invoices", data={"invoice": "D-001"}, headers=HTMX)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "In cart" in html and "Pay invoice" not in html
    assert re.search(r'id="cart-link"[^>]*hx-swap-oob="true"[^>]*>Cart <span class="count">\(1\)', html)
    assert "aria-current" not in html.split('id="cart-link"')[1].split(">")[0], "the list is not the cart page"
    detail = client.get("/invoices/D-001").get_data(as_text=True)
    assert "In cart" in detail and "Cart <span class=\"count\">(1)</span>" in detail
    # A second click changes nothing.
    client.post("/cart/invoices", data={"invoice": "D-001"}, headers=HTMX)
    assert "(1)" in client.get("/cart").get_data(as_text=True)


def test_pay_invoice_without_javascript_redirects_back(world, client, auth):
    auth.login("kari")
    response = client.post("/cart/invoices", data={"invoice": "D-001"},
                           headers={"Referer": "http://localhost/invoices?status=unpaid"})
    assert response.status_code == 303 and response.headers["Location"] == "/invoices?status=unpaid"
    page = client.get("/invoices?status=unpaid").get_data(as_text=True)
    assert "Invoice D-001 is in your cart." in page
    response = client.post("/cart/invoices", data={"invoice": "D-004"},
                           headers={"Referer": "https://evil.example/phish"})
    assert response.headers["Location"] == "/cart"


def test_no_pay_button_without_a_balance(world, client, auth):
    auth.login("kari")
    assert "Pay invoice" not in client.get("/invoices/D-003").get_data(as_text=True)
    assert "Pay invoice" in client.get("/invoices/D-004").get_data(as_text=True)
    response = client.post("/cart/invoices", data={"invoice": "D-003"}, headers=HTMX)
    assert response.status_code == 409 and "paid in full" in response.get_data(as_text=True)
    assert response.headers["HX-Retarget"] == "#messages"


@pytest.mark.parametrize("number", ["R2-001", "I-001", "NOPE", "", "x" * 300])
def test_another_companys_invoice_answers_404(world, client, auth, number):
    auth.login("kari")
    assert client.post("/cart/invoices", data={"invoice": number}).status_code == 404
    assert "(0)" in client.get("/cart").get_data(as_text=True)


def test_cart_page_lists_invoices_with_labelled_amounts(world, client, auth):
    auth.login("kari")
    client.post("/cart/invoices", data={"invoice": "D-001"})
    client.post("/cart/invoices", data={"invoice": "D-004"})
    html = client.get("/cart").get_data(as_text=True)
    assert "<h1>Cart</h1>" in html
    assert "Amount to pay for D-001" in html and "Amount to pay for D-004" in html
    assert html.count('inputmode="decimal"') == 2
    assert "Remove D-001" in html and "Check out" in html
    assert 'value="1225.00"' in html and 'value="1000.00"' in html
    assert "saves NOK\u00a025.00" in html
    assert "NOK\u00a02,225.00" in html  # the total


def test_changing_an_amount_in_place(world, client, auth):
    from models import db
    from models.cart import CartLine

    auth.login("kari")
    client.post("/cart/invoices", data={"invoice": "D-001"})
    with db.connection_context():
        line_id = CartLine.select().get().id
    ok = client.post(f"/cart/lines/{line_id}/amount", data={f"amount-{line_id}": "400,5"}, headers=HTMX)
    html = ok.get_data(as_text=True)
    assert ok.status_code == 200 and 'value="400.50"' in html
    assert re.search(r'id="cart-total" hx-swap-oob="true"[^>]*>NOK\u00a0400.50', html)
    for wrong, message in [("0", "greater than zero"), ("2000", "at most the balance"), ("1.001", "2 decimals"),
                           ("abc", "Enter a number")]:
        bad = client.post(f"/cart/lines/{line_id}/amount", data={f"amount-{line_id}": wrong}, headers=HTMX)
        html = bad.get_data(as_text=True)
        assert bad.status_code == 422, wrong
        assert message in html and 'aria-invalid="true"' in html and f'value="{wrong}"' in html
    with db.connection_context():
        assert CartLine.get_by_id(line_id).amount == Decimal("400.50"), "a wrong amount saved nothing"


def test_cart_form_without_javascript_is_all_or_nothing_then_checks_out(world, client, auth):
    from models import db
    from models.cart import CartLine

    auth.login("kari")
    client.post("/cart/invoices", data={"invoice": "D-001"})
    client.post("/cart/invoices", data={"invoice": "D-004"})
    with db.connection_context():
        a, b = [line.id for line in CartLine.select().order_by(CartLine.id)]
    bad = client.post("/cart", data={f"amount-{a}": "10", f"amount-{b}": "-1", "action": "checkout"})
    assert bad.status_code == 422 and "greater than zero" in bad.get_data(as_text=True)
    with db.connection_context():
        assert CartLine.get_by_id(a).amount == Decimal("1225.00")
    good = client.post("/cart", data={f"amount-{a}": "10", f"amount-{b}": "20", "action": "checkout"})
    assert good.status_code == 303 and good.headers["Location"] == "/checkout"
    with db.connection_context():
        assert CartLine.get_by_id(a).amount == Decimal("10.00")


def test_remove_line_in_place_updates_the_count(world, client, auth):
    from models import db
    from models.cart import CartLine

    auth.login("kari")
    client.post("/cart/invoices", data={"invoice": "D-001"})
    client.post("/cart/invoices", data={"invoice": "D-004"})
    with db.connection_context():
        first = CartLine.select().order_by(CartLine.id).first().id
    html = client.post(f"/cart/lines/{first}/remove", headers={**HTMX, "HX-Current-URL": "http://localhost/cart"}
                       ).get_data(as_text=True)
    assert "Remove D-001" not in html and "Remove D-004" in html
    assert re.search(r'id="cart-link"[^>]*>Cart <span class="count">\(1\)', html)
    assert client.post(f"/cart/lines/{first}/remove").status_code == 404


def test_someone_elses_cart_line_answers_404(world, client, auth, app):
    from models import db
    from models.cart import CartLine

    auth.login("ola")
    client.post("/cart/invoices", data={"invoice": "D-001"})
    with db.connection_context():
        line_id = CartLine.select().get().id
    auth.logout()
    auth.login("kari")
    assert client.post(f"/cart/lines/{line_id}/amount", data={"amount": "1"}).status_code == 404
    assert client.post(f"/cart/lines/{line_id}/remove").status_code == 404
    with db.connection_context():
        assert CartLine.get_by_id(line_id).amount == Decimal("1225.00")


def test_exclusivity_over_http_both_ways(world, client, auth):
    auth.login("kari")
    client.post("/cart/invoices", data={"invoice": "D-001"})
    refused = client.post("/cart/products", data={"product": "A-100", "quantity": "1"}, headers=HTMX)
    assert refused.status_code == 422
    assert "holds invoices to pay" in refused.get_data(as_text=True)
    client.post("/cart/clear")
    added = client.post("/cart/products", data={"product": "A-100", "quantity": "2"}, headers=HTMX)
    assert added.status_code == 200 and "In your cart: 2" in added.get_data(as_text=True)
    refused = client.post("/cart/invoices", data={"invoice": "D-001"}, headers=HTMX)
    assert refused.status_code == 409 and "holds products" in refused.get_data(as_text=True)
    html = client.get("/cart").get_data(as_text=True)
    assert "Quantity for Pallet wrap" in html and "Remove A-100" in html and "Amount to pay for" not in html


def test_products_page_shows_the_catalogue_in_the_customers_currency(world, client, auth):
    auth.login("kari")
    html = client.get("/products").get_data(as_text=True)
    assert "<h1>Products</h1>" in html
    assert "Quantity for Pallet wrap" in html and "Add Pallet wrap to cart" in html
    assert "Folia stretch" not in html
    auth.logout()
    auth.login("anna")
    html = client.get("/products").get_data(as_text=True)
    assert "Add Folia stretch to cart" in html and "Pallet wrap" not in html


def test_unknown_product_and_bad_quantity(world, client, auth):
    auth.login("kari")
    assert client.post("/cart/products", data={"product": "NOPE", "quantity": "1"}).status_code == 404
    bad = client.post("/cart/products", data={"product": "A-100", "quantity": "abc"}, headers=HTMX)
    assert bad.status_code == 422 and "whole number" in bad.get_data(as_text=True)
    assert "(0)" in client.get("/cart").get_data(as_text=True)


def test_empty_cart_page_and_checkout_redirect(world, client, auth):
    auth.login("kari")
    assert "Your cart is empty." in client.get("/cart").get_data(as_text=True)
    response = client.get("/checkout")
    assert response.status_code == 303 and response.headers["Location"] == "/cart"


def test_cart_needs_sign_in(world, client):
    assert client.get("/cart").status_code == 302
    assert client.post("/cart/invoices", data={"invoice": "D-001"}).status_code == 303
