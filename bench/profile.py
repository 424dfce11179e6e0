"""Where a request's time goes, in-process through Flask's test client: CPU time per request
(time.process_time, no profiler running), then a cProfile of as many more requests, printed compactly.

    DATABASE_URL=… python -m bench.profile --cold-list [--json OUT]   # list pages rendered with nothing cached
    DATABASE_URL=… python -m bench.profile --invoice [--json OUT]     # invoice pages
    DATABASE_URL=… python -m bench.profile --mix REQUESTS USERS        # the mixed scenario's list, replayed
    DATABASE_URL=… python -m bench.profile [path] [--render-cache-off] # one URL repeated (bench@ret1.example)

--cold-list and --invoice sign in 40 of the mixed scenario's users (one of every fifth company: distributors,
retailers and independents) and never send the same request twice: each list request is another user,
status, sort or page, so no cache of rendered pages — today's (turned off as well, RENDER_CACHE_MB=0) or a
later one keyed differently — can answer it. Each figure is set beside bare Flask (bench/baseline.py)
answering as many bytes in the same process.
"""
from __future__ import annotations

import argparse
import cProfile
import io
import itertools
import json
import os
import pstats
import random
import re
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SEED = 20261122

# (label, file name ending, function name): the cumulative time of the largest match. Files may move as the
# app is refactored: when no file matches, the function is looked for by name alone (its share is then
# marked "~").
LIST_AREAS = [
    ("the whole request (Flask's WSGI app)", "flask/app.py", "wsgi_app"),
    ("rendering (all templates)", "flask/templating.py", "render_template"),
    ("  the 25 rows (templates/invoices/_rows.html)", "templates/invoices/_rows.html", "root"),
    ("list_invoices: counts and page queries, rows", "models/invoice.py", "list_invoices"),
    ("signing in the user from the session (Flask-Login, models/signed_in.py: signed_in_user)", "flask_login/login_manager.py",
     "_load_user"),
    ("reading the session cookie", "views/session.py", "open_session"),
    ("the summary rows (counts, and the versions that key the cache)", "models/invoice.py", "summary_rows"),
    ("the cart's contents", "views/context.py", "cart_contents"),
    ("the rendered-page cache (look-up, CSRF token put back)", "views/rendered_cache.py", "fetch"),
    ("choosing the language (views/language.py)", "views/language.py", "select_locale"),
    ("SQL execution in the driver", "", "execute"),
]
INVOICE_AREAS = [
    ("the whole request (Flask's WSGI app)", "flask/app.py", "wsgi_app"),
    ("the view (views/invoices.py detail)", "views/invoices.py", "detail"),
    ("rendering (all templates)", "flask/templating.py", "render_template"),
    ("  templates/base.html, the page's content block inside it", "templates/base.html", "root"),
    ("    the content block (templates/invoices/detail.html)", "templates/invoices/detail.html", "block_content"),
    ("      the lines (templates/_line_rows.html)", "templates/_line_rows.html", "root"),
    ("Peewee building the SQL text of its queries", "peewee.py", "__sql__"),
    ("Peewee turning rows into model objects", "peewee.py", "process_row"),
    ("signing in the user from the session (Flask-Login, models/signed_in.py: signed_in_user)", "flask_login/login_manager.py",
     "_load_user"),
    ("reading the session cookie", "views/session.py", "open_session"),
    ("SQL execution in the driver", "", "execute"),
]
DRIVER_EXECUTE = ("<method 'execute' of 'sqlite3.Cursor' objects>",
                  "<method 'execute' of 'psycopg2.extensions.cursor' objects>")
LIST_STATUSES = ("all", "unpaid", "partial", "paid", "overdue")
LIST_SORTS = ("-due_date", "due_date", "-invoice_date", "invoice_date", "-amount", "amount")


def shares(stats, areas) -> list[tuple[str, float, bool]]:
    """(label, share of the whole request, found only by function name)."""
    entries = stats.stats  # (file, line, function) -> (primitive calls, calls, own, cumulative, callers)
    found = {}
    for label, path, name in areas:
        best, by_name = 0.0, 0.0
        for (filename, _, function), (_, _, own, cumulative, _) in entries.items():
            if not path:
                if function in DRIVER_EXECUTE:
                    best = max(best, cumulative)
            elif function == name:
                if filename.replace("\\", "/").endswith(path):
                    best = max(best, cumulative)
                elif name not in ("root", "block_content", "__sql__", "execute"):
                    by_name = max(by_name, cumulative)
        found[label] = (best, False) if best or not by_name else (by_name, True)
    total = found[areas[0][0]][0] or 1.0
    return [(label, value / total, guessed) for label, (value, guessed) in found.items()]


def print_profile(profiler, areas, requests: int, top: int) -> list:
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    found = shares(stats, areas)
    # cProfile times by the clock: on PostgreSQL a query's share includes waiting for the server process.
    print("\nShare of the profiled request time (wall clock in this process; on PostgreSQL the SQL share "
          "includes waiting for the server):")
    for label, share, guessed in found:
        print(f"  {share:5.1%}{'~' if guessed else ' '} {label}")
    stats.strip_dirs()
    for order in ("tottime", "cumulative"):
        out.truncate(0)
        out.seek(0)
        stats.sort_stats(order).print_stats(top)
        text = out.getvalue()
        body = text[text.index("ncalls"):] if "ncalls" in text else text
        print(f"\n-- by {'own' if order == 'tottime' else 'cumulative'} time, per {requests} requests --")
        print("\n".join(line.rstrip() for line in body.splitlines() if line.strip()))
    return [(label, round(share, 4)) for label, share, _ in found]


# ------------------------------------------------------------------------------------------ set-up


def make_app(render_cache_off: bool = False):
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("SECRET_KEY", "bench-secret-key")
    os.environ.setdefault("SETTLE_ENV", "production")
    config = None
    if render_cache_off:
        os.environ["SETTLE_RENDER_CACHE_MB"] = "0"
        config = {"RENDER_CACHE_MB": 0}
    from app import create_app

    return create_app(config)


def sign_in(app, email: str):
    from bench.data import PASSWORD

    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    response = client.post("/login", data={"email": email, "password": PASSWORD, "csrf_token": token})
    if response.status_code != 303:
        raise RuntimeError(f"signing in as {email} answered {response.status_code}")
    return client


def sample_users(app, count: int = 40) -> list:
    """The first user of every fifth company of the mixed scenario, signed in."""
    from bench.data import USERS_PER_COMPANY, Plan, mixed_users

    users = mixed_users(Plan())[::USERS_PER_COMPANY]
    step = max(1, len(users) // count)
    return [sign_in(app, email) for email, _, _ in users[::step][:count]]


def bare_flask_ms(size: int, requests: int = 2000) -> float:
    """CPU per request of bare Flask answering `size` bytes in-process: the framework's own floor."""
    from bench.baseline import app as bare

    client = bare.test_client()
    for _ in range(100):
        client.get(f"/bytes/{size}")
    started = time.process_time()
    for _ in range(requests):
        client.get(f"/bytes/{size}")
    return (time.process_time() - started) / requests * 1000


def measure(calls, label: str, areas, top: int, alike: bool = False) -> dict:
    """CPU per request over the first half of `calls` (no profiler), then a cProfile of the second half."""
    half = len(calls) // 2
    sizes = []
    started = time.process_time()
    for call in calls[:half]:
        response = call()
        if response.status_code != 200:
            raise RuntimeError(f"{label}: answered {response.status_code}")
        sizes.append(len(response.get_data()))
    cpu = (time.process_time() - started) / half * 1000
    profiler = cProfile.Profile()
    profiler.enable()
    for call in calls[half:]:
        call()
    profiler.disable()
    size = sum(sizes) // len(sizes)
    bare = bare_flask_ms(size)
    print(f"{label}: {cpu:.2f} ms CPU per request ({half} requests{'' if alike else ', each different'}; "
          f"mean answer {size:,} bytes). "
          f"Bare Flask answering as many bytes: {bare:.3f} ms, so {bare / cpu:.2f} × bare Flask in-process.")
    found = print_profile(profiler, areas, len(calls) - half, top)
    return {"cpu_ms": cpu, "requests": half, "bytes": size, "bare_ms": bare, "shares": found}


# ------------------------------------------------------------------------------------------ the modes


def cold_list(requests: int, top: int) -> dict:
    """List pages (the htmx fragment) rendered with nothing cached: every request a new user/status/sort/page."""
    app = make_app(render_cache_off=True)
    clients = sample_users(app)
    combos = list(itertools.product(range(len(clients)), LIST_STATUSES, LIST_SORTS, (1, 2, 3)))
    random.Random(SEED).shuffle(combos)
    warm, combos = combos[:100], combos[100:100 + 2 * requests]
    if len(combos) < 2 * requests:
        raise RuntimeError(f"only {len(combos)} different list requests for {requests} measured ones")

    def call(combo):
        user, status, sort, page = combo
        query = "&".join(f"{k}={v}" for k, v in (("status", status), ("sort", sort), ("page", page)))
        return lambda: clients[user].get(f"/invoices?{query}", headers={"HX-Request": "true"})

    for combo in warm:
        call(combo)()
    return measure([call(c) for c in combos],
                   "List page (htmx fragment) rendered with nothing cached", LIST_AREAS, top)


def invoice_page(requests: int, top: int) -> dict:
    """Invoice pages of the sample users: each request another (user, invoice)."""
    app = make_app()
    clients = sample_users(app)
    pairs = []
    for i, client in enumerate(clients):  # the invoices a user sees on the first pages of two sorts
        numbers = set()
        for sort in ("-due_date", "amount"):
            page = client.get(f"/invoices?sort={sort}", headers={"HX-Request": "true"}).get_data(as_text=True)
            numbers.update(re.findall(r'<a href="/invoices/([^"/?]+)"', page))
        pairs += [(i, n) for n in sorted(numbers)]
    random.Random(SEED).shuffle(pairs)
    warm, pairs = pairs[:50], pairs[50:50 + 2 * requests]
    calls = [lambda i=i, n=n: clients[i].get(f"/invoices/{n}") for i, n in pairs]
    for i, n in warm:
        clients[i].get(f"/invoices/{n}")
    return measure(calls, "Invoice page", INVOICE_AREAS, top)


def mix(requests_file: str, users_file: str, count: int, render_cache_off: bool = False) -> dict:
    """The mixed scenario's list replayed in order in one process (render cache on, as deployed, or off): CPU per
    kind."""
    from bench.mixed import MIX

    app = make_app(render_cache_off)
    client = app.test_client(use_cookies=False)
    users = [line.split("\t") for line in Path(users_file).read_text().splitlines()]
    lines = [line.split("\t") for line in Path(requests_file).read_text().splitlines()][:count]
    cpu: dict = {}
    for method, path, user, hx, body, _, kind in lines:
        cookie, token = users[int(user)]
        headers = {"Cookie": cookie}
        if hx == "1":
            headers["HX-Request"] = "true"
        if method == "POST":
            headers["X-CSRFToken"] = token
        started = time.process_time()
        response = client.open(path, method=method, headers=headers, data=body if method == "POST" else None,
                               content_type="application/x-www-form-urlencoded" if method == "POST" else None)
        spent = time.process_time() - started
        if not 200 <= response.status_code < 300:
            raise RuntimeError(f"{method} {path} answered {response.status_code}")
        n, total = cpu.get(kind, (0, 0.0))
        cpu[kind] = (n + 1, total + spent)
    everything = sum(total for _, total in cpu.values()) or 1.0
    print(f"The mixed scenario's first {len(lines):,} requests replayed in one process (render cache "
          f"{'off' if render_cache_off else 'on'}): "
          f"{everything / len(lines) * 1000:.2f} ms CPU per request on average.")
    out = {}
    for kind, _, _ in MIX:
        if kind in cpu:
            n, total = cpu[kind]
            out[kind] = {"requests": n, "cpu_ms": total / n * 1000, "share": total / everything}
            print(f"  {kind:<8} {n:>5} requests  {total / n * 1000:6.2f} ms CPU each  {total / everything:6.1%} of the CPU")
    return {"kinds": out, "cpu_ms": everything / len(lines) * 1000, "requests": len(lines)}


def repeated(path: str, requests: int, top: int, render_cache_off: bool) -> dict:
    """One URL again and again, as the measured single-URL user (the old profile)."""
    from bench.data import MEASURED_EMAIL

    app = make_app(render_cache_off)
    client = sign_in(app, MEASURED_EMAIL)
    headers = {"HX-Request": "true"}
    for _ in range(50):
        assert client.get(path, headers=headers).status_code == 200
    cache = "render cache off: every request renders the page" if render_cache_off else \
        "render cache on: the page is rendered once, then served from the cache"
    return measure([lambda: client.get(path, headers=headers)] * (2 * requests),
                   f"GET {path} (HX-Request), one URL repeated ({cache})", LIST_AREAS, top, alike=True)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("path", nargs="?", default="/invoices")
    parser.add_argument("--cold-list", action="store_true")
    parser.add_argument("--invoice", action="store_true")
    parser.add_argument("--mix", nargs=2, metavar=("REQUESTS", "USERS"))
    parser.add_argument("--requests", type=int, default=300, help="measured requests (as many again profiled)")
    parser.add_argument("--top", type=int, default=22)
    parser.add_argument("--render-cache-off", action="store_true")
    parser.add_argument("--json", help="also write the figures to this file")
    args = parser.parse_args(argv)
    if args.cold_list:
        result = cold_list(args.requests, args.top)
    elif args.invoice:
        result = invoice_page(args.requests, args.top)
    elif args.mix:
        result = mix(*args.mix, count=args.requests, render_cache_off=args.render_cache_off)
    else:
        result = repeated(args.path, args.requests, args.top, args.render_cache_off)
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
