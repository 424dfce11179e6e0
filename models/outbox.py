"""Emails the portal queues for the job to send (services/request_job.py), other than B2B requests:
invitations, password resets, payment confirmations, …

`OutboxEmail.queue()` writes the email inside the caller's transaction, so an email exists exactly when the act
that causes it was committed, and the job sends it at most once (models/delivery.py). The message is composed
when it is sent, in `locale`, by the composer registered for its `kind` (services/request_job.py: COMPOSERS),
from `payload` — ids and tokens, never a rendered message.
"""
from __future__ import annotations

import json

from peewee import CharField, DateTimeField, ForeignKeyField, TextField

from . import clock
from .customer import User
from .delivery import Deliverable


class OutboxEmail(Deliverable):
    kind = CharField(max_length=30)
    to = CharField(max_length=254)
    locale = CharField(max_length=10, default="en")
    user = ForeignKeyField(User, null=True, backref="outbox_emails", on_delete="CASCADE")
    payload = TextField(default="{}")
    created_at = DateTimeField(default=clock.utcnow)

    class Meta:
        table_name = "outbox_email"
        indexes = ((("status", "next_attempt_at"), False),)

    @classmethod
    def queue(cls, kind: str, to: str, locale: str, user: User | None = None, **payload) -> "OutboxEmail":
        """Queue an email; call it inside the transaction of the act it reports."""
        return cls.create(kind=kind, to=to, locale=locale, user=user.id if user else None,
                          payload=json.dumps(payload, sort_keys=True, default=str))

    @property
    def data(self) -> dict:
        return json.loads(self.payload or "{}")
