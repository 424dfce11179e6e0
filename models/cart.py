"""The cart: one per user, kept in the database, holding invoices to pay OR products to order.

The cart's rules live here, not in the views, so a crafted request meets them too:
- a cart holds invoices or products, never both (SPEC "Paying invoices" 5);
- everything in it shares one currency (SPEC 6);
- an invoice is in it at most once, only while it has a balance, only if the user may see it;
- an amount to pay is a number greater than zero with at most two decimals, at most the balance.

Every change bumps `Cart.version`, so a checkout started from one state of the cart cannot
be completed after the cart changed (a double click, a second tab, a replayed return).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from peewee import JOIN, Case, DateTimeField, DecimalField, ForeignKeyField, IntegerField, IntegrityError, fn

from i18n.amounts import AmountRefused
from i18n.amounts import parse_amount as read_amount
from i18n.formatting import locale_name

from . import BaseModel, clock, db, is_postgres, lock_rows, write_transaction
from .credit_note import CreditNote, open_credit_notes
from .customer import Customer, User
from .invoice import Invoice
from .money import ZERO, AmountError, MoneyField, parse_decimal, round_money
from .product import Product
from .refusal import Refusal
from .statements import instance, param, statement

INVOICES, PRODUCTS = "invoices", "products"
MAX_QUANTITY = Decimal("9999")


class CartError(Refusal):
    """A cart change the rules refuse; nothing was changed (the sentence: i18n/refusals.py)."""


@dataclass(frozen=True)
class Allocation:
    """What paying `amount` of an invoice's balance does: the money charged and the discount taken."""

    charge: Decimal
    discount: Decimal

    @property
    def settles(self) -> Decimal:
        return self.charge + self.discount


@dataclass(frozen=True)
class CreditUse:
    """Part of a credit note used to pay an invoice in the cart."""

    credit_note: CreditNote
    invoice: Invoice
    amount: Decimal


def allocate(invoice: Invoice, amount: Decimal, on: date | None = None) -> Allocation:
    """Split a payment into money and cash discount.

    Paying the whole balance while the cash discount is open takes the discount: any amount
    from the discounted balance up to the balance settles the invoice and charges the
    discounted balance. Anything less is a partial payment and takes no discount.
    The caller has checked 0 < amount <= balance.
    """
    offer = invoice.cash_discount(on)
    if offer is not None and amount >= offer.pay_amount:
        return Allocation(offer.pay_amount, offer.amount)
    return Allocation(round_money(amount), ZERO)


def default_amount(invoice: Invoice, on: date | None = None) -> Decimal:
    """The whole balance, or the discounted balance while the cash discount is open."""
    offer = invoice.cash_discount(on)
    return offer.pay_amount if offer is not None else invoice.balance


def parse_amount(text, balance: Decimal, currency: str | None = None, lang: str | None = None) -> Decimal:
    """A user-typed amount to pay, as the reader's language writes it (i18n/amounts.py), checked against
    `balance`. Raises CartError with the reason."""
    try:
        value = read_amount(text, lang or locale_name(), currency)
    except AmountRefused as refused:
        if refused.code == "amount_too_large":
            raise CartError("amount_over_balance", "amount", balance=balance, currency=currency) from None
        raise CartError(refused.code, "amount", **refused.params) from None
    if value <= ZERO:
        raise CartError("amount_not_positive", "amount")
    if value > balance:
        raise CartError("amount_over_balance", "amount", balance=balance, currency=currency)
    return round_money(value)


def parse_quantity(text) -> Decimal:
    if text is None or (isinstance(text, str) and not text.strip()):
        raise CartError("quantity_missing", "quantity")
    try:
        value = parse_decimal(text if isinstance(text, str) else str(text), places=0)
    except AmountError:
        raise CartError("quantity_range", "quantity") from None
    if value < 1 or value > MAX_QUANTITY:
        raise CartError("quantity_range", "quantity")
    return value


class Cart(BaseModel):
    user = ForeignKeyField(User, unique=True, backref="carts", on_delete="CASCADE")
    version = IntegerField(default=0)
    updated_at = DateTimeField(default=clock.utcnow)

    # Loading ------------------------------------------------------------------------
    @classmethod
    def for_user(cls, user: User) -> "Cart":
        """The user's cart, created on first use."""
        fields = cls._meta.sorted_fields
        row = statement("cart-for-user", lambda: cls.select(*fields).where(cls.user == param("user")),
                        fields=fields).one(user=user.id)
        cart = instance(cls, row) if row else None
        if cart is None:
            try:
                with db.atomic():
                    cart = cls.create(user=user.id)
            except IntegrityError:  # a parallel request created it first
                cart = cls.get(cls.user == user.id)
        cart._user = user
        return cart

    @classmethod
    def count_lines_for(cls, user: User) -> int:
        """Lines in the user's cart."""
        return cls.contents_for(user)[0]

    @classmethod
    def contents_for(cls, user: User) -> tuple[int, frozenset]:
        """How many lines the user's cart has and which invoices are in it, in one query. User.for_login
        reads the same columns with the user; this reads them again after the cart changed."""
        row = statement("cart-contents", lambda: User.select(*cls.contents_columns(User.id)).where(
            User.id == param("user"))).one(user=user.id)
        return cls.contents_from(*row) if row else (0, frozenset())

    @staticmethod
    def contents_columns(user_id) -> list:
        """The two columns that say what is in the cart of the user whose id is `user_id` (a column):
        its number of lines and its invoice ids joined by commas."""
        in_cart = CartLine.select().join(Cart, on=(CartLine.cart == Cart.id)).where(Cart.user == user_id)
        joined = (fn.string_agg(CartLine.invoice.cast("text"), ",") if is_postgres()
                  else fn.group_concat(CartLine.invoice))
        return [in_cart.select(fn.COUNT(CartLine.id)), in_cart.select(joined)]

    @staticmethod
    def contents_from(lines, joined) -> tuple[int, frozenset]:
        """(lines, invoice ids) from the values of contents_columns()."""
        return lines or 0, frozenset(int(part) for part in str(joined).split(",")) if joined else frozenset()

    def lines(self) -> list:
        """Every line with its invoice or product joined, in the order they were added (one query)."""
        if getattr(self, "_lines", None) is None:
            line_fields, invoice_fields, product_fields = (CartLine._meta.sorted_fields, Invoice._meta.sorted_fields,
                                                           Product._meta.sorted_fields)
            rows = statement("cart-lines", lambda: (
                CartLine.select(*line_fields, *invoice_fields, *product_fields)
                .join(Invoice, JOIN.LEFT_OUTER, on=(CartLine.invoice == Invoice.id))
                .switch(CartLine)
                .join(Product, JOIN.LEFT_OUTER, on=(CartLine.product == Product.id))
                .where(CartLine.cart == param("cart"))
                .order_by(CartLine.id)), fields=[*line_fields, *invoice_fields, *product_fields]).rows(cart=self.id)
            lines = []
            for row in rows:
                line = instance(CartLine, row)
                line.invoice = instance(Invoice, row, len(line_fields)) if line.invoice_id else None
                line.product = (instance(Product, row, len(line_fields) + len(invoice_fields))
                                if line.product_id else None)
                lines.append(line)
            self._lines = lines
        return self._lines

    def _changed(self) -> None:
        self._lines = None
        self._credits = None

    def invoice_lines(self) -> list:
        return [line for line in self.lines() if line.invoice_id]

    def product_lines(self) -> list:
        return [line for line in self.lines() if line.product_id]

    @property
    def kind(self) -> str | None:
        """"invoices", "products", or None for an empty cart."""
        lines = self.lines()
        if not lines:
            return None
        return INVOICES if lines[0].invoice_id else PRODUCTS

    @property
    def currency(self) -> str | None:
        lines = self.lines()
        return lines[0].currency if lines else None

    @property
    def total(self) -> Decimal:
        return sum((line.amount or ZERO for line in self.lines()), ZERO)

    def __len__(self):
        return len(self.lines())

    # Credit notes used against the invoices ---------------------------------------------------------
    def credit_notes(self) -> list[CreditNote]:
        """The credit notes the buyer chose to use, in the order chosen (one query)."""
        if getattr(self, "_credits", None) is None:
            self._credits = list(CreditNote.select().join(CartCredit, on=(CartCredit.credit_note == CreditNote.id))
                                 .where(CartCredit.cart == self.id).order_by(CartCredit.id))
        return self._credits

    def offered_credit_notes(self, user: User) -> list[CreditNote]:
        """Open credit notes of the invoice accounts and currency of the invoices in the cart (SPEC: "Open credit
        notes can be used in the cart against invoices of the same invoice account and currency")."""
        if self.kind != INVOICES:
            return []
        accounts = {line.invoice.invoice_account_id for line in self.invoice_lines()}
        return open_credit_notes(user, accounts, self.currency)

    def credit_plan(self, excluding=frozenset()) -> list[CreditUse]:
        """What each chosen credit note pays of which invoice: in the order chosen, against the invoices of its own
        invoice account and currency in the order they were added, never more than an invoice's amount to pay
        (nothing of the lines in `excluding`)."""
        if self.kind != INVOICES:
            return []
        open_amount = {line.id: ZERO if line.id in excluding else line.amount or ZERO
                       for line in self.invoice_lines()}
        uses = []
        for credit_note in self.credit_notes():
            left = credit_note.remaining
            for line in self.invoice_lines():
                invoice = line.invoice
                if left <= ZERO:
                    break
                if invoice.invoice_account_id != credit_note.invoice_account_id or \
                        invoice.currency != credit_note.currency:
                    continue
                amount = min(left, open_amount[line.id])
                if amount > ZERO:
                    uses.append(CreditUse(credit_note, invoice, amount))
                    open_amount[line.id] -= amount
                    left -= amount
        return uses

    @property
    def credit_total(self) -> Decimal:
        return sum((use.amount for use in self.credit_plan()), ZERO)

    @property
    def to_pay(self) -> Decimal:
        """What the checkout charges: the amounts to pay less the credit notes used."""
        return self.total - self.credit_total

    def to_pay_excluding(self, excluding) -> Decimal:
        """What the checkout would charge without the lines in `excluding` (whose typed amounts are wrong): the
        cart page's total never counts an amount the buyer is still correcting."""
        excluding = frozenset(excluding)
        kept = sum((line.amount or ZERO for line in self.lines() if line.id not in excluding), ZERO)
        if self.kind != INVOICES:
            return kept
        return kept - sum((use.amount for use in self.credit_plan(excluding)), ZERO)

    def use_credit_note(self, credit_note: CreditNote, user: User) -> None:
        """Use an open credit note against the cart's invoices of its invoice account and currency."""
        if user.id != self.user_id or not credit_note.is_visible_to(user):
            raise CreditNote.DoesNotExist(credit_note.number)  # another company's: as if it did not exist
        with write_transaction():
            self._lock()
            if any(chosen.id == credit_note.id for chosen in self.credit_notes()):
                return
            if self.kind != INVOICES:
                raise CartError("credit_note_no_invoices", number=credit_note.number)
            if credit_note.currency != self.currency:
                raise CartError("credit_note_other_currency", number=credit_note.number,
                                currency=credit_note.currency, cart_currency=self.currency)
            if credit_note.invoice_account_id not in {line.invoice.invoice_account_id
                                                      for line in self.invoice_lines()}:
                raise CartError("credit_note_other_account", number=credit_note.number)
            if not credit_note.is_open:
                raise CartError("credit_note_used_up", number=credit_note.number)
            CartCredit.create(cart=self.id, credit_note=credit_note.id)
            self._bump()

    def stop_using_credit_note(self, credit_note: CreditNote) -> None:
        with write_transaction():
            self._lock()
            CartCredit.delete().where(CartCredit.cart == self.id, CartCredit.credit_note == credit_note.id).execute()
            self._bump()

    def line(self, line_id) -> "CartLine":
        """One of this cart's lines; raises CartLine.DoesNotExist for anything else."""
        lines = self.lines()
        if getattr(self, "_by_id", None) is None or self._by_id[0] is not lines:
            self._by_id = (lines, {str(line.id): line for line in lines})  # one lookup per line, not one scan
        try:
            return self._by_id[1][str(line_id)]
        except KeyError:
            raise CartLine.DoesNotExist(line_id) from None

    # Changing -------------------------------------------------------------------------
    def _lock(self) -> None:
        """Inside write_transaction(): serialise changes to this cart, then re-read its lines."""
        (self.version,) = statement("cart-lock", lambda: lock_rows(
            Cart.select(Cart.version).where(Cart.id == param("cart")))).one(cart=self.id)
        self._changed()

    def _bump(self) -> None:
        self.version += 1
        self.updated_at = clock.utcnow()
        statement("cart-bump", lambda: Cart.update(version=Cart.version + 1, updated_at=param("at")).where(
            Cart.id == param("cart"))).run(at=Cart.updated_at.db_value(self.updated_at), cart=self.id)
        self._changed()

    def add_invoice(self, invoice: Invoice, user: User | None = None, on: date | None = None) -> "CartLine":
        """Put an invoice in the cart to be paid in full (the default amount). Adding it twice keeps one line."""
        user = user or getattr(self, "_user", None) or User.select(User, Customer).join(Customer).where(
            User.id == self.user_id).get()
        if user.id != self.user_id or not invoice.is_visible_to(user):
            raise Invoice.DoesNotExist(invoice.number)  # another company's invoice: as if it did not exist
        with write_transaction():
            self._lock()
            fields = Invoice._meta.sorted_fields
            row = statement("invoice-lock", lambda: lock_rows(
                Invoice.select(*fields).where(Invoice.id == param("id"))), fields=fields).one(id=invoice.id)
            if row is None:
                raise Invoice.DoesNotExist(invoice.number)
            invoice = instance(Invoice, row)
            for line in self.lines():
                if line.invoice_id == invoice.id:
                    return line
            self._check_invoice(invoice)
            amount, created = default_amount(invoice, on), clock.utcnow()
            line_id = statement("cart-line-insert-invoice", lambda: CartLine.insert(
                cart=param("cart"), invoice=param("invoice"), amount=param("amount"), created_at=param("at"))).insert(
                cart=self.id, invoice=invoice.id, amount=CartLine.amount.db_value(amount),
                at=CartLine.created_at.db_value(created))
            line = CartLine(id=line_id, cart=self.id, invoice=invoice.id, amount=amount, created_at=created)
            self._bump()
        return line

    def _check_invoice(self, invoice: Invoice) -> None:
        """The cart's rules for one more invoice (the cart locked, the invoice read under lock)."""
        if self.kind == PRODUCTS:
            raise CartError("invoice_cart_has_products", number=invoice.number)
        if invoice.balance <= ZERO:
            raise CartError("invoice_paid", number=invoice.number)
        if self.currency and self.currency != invoice.currency:
            raise CartError("invoice_other_currency", currency=self.currency, number=invoice.number,
                            other=invoice.currency)

    def add_invoices(self, invoice_ids, user: User, on: date | None = None) -> int:
        """Put several invoices in the cart at once (Pay selected, Pay all overdue), each to be paid in full:
        all of them or — when any breaks a rule (another kind or currency in the cart, invoices in several
        currencies, one paid meanwhile) — none, in one transaction. Invoices already in the cart stay as they
        are. Returns how many were added; raises Invoice.DoesNotExist for an invoice the user may not see."""
        ids = sorted({int(i) for i in invoice_ids})
        if not ids:
            raise CartError("nothing_selected")
        if user.id != self.user_id:
            raise Invoice.DoesNotExist(ids[0])
        visible = set(Invoice.visible_account_ids(user))
        with write_transaction():
            self._lock()
            invoices = list(lock_rows(Invoice.select().where(Invoice.id.in_(ids)).order_by(Invoice.id)))
            if len(invoices) != len(ids) or any(i.invoice_account_id not in visible for i in invoices):
                raise Invoice.DoesNotExist(ids[0])  # another company's invoice: as if it did not exist
            currencies = sorted({invoice.currency for invoice in invoices})
            if len(currencies) > 1:
                raise CartError("selected_currencies", currencies=", ".join(currencies))
            present = {line.invoice_id for line in self.lines()}
            new = [invoice for invoice in sorted(invoices, key=lambda i: i.number) if invoice.id not in present]
            for invoice in new:
                self._check_invoice(invoice)
            if new:
                CartLine.insert_many([dict(cart=self.id, invoice=invoice.id, amount=default_amount(invoice, on))
                                      for invoice in new]).execute()
                self._bump()
        return len(new)

    def add_product(self, product: Product, quantity) -> "CartLine":
        """Add `quantity` of a product (added to the line already there, if any)."""
        quantity = parse_quantity(quantity)
        if not product.active:
            raise CartError("product_inactive", name=product.name)
        with write_transaction():
            self._lock()
            if self.kind == INVOICES:
                raise CartError("product_cart_has_invoices", name=product.name)
            if self.currency and self.currency != product.currency:
                raise CartError("product_other_currency", currency=self.currency, name=product.name,
                                other=product.currency)
            existing = next((line for line in self.lines() if line.product_id == product.id), None)
            if existing is not None:
                quantity = existing.quantity + quantity
                if quantity > MAX_QUANTITY:
                    raise CartError("quantity_range", "quantity")
                existing.quantity = quantity
                existing.amount = round_money(quantity * product.price)
                existing.save(only=[CartLine.quantity, CartLine.amount])
                line = existing
            else:
                line = CartLine.create(cart=self.id, product=product.id, quantity=quantity,
                                       amount=round_money(quantity * product.price))
            self._bump()
        return line

    def set_amount(self, line_id, text, on: date | None = None) -> "CartLine":
        """Set the amount to pay of an invoice line. A wrong amount raises CartError and changes nothing.

        While the cash discount is open, an amount from the discounted balance up to the balance
        pays the invoice in full with the discount, so the discounted balance is stored.
        """
        line = self.line(line_id)
        if not line.invoice_id:
            raise CartLine.DoesNotExist(line_id)
        amount = parse_amount(text, line.invoice.balance, line.invoice.currency)
        amount = allocate(line.invoice, amount, on).charge
        if amount != line.amount:
            with write_transaction():
                self._lock()
                CartLine.update(amount=amount).where(CartLine.id == line.id, CartLine.cart == self.id).execute()
                self._bump()
        return self.line(line.id)

    def wrong_amounts(self, texts: dict) -> dict:
        """{line id: CartError} for the typed amounts ({line id: text}) that would be refused; nothing is saved."""
        errors = {}
        for line in self.invoice_lines():
            if line.id in texts:
                try:
                    parse_amount(texts[line.id], line.invoice.balance, line.invoice.currency)
                except CartError as error:
                    errors[line.id] = error
        return errors

    def set_amounts(self, texts: dict, on: date | None = None) -> dict:
        """Set several amounts at once, all or nothing: {line id: text}. Returns {line id: CartError} when wrong."""
        errors, parsed = self.wrong_amounts(texts), {}
        if errors:
            return errors
        for line in self.invoice_lines():
            if line.id in texts:
                amount = parse_amount(texts[line.id], line.invoice.balance, line.invoice.currency)
                parsed[line.id] = allocate(line.invoice, amount, on).charge
        changed = {line_id: amount for line_id, amount in parsed.items() if self.line(line_id).amount != amount}
        if changed:
            with write_transaction():
                self._lock()
                self._write_lines({line_id: {CartLine.amount: amount} for line_id, amount in changed.items()})
                self._bump()
        return {}

    def set_quantities(self, texts: dict) -> dict:
        """Set several product quantities at once, all or nothing: {line id: text}. Returns {line id: CartError}
        when wrong. A constant number of statements whatever the number of lines (the cart form without
        JavaScript posts them all)."""
        errors, changed = {}, {}
        for line in self.product_lines():
            if line.id not in texts:
                continue
            try:
                quantity = parse_quantity(texts[line.id])
            except CartError as error:
                errors[line.id] = error
                continue
            if quantity != line.quantity:
                changed[line.id] = {CartLine.quantity: quantity,
                                    CartLine.amount: round_money(quantity * line.product.price)}
        if errors:
            return errors
        if changed:
            with write_transaction():
                self._lock()
                self._write_lines(changed)
                self._bump()
        return {}

    WRITE_BATCH = 300  # lines per UPDATE: well inside both databases' limit on parameters

    def _write_lines(self, changes: dict) -> None:
        """{line id: {field: value}} in one UPDATE per batch of lines (CASE on the id), only this cart's lines."""
        items = list(changes.items())
        for start in range(0, len(items), self.WRITE_BATCH):
            batch = items[start:start + self.WRITE_BATCH]
            fields = {field for _line_id, values in batch for field in values}
            update = {field: Case(CartLine.id, [(line_id, field.db_value(values[field]))
                                                for line_id, values in batch if field in values], field)
                      for field in fields}
            CartLine.update(update).where(CartLine.cart == self.id,
                                          CartLine.id.in_([line_id for line_id, _values in batch])).execute()

    def set_quantity(self, line_id, text) -> "CartLine":
        line = self.line(line_id)
        if not line.product_id:
            raise CartLine.DoesNotExist(line_id)
        quantity = parse_quantity(text)
        with write_transaction():
            self._lock()
            CartLine.update(quantity=quantity, amount=round_money(quantity * line.product.price)).where(
                CartLine.id == line.id, CartLine.cart == self.id).execute()
            self._bump()
        return self.line(line.id)

    def remove_line(self, line_id) -> None:
        line = self.line(line_id)
        with write_transaction():
            self._lock()
            CartLine.delete().where(CartLine.id == line.id, CartLine.cart == self.id).execute()
            self._bump()
            # A credit note stays chosen only while an invoice of its account is there to use it on.
            accounts = {other.invoice.invoice_account_id for other in self.invoice_lines()}
            stale = [c.id for c in self.credit_notes() if c.invoice_account_id not in accounts]
            if stale:
                CartCredit.delete().where(CartCredit.cart == self.id, CartCredit.credit_note.in_(stale)).execute()
                self._changed()

    def clear(self) -> None:
        """Empty the cart (also after a successful checkout, inside its transaction)."""
        with write_transaction():
            statement("cart-clear", lambda: CartLine.delete().where(CartLine.cart == param("cart"))).run(cart=self.id)
            statement("cart-credits-clear", lambda: CartCredit.delete().where(CartCredit.cart == param("cart"))).run(
                cart=self.id)
            self._bump()

    # Reading for the cart page and checkout --------------------------------------------------
    def problems(self, on: date | None = None) -> dict:
        """{line id: CartError} for invoice lines whose stored amount no longer fits (the balance changed)."""
        found = {}
        for line in self.invoice_lines():
            invoice = line.invoice
            if invoice.balance <= ZERO:
                found[line.id] = CartError("line_paid_meanwhile", "amount", number=invoice.number)
            elif line.amount is None or line.amount <= ZERO or line.amount > invoice.balance:
                found[line.id] = CartError("line_balance_changed", "amount", number=invoice.number,
                                           balance=invoice.balance, currency=invoice.currency)
        return found


class CartLine(BaseModel):
    cart = ForeignKeyField(Cart, backref="cart_lines", on_delete="CASCADE")
    invoice = ForeignKeyField(Invoice, null=True, on_delete="CASCADE")
    product = ForeignKeyField(Product, null=True, on_delete="CASCADE")
    quantity = DecimalField(max_digits=12, decimal_places=2, null=True)
    amount = MoneyField(null=True)  # the amount to pay (invoices) or quantity x price (products)
    created_at = DateTimeField(default=clock.utcnow)

    class Meta:
        indexes = (
            (("cart", "invoice"), True),
            (("cart", "product"), True),
        )

    @property
    def currency(self) -> str:
        return self.invoice.currency if self.invoice_id else self.product.currency

    def allocation(self, on: date | None = None) -> Allocation:
        return allocate(self.invoice, self.amount, on)


class CartCredit(BaseModel):
    """A credit note the buyer chose to use in the cart."""

    cart = ForeignKeyField(Cart, backref="cart_credits", on_delete="CASCADE")
    credit_note = ForeignKeyField(CreditNote, on_delete="CASCADE")

    class Meta:
        table_name = "cart_credit"
        indexes = ((("cart", "credit_note"), True),)


def drop_unseen_lines() -> int:
    """Take out of every cart the invoices (and credit notes) its user may no longer see — after an import moved a
    user to another company or changed whose invoices a company sees. Each cart changed gets a new version, so a
    checkout started from it is refused too. Returns the lines dropped; run inside the import's transaction."""
    owners = (Cart.select(Cart.id, Customer.id, Customer.invoice_account)
              .join(User, on=(Cart.user == User.id)).join(Customer, on=(User.customer == Customer.id)))
    # The one rule (Customer.visible_account_ids), asked of each cart owner's customer as the import left it.
    visible = {cart_id: Customer(id=customer_id, invoice_account=org_id).visible_account_ids()
               for cart_id, customer_id, org_id in owners.tuples()}
    stale_lines = [line_id for line_id, cart_id, account in
                   CartLine.select(CartLine.id, CartLine.cart, Invoice.invoice_account)
                   .join(Invoice, on=(CartLine.invoice == Invoice.id)).tuples()
                   if account not in visible.get(cart_id, ())]
    stale_credits = [credit_id for credit_id, cart_id, account in
                     CartCredit.select(CartCredit.id, CartCredit.cart, CreditNote.invoice_account)
                     .join(CreditNote, on=(CartCredit.credit_note == CreditNote.id)).tuples()
                     if account not in visible.get(cart_id, ())]
    if not stale_lines and not stale_credits:
        return 0
    with write_transaction():
        carts = set(CartLine.select(CartLine.cart).where(CartLine.id.in_(stale_lines)).tuples()) | set(
            CartCredit.select(CartCredit.cart).where(CartCredit.id.in_(stale_credits)).tuples())
        if stale_lines:
            CartLine.delete().where(CartLine.id.in_(stale_lines)).execute()
        if stale_credits:
            CartCredit.delete().where(CartCredit.id.in_(stale_credits)).execute()
        Cart.update(version=Cart.version + 1, updated_at=clock.utcnow()).where(
            Cart.id.in_([cart_id for (cart_id,) in carts])).execute()
    return len(stale_lines)
