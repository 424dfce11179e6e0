"""Per-account counts of the invoices, kept exact by the database itself.

`InvoiceSummary` holds, per invoice account, status and currency, the number of invoices and their open
balance. Triggers on `invoice` (installed by a migration: migrations/sql/invoice_summary.<database>.sql)
update it on every write — model saves, bulk inserts, imports and raw SQL alike — so no code path can
forget it, and the list's counts and totals read a dozen rows instead of an account's invoices.

`number_length` is the longest invoice number ever billed to the account (it never shrinks): a search at
least that long can only be an exact number, which the number index answers at once.

`version` moves with every write that changes what the list shows of an invoice billed to the account (and
when an order account's name changes): a rendered page of the list is reused for as long as the versions of
its accounts' rows stay the same (models/invoice_list.py: `ListPage.cache_key`). A new or rebuilt row starts
from the database clock in microseconds, so a version comes back only if the clock goes backwards.
"""
from __future__ import annotations

from peewee import SQL, BigIntegerField, CharField, CompositeKey, IntegerField, fn

from . import BaseModel, db, is_postgres
from .invoice import Invoice
from .money import ZERO, MoneyField
from .statements import param, statement


class InvoiceSummary(BaseModel):
    account_id = IntegerField()
    status = CharField(max_length=10)
    currency = CharField(max_length=3)
    invoices = IntegerField(default=0)
    balance = MoneyField(default=ZERO)
    number_length = IntegerField(default=0)
    version = BigIntegerField(default=0)

    class Meta:
        primary_key = CompositeKey("account_id", "status", "currency")
        depends_on = (Invoice,)


def database_clock_us():
    """The database's clock in microseconds since 1970 (where a rebuilt row's version starts)."""
    if is_postgres():
        return SQL("(extract(epoch from clock_timestamp()) * 1000000)::bigint")
    return SQL("CAST((julianday('now') - 2440587.5) * 86400000000.0 AS INTEGER)")


def rebuild_summaries() -> None:
    """Count every invoice again (after a bulk load that ran with the triggers off, or to check them)."""
    with db.atomic():
        InvoiceSummary.delete().execute()
        InvoiceSummary.insert_from(
            Invoice.select(Invoice.invoice_account, Invoice.status, Invoice.currency, fn.COUNT(Invoice.id),
                           fn.SUM(Invoice.balance), fn.MAX(fn.LENGTH(Invoice.number)), database_clock_us())
            .group_by(Invoice.invoice_account, Invoice.status, Invoice.currency),
            fields=[InvoiceSummary.account_id, InvoiceSummary.status, InvoiceSummary.currency,
                    InvoiceSummary.invoices, InvoiceSummary.balance, InvoiceSummary.number_length,
                    InvoiceSummary.version],
        ).execute()


def summary_rows(accounts) -> list[tuple]:
    """(status, currency, invoices, balance, number length, version) of the accounts' invoices, in
    a fixed order: the same data gives the same rows, so they can key a rendered page."""
    if not accounts:
        return []
    fields = [InvoiceSummary.status, InvoiceSummary.currency, InvoiceSummary.invoices, InvoiceSummary.balance,
              InvoiceSummary.number_length, InvoiceSummary.version]
    query = statement(("invoice-summary", len(accounts)), lambda: (
        InvoiceSummary.select(*fields)
        .where(InvoiceSummary.account_id.in_([param(f"a{i}") for i in range(len(accounts))]))
        .order_by(InvoiceSummary.account_id, InvoiceSummary.status, InvoiceSummary.currency)), fields=fields)
    return query.rows(**{f"a{i}": account for i, account in enumerate(accounts)})
