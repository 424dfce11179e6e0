"""What a user owes, by age: the open balance per invoice account, order account, currency and day, kept exact
by the database itself, and the account overview read from it.

`InvoiceAging` has a "due" row per day on which open invoices fall due (their count and open balance) and a
"discount" row per last day of a cash discount (the count and what paying in full by then saves). Triggers on
`invoice` (migrations/sql/invoice_aging.<database>.sql) keep it exact on every write — model saves, bulk
inserts, imports and raw SQL alike — and delete a row when its last open invoice leaves it, so an account has
about one row per day with something open. Everything that depends on today (overdue, the aging buckets, due
soon, discounts still open) is then a sum over ranges of days: the overview reads a few hundred rows in one
query, whatever the number of invoices, and never adds two currencies together.

Days past due = today − due date. Buckets (SPEC "Knowing what you owe"): not yet due (due today or later),
1–30, 31–60, 61–90 and over 90 days past due.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from peewee import SQL, BigIntegerField, Case, CharField, CompositeKey, DateField, IntegerField, fn

from . import BaseModel, db, is_postgres
from .customer import Customer
from .invoice import Invoice
from .money import ZERO, cents_to_money
from .statements import param, statement

DUE, DISCOUNT = "due", "discount"
CURRENT, DAYS_1_30, DAYS_31_60, DAYS_61_90, OVER_90 = "current", "1-30", "31-60", "61-90", "90+"
BUCKETS = (CURRENT, DAYS_1_30, DAYS_31_60, DAYS_61_90, OVER_90)
DUE_SOON_DAYS = 7


class InvoiceAging(BaseModel):
    account_id = IntegerField()  # the invoice account
    order_account_id = IntegerField()
    currency = CharField(max_length=3)
    kind = CharField(max_length=10)  # DUE or DISCOUNT
    deadline = DateField()  # the due date, or the last day of the cash discount
    invoices = IntegerField(default=0)
    amount = BigIntegerField(default=0)  # cents: the open balance, or what the discount saves

    class Meta:
        table_name = "invoice_aging"
        primary_key = CompositeKey("account_id", "order_account_id", "currency", "kind", "deadline")
        depends_on = (Invoice,)


def bucket_range(bucket: str, on: date) -> tuple[date | None, date | None]:
    """The due dates (first, last; None: open-ended) of the open invoices in `bucket` on day `on`."""
    day = timedelta(days=1)
    return {
        CURRENT: (on, None),
        DAYS_1_30: (on - 30 * day, on - day),
        DAYS_31_60: (on - 60 * day, on - 31 * day),
        DAYS_61_90: (on - 90 * day, on - 61 * day),
        OVER_90: (None, on - 91 * day),
    }[bucket]


def bucket_of(due_date: date, on: date) -> str:
    late = (on - due_date).days
    if late <= 0:
        return CURRENT
    if late <= 30:
        return DAYS_1_30
    if late <= 60:
        return DAYS_31_60
    if late <= 90:
        return DAYS_61_90
    return OVER_90


@dataclass
class CurrencyOverview:
    """What is owed in one currency."""

    currency: str
    open_invoices: int = 0
    total_open: Decimal = ZERO
    overdue_invoices: int = 0
    overdue: Decimal = ZERO
    due_soon: Decimal = ZERO
    buckets: dict = field(default_factory=lambda: {bucket: ZERO for bucket in BUCKETS})
    saving: Decimal = ZERO  # cash discounts still open: what paying in full in time saves
    saving_invoices: int = 0
    saving_until: date | None = None  # the first of their deadlines

    def bars(self) -> list[tuple[str, Decimal, int]]:
        """(bucket, amount, bar length in % of the largest bucket) in bucket order."""
        largest = max(self.buckets.values(), default=ZERO)
        return [(bucket, amount, int(amount * 100 / largest) if largest > 0 else 0)
                for bucket, amount in self.buckets.items()]


def _in(condition, value, otherwise=None):
    return Case(None, [(condition, value)], otherwise)


def _overview_statement(n_accounts: int, by_order_account: bool):
    """The overview's query for a number of accounts, built once (models/statements.py); the days are values."""

    def build():
        A = InvoiceAging
        due, discount = A.kind == DUE, A.kind == DISCOUNT
        columns = [
            fn.SUM(_in(due, A.invoices, 0)), fn.SUM(_in(due, A.amount, 0)),
            fn.SUM(_in(due & (A.deadline < param("on")), A.invoices, 0)),
            fn.SUM(_in(due & (A.deadline < param("on")), A.amount, 0)),
            fn.SUM(_in(due & (A.deadline >= param("on")) & (A.deadline <= param("soon")), A.amount, 0)),
        ]
        for bucket in BUCKETS:
            first, last = bucket_range(bucket, date.today())  # which ends are open; the days come as values
            condition = due
            if first is not None:
                condition &= A.deadline >= param(f"{bucket}_first")
            if last is not None:
                condition &= A.deadline <= param(f"{bucket}_last")
            columns.append(fn.SUM(_in(condition, A.amount, 0)))
        still_open = discount & (A.deadline >= param("on"))
        columns += [fn.SUM(_in(still_open, A.amount, 0)), fn.SUM(_in(still_open, A.invoices, 0)),
                    fn.MIN(_in(still_open, A.deadline))]
        where = A.account_id.in_([param(f"a{i}") for i in range(n_accounts)])
        if by_order_account:
            where &= A.order_account_id.in_(Customer.select(Customer.id).where(Customer.account == param("order")))
        return A.select(A.currency, *columns).where(where).group_by(A.currency).order_by(A.currency)

    return statement(("account-overview", n_accounts, by_order_account), build)


def account_overview(accounts, on: date, order_account: str | None = None) -> list[CurrencyOverview]:
    """Per currency (in alphabetical order), what the invoices billed to `accounts` (the visible accounts:
    Invoice.visible_account_ids) leave open on day `on`; narrowed to one order account's invoices by its code.
    One query over the accounts' summary rows."""
    if not accounts:
        return []
    values = {f"a{i}": account for i, account in enumerate(accounts)}
    values.update(on=on, soon=on + timedelta(days=DUE_SOON_DAYS), order=order_account)
    for bucket in BUCKETS:
        first, last = bucket_range(bucket, on)
        values[f"{bucket}_first"], values[f"{bucket}_last"] = first, last
    found = []
    for row in _overview_statement(len(accounts), bool(order_account)).rows(**values):
        currency, open_n, open_c, late_n, late_c, soon_c, *rest = row
        bucket_cents, (save_c, save_n, until) = rest[:len(BUCKETS)], rest[len(BUCKETS):]
        if not open_n:
            continue
        overview = CurrencyOverview(currency, int(open_n), cents_to_money(open_c), int(late_n or 0),
                                    cents_to_money(late_c), cents_to_money(soon_c))
        overview.buckets = {bucket: cents_to_money(cents) for bucket, cents in zip(BUCKETS, bucket_cents)}
        overview.saving, overview.saving_invoices = cents_to_money(save_c), int(save_n or 0)
        overview.saving_until = date.fromisoformat(until) if isinstance(until, str) else until
        found.append(overview)
    return found


def discount_cents_sql():
    """The cash discount of an invoice's balance in cents, half-up (as the triggers work it out)."""
    if is_postgres():
        return fn.invoice_aging_discount(Invoice.balance, Invoice.discount_percent)
    return SQL("(balance * CAST(round(discount_percent * 100) AS INTEGER) + 5000) / 10000")


def rebuild_aging() -> None:
    """Count every open invoice again (after a bulk load that ran with the triggers off, or to check them)."""
    with db.atomic():
        InvoiceAging.delete().execute()
        fields = [InvoiceAging.account_id, InvoiceAging.order_account_id, InvoiceAging.currency, InvoiceAging.kind,
                  InvoiceAging.deadline, InvoiceAging.invoices, InvoiceAging.amount]
        InvoiceAging.insert_from(
            Invoice.select(Invoice.invoice_account, Invoice.order_account, Invoice.currency, SQL("'due'"),
                           Invoice.due_date, fn.COUNT(Invoice.id), fn.SUM(Invoice.balance))
            .where(Invoice.balance > 0)
            .group_by(Invoice.invoice_account, Invoice.order_account, Invoice.currency, Invoice.due_date),
            fields=fields).execute()
        saving = discount_cents_sql()
        InvoiceAging.insert_from(
            Invoice.select(Invoice.invoice_account, Invoice.order_account, Invoice.currency, SQL("'discount'"),
                           Invoice.discount_until, fn.COUNT(Invoice.id), fn.SUM(saving))
            .where((Invoice.balance > 0) & Invoice.discount_until.is_null(False) & (saving > 0))
            .group_by(Invoice.invoice_account, Invoice.order_account, Invoice.currency, Invoice.discount_until),
            fields=fields).execute()


TRIGGERS = ("invoice_aging_insert", "invoice_aging_update", "invoice_aging_delete")
