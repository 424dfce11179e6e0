"""The cart form without JavaScript stays linear in its lines (a constant number of statements whatever the number
of lines: measured with query counts, not timings), and the product checkout refuses a cart that changed after
the buyer opened it."""
from __future__ import annotations

import re

import pytest

from tests.test_orders import fill


def _product_cart(app, lines: int) -> dict:
    """kari's cart with `lines` product lines (one product each); returns the form the cart page would post."""
    from models import db
    from models.cart import Cart, CartLine
    from models.customer import User
    from models.product import Product
    from tests.world import USERS

    with app.app_context(), db.connection_context():
        Product.insert_many([{"item": f"Z-{n:05d}", "name": f"Thing {n}", "price": "2.50", "currency": "NOK"}
                             for n in range(lines)]).execute()
        cart = Cart.for_user(User.get(User.email == USERS["kari"][0]))
        ids = [p.id for p in Product.select(Product.id).where(Product.item.startswith("Z-")).order_by(Product.id)]
        CartLine.insert_many([{"cart": cart.id, "product": pid, "quantity": 1, "amount": "2.50"} for pid in ids]).execute()
        return {f"quantity-{line.id}": "3" for line in CartLine.select(CartLine.id).where(CartLine.cart == cart.id)}


def _invoice_cart(app, lines: int) -> dict:
    from models import db
    from models.cart import Cart, CartLine
    from models.customer import Customer, User
    from models.importer import import_data
    from models.invoice import Invoice
    from tests.world import USERS

    with app.app_context(), db.connection_context():
        import_data({"invoices": [{"number": f"M-{n:05d}", "invoice_account": "RET-1", "order_account": "RET-1",
                                   "invoice_date": "2026-01-01", "currency": "NOK",
                                   "lines": [{"description": "x", "quantity": "1", "unit_price": "100.00",
                                              "tax_percent": "0"}]} for n in range(lines)]})
        cart = Cart.for_user(User.get(User.email == USERS["kari"][0]))
        rows = Invoice.select(Invoice.id, Invoice.balance).where(Invoice.number.startswith("M-"))
        CartLine.insert_many([{"cart": cart.id, "invoice": row.id, "amount": row.balance} for row in rows]).execute()
        return {f"amount-{line.id}": "50.00" for line in CartLine.select(CartLine.id).where(CartLine.cart == cart.id)}


@pytest.mark.parametrize("kind", ["products", "invoices"])
def test_the_cart_form_costs_the_same_statements_for_20_lines_as_for_400(app, world, client, auth, count_queries,
                                                                          kind):
    from models import db

    auth.login("kari")
    counts = {}
    for lines in (20, 400):
        with app.app_context(), db.connection_context():
            from tests.conftest import empty_database
        empty_database(app)
        with app.app_context(), db.connection_context():
            from models.importer import import_data
            from tests.world import world_payload

            import_data(world_payload())
        auth.login("kari")
        form = _product_cart(app, lines) if kind == "products" else _invoice_cart(app, lines)
        before = len(count_queries)
        response = client.post("/cart", data=form)
        counts[lines] = len(count_queries) - before
        assert response.status_code == 303, response.get_data(as_text=True)[-2000:]
        page = client.get("/cart").get_data(as_text=True)
        assert page.count('value="3"' if kind == "products" else 'value="50.00"') == lines, "every line was saved"
    assert counts[400] <= counts[20] + 2, f"statements for 20 and 400 lines: {counts}"


def test_the_product_checkout_refuses_a_cart_changed_after_it_was_opened(world, client, auth):
    fill("kari", ("A-100", "2"))
    auth.login("kari")
    checkout = client.get("/checkout").get_data(as_text=True)
    version = re.search(r'name="cart_version" value="(\d+)"', checkout)
    assert version, "the Place order form carries the cart's version"
    # In another tab: one more.
    assert client.post("/cart/products", data={"product": "A-100", "quantity": "5"}).status_code == 303
    response = client.post("/orders", data={"payment_method": "on_account", "cart_version": version.group(1)})
    assert response.status_code == 409 or response.status_code == 422
    assert "Your cart changed after you opened the checkout" in response.get_data(as_text=True)
    fresh = re.search(r'name="cart_version" value="(\d+)"', client.get("/checkout").get_data(as_text=True)).group(1)
    assert client.post("/orders", data={"payment_method": "on_account", "cart_version": fresh}).status_code == 303


def test_the_product_checkout_without_a_version_is_refused(world, client, auth):
    """A Place order form that carries no version (an old page, a hand-made form) cannot order a cart the buyer
    never saw: it is refused with the same message."""
    fill("kari", ("A-100", "2"))
    auth.login("kari")
    response = client.post("/orders", data={"payment_method": "on_account"})
    assert "Your cart changed after you opened the checkout" in response.get_data(as_text=True)
