"""The users of a customer company as its Admins manage them: who they are, their roles, deactivation.

The rule the company always keeps: at least one active Admin. Every change takes the company's row lock first
(so two Admins demoting each other at the same moment are checked one after the other), is refused with a
`Refusal` before anything is written, and is recorded in the activity log in the same transaction.
"""
from __future__ import annotations

from . import lock_rows, write_transaction
from .activity import DEACTIVATED, REACTIVATED, ROLES_CHANGED, record
from .sessions import end_every_session
from .customer import Customer, User
from .refusal import Refusal
from .roles import ADMIN, ROLES, ordered, parse_roles, roles_text


class UserRefused(Refusal):
    """A change to a company's users the rules refuse; nothing was changed (the sentence: i18n/refusals.py)."""


def valid_id(value) -> int | None:
    """A row id from a URL or form, or None (not a number, or beyond what an id column holds)."""
    try:
        value = int(value)
    except (TypeError, ValueError, OverflowError):
        return None
    return value if 0 < value < 2**31 else None


def company_users(customer_id: int) -> list[User]:
    """Every user of the company, active first, by name."""
    return list(User.select().where(User.customer == customer_id)
                .order_by(User.active.desc(), User.name, User.email))


def company_user(admin: User, user_id) -> User:
    """A user of `admin`'s company; User.DoesNotExist for anyone else's (views answer 404)."""
    user_id = valid_id(user_id)
    if user_id is None:
        raise User.DoesNotExist(user_id)
    return User.get((User.id == user_id) & (User.customer == admin.customer_id))


def clean_roles(names) -> frozenset:
    """The roles chosen in a form or file: a non-empty set of known roles, else UserRefused."""
    chosen = frozenset(name for name in names if name in ROLES)
    if not chosen or len(chosen) != len(set(names)):
        raise UserRefused("roles_none", "roles")
    return chosen


def _other_active_admins(customer_id: int, user_id: int) -> int:
    return (User.select().where(User.customer == customer_id, User.id != user_id, User.active == True,  # noqa: E712
                                User.roles.contains(ADMIN)).count())


def _lock_company(customer_id: int) -> None:
    lock_rows(Customer.select(Customer.id).where(Customer.id == customer_id)).execute()


def change_roles(admin: User, user_id, names) -> User:
    """Give a user of the admin's company exactly the roles `names`."""
    roles = clean_roles(names)
    with write_transaction():
        _lock_company(admin.customer_id)
        user = company_user(admin, user_id)
        before = parse_roles(user.roles)
        if before == roles:
            return user
        if ADMIN in before and ADMIN not in roles and user.active and \
                not _other_active_admins(admin.customer_id, user.id):
            raise UserRefused("last_admin", "roles", email=user.email)
        user.roles = roles_text(roles)
        user.save(only=[User.roles])
        record(ROLES_CHANGED, admin, target=user.email, before=ordered(before), after=ordered(roles))
    return user


def set_active(admin: User, user_id, active: bool) -> User:
    """Deactivate (signed out at once, cannot sign in) or reactivate a user of the admin's company."""
    with write_transaction():
        _lock_company(admin.customer_id)
        user = company_user(admin, user_id)
        if bool(user.active) == active:
            return user
        if not active:
            if user.id == admin.id:
                raise UserRefused("deactivate_self")
            if ADMIN in parse_roles(user.roles) and not _other_active_admins(admin.customer_id, user.id):
                raise UserRefused("last_admin", email=user.email)
        user.active = active
        user.save(only=[User.active])
        if not active:  # every session and remember cookie ends, and stays ended after a reactivation
            end_every_session(user.id)
        record(REACTIVATED if active else DEACTIVATED, admin, target=user.email)
    return user
