"""The import's speed and memory (make bench-import): write an import file of N invoices with 1–4 lines each,
import it through `import-data`'s own code path (models/importer.py: import_file), and print invoices a second
and the peak resident memory; then import the same file again (nothing to change: nothing is written).

    .venv/bin/python -m bench.import_speed --invoices 100000
    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/settle_bench .venv/bin/python -m bench.import_speed

The database named by DATABASE_URL is emptied first (default: a SQLite file in a temporary folder).
"""
from __future__ import annotations

import argparse
import json
import os
import random
import resource
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

CUSTOMERS = 1000
ITEMS = [(f"A-{100 + i}", f"Article {i}", f"{(i * 37) % 900 + 10}.{i % 100:02d}") for i in range(50)]


def write_file(path: Path, invoices: int, customers: int = CUSTOMERS, seed: int = 14) -> None:
    """An import file written as a stream (the generator never holds it whole)."""
    rng = random.Random(seed)
    start = date(2025, 1, 1)
    with path.open("w", encoding="utf-8") as out:
        out.write('{"customers": [\n')
        for c in range(customers):
            org = f"ORG-{c // 10:05d}" if c % 10 else None
            account = f"ORG-{c // 10:05d}" if c % 10 == 0 else f"CUS-{c:05d}"
            record = {"account": account, "name": f"Customer {c}", "email": f"ap{c}@example.com",
                      "currency": "NOK", "billing_address": f"Street {c}\n0150 Oslo", "invoice_account": org,
                      "payment_terms": {"net_days": 30, "discount_percent": "2" if c % 3 == 0 else "0",
                                        "discount_days": 10 if c % 3 == 0 else 0}}
            out.write(("," if c else "") + json.dumps(record) + "\n")
        out.write('],\n"products": [\n')
        out.write(",\n".join(json.dumps({"item": i, "name": n, "price": p, "currency": "NOK"}) for i, n, p in ITEMS))
        out.write('],\n"invoices": [\n')
        for n in range(invoices):
            c = rng.randrange(customers)
            account = f"ORG-{c // 10:05d}" if c % 10 == 0 else f"CUS-{c:05d}"
            billed = f"ORG-{c // 10:05d}"
            day = start + timedelta(days=rng.randrange(600))
            lines = []
            for _ in range(rng.randint(1, 4)):
                item, name, price = rng.choice(ITEMS)
                lines.append({"item": item, "description": name, "quantity": str(rng.randint(1, 40)),
                              "unit_price": price, "tax_percent": "25"})
            record = {"number": f"INV-{n + 1:07d}", "invoice_account": billed, "order_account": account,
                      "invoice_date": day.isoformat(), "due_date": (day + timedelta(days=30)).isoformat(),
                      "currency": "NOK", "lines": lines, "paid": "0.00"}
            out.write(("," if n else "") + json.dumps(record) + "\n")
        out.write("]}\n")


def server_cpu(pid) -> float:
    """CPU seconds used so far by the PostgreSQL backend serving this connection (same machine), or 0."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return 0.0


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--invoices", type=int, default=100_000)
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL"))
    parser.add_argument("--file", help="import this file instead of generating one")
    parser.add_argument("--once", action="store_true", help="import it once (not the same file again)")
    args = parser.parse_args(argv)
    folder = Path(tempfile.mkdtemp(prefix="settle-import-bench-"))
    url = args.database_url or f"sqlite:///{folder / 'bench.db'}"

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    import migrations
    from models import ALL_MODELS, db, open_database
    from models.importer import ImportProblem, import_file

    database = open_database(url)
    db.initialize(database)
    with db.connection_context():
        migrations.migrate(db)
        with db.atomic():
            for model in reversed(ALL_MODELS):
                model.delete().execute()
    engine = "PostgreSQL" if url.startswith("postgres") else "SQLite"
    path = Path(args.file) if args.file else folder / "import.json"
    if not args.file:
        began = time.perf_counter()
        write_file(path, args.invoices)
        print(f"wrote {path} ({path.stat().st_size / 1e6:.0f} MB) in {time.perf_counter() - began:.1f} s")
    for round_name in ("first import",) + (() if args.once else ("same file again",)):
        began, cpu = time.perf_counter(), time.process_time()
        with db.connection_context():
            backend = db.execute_sql("SELECT pg_backend_pid()").fetchone()[0] if engine == "PostgreSQL" else None
            server = server_cpu(backend) if backend else 0.0
            try:
                with path.open("rb") as handle:
                    summary = import_file(handle)
                server = server_cpu(backend) - server if backend else 0.0
            except ImportProblem as problem:
                print(f"Import refused: {problem}")
                return 1
        took, cpu = time.perf_counter() - began, time.process_time() - cpu
        print(f"{engine} {round_name}: {summary.invoices:,} invoices in {took:.1f} s = "
              f"{summary.invoices / took:,.0f} invoices/s ({summary.describe_changes()}); "
              f"CPU: this process {cpu:.1f} s" + (f", database server {server:.1f} s" if server else "")
              + f"; peak RSS {peak_rss_mb():.0f} MB; load {os.getloadavg()[0]:.1f}")
    database.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
