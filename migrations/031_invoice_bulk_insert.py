"""PostgreSQL: invoice_summary and invoice_aging kept by one trigger per INSERT statement (sql/
invoice_bulk_insert.postgresql.sql), so the bulk import's thousand-row inserts cost one summary update per
statement instead of one per row. Same sums; SQLite is unchanged."""
from migrations import engine, run_sql_file


def migrate(migrator, database, *, fake=False):
    if engine(database) == "postgresql":
        run_sql_file(migrator, database, "invoice_bulk_insert")


def rollback(migrator, database, *, fake=False):
    if engine(database) == "postgresql":
        # The row triggers as migrations 002 and 010 made them (those files recreate every invoice trigger).
        run_sql_file(migrator, database, "invoice_summary")
        run_sql_file(migrator, database, "invoice_aging")
        migrator.sql("DROP FUNCTION IF EXISTS invoice_summary_insert_rows()")
        migrator.sql("DROP FUNCTION IF EXISTS invoice_aging_insert_rows()")
