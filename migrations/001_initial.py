"""The schema as the portal made it before it had migrations (a database from then is recorded as here).

Money columns are integer minor units (cents); models/money.py: MoneyField.
"""
from decimal import Decimal

import peewee as pw


def migrate(migrator, database, *, fake=False):
    @migrator.create_model
    class Customer(pw.Model):
        id = pw.AutoField()
        account = pw.CharField(max_length=40, unique=True)
        name = pw.CharField(max_length=200)
        email = pw.CharField(max_length=254)
        currency = pw.CharField(max_length=3)
        billing_address = pw.TextField(default="")
        invoice_account = pw.ForeignKeyField("self", column_name="invoice_account_id", null=True,
                                             on_delete="RESTRICT")
        net_days = pw.IntegerField(default=30)
        discount_percent = pw.DecimalField(max_digits=5, decimal_places=2, default=Decimal("0"))
        discount_days = pw.IntegerField(default=0)
        credit_limit = pw.BigIntegerField(null=True)

        class Meta:
            table_name = "customer"

    @migrator.create_model
    class User(pw.Model):
        id = pw.AutoField()
        email = pw.CharField(max_length=254, unique=True)
        name = pw.CharField(max_length=200)
        password_hash = pw.CharField(max_length=255)
        customer = pw.ForeignKeyField(Customer, column_name="customer_id", on_delete="RESTRICT")
        locale = pw.CharField(max_length=10, null=True)

        class Meta:
            table_name = "user"

    @migrator.create_model
    class Invoice(pw.Model):
        id = pw.AutoField()
        number = pw.CharField(max_length=40, unique=True)
        # No single-column index: every index below starts with the invoice account.
        invoice_account = pw.ForeignKeyField(Customer, column_name="invoice_account_id", on_delete="RESTRICT",
                                             index=False)
        order_account = pw.ForeignKeyField(Customer, column_name="order_account_id", on_delete="RESTRICT")
        invoice_date = pw.DateField()
        due_date = pw.DateField()
        currency = pw.CharField(max_length=3)
        total = pw.BigIntegerField(default=0)
        balance = pw.BigIntegerField(default=0)
        status = pw.CharField(max_length=10, default="unpaid")
        discount_percent = pw.DecimalField(max_digits=5, decimal_places=2, default=Decimal("0"))
        discount_until = pw.DateField(null=True)
        created_at = pw.DateTimeField()

        class Meta:
            table_name = "invoice"
            indexes = (
                (("invoice_account", "due_date", "id"), False),
                (("invoice_account", "status", "due_date", "id", "currency", "balance"), False),
                (("invoice_account", "invoice_date", "id"), False),
                (("invoice_account", "total", "id"), False),
            )

    Invoice.add_index(Invoice.index(Invoice.invoice_account, pw.fn.LOWER(Invoice.number),
                                    name="invoice_account_number_lower"))

    @migrator.create_model
    class InvoiceLine(pw.Model):
        id = pw.AutoField()
        item = pw.CharField(max_length=40, default="")
        description = pw.CharField(max_length=500)
        quantity = pw.DecimalField(max_digits=14, decimal_places=4)
        unit_price = pw.DecimalField(max_digits=16, decimal_places=4)
        tax_percent = pw.DecimalField(max_digits=5, decimal_places=2, default=Decimal("0"))
        amount = pw.BigIntegerField()
        tax = pw.BigIntegerField()
        invoice = pw.ForeignKeyField(Invoice, column_name="invoice_id", on_delete="CASCADE")
        line_no = pw.IntegerField()

        class Meta:
            table_name = "invoice_line"
            indexes = ((("invoice", "line_no"), True),)

    @migrator.create_model
    class InvoiceSummary(pw.Model):
        account_id = pw.IntegerField()
        status = pw.CharField(max_length=10)
        currency = pw.CharField(max_length=3)
        invoices = pw.IntegerField(default=0)
        balance = pw.BigIntegerField(default=0)
        number_length = pw.IntegerField(default=0)
        version = pw.BigIntegerField(default=0)

        class Meta:
            table_name = "invoice_summary"
            primary_key = pw.CompositeKey("account_id", "status", "currency")

    @migrator.create_model
    class Payment(pw.Model):
        id = pw.AutoField()
        invoice = pw.ForeignKeyField(Invoice, column_name="invoice_id", on_delete="CASCADE")
        amount = pw.BigIntegerField()
        discount = pw.BigIntegerField(default=0)
        method = pw.CharField(max_length=20)
        gateway_reference = pw.CharField(max_length=100, null=True, index=True)
        user = pw.ForeignKeyField(User, column_name="user_id", null=True, on_delete="SET NULL")
        created_at = pw.DateTimeField()

        class Meta:
            table_name = "payment"

    @migrator.create_model
    class Product(pw.Model):
        id = pw.AutoField()
        item = pw.CharField(max_length=40, unique=True)
        name = pw.CharField(max_length=200)
        price = pw.BigIntegerField()
        currency = pw.CharField(max_length=3)
        active = pw.BooleanField(default=True)

        class Meta:
            table_name = "product"

    @migrator.create_model
    class SalesOrder(pw.Model):
        id = pw.AutoField()
        number = pw.CharField(max_length=40, unique=True, null=True)
        order_account = pw.ForeignKeyField(Customer, column_name="order_account_id", on_delete="RESTRICT")
        invoice_account = pw.ForeignKeyField(Customer, column_name="invoice_account_id", on_delete="RESTRICT")
        placed_by = pw.ForeignKeyField(User, column_name="placed_by_id", null=True, on_delete="SET NULL")
        payment_method = pw.CharField(max_length=20)
        status = pw.CharField(max_length=20, default="open")
        currency = pw.CharField(max_length=3)
        billing_name = pw.CharField(max_length=200)
        billing_address = pw.TextField(default="")
        subtotal = pw.BigIntegerField(default=0)
        tax = pw.BigIntegerField(default=0)
        total = pw.BigIntegerField(default=0)
        gateway_reference = pw.CharField(max_length=100, null=True)
        invoice = pw.ForeignKeyField(Invoice, column_name="invoice_id", null=True, on_delete="SET NULL")
        created_at = pw.DateTimeField()
        invoiced_at = pw.DateTimeField(null=True)

        class Meta:
            table_name = "sales_order"
            indexes = ((("invoice_account", "status"), False), (("status", "id"), False))

    @migrator.create_model
    class SalesOrderLine(pw.Model):
        id = pw.AutoField()
        item = pw.CharField(max_length=40, default="")
        description = pw.CharField(max_length=500)
        quantity = pw.DecimalField(max_digits=14, decimal_places=4)
        unit_price = pw.DecimalField(max_digits=16, decimal_places=4)
        tax_percent = pw.DecimalField(max_digits=5, decimal_places=2, default=Decimal("0"))
        amount = pw.BigIntegerField()
        tax = pw.BigIntegerField()
        order = pw.ForeignKeyField(SalesOrder, column_name="order_id", on_delete="CASCADE")
        line_no = pw.IntegerField()
        product = pw.ForeignKeyField(Product, column_name="product_id", null=True, on_delete="SET NULL")

        class Meta:
            table_name = "sales_order_line"
            indexes = ((("order", "line_no"), True),)

    @migrator.create_model
    class Cart(pw.Model):
        id = pw.AutoField()
        user = pw.ForeignKeyField(User, column_name="user_id", unique=True, on_delete="CASCADE")
        version = pw.IntegerField(default=0)
        updated_at = pw.DateTimeField()

        class Meta:
            table_name = "cart"

    @migrator.create_model
    class CartLine(pw.Model):
        id = pw.AutoField()
        cart = pw.ForeignKeyField(Cart, column_name="cart_id", on_delete="CASCADE")
        invoice = pw.ForeignKeyField(Invoice, column_name="invoice_id", null=True, on_delete="CASCADE")
        product = pw.ForeignKeyField(Product, column_name="product_id", null=True, on_delete="CASCADE")
        quantity = pw.DecimalField(max_digits=12, decimal_places=2, null=True)
        amount = pw.BigIntegerField(null=True)
        created_at = pw.DateTimeField()

        class Meta:
            table_name = "cart_line"
            indexes = ((("cart", "invoice"), True), (("cart", "product"), True))

    @migrator.create_model
    class Checkout(pw.Model):
        id = pw.AutoField()
        reference = pw.CharField(max_length=40, unique=True)
        user = pw.ForeignKeyField(User, column_name="user_id", on_delete="CASCADE")
        cart = pw.ForeignKeyField(Cart, column_name="cart_id", null=True, on_delete="SET NULL")
        cart_version = pw.IntegerField()
        method = pw.CharField(max_length=20)
        currency = pw.CharField(max_length=3)
        total = pw.BigIntegerField()
        status = pw.CharField(max_length=12, default="pending")
        reason = pw.CharField(max_length=200, default="")
        gateway = pw.CharField(max_length=20, default="")
        gateway_reference = pw.CharField(max_length=100, null=True, index=True)
        created_at = pw.DateTimeField()
        completed_at = pw.DateTimeField(null=True)

        class Meta:
            table_name = "checkout"

    @migrator.create_model
    class CheckoutLine(pw.Model):
        id = pw.AutoField()
        checkout = pw.ForeignKeyField(Checkout, column_name="checkout_id", on_delete="CASCADE")
        invoice = pw.ForeignKeyField(Invoice, column_name="invoice_id", on_delete="CASCADE")
        amount = pw.BigIntegerField()
        discount = pw.BigIntegerField(default=0)

        class Meta:
            table_name = "checkout_line"

    @migrator.create_model
    class B2BRequest(pw.Model):
        id = pw.AutoField()
        type = pw.CharField(max_length=30, default="invoice_copy")
        invoice = pw.ForeignKeyField(Invoice, column_name="invoice_id", on_delete="CASCADE")
        user = pw.ForeignKeyField(User, column_name="user_id", on_delete="CASCADE")
        email = pw.CharField(max_length=254)
        requested_at = pw.DateTimeField()
        status = pw.CharField(max_length=10, default="pending")
        attempts = pw.IntegerField(default=0)
        error_kind = pw.CharField(max_length=20, null=True)
        last_error = pw.TextField(null=True)
        next_attempt_at = pw.DateTimeField()
        completed_at = pw.DateTimeField(null=True)
        claim_token = pw.CharField(max_length=32, null=True)
        claimed_until = pw.DateTimeField(null=True)

        class Meta:
            table_name = "b2b_request"
            indexes = ((("status", "next_attempt_at"), False), (("user", "requested_at"), False))


def rollback(migrator, database, *, fake=False):
    for table in ("b2b_request", "checkout_line", "checkout", "cart_line", "cart", "sales_order_line",
                  "sales_order", "product", "payment", "invoice_summary", "invoice_line", "invoice", "user",
                  "customer"):
        migrator.remove_model(table)
