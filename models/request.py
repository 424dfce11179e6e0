"""B2B requests — a buyer asks the back office for something: an invoice copy, or a statement of account, by email.

A request is created only for an invoice the user may see (`Invoice.get_visible`), and
the job that sends it looks the invoice up through `Invoice.visible_to` again, so an
email never carries an invoice its requester can no longer see.

Delivery is at most once (models/delivery.py): a request whose worker died while sending is
never sent again but marked Failed with that reason, so the user can ask again.
"""
from __future__ import annotations

from datetime import date

from peewee import JOIN, CharField, DateField, DateTimeField, ForeignKeyField

from . import clock, lock_rows, write_transaction
from .activity import REQUEST_COPY, REQUEST_STATEMENT, record
from .customer import User
from .delivery import (BACKOFF, CLAIM_LEASE, COMPLETED, FAILED, GAVE_UP, INTERRUPTED, MAX_ATTEMPTS,  # noqa: F401
                       MAX_REASON, NO_ACCESS, PENDING, REFUSED, STATUSES, TEMPORARY, Deliverable)
from .invoice import Invoice
from .signed_in import signed_in_user

TYPE_INVOICE_COPY = "invoice_copy"
TYPE_STATEMENT = "statement"


class B2BRequest(Deliverable):
    type = CharField(max_length=30, default=TYPE_INVOICE_COPY)
    invoice = ForeignKeyField(Invoice, null=True, backref="b2b_requests", on_delete="CASCADE")  # an invoice copy's
    user = ForeignKeyField(User, backref="b2b_requests", on_delete="CASCADE")
    email = CharField(max_length=254)  # where the copy goes: the user's address when asked
    requested_at = DateTimeField(default=clock.utcnow)
    as_of = DateField(null=True)  # a statement's date
    locale = CharField(max_length=10, null=True)  # the language of the page it was asked from: the email's

    class Meta:
        table_name = "b2b_request"
        indexes = (
            (("status", "next_attempt_at"), False),  # the job's queue
            (("user", "requested_at"), False),  # My account
        )

    # Creating ---------------------------------------------------------------------------------
    @classmethod
    def request_invoice_copy(cls, user: User, number: str, locale: str | None = None) -> tuple["B2BRequest", bool]:
        """Ask for a copy of invoice `number` by email to the user's address, written in `locale` (the language
        of the page it was asked from).

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
            created = cls.create(type=TYPE_INVOICE_COPY, invoice=invoice, user=user, email=user.email, locale=locale)
            record(REQUEST_COPY, user, invoice=invoice.number)
            return created, True

    @classmethod
    def request_statement(cls, user: User, as_of: date, locale: str | None = None) -> tuple["B2BRequest", bool]:
        """Ask for the statement of account as of `as_of` by email to the user's address. Returns (request,
        created); while the same statement is already pending for the user, that one (a double click sends
        one email)."""
        with write_transaction():
            existing = (cls.select()
                        .where(cls.user == user, cls.type == TYPE_STATEMENT, cls.as_of == as_of,
                               cls.status == PENDING, cls.email == user.email)
                        .first())
            if existing:
                return existing, False
            created = cls.create(type=TYPE_STATEMENT, invoice=None, as_of=as_of, user=user, email=user.email,
                                 locale=locale)
            record(REQUEST_STATEMENT, user, as_of=as_of.isoformat())
            return created, True

    # Reading ----------------------------------------------------------------------------------
    @classmethod
    def for_user(cls, user: User, limit: int = 100):
        """The user's requests, newest first, with the invoice number joined in (one query). Copies of invoices the
        user may no longer see (moved to another company) are left out."""
        visible = list(Invoice.visible_account_ids(user))
        return list(
            cls.select(cls, Invoice.number, Invoice.currency)
            .join(Invoice, JOIN.LEFT_OUTER, on=(cls.invoice == Invoice.id), attr="invoice")
            .where(cls.user == user, cls.invoice.is_null() | Invoice.invoice_account.in_(visible))
            .order_by(cls.requested_at.desc(), cls.id.desc())
            .limit(limit)
        )


def visible_invoice(request: B2BRequest) -> Invoice | None:
    """The request's invoice if its requester may still see it (the same rule as every page)."""
    user = signed_in_user(request.user_id)
    if user is None:
        return None
    request.user = user
    return Invoice.visible_to(user).where(Invoice.id == request.invoice_id).first()
