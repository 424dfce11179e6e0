"""What a user may do: the role rule of the whole portal, in one place (as `Invoice.visible_to` is the rule of
what a user may see).

Actions are named here; `may(user, action)` answers for every page (what is offered) and every view (what is
refused with 403). Today every signed-in user may do everything; company roles (Admin, Payer, Buyer, Viewer)
decide it once they are stored with the user.
"""
from __future__ import annotations

PAY = "pay"  # put invoices in the cart and pay them
ORDER = "order"  # order products
REQUEST = "request"  # ask for invoice copies and statements
MANAGE_USERS = "manage_users"  # invite users, change roles, deactivate
SEE_ACTIVITY = "see_activity"  # the company's activity log
ACTIONS = (PAY, ORDER, REQUEST, MANAGE_USERS, SEE_ACTIVITY)


def may(user, action: str) -> bool:
    """Whether `user` may do `action`."""
    if action not in ACTIONS:
        raise ValueError(f"unknown action {action!r}")
    return bool(user is not None and getattr(user, "is_authenticated", False))
