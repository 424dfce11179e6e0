"""The back office API's data (views/api.py answers it; docs/api.md describes it).

- Tokens: made by `flask --app app create-api-token NAME`, shown once, stored as their SHA-256 (a token is 256
  random bits, so a plain hash is enough: nothing to guess from it); looked up by hash and compared in constant
  time; read tokens may only read, write tokens may also import and record payments; a revoked token is refused.
- Payments received outside the portal (a bank transfer the ERP matched): recorded once per reference (a unique
  index on transfer references), under the invoice's row lock, through `Invoice.settle` like a card payment.
- Feeds: payments, orders and requests in the order they were committed, by feed position (migrations/030_api.py:
  a trigger gives each new one the next position as its transaction commits), so a reader going forward by
  position never misses an item that commits later, and never reads one twice (docs/api.md).
"""
from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal

from peewee import BigIntegerField, CharField, DateTimeField, IntegerField, IntegrityError

from . import BaseModel, clock, db, lock_rows, write_transaction
from .invoice import Invoice, Payment, is_plausible_number
from .money import ZERO, round_money

READ, WRITE = "read", "write"
SCOPES = (READ, WRITE)
METHOD_TRANSFER = "transfer"
TOKEN_PREFIX = "settle_"


class ApiToken(BaseModel):
    name = CharField(max_length=100, unique=True)
    token_hash = CharField(max_length=64, unique=True)
    scope = CharField(max_length=10)
    created_at = DateTimeField(default=clock.utcnow)
    revoked_at = DateTimeField(null=True)

    class Meta:
        table_name = "api_token"

    @property
    def may_write(self) -> bool:
        return self.scope == WRITE


class FeedItem(BaseModel):
    position = BigIntegerField(primary_key=True)
    kind = CharField(max_length=20)
    item_id = IntegerField()

    class Meta:
        table_name = "feed_item"
        indexes = ((("kind", "item_id"), True), (("kind", "position"), False))


class FeedCounter(BaseModel):
    id = IntegerField(primary_key=True)
    position = BigIntegerField()

    class Meta:
        table_name = "feed_counter"


class TokenProblem(ValueError):
    pass


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def create_token(name: str, scope: str = WRITE) -> str:
    """A new token called `name`; returns it (the only time it is seen). A revoked name may be used again."""
    if not name or len(name) > 100 or not name.isprintable():
        raise TokenProblem("a token's name is 1 to 100 printable characters")
    if scope not in SCOPES:
        raise TokenProblem(f"scope must be one of {', '.join(SCOPES)}")
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    with write_transaction():
        existing = ApiToken.get_or_none(ApiToken.name == name)
        if existing is not None and existing.revoked_at is None:
            raise TokenProblem(f"a token called {name!r} exists; revoke it first")
        if existing is not None:
            existing.delete_instance()
        ApiToken.create(name=name, token_hash=_digest(token), scope=scope)
    return token


def revoke_token(name: str) -> bool:
    with write_transaction():
        return ApiToken.update(revoked_at=clock.utcnow()).where(
            ApiToken.name == name, ApiToken.revoked_at.is_null()).execute() > 0


def authenticate(token) -> ApiToken | None:
    """The live token `token` is, or None."""
    if not isinstance(token, str) or not token.startswith(TOKEN_PREFIX) or len(token) > 200:
        return None
    digest = _digest(token)
    found = ApiToken.get_or_none(ApiToken.token_hash == digest)
    if found is None or not hmac.compare_digest(found.token_hash, digest) or found.revoked_at is not None:
        return None
    return found


# ------------------------------------------------------------------------------------------ external payments
class PaymentRefused(ValueError):
    """status: 404 (no such invoice), 409 (the reference was used otherwise), 422 (does not fit)."""

    def __init__(self, status: int, code: str, message: str, field: str | None = None):
        super().__init__(message)
        self.status, self.code, self.message, self.field = status, code, message, field


@dataclass
class Recorded:
    payment: Payment
    invoice: Invoice
    created: bool


def record_external_payment(number: str, amount: Decimal, day: date, reference: str) -> Recorded:
    """Record a payment of invoice `number` received outside the portal, once per `reference`.

    Under the invoice's row lock (SQLite: the write lock), like a card payment (models/checkout.py: complete):
    the same reference again answers the payment already recorded, if it is the same invoice and amount;
    otherwise 409. More than the balance: 422, nothing written."""
    if not is_plausible_number(number):
        raise PaymentRefused(404, "not_found", f"no invoice {number[:40]!r}")
    amount = round_money(amount)
    try:
        with write_transaction():
            invoice = lock_rows(Invoice.select().where(Invoice.number == number)).first()
            if invoice is None:
                raise PaymentRefused(404, "not_found", f"no invoice {number!r}")
            earlier = Payment.get_or_none(Payment.method == METHOD_TRANSFER, Payment.gateway_reference == reference)
            if earlier is not None:
                if earlier.invoice_id == invoice.id and earlier.amount == amount:
                    return Recorded(earlier, invoice, False)
                raise PaymentRefused(409, "reference_used", f"reference {reference!r} was recorded already for "
                                     "another payment", "reference")
            if amount > invoice.balance:
                raise PaymentRefused(422, "more_than_balance", f"{amount} is more than the balance of invoice "
                                     f"{number}, {invoice.balance}", "amount")
            invoice.settle(amount)
            invoice.save(only=[Invoice.balance, Invoice.status])
            payment = Payment.create(invoice=invoice.id, amount=amount, discount=ZERO, method=METHOD_TRANSFER,
                                     gateway_reference=reference, user=None,
                                     created_at=datetime.combine(day, time(12, 0)))
            return Recorded(payment, invoice, True)
    except IntegrityError:
        # The same reference recorded at the same moment for another invoice (the unique index caught it).
        raise PaymentRefused(409, "reference_used", f"reference {reference!r} was recorded already for another "
                             "payment", "reference") from None


# ------------------------------------------------------------------------------------------ feeds
FEED_KINDS = ("payment", "order", "request")


def feed_page(kind: str, after: int, limit: int) -> list[tuple[int, int]]:
    """(position, item id) of the next `limit` items of the feed `kind` after position `after`."""
    return list(FeedItem.select(FeedItem.position, FeedItem.item_id)
                .where(FeedItem.kind == kind, FeedItem.position > after)
                .order_by(FeedItem.position).limit(limit).tuples())


def payment_fields(body) -> tuple[Decimal, date, str]:
    """amount, date and reference of an external payment, checked with the import's rules and messages."""
    from .importer import ImportProblem, _date, _decimal, _text

    if not isinstance(body, dict):
        raise ImportProblem("payment", "-", "must be a JSON object with amount, date and reference")
    amount = _decimal(body, "amount", "payment")
    if amount <= ZERO:
        raise ImportProblem("payment", "amount", "must be more than zero")
    day = _date(body, "date", "payment")
    reference = _text(body, "reference", "payment", 100)
    return amount, day, reference
