"""Schema migrations, applied by `flask --app app init-db` and by nothing else.

The files `NNN_name.py` beside this one are peewee-migrate migrations, applied in order and recorded in the
`migratehistory` table; each describes its tables with models frozen inside it, so later changes to
models/ never change what an old migration does. SQL that only a database can run (the triggers behind
models/summary.py) lives in sql/, one file per database side by side, run by `run_sql_file`.

Adding a change: write the next `NNN_what_it_does.py` with `migrate(migrator, database, fake=False)` (and
`rollback`), using `migrator.create_model`, `add_fields`, `add_index`, `sql`, … (peewee-migrate's
Migrator), then run `flask --app app init-db`. tests/test_migrations.py upgrades a database with data
from the first migration to the last on SQLite and PostgreSQL.
"""
from __future__ import annotations

import logging
import sqlite3
from pathlib import Path

from peewee import PostgresqlDatabase, SqliteDatabase
from peewee_migrate import Router

FOLDER = Path(__file__).resolve().parent
SQL_FOLDER = FOLDER / "sql"
BASELINE = "001_initial"  # the schema as the portal created it before it had migrations
HISTORY_TABLE = "migratehistory"


def engine(database) -> str:
    """Which files of sql/ a database runs: "sqlite" or "postgresql"."""
    database = getattr(database, "obj", None) or database  # a DatabaseProxy
    if isinstance(database, SqliteDatabase):
        return "sqlite"
    if isinstance(database, PostgresqlDatabase):
        return "postgresql"
    raise ValueError(f"no migrations for {type(database).__name__}")


def router(database) -> Router:
    database = getattr(database, "obj", None) or database
    return Router(database, migrate_dir=FOLDER, logger=logging.getLogger("settle.migrations"))


def statements(name: str, database) -> list[str]:
    """The statements of sql/<name>.<engine>.sql, one by one."""
    engine_name = engine(database)
    text = (SQL_FOLDER / f"{name}.{engine_name}.sql").read_text(encoding="utf-8")
    if engine_name == "postgresql":
        return [text]  # the server takes the whole script ($$ bodies and all) in one call
    found, buffer = [], ""
    for line in text.splitlines(keepends=True):
        if not buffer and (not line.strip() or line.lstrip().startswith("--")):
            continue
        buffer += line
        if sqlite3.complete_statement(buffer):  # a trigger's BEGIN … END counts as one statement
            found.append(buffer.strip())
            buffer = ""
    if buffer.strip():
        raise ValueError(f"sql/{name}.{engine_name}.sql ends inside a statement")
    return found


def run_sql_file(migrator, database, name: str) -> None:
    """Queue sql/<name>.<engine>.sql in a migration."""
    for statement in statements(name, database):
        migrator.sql(statement)


def pending(database) -> list[str]:
    return router(database).diff


def applied(database) -> list[str]:
    return router(database).done


def migrate(database) -> list[str]:
    """Apply every pending migration; returns their names.

    A database made before migrations existed (its tables there, no history) is recorded as being at the
    baseline first, then brought up from there.
    """
    database = getattr(database, "obj", None) or database
    route = router(database)
    if not database.table_exists(HISTORY_TABLE) and database.table_exists("invoice"):
        route.run_one(BASELINE, route.migrator, fake=True, force=True)
    return route.run()
