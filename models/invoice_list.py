"""The invoice list: its filters (`ListParams`), one page of the invoices a user may see (`list_invoices`),
and the key that names a rendered row of it (`rendered_row_key`).

Counts and totals come from the accounts' summary rows (models/summary.py: a dozen rows, whatever the
number of invoices) unless the filter is one the summary cannot answer — overdue (it depends on the day)
or a search — which is counted from an index. The page itself is read in index order and stops after 25
rows; Next/Previous links carry the boundary row's key so deep pages cost no more than the first.
"""
from __future__ import annotations

import operator
from dataclasses import dataclass
from urllib.parse import quote
from datetime import date
from decimal import Decimal
from functools import reduce

from peewee import SQL, Case, Tuple, Value, fn

from i18n.formatting import parse_amount_text

from . import clock, is_postgres
from .aging import BUCKETS, bucket_range
from .statements import param, statement
from .customer import Customer, User
from .invoice import OPEN_STATUSES, PAID, STATUSES, CashDiscount, Invoice, InvoiceFigures
from .money import ZERO
from .summary import summary_rows

# "credit_notes" lists the credit notes instead (models/credit_note.py: list_credit_notes).
STATUS_FILTERS = ("all", "unpaid", "partial", "paid", "overdue", "credit_notes")
WHOSE_FILTERS = ("all", "own", "org")
AGING_FILTERS = BUCKETS
ATTENTION = "attention"
SORTS = {
    # What needs attention first: open invoices by due date (the most overdue first, then those due soonest),
    # then the paid ones, latest due first.
    ATTENTION: ("due_date", False),
    "due_date": ("due_date", False),
    "-due_date": ("due_date", True),
    "invoice_date": ("invoice_date", False),
    "-invoice_date": ("invoice_date", True),
    "amount": ("total", False),
    "-amount": ("total", True),
}
DEFAULT_SORT = ATTENTION
PAGE_SIZE = 25
MAX_SEARCH = 40
DATE_FILTERS = ("invoice_from", "invoice_to", "due_from", "due_to")


# Parameters ---------------------------------------------------------------------------------------
def _parse_key(raw, sort: str):
    """A page-boundary key from a link ("2026-11-01~1234", "125000~1234", or "1:2026-11-01~1234" in the
    attention order, whose first part says open (0) or paid (1)) as (part, value, id); None when it is not one."""
    if not raw or len(raw) > 40 or raw.count("~") != 1:
        return None
    value, _, ident = raw.partition("~")
    if not ident.isdigit() or len(ident) > 18:
        return None
    group = 0
    if sort == ATTENTION:
        if value[:2] not in ("0:", "1:"):
            return None
        group, value = int(value[0]), value[2:]
    if SORTS[sort][0] == "total":
        if not value.lstrip("-").isdigit() or len(value) > 18:
            return None
        return (group, int(value), int(ident))
    try:
        return (group, date.fromisoformat(value), int(ident)) if len(value) == 10 else None
    except ValueError:
        return None


def _parse_day(raw):
    """A `YYYY-MM-DD` filter value: (date or None, understood)."""
    raw = (raw or "").strip()
    if not raw:
        return None, True
    if len(raw) != 10:
        return None, False
    try:
        return date.fromisoformat(raw), True
    except ValueError:
        return None, False


def _account_code(raw) -> str | None:
    """An order account's code as typed in a URL, or None when it cannot be one."""
    code = (raw or "").strip()
    return code if len(code) <= 40 and code.isprintable() else None


@dataclass
class ListParams:
    """The list's filters, parsed leniently: anything unknown falls back to the default, with a notice.

    `after` / `before` are the keys of the rows at a page boundary, carried by the Next / Previous links so
    a deep page continues from where the last one ended instead of counting its way there. `page` stays
    the page number shown; a key that does not fit is simply not used. `amount` is the search read as an
    amount in the reader's language (for matching totals and balances), when it is one.
    """

    status: str = "all"
    whose: str = "all"
    q: str = ""
    sort: str = DEFAULT_SORT
    page: int = 1
    after: tuple | None = None
    before: tuple | None = None
    aging: str = ""
    invoice_from: date | None = None
    invoice_to: date | None = None
    due_from: date | None = None
    due_to: date | None = None
    order_account: str = ""
    amount: Decimal | None = None

    @classmethod
    def from_args(cls, args, locale: str = "en") -> tuple["ListParams", list[str]]:
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
        params.amount = parse_amount_text(q, locale) if q else None
        sort = (args.get("sort") or DEFAULT_SORT).strip()
        if sort in SORTS:
            params.sort = sort
        else:
            notices.append("unknown_sort")
        aging = (args.get("aging") or "").strip().lower()
        if aging in AGING_FILTERS:
            params.aging = aging
        elif aging:
            notices.append("unknown_aging")
        for name in DATE_FILTERS:
            value, understood = _parse_day(args.get(name))
            setattr(params, name, value)
            if not understood and "bad_date" not in notices:
                notices.append("bad_date")
        code = _account_code(args.get("order_account"))
        if code is None:
            notices.append("unknown_order_account")
        params.order_account = code or ""
        raw_page = (args.get("page") or "1").strip()
        if raw_page.isdigit() and len(raw_page) <= 9 and int(raw_page) >= 1:
            params.page = int(raw_page)
        else:
            notices.append("bad_page")
        after, before = _parse_key(args.get("after"), params.sort), _parse_key(args.get("before"), params.sort)
        if params.page > 1 and bool(after) != bool(before):
            params.after, params.before = after, before
        return params, notices

    def filters(self) -> dict:
        """The filters alone (no sort or page), as query-string arguments: what an export or a bucket keeps."""
        values = {"status": self.status, "whose": self.whose, "q": self.q, "aging": self.aging,
                  "order_account": self.order_account}
        values.update({name: getattr(self, name).isoformat() if getattr(self, name) else ""
                       for name in DATE_FILTERS})
        return {k: v for k, v in values.items() if v and v != "all"}

    def as_args(self, **changes) -> dict:
        """Query-string arguments for a link, leaving out defaults so URLs stay short."""
        values = {**self.filters(), "sort": self.sort, "page": self.page}
        values.update(changes)
        defaults = {"status": "all", "whose": "all", "q": "", "sort": DEFAULT_SORT, "page": 1,
                    "after": None, "before": None, "aging": "", "order_account": ""}
        return {k: v for k, v in values.items() if v != defaults.get(k, "")}

    def scope_args(self) -> dict:
        """Whose invoices the list is about (account, order account) and its order, without the filters that
        narrow it: what the overview's links and Pay all overdue keep."""
        return {k: v for k, v in self.as_args().items() if k in ("whose", "order_account", "sort")}

    @property
    def narrowed(self) -> bool:
        """Whether anything narrows the list (for the empty list's way back)."""
        return bool(set(self.filters()) - {"whose"}) or self.whose != "all"

    def key(self) -> tuple:
        """Everything that decides which rows are listed."""
        return (self.status, self.whose, self.q, self.sort, self.page, self.after, self.before, self.aging,
                self.invoice_from, self.invoice_to, self.due_from, self.due_to, self.order_account, self.amount)


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
        return row_key(row, self.params.sort)

    def previous_args(self) -> dict:
        """The Previous link: page 1 plainly, deeper pages from the first row of this one."""
        if self.page - 1 <= 1 or not self.rows:
            return self.params.as_args(page=self.page - 1)
        return self.params.as_args(page=self.page - 1, before=self._key(self.rows[0]))

    def next_args(self) -> dict:
        return self.params.as_args(page=self.page + 1, after=self._key(self.rows[-1]))


def row_key(row, sort: str) -> str:
    """The key of a row in the `sort` order, as a link carries it (see _parse_key)."""
    column = SORTS[sort][0]
    value = getattr(row, column)
    value = int(value * 100) if column == "total" else value.isoformat()
    if sort == ATTENTION:
        return f"{1 if row.status == PAID else 0}:{value}~{row.id}"
    return f"{value}~{row.id}"


def _lower(text: str) -> str:
    """Lower-case as the database's LOWER() does: SQLite folds ASCII letters only."""
    return text.lower() if is_postgres() else text.translate(_ASCII_LOWER)


_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


def _contains(column, text):
    return (fn.STRPOS if is_postgres() else fn.INSTR)(fn.LOWER(column), text) > 0


def _statuses(params: ListParams) -> tuple:
    """The statuses the filters allow: overdue and an aging bucket mean open invoices only."""
    found = STATUSES if params.status in ("all", "overdue") else (params.status,)
    if params.status == "overdue" or params.aging:
        found = tuple(s for s in found if s in OPEN_STATUSES)
    return found


# Queries are built once per shape — which filters are in force, not their values — and run again with the
# values (models/statements.py): `_shape` names the shape, `_values` the values its placeholders take.
def _shape(n_accounts: int, params: ListParams, search) -> tuple:
    return (n_accounts, params.status, params.aging, tuple(getattr(params, n) is not None for n in DATE_FILTERS),
            bool(params.order_account), search, params.amount is not None)


def _values(accounts, params: ListParams, q: str, on: date) -> dict:
    values = {f"a{i}": account for i, account in enumerate(accounts)}
    values.update(on=on, q=q, order_account=params.order_account,
                  amount=int(params.amount * 100) if params.amount is not None else None)
    values.update({name: getattr(params, name) for name in DATE_FILTERS})
    if params.aging:
        values["aging_first"], values["aging_last"] = bucket_range(params.aging, on)
    return values


def _narrowing(shape):
    """The conditions beyond account and status (overdue, aging, dates, order account, search), or None."""
    _, status, aging, dates, order_account, search, amount = shape
    where = []
    if status == "overdue":
        where.append(Invoice.due_date < param("on"))
    if aging:
        first, last = bucket_range(aging, date.today())
        if first is not None:
            where.append(Invoice.due_date >= param("aging_first"))
        if last is not None:
            where.append(Invoice.due_date <= param("aging_last"))
    for name, present in zip(DATE_FILTERS, dates):
        if present:
            column = Invoice.invoice_date if name.startswith("invoice") else Invoice.due_date
            where.append(column >= param(name) if name.endswith("from") else column <= param(name))
    if order_account:
        where.append(Invoice.order_account.in_(
            Customer.select(Customer.id).where(Customer.account == param("order_account"))))
    if search:
        where.append(Invoice.id.in_(_search_ids(shape[0], search, amount)))
    return reduce(operator.and_, where) if where else None


def _search_ids(n_accounts: int, search: str, amount: bool):
    """The ids of the accounts' invoices a search finds — by number, by its order account's code or name, by an
    exact total or balance — as a union of lookups that each read one index, rather than one condition tested
    against every invoice of the accounts."""
    q = param("q")
    accounts = [param(f"a{i}") for i in range(n_accounts)]
    billed = Invoice.invoice_account.in_(accounts)
    number = fn.LOWER(Invoice.number) == q if search == "exact" else _contains(Invoice.number, q)
    # The order accounts that can appear: the accounts themselves and the customers they pay for.
    order_accounts = Customer.select(Customer.id).where(
        (Customer.id.in_(accounts) | Customer.invoice_account.in_(accounts))
        & (_contains(Customer.account, q) | _contains(Customer.name, q)))
    ids = (Invoice.select(Invoice.id).where(billed & number)
           | Invoice.select(Invoice.id).where(billed & Invoice.order_account.in_(order_accounts)))
    if amount:
        ids = (ids | Invoice.select(Invoice.id).where(billed & (Invoice.total == param("amount")))
               | Invoice.select(Invoice.id).where(billed & (Invoice.balance == param("amount"))))
    return ids


def _filter(shape, statuses: tuple):
    where = Invoice.invoice_account.in_([param(f"a{i}") for i in range(shape[0])])
    if statuses != STATUSES:
        where &= Invoice.status.in_(list(statuses))
    narrowing = _narrowing(shape)
    return where if narrowing is None else where & narrowing


def _search(params: ListParams, summary) -> tuple:
    """(how the number is searched: None, "exact" or "contains"; the search as the database lower-cases it)."""
    if not params.q:
        return None, ""
    q = _lower(params.q)
    longest = max((row[4] or 0 for row in summary), default=0)
    return ("exact" if len(q) >= longest else "contains"), q


def list_invoices(user: User, params: ListParams, on: date | None = None,
                  summary: list | None = None) -> InvoicePage:
    """One page of the invoices `user` may see (Invoice.visible_to's accounts), with the count and balance of
    all that match. `summary` is what summary_rows() returned for these accounts, when the caller has it."""
    on = on or clock.today()
    accounts = Invoice.visible_account_ids(user, params.whose)
    if summary is None:
        summary = summary_rows(accounts)
    search, q = _search(params, summary)
    shape = _shape(len(accounts), params, search)
    values = _values(accounts, params, q, on)
    statuses = _statuses(params)
    plain = (search is None and params.status != "overdue" and not params.aging and not params.order_account
             and not any(getattr(params, name) for name in DATE_FILTERS))
    if not accounts or not statuses:
        totals = []
    elif plain:  # the summary rows answer it
        by_currency: dict = {}
        for status, currency, invoices, balance, _, _ in summary:
            if invoices and (params.status == "all" or status == params.status):
                n, amount = by_currency.get(currency, (0, ZERO))
                by_currency[currency] = (n + invoices, amount + (balance or ZERO))
        totals = [(currency, n, amount) for currency, (n, amount) in sorted(by_currency.items())]
    else:
        totals = statement(("invoice-totals", shape), lambda: (
            Invoice.select(Invoice.currency, fn.COUNT(Invoice.id), fn.SUM(Invoice.balance))
            .where(_filter(shape, statuses)).group_by(Invoice.currency).order_by(Invoice.currency)),
            fields=[Invoice.currency, Invoice.id, Invoice.balance]).rows(**values)
    count = sum(n for _, n, _ in totals)
    currencies = [(currency, amount) for currency, _, amount in totals]
    total_balance = sum((amount for _, amount in currencies), ZERO)
    pages = max(1, -(-count // PAGE_SIZE))
    page = min(params.page, pages)
    if page != params.page:
        params.after = params.before = None
    params.page = page
    rows = _page_rows(shape, params, values) if count else []
    return InvoicePage(rows, count, total_balance, currencies, page, pages, params)


def iter_invoices(user: User, params: ListParams, on: date | None = None, chunk: int = 2000):
    """Every invoice the list shows for `params` (all pages), in its order, read `chunk` rows at a time from
    where the last chunk ended: memory stays flat however many there are (the exports). Rows come as the
    database returns them — (id, number, invoice account id, invoice date, due date, currency, total cents,
    balance cents, status, discount %, discount until, order account code, its name); dates are ISO text on
    SQLite — because converting a hundred thousand rows to objects would take longer than writing them."""
    on = on or clock.today()
    accounts = Invoice.visible_account_ids(user, params.whose)
    if not accounts or not _statuses(params):
        return
    search, q = _search(params, summary_rows(accounts) if params.q else [])
    shape, values = _shape(len(accounts), params, search), _values(accounts, params, q, on)
    key, kind = None, "offset"
    column = {"due_date": 4, "invoice_date": 3, "total": 6}[SORTS[params.sort][0]]
    while True:
        found = statement(("invoice-page", shape, params.sort, kind, key and key[0]),
                          lambda: _page_query(shape, params, kind, key and key[0]), fields=_ROW_CONVERTERS)
        extra = {"n": chunk, "reach": chunk, "offset": 0}
        if key is not None:
            extra.update(k=key[1], kid=key[2])
        rows = found.cursor({**values, **extra}).fetchall()
        yield from rows
        if len(rows) < chunk:
            return
        last = rows[-1]
        key, kind = (1 if params.sort == ATTENTION and last[8] == PAID else 0, last[column], last[0]), "after"


OrderAccount = Customer.alias()
_ROW_FIELDS = (Invoice.id, Invoice.number, Invoice.invoice_account, Invoice.invoice_date, Invoice.due_date,
               Invoice.currency, Invoice.total, Invoice.balance, Invoice.status, Invoice.discount_percent,
               Invoice.discount_until, OrderAccount.account, OrderAccount.name)
# What turns each of a page's columns into Python (models/statements.py): the ids and texts come from either
# driver as they are used, so only the dates, amounts and the discount rate are converted.
_ROW_CONVERTERS = (None, None, None, Invoice.invoice_date, Invoice.due_date, None, Invoice.total, Invoice.balance,
                   None, Invoice.discount_percent, Invoice.discount_until, None, None)


def _page_rows(shape, params: ListParams, values: dict) -> list:
    key = params.after or params.before
    if key:
        direction = "after" if params.after else "before"
        rows = _rows(shape, params, values, direction, key, 0)
        if direction == "before":
            rows.reverse()
        if len(rows) == PAGE_SIZE:
            return rows
        # The data moved under the link (or the key is made up): count to the page instead.
    return _rows(shape, params, values, "offset", None, (params.page - 1) * PAGE_SIZE)


def _groups(params: ListParams) -> list:
    """The parts the list is read in, in order: (part, statuses to read ([None]: any), column, descending).
    The attention order has two: the open invoices by due date, oldest first, then the paid ones, latest
    first; every other order is one part."""
    statuses = _statuses(params)
    if params.sort == ATTENTION:
        groups = []
        still_open = [status for status in statuses if status in OPEN_STATUSES]
        if still_open:
            groups.append((0, still_open, Invoice.due_date, False))
        if PAID in statuses:
            groups.append((1, [PAID], Invoice.due_date, True))
        return groups
    column, descending = SORTS[params.sort]
    return [(0, [None] if statuses == STATUSES else list(statuses), getattr(Invoice, column), descending)]


def _boundary(group: int, field, descending: bool, key_part: int, backward: bool):
    """Within part `group`, the rows beyond the key (part `key_part`, value `k`, id `kid`) in the reading
    direction: a condition, True (the whole part) or False (none of it)."""
    if group != key_part:
        return (group < key_part) == backward
    if descending != backward:
        return Tuple(field, Invoice.id) < Tuple(param("k"), param("kid"))
    return Tuple(field, Invoice.id) > Tuple(param("k"), param("kid"))


def _rows(shape, params: ListParams, values: dict, kind: str, key, offset: int, limit: int = PAGE_SIZE) -> list:
    """`limit` rows, "offset" into the list or "after" / "before" a boundary key (part, value, id)."""
    key_part = key[0] if key is not None else None
    found = statement(("invoice-page", shape, params.sort, kind, key_part),
                      lambda: _page_query(shape, params, kind, key_part), fields=_ROW_CONVERTERS)
    extra = {"n": limit, "reach": offset + limit, "offset": offset}
    if key is not None:
        extra.update(k=key[1], kid=key[2])
    on = values["on"]
    return [_row(row, on) for row in found.rows(**values, **extra)]


def _page_query(shape, params: ListParams, kind: str, key_part):
    """The page query of a shape.

    Without a search, the page's ids are picked first: one arm per account and status (and part of the
    order) reads its own index in the sort order and stops at the rows it can contribute, the arms are
    merged, and only the winners' rows are read. An `IN (account, organization)` query sorted as a whole
    would read and sort every invoice of both accounts instead.
    """
    backward = kind == "before"
    search = shape[5]
    groups = _groups(params)
    rows = Invoice.select(*_ROW_FIELDS).join(OrderAccount, on=(Invoice.order_account == OrderAccount.id))
    if not groups:
        return rows.where(False)
    several = len(groups) > 1
    part = Case(None, [(Invoice.status == PAID, 1)], 0)  # which part of the order a row belongs to

    def order_of(field):
        """ORDER BY of the whole list, in the reading direction."""
        if not several:
            descending = groups[0][3] != backward
            return [field.desc() if descending else field.asc(), Invoice.id.desc() if descending else Invoice.id.asc()]
        order = [part.desc() if backward else part.asc()]
        for column in (field, Invoice.id):
            for group, _, _, descending in groups:
                value = Case(None, [(part == group, column)])
                order.append(value.desc() if descending != backward else value.asc())
        return order

    limit = param("n")
    offset = param("offset") if kind == "offset" else None
    if search:  # few rows match: filter, then sort them
        where = _filter(shape, _statuses(params))
        if key_part is not None:
            beyond = []
            for group, _, field, descending in groups:
                edge = _boundary(group, field, descending, key_part, backward)
                if edge is False:
                    continue
                in_part = (part == group) if several else None
                beyond.append(in_part if edge is True else (edge if in_part is None else in_part & edge))
            if not beyond:
                return rows.where(False)
            if not any(condition is None for condition in beyond):
                where &= reduce(operator.or_, beyond)
        query = rows.where(where).order_by(*order_of(groups[0][2])).limit(limit)
        return query.offset(offset) if offset is not None else query
    narrowing = _narrowing(shape)
    arms = []
    for group, statuses, field, descending in groups:
        edge = True if key_part is None else _boundary(group, field, descending, key_part, backward)
        if edge is False:
            continue
        descending = descending != backward
        order = (field.desc(), Invoice.id.desc()) if descending else (field.asc(), Invoice.id.asc())
        for i in range(shape[0]):
            for state in statuses:
                where = Invoice.invoice_account == param(f"a{i}")
                if state is not None:
                    where &= Invoice.status == state
                if narrowing is not None:
                    where &= narrowing
                if edge is not True:
                    where &= edge
                inner = (Invoice.select(Invoice.id, Value(group).alias("part"), field.alias("sort_key"))
                         .where(where).order_by(*order).limit(param("reach")).alias(f"arm{len(arms)}"))
                arms.append(Invoice.select(SQL("*")).from_(inner))
    if not arms:
        return rows.where(False)
    merged = arms[0]
    for arm in arms[1:]:
        merged = merged.union_all(arm)
    if several:
        order = [SQL('"part" DESC' if backward else '"part" ASC')]
        for column in ('"sort_key"', '"id"'):
            for group, _, _, descending in groups:
                direction = "DESC" if descending != backward else "ASC"
                order.append(SQL(f'CASE WHEN "part" = {group} THEN {column} END {direction}'))
    else:
        direction = "DESC" if groups[0][3] != backward else "ASC"
        order = [SQL(f'"sort_key" {direction}'), SQL(f'"id" {direction}')]
    # A compound query may only be ordered by its columns (SQLite): order the arms from a subquery.
    merged = Invoice.select(SQL("*")).from_(merged.alias("arms")).order_by(*order).limit(limit)
    if offset is not None:
        merged = merged.offset(offset)
    ids = Invoice.select(SQL('"id"')).from_(merged.alias("page_ids"))
    return rows.where(Invoice.id.in_(ids)).order_by(*order_of(groups[0][2]))


def _row(values, on: date) -> InvoiceRow:
    row = InvoiceRow()
    (row.id, row.number, row.invoice_account_id, row.invoice_date, row.due_date, row.currency, row.total,
     row.balance, row.status, row.discount_percent, row.discount_until, account, name) = values
    row.order_account = AccountRef(account, name)
    row.offer, row.late = row.cash_discount(on), row.days_overdue(on)
    row.url_number = quote(row.number, safe="")  # as it goes in the page's URL
    return row


def order_account_choices(user: User) -> list[tuple[str, str]]:
    """(code, name) of the order accounts the user can narrow the list to — the organization account and the
    customers it pays for — or [] when there is only the user's own (one query)."""
    customer = user.customer
    billing = customer.invoice_account_id or customer.id
    choices = list(Customer.select(Customer.account, Customer.name)
                   .where((Customer.id == billing) | (Customer.invoice_account == billing))
                   .order_by(Customer.account).tuples())
    return choices if len(choices) > 1 else []


# The rendered row's name ------------------------------------------------------------------------------
ROW_LAYOUT = 2  # issue 16: cells named by class, the cash discount as a badge


def rendered_row_key(row: InvoiceRow, billed_to: str, language: str, in_cart: bool, allowed: tuple) -> tuple:
    """Everything a rendered list row shows, so the same key always means the same HTML: the invoice's figures
    as just read (number, dates, amounts, status, the cash discount), its order account's code and name, whom
    it is billed to as the row says it, what the day makes of it (days overdue, the open discount), whether it
    is in the user's cart, what the user may do (which buttons are offered) and the language. Nothing is ever
    invalidated: a change to any of these is a new key."""
    offer = row.offer
    # ROW_LAYOUT names the row's markup: a new layout of templates/invoices/_rows.html bumps it, so rows kept in a
    # shared cache (Redis) by the previous release are not shown in the new page.
    return ("invoice-row", ROW_LAYOUT, language, row.id, row.number, row.invoice_date, row.due_date, row.currency, row.total,
            row.balance, row.status, row.order_account.account, row.order_account.name, billed_to, row.late,
            offer and (offer.amount, offer.pay_amount, offer.until, offer.percent), in_cart, allowed)
