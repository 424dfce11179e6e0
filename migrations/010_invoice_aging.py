"""The open balance by day (models/aging.py): the table, the triggers that keep it exact
(sql/invoice_aging.<database>.sql), a count of what is already there, and the index the list's order-account
filter reads."""
import peewee as pw

from migrations import engine, run_sql_file

DISCOUNT = {
    "sqlite": "(balance * CAST(round(discount_percent * 100) AS INTEGER) + 5000) / 10000",
    "postgresql": "invoice_aging_discount(balance, discount_percent)",
}


def migrate(migrator, database, *, fake=False):
    @migrator.create_model
    class InvoiceAging(pw.Model):
        account_id = pw.IntegerField()
        order_account_id = pw.IntegerField()
        currency = pw.CharField(max_length=3)
        kind = pw.CharField(max_length=10)
        deadline = pw.DateField()
        invoices = pw.IntegerField(default=0)
        amount = pw.BigIntegerField(default=0)

        class Meta:
            table_name = "invoice_aging"
            primary_key = pw.CompositeKey("account_id", "order_account_id", "currency", "kind", "deadline")

    migrator.add_index("invoice", "invoice_account", "order_account", "due_date", "id")
    run_sql_file(migrator, database, "invoice_aging")
    discount = DISCOUNT[engine(database)]
    migrator.sql("DELETE FROM invoice_aging")
    migrator.sql(
        "INSERT INTO invoice_aging (account_id, order_account_id, currency, kind, deadline, invoices, amount) "
        "SELECT invoice_account_id, order_account_id, currency, 'due', due_date, COUNT(*), SUM(balance) "
        "FROM invoice WHERE balance > 0 GROUP BY invoice_account_id, order_account_id, currency, due_date")
    migrator.sql(
        "INSERT INTO invoice_aging (account_id, order_account_id, currency, kind, deadline, invoices, amount) "
        f"SELECT invoice_account_id, order_account_id, currency, 'discount', discount_until, COUNT(*), SUM({discount}) "
        f"FROM invoice WHERE balance > 0 AND discount_until IS NOT NULL AND {discount} > 0 "
        "GROUP BY invoice_account_id, order_account_id, currency, discount_until")


def rollback(migrator, database, *, fake=False):
    postgres = engine(database) == "postgresql"
    for name in ("invoice_aging_insert", "invoice_aging_update", "invoice_aging_delete", "invoice_aging_truncate"):
        if postgres or name != "invoice_aging_truncate":
            migrator.sql(f"DROP TRIGGER IF EXISTS {name}" + (" ON invoice" if postgres else ""))
    if postgres:
        migrator.sql("DROP FUNCTION IF EXISTS invoice_aging_sync()")
        migrator.sql("DROP FUNCTION IF EXISTS invoice_aging_clear()")
        migrator.sql("DROP FUNCTION IF EXISTS invoice_aging_discount(bigint, numeric)")
    migrator.sql("DROP INDEX IF EXISTS invoice_invoice_account_id_order_account_id_due_date_id")
    migrator.remove_model("invoice_aging")
