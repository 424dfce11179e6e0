"""The signed-in user as every request loads them: with their customer, its invoice account (the organization
account) and what is in their cart, in one query (Flask-Login's user loader, app.py)."""
from __future__ import annotations

from peewee import JOIN

from .cart import Cart
from .customer import Customer, User


def signed_in_user(user_id) -> User | None:
    """The user `user_id` (as stored in the session), or None.

    Every page's header shows the cart's count and every Pay invoice button asks whether its invoice is in the
    cart, so `user.cart_contents` is (lines in the cart, ids of its invoices).
    """
    try:
        user_id = int(user_id)
    except (ValueError, TypeError, OverflowError):
        return None
    if not -(2**63) <= user_id < 2**63:
        return None
    Org = Customer.alias()
    lines, invoices = Cart.contents_columns(User.id)
    user = (User.select(User, Customer, Org, lines.alias("cart_lines"), invoices.alias("cart_invoices"))
            .join(Customer, on=(User.customer == Customer.id))
            .join(Org, JOIN.LEFT_OUTER, on=(Customer.invoice_account == Org.id), attr="invoice_account")
            .where(User.id == user_id)
            .first())
    if user is None:
        return None
    if user.customer.invoice_account_id is None:
        user.customer.invoice_account = None
    user.cart_contents = Cart.contents_from(user.cart_lines, user.cart_invoices)
    return user
