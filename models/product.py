"""The small product catalogue buyers order from on account."""
from peewee import BooleanField, CharField

from . import BaseModel
from .money import MoneyField


class Product(BaseModel):
    item = CharField(max_length=40, unique=True)
    name = CharField(max_length=200)
    price = MoneyField()
    currency = CharField(max_length=3)
    active = BooleanField(default=True)

    def __str__(self):
        return self.name
