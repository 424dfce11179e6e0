"""`make bench-exports`: the invoice exports (CSV and Excel) of 100,000 invoices — time and memory.

    python -m bench.exports [--rows 100000] [--database-url URL]

One customer with `--rows` invoices (bulk-loaded like bench/data.py, the summary and aging tables recounted),
its user signed in through the real app, and each export downloaded in full through the app, streamed (the body
is read chunk by chunk and thrown away, as a browser writes it to disk). Time is wall-clock; memory is the peak
of Python allocations (tracemalloc, measured on a second run) at a tenth of the rows and at all of them: flat
memory means the two peaks are alike. The target: every export of 100,000 rows in under 5 s.
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
import tracemalloc
from datetime import date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
TARGET_S = 5.0
EMAIL, PASSWORD = "exports@bench.example", "bench-Passw0rd"


def load(url: str, rows: int) -> None:
    import migrations
    from bench.data import bulk_insert
    from models import db, open_database
    from models.aging import rebuild_aging
    from models.customer import Customer, User
    from models.invoice import Invoice
    from models.summary import rebuild_summaries

    database = open_database(url)
    db.initialize(database)
    db.connect(reuse_if_open=True)
    migrations.migrate(database)
    with db.atomic():
        customer = Customer.create(account="EXP-1", name="Export Bench AS", email="ap@exp.example", currency="NOK")
        user = User(email=EMAIL, name="Export Bench", customer=customer)
        user.set_password(PASSWORD)
        user.save()
        today = date.today()
        fields = [Invoice.number, Invoice.invoice_account, Invoice.order_account, Invoice.invoice_date,
                  Invoice.due_date, Invoice.currency, Invoice.total, Invoice.balance, Invoice.status,
                  Invoice.discount_percent, Invoice.created_at]

        def invoices():
            for i in range(rows):
                day = today - timedelta(days=i % 900)
                total = 10_000 + (i * 7919) % 5_000_000
                state = i % 4
                balance = 0 if state == 0 else (total // 2 if state == 1 else total)
                status = "paid" if state == 0 else ("partial" if state == 1 else "unpaid")
                yield (f"EXP-{i:07d}", customer.id, customer.id, day, day + timedelta(days=30), "NOK", total, balance,
                       status, 0, datetime(day.year, day.month, day.day, 8))
        bulk_insert(Invoice, fields, invoices())
    rebuild_summaries()
    rebuild_aging()
    db.close()


def measure(url: str, rows: int) -> list[dict]:
    from app import create_app

    app = create_app({"TESTING": True, "DATABASE_URL": url, "WTF_CSRF_ENABLED": False, "SECRET_KEY": "bench",
                      "RENDER_CACHE_MB": 0})
    client = app.test_client()
    assert client.post("/login", data={"email": EMAIL, "password": PASSWORD}).status_code == 303
    found = []
    for name, path in (("CSV", "/invoices/export.csv"), ("Excel", "/invoices/export.xlsx")):
        for query, expected in (("?invoice_from=" + (date.today() - timedelta(days=89)).isoformat(), rows // 10),
                                ("", rows)):
            def download():
                response = client.get(path + query, buffered=False)
                size = sum(len(chunk) for chunk in response.response)
                response.close()
                return size

            started = time.perf_counter()
            size = download()
            seconds = time.perf_counter() - started
            tracemalloc.start()
            download()
            peak = tracemalloc.get_traced_memory()[1]
            tracemalloc.stop()
            found.append({"export": name, "rows": expected, "seconds": seconds, "bytes": size, "peak_mb": peak / 2**20})
            print(f"{name:5} {expected:>7,} rows: {seconds:5.2f} s, {size / 2**20:6.1f} MB, "
                  f"peak Python memory {peak / 2**20:5.1f} MB", flush=True)
    return found


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL"))
    args = parser.parse_args(argv)
    sys.path.insert(0, str(ROOT))
    folder = tempfile.mkdtemp(prefix="settle-bench-exports-")
    url = args.database_url or f"sqlite:///{folder}/exports.db"
    if url.startswith("postgres"):
        print(f"Using {url}: its tables are filled (use an empty database).")
    started = time.perf_counter()
    load(url, args.rows)
    print(f"Loaded {args.rows:,} invoices in {time.perf_counter() - started:.1f} s")
    found = measure(url, args.rows)
    engine = "postgresql" if url.startswith("postgres") else "sqlite"
    RESULTS.mkdir(exist_ok=True)
    report = RESULTS / f"exports-{engine}-{datetime.now():%Y%m%d-%H%M%S}.md"
    lines = [f"# Exports, {engine}, {args.rows:,} invoices ({datetime.now():%Y-%m-%d %H:%M})", "",
             f"Target: {args.rows:,} rows in under {TARGET_S:.0f} s each, memory flat (peak alike at a tenth).", "",
             "| export | rows | seconds | size MB | peak Python MB |", "|---|---:|---:|---:|---:|"]
    lines += [f"| {r['export']} | {r['rows']:,} | {r['seconds']:.2f} | {r['bytes'] / 2**20:.1f} | {r['peak_mb']:.1f} |"
              for r in found]
    slow = [r for r in found if r["rows"] == args.rows and r["seconds"] >= TARGET_S]
    lines += ["", "Every export met the time target." if not slow else
              "Over the target: " + ", ".join(f"{r['export']} {r['seconds']:.2f} s" for r in slow)]
    report.write_text("\n".join(lines) + "\n")
    print(f"Written {report.relative_to(ROOT)}")
    return 1 if slow else 0


if __name__ == "__main__":
    sys.exit(main())
