"""The triggers that keep invoice_summary exact (sql/invoice_summary.<database>.sql), and a recount of what is
already there, so a database upgraded with invoices in it starts with the right summary."""
from migrations import engine, run_sql_file

RECOUNT = {
    "sqlite": "CAST((julianday('now') - 2440587.5) * 86400000000.0 AS INTEGER)",
    "postgresql": "(extract(epoch from clock_timestamp()) * 1000000)::bigint",
}


def migrate(migrator, database, *, fake=False):
    run_sql_file(migrator, database, "invoice_summary")
    clock = RECOUNT[engine(database)]
    migrator.sql("DELETE FROM invoice_summary")
    migrator.sql(
        "INSERT INTO invoice_summary (account_id, status, currency, invoices, balance, number_length, version) "
        f"SELECT invoice_account_id, status, currency, COUNT(id), SUM(balance), MAX(length(number)), {clock} "
        "FROM invoice GROUP BY invoice_account_id, status, currency")


def rollback(migrator, database, *, fake=False):
    for name in ("invoice_summary_insert", "invoice_summary_update", "invoice_summary_delete"):
        migrator.sql(f"DROP TRIGGER IF EXISTS {name}" + (" ON invoice" if engine(database) == "postgresql" else ""))
