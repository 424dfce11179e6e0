"""Customer accounts (with their optional invoice account) and the people who sign in."""
import os
from datetime import date, timedelta
from decimal import Decimal

from flask_login import UserMixin
from peewee import (
    CharField,
    DecimalField,
    ForeignKeyField,
    JOIN,
    IntegerField,
    TextField,
)
from werkzeug.security import check_password_hash, generate_password_hash

from . import BaseModel
from .money import MoneyField


class Customer(BaseModel):
    account = CharField(max_length=40, unique=True)
    name = CharField(max_length=200)
    email = CharField(max_length=254)
    currency = CharField(max_length=3)
    billing_address = TextField(default="")
    # The organization account: the customer that is billed for this one's orders.
    invoice_account = ForeignKeyField("self", null=True, backref="billed_customers", on_delete="RESTRICT")
    net_days = IntegerField(default=30)
    discount_percent = DecimalField(max_digits=5, decimal_places=2, default=Decimal("0"))
    discount_days = IntegerField(default=0)
    credit_limit = MoneyField(null=True)  # None: no limit

    def __str__(self):
        return f"{self.account} {self.name}"

    @property
    def billing_customer(self) -> "Customer":
        """The customer that is billed for this one's orders (itself when none is configured)."""
        return self.invoice_account if self.invoice_account_id else self

    def visible_account_ids(self) -> tuple:
        """Ids of the invoice accounts whose invoices this customer's users may see."""
        if self.invoice_account_id and self.invoice_account_id != self.id:
            return (self.id, self.invoice_account_id)
        return (self.id,)

    # Payment terms ---------------------------------------------------------
    def due_date_for(self, invoice_date: date) -> date:
        return invoice_date + timedelta(days=self.net_days)

    def discount_date_for(self, invoice_date: date):
        if self.discount_percent and self.discount_percent > 0 and self.discount_days > 0:
            return invoice_date + timedelta(days=self.discount_days)
        return None

    @property
    def has_cash_discount(self) -> bool:
        return bool(self.discount_percent and self.discount_percent > 0 and self.discount_days > 0)


# scrypt (werkzeug's default) in production; the test suite sets a cheaper method to stay fast.
PASSWORD_HASH_METHOD = os.environ.get("SETTLE_PASSWORD_HASH_METHOD", "scrypt")


class User(UserMixin, BaseModel):
    email = CharField(max_length=254, unique=True)  # stored lower-case
    name = CharField(max_length=200)
    password_hash = CharField(max_length=255)
    customer = ForeignKeyField(Customer, backref="users", on_delete="RESTRICT")
    locale = CharField(max_length=10, null=True)  # the user's chosen language, if any

    def set_password(self, password: str) -> None:
        self.password_hash = generate_password_hash(password, method=PASSWORD_HASH_METHOD)

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)

    @classmethod
    def for_login(cls, user_id):
        """Load a signed-in user with their customer, its invoice account and what is in their cart, in one query.

        Every request runs it, so the query is built once and the three objects are made from
        its row directly (models/prepared.py): Peewee's own building cost ten times the query.
        Every page's header shows the cart's count and every Pay invoice button asks whether its
        invoice is in the cart: `user.cart_contents` is (lines in the cart, ids of its invoices).
        """
        from .cart import Cart
        from .prepared import Slot, load, prepared, revive

        try:
            user_id = int(user_id)
        except (ValueError, TypeError, OverflowError):
            return None
        if not -(2**63) <= user_id < 2**63:
            return None

        def build():
            Org = Customer.alias()
            return (cls.select(cls, Customer, Org, *Cart.contents_columns(cls.id))
                    .join(Customer, on=(cls.customer == Customer.id))
                    .join(Org, JOIN.LEFT_OUTER, on=(Customer.invoice_account == Org.id), attr="invoice_account")
                    .where(cls.id == Slot("id")))

        row = prepared("user-for-login", build).one(id=user_id)
        if row is None:
            return None
        *row, cart_lines, cart_invoices = row
        row = tuple(row)
        # The same row comes back request after request: its fields are converted once per worker.
        known = _SIGNED_IN.get(row)
        if known is None:
            user_fields, customer_fields = len(cls._meta.sorted_fields), len(Customer._meta.sorted_fields)
            org_start = user_fields + customer_fields
            known = (load(cls, row).__data__, load(Customer, row, user_fields).__data__,
                     load(Customer, row, org_start).__data__ if row[org_start] is not None else None)
            if len(_SIGNED_IN) >= 2048:
                _SIGNED_IN.pop(next(iter(_SIGNED_IN)))
            _SIGNED_IN[row] = known
        user, customer = revive(cls, known[0]), revive(Customer, known[1])
        if known[2] is not None:
            customer.invoice_account = revive(Customer, known[2])
        user.customer = customer
        user.cart_contents = Cart.contents_from(cart_lines, cart_invoices)
        user._dirty.clear()
        customer._dirty.clear()
        return user


_SIGNED_IN: dict = {}  # User.for_login: raw row -> the converted fields of its user, customer and organization
