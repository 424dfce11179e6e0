"""The schema comes from migrations/ and nothing else: a database with data in it at the first migration is
upgraded to the last with its data intact and the summary triggers working; a database made before
migrations existed is taken over; and no request, command or job issues DDL. On SQLite and PostgreSQL."""
from __future__ import annotations

import re
import uuid
from datetime import date, timedelta

import pytest

from tests.conftest import _pg_connect, PG_ADMIN_URL

DDL = re.compile(r"^\s*(CREATE|DROP|ALTER|TRUNCATE)\b", re.I)


@pytest.fixture(params=["sqlite", "postgres"])
def empty_database(request, tmp_path, postgres_server):
    """A database with no tables at all, and its Peewee handle (connected)."""
    from models import open_database

    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'upgrade.db'}"
        name = None
    else:
        if postgres_server[0] is None:
            pytest.skip(postgres_server[1])
        name = f"settle_migrate_{uuid.uuid4().hex[:8]}"
        admin = _pg_connect()
        admin.autocommit = True
        with admin.cursor() as cur:
            cur.execute(f'CREATE DATABASE "{name}"')
        url = f"{PG_ADMIN_URL.rsplit('/', 1)[0]}/{name}"
    database = open_database(url)
    database.connect()
    yield database
    database.close()
    if hasattr(database, "close_all"):
        database.close_all()
    if name:
        with admin.cursor() as cur:
            cur.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", (name,))
            cur.execute(f'DROP DATABASE IF EXISTS "{name}"')
        admin.close()


def old_data(database) -> None:
    """Customers and invoices as the portal wrote them before the summary triggers: raw SQL on the old schema."""
    p = database.param
    today = date.today()
    database.execute_sql(f"INSERT INTO customer (account, name, email, currency, billing_address, net_days, "
                         f"discount_percent, discount_days) VALUES ({p}, {p}, {p}, 'NOK', '', 30, 0, 0)",
                         ("DIST-1", "Nordic Distribution AS", "ap@dist.example"))
    database.execute_sql(f"INSERT INTO customer (account, name, email, currency, billing_address, net_days, "
                         f"discount_percent, discount_days, invoice_account_id) "
                         f"VALUES ({p}, {p}, {p}, 'NOK', '', 30, 0, 0, 1)",
                         ("RET-1", "Fjordbutikken AS", "post@ret.example"))
    rows = [("INV-1", 1, 2, 125000, 125000, "unpaid"), ("INV-2", 1, 1, 50000, 20000, "partial"),
            ("INV-3", 1, 2, 80000, 0, "paid"), ("INV-LONGER-NUMBER-4", 2, 2, 10000, 10000, "unpaid")]
    for number, billed, ordered, total, balance, status in rows:
        database.execute_sql(
            f"INSERT INTO invoice (number, invoice_account_id, order_account_id, invoice_date, due_date, currency, "
            f"total, balance, status, discount_percent, created_at) "
            f"VALUES ({p}, {p}, {p}, {p}, {p}, 'NOK', {p}, {p}, {p}, 0, {p})",
            (number, billed, ordered, today - timedelta(days=40), today - timedelta(days=10), total, balance, status,
             f"{today} 08:00:00"))


def summary(database) -> dict:
    return {(account, status, currency): (invoices, balance, length) for account, status, currency, invoices,
            balance, length in database.execute_sql(
                "SELECT account_id, status, currency, invoices, balance, number_length FROM invoice_summary "
                "WHERE invoices > 0").fetchall()}


def counted(database) -> dict:
    """The summary computed from the invoices themselves."""
    return {(account, status, currency): (n, total, length) for account, status, currency, n, total, length in
            database.execute_sql("SELECT invoice_account_id, status, currency, COUNT(*), SUM(balance), "
                                 "MAX(length(number)) FROM invoice GROUP BY invoice_account_id, status, "
                                 "currency").fetchall()}


def versions(database) -> dict:
    return dict(((a, s, c), v) for a, s, c, v in database.execute_sql(
        "SELECT account_id, status, currency, version FROM invoice_summary").fetchall())


def test_a_database_at_the_first_migration_with_data_is_upgraded_with_its_data_and_working_triggers(empty_database):
    import migrations

    database = empty_database
    router = migrations.router(database)
    assert router.run(migrations.BASELINE) == [migrations.BASELINE]
    old_data(database)
    assert summary(database) == {}  # no triggers yet: nothing counted

    applied = migrations.migrate(database)
    assert applied and applied == [name for name in router.todo if name != migrations.BASELINE]
    assert migrations.migrate(database) == []  # a second run has nothing to do
    assert database.execute_sql("SELECT COUNT(*) FROM invoice").fetchone()[0] == 4
    assert database.execute_sql("SELECT name FROM customer WHERE account = 'RET-1'").fetchone()[0] == "Fjordbutikken AS"
    assert summary(database) == counted(database)  # what was there is counted
    assert summary(database)[(1, "unpaid", "NOK")] == (1, 125000, 5)

    # The triggers keep it exact from now on: insert, update, delete, and a renamed order account.
    p = database.param
    before = versions(database)
    database.execute_sql(
        f"INSERT INTO invoice (number, invoice_account_id, order_account_id, invoice_date, due_date, currency, total, "
        f"balance, status, discount_percent, created_at) VALUES ('INV-5', 1, 2, {p}, {p}, 'NOK', 700, 700, 'unpaid', "
        f"0, {p})", (date.today(), date.today(), f"{date.today()} 08:00:00"))
    database.execute_sql("UPDATE invoice SET balance = 0, status = 'paid' WHERE number = 'INV-1'")
    database.execute_sql("DELETE FROM invoice WHERE number = 'INV-3'")
    assert summary(database) == counted(database)
    after = versions(database)
    assert after[(1, "unpaid", "NOK")] > before[(1, "unpaid", "NOK")]
    database.execute_sql("UPDATE customer SET name = 'Fjordbutikken Bergen AS' WHERE account = 'RET-1'")
    assert versions(database)[(1, "unpaid", "NOK")] > after[(1, "unpaid", "NOK")]  # RET-1 ordered INV-5


def test_a_database_made_before_migrations_is_taken_over(empty_database):
    """Tables as the old create_tables() left them, and no history: recorded at the baseline, then upgraded."""
    import migrations

    database = empty_database
    migrations.router(database).run(migrations.BASELINE)
    old_data(database)
    database.execute_sql(f"DROP TABLE {migrations.HISTORY_TABLE}")  # as before migrations existed
    assert migrations.migrate(database)
    assert migrations.BASELINE in migrations.applied(database)
    assert summary(database) == counted(database)


def test_every_migration_has_a_rollback_back_to_empty(empty_database):
    import migrations

    database = empty_database
    migrations.migrate(database)
    router = migrations.router(database)
    while router.done:
        router.rollback()
    assert not database.table_exists("invoice") and not database.table_exists("customer")
    migrations.migrate(database)
    assert database.table_exists("invoice")


def test_the_sqlite_trigger_file_splits_into_whole_statements():
    from migrations import statements
    from peewee import SqliteDatabase

    found = statements("invoice_summary", SqliteDatabase(":memory:"))
    assert [s.split()[0] for s in found] == ["DROP"] * 4 + ["CREATE"] * 4
    assert all(s.rstrip().endswith(("END;", ";")) for s in found)


def test_no_request_command_or_job_issues_ddl(app, world, client, auth, count_queries, tmp_path):
    """Only init-db changes the schema: pages, cart, checkout, the job and the import run no DDL."""
    from models import db
    from models.importer import import_data
    from services.request_job import process_pending_requests
    from tests.world import world_payload

    auth.login("kari")
    for url in ("/invoices", "/invoices?status=overdue", "/invoices/D-001", "/account", "/cart", "/products"):
        assert client.get(url).status_code == 200, url
    client.post("/cart/invoices", data={"invoice": "D-001"})
    client.post("/invoices/D-001/request")
    with app.app_context(), db.connection_context():
        import_data(world_payload())
        process_pending_requests()
    ddl = [sql for sql in count_queries.statements if DDL.match(sql)]
    assert count_queries.statements and not ddl, ddl
