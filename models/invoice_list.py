"""The invoice list: its filters (`ListParams`), one page of the invoices a user may see (`list_invoices`),
and the key that names a rendered row of it (`row_key`).

Counts and totals come from the accounts' summary rows (models/summary.py: a dozen rows, whatever the
number of invoices) unless the filter is one the summary cannot answer — overdue (it depends on the day)
or a search — which is counted from an index. The page itself is read in index order and stops after 25
rows; Next/Previous links carry the boundary row's key so deep pages cost no more than the first.
"""
from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote
from datetime import date
from decimal import Decimal

from peewee import SQL, Tuple, fn

from . import clock, is_postgres
from .statements import param, statement
from .customer import Customer, User
from .invoice import OPEN_STATUSES, CashDiscount, Invoice, InvoiceFigures
from .money import ZERO
from .summary import summary_rows

# "credit_notes" lists the credit notes instead (models/credit_note.py: list_credit_notes).
STATUS_FILTERS = ("all", "unpaid", "partial", "paid", "overdue", "credit_notes")
WHOSE_FILTERS = ("all", "own", "org")
SORTS = {
    "due_date": ("due_date", False),
    "-due_date": ("due_date", True),
    "invoice_date": ("invoice_date", False),
    "-invoice_date": ("invoice_date", True),
    "amount": ("total", False),
    "-amount": ("total", True),
}
DEFAULT_SORT = "-due_date"
PAGE_SIZE = 25
MAX_SEARCH = 40


# Parameters ---------------------------------------------------------------------------------------
def _parse_key(raw, sort: str):
    """A page-boundary key from a link ("2026-11-01~1234" or "125000~1234"), or None when it is not one."""
    if not raw or len(raw) > 40 or raw.count("~") != 1:
        return None
    value, _, ident = raw.partition("~")
    if not ident.isdigit() or len(ident) > 18:
        return None
    if SORTS[sort][0] == "total":
        if not value.lstrip("-").isdigit() or len(value) > 18:
            return None
        return (int(value), int(ident))
    try:
        return (date.fromisoformat(value), int(ident)) if len(value) == 10 else None
    except ValueError:
        return None


@dataclass
class ListParams:
    """The list's filters, parsed leniently: anything unknown falls back to the default, with a notice.

    `after` / `before` are the keys of the rows at a page boundary, carried by the Next / Previous links so
    a deep page continues from where the last one ended instead of counting its way there. `page` stays
    the page number shown; a key that does not fit is simply not used.
    """

    status: str = "all"
    whose: str = "all"
    q: str = ""
    sort: str = DEFAULT_SORT
    page: int = 1
    after: tuple | None = None
    before: tuple | None = None

    @classmethod
    def from_args(cls, args) -> tuple["ListParams", list[str]]:
        """Parameters from a query string's arguments, and the codes of what was not understood."""
        notices: list[str] = []
        params = cls()
        status = (args.get("status") or "all").strip().lower()
        if status in STATUS_FILTERS:
            params.status = status
        else:
            notices.append("unknown_status")
        whose = (args.get("whose") or "all").strip().lower()
        if whose in WHOSE_FILTERS:
            params.whose = whose
        else:
            notices.append("unknown_whose")
        # Control characters (NUL above all) can never be part of a number and PostgreSQL refuses them.
        q = "".join(ch for ch in (args.get("q") or "") if ch.isprintable()).strip()
        if len(q) > MAX_SEARCH:
            q = q[:MAX_SEARCH]
            notices.append("search_too_long")
        params.q = q
        sort = (args.get("sort") or DEFAULT_SORT).strip()
        if sort in SORTS:
            params.sort = sort
        else:
            notices.append("unknown_sort")
        raw_page = (args.get("page") or "1").strip()
        if raw_page.isdigit() and len(raw_page) <= 9 and int(raw_page) >= 1:
            params.page = int(raw_page)
        else:
            notices.append("bad_page")
        after, before = _parse_key(args.get("after"), params.sort), _parse_key(args.get("before"), params.sort)
        if params.page > 1 and bool(after) != bool(before):
            params.after, params.before = after, before
        return params, notices

    def as_args(self, **changes) -> dict:
        """Query-string arguments for a link, leaving out defaults so URLs stay short."""
        values = {"status": self.status, "whose": self.whose, "q": self.q, "sort": self.sort, "page": self.page}
        values.update(changes)
        defaults = {"status": "all", "whose": "all", "q": "", "sort": DEFAULT_SORT, "page": 1,
                    "after": None, "before": None}
        return {k: v for k, v in values.items() if v != defaults[k]}

    def key(self) -> tuple:
        """Everything that decides which rows are listed."""
        return (self.status, self.whose, self.q, self.sort, self.page, self.after, self.before)


# Rows and the page -----------------------------------------------------------------------------------
class AccountRef:
    """The order account as a list row shows it."""

    __slots__ = ("account", "name")

    def __init__(self, account, name):
        self.account, self.name = account, name


class InvoiceRow(InvoiceFigures):
    """One row of the list: the invoice's figures and its order account, lighter than a model object, with
    what the page shows about the day worked out once: the open cash discount (`offer`) and days late."""

    __slots__ = ("id", "number", "invoice_account_id", "invoice_date", "due_date", "currency", "total",
                 "balance", "status", "discount_percent", "discount_until", "order_account", "offer", "late",
                 "url_number")

    offer: CashDiscount | None
    late: int

    def __str__(self):
        return self.number


@dataclass
class InvoicePage:
    rows: list
    count: int
    total_balance: Decimal
    currencies: list  # [(currency, open balance of the matching invoices)]
    page: int
    pages: int
    params: ListParams

    @property
    def has_previous(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages and bool(self.rows)

    def _key(self, row) -> str:
        column = SORTS[self.params.sort][0]
        value = getattr(row, column)
        value = int(value * 100) if column == "total" else value.isoformat()
        return f"{value}~{row.id}"

    def previous_args(self) -> dict:
        """The Previous link: page 1 plainly, deeper pages from the first row of this one."""
        if self.page - 1 <= 1 or not self.rows:
            return self.params.as_args(page=self.page - 1)
        return self.params.as_args(page=self.page - 1, before=self._key(self.rows[0]))

    def next_args(self) -> dict:
        return self.params.as_args(page=self.page + 1, after=self._key(self.rows[-1]))


def _lower(text: str) -> str:
    """Lower-case as the database's LOWER() does: SQLite folds ASCII letters only."""
    return text.lower() if is_postgres() else text.translate(_ASCII_LOWER)


_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


def _filter(n_accounts: int, status: str, search: str | None):
    """The list's filter for a query shape, with placeholders for the values (models/statements.py)."""
    where = Invoice.invoice_account.in_([param(f"a{i}") for i in range(n_accounts)])
    if status == "overdue":
        where &= Invoice.status.in_(OPEN_STATUSES) & (Invoice.due_date < param("on"))
    elif status != "all":
        where &= Invoice.status == param("status")
    if search == "exact":
        where &= fn.LOWER(Invoice.number) == param("q")
    elif search == "contains":
        where &= (fn.STRPOS if is_postgres() else fn.INSTR)(fn.LOWER(Invoice.number), param("q")) > 0
    return where


def _status_shape(status: str) -> str:
    return status if status in ("all", "overdue") else "one"


def list_invoices(user: User, params: ListParams, on: date | None = None,
                  summary: list | None = None) -> InvoicePage:
    """One page of the invoices `user` may see (Invoice.visible_to's accounts), with the count and balance of
    all that match. `summary` is what summary_rows() returned for these accounts, when the caller has it."""
    on = on or clock.today()
    accounts = Invoice.visible_account_ids(user, params.whose)
    if summary is None:
        summary = summary_rows(accounts)
    search, q = None, ""
    if params.q:
        q = _lower(params.q)
        longest = max((row[4] or 0 for row in summary), default=0)
        search = "exact" if len(q) >= longest else "contains"
    values = {**{f"a{i}": account for i, account in enumerate(accounts)}, "on": on, "q": q,
              "status": params.status}
    if not accounts:
        totals = []
    elif search is None and params.status != "overdue":
        by_currency: dict = {}
        for status, currency, invoices, balance, _, _ in summary:
            if invoices and (params.status == "all" or status == params.status):
                n, amount = by_currency.get(currency, (0, ZERO))
                by_currency[currency] = (n + invoices, amount + (balance or ZERO))
        totals = [(currency, n, amount) for currency, (n, amount) in sorted(by_currency.items())]
    else:
        shape = (len(accounts), _status_shape(params.status), search)
        totals = statement(("invoice-totals", shape), lambda: (
            Invoice.select(Invoice.currency, fn.COUNT(Invoice.id), fn.SUM(Invoice.balance))
            .where(_filter(*shape)).group_by(Invoice.currency).order_by(Invoice.currency)),
            fields=[Invoice.currency, Invoice.id, Invoice.balance]).rows(**values)
    count = sum(n for _, n, _ in totals)
    currencies = [(currency, amount) for currency, _, amount in totals]
    total_balance = sum((amount for _, amount in currencies), ZERO)
    pages = max(1, -(-count // PAGE_SIZE))
    page = min(params.page, pages)
    if page != params.page:
        params.after = params.before = None
    params.page = page
    rows = _page_rows(len(accounts), params, search, values) if count else []
    return InvoicePage(rows, count, total_balance, currencies, page, pages, params)


OrderAccount = Customer.alias()
_ROW_FIELDS = (Invoice.id, Invoice.number, Invoice.invoice_account, Invoice.invoice_date, Invoice.due_date,
               Invoice.currency, Invoice.total, Invoice.balance, Invoice.status, Invoice.discount_percent,
               Invoice.discount_until, OrderAccount.account, OrderAccount.name)


def _page_rows(n_accounts: int, params: ListParams, search, values: dict) -> list:
    shape = (n_accounts, _status_shape(params.status), search)
    key = params.after or params.before
    on = values["on"]
    if key:
        direction = "after" if params.after else "before"
        rows = _rows_statement(shape, params.sort, direction).rows(**values, k=key[0], kid=key[1], n=PAGE_SIZE,
                                                                   reach=PAGE_SIZE)
        if direction == "before":
            rows.reverse()
        if len(rows) == PAGE_SIZE:
            return [_row(r, on) for r in rows]
        # The data moved under the link (or the key is made up): count to the page instead.
    offset = (params.page - 1) * PAGE_SIZE
    rows = _rows_statement(shape, params.sort, "offset").rows(**values, n=PAGE_SIZE, offset=offset,
                                                              reach=offset + PAGE_SIZE)
    return [_row(r, on) for r in rows]


def _rows_statement(shape, sort: str, kind: str):
    """The page query for a filter shape, sort and kind: "offset", or "after" / "before" a boundary key.

    Without a search, the page's ids are picked first: one arm per account (and per open status for
    overdue) reads its own index in the sort order and stops at the rows it can contribute, the arms are
    merged, and only the 25 winners' rows are read. An `IN (account, organization)` query sorted as a whole
    would read and sort every invoice of both accounts instead.
    """

    def build():
        n_accounts, status, search = shape
        column, descending = SORTS[sort]
        field = getattr(Invoice, column)
        if kind == "before":
            descending = not descending
        order = (field.desc(), Invoice.id.desc()) if descending else (field.asc(), Invoice.id.asc())
        boundary = None
        if kind in ("after", "before"):  # keys as stored: cents for the total, a date for the dates
            key, key_value = Tuple(field, Invoice.id), Tuple(param("k"), param("kid"))
            boundary = (key < key_value) if descending else (key > key_value)
        rows = Invoice.select(*_ROW_FIELDS).join(OrderAccount, on=(Invoice.order_account == OrderAccount.id))
        limit, offset = param("n"), param("offset") if kind == "offset" else None
        if search:  # few rows match: filter, then sort them
            where = _filter(*shape) & boundary if boundary is not None else _filter(*shape)
            query = rows.where(where).order_by(*order).limit(limit)
            return query.offset(offset) if offset is not None else query
        arms = []
        statuses = list(OPEN_STATUSES) if status == "overdue" else [param("status")] if status == "one" else [None]
        for i in range(n_accounts):
            for state in statuses:
                where = Invoice.invoice_account == param(f"a{i}")
                if state is not None:
                    where &= Invoice.status == state
                if status == "overdue":
                    where &= Invoice.due_date < param("on")
                if boundary is not None:
                    where &= boundary
                inner = (Invoice.select(Invoice.id, field.alias("sort_key")).where(where).order_by(*order)
                         .limit(param("reach")).alias(f"arm{len(arms)}"))
                arms.append(Invoice.select(SQL("*")).from_(inner))
        merged = arms[0]
        for arm in arms[1:]:
            merged = merged.union_all(arm)
        direction = "DESC" if descending else "ASC"
        merged = merged.order_by(SQL(f'"sort_key" {direction}'), SQL(f'"id" {direction}')).limit(limit)
        if offset is not None:
            merged = merged.offset(offset)
        ids = Invoice.select(SQL('"id"')).from_(merged.alias("page_ids"))
        return rows.where(Invoice.id.in_(ids)).order_by(*order)

    return statement(("invoice-page", shape, sort, kind), build, fields=_ROW_FIELDS)


def _row(values, on: date) -> InvoiceRow:
    row = InvoiceRow()
    (row.id, row.number, row.invoice_account_id, row.invoice_date, row.due_date, row.currency, row.total,
     row.balance, row.status, row.discount_percent, row.discount_until, account, name) = values
    row.order_account = AccountRef(account, name)
    row.offer, row.late = row.cash_discount(on), row.days_overdue(on)
    row.url_number = quote(row.number, safe="")  # as it goes in the page's URL
    return row


# The rendered row's name ------------------------------------------------------------------------------
def row_key(row: InvoiceRow, billed_to: str, language: str, in_cart: bool, allowed: tuple) -> tuple:
    """Everything a rendered list row shows, so the same key always means the same HTML: the invoice's figures
    as just read (number, dates, amounts, status, the cash discount), its order account's code and name, whom
    it is billed to as the row says it, what the day makes of it (days overdue, the open discount), whether it
    is in the user's cart, what the user may do (which buttons are offered) and the language. Nothing is ever
    invalidated: a change to any of these is a new key."""
    offer = row.offer
    return ("invoice-row", language, row.id, row.number, row.invoice_date, row.due_date, row.currency, row.total,
            row.balance, row.status, row.order_account.account, row.order_account.name, billed_to, row.late,
            offer and (offer.amount, offer.pay_amount, offer.until), in_cart, allowed)
