"""What a user may do: the role rule of the whole portal, in one place (as `Invoice.visible_to` is the rule of
what a user may see).

Every user of a customer company has one or more roles (SPEC "Users of a customer company"):

| role   | may                                                                      |
|--------|--------------------------------------------------------------------------|
| admin  | manage the company's users (invite, change roles, deactivate), see its activity log |
| payer  | pay invoices (put them in the cart, Pay selected, Pay all overdue, check out)      |
| buyer  | order products (add them to the cart, place orders)                               |
| viewer | see invoices, request copies and statements — what every role may do              |

Everyone sees what the visibility rule allows; roles decide only what they may *do*. A deactivated user may do
nothing. `may(user, action)` answers for every page (what is offered) and every view (what is refused with 403,
views/permissions.py).
"""
from __future__ import annotations

PAY = "pay"  # put invoices in the cart and pay them
ORDER = "order"  # order products
REQUEST = "request"  # ask for invoice copies and statements
MANAGE_USERS = "manage_users"  # invite users, change roles, deactivate
SEE_ACTIVITY = "see_activity"  # the company's activity log
ACTIONS = (PAY, ORDER, REQUEST, MANAGE_USERS, SEE_ACTIVITY)

ADMIN, PAYER, BUYER, VIEWER = "admin", "payer", "buyer", "viewer"
ROLES = (ADMIN, PAYER, BUYER, VIEWER)  # in the order pages list them
DEFAULT_ROLES = frozenset({ADMIN, PAYER, BUYER})  # a user imported without roles

# The role an action needs; None: any role.
NEEDS = {PAY: PAYER, ORDER: BUYER, REQUEST: None, MANAGE_USERS: ADMIN, SEE_ACTIVITY: ADMIN}


def parse_roles(text) -> frozenset:
    """The roles stored as text ("admin,payer"); unknown names are ignored."""
    return frozenset(name for name in (text or "").split(",") if name in ROLES)


def roles_text(roles) -> str:
    """How a set of roles is stored: sorted, comma-separated."""
    return ",".join(sorted(set(roles)))


def ordered(roles) -> list[str]:
    """The roles in the order pages show them."""
    return [role for role in ROLES if role in roles]


def may(user, action: str) -> bool:
    """Whether `user` may do `action`."""
    if action not in ACTIONS:
        raise ValueError(f"unknown action {action!r}")
    if user is None or not getattr(user, "is_authenticated", False) or not getattr(user, "active", True):
        return False
    roles = parse_roles(getattr(user, "roles", None))
    needed = NEEDS[action]
    return bool(roles) if needed is None else needed in roles
