"""What a finance department books an invoice by: the customer's organization and VAT numbers and country; the
invoice's KID (unique: the payment reference a bank transfer quotes), the buyer's reference, delivery date and
address, KSeF number; the order's buyer reference and delivery address; each product's own VAT rate (until now
chosen by currency: 25 % for NOK, 23 % for PLN, which is what existing products get)."""
from decimal import Decimal

import peewee as pw


def migrate(migrator, database, *, fake=False):
    migrator.add_fields(
        "customer",
        org_number=pw.CharField(max_length=20, null=True),
        vat_number=pw.CharField(max_length=20, null=True),
        country=pw.CharField(max_length=2, null=True),
    )
    migrator.add_fields(
        "invoice",
        kid=pw.CharField(max_length=25, null=True, unique=True),
        buyer_reference=pw.CharField(max_length=100, null=True),
        delivery_date=pw.DateField(null=True),
        delivery_address=pw.TextField(null=True),
        ksef_number=pw.CharField(max_length=40, null=True),
    )
    migrator.add_fields(
        "sales_order",
        buyer_reference=pw.CharField(max_length=100, null=True),
        delivery_address=pw.TextField(null=True),
    )
    migrator.add_fields(
        "product",
        tax_percent=pw.DecimalField(max_digits=5, decimal_places=2, default=Decimal("25")),
    )
    migrator.sql("UPDATE product SET tax_percent = 23 WHERE currency = 'PLN'")


def rollback(migrator, database, *, fake=False):
    migrator.remove_fields("product", "tax_percent")
    migrator.remove_fields("sales_order", "buyer_reference", "delivery_address")
    migrator.remove_fields("invoice", "kid", "buyer_reference", "delivery_date", "delivery_address", "ksef_number")
    migrator.remove_fields("customer", "org_number", "vat_number", "country")
