"""The statement of account: every invoice with a balance on a given day (open items) per currency, the
payments of the period up to that day, and the aging buckets as of that day (SPEC "Knowing what you owe").

A balance on an earlier day is today's balance plus what was paid (and discounted) after that day — payments
recorded with the import ("paid before") count as made before any day — so the
statement reads the visible accounts' open invoices and those paid since, and the payments of those accounts in
the period — the same visibility rule as every page (Invoice.visible_account_ids).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from peewee import JOIN, fn

from .aging import BUCKETS, bucket_of
from .customer import Customer, User
from .invoice import PAID, Invoice, Payment
from .money import ZERO

PERIOD_DAYS = 30


@dataclass
class OpenItem:
    number: str
    invoice_date: date
    due_date: date
    order_account: str
    total: Decimal
    balance: Decimal  # on the statement's day
    days_late: int
    bucket: str


@dataclass
class PaymentLine:
    id: int
    paid_at: datetime
    number: str
    currency: str
    amount: Decimal
    discount: Decimal
    method: str
    reference: str | None
    paid_by: str | None


@dataclass
class CurrencyStatement:
    currency: str
    items: list = field(default_factory=list)
    payments: list = field(default_factory=list)
    buckets: dict = field(default_factory=lambda: {bucket: ZERO for bucket in BUCKETS})

    @property
    def total_open(self) -> Decimal:
        return sum((item.balance for item in self.items), ZERO)

    @property
    def overdue(self) -> Decimal:
        return sum((item.balance for item in self.items if item.days_late > 0), ZERO)

    @property
    def paid(self) -> Decimal:
        return sum((line.amount for line in self.payments), ZERO)

    @property
    def discounts(self) -> Decimal:
        return sum((line.discount for line in self.payments), ZERO)


@dataclass
class Statement:
    customer: Customer
    organization: Customer | None
    as_of: date
    period_from: date
    currencies: list  # CurrencyStatement, by currency

    def currency(self, code: str) -> CurrencyStatement | None:
        return next((c for c in self.currencies if c.currency == code), None)


def _start_of(day: date) -> datetime:
    return datetime.combine(day, time.min)


def statement_for(user: User, as_of: date, period_from: date | None = None) -> Statement:
    """The statement of account of what `user` may see, as of the end of day `as_of` (two queries)."""
    period_from = period_from or as_of - timedelta(days=PERIOD_DAYS)
    accounts = list(Invoice.visible_account_ids(user))
    after = _start_of(as_of + timedelta(days=1))
    by_currency: dict = {}

    def part(currency) -> CurrencyStatement:
        if currency not in by_currency:
            by_currency[currency] = CurrencyStatement(currency)
        return by_currency[currency]

    later = (Payment.select(Payment.invoice.alias("invoice_id"),
                            fn.SUM(Payment.amount + Payment.discount).alias("settled"))
             .join(Invoice, on=(Payment.invoice == Invoice.id))
             # What was paid before the invoice came to the portal was paid before any day asked for.
             .where(Invoice.invoice_account.in_(accounts), Payment.created_at >= after,
                    Payment.method != Payment.METHOD_IMPORTED)
             .group_by(Payment.invoice).alias("later"))
    OrderAccount = Customer.alias()
    settled_later = fn.COALESCE(later.c.settled, 0)
    items = (Invoice.select(Invoice.number, Invoice.invoice_date, Invoice.due_date, Invoice.currency, Invoice.total,
                            Invoice.balance, OrderAccount.account, settled_later.alias("settled_later"))
             .join(OrderAccount, on=(Invoice.order_account == OrderAccount.id))
             .switch(Invoice)
             .join(later, JOIN.LEFT_OUTER, on=(later.c.invoice_id == Invoice.id))
             .where(Invoice.invoice_account.in_(accounts), Invoice.invoice_date <= as_of,
                    (Invoice.status != PAID) | later.c.settled.is_null(False))
             .order_by(Invoice.currency, Invoice.due_date, Invoice.number)
             .tuples()) if accounts else []
    for number, invoiced, due, currency, total, balance, ordered, settled in items:
        on_day = balance + Invoice.balance.python_value(settled)
        if on_day <= ZERO:
            continue
        late = max(0, (as_of - due).days)
        item = OpenItem(number, invoiced, due, ordered, total, on_day, late, bucket_of(due, as_of))
        section = part(currency)
        section.items.append(item)
        section.buckets[item.bucket] += on_day
    for line in payments_between(accounts, period_from, as_of):
        part(line.currency).payments.append(line)
    organization = user.customer.invoice_account if user.customer.invoice_account_id else None
    return Statement(user.customer, organization, as_of, period_from,
                     [by_currency[currency] for currency in sorted(by_currency)])


def _payments_query(accounts, first: date | None, last: date | None):
    Payer = User.alias()
    query = (Payment.select(Payment.id, Payment.created_at, Invoice.number, Invoice.currency, Payment.amount,
                            Payment.discount, Payment.method, Payment.gateway_reference, Payer.name)
             .join(Invoice, on=(Payment.invoice == Invoice.id))
             .switch(Payment)
             .join(Payer, JOIN.LEFT_OUTER, on=(Payment.user == Payer.id))
             .where(Invoice.invoice_account.in_(list(accounts))))
    if first is not None:
        query = query.where(Payment.created_at >= _start_of(first))
    if last is not None and last < date.max:  # (up to the last day there is: no end)
        query = query.where(Payment.created_at < _start_of(last + timedelta(days=1)))
    return query


def _line(values) -> PaymentLine:
    return PaymentLine(*values)


def payments_between(accounts, first: date | None, last: date | None) -> list:
    """Every payment of the accounts' invoices recorded from day `first` to day `last` (inclusive), oldest first."""
    if not accounts:
        return []
    query = _payments_query(accounts, first, last).order_by(Payment.created_at, Payment.id).tuples()
    return [_line(values) for values in query]


PAYMENTS_PAGE = 50


@dataclass
class PaymentPage:
    lines: list
    count: int
    page: int
    pages: int
    totals: list  # [(currency, amount, discount)]


def payment_page(user: User, first: date | None, last: date | None, page: int = 1) -> PaymentPage:
    """A page of the payments of every invoice `user` may see, newest first, with their count and totals per
    currency (two queries)."""
    accounts = Invoice.visible_account_ids(user)
    if not accounts:
        return PaymentPage([], 0, 1, 1, [])
    totals = list(_payments_query(accounts, first, last)
                  .select(Invoice.currency, fn.COUNT(Payment.id), fn.SUM(Payment.amount), fn.SUM(Payment.discount))
                  .group_by(Invoice.currency).order_by(Invoice.currency).tuples())
    count = sum(n for _, n, _, _ in totals)
    pages = max(1, -(-count // PAYMENTS_PAGE))
    page = min(max(1, page), pages)
    query = (_payments_query(accounts, first, last).order_by(Payment.created_at.desc(), Payment.id.desc())
             .limit(PAYMENTS_PAGE).offset((page - 1) * PAYMENTS_PAGE).tuples()) if count else []
    return PaymentPage([_line(values) for values in query], count, page, pages,
                       [(currency, Payment.amount.python_value(amount), Payment.discount.python_value(discount))
                        for currency, _, amount, discount in totals])
