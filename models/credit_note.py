"""Credit notes: money the seller owes back on (part of) one invoice, used by the buyer in the cart.

A credit note credits one invoice and is billed to that invoice's accounts, so whoever may see the invoice sees
its credit notes (`CreditNote.visible_to` asks `Invoice.visible_account_ids`, the one rule). Its `total` is what it
credits, tax included; `used` is what has been used of it in the cart to pay invoices of the same invoice account
and currency, written only by models/checkout.py: complete, under the credit note's row lock, so no credit note is
ever used for more than it holds — also when two people check out with it at the same moment.
"""
from __future__ import annotations

from decimal import Decimal

from peewee import JOIN, CharField, DateField, DateTimeField, ForeignKeyField, IntegerField

from . import BaseModel, clock
from .customer import Customer, User
from .invoice import Invoice, PricedLine, is_plausible_number
from .statements import instance, param, statement
from .money import ZERO, MoneyField

OPEN, USED = "open", "used"


class CreditNote(BaseModel):
    number = CharField(max_length=40, unique=True)
    invoice = ForeignKeyField(Invoice, backref="credit_notes", on_delete="RESTRICT")  # the credited invoice
    invoice_account = ForeignKeyField(Customer, backref="credit_notes", on_delete="RESTRICT", index=False)
    order_account = ForeignKeyField(Customer, backref="ordered_credit_notes", on_delete="RESTRICT")
    invoice_date = DateField()
    currency = CharField(max_length=3)
    total = MoneyField(default=ZERO)  # what it credits, tax included (shown negative)
    used = MoneyField(default=ZERO)  # what has been used of it in the cart
    reason = CharField(max_length=500, null=True)
    ksef_number = CharField(max_length=40, null=True)
    created_at = DateTimeField(default=clock.utcnow)

    class Meta:
        table_name = "credit_note"
        indexes = ((("invoice_account", "invoice_date", "id"), False),)

    @property
    def remaining(self) -> Decimal:
        return self.total - self.used

    @property
    def status(self) -> str:
        return OPEN if self.remaining > ZERO else USED

    @property
    def is_open(self) -> bool:
        return self.remaining > ZERO

    @classmethod
    def visible_to(cls, user: User):
        """The credit notes `user` may see: those billed to an account whose invoices the user sees."""
        return cls.select().where(cls.invoice_account.in_(list(Invoice.visible_account_ids(user))))

    @classmethod
    def get_visible(cls, user: User, number: str) -> "CreditNote":
        if not is_plausible_number(number):
            raise cls.DoesNotExist(number)
        return cls.visible_to(user).where(cls.number == number).get()

    def is_visible_to(self, user: User) -> bool:
        return self.invoice_account_id in Invoice.visible_account_ids(user)

    def __str__(self):
        return self.number


class CreditNoteLine(PricedLine):
    credit_note = ForeignKeyField(CreditNote, backref="lines", on_delete="CASCADE")
    line_no = IntegerField()

    class Meta:
        table_name = "credit_note_line"
        indexes = ((("credit_note", "line_no"), True),)


def credit_notes_of(invoice: Invoice) -> list[CreditNote]:
    """The credit notes of an invoice (the invoice page links to them; one query, built once)."""
    fields = CreditNote._meta.sorted_fields
    return [instance(CreditNote, row) for row in statement("credit-notes-of-invoice", lambda: (
        CreditNote.select(*fields).where(CreditNote.invoice == param("invoice"))
        .order_by(CreditNote.invoice_date, CreditNote.id)), fields=fields).rows(invoice=invoice.id)]


def open_credit_notes(user: User, accounts, currency: str) -> list[CreditNote]:
    """Open credit notes `user` may see, billed to one of `accounts` (ids), in `currency`: what the cart offers."""
    visible = [account for account in accounts if account in Invoice.visible_account_ids(user)]
    if not visible or not currency:
        return []
    return list(CreditNote.select(CreditNote, Invoice.id, Invoice.number)
                .join(Invoice, on=(CreditNote.invoice == Invoice.id), attr="invoice")
                .where(CreditNote.invoice_account.in_(visible), CreditNote.currency == currency,
                       CreditNote.total > CreditNote.used)
                .order_by(CreditNote.invoice_date, CreditNote.id))


PAGE_SIZE = 25


def list_credit_notes(user: User, page: int = 1):
    """A page of the credit notes `user` may see, newest first, with the credited invoice's number and the order
    account; and the number of pages."""
    query = CreditNote.visible_to(user)
    count = query.count()
    pages = max(1, -(-count // PAGE_SIZE))
    page = min(max(page, 1), pages)
    Credited, OrderAccount = Invoice.alias(), Customer.alias()
    rows = list(query.select(CreditNote, Credited.number, OrderAccount.account, OrderAccount.name)
                .join(Credited, JOIN.INNER, on=(CreditNote.invoice == Credited.id), attr="credited")
                .switch(CreditNote)
                .join(OrderAccount, JOIN.INNER, on=(CreditNote.order_account == OrderAccount.id),
                      attr="ordered")
                .order_by(CreditNote.invoice_date.desc(), CreditNote.id.desc())
                .paginate(page, PAGE_SIZE))
    return rows, count, page, pages
