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
    JOIN,
    CharField,
    DateField,
    DateTimeField,
    DecimalField,
    ForeignKeyField,
    IntegerField,
    fn,
)

from . import BaseModel
from .customer import Customer, User
from .money import ZERO, MoneyField, cents_to_money, round_money

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


class Invoice(BaseModel):
    number = CharField(max_length=40, unique=True)
    invoice_account = ForeignKeyField(Customer, backref="invoices", on_delete="RESTRICT")
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
            # The list filters by account (and status), then orders by a date or amount.
            (("invoice_account", "due_date", "id"), False),
            (("invoice_account", "status", "due_date", "id"), False),
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
        customer = user.customer
        if whose == "own":
            accounts = (customer.id,)
        elif whose == "org":
            accounts = (customer.invoice_account_id,) if customer.invoice_account_id else ()
        else:
            accounts = customer.visible_account_ids()
        if not accounts:
            return cls.select().where(False)
        if len(accounts) == 1:
            return cls.select().where(cls.invoice_account == accounts[0])
        return cls.select().where(cls.invoice_account.in_(accounts))

    @classmethod
    def get_visible(cls, user: User, number: str) -> "Invoice":
        """The invoice `number` if `user` may see it; raises Invoice.DoesNotExist otherwise."""
        if not is_plausible_number(number):
            raise cls.DoesNotExist(number)
        return cls.visible_to(user).where(cls.number == number).get()

    # Derived state -------------------------------------------------------------
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


class InvoiceLine(BaseModel):
    invoice = ForeignKeyField(Invoice, backref="lines", on_delete="CASCADE")
    line_no = IntegerField()
    item = CharField(max_length=40, default="")
    description = CharField(max_length=500)
    quantity = DecimalField(max_digits=14, decimal_places=4)
    unit_price = DecimalField(max_digits=16, decimal_places=4)
    tax_percent = DecimalField(max_digits=5, decimal_places=2, default=Decimal("0"))
    amount = MoneyField()
    tax = MoneyField()

    class Meta:
        indexes = ((("invoice", "line_no"), True),)

    @staticmethod
    def compute(quantity: Decimal, unit_price: Decimal, tax_percent: Decimal) -> tuple[Decimal, Decimal]:
        """Line amount = quantity × unit price; line tax = amount × tax percent; both rounded half-up."""
        amount = round_money(Decimal(quantity) * Decimal(unit_price))
        tax = round_money(amount * Decimal(tax_percent) / 100)
        return amount, tax

    @property
    def gross(self) -> Decimal:
        return self.amount + self.tax


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


@dataclass
class InvoiceListParams:
    """The list's filters, parsed leniently: anything unknown falls back to the default, with a notice."""

    status: str = "all"
    whose: str = "all"
    q: str = ""
    sort: str = DEFAULT_SORT
    page: int = 1

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
        return params, notices

    def as_args(self, **changes) -> dict:
        """Query-string arguments for a link, leaving out defaults so URLs stay short."""
        values = {"status": self.status, "whose": self.whose, "q": self.q, "sort": self.sort, "page": self.page}
        values.update(changes)
        defaults = {"status": "all", "whose": "all", "q": "", "sort": DEFAULT_SORT, "page": 1}
        return {k: v for k, v in values.items() if v != defaults[k]}


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
        return self.page < self.pages


def _filtered(user: User, params: InvoiceListParams, on: date):
    query = Invoice.visible_to(user, whose=params.whose)
    if params.status == "overdue":
        query = query.where(Invoice.status != PAID, Invoice.due_date < on)
    elif params.status != "all":
        query = query.where(Invoice.status == params.status)
    if params.q:
        escaped = params.q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        query = query.where(fn.LOWER(Invoice.number).contains(escaped.lower()))
    return query


def list_invoices(user: User, params: InvoiceListParams, on: date | None = None) -> InvoicePage:
    """One page of the invoices `user` may see, with the count and balance of all that match.

    Two queries: one aggregate (count and balance per currency) and one page of rows
    with the order account joined in.
    """
    on = on or today()
    base = _filtered(user, params, on)
    totals = list(
        base.select(Invoice.currency, fn.COUNT(Invoice.id).alias("n"), fn.SUM(Invoice.balance).alias("due"))
        .group_by(Invoice.currency)
        .order_by(Invoice.currency)
        .dicts()
    )
    count = sum(t["n"] for t in totals)
    currencies = [(t["currency"], cents_to_money(t["due"])) for t in totals]
    total_balance = sum((c[1] for c in currencies), ZERO)
    pages = max(1, -(-count // PAGE_SIZE))
    page = min(params.page, pages)
    params.page = page
    column, descending = SORTS[params.sort]
    field = getattr(Invoice, column)
    order = (field.desc(), Invoice.id.desc()) if descending else (field.asc(), Invoice.id.asc())
    OrderAccount = Customer.alias()
    rows = list(
        base.select(Invoice, OrderAccount.account, OrderAccount.name)
        .join(OrderAccount, JOIN.INNER, on=(Invoice.order_account == OrderAccount.id), attr="order_account")
        .order_by(*order)
        .limit(PAGE_SIZE)
        .offset((page - 1) * PAGE_SIZE)
    )
    return InvoicePage(rows, count, total_balance, currencies, page, pages, params)
