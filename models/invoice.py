"""Invoices, their lines and payments — and the portal's security rule, `visible_to`.

Balance and status are stored on the invoice so lists can filter and sort on
them at scale, but only `Invoice.settle()` and `Invoice.set_total()` write them,
and both derive status from the same function, `derive_status`.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timezone
from decimal import Decimal

from peewee import (
    BigIntegerField,
    CharField,
    CompositeKey,
    DateField,
    DateTimeField,
    DecimalField,
    ForeignKeyField,
    IntegerField,
    SQL,
    Tuple,
    fn,
)

from . import BaseModel, db, is_postgres
from .customer import Customer, User
from .money import ZERO, MoneyField, cents_to_money, round_money
from .prepared import Slot, load, prepared

UNPAID, PARTIAL, PAID = "unpaid", "partial", "paid"
STATUSES = (UNPAID, PARTIAL, PAID)


def derive_status(total: Decimal, balance: Decimal) -> str:
    """Unpaid: nothing paid yet. Partially paid: something paid, balance > 0. Paid: balance 0."""
    if balance <= ZERO:
        return PAID
    if balance < total:
        return PARTIAL
    return UNPAID


def is_plausible_number(number) -> bool:
    """Could `number` be an invoice number at all? (Keeps NUL bytes and megabyte URLs away from the database.)"""
    return isinstance(number, str) and 0 < len(number) <= 40 and number.isprintable()


def utcnow() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


def today() -> date:
    return date.today()


@dataclass(frozen=True)
class CashDiscount:
    """An open offer: pay `pay_amount` (the balance less `amount`) by `until`."""

    amount: Decimal
    pay_amount: Decimal
    until: date
    percent: Decimal


class InvoiceFigures:
    """What an invoice's stored figures mean today: shared by `Invoice` and the list's `InvoiceRow`."""

    __slots__ = ()

    @property
    def paid_amount(self) -> Decimal:
        return self.total - self.balance

    def is_overdue(self, on: date | None = None) -> bool:
        return self.balance > ZERO and self.due_date < (on or today())

    def days_overdue(self, on: date | None = None) -> int:
        on = on or today()
        return (on - self.due_date).days if self.is_overdue(on) else 0

    def cash_discount(self, on: date | None = None) -> CashDiscount | None:
        """The cash discount on the whole balance, while it is open."""
        on = on or today()
        if (
            self.balance <= ZERO
            or not self.discount_until
            or not self.discount_percent
            or on > self.discount_until
        ):
            return None
        amount = round_money(self.balance * self.discount_percent / 100)
        if amount <= ZERO:
            return None
        return CashDiscount(amount, self.balance - amount, self.discount_until, self.discount_percent)

    @property
    def payable(self) -> bool:
        return self.balance > ZERO


class Invoice(InvoiceFigures, BaseModel):
    number = CharField(max_length=40, unique=True)
    # No single-column index: every index below starts with the invoice account.
    invoice_account = ForeignKeyField(Customer, backref="invoices", on_delete="RESTRICT", index=False)
    order_account = ForeignKeyField(Customer, backref="ordered_invoices", on_delete="RESTRICT")
    invoice_date = DateField()
    due_date = DateField()
    currency = CharField(max_length=3)
    total = MoneyField(default=ZERO)
    balance = MoneyField(default=ZERO)
    status = CharField(max_length=10, default=UNPAID)
    # The cash-discount terms are fixed when the invoice is issued.
    discount_percent = DecimalField(max_digits=5, decimal_places=2, default=Decimal("0"))
    discount_until = DateField(null=True)
    created_at = DateTimeField(default=utcnow)

    class Meta:
        indexes = (
            # The list filters by account (and status), then orders by a date or amount: each page is
            # read in index order and stops after 25 rows. Currency and balance ride along in the status
            # index so the overdue count and total are read from the index alone.
            (("invoice_account", "due_date", "id"), False),
            (("invoice_account", "status", "due_date", "id", "currency", "balance"), False),
            (("invoice_account", "invoice_date", "id"), False),
            (("invoice_account", "total", "id"), False),
        )

    # The security rule -------------------------------------------------------
    @classmethod
    def visible_to(cls, user: User, *, whose: str = "all"):
        """Every invoice `user` may see: billed to the user's customer or to its organization account.

        This is the only place the rule lives; every list, count, search, detail
        page, cart add and request goes through it. `whose` narrows to "own"
        (billed to the user's customer) or "org" (billed to the organization account).
        """
        accounts = cls.visible_account_ids(user, whose)
        if not accounts:
            return cls.select().where(False)
        if len(accounts) == 1:
            return cls.select().where(cls.invoice_account == accounts[0])
        return cls.select().where(cls.invoice_account.in_(accounts))

    @staticmethod
    def visible_account_ids(user: User, whose: str = "all") -> tuple:
        """The invoice accounts behind `visible_to`: the user's customer and its organization account."""
        customer = user.customer
        if whose == "own":
            return (customer.id,)
        if whose == "org":
            return (customer.invoice_account_id,) if customer.invoice_account_id else ()
        return customer.visible_account_ids()

    def is_visible_to(self, user: User) -> bool:
        """The same rule for an invoice already loaded (a re-check under lock, before money moves)."""
        return self.invoice_account_id in self.visible_account_ids(user)

    @classmethod
    def get_visible(cls, user: User, number: str) -> "Invoice":
        """The invoice `number` if `user` may see it; raises Invoice.DoesNotExist otherwise."""
        if not is_plausible_number(number):
            raise cls.DoesNotExist(number)
        accounts = cls.visible_account_ids(user)
        if not accounts:
            raise cls.DoesNotExist(number)
        # visible_to(user) with the number, built once (models/prepared.py): pages and buttons ask per request.
        query = prepared(("invoice-get-visible", len(accounts)), lambda: (
            cls.select().where(cls.invoice_account.in_([Slot(f"a{i}") for i in range(len(accounts))]),
                               cls.number == Slot("number"))))
        row = query.one(number=number, **_accounts_slots(accounts))
        if row is None:
            raise cls.DoesNotExist(number)
        return load(cls, row)

    # The only writers of balance and status ------------------------------------------
    def set_total(self, total: Decimal, paid: Decimal = ZERO) -> None:
        self.total = round_money(total)
        self.balance = self.total - round_money(paid)
        self.status = derive_status(self.total, self.balance)

    def settle(self, amount: Decimal, discount: Decimal = ZERO) -> None:
        """Reduce the balance by a payment and the discount it took. Callers hold the row lock."""
        amount, discount = round_money(amount), round_money(discount)
        if amount <= ZERO or discount < ZERO or amount + discount > self.balance:
            raise ValueError("payment does not fit the balance")
        self.balance = self.balance - amount - discount
        self.status = derive_status(self.total, self.balance)

    # Convenience ------------------------------------------------------------------------
    def whose_label_for(self, user: User) -> str:
        return "own" if self.invoice_account_id == user.customer_id else "org"

    def __str__(self):
        return self.number


# Search: `LOWER(number)` beside the account answers an exact number at once and keeps a
# substring search within the account's own index entries.
Invoice.add_index(Invoice.index(Invoice.invoice_account, fn.LOWER(Invoice.number),
                                name="invoice_account_number_lower"))


class PricedLine(BaseModel):
    """What an invoice line and a sales-order line share: the item, its price and tax, and the money rule.
    Not a table of its own; InvoiceLine and SalesOrderLine inherit its fields."""

    item = CharField(max_length=40, default="")
    description = CharField(max_length=500)
    quantity = DecimalField(max_digits=14, decimal_places=4)
    unit_price = DecimalField(max_digits=16, decimal_places=4)
    tax_percent = DecimalField(max_digits=5, decimal_places=2, default=Decimal("0"))
    amount = MoneyField()
    tax = MoneyField()

    @staticmethod
    def compute(quantity: Decimal, unit_price: Decimal, tax_percent: Decimal) -> tuple[Decimal, Decimal]:
        """Line amount = quantity × unit price; line tax = amount × tax percent; both rounded half-up."""
        amount = round_money(Decimal(quantity) * Decimal(unit_price))
        tax = round_money(amount * Decimal(tax_percent) / 100)
        return amount, tax

    @property
    def gross(self) -> Decimal:
        return self.amount + self.tax


class InvoiceLine(PricedLine):
    invoice = ForeignKeyField(Invoice, backref="lines", on_delete="CASCADE")
    line_no = IntegerField()

    class Meta:
        indexes = ((("invoice", "line_no"), True),)


class Payment(BaseModel):
    """Money received against one invoice: through the portal, or recorded before import."""

    METHOD_CARD = "card"
    METHOD_IMPORTED = "imported"

    invoice = ForeignKeyField(Invoice, backref="payments", on_delete="CASCADE")
    amount = MoneyField()
    discount = MoneyField(default=ZERO)
    method = CharField(max_length=20)
    gateway_reference = CharField(max_length=100, null=True, index=True)
    user = ForeignKeyField(User, null=True, backref="payments", on_delete="SET NULL")
    created_at = DateTimeField(default=utcnow)


# Summaries kept by the database ---------------------------------------------------------------


class InvoiceSummary(BaseModel):
    """How many invoices are billed to an account, per status and currency, and their open balance.

    The list's counts and totals read these few rows instead of the account's invoices. Database
    triggers on `invoice` keep them exact on every write — model saves, bulk inserts, imports and
    raw SQL alike — so no code path can forget them. `number_length` is the longest invoice number
    ever billed to the account (it never shrinks): a search at least that long can only be an exact
    number, which the number index answers at once.

    `version` changes with every write that changes what the list shows of an invoice billed to the
    account (and when an order account's name changes): a rendered page of the list is reused for
    as long as the versions of its accounts' rows stay the same (views/invoices.py). A new or rebuilt
    row starts from the database clock in microseconds (SQLite's is precise to the millisecond), so a
    version comes back only if the clock goes backwards.
    """

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

    @classmethod
    def create_table(cls, safe=True, **options):
        existed = cls.table_exists()
        super().create_table(safe=safe, **options)
        if existed and "version" not in {c.name for c in db.get_columns(cls._meta.table_name)}:
            db.execute_sql(f"ALTER TABLE {cls._meta.table_name} ADD COLUMN version BIGINT NOT NULL DEFAULT 0")
        install_summary_triggers()
        if not existed:
            rebuild_summaries()  # a database from before the summaries: count what is there

    @classmethod
    def drop_table(cls, safe=True, drop_sequences=True, **options):
        drop_summary_triggers()
        super().drop_table(safe=safe, drop_sequences=drop_sequences, **options)


_TRIGGERS = ("invoice_summary_insert", "invoice_summary_update", "invoice_summary_delete")
_CUSTOMER_TRIGGER = "customer_name_version"


def _summary_sql() -> dict:
    names = {"invoice": Invoice._meta.table_name, "summary": InvoiceSummary._meta.table_name,
             "account": Invoice.invoice_account.column_name, "order_account": Invoice.order_account.column_name,
             "customer": Customer._meta.table_name}
    return names


# What a list row shows of an invoice: a change to any of these is a change to the list.
_SHOWN_COLUMNS = ("number", "status", "currency", "balance", "total", "invoice_date", "due_date",
                  "discount_percent", "discount_until")


def _clock_us(postgres: bool) -> str:
    """The database's clock in microseconds since 1970, where a new summary row's version starts."""
    if postgres:
        return "(extract(epoch from clock_timestamp()) * 1000000)::bigint"
    return "CAST((julianday('now') - 2440587.5) * 86400000000.0 AS INTEGER)"


def install_summary_triggers() -> None:
    """(Re)install the triggers that keep InvoiceSummary exact and its versions moving."""
    n = _summary_sql()
    postgres = is_postgres()
    # PostgreSQL needs the table named in DO UPDATE; SQLite allows no alias inside a trigger.
    add = ("INSERT INTO {summary}{alias} (account_id, status, currency, invoices, balance, number_length, version) "
           "VALUES (NEW.{account}, NEW.status, NEW.currency, 1, NEW.balance, length(NEW.number), {clock}) "
           "ON CONFLICT (account_id, status, currency) DO UPDATE SET invoices = {s}invoices + 1, "
           "balance = {s}balance + excluded.balance, "
           "number_length = {greatest}({s}number_length, excluded.number_length), version = {s}version + 1")
    remove = ("UPDATE {summary} SET invoices = invoices - 1, balance = balance - OLD.balance, version = version + 1 "
              "WHERE account_id = OLD.{account} AND status = OLD.status AND currency = OLD.currency")
    ne = "IS DISTINCT FROM" if postgres else "IS NOT"
    changed = " OR ".join(f"OLD.{c} {ne} NEW.{c}" for c in ("{account}", "{order_account}", *_SHOWN_COLUMNS))
    # An order account's new name shows in the rows of every account it has invoices billed to.
    renamed = ("UPDATE {summary} SET version = version + 1 WHERE account_id IN "
               "(SELECT {account} FROM {invoice} WHERE {order_account} = NEW.id)").format(**n)
    renamed_when = f"OLD.name {ne} NEW.name OR OLD.account {ne} NEW.account"
    if postgres:
        add, remove = add.format(greatest="GREATEST", alias=" AS s", s="s.", clock=_clock_us(True), **n), remove.format(**n)
        changed = changed.format(**n)
        statements = [
            f"""CREATE OR REPLACE FUNCTION invoice_summary_sync() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP <> 'INSERT' THEN {remove}; END IF;
  IF TG_OP <> 'DELETE' THEN {add}; END IF;
  RETURN NULL;
END $$""",
            f"""CREATE OR REPLACE FUNCTION invoice_summary_clear() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN DELETE FROM {n['summary']}; RETURN NULL; END $$""",
            f"""CREATE OR REPLACE FUNCTION customer_name_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN {renamed}; RETURN NULL; END $$""",
            *[f"DROP TRIGGER IF EXISTS {name} ON {n['invoice']}" for name in (*_TRIGGERS, "invoice_summary_truncate")],
            f"DROP TRIGGER IF EXISTS {_CUSTOMER_TRIGGER} ON {n['customer']}",
            f"CREATE TRIGGER invoice_summary_insert AFTER INSERT ON {n['invoice']} "
            "FOR EACH ROW EXECUTE FUNCTION invoice_summary_sync()",
            f"CREATE TRIGGER invoice_summary_update AFTER UPDATE ON {n['invoice']} "
            f"FOR EACH ROW WHEN ({changed}) EXECUTE FUNCTION invoice_summary_sync()",
            f"CREATE TRIGGER invoice_summary_delete AFTER DELETE ON {n['invoice']} "
            "FOR EACH ROW EXECUTE FUNCTION invoice_summary_sync()",
            f"CREATE TRIGGER invoice_summary_truncate AFTER TRUNCATE ON {n['invoice']} "
            "FOR EACH STATEMENT EXECUTE FUNCTION invoice_summary_clear()",
            f"CREATE TRIGGER {_CUSTOMER_TRIGGER} AFTER UPDATE ON {n['customer']} "
            f"FOR EACH ROW WHEN ({renamed_when}) EXECUTE FUNCTION customer_name_version()",
        ]
    else:
        add, remove = add.format(greatest="max", alias="", s="", clock=_clock_us(False), **n), remove.format(**n)
        changed = changed.format(**n)
        statements = [
            *[f"DROP TRIGGER IF EXISTS {name}" for name in (*_TRIGGERS, _CUSTOMER_TRIGGER)],
            f"CREATE TRIGGER invoice_summary_insert AFTER INSERT ON {n['invoice']} BEGIN {add}; END",
            f"CREATE TRIGGER invoice_summary_update AFTER UPDATE ON {n['invoice']} "
            f"WHEN {changed} BEGIN {remove}; {add}; END",
            f"CREATE TRIGGER invoice_summary_delete AFTER DELETE ON {n['invoice']} BEGIN {remove}; END",
            f"CREATE TRIGGER {_CUSTOMER_TRIGGER} AFTER UPDATE ON {n['customer']} "
            f"WHEN {renamed_when} BEGIN {renamed}; END",
        ]
    with db.atomic():
        for statement in statements:
            db.execute_sql(statement)


def drop_summary_triggers() -> None:
    n = _summary_sql()
    if not Invoice.table_exists():
        return
    if is_postgres():
        for name in (*_TRIGGERS, "invoice_summary_truncate"):
            db.execute_sql(f"DROP TRIGGER IF EXISTS {name} ON {n['invoice']}")
        db.execute_sql(f"DROP TRIGGER IF EXISTS {_CUSTOMER_TRIGGER} ON {n['customer']}")
    else:
        for name in (*_TRIGGERS, _CUSTOMER_TRIGGER):
            db.execute_sql(f"DROP TRIGGER IF EXISTS {name}")


def rebuild_summaries() -> None:
    """Count every invoice again (after a bulk load that ran without the triggers)."""
    with db.atomic():
        InvoiceSummary.delete().execute()
        InvoiceSummary.insert_from(
            Invoice.select(Invoice.invoice_account, Invoice.status, Invoice.currency, fn.COUNT(Invoice.id),
                           fn.SUM(Invoice.balance), fn.MAX(fn.LENGTH(Invoice.number)), SQL(_clock_us(is_postgres())))
            .group_by(Invoice.invoice_account, Invoice.status, Invoice.currency),
            fields=[InvoiceSummary.account_id, InvoiceSummary.status, InvoiceSummary.currency,
                    InvoiceSummary.invoices, InvoiceSummary.balance, InvoiceSummary.number_length,
                    InvoiceSummary.version],
        ).execute()


# List queries -----------------------------------------------------------------------------
STATUS_FILTERS = ("all", "unpaid", "partial", "paid", "overdue")
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
class InvoiceListParams:
    """The list's filters, parsed leniently: anything unknown falls back to the default, with a notice.

    `after` / `before` are the keys of the rows at a page boundary, carried by the Next / Previous
    links so a deep page continues from where the last one ended instead of counting its way there.
    `page` stays the page number shown; a key that does not fit is simply not used.
    """

    status: str = "all"
    whose: str = "all"
    q: str = ""
    sort: str = DEFAULT_SORT
    page: int = 1
    after: tuple | None = None
    before: tuple | None = None

    @classmethod
    def from_args(cls, args) -> tuple["InvoiceListParams", list[str]]:
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


class AccountRef:
    """The order account as a list row shows it."""

    __slots__ = ("account", "name")

    def __init__(self, account, name):
        self.account, self.name = account, name


class InvoiceRow(InvoiceFigures):
    """One row of the list: the invoice's figures and its order account, without a model object's weight
    (a page of Peewee objects cost more than the query that read them)."""

    __slots__ = ("id", "number", "invoice_account_id", "invoice_date", "due_date", "currency", "total",
                 "balance", "status", "discount_percent", "discount_until", "order_account", "offer", "late")

    def __str__(self):
        return self.number


@dataclass
class InvoicePage:
    rows: list
    count: int
    total_balance: Decimal
    currencies: list
    page: int
    pages: int
    params: InvoiceListParams

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


# Raw values as the drivers return them (SQLite: dates as text) into what the rows hold.
_DATES: dict = {}


def _as_date(value):
    if value is None or isinstance(value, date):
        return value
    found = _DATES.get(value)
    if found is None:
        found = date.fromisoformat(value)
        if len(_DATES) < 20_000:
            _DATES[value] = found
    return found


_PERCENTS: dict = {}


def _as_percent(value):
    found = _PERCENTS.get(value)
    if found is None:
        found = _PERCENTS[value] = Invoice.discount_percent.python_value(value) if value is not None else None
    return found


def _row(values, on: date) -> InvoiceRow:
    """A list row, with what the page shows about `on` worked out once: the open cash discount
    (`offer`) and the days overdue (`late`)."""
    row = InvoiceRow()
    (row.id, row.number, row.invoice_account_id, invoice_date, due_date, row.currency, total, balance,
     row.status, percent, until, account, name) = values
    row.invoice_date, row.due_date, row.discount_until = _as_date(invoice_date), _as_date(due_date), _as_date(until)
    row.total, row.balance = cents_to_money(total), cents_to_money(balance)
    row.discount_percent = _as_percent(percent)
    row.order_account = AccountRef(account, name)
    row.offer, row.late = row.cash_discount(on), row.days_overdue(on)
    return row


def _accounts_slots(accounts) -> dict:
    return {f"a{i}": account for i, account in enumerate(accounts)}


def _where(n_accounts: int, status: str, search: str | None):
    """The list's filter for a query shape, with Slots for the values (see models/prepared.py)."""
    slots = [Slot(f"a{i}") for i in range(n_accounts)]
    where = (Invoice.invoice_account == slots[0]) if n_accounts == 1 else Invoice.invoice_account.in_(slots)
    if status == "overdue":
        where &= Invoice.status.in_([UNPAID, PARTIAL]) & (Invoice.due_date < Slot("on"))
    elif status != "all":
        where &= Invoice.status == Slot("status")
    if search == "exact":
        where &= fn.LOWER(Invoice.number) == Slot("q")
    elif search == "contains":
        where &= (fn.STRPOS if is_postgres() else fn.INSTR)(fn.LOWER(Invoice.number), Slot("q")) > 0
    return where


def summary_rows(accounts) -> list:
    """(status, currency, invoices, balance in cents, number length, version) of the accounts' invoices,
    in a fixed order: the same data gives the same list, so it can key a rendered page."""
    if not accounts:
        return []
    query = prepared(("invoice-summary", len(accounts)), lambda: (
        InvoiceSummary.select(InvoiceSummary.status, InvoiceSummary.currency, InvoiceSummary.invoices,
                              InvoiceSummary.balance, InvoiceSummary.number_length, InvoiceSummary.version)
        .where(InvoiceSummary.account_id.in_([Slot(f"a{i}") for i in range(len(accounts))]))
        .order_by(InvoiceSummary.account_id, InvoiceSummary.status, InvoiceSummary.currency)))
    return query.rows(**_accounts_slots(accounts))


def _lower(text: str) -> str:
    """Lower-case as the database's LOWER() does: SQLite folds ASCII letters only."""
    return text.lower() if is_postgres() else text.translate(_ASCII_LOWER)


_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


def list_invoices(user: User, params: InvoiceListParams, on: date | None = None,
                  summary: list | None = None) -> InvoicePage:
    """One page of the invoices `user` may see, with the count and balance of all that match.

    Counts and totals come from the accounts' summary rows (three to a dozen rows, whatever the
    number of invoices) unless the filter is one the summary cannot answer — overdue (it depends on
    today) or a search — which is then counted from an index. The page itself is read in index
    order and stops after 25 rows; Next/Previous links carry the boundary row's key so deep pages
    cost no more than the first. Each query is built once and reused (models/prepared.py).
    `summary` is what summary_rows() returned for these accounts, when the caller already has it.
    """
    on = on or today()
    accounts = Invoice.visible_account_ids(user, params.whose)
    if summary is None:
        summary = summary_rows(accounts)
    search, q = None, ""
    if params.q:
        q = _lower(params.q)
        longest = max((row[4] or 0 for row in summary), default=0)
        search = "exact" if len(q) >= longest else "contains"
    values = {**_accounts_slots(accounts), "on": on, "q": q, "status": params.status}
    if not accounts:
        totals = []
    elif search is None and params.status != "overdue":
        by_currency: dict = {}
        for status, currency, invoices, balance, _, _ in summary:
            if invoices and (params.status == "all" or status == params.status):
                n, cents = by_currency.get(currency, (0, 0))
                by_currency[currency] = (n + invoices, cents + (balance or 0))
        totals = [(currency, n, cents) for currency, (n, cents) in sorted(by_currency.items())]
    else:
        shape = (len(accounts), params.status if params.status in ("all", "overdue") else "one", search)
        totals = prepared(("invoice-totals", shape), lambda: (
            Invoice.select(Invoice.currency, fn.COUNT(Invoice.id), fn.SUM(Invoice.balance))
            .where(_where(*shape)).group_by(Invoice.currency).order_by(Invoice.currency))).rows(**values)
    count = sum(n for _, n, _ in totals)
    currencies = [(currency, cents_to_money(cents)) for currency, _, cents in totals]
    total_balance = sum((c[1] for c in currencies), ZERO)
    pages = max(1, -(-count // PAGE_SIZE))
    page = min(params.page, pages)
    if page != params.page:
        params.after = params.before = None
    params.page = page
    rows = _page_rows(accounts, params, search, values) if count else []
    return InvoicePage(rows, count, total_balance, currencies, page, pages, params)


def _page_rows(accounts, params: InvoiceListParams, search, values) -> list:
    status = params.status if params.status in ("all", "overdue") else "one"
    shape = (len(accounts), status, search)
    column, descending = SORTS[params.sort]
    key = params.after or params.before
    if key:
        direction = "after" if params.after else "before"
        rows = _rows_query(shape, params.sort, direction).rows(**values, k=key[0], kid=key[1], n=PAGE_SIZE,
                                                               reach=PAGE_SIZE)
        if direction == "before":
            rows.reverse()
        if len(rows) == PAGE_SIZE:
            return [_row(r, values["on"]) for r in rows]
        # The data moved under the link (or the key is made up): count to the page instead.
    offset = (params.page - 1) * PAGE_SIZE
    rows = _rows_query(shape, params.sort, "offset").rows(**values, n=PAGE_SIZE, offset=offset,
                                                          reach=offset + PAGE_SIZE)
    return [_row(r, values["on"]) for r in rows]


def _rows_query(shape, sort: str, kind: str):
    """The page query for a filter shape, sort and kind: "offset", or "after" / "before" a key.

    Without a search, the page's ids are picked first: one arm per account (and per open status for
    overdue) reads its own index in the sort order and stops at the rows it can contribute, the arms
    are merged, and only the 25 winners' rows are read. An `IN (account, organization)` query sorted
    as a whole would read and sort every invoice of both accounts instead.
    """

    def build():
        n_accounts, status, search = shape
        column, descending = SORTS[sort]
        field = getattr(Invoice, column)
        if kind == "before":
            descending = not descending
        order = (field.desc(), Invoice.id.desc()) if descending else (field.asc(), Invoice.id.asc())
        boundary = None
        if kind in ("after", "before"):
            key, key_slot = Tuple(field, Invoice.id), Tuple(Slot("k"), Slot("kid"))
            boundary = (key < key_slot) if descending else (key > key_slot)
        OrderAccount = Customer.alias()
        rows = (Invoice.select(Invoice.id, Invoice.number, Invoice.invoice_account, Invoice.invoice_date,
                               Invoice.due_date, Invoice.currency, Invoice.total, Invoice.balance, Invoice.status,
                               Invoice.discount_percent, Invoice.discount_until, OrderAccount.account,
                               OrderAccount.name)
                .join(OrderAccount, on=(Invoice.order_account == OrderAccount.id)))
        paging = (Slot("n"), Slot("offset")) if kind == "offset" else (Slot("n"), None)
        if search:  # few rows match: filter, then sort them
            where = _where(*shape) & boundary if boundary is not None else _where(*shape)
            query = rows.where(where).order_by(*order).limit(paging[0])
            return query.offset(paging[1]) if paging[1] is not None else query
        arms = []
        statuses = [UNPAID, PARTIAL] if status == "overdue" else [Slot("status")] if status == "one" else [None]
        for i in range(n_accounts):
            for state in statuses:
                where = Invoice.invoice_account == Slot(f"a{i}")
                if state is not None:
                    where &= Invoice.status == state
                if status == "overdue":
                    where &= Invoice.due_date < Slot("on")
                if boundary is not None:
                    where &= boundary
                inner = (Invoice.select(Invoice.id, field.alias("sort_key")).where(where).order_by(*order)
                         .limit(Slot("reach")).alias(f"arm{len(arms)}"))
                arms.append(Invoice.select(SQL("*")).from_(inner))
        merged = arms[0]
        for arm in arms[1:]:
            merged = merged.union_all(arm)
        direction = "DESC" if descending else "ASC"
        merged = merged.order_by(SQL(f'"sort_key" {direction}'), SQL(f'"id" {direction}')).limit(paging[0])
        if paging[1] is not None:
            merged = merged.offset(paging[1])
        ids = Invoice.select(SQL('"id"')).from_(merged.alias("page_ids"))
        return rows.where(Invoice.id.in_(ids)).order_by(*order)

    return prepared(("invoice-page", shape, sort, kind), build)
