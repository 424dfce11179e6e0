"""`python -m bench.generate --invoices N [--database-url URL]`: (re)create the benchmark data set."""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DB = ROOT / "bench" / "data" / "bench.db"


def default_url() -> str:
    return f"sqlite:///{DEFAULT_DB}"


def open_for_generation(url: str):
    """The database for a bulk load: on SQLite a fresh file without journal or fsync (it is rebuilt from
    scratch on any failure anyway); on PostgreSQL asynchronous commit."""
    from peewee import SqliteDatabase

    from models import db, open_database

    if url.startswith("sqlite"):
        path = Path(url.split(":///", 1)[1])
        path.parent.mkdir(parents=True, exist_ok=True)
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(str(path) + suffix).unlink(missing_ok=True)
        database = SqliteDatabase(str(path), pragmas={
            "journal_mode": "off", "synchronous": "off", "foreign_keys": 0, "cache_size": -1_000_000,
            "temp_store": "memory", "locking_mode": "exclusive"})
    else:
        database = open_database(url)
    db.initialize(database)
    db.connect(reuse_if_open=True)
    if not url.startswith("sqlite"):
        # The benchmark's own database (run.py refuses any other): emptied, then made by the migrations.
        db.execute_sql("DROP SCHEMA public CASCADE")
        db.execute_sql("CREATE SCHEMA public")
        db.execute_sql("SET synchronous_commit = off")
        db.execute_sql("SET maintenance_work_mem = '256MB'")
    import migrations

    migrations.migrate(db)
    return database


def finish(url: str):
    from models import db

    if url.startswith("sqlite"):
        db.execute_sql("PRAGMA journal_mode = wal")  # what the portal runs with
    db.close()


def run(invoices: int, url: str, customers: int = 20_000, log=print) -> dict:
    from bench.data import Plan, generate, visible_count

    plan = Plan(invoices=invoices, customers=customers)
    open_for_generation(url)
    try:
        result = generate(plan)
    finally:
        finish(url)
    result["visible"] = visible_count(plan)
    t = result["timings"]
    log(f"Generated {result['invoices']:,} invoices, {result['lines']:,} lines, {result['payments']:,} payments, "
        f"{result['customers']:,} customers in {t['total']:.1f} s ("
        + ", ".join(f"{k} {v:.1f} s" for k, v in t.items() if k != "total")
        + f"); the measured user sees {result['visible']:,} invoices.")
    return result


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--invoices", type=int, default=1_000_000)
    parser.add_argument("--customers", type=int, default=20_000)
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL") or default_url())
    args = parser.parse_args(argv)
    sys.path.insert(0, str(ROOT))
    run(args.invoices, args.database_url, args.customers)


if __name__ == "__main__":
    main()
