"""The signed-in user as every request loads them: with their customer, its invoice account (the organization
account) and what is in their cart, in one query (Flask-Login's user loader, app.py)."""
from __future__ import annotations

from peewee import JOIN

from .cart import Cart
from .customer import Customer, User
from .statements import param, statement

Org = Customer.alias()
USER_FIELDS = User._meta.sorted_fields
CUSTOMER_FIELDS = Customer._meta.sorted_fields


def _query():
    lines, invoices = Cart.contents_columns(User.id)
    return (User.select(*USER_FIELDS, *CUSTOMER_FIELDS, *(getattr(Org, f.name) for f in CUSTOMER_FIELDS),
                        lines, invoices)
            .join(Customer, on=(User.customer == Customer.id))
            .join(Org, JOIN.LEFT_OUTER, on=(Customer.invoice_account == Org.id))
            .where(User.id == param("id"), User.active == True))  # noqa: E712 - deactivated: signed out


def _model(model, fields, values):
    return model(**{field.name: value for field, value in zip(fields, values)})


def signed_in_user(user_id) -> User | None:
    """The user `user_id` (as stored in the session), or None (also when the user was deactivated).

    Every page's header shows the cart's count and every Pay invoice button asks whether its invoice is in the
    cart, so `user.cart_contents` is (lines in the cart, ids of its invoices). Every request runs this, so the
    query is built once (models/statements.py).
    """
    try:
        user_id = int(user_id)
    except (ValueError, TypeError, OverflowError):
        return None
    if not -(2**63) <= user_id < 2**63:
        return None
    fields = [*USER_FIELDS, *CUSTOMER_FIELDS, *CUSTOMER_FIELDS]
    row = statement("signed-in-user", _query, fields=fields + [None, None]).one(id=user_id)
    if row is None:
        return None
    n_user, n_customer = len(USER_FIELDS), len(CUSTOMER_FIELDS)
    user = _model(User, USER_FIELDS, row[:n_user])
    customer = _model(Customer, CUSTOMER_FIELDS, row[n_user:n_user + n_customer])
    organization = row[n_user + n_customer:n_user + 2 * n_customer]
    customer.invoice_account = _model(Customer, CUSTOMER_FIELDS, organization) if organization[0] else None
    user.customer = customer
    user.cart_contents = Cart.contents_from(*row[-2:])
    return user
