"""`make bench-pdf`: how long the invoice PDF takes, from a 3-line invoice to a 10,000-line one, in each language.

    python -m bench.pdf [--lines 3,1000,10000] [--repeat 3]

Prints seconds per PDF (best of `repeat`) and its size. Target: a 10,000-line invoice in a few seconds (< 10 s).
"""
from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--lines", default="3,1000,10000")
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args(argv)
    folder = Path(tempfile.mkdtemp(prefix="settle-bench-pdf-"))
    from app import create_app
    from models import db

    app = create_app({"DATABASE_URL": f"sqlite:///{folder / 'bench.db'}", "SECRET_KEY": "bench", "TESTING": True})
    import migrations
    from flask_babel import force_locale
    from models.importer import import_data
    from services.invoice_pdf import invoice_pdf
    from tests.world import world_payload

    with app.app_context():
        db.connect(reuse_if_open=True)
        migrations.migrate(db)
        import_data(world_payload())
        worst = 0.0
        for count in (int(n) for n in args.lines.split(",")):
            lines = [{"item": f"A-{n % 997:03d}", "description": f"Pallet wrap, line {n} of a long delivery",
                      "quantity": str(1 + n % 40), "unit_price": "129.50", "tax_percent": ("25", "15", "12")[n % 3]}
                     for n in range(count)]
            number = f"BENCH-{count}"
            import_data({"invoices": [{"number": number, "invoice_account": "DIST-1", "order_account": "RET-1",
                                       "invoice_date": "2026-11-01", "currency": "NOK", "lines": lines}]})
            from models.invoice import Invoice

            invoice = Invoice.get(Invoice.number == number)
            for language in ("en", "nb", "pl"):
                best, size = None, 0
                for _ in range(args.repeat):
                    with app.test_request_context(), force_locale(language):
                        started = time.perf_counter()
                        size = len(invoice_pdf(invoice))
                        took = time.perf_counter() - started
                    best = took if best is None else min(best, took)
                worst = max(worst, best) if count >= 10000 else worst
                print(f"{count:>6} lines  {language}  {best:6.2f} s  {size / 1024:8.0f} KiB")
        db.close()
    if worst:
        print(f"10,000 lines: {worst:.2f} s (target < 10 s): {'met' if worst < 10 else 'MISSED'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
