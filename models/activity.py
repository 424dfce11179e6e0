"""The activity log of a customer company: who signed in, paid, ordered, requested, invited, changed roles.

Append-only: `record()` adds a row inside the transaction of the act it describes (so it exists exactly when the
act was committed, and disappears with it when the act is rolled back); nothing here changes or deletes one, and
the database refuses to (migrations/027_activity.py). Admins read it on /account/activity (views/users.py); the
sentence each row reads as is made in i18n/activity.py from its `kind` and `details`.
"""
from __future__ import annotations

import json
from dataclasses import dataclass

from peewee import JOIN, CharField, DateTimeField, ForeignKeyField, TextField

from . import BaseModel, clock
from .customer import Customer, User

SIGN_IN, SIGN_IN_FAILED = "sign_in", "sign_in_failed"
PAYMENT, ORDER = "payment", "order"
REQUEST_COPY, REQUEST_STATEMENT = "request_copy", "request_statement"
INVITATION_SENT, INVITATION_RESENT = "invitation_sent", "invitation_resent"
INVITATION_REVOKED, INVITATION_ACCEPTED = "invitation_revoked", "invitation_accepted"
ROLES_CHANGED, DEACTIVATED, REACTIVATED = "roles_changed", "deactivated", "reactivated"

# What the log can be narrowed to (the page's filter), and the kinds each covers.
GROUPS = {
    "sign_in": (SIGN_IN, SIGN_IN_FAILED),
    "payment": (PAYMENT,),
    "order": (ORDER,),
    "request": (REQUEST_COPY, REQUEST_STATEMENT),
    "users": (INVITATION_SENT, INVITATION_RESENT, INVITATION_REVOKED, INVITATION_ACCEPTED, ROLES_CHANGED,
              DEACTIVATED, REACTIVATED),
}
KINDS = frozenset(kind for kinds in GROUPS.values() for kind in kinds)
PER_PAGE = 50


class Activity(BaseModel):
    customer = ForeignKeyField(Customer, backref="activities", on_delete="RESTRICT", index=False)
    user = ForeignKeyField(User, null=True, backref="activities", on_delete="RESTRICT")  # who did it
    email = CharField(max_length=254)  # who did it (or tried to sign in as), as they were then
    kind = CharField(max_length=30)
    details = TextField(default="{}")
    at = DateTimeField(default=clock.utcnow)

    class Meta:
        table_name = "activity"
        indexes = ((("customer", "id"), False), (("customer", "kind", "id"), False))

    @property
    def data(self) -> dict:
        try:
            return json.loads(self.details or "{}")
        except ValueError:
            return {}

    def save(self, *args, **kwargs):
        if self.id is not None and not kwargs.get("force_insert"):
            raise TypeError("the activity log is append-only")
        return super().save(*args, **kwargs)


def record(kind: str, user=None, *, customer=None, email: str | None = None, **details) -> Activity:
    """Add `kind` done by `user` (a User, or None with `customer` and `email`) to their company's log.

    Call it inside the act's transaction. `details` are what the row shows: numbers, amounts as strings with
    their currency, emails and roles — never a secret.
    """
    if kind not in KINDS:
        raise ValueError(f"unknown activity {kind!r}")
    customer_id = customer if customer is not None else user.customer_id
    customer_id = getattr(customer_id, "id", customer_id)
    return Activity.create(customer=customer_id, user=user.id if user is not None else None,
                           email=email or user.email, kind=kind,
                           details=json.dumps(details, sort_keys=True, default=str))


@dataclass
class ActivityPage:
    entries: list  # Activity with .user_name (None when the user is unknown)
    page: int
    pages: int
    total: int
    group: str | None


def activity_page(customer_id: int, group: str | None = None, page: int = 1, per_page: int = PER_PAGE) -> ActivityPage:
    """One page of a company's log, newest first, narrowed to `group` (a key of GROUPS, or None for all).
    `page` beyond the last gives the last."""
    query = Activity.select().where(Activity.customer == customer_id)
    if group in GROUPS:
        query = query.where(Activity.kind.in_(GROUPS[group]))
    else:
        group = None
    total = query.count()
    pages = max(1, -(-total // per_page))
    page = min(max(1, page), pages)
    rows = list(query.select(Activity, User.name.alias("user_name"))
                .join(User, JOIN.LEFT_OUTER, on=(Activity.user == User.id))
                .order_by(Activity.id.desc()).limit(per_page).offset((page - 1) * per_page).objects())
    return ActivityPage(rows, page, pages, total, group)
