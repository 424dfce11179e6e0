"""Sending something at most once: what B2B requests and queued emails share (models/request.py,
models/outbox.py), and the steps the job takes with each (services/request_job.py).

Each run claims an item with a compare-and-set UPDATE (pending, due, no live claim) in its own short
transaction before it talks to the mail server; a second worker's UPDATE matches no row and it moves on.
The claim is a lease: an item whose worker died while sending is never sent again (nobody knows whether
the mail went out) but marked Failed with that reason. An item whose whole message was handed to the mail
server, which then never answered, is marked Delivery unknown: never retried by the job, resent only by an
operator's decision (`flask --app app resend`).
"""
from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from peewee import CharField, DateTimeField, IntegerField, TextField

from . import BaseModel, clock, write_transaction

PENDING, COMPLETED, FAILED = "pending", "completed", "failed"
# Delivery unknown: the whole message was handed to the mail server, which then did not answer (the connection
# was lost), or the worker died while sending. It may have been delivered, so the job never sends it again; an
# operator may (`flask resend`).
UNKNOWN = "unknown"
STATUSES = (PENDING, COMPLETED, FAILED, UNKNOWN)
# error_kind values: why the last attempt failed (pages say it in words, translated)
TEMPORARY, REFUSED, GAVE_UP, INTERRUPTED, NO_ACCESS = "temporary", "refused", "gave_up", "interrupted", "no_access"
AFTER_DATA = "after_data"

MAX_ATTEMPTS = 5
# Wait after the 1st, 2nd, 3rd and 4th failed attempt; the 5th failure is final.
BACKOFF = (timedelta(minutes=1), timedelta(minutes=5), timedelta(minutes=15), timedelta(hours=1))
# Longer than one message can take (SMTP timeouts are 30 s per step); a claim older than this is dead.
CLAIM_LEASE = timedelta(minutes=10)
MAX_REASON = 500


class Deliverable(BaseModel):
    """The delivery state of something the job sends: not a table of its own."""

    status = CharField(max_length=10, default=PENDING)
    attempts = IntegerField(default=0)
    # `error_kind` picks the sentence a page shows (translated); `last_error` holds the technical detail
    # (the mail server's answer).
    error_kind = CharField(max_length=20, null=True)
    last_error = TextField(null=True)
    next_attempt_at = DateTimeField(default=clock.utcnow)
    completed_at = DateTimeField(null=True)  # when it was sent, or when it was given up
    claim_token = CharField(max_length=32, null=True)
    claimed_until = DateTimeField(null=True)

    @property
    def is_pending(self) -> bool:
        return self.status == PENDING

    @property
    def is_failed(self) -> bool:
        return self.status == FAILED

    @property
    def is_completed(self) -> bool:
        return self.status == COMPLETED

    @property
    def is_unknown(self) -> bool:
        return self.status == UNKNOWN

    # The job's steps ------------------------------------------------------------------------------
    @classmethod
    def due_ids(cls, now: datetime, limit: int) -> list[int]:
        """Pending items whose next attempt is due and that no worker holds, oldest first."""
        return [row.id for row in cls.select(cls.id)
                .where(cls.status == PENDING, cls.next_attempt_at <= now, cls.claim_token.is_null())
                .order_by(cls.next_attempt_at, cls.id)
                .limit(limit)]

    @classmethod
    def claim(cls, item_id: int, now: datetime) -> str | None:
        """Take the item for this worker; None when another worker has it or it is not due."""
        token = uuid.uuid4().hex
        with write_transaction():
            claimed = (cls.update(claim_token=token, claimed_until=now + CLAIM_LEASE, attempts=cls.attempts + 1)
                       .where(cls.id == item_id, cls.status == PENDING, cls.next_attempt_at <= now,
                              cls.claim_token.is_null())
                       .execute())
        return token if claimed == 1 else None

    @classmethod
    def finish(cls, item_id: int, token: str, **changes) -> None:
        """Record the outcome and release the claim, only if the claim is still ours."""
        with write_transaction():
            cls.update(claim_token=None, claimed_until=None, **changes).where(
                cls.id == item_id, cls.claim_token == token).execute()

    @classmethod
    def expire_dead_claims(cls, now: datetime) -> int:
        """Items whose worker died mid-send: whether the message went out is unknown, so they are not sent again
        but marked Delivery unknown, for an operator to check (`flask deliveries-unknown`, `flask resend`)."""
        with write_transaction():
            return (cls.update(status=UNKNOWN, completed_at=now, claim_token=None, claimed_until=None,
                               error_kind=INTERRUPTED, last_error="worker stopped while sending")
                    .where(cls.status == PENDING, cls.claim_token.is_null(False), cls.claimed_until < now)
                    .execute())

    @classmethod
    def unknown(cls) -> list:
        """Items whose delivery is unknown, oldest first: for an operator to check (and maybe resend)."""
        return list(cls.select().where(cls.status == UNKNOWN).order_by(cls.completed_at, cls.id))

    @classmethod
    def resend(cls, item_id: int, now: datetime) -> bool:
        """An operator's deliberate decision to send an item of unknown delivery again: pending and due now,
        its attempts counted afresh. False when the item does not exist or its delivery is not unknown."""
        with write_transaction():
            return (cls.update(status=PENDING, attempts=0, next_attempt_at=now, completed_at=None, error_kind=None,
                               last_error=None, claim_token=None, claimed_until=None)
                    .where(cls.id == item_id, cls.status == UNKNOWN).execute()) == 1

    @classmethod
    def pending_count(cls) -> int:
        return cls.select().where(cls.status == PENDING).count()
