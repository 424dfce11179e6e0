"""The small product catalogue buyers order from on account."""
from decimal import Decimal

from peewee import BooleanField, CharField, DecimalField

from . import BaseModel
from .money import MoneyField


class Product(BaseModel):
    item = CharField(max_length=40, unique=True)
    name = CharField(max_length=200)
    price = MoneyField()
    currency = CharField(max_length=3)
    active = BooleanField(default=True)
    # The product's own VAT rate (the import's `tax_percent`; without it, the rate of its currency's market).
    tax_percent = DecimalField(max_digits=5, decimal_places=2, default=Decimal("25"))

    def __str__(self):
        return self.name
