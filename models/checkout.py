"""Paying the invoices in a cart: a checkout, the gateway's result, and the payments it records.

A `Checkout` freezes what the buyer agreed to pay (one `CheckoutLine` per invoice) and the
version of the cart it came from; the gateway charges its total. When the gateway's signed
result comes back, `complete()` records it in ONE transaction that first takes the locks
(BEGIN IMMEDIATE on SQLite, SELECT ... FOR UPDATE on PostgreSQL: checkout, then cart, then
invoices in id order, so two payers never deadlock) and then re-checks every amount against
the balance at that moment. So:

- a replayed return (reload, back button, double click) finds the checkout already paid and
  records nothing more;
- a second checkout of the same cart (double click on Pay now, a second tab) finds the cart
  changed and is refused;
- two people paying the same invoice at the same moment: the second finds the smaller balance,
  is refused with a message, and the gateway is told to release its payment (not charged).
"""
from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from peewee import CharField, DateTimeField, ForeignKeyField, IntegerField

from . import BaseModel, clock, lock_rows, write_transaction
from .activity import PAYMENT, record
from .cart import INVOICES, PRODUCTS, Cart, CartCredit, CartLine
from .credit_note import CreditNote
from .customer import User
from .invoice import Invoice, Payment
from .money import ZERO, MoneyField
from .outbox import OutboxEmail
from .refusal import Refusal

CARD, ON_ACCOUNT = "card", "on_account"
# The payment methods that may pay invoices. "On account" (customer credit) never may.
INVOICE_METHODS = (CARD,)

PENDING, PAID, DECLINED, REFUSED, CANCELLED = "pending", "paid", "declined", "refused", "cancelled"
PAYMENT_RECEIPT = "payment_receipt"  # the queued email confirming a card payment (services/account_mail.py)


class CheckoutError(Refusal):
    """A checkout the rules refuse; nothing was recorded (the sentence: i18n/refusals.py)."""


class Checkout(BaseModel):
    reference = CharField(max_length=40, unique=True)  # the portal's reference, given to the gateway
    user = ForeignKeyField(User, backref="checkouts", on_delete="CASCADE")
    cart = ForeignKeyField(Cart, null=True, backref="checkouts", on_delete="SET NULL")
    cart_version = IntegerField()
    method = CharField(max_length=20)
    currency = CharField(max_length=3)
    total = MoneyField()
    status = CharField(max_length=12, default=PENDING)
    reason = CharField(max_length=200, default="")  # why it was refused (a code and the invoice number)
    gateway = CharField(max_length=20, default="")
    gateway_reference = CharField(max_length=100, null=True, index=True)
    created_at = DateTimeField(default=clock.utcnow)
    completed_at = DateTimeField(null=True)


class CheckoutLine(BaseModel):
    checkout = ForeignKeyField(Checkout, backref="checkout_lines", on_delete="CASCADE")
    invoice = ForeignKeyField(Invoice, backref="checkout_lines", on_delete="CASCADE")
    amount = MoneyField()  # what this invoice is paid with: money charged plus credit notes used (CheckoutCredit)
    discount = MoneyField(default=ZERO)  # the cash discount it takes (recorded on payment)


class CheckoutCredit(BaseModel):
    """Part of a credit note a checkout uses to pay an invoice; recorded as a payment when the checkout completes."""

    checkout = ForeignKeyField(Checkout, backref="checkout_credits", on_delete="CASCADE")
    credit_note = ForeignKeyField(CreditNote, on_delete="CASCADE")
    invoice = ForeignKeyField(Invoice, on_delete="CASCADE")
    amount = MoneyField()

    class Meta:
        table_name = "checkout_credit"


# The payment method of what a credit note paid, and the gateway name of a checkout the credit notes paid in full.
CREDIT_NOTE = "credit_note"


def check_method(method: str) -> None:
    """Only the methods that may pay invoices; "on account" is refused by name."""
    if method == ON_ACCOUNT:
        raise CheckoutError("on_account")
    if method not in INVOICE_METHODS:
        raise CheckoutError("no_method")


def _discount_for(invoice: Invoice, amount: Decimal, on: date | None) -> Decimal | None:
    """The discount paying `amount` takes now, or None when the amount no longer fits the balance."""
    if invoice.balance <= ZERO or amount <= ZERO:
        return None
    offer = invoice.cash_discount(on)
    if offer is not None and amount == offer.pay_amount:
        return offer.amount
    if amount <= invoice.balance:
        return ZERO
    return None


def _balance_changed(invoice: Invoice) -> CheckoutError:
    if invoice.balance <= ZERO:
        return CheckoutError("balance_paid", number=invoice.number)
    return CheckoutError("balance_changed", number=invoice.number, balance=invoice.balance,
                         currency=invoice.currency)


def start(user: User, cart: Cart, method: str, on: date | None = None) -> Checkout:
    """Freeze the cart's invoices and amounts into a checkout the gateway will charge."""
    check_method(method)
    with write_transaction():
        cart._lock()
        if cart.kind == PRODUCTS:
            raise CheckoutError("product_cart")
        if cart.kind != INVOICES:
            raise CheckoutError("no_invoices")
        lines = cart.invoice_lines()
        planned = []
        for line in lines:
            invoice = line.invoice
            if not invoice.is_visible_to(user):
                raise CheckoutError("invoice_gone", number=invoice.number)
            discount = _discount_for(invoice, line.amount or ZERO, on)
            if discount is None:
                raise _balance_changed(invoice)
            planned.append((invoice, line.amount, discount))
        credits = cart.credit_plan()
        for use in credits:
            if not use.credit_note.is_visible_to(user):
                raise CheckoutError("credit_note_gone", number=use.credit_note.number)
        checkout = Checkout.create(
            reference="PAY-" + secrets.token_hex(10).upper(), user=user.id, cart=cart.id,
            cart_version=cart.version, method=method, currency=cart.currency,
            total=sum((amount for _, amount, _ in planned), ZERO) - sum((use.amount for use in credits), ZERO))
        CheckoutLine.insert_many([dict(checkout=checkout.id, invoice=invoice.id, amount=amount, discount=discount)
                                  for invoice, amount, discount in planned]).execute()
        if credits:
            CheckoutCredit.insert_many([dict(checkout=checkout.id, credit_note=use.credit_note.id,
                                             invoice=use.invoice.id, amount=use.amount) for use in credits]).execute()
    return checkout


@dataclass
class Outcome:
    checkout: Checkout
    status: str  # PAID, DECLINED or REFUSED
    replay: bool = False  # the checkout had already been completed earlier
    error: CheckoutError | None = None

    @property
    def paid(self) -> bool:
        return self.status == PAID


def _refuse(checkout: Checkout, error: CheckoutError) -> Outcome:
    checkout.status, checkout.reason, checkout.completed_at = REFUSED, error.code, clock.utcnow()
    checkout.save(only=[Checkout.status, Checkout.reason, Checkout.completed_at])
    return Outcome(checkout, REFUSED, error=error)


def complete(user: User, reference: str, result, gateway: str = "", on: date | None = None,
             locale: str | None = None) -> Outcome:
    """Record the gateway's result for the user's checkout `reference`. Safe to call any number of times.

    `result` is a verified models.gateway.GatewayResult. Raises Checkout.DoesNotExist for a
    checkout that is not the user's, CheckoutError when the result is not trustworthy.
    """
    if not result.signature_ok or result.reference != reference:
        raise CheckoutError("unverified_result")
    with write_transaction():
        checkout = lock_rows(Checkout.select().where(Checkout.reference == reference,
                                                     Checkout.user == user.id)).get()
        if checkout.status in (PAID, REFUSED):
            return Outcome(checkout, checkout.status, replay=True)
        if result.amount != checkout.total or result.currency != checkout.currency:
            return _refuse(checkout, CheckoutError("total_mismatch"))
        if not result.approved:
            checkout.status = DECLINED
            checkout.save(only=[Checkout.status])
            return Outcome(checkout, DECLINED)
        cart = None
        if checkout.cart_id:
            cart = lock_rows(Cart.select().where(Cart.id == checkout.cart_id)).first()
        if cart is None or cart.version != checkout.cart_version:
            other = paid_since(checkout.cart_id, checkout.cart_version, user) if cart is not None else None
            if other is not None:  # not a change the buyer made: another window paid this cart
                return _refuse(checkout, CheckoutError("cart_paid_elsewhere", receipt=other.gateway_reference))
            return _refuse(checkout, CheckoutError("cart_changed_after_start"))
        lines = list(CheckoutLine.select().where(CheckoutLine.checkout == checkout.id).order_by(CheckoutLine.invoice))
        invoices = {invoice.id: invoice for invoice in lock_rows(
            Invoice.select().where(Invoice.id.in_([line.invoice_id for line in lines])).order_by(Invoice.id))}
        for invoice in invoices.values():
            if not invoice.is_visible_to(user):  # e.g. the payer was moved to another company meanwhile
                return _refuse(checkout, CheckoutError("invoice_gone", number=invoice.number))
        # A checkout uses credit notes exactly when it charges less than its lines pay.
        credits, credit_notes = [], {}
        if checkout.total != sum((line.amount for line in lines), ZERO):
            credits = list(CheckoutCredit.select().where(CheckoutCredit.checkout == checkout.id)
                           .order_by(CheckoutCredit.id))
            # Locked after the invoices, in id order, like every checkout: the second reads what the first used.
            credit_notes = {note.id: note for note in lock_rows(
                CreditNote.select().where(CreditNote.id.in_([c.credit_note_id for c in credits]))
                .order_by(CreditNote.id))}
        for note in credit_notes.values():
            using = sum((c.amount for c in credits if c.credit_note_id == note.id), ZERO)
            if using > note.remaining or not note.is_visible_to(user):
                return _refuse(checkout, CheckoutError("credit_note_used", number=note.number))
        for use in credits:
            invoice, note = invoices.get(use.invoice_id), credit_notes[use.credit_note_id]
            if invoice is None or invoice.invoice_account_id != note.invoice_account_id or \
                    invoice.currency != note.currency:
                return _refuse(checkout, CheckoutError("credit_note_used", number=note.number))
        payments, changed = [], []
        now = clock.utcnow()
        for line in lines:
            invoice = invoices[line.invoice_id]
            discount = _discount_for(invoice, line.amount, on)
            if discount is None:
                return _refuse(checkout, _balance_changed(invoice))
            invoice.settle(line.amount, discount)
            if discount != line.discount:  # the discount window closed since checkout started
                line.discount = discount
                changed.append(line)
            credited = [use for use in credits if use.invoice_id == invoice.id]
            charged = line.amount - sum((use.amount for use in credited), ZERO)
            if charged > ZERO:
                payments.append(dict(invoice=invoice.id, amount=charged, discount=discount, method=checkout.method,
                                     gateway_reference=result.gateway_reference, user=user.id, created_at=now))
                discount = ZERO
            for use in credited:
                payments.append(dict(invoice=invoice.id, amount=use.amount, discount=discount, method=CREDIT_NOTE,
                                     gateway_reference=credit_notes[use.credit_note_id].number, user=user.id,
                                     created_at=now))
                discount = ZERO
        Payment.insert_many(payments).execute()
        for note in credit_notes.values():
            note.used = note.used + sum((c.amount for c in credits if c.credit_note_id == note.id), ZERO)
            note.save(only=[CreditNote.used])
        for invoice in invoices.values():
            invoice.save(only=[Invoice.balance, Invoice.status])
        for line in changed:
            line.save(only=[CheckoutLine.discount])
        CartLine.delete().where(CartLine.cart == cart.id).execute()
        CartCredit.delete().where(CartCredit.cart == cart.id).execute()
        Cart.update(version=Cart.version + 1, updated_at=clock.utcnow()).where(Cart.id == cart.id).execute()
        checkout.status, checkout.completed_at = PAID, clock.utcnow()
        checkout.gateway, checkout.gateway_reference = gateway, result.gateway_reference
        checkout.save(only=[Checkout.status, Checkout.completed_at, Checkout.gateway, Checkout.gateway_reference])
        # The payer's confirmation, with the receipt: sent by the job, once, exactly when this commits.
        OutboxEmail.queue(PAYMENT_RECEIPT, user.email, locale or user.locale or "en", user,
                          reference=result.gateway_reference)
        record(PAYMENT, user, reference=result.gateway_reference, currency=checkout.currency,
               amount=checkout.total, credit=sum((use.amount for use in credits), ZERO),
               discount=sum((line.discount for line in lines), ZERO),
               invoices=[[invoices[line.invoice_id].number, line.amount] for line in lines])
    return Outcome(checkout, PAID)


def paid_since(cart_id, version: int, user: User) -> Checkout | None:
    """The user's latest checkout that paid cart `cart_id` as it was at `version` or later — the payment another
    window (or an earlier click) made since a page showing that version was opened — or None."""
    if cart_id is None or version is None:
        return None
    return (Checkout.select().where(Checkout.cart == cart_id, Checkout.user == user.id,
                                    Checkout.cart_version >= version, Checkout.status == PAID)
            .order_by(Checkout.id.desc()).first())


def status_of(reference: str) -> str | None:
    """The status of checkout `reference` (the gateway's page asks whether its payment is done), or None."""
    row = Checkout.select(Checkout.status).where(Checkout.reference == reference).first()
    return row.status if row else None


def cancel(user: User, reference: str) -> Checkout:
    """The buyer left the gateway's page without paying: nothing is recorded, the cart stays."""
    with write_transaction():
        checkout = lock_rows(Checkout.select().where(Checkout.reference == reference,
                                                     Checkout.user == user.id)).get()
        if checkout.status == PENDING:
            checkout.status = CANCELLED
            checkout.save(only=[Checkout.status])
    return checkout


@dataclass
class Receipt:
    checkout: Checkout
    lines: list  # CheckoutLine with .invoice, only invoices the viewer may see
    credits: list  # CheckoutCredit with .credit_note, for those invoices

    @property
    def total(self) -> Decimal:
        """What the invoices were paid with: money and credit notes."""
        return sum((line.amount for line in self.lines), ZERO)

    @property
    def credit_total(self) -> Decimal:
        return sum((use.amount for use in self.credits), ZERO)

    @property
    def charged(self) -> Decimal:
        return self.total - self.credit_total

    def credited(self, line) -> Decimal:
        return sum((use.amount for use in self.credits if use.invoice_id == line.invoice_id), ZERO)

    def invoice_number(self, invoice_id) -> str:
        return next((line.invoice.number for line in self.lines if line.invoice_id == invoice_id), "")

    @property
    def discount(self) -> Decimal:
        return sum((line.discount for line in self.lines), ZERO)


def receipt_for(user: User, gateway_reference: str) -> Receipt:
    """The receipt of a paid checkout, showing only invoices `user` may see; Checkout.DoesNotExist otherwise."""
    if not isinstance(gateway_reference, str) or not gateway_reference or len(gateway_reference) > 100:
        raise Checkout.DoesNotExist(gateway_reference)
    checkout = Checkout.get((Checkout.gateway_reference == gateway_reference) & (Checkout.status == PAID))
    visible = Invoice.visible_to(user)
    lines = list(CheckoutLine.select(CheckoutLine, Invoice)
                 .join(Invoice, on=(CheckoutLine.invoice == Invoice.id), attr="invoice")
                 .where(CheckoutLine.checkout == checkout.id, Invoice.id.in_(visible.select(Invoice.id)))
                 .order_by(Invoice.number))
    if not lines:
        raise Checkout.DoesNotExist(gateway_reference)
    credits = list(CheckoutCredit.select(CheckoutCredit, CreditNote)
                   .join(CreditNote, on=(CheckoutCredit.credit_note == CreditNote.id), attr="credit_note")
                   .where(CheckoutCredit.checkout == checkout.id,
                          CheckoutCredit.invoice.in_([line.invoice_id for line in lines]))
                   .order_by(CheckoutCredit.id))
    return Receipt(checkout, lines, credits)


@dataclass(frozen=True)
class NoCharge:
    """The result of a checkout whose invoices the credit notes pay in full: nothing for a gateway to charge."""

    reference: str
    currency: str
    amount: Decimal = ZERO
    approved: bool = True
    signature_ok: bool = True
    ok: bool = True

    @property
    def gateway_reference(self) -> str:
        return self.reference


def complete_without_charge(user: User, checkout: Checkout, on: date | None = None) -> "Outcome":
    """Record a checkout that charges nothing (the credit notes pay it all) as paid."""
    if checkout.total != ZERO:
        raise CheckoutError("unverified_result")
    return complete(user, checkout.reference, NoCharge(checkout.reference, checkout.currency), gateway=CREDIT_NOTE,
                    on=on)
