"""Credit notes (models/credit_note.py): a credit note credits (part of) one invoice and is billed to that
invoice's accounts; what of it is used in the cart is recorded against the invoices it paid. `cart_credit` holds
the credit notes a buyer chose to use in the cart, `checkout_credit` what a checkout uses of each, per invoice."""
from decimal import Decimal

import peewee as pw


def migrate(migrator, database, *, fake=False):
    Customer = migrator.orm["customer"]
    Invoice = migrator.orm["invoice"]
    Cart = migrator.orm["cart"]
    Checkout = migrator.orm["checkout"]

    @migrator.create_model
    class CreditNote(pw.Model):
        id = pw.AutoField()
        number = pw.CharField(max_length=40, unique=True)
        invoice = pw.ForeignKeyField(Invoice, column_name="invoice_id", on_delete="RESTRICT")
        invoice_account = pw.ForeignKeyField(Customer, column_name="invoice_account_id", on_delete="RESTRICT",
                                             index=False)
        order_account = pw.ForeignKeyField(Customer, column_name="order_account_id", on_delete="RESTRICT")
        invoice_date = pw.DateField()
        currency = pw.CharField(max_length=3)
        total = pw.BigIntegerField(default=0)
        used = pw.BigIntegerField(default=0)
        reason = pw.CharField(max_length=500, null=True)
        ksef_number = pw.CharField(max_length=40, null=True)
        created_at = pw.DateTimeField()

        class Meta:
            table_name = "credit_note"
            indexes = ((("invoice_account", "invoice_date", "id"), False),)

    @migrator.create_model
    class CreditNoteLine(pw.Model):
        id = pw.AutoField()
        item = pw.CharField(max_length=40, default="")
        description = pw.CharField(max_length=500)
        quantity = pw.DecimalField(max_digits=14, decimal_places=4)
        unit_price = pw.DecimalField(max_digits=16, decimal_places=4)
        tax_percent = pw.DecimalField(max_digits=5, decimal_places=2, default=Decimal("0"))
        amount = pw.BigIntegerField()
        tax = pw.BigIntegerField()
        credit_note = pw.ForeignKeyField(CreditNote, column_name="credit_note_id", on_delete="CASCADE")
        line_no = pw.IntegerField()

        class Meta:
            table_name = "credit_note_line"
            indexes = ((("credit_note", "line_no"), True),)

    @migrator.create_model
    class CartCredit(pw.Model):
        id = pw.AutoField()
        cart = pw.ForeignKeyField(Cart, column_name="cart_id", on_delete="CASCADE")
        credit_note = pw.ForeignKeyField(CreditNote, column_name="credit_note_id", on_delete="CASCADE")

        class Meta:
            table_name = "cart_credit"
            indexes = ((("cart", "credit_note"), True),)

    @migrator.create_model
    class CheckoutCredit(pw.Model):
        id = pw.AutoField()
        checkout = pw.ForeignKeyField(Checkout, column_name="checkout_id", on_delete="CASCADE")
        credit_note = pw.ForeignKeyField(CreditNote, column_name="credit_note_id", on_delete="CASCADE")
        invoice = pw.ForeignKeyField(Invoice, column_name="invoice_id", on_delete="CASCADE")
        amount = pw.BigIntegerField()

        class Meta:
            table_name = "checkout_credit"


def rollback(migrator, database, *, fake=False):
    for table in ("checkout_credit", "cart_credit", "credit_note_line", "credit_note"):
        migrator.remove_model(table)
