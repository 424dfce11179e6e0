"""Customer accounts (with their optional invoice account) and the people who sign in."""
from __future__ import annotations

import os
from datetime import date, timedelta
from decimal import Decimal

from flask_login import UserMixin
from peewee import BooleanField, CharField, DecimalField, ForeignKeyField, IntegerField, TextField
from werkzeug.security import check_password_hash, generate_password_hash

from . import BaseModel
from .money import MoneyField


# The country a customer is in when only its currency is known.
CURRENCY_COUNTRY = {"NOK": "NO", "PLN": "PL", "SEK": "SE", "DKK": "DK"}


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
    # Identifiers printed on invoices and e-invoices (models/identifiers.py checks them on import).
    org_number = CharField(max_length=20, null=True)  # Norway: organization number; Poland: NIP
    vat_number = CharField(max_length=20, null=True)  # NO…MVA, PL…
    country = CharField(max_length=2, null=True)  # ISO 3166 alpha-2

    def __str__(self):
        return f"{self.account} {self.name}"

    @property
    def billing_customer(self) -> "Customer":
        """The customer that is billed for this one's orders (itself when none is configured)."""
        return self.invoice_account if self.invoice_account_id else self

    @property
    def country_code(self) -> str | None:
        """The customer's country; when none was given, the country of its currency (NOK: NO, PLN: PL)."""
        return self.country or CURRENCY_COUNTRY.get(self.currency)

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
    # Every session and remember cookie carries the generation it was made in; moving it on ends them all
    # (models/sessions.py).
    session_generation = IntegerField(default=0)

    # The session this user object was signed in or loaded with (models/sessions.py: SessionKey); Flask-Login
    # keeps `get_id()` in the session and the remember cookie (its documented "alternative token").
    session_key: str | None = None

    def get_id(self) -> str:
        return self.session_key or str(self.id)

    # Two objects of the same user are the same user, whichever session they came with.
    __eq__ = BaseModel.__eq__
    __hash__ = BaseModel.__hash__
    roles = CharField(max_length=40, default="admin,buyer,payer")  # models/roles.py: sorted, comma-separated
    active = BooleanField(default=True)  # a deactivated user cannot sign in (and is signed out)

    @property
    def is_active(self) -> bool:
        """Flask-Login's question: a deactivated user is never signed in."""
        return bool(self.active)

    @property
    def role_set(self) -> frozenset:
        from .roles import parse_roles

        return parse_roles(self.roles)

    def set_password(self, password: str) -> None:
        self.password_hash = generate_password_hash(password, method=PASSWORD_HASH_METHOD)

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)
