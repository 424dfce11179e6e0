"""Sales orders placed from a product cart: who ordered, who is billed, and the credit that allows it.

The order account is the buyer's customer; the invoice account is that customer's configured
invoice account (the organization account) or the customer itself. Billing address, payment
terms and credit limit are always the invoice account's.

Credit exposure of an invoice account = balances of its unpaid invoices + totals of its open
on-account orders. `place_order` checks it while holding the invoice account's row lock, so two
orders placed at the same moment are checked one after the other and cannot together pass
the limit. `invoice_open_orders` (the `invoice-orders` command) turns open orders into invoices,
each order at most once.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from peewee import (
    JOIN,
    CharField,
    DateTimeField,
    ForeignKeyField,
    IntegerField,
    TextField,
    fn,
)

from . import BaseModel, clock, lock_rows, write_transaction
from .activity import ORDER as ORDERED
from .activity import record
from .customer import Customer, User
from .invoice import PAID, Invoice, InvoiceLine, Payment, free_kid
from .invoice import PricedLine
from .money import ZERO, MoneyField, cents_to_money, round_money
from .product import Product
from .refusal import Refusal
from .statements import instance, param, statement
from .vat import breakdown

ON_ACCOUNT, CARD = "on_account", "card"
METHODS = (ON_ACCOUNT, CARD)

# A card order exists from the moment the buyer is sent to the payment page, but it only
# counts (and is only invoiced) once the gateway approved it.
AWAITING_PAYMENT, OPEN, INVOICED, CANCELLED = "awaiting_payment", "open", "invoiced", "cancelled"
PLACED_STATUSES = (OPEN, INVOICED)

MAX_QUANTITY = Decimal("100000")


def tax_percent_for(product) -> Decimal:
    """The product's own VAT rate (products.tax_percent, set by the import)."""
    return Decimal(product.tax_percent)


class OrderRefused(Refusal):
    """An order that cannot be placed; nothing has been recorded (the sentence: i18n/refusals.py)."""


class SalesOrder(BaseModel):
    number = CharField(max_length=40, unique=True, null=True)  # SO-000001, set right after insert
    order_account = ForeignKeyField(Customer, backref="placed_orders", on_delete="RESTRICT")
    invoice_account = ForeignKeyField(Customer, backref="billed_orders", on_delete="RESTRICT")
    placed_by = ForeignKeyField(User, null=True, backref="orders", on_delete="SET NULL")
    payment_method = CharField(max_length=20)
    status = CharField(max_length=20, default=OPEN)
    currency = CharField(max_length=3)
    # Who was billed as shown at checkout; the invoice is addressed from the account when issued.
    billing_name = CharField(max_length=200)
    billing_address = TextField(default="")
    subtotal = MoneyField(default=ZERO)
    tax = MoneyField(default=ZERO)
    total = MoneyField(default=ZERO)
    gateway_reference = CharField(max_length=100, null=True)
    # Asked at checkout: the buyer's own reference (PO number) and where the goods go; both reach the invoice.
    buyer_reference = CharField(max_length=100, null=True)
    delivery_address = TextField(null=True)
    invoice = ForeignKeyField(Invoice, null=True, backref="sales_orders", on_delete="SET NULL")
    created_at = DateTimeField(default=clock.utcnow)
    invoiced_at = DateTimeField(null=True)

    class Meta:
        indexes = (
            (("invoice_account", "status"), False),
            (("status", "id"), False),
        )

    @classmethod
    def visible_to(cls, user: User):
        """Orders `user` may see: the invoice rule (Invoice.visible_account_ids) on the order's invoice account.

        An order becomes an invoice billed to its invoice account, so whoever will see the
        invoice sees the order: the distributor, and every customer it pays for.
        """
        accounts = Invoice.visible_account_ids(user)
        return cls.select().where(cls.invoice_account.in_(list(accounts)))

    @classmethod
    def get_visible(cls, user: User, number: str) -> "SalesOrder":
        if not isinstance(number, str) or not number or len(number) > 40:
            raise cls.DoesNotExist(number)
        return cls.visible_to(user).where(cls.number == number, cls.status.in_(PLACED_STATUSES)).get()

    @classmethod
    def of_invoice(cls, invoice_id: int) -> "SalesOrder | None":
        """The order an invoice was made from, if any (one query, built once)."""
        fields = cls._meta.sorted_fields
        row = statement("order-of-invoice", lambda: cls.select(*fields).where(cls.invoice == param("invoice")),
                        fields=fields).one(invoice=invoice_id)
        return instance(cls, row) if row else None

    @property
    def is_placed(self) -> bool:
        return self.status in PLACED_STATUSES

    def __str__(self):
        return self.number or f"order {self.id}"


class SalesOrderLine(PricedLine):
    order = ForeignKeyField(SalesOrder, backref="lines", on_delete="CASCADE")
    line_no = IntegerField()
    product = ForeignKeyField(Product, null=True, backref="order_lines", on_delete="SET NULL")

    class Meta:
        indexes = ((("order", "line_no"), True),)


# Credit -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Credit:
    """The credit position of an invoice account, in its own currency."""

    account: Customer
    limit: Decimal | None  # None: no credit limit
    invoices: Decimal  # balances of its unpaid and partially paid invoices
    orders: Decimal  # totals of its open on-account orders

    @property
    def currency(self) -> str:
        return self.account.currency

    @property
    def used(self) -> Decimal:
        return self.invoices + self.orders

    @property
    def has_limit(self) -> bool:
        return self.limit is not None

    @property
    def available(self) -> Decimal | None:
        """What may still be ordered on account; never below zero. None when there is no limit."""
        if self.limit is None:
            return None
        return max(self.limit - self.used, ZERO)

    @property
    def over_limit(self) -> bool:
        return self.limit is not None and self.used > self.limit

    @property
    def used_percent(self) -> int:
        """Share of the limit in use, 0-100, for the bar."""
        if not self.limit or self.limit <= ZERO:
            return 100 if self.used > ZERO else 0
        return int(min(Decimal(100), self.used * 100 / self.limit).to_integral_value())

    def allows(self, amount: Decimal) -> bool:
        return self.limit is None or self.used + amount <= self.limit


def credit_of(account: Customer) -> Credit:
    """Two aggregate queries. Amounts in another currency than the account's are not converted, so left out."""
    invoices = (
        Invoice.select(fn.SUM(Invoice.balance))
        .where(Invoice.invoice_account == account.id, Invoice.status != PAID, Invoice.currency == account.currency)
        .scalar()
    )
    orders = (
        SalesOrder.select(fn.SUM(SalesOrder.total))
        .where(SalesOrder.invoice_account == account.id, SalesOrder.status == OPEN,
               SalesOrder.payment_method == ON_ACCOUNT, SalesOrder.currency == account.currency)
        .scalar()
    )
    return Credit(account, account.credit_limit, cents_to_money(invoices), cents_to_money(orders))


@dataclass(frozen=True)
class Billing:
    """Who is billed for `customer`'s orders, with that account's credit position."""

    customer: Customer
    account: Customer
    credit: Credit

    @property
    def is_other_account(self) -> bool:
        return self.account.id != self.customer.id


def billing_for(customer: Customer) -> Billing:
    account = customer.billing_customer
    return Billing(customer, account, credit_of(account))


# Placing an order ---------------------------------------------------------------------------
@dataclass(frozen=True)
class PricedCartLine:
    product: Product
    quantity: Decimal
    unit_price: Decimal
    tax_percent: Decimal
    amount: Decimal
    tax: Decimal


def _priced_lines(cart, fresh: bool = True) -> list[PricedCartLine]:
    """The cart's product lines at today's prices, read under the cart's lock; refuses what cannot be ordered.

    `Cart` caches its lines; `_lock()` row-locks the cart and re-reads them, so a second
    submit that waited for the first sees the emptied cart instead of a stale copy.
    """
    relock = getattr(cart, "_lock", None)
    if fresh and callable(relock):
        relock()
    lines = []
    for cart_line in cart.product_lines():
        product = Product.get_or_none(Product.id == cart_line.product_id) if cart_line.product_id else None
        if product is None or not product.active:
            raise OrderRefused("product_gone", name=product.name if product else "")
        quantity = Decimal(cart_line.quantity or 0)
        if quantity <= 0 or quantity > MAX_QUANTITY or quantity != quantity.to_integral_value():
            raise OrderRefused("bad_quantity", name=product.name)
        tax_percent = tax_percent_for(product)
        amount, tax = InvoiceLine.compute(quantity, product.price, tax_percent)
        lines.append(PricedCartLine(product, quantity, product.price, tax_percent, amount, tax))
    return lines


@dataclass(frozen=True)
class Quote:
    """What ordering the cart would cost now, tax included (shown at checkout; rechecked when placing)."""

    currency: str
    subtotal: Decimal
    tax: Decimal
    total: Decimal
    vat: list = ()  # VAT per rate (models/vat.py)


def quote(cart) -> Quote | None:
    """The cart's order total with tax, or None when it cannot be ordered as it is."""
    try:
        lines = _priced_lines(cart, fresh=False)
    except OrderRefused:
        return None
    currencies = {line.product.currency for line in lines}
    if len(currencies) != 1:
        return None
    subtotal = sum((line.amount for line in lines), ZERO)
    tax = sum((line.tax for line in lines), ZERO)
    return Quote(currencies.pop(), subtotal, tax, subtotal + tax, breakdown(lines))


MAX_REFERENCE, MAX_ADDRESS = 100, 1000


def clean_order_details(buyer_reference, delivery_address) -> tuple[str | None, str | None]:
    """The checkout's Your reference and Delivery address: trimmed, printable (newlines allowed in the address),
    within their lengths; None when left empty. Raises OrderRefused naming the field."""
    found = []
    for field, value, limit in (("buyer_reference", buyer_reference, MAX_REFERENCE),
                                ("delivery_address", delivery_address, MAX_ADDRESS)):
        value = (value or "").replace("\r\n", "\n").strip() if isinstance(value, str) else ""
        lines = value.split("\n")
        if len(value) > limit or (field == "buyer_reference" and len(lines) > 1) or \
                not all(line.isprintable() for line in lines):
            raise OrderRefused(f"bad_{field}", field, limit=limit)
        found.append("\n".join(line.strip() for line in lines) or None)
    return found[0], found[1]


def place_order(user: User, cart, method: str, cart_version: int | None = None, buyer_reference: str | None = None,
                delivery_address: str | None = None) -> SalesOrder:
    """Turn `user`'s product cart into a sales order, or raise OrderRefused with nothing recorded.

    On account: checked against the invoice account's credit limit while holding its row lock,
    then the cart is emptied. `cart_version` (from the checkout form) refuses a cart that
    changed after the buyer saw it. Card: the order waits for the gateway (`confirm_card_payment`);
    the cart stays as it is until the payment is approved.
    """
    if method not in METHODS:
        raise OrderRefused("unknown_method")
    buyer_reference, delivery_address = clean_order_details(buyer_reference, delivery_address)
    if getattr(cart, "user_id", user.id) != user.id:
        raise ValueError("a cart is ordered by its own user")
    customer = user.customer
    billed_id = customer.invoice_account_id or customer.id
    with write_transaction():
        # Every on-account order of this invoice account queues here, so its exposure is read
        # after the previous order was committed.
        billed = lock_rows(Customer.select().where(Customer.id == billed_id)).get()
        lines = _priced_lines(cart)
        if not lines:
            raise OrderRefused("empty_cart")
        if cart_version is not None and getattr(cart, "version", cart_version) != cart_version:
            raise OrderRefused("cart_changed")
        currencies = {line.product.currency for line in lines}
        if len(currencies) > 1:
            raise OrderRefused("mixed_currencies")
        currency = currencies.pop()
        subtotal = sum((line.amount for line in lines), ZERO)
        tax = sum((line.tax for line in lines), ZERO)
        total = subtotal + tax
        if method == ON_ACCOUNT:
            if currency != billed.currency:
                raise OrderRefused("currency", currency=currency, account_currency=billed.currency,
                                   account=billed.account, name=billed.name)
            credit = credit_of(billed)
            if not credit.allows(total):
                raise OrderRefused("credit_limit", total=total, available=credit.available,
                                   limit=credit.limit, currency=billed.currency,
                                   account=billed.account, name=billed.name)
        order = SalesOrder.create(
            order_account=customer.id, invoice_account=billed.id, placed_by=user.id, payment_method=method,
            status=OPEN if method == ON_ACCOUNT else AWAITING_PAYMENT, currency=currency,
            billing_name=billed.name, billing_address=billed.billing_address,
            subtotal=subtotal, tax=tax, total=total, buyer_reference=buyer_reference,
            delivery_address=delivery_address)
        order.number = f"SO-{order.id:06d}"
        order.save(only=[SalesOrder.number])
        SalesOrderLine.insert_many([
            dict(order=order.id, line_no=index + 1, product=line.product.id, item=line.product.item,
                 description=line.product.name, quantity=line.quantity, unit_price=line.unit_price,
                 tax_percent=line.tax_percent, amount=line.amount, tax=line.tax)
            for index, line in enumerate(lines)
        ]).execute()
        if method == ON_ACCOUNT:
            cart.clear()
            record(ORDERED, user, order=order.number, amount=total, currency=currency, method=method)
    return order


def confirm_card_payment(order_id: int, reference: str, amount: Decimal, cart=None) -> SalesOrder:
    """The gateway approved `amount` for a card order: it becomes Open (to be invoiced as paid).

    Idempotent: a replayed return finds the order already Open and changes nothing.
    Raises OrderRefused("payment_mismatch") when the approved amount is not the order total.
    """
    with write_transaction():
        order = lock_rows(SalesOrder.select().where(SalesOrder.id == order_id)).get()
        if order.status != AWAITING_PAYMENT:
            return order
        if round_money(amount) != order.total:
            raise OrderRefused("payment_mismatch")
        order.status = OPEN
        order.gateway_reference = reference
        order.save(only=[SalesOrder.status, SalesOrder.gateway_reference])
        if cart is not None:
            cart.clear()
        placed_by = User.get_or_none(User.id == order.placed_by_id) if order.placed_by_id else None
        record(ORDERED, placed_by, customer=order.order_account_id,
               email=placed_by.email if placed_by else "?", order=order.number, amount=order.total,
               currency=order.currency, method=order.payment_method)
    return order


# Invoicing ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class InvoicedOrder:
    order: SalesOrder
    invoice: Invoice


def invoice_number_for(order: SalesOrder) -> str:
    return f"INV-{order.number}"


def invoice_order(order_id: int, on: date | None = None) -> InvoicedOrder | None:
    """Invoice one open order; None when it is not open (any more). One transaction per order."""
    on = on or clock.today()
    with write_transaction():
        order = lock_rows(SalesOrder.select().where(SalesOrder.id == order_id, SalesOrder.status == OPEN)).first()
        if order is None:
            return None
        billed = Customer.get_by_id(order.invoice_account_id)
        invoice = Invoice(
            number=invoice_number_for(order), invoice_account=billed.id, order_account=order.order_account_id,
            invoice_date=on, due_date=billed.due_date_for(on), currency=order.currency,
            discount_percent=billed.discount_percent if billed.has_cash_discount else Decimal("0"),
            discount_until=billed.discount_date_for(on), buyer_reference=order.buyer_reference,
            delivery_address=order.delivery_address)
        if order.currency == "NOK":
            invoice.kid = free_kid(invoice.number)
        paid = order.total if order.payment_method == CARD else ZERO
        invoice.set_total(order.total, paid)
        invoice.save()
        lines = list(SalesOrderLine.select().where(SalesOrderLine.order == order.id).order_by(SalesOrderLine.line_no))
        InvoiceLine.insert_many([
            dict(invoice=invoice.id, line_no=line.line_no, item=line.item, description=line.description,
                 quantity=line.quantity, unit_price=line.unit_price, tax_percent=line.tax_percent,
                 amount=line.amount, tax=line.tax)
            for line in lines
        ]).execute()
        if paid > ZERO:
            Payment.create(invoice=invoice.id, amount=paid, method=Payment.METHOD_CARD,
                           gateway_reference=order.gateway_reference, user=order.placed_by_id)
        order.status, order.invoice, order.invoiced_at = INVOICED, invoice.id, clock.utcnow()
        order.save(only=[SalesOrder.status, SalesOrder.invoice, SalesOrder.invoiced_at])
    return InvoicedOrder(order, invoice)


def invoice_open_orders(on: date | None = None) -> list[InvoicedOrder]:
    """Turn every open order into an invoice (invoice date `on`, terms of the invoice account).

    Safe to run twice, and twice at once: each order is re-read under its row lock and
    skipped unless still Open.
    """
    ids = [row.id for row in SalesOrder.select(SalesOrder.id).where(SalesOrder.status == OPEN).order_by(SalesOrder.id)]
    done = []
    for order_id in ids:
        result = invoice_order(order_id, on)
        if result is not None:
            done.append(result)
    return done


# Lists --------------------------------------------------------------------------------------
ORDERS_SHOWN = 25


def recent_orders(user: User, limit: int = ORDERS_SHOWN) -> list[SalesOrder]:
    """The latest placed orders `user` may see, with both accounts joined (one query)."""
    OrderAccount, Billed = Customer.alias(), Customer.alias()
    return list(
        SalesOrder.visible_to(user)
        .select(SalesOrder, OrderAccount, Billed)
        .join(OrderAccount, JOIN.INNER, on=(SalesOrder.order_account == OrderAccount.id), attr="order_account")
        .switch(SalesOrder)
        .join(Billed, JOIN.INNER, on=(SalesOrder.invoice_account == Billed.id), attr="invoice_account")
        .where(SalesOrder.status.in_(PLACED_STATUSES))
        .order_by(SalesOrder.created_at.desc(), SalesOrder.id.desc())
        .limit(limit)
    )


def cancel_card_order(order_id: int) -> None:
    """The gateway declined: the waiting card order will never be placed."""
    SalesOrder.update(status=CANCELLED).where(SalesOrder.id == order_id,
                                              SalesOrder.status == AWAITING_PAYMENT).execute()
