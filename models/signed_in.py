"""The signed-in user as every request loads them: with their customer, its invoice account (the organization
account), what is in their cart and whether their session was ended, in one query (Flask-Login's user loader,
views/sessions.py)."""
from __future__ import annotations

from datetime import timedelta

from peewee import JOIN, fn

from .cart import Cart
from .customer import Customer, User
from .sessions import EndedSession, SessionKey
from .statements import param, statement

Org = Customer.alias()
USER_FIELDS = User._meta.sorted_fields
CUSTOMER_FIELDS = Customer._meta.sorted_fields
_GENERATION = [field.name for field in USER_FIELDS].index("session_generation")


def _query():
    lines, invoices = Cart.contents_columns(User.id)
    ended = fn.EXISTS(EndedSession.select(EndedSession.nonce).where(EndedSession.nonce == param("nonce")))
    return (User.select(*USER_FIELDS, *CUSTOMER_FIELDS, *(getattr(Org, f.name) for f in CUSTOMER_FIELDS),
                        lines, invoices, ended)
            .join(Customer, on=(User.customer == Customer.id))
            .join(Org, JOIN.LEFT_OUTER, on=(Customer.invoice_account == Org.id))
            .where(User.id == param("id"), User.active == True))  # noqa: E712 - deactivated: signed out


def _model(model, fields, values):
    return model(**{field.name: value for field, value in zip(fields, values)})


def signed_in_user(user_id, _session: SessionKey | None = None) -> User | None:
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
    row = statement("signed-in-user", _query, fields=fields + [None, None, None]).one(
        id=user_id, nonce=_session.nonce if _session else None)
    if row is None:
        return None
    if _session is not None and (row[-1] or _session.generation != row[_GENERATION]):
        return None  # signed out, or every session of the user was ended
    n_user, n_customer = len(USER_FIELDS), len(CUSTOMER_FIELDS)
    user = _model(User, USER_FIELDS, row[:n_user])
    customer = _model(Customer, CUSTOMER_FIELDS, row[n_user:n_user + n_customer])
    organization = row[n_user + n_customer:n_user + 2 * n_customer]
    customer.invoice_account = _model(Customer, CUSTOMER_FIELDS, organization) if organization[0] else None
    user.customer = customer
    user.cart_contents = Cart.contents_from(*row[-3:-1])
    return user


def session_user(session_id, lifetime: timedelta, kept_lifetime: timedelta) -> User | None:
    """The user whose session or remember cookie carries `session_id` (models/sessions.py: SessionKey), or None
    when it is not a session key, has outlived its absolute lifetime (`kept_lifetime` for "Keep me signed in"),
    was signed out, or was made before the user's sessions were ended."""
    key = SessionKey.parse(session_id)
    if key is None or key.expired(kept_lifetime if key.kept else lifetime):
        return None
    user = signed_in_user(key.user_id, key)
    if user is not None:
        user.session_key = str(key)
    return user
