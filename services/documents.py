"""Everything printed on an invoice or a credit note — in the PDF, the e-invoice, the email and the page — loaded
once: the document, its accounts, lines, VAT per rate, payments, the seller and how to pay.

Payment details (SPEC "Invoices a finance department accepts"): the seller's bank account for the currency, the
amount (the balance), the due date and the reference to quote — the KID for NOK invoices, a transfer title with the
invoice number for PLN ones, the invoice number otherwise.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from models.credit_note import CreditNote, CreditNoteLine, credit_notes_of
from models.customer import Customer
from models.invoice import Invoice
from models.money import ZERO
from models.order import SalesOrder
from models.vat import VatRate, breakdown

from .seller import BankAccount, Seller, seller

KID, TRANSFER_TITLE, INVOICE_NUMBER = "kid", "transfer_title", "invoice_number"


@dataclass(frozen=True)
class PaymentDetails:
    account: BankAccount
    amount: Decimal
    currency: str
    due_date: date
    reference_kind: str  # KID, TRANSFER_TITLE or INVOICE_NUMBER
    reference: str


def payment_details(invoice: Invoice, who: Seller | None = None) -> PaymentDetails:
    who = who or seller()
    if invoice.currency == "NOK" and invoice.kid:
        kind, reference = KID, invoice.kid
    elif invoice.currency == "PLN":
        kind, reference = TRANSFER_TITLE, f"Faktura {invoice.number}"
    else:
        kind, reference = INVOICE_NUMBER, invoice.number
    return PaymentDetails(who.account_for(invoice.currency), invoice.balance, invoice.currency, invoice.due_date,
                          kind, reference)


def _accounts(*ids) -> dict:
    return {c.id: c for c in Customer.select().where(Customer.id.in_(set(ids)))}


class _Sums:
    """The sums under a document's lines."""

    lines: list

    @property
    def subtotal(self) -> Decimal:
        return sum((line.amount for line in self.lines), ZERO)

    @property
    def tax_total(self) -> Decimal:
        return sum((line.tax for line in self.lines), ZERO)

    @property
    def vat(self) -> list[VatRate]:
        return breakdown(self.lines)


@dataclass
class InvoiceDocument(_Sums):
    """An invoice with everything printed on it (a handful of small queries)."""

    invoice: Invoice
    billed: Customer
    ordered: Customer
    lines: list
    payments: list
    seller: Seller
    order: SalesOrder | None = None
    credit_notes: list = field(default_factory=list)
    kind: str = "invoice"

    @classmethod
    def load(cls, invoice: Invoice) -> "InvoiceDocument":
        invoice.with_accounts()
        order = SalesOrder.of_invoice(invoice.id)
        return cls(invoice, invoice.invoice_account, invoice.order_account, invoice.line_list(),
                   invoice.payment_list(), seller(), order, credit_notes_of(invoice))

    @property
    def number(self) -> str:
        return self.invoice.number

    @property
    def currency(self) -> str:
        return self.invoice.currency

    @property
    def total(self) -> Decimal:
        return self.invoice.total

    @property
    def discounts(self) -> Decimal:
        return sum((p.discount for p in self.payments), ZERO)

    @property
    def paid_money(self) -> Decimal:
        return sum((p.amount for p in self.payments), ZERO)

    @property
    def payment(self) -> PaymentDetails:
        return payment_details(self.invoice, self.seller)

    @property
    def buyer_reference(self) -> str | None:
        return self.invoice.buyer_reference


@dataclass
class CreditNoteDocument(_Sums):
    """A credit note with everything printed on it, and the invoice it credits."""

    note: CreditNote
    credited: Invoice
    billed: Customer
    ordered: Customer
    lines: list
    seller: Seller
    kind: str = "credit_note"

    @classmethod
    def load(cls, note: CreditNote) -> "CreditNoteDocument":
        accounts = _accounts(note.invoice_account_id, note.order_account_id)
        lines = list(CreditNoteLine.select().where(CreditNoteLine.credit_note == note.id)
                     .order_by(CreditNoteLine.line_no))
        credited = Invoice.get_by_id(note.invoice_id)
        return cls(note, credited, accounts[note.invoice_account_id], accounts[note.order_account_id], lines,
                   seller())

    @property
    def number(self) -> str:
        return self.note.number

    @property
    def currency(self) -> str:
        return self.note.currency

    @property
    def total(self) -> Decimal:
        return self.note.total

    @property
    def buyer_reference(self) -> str | None:
        return self.credited.buyer_reference
