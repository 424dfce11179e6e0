"""Where one request's time goes: cProfile over the page-1 list fragment, in-process, signed in.

    DATABASE_URL=… python -m bench.profile [path] [--requests N] [--render-cache-off]

Prints the time per request and the functions that take it (own time, then cumulative), compactly.
"""
from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import re
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


AREAS = [  # (label, file name ending, function name); cumulative time of the largest match
    ("the whole request (Flask's WSGI app)", "flask/app.py", "wsgi_app"),
    ("rendering the list fragment (all templates)", "flask/templating.py", "render_template"),
    ("  the 25 rows (templates/invoices/_rows.html)", "templates/invoices/_rows.html", "root"),
    ("list_invoices: summary and page queries, rows", "models/invoice.py", "list_invoices"),
    ("signing in the user from the session (Flask-Login, User.for_login)", "flask_login/login_manager.py", "_load_user"),
    ("reading the session cookie", "views/session.py", "open_session"),
    ("the summary rows (counts, and the versions that key the cache)", "models/invoice.py", "summary_rows"),
    ("the cart's contents", "views/context.py", "cart_contents"),
    ("the rendered-page cache (look-up, CSRF token put back)", "views/rendered_cache.py", "fetch"),
    ("choosing the language (views/language.py)", "views/language.py", "select_locale"),
    ("SQL execution in the driver", "", "execute"),
]


def shares(stats) -> list[tuple[str, float]]:
    entries = stats.stats  # (file, line, function) -> (primitive calls, calls, own, cumulative, callers)
    found = {}
    for label, path, name in AREAS:
        best = 0.0
        for (filename, _, function), (_, _, own, cumulative, _) in entries.items():
            if function == name and filename.replace("\\", "/").endswith(path) if path else \
                    function in ("<method 'execute' of 'sqlite3.Cursor' objects>",
                                 "<method 'execute' of 'psycopg2.extensions.cursor' objects>"):
                best = max(best, cumulative)
        found[label] = best
    total = found[AREAS[0][0]] or 1.0
    return [(label, value / total) for label, value in found.items()]


def main(argv=None):
    parser = argparse.ArgumentParser()
    parser.add_argument("path", nargs="?", default="/invoices")
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--top", type=int, default=22)
    parser.add_argument("--render-cache-off", action="store_true",
                        help="render every request afresh (what a page costs right after its data changed)")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("SECRET_KEY", "bench-secret-key")
    if args.render_cache_off:
        os.environ["SETTLE_RENDER_CACHE_MB"] = "0"
    from app import create_app
    from bench.data import MEASURED_EMAIL, PASSWORD

    app = create_app()
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    response = client.post("/login", data={"email": MEASURED_EMAIL, "password": PASSWORD, "csrf_token": token})
    assert response.status_code == 303, response.status_code
    headers = {"HX-Request": "true"}
    for _ in range(50):
        assert client.get(args.path, headers=headers).status_code == 200
    started = time.process_time()
    for _ in range(args.requests):
        client.get(args.path, headers=headers)
    plain = (time.process_time() - started) / args.requests * 1000
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(args.requests):
        client.get(args.path, headers=headers)
    profiler.disable()
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    cache = "render cache off: every request renders the page" if args.render_cache_off else \
        "render cache on: the page is rendered once, then served from the cache"
    print(f"GET {args.path} (HX-Request), {args.requests} requests through Flask's test client ({cache}): "
          f"{plain:.2f} ms CPU per request without the profiler.")
    print("\nShare of the profiled request time:")
    for label, share in shares(stats):
        print(f"  {share:5.1%}  {label}")
    stats.strip_dirs()
    for order in ("tottime", "cumulative"):
        out.truncate(0)
        out.seek(0)
        stats.sort_stats(order).print_stats(args.top)
        text = out.getvalue()
        body = text[text.index("ncalls"):] if "ncalls" in text else text
        print(f"\n-- by {'own' if order == 'tottime' else 'cumulative'} time, per {args.requests} requests --")
        print("\n".join(line.rstrip() for line in body.splitlines() if line.strip()))


if __name__ == "__main__":
    main()
