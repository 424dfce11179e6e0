"""Invoices, their lines and payments — and the portal's security rule, `Invoice.visible_to`.

Balance and status are stored on the invoice so lists can filter and sort on them at scale, but only
`Invoice.settle()` and `Invoice.set_total()` write them, and both derive status from the same function,
`derive_status`. The list of invoices (filters, pages) is models/invoice_list.py; the per-account counts
the database keeps are models/summary.py.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from peewee import CharField, DateField, DateTimeField, DecimalField, ForeignKeyField, IntegerField, TextField, fn

from . import BaseModel, clock
from .customer import Customer, User
from .identifiers import kid_candidates
from .money import ZERO, MoneyField, round_money
from .statements import instance, param, statement

UNPAID, PARTIAL, PAID = "unpaid", "partial", "paid"
STATUSES = (UNPAID, PARTIAL, PAID)
OPEN_STATUSES = (UNPAID, PARTIAL)


def derive_status(total: Decimal, balance: Decimal) -> str:
    """Unpaid: nothing paid yet. Partially paid: something paid, balance > 0. Paid: balance 0."""
    if balance <= ZERO:
        return PAID
    if balance < total:
        return PARTIAL
    return UNPAID


def free_kid(number: str, reserved=()) -> str:
    """A KID for invoice `number` that no other invoice has (nor any in `reserved`): the invoice number's digits
    with a MOD10 check digit, or the first free variant of it (models/identifiers.py: kid_candidates)."""
    batch = []
    for candidate in kid_candidates(number):
        if candidate in reserved:
            continue
        batch.append(candidate)
        if len(batch) == 20:
            taken = {kid for (kid,) in Invoice.select(Invoice.kid).where(
                Invoice.kid.in_(batch), Invoice.number != number).tuples()}
            for kid in batch:
                if kid not in taken:
                    return kid
            batch = []
    raise ValueError(f"no free KID for {number}")


def is_plausible_number(number) -> bool:
    """Could `number` be an invoice number at all? (Keeps NUL bytes and megabyte URLs away from the database.)"""
    return isinstance(number, str) and 0 < len(number) <= 40 and number.isprintable()


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
        return self.balance > ZERO and self.due_date < (on or clock.today())

    def days_overdue(self, on: date | None = None) -> int:
        on = on or clock.today()
        return (on - self.due_date).days if self.is_overdue(on) else 0

    def cash_discount(self, on: date | None = None) -> CashDiscount | None:
        """The cash discount on the whole balance, while it is open."""
        on = on or clock.today()
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
    created_at = DateTimeField(default=clock.utcnow)
    # What a finance department books and pays it by (docs/einvoices.md).
    kid = CharField(max_length=25, null=True, unique=True)  # NOK invoices: the payment reference (KID)
    buyer_reference = CharField(max_length=100, null=True)  # the buyer's reference (PO number)
    delivery_date = DateField(null=True)
    delivery_address = TextField(null=True)
    ksef_number = CharField(max_length=40, null=True)  # PLN invoices registered in KSeF

    class Meta:
        indexes = (
            # The list filters by account (and status), then orders by a date or amount: each page is
            # read in index order and stops after 25 rows. Currency and balance ride along in the status
            # index so the overdue count and total are read from the index alone.
            (("invoice_account", "due_date", "id"), False),
            (("invoice_account", "status", "due_date", "id", "currency", "balance"), False),
            (("invoice_account", "invoice_date", "id"), False),
            (("invoice_account", "total", "id"), False),
            # One order account's invoices (a distributor narrowing the list to one of its retailers).
            (("invoice_account", "order_account", "due_date", "id"), False),
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
        # visible_to(user) narrowed to the number, built once per number of accounts (models/statements.py):
        # every Pay invoice, request and PDF asks.
        row = statement(("invoice-get-visible", len(accounts)), lambda: (
            cls.select(*cls._meta.sorted_fields)
            .where(cls.invoice_account.in_([param(f"a{i}") for i in range(len(accounts))]),
                   cls.number == param("number"))), fields=cls._meta.sorted_fields).one(
            number=number, **{f"a{i}": account for i, account in enumerate(accounts)})
        if row is None:
            raise cls.DoesNotExist(number)
        return instance(cls, row)

    def with_accounts(self) -> "Invoice":
        """This invoice with its invoice account and order account loaded (one query)."""
        ids = (self.invoice_account_id, self.order_account_id)
        fields = Customer._meta.sorted_fields
        rows = statement("customers-by-two-ids", lambda: Customer.select(*fields).where(
            Customer.id.in_([param("a"), param("b")])), fields=fields).rows(a=ids[0], b=ids[1])
        found = {row[0]: instance(Customer, row) for row in rows}
        self.invoice_account, self.order_account = found[ids[0]], found[ids[1]]
        return self

    def line_list(self) -> list:
        """The invoice's lines in order (one query)."""
        fields = InvoiceLine._meta.sorted_fields
        return [instance(InvoiceLine, row) for row in statement("invoice-lines", lambda: InvoiceLine.select(*fields)
                .where(InvoiceLine.invoice == param("invoice")).order_by(InvoiceLine.line_no), fields=fields)
                .rows(invoice=self.id)]

    def payment_list(self) -> list:
        """The payments received against the invoice, oldest first (one query)."""
        fields = Payment._meta.sorted_fields
        return [instance(Payment, row) for row in statement("invoice-payments", lambda: Payment.select(*fields)
                .where(Payment.invoice == param("invoice")).order_by(Payment.created_at, Payment.id), fields=fields)
                .rows(invoice=self.id)]

    @classmethod
    def by_kid(cls, reference) -> "Invoice | None":
        """The invoice a bank transfer quoting `reference` as its KID pays (spaces ignored), or None."""
        if not isinstance(reference, str):
            return None
        kid = "".join(reference.split())
        if not kid or len(kid) > 25 or not kid[:-1].isdigit():
            return None
        return cls.get_or_none(cls.kid == kid)

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
    created_at = DateTimeField(default=clock.utcnow)


