"""B2B requests — a buyer asks the back office for something; here, an invoice copy by email.

A request is created only for an invoice the user may see (`Invoice.get_visible`), and
the job that sends it looks the invoice up through `Invoice.visible_to` again, so an
email never carries an invoice its requester can no longer see.

Delivery is at most once. Each run claims a request with a compare-and-set UPDATE
(status pending, no live claim) in its own short transaction before it talks to the
mail server; a second worker's UPDATE matches no row and it moves on. The claim is a
lease: a request whose worker died while sending is never sent again (nobody knows
whether the mail went out) but marked Failed with that reason, so the user can ask again.
"""
from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from peewee import CharField, DateTimeField, ForeignKeyField, IntegerField, TextField

from . import BaseModel, clock, lock_rows, write_transaction
from .customer import User
from .invoice import Invoice


PENDING, COMPLETED, FAILED = "pending", "completed", "failed"
STATUSES = (PENDING, COMPLETED, FAILED)
TYPE_INVOICE_COPY = "invoice_copy"
# error_kind values
TEMPORARY, REFUSED, GAVE_UP, INTERRUPTED, NO_ACCESS = "temporary", "refused", "gave_up", "interrupted", "no_access"

MAX_ATTEMPTS = 5
# Wait after the 1st, 2nd, 3rd and 4th failed attempt; the 5th failure is final.
BACKOFF = (timedelta(minutes=1), timedelta(minutes=5), timedelta(minutes=15), timedelta(hours=1))
# Longer than one message can take (SMTP timeouts are 30 s per step); a claim older than this is dead.
CLAIM_LEASE = timedelta(minutes=10)
MAX_REASON = 500


class B2BRequest(BaseModel):
    type = CharField(max_length=30, default=TYPE_INVOICE_COPY)
    invoice = ForeignKeyField(Invoice, backref="b2b_requests", on_delete="CASCADE")
    user = ForeignKeyField(User, backref="b2b_requests", on_delete="CASCADE")
    email = CharField(max_length=254)  # where the copy goes: the user's address when asked
    requested_at = DateTimeField(default=clock.utcnow)
    status = CharField(max_length=10, default=PENDING)
    attempts = IntegerField(default=0)
    # Why the last attempt failed: `error_kind` picks the sentence My account shows (translated),
    # `last_error` holds the technical detail (the mail server's answer).
    error_kind = CharField(max_length=20, null=True)
    last_error = TextField(null=True)
    next_attempt_at = DateTimeField(default=clock.utcnow)
    completed_at = DateTimeField(null=True)  # when it was sent, or when it was given up
    claim_token = CharField(max_length=32, null=True)
    claimed_until = DateTimeField(null=True)

    class Meta:
        table_name = "b2b_request"
        indexes = (
            (("status", "next_attempt_at"), False),  # the job's queue
            (("user", "requested_at"), False),  # My account
        )

    @property
    def is_pending(self) -> bool:
        return self.status == PENDING

    @property
    def is_failed(self) -> bool:
        return self.status == FAILED

    @property
    def is_completed(self) -> bool:
        return self.status == COMPLETED

    # Creating ---------------------------------------------------------------------------------
    @classmethod
    def request_invoice_copy(cls, user: User, number: str) -> tuple["B2BRequest", bool]:
        """Ask for a copy of invoice `number` by email to the user's address.

        Returns (request, created). While the same user already has a pending request for
        that invoice it is returned instead of a second one (a double click sends one email).
        Raises Invoice.DoesNotExist when the user may not see the invoice.
        """
        invoice = Invoice.get_visible(user, number)
        with write_transaction():
            # Serialises concurrent requests for one invoice on PostgreSQL; SQLite holds the write lock.
            lock_rows(Invoice.select(Invoice.id).where(Invoice.id == invoice.id)).execute()
            existing = (
                cls.select()
                .where(cls.user == user, cls.invoice == invoice, cls.status == PENDING, cls.email == user.email)
                .first()
            )
            if existing:
                return existing, False
            return cls.create(type=TYPE_INVOICE_COPY, invoice=invoice, user=user, email=user.email), True

    # Reading ----------------------------------------------------------------------------------
    @classmethod
    def for_user(cls, user: User, limit: int = 100):
        """The user's requests, newest first, with the invoice number joined in (one query)."""
        return list(
            cls.select(cls, Invoice.number, Invoice.currency)
            .join(Invoice, on=(cls.invoice == Invoice.id), attr="invoice")
            .where(cls.user == user)
            .order_by(cls.requested_at.desc(), cls.id.desc())
            .limit(limit)
        )


# The job's steps (services/request_job.py runs them) -------------------------------------------------


def claim(request_id: int, now: datetime) -> str | None:
    """Take the request for this worker; None when another worker has it or it is not due."""
    token = uuid.uuid4().hex
    with write_transaction():
        claimed = (
            B2BRequest.update(claim_token=token, claimed_until=now + CLAIM_LEASE,
                              attempts=B2BRequest.attempts + 1)
            .where(
                B2BRequest.id == request_id,
                B2BRequest.status == PENDING,
                B2BRequest.next_attempt_at <= now,
                B2BRequest.claim_token.is_null(),
            )
            .execute()
        )
    return token if claimed == 1 else None


def finish(request_id: int, token: str, **changes) -> None:
    """Record the outcome and release the claim, only if the claim is still ours."""
    with write_transaction():
        B2BRequest.update(claim_token=None, claimed_until=None, **changes).where(
            B2BRequest.id == request_id, B2BRequest.claim_token == token
        ).execute()


def expire_dead_claims(now: datetime) -> int:
    """Requests whose worker died mid-send: the outcome is unknown, so they are not sent again."""
    with write_transaction():
        return (
            B2BRequest.update(
                status=FAILED, completed_at=now, claim_token=None, claimed_until=None,
                error_kind=INTERRUPTED, last_error="worker stopped while sending",
            )
            .where(B2BRequest.status == PENDING, B2BRequest.claim_token.is_null(False),
                   B2BRequest.claimed_until < now)
            .execute()
        )


def due_request_ids(now: datetime, limit: int) -> list[int]:
    """Pending requests whose next attempt is due and that no worker holds, oldest first."""
    return [row.id for row in B2BRequest.select(B2BRequest.id)
            .where(B2BRequest.status == PENDING, B2BRequest.next_attempt_at <= now, B2BRequest.claim_token.is_null())
            .order_by(B2BRequest.requested_at, B2BRequest.id)
            .limit(limit)]


def pending_count() -> int:
    return B2BRequest.select().where(B2BRequest.status == PENDING).count()


def visible_invoice(request: B2BRequest) -> Invoice | None:
    """The request's invoice if its requester may still see it (the same rule as every page)."""
    user = User.for_login(request.user_id)
    if user is None:
        return None
    request.user = user
    return Invoice.visible_to(user).where(Invoice.id == request.invoice_id).first()
