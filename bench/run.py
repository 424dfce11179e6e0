"""`make bench`: generate the data set, serve the portal and bare Flask under the same gunicorn, load both
with wrk, alternating, and write the figures to bench/results/.

    python -m bench.run [--database-url URL] [--duration SECONDS] [--rounds N] [--reuse] [--quick]

SQLite (the default) keeps one file per size under bench/data/ (git-ignored; `--reuse` skips generating
a size whose file is already there from today). With DATABASE_URL=postgresql://… the given database is
emptied and filled for each size in turn.
"""
from __future__ import annotations

import argparse
import http.client
import json
import os
import platform
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from urllib.parse import urlencode, urlsplit

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "bench" / "data"
RESULTS = ROOT / "bench" / "results"
SCALES = (10_000, 100_000, 1_000_000)
CONNECTIONS = 16
WORKERS = 2
TARGETS = {"ratio": 0.5, "p99_ms": 25.0, "deep_factor": 1.5, "scale_factor": 1.25, "rss_mb": 150.0,
           "generate_s": 180.0}


# ------------------------------------------------------------------------------------------ servers


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Gunicorn:
    """`gunicorn -w 2` (sync workers) serving `app_spec` on a free port."""

    def __init__(self, app_spec: str, env: dict, name: str):
        self.app_spec, self.env, self.name = app_spec, env, name
        self.port = free_port()
        self.process = None
        self.log = tempfile.NamedTemporaryFile(prefix=f"bench-{name}-", suffix=".log", delete=False)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self):
        self.process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "--workers", str(WORKERS), "--worker-class", "sync",
             "--bind", f"127.0.0.1:{self.port}", "--log-level", "warning", "--timeout", "60", self.app_spec],
            cwd=ROOT, env=self.env, stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.time() + 30
        while time.time() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} did not start: {Path(self.log.name).read_text()[-2000:]}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    if len(self.worker_pids()) >= WORKERS:
                        return self
            except OSError:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"{self.name} did not start in 30 s")

    def worker_pids(self) -> list[int]:
        try:
            text = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children").read_text()
        except OSError:
            return []
        return [int(p) for p in text.split()]

    def peak_rss_mb(self) -> float:
        """The largest peak resident set (VmHWM) of the workers."""
        peaks = []
        for pid in self.worker_pids():
            try:
                for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                    if line.startswith("VmHWM:"):
                        peaks.append(int(line.split()[1]) / 1024)
            except OSError:
                pass
        return max(peaks, default=0.0)

    def __exit__(self, *exc):
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
        self.log.close()
        Path(self.log.name).unlink(missing_ok=True)


# ------------------------------------------------------------------------------------------ a tiny client


class Client:
    """Enough of a browser for signing in: cookies, no redirects followed."""

    def __init__(self, base: str):
        parts = urlsplit(base)
        self.host, self.port = parts.hostname, parts.port
        self.cookies: dict[str, str] = {}

    @property
    def cookie_header(self) -> str:
        return "; ".join(f"{k}={v}" for k, v in self.cookies.items())

    def request(self, method, path, form=None, headers=None):
        conn = http.client.HTTPConnection(self.host, self.port, timeout=30)
        body = urlencode(form) if form is not None else None
        all_headers = {"Cookie": self.cookie_header, **(headers or {})}
        if body is not None:
            all_headers["Content-Type"] = "application/x-www-form-urlencoded"
        conn.request(method, path, body=body, headers=all_headers)
        response = conn.getresponse()
        data = response.read()
        for cookie in response.headers.get_all("Set-Cookie") or []:
            name, _, rest = cookie.partition("=")
            value = rest.split(";", 1)[0]
            if value and "expires=thu, 01 jan 1970" not in cookie.lower():
                self.cookies[name.strip()] = value
            else:
                self.cookies.pop(name.strip(), None)
        conn.close()
        return response.status, response.headers, data

    def csrf_token(self, path="/login") -> str:
        _, _, page = self.request("GET", path)
        match = re.search(rb'name="csrf_token" value="([^"]+)"', page) or re.search(
            rb'"X-CSRFToken": "([^"]+)"', page)
        if not match:
            raise RuntimeError(f"no CSRF token on {path}")
        return match.group(1).decode()

    def sign_in(self, email, password):
        token = self.csrf_token("/login")
        status, headers, _ = self.request("POST", "/login", {"email": email, "password": password,
                                                              "csrf_token": token})
        if status != 303:
            raise RuntimeError(f"signing in as {email} answered {status}")


# ------------------------------------------------------------------------------------------ load generators


@dataclass
class Load:
    rps: float
    p50: float  # ms
    p99: float  # ms
    requests: int
    errors: int


def _ms(text: str) -> float:
    number, unit = re.match(r"([\d.]+)(us|ms|s|m)", text).groups()
    return float(number) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}[unit]


def wrk(url: str, seconds: float, headers: dict, script: str | None = None) -> Load:
    command = ["wrk", "-t2", f"-c{CONNECTIONS}", f"-d{max(1, round(seconds))}s", "--latency", "--timeout", "10s"]
    for name, value in headers.items():
        command += ["-H", f"{name}: {value}"]
    if script:
        command += ["-s", script]
    out = subprocess.run(command + [url], capture_output=True, text=True, timeout=seconds + 60).stdout
    latencies = dict(re.findall(r"^\s+(50|99)%\s+(\S+)$", out, re.M))
    errors = sum(int(n) for n in re.findall(r"Non-2xx or 3xx responses: (\d+)", out))
    socket_errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    if socket_errors:
        errors += int(socket_errors.group(1)) + int(socket_errors.group(3)) + int(socket_errors.group(4))
    total = re.search(r"(\d+) requests in", out)
    rps = re.search(r"Requests/sec:\s+([\d.]+)", out)
    if not ("50" in latencies and "99" in latencies and rps and total):
        raise RuntimeError(f"could not read wrk's output:\n{out}")
    return Load(float(rps.group(1)), _ms(latencies["50"]), _ms(latencies["99"]), int(total.group(1)), errors)


def python_load(url: str, seconds: float, headers: dict, post: list | None = None) -> Load:
    """The fallback when wrk is missing: 16 threads, one request at a time each (slower, noisier)."""
    parts = urlsplit(url)
    path = parts.path + ("?" + parts.query if parts.query else "")
    latencies, errors = [], [0]
    deadline = time.perf_counter() + seconds
    lock = threading.Lock()

    def worker(index):
        n = index
        while time.perf_counter() < deadline:
            method, target, body, extra = ("GET", path, None, {})
            if post:
                method, target, body, extra = post[n % len(post)]
                n += 1
            started = time.perf_counter()
            try:
                conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
                conn.request(method, target, body=body, headers={**headers, **extra})
                response = conn.getresponse()
                response.read()
                conn.close()
                ok = response.status < 400
            except OSError:
                ok = False
            elapsed = (time.perf_counter() - started) * 1000
            with lock:
                latencies.append(elapsed)
                errors[0] += 0 if ok else 1

    started = time.perf_counter()
    threads = [threading.Thread(target=worker, args=(i,)) for i in range(CONNECTIONS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - started
    latencies.sort()
    pick = lambda q: latencies[min(len(latencies) - 1, int(q * len(latencies)))] if latencies else 0.0
    return Load(len(latencies) / elapsed, pick(0.50), pick(0.99), len(latencies), errors[0])


# ------------------------------------------------------------------------------------------ the measurement


@dataclass
class Target:
    name: str
    method: str
    path: str
    headers: dict = field(default_factory=dict)
    form_pairs: list | None = None  # POSTs, cycled: [(path, form), ...]
    size: int = 0


@dataclass
class Row:
    scale: int
    name: str
    portal: Load
    baseline: Load
    size: int

    @property
    def ratio(self) -> float:
        return self.portal.rps / self.baseline.rps if self.baseline.rps else 0.0


def _average(loads: list[Load]) -> Load:
    """The median round: one burst of outside load on the shared machine does not decide a figure."""
    return Load(statistics.median(l.rps for l in loads), statistics.median(l.p50 for l in loads),
                statistics.median(l.p99 for l in loads), sum(l.requests for l in loads),
                sum(l.errors for l in loads))


def _lua(pairs: list, headers: dict) -> str:
    """A wrk script sending the POSTs in `pairs` in turn."""
    lines = ["local requests = {}"]
    for i, (path, form) in enumerate(pairs, 1):
        body = urlencode(form)
        hdrs = {**headers, "Content-Type": "application/x-www-form-urlencoded"}
        hdr_lua = ", ".join(f"[{json.dumps(k)}] = {json.dumps(v)}" for k, v in hdrs.items())
        lines.append(f"requests[{i}] = wrk.format(\"POST\", {json.dumps(path)}, {{{hdr_lua}}}, {json.dumps(body)})")
    lines += ["local n = 0", "request = function()", "  n = n % #requests + 1", "  return requests[n]", "end"]
    path = tempfile.NamedTemporaryFile("w", prefix="bench-", suffix=".lua", delete=False)
    path.write("\n".join(lines) + "\n")
    path.close()
    return path.name


def measure(target: Target, portal: Gunicorn, baseline: Gunicorn, cookie: str, seconds: float,
            rounds: int, use_wrk: bool) -> tuple[Load, Load]:
    """Portal and baseline in turn, `rounds` times each, so drift on a shared machine hits both alike."""
    headers = {"Cookie": cookie, **target.headers}
    script = _lua(target.form_pairs, headers) if target.form_pairs and use_wrk else None
    portal_loads, baseline_loads = [], []
    try:
        for _ in range(rounds):
            if use_wrk:
                portal_loads.append(wrk(portal.base + target.path, seconds, headers, script))
                baseline_loads.append(wrk(f"{baseline.base}/bytes/{target.size}", seconds, {}))
            else:
                posts = [("POST", p, urlencode(f), {"Content-Type": "application/x-www-form-urlencoded"})
                         for p, f in target.form_pairs] if target.form_pairs else None
                portal_loads.append(python_load(portal.base + target.path, seconds, headers, posts))
                baseline_loads.append(python_load(f"{baseline.base}/bytes/{target.size}", seconds, {}))
    finally:
        if script:
            Path(script).unlink(missing_ok=True)
    return _average(portal_loads), _average(baseline_loads)


def server_env(url: str) -> dict:
    return {**os.environ, "DATABASE_URL": url, "SECRET_KEY": "bench-secret-key", "SETTLE_ENV": "production",
            "PYTHONPATH": str(ROOT)}


def prepare_targets(client: Client, full: bool) -> list[Target]:
    """What the issue lists, found through the pages themselves (links, numbers, CSRF token)."""
    hx = {"HX-Request": "true"}
    targets = [Target("list fragment, page 1", "GET", "/invoices", hx)]
    if not full:
        return _measure_sizes(client, targets)
    for status in ("unpaid", "partial", "paid", "overdue"):
        targets.append(Target(f"list fragment, {status}", "GET", f"/invoices?status={status}", hx))
    _, _, page399 = client.request("GET", "/invoices?page=399", headers=hx)
    next_link = re.search(rb'href="([^"]+)"[^>]*rel="next"', page399)
    if next_link:
        href = next_link.group(1).decode().replace("&amp;", "&")
        if "page=400" in href and href != "/invoices?page=400":
            targets.append(Target("list fragment, page 400 (Next link)", "GET", href, hx))
    targets.append(Target("list fragment, page 400 (?page=400)", "GET", "/invoices?page=400", hx))
    numbers = re.findall(rb'<a href="/invoices/([^"/]+)"', page399)
    if not numbers:
        raise RuntimeError("page 399 shows no invoice numbers")
    searched = numbers[len(numbers) // 2].decode()
    targets.append(Target("search by number", "GET", f"/invoices?q={searched}", hx))
    targets.append(Target("full list page", "GET", "/invoices"))
    _, _, page1 = client.request("GET", "/invoices", headers=hx)
    first = re.search(rb'<a href="/invoices/([^"/]+)"', page1).group(1).decode()
    targets.append(Target("invoice page", "GET", f"/invoices/{first}"))
    status, _, _ = client.request("GET", f"/invoices/{first}/request", headers=hx)
    if status == 200:
        targets.append(Target("request dialog (fragment)", "GET", f"/invoices/{first}/request", hx))
    # Pay invoice: add an unpaid NOK invoice to the (emptied) cart, then empty it again, in turn.
    token = client.csrf_token("/invoices")
    _, _, unpaid = client.request("GET", "/invoices?status=unpaid", headers=hx)
    rows = re.findall(rb'<a href="/invoices/([^"/]+)">.*?</tr>', unpaid, re.S)
    payable = next((n.decode() for n in re.findall(rb'<a href="/invoices/([^"/]+)">(?:(?!</tr>).)*?NOK', unpaid,
                                                     re.S)), rows[0].decode() if rows else first)
    client.request("POST", "/cart/clear", {"csrf_token": token}, headers={"X-CSRFToken": token})
    status, _, _ = client.request("POST", "/cart/invoices", {"invoice": payable, "csrf_token": token},
                                  headers={**hx, "X-CSRFToken": token})
    if status == 200:
        client.request("POST", "/cart/clear", {"csrf_token": token}, headers={"X-CSRFToken": token})
        targets.append(Target("Pay invoice: cart add (+ clear, in turn)", "POST", "/cart/invoices",
                              {**hx, "X-CSRFToken": token},
                              form_pairs=[("/cart/invoices", {"invoice": payable, "csrf_token": token}),
                                          ("/cart/clear", {"csrf_token": token})]))
    return _measure_sizes(client, targets)


def _measure_sizes(client: Client, targets: list[Target]) -> list[Target]:
    """Each answer's size (the baseline answers as many bytes), and proof that each answers 200."""
    for target in targets:
        if target.form_pairs:
            path, form = target.form_pairs[0]
            status, _, body = client.request("POST", path, form, headers=target.headers)
            clear_path, clear_form = target.form_pairs[1]
            client.request("POST", clear_path, clear_form, headers=target.headers)
        else:
            status, _, body = client.request("GET", target.path, headers=target.headers)
        if status != 200:
            raise RuntimeError(f"{target.name}: {target.path} answered {status}")
        target.size = len(body)
    return targets


def run_scale(scale: int, url: str, args, use_wrk: bool, log) -> tuple[list[Row], dict]:
    from bench.data import MEASURED_EMAIL, PASSWORD

    full = scale == max(args.scales)
    env = server_env(url)
    rows = []
    with Gunicorn("app:app", env, "portal") as portal, Gunicorn("bench.baseline:app", env, "baseline") as baseline:
        client = Client(portal.base)
        client.sign_in(MEASURED_EMAIL, PASSWORD)
        cookie = client.cookie_header
        targets = [t for t in prepare_targets(client, full) if args.only in t.name]
        for target in targets:  # warm both servers' caches (SQLite pages, templates, imports)
            if use_wrk:
                headers = {"Cookie": cookie, **target.headers}
                if not target.form_pairs:
                    wrk(portal.base + target.path, 1, headers)
                wrk(f"{baseline.base}/bytes/{target.size}", 1, {})
        for target in targets:
            p, b = measure(target, portal, baseline, cookie, args.duration, args.rounds, use_wrk)
            row = Row(scale, target.name, p, b, target.size)
            rows.append(row)
            log(format_row(row))
        info = {"rss_mb": portal.peak_rss_mb(), "baseline_rss_mb": baseline.peak_rss_mb()}
        if full and not args.only:
            # The same pages with the rendered-page cache off: what a page costs the first time it is
            # asked for after its data changed (wrk repeats one URL, so above every page but the first
            # comes from the cache).
            uncached_env = {**env, "SETTLE_RENDER_CACHE_MB": "0"}
            with Gunicorn("app:app", uncached_env, "portal-uncached") as uncached:
                client = Client(uncached.base)
                client.sign_in(MEASURED_EMAIL, PASSWORD)
                cookie = client.cookie_header
                for target in targets:
                    if target.name not in UNCACHED:
                        continue
                    if use_wrk:
                        wrk(uncached.base + target.path, 1, {"Cookie": cookie, **target.headers})
                    p, b = measure(target, uncached, baseline, cookie, args.duration, args.rounds, use_wrk)
                    row = Row(scale, f"{target.name}, render cache off", p, b, target.size)
                    rows.append(row)
                    log(format_row(row))
                info["uncached_rss_mb"] = uncached.peak_rss_mb()
    return rows, info


UNCACHED = ("list fragment, page 1", "list fragment, overdue", "list fragment, page 400 (?page=400)",
            "search by number", "full list page")


# ------------------------------------------------------------------------------------------ reporting


HEADER = (f"{'invoices':>9}  {'endpoint':<58} {'bytes':>6}  {'req/s':>7} {'p50 ms':>7} {'p99 ms':>7}  "
          f"{'base req/s':>10} {'base p50':>8} {'base p99':>8}  {'ratio':>5}  {'errors':>6}")


def format_row(row: Row) -> str:
    return (f"{row.scale:>9,}  {row.name:<58} {row.size:>6}  {row.portal.rps:>7.0f} {row.portal.p50:>7.2f} "
            f"{row.portal.p99:>7.2f}  {row.baseline.rps:>10.0f} {row.baseline.p50:>8.2f} {row.baseline.p99:>8.2f}  "
            f"{row.ratio:>5.2f}  {row.portal.errors:>6}")


def check_targets(rows: list[Row], generation: dict, rss: float) -> list[tuple[str, bool, str]]:
    top = max(r.scale for r in rows)
    by = {(r.scale, r.name): r for r in rows}
    page1 = by.get((top, "list fragment, page 1"))
    checks = []
    if page1:
        checks.append(("page-1 fragment ≥ 0.5 × bare Flask", page1.ratio >= TARGETS["ratio"], f"{page1.ratio:.2f}"))
        checks.append(("page-1 fragment p99 < 25 ms", page1.portal.p99 < TARGETS["p99_ms"], f"{page1.portal.p99:.1f} ms"))
        for name in ("list fragment, page 400 (Next link)", "list fragment, page 400 (?page=400)", "search by number"):
            row = by.get((top, name))
            if row:
                factor = row.portal.p50 / page1.portal.p50
                checks.append((f"{name}: p50 ≤ 1.5 × page 1", factor <= TARGETS["deep_factor"], f"{factor:.2f} ×"))
        smallest = by.get((min(r.scale for r in rows), "list fragment, page 1"))
        if smallest and smallest is not page1:
            factor = page1.portal.p50 / smallest.portal.p50
            checks.append((f"page 1 at {top:,} ≤ 1.25 × at {smallest.scale:,} (p50)",
                           factor <= TARGETS["scale_factor"], f"{factor:.2f} ×"))
    checks.append(("worker peak RSS < 150 MB", rss < TARGETS["rss_mb"], f"{rss:.0f} MB"))
    if generation.get(top):
        seconds = generation[top]
        checks.append((f"generating {top:,} invoices < 3 min", seconds < TARGETS["generate_s"], f"{seconds:.0f} s"))
    checks.append(("no failed requests", all(r.portal.errors == 0 for r in rows),
                   f"{sum(r.portal.errors for r in rows)} failed"))
    return checks


def environment(url: str) -> dict:
    cpu = "?"
    try:
        cpu = next(l.split(":", 1)[1].strip() for l in Path("/proc/cpuinfo").read_text().splitlines()
                   if l.startswith("model name"))
    except (OSError, StopIteration):
        pass
    engine = "SQLite"
    try:
        if url.startswith("sqlite"):
            import sqlite3

            engine = f"SQLite {sqlite3.sqlite_version}"
        else:
            sys.path.insert(0, str(ROOT))
            from models import db, open_database

            database = open_database(url)
            engine = database.execute_sql("SHOW server_version").fetchone()[0]
            engine = f"PostgreSQL {engine}"
            database.close()
    except Exception:  # noqa: BLE001 - informational only
        pass
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True,
                            text=True).stdout.strip()
    load = os.getloadavg()
    return {"cpu": cpu, "cores": os.cpu_count(), "python": platform.python_version(), "engine": engine,
            "commit": commit, "load": f"{load[0]:.1f} {load[1]:.1f} {load[2]:.1f}"}


def write_results(kind: str, rows: list[Row], checks, generation: dict, info: dict, env: dict, args,
                  profile_text: str, load_generator: str) -> tuple[Path, Path]:
    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    md_path, png_path = RESULTS / f"{kind}-{stamp}.md", RESULTS / f"{kind}-{stamp}.png"
    lines = [f"# `make bench` on {env['engine']} — {datetime.now():%Y-%m-%d %H:%M}", "",
             f"{env['cores']} cores ({env['cpu']}), Python {env['python']}, commit {env['commit']}, "
             f"gunicorn {WORKERS} sync workers, {load_generator} with {CONNECTIONS} connections, "
             f"{args.rounds} × {args.duration:g} s per side (median shown), portal and bare Flask in turn. "
             f"Load average at the end: {env['load']} (other work on the machine shows up in both columns).", "",
             "| invoices | endpoint | bytes | req/s | p50 ms | p99 ms | bare Flask req/s | p50 ms | p99 ms | ratio |",
             "|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        lines.append(f"| {r.scale:,} | {r.name} | {r.size} | {r.portal.rps:.0f} | {r.portal.p50:.2f} | "
                     f"{r.portal.p99:.2f} | {r.baseline.rps:.0f} | {r.baseline.p50:.2f} | {r.baseline.p99:.2f} | "
                     f"{r.ratio:.2f} |")
    lines += ["", "Worker peak RSS (VmHWM): " + ", ".join(f"{scale:,} invoices: {mb:.0f} MB"
                                                         for scale, mb in info.items()) + ".", "",
              "Data generation: " + ", ".join(f"{scale:,} invoices in {s:.1f} s" for scale, s in generation.items())
              + ".", "", "## Targets", ""]
    lines += [f"- {'✅' if ok else '❌'} {name}: {value}" for name, ok, value in checks]
    if profile_text:
        lines += ["", "## Where one request's time goes (cProfile, page-1 fragment, in-process)", "", "```",
                  profile_text.rstrip(), "```"]
    md_path.write_text("\n".join(lines) + "\n")
    try:
        chart(rows, png_path, env["engine"])
    except Exception as error:  # noqa: BLE001 - the table matters more than the picture
        print(f"(no chart: {error})")
        png_path = None
    return md_path, png_path


def chart(rows: list[Row], path: Path, engine: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    top = max(r.scale for r in rows)
    main = [r for r in rows if r.scale == top]
    fig, (left, right) = plt.subplots(1, 2, figsize=(14, 6), gridspec_kw={"width_ratios": [2, 1]})
    names = [r.name for r in main][::-1]
    y = range(len(names))
    left.barh([i + 0.2 for i in y], [r.baseline.rps for r in main][::-1], height=0.4, label="bare Flask",
              color="#bbbbbb")
    left.barh([i - 0.2 for i in y], [r.portal.rps for r in main][::-1], height=0.4, label="Settle", color="#2a6f97")
    left.set_yticks(list(y), names, fontsize=8)
    left.set_xlabel("requests/s (16 connections, 2 sync workers)")
    left.set_title(f"{top:,} invoices on {engine}")
    left.legend(loc="lower right")
    for i, r in zip(y, main[::-1]):
        left.text(r.portal.rps, i - 0.2, f" {r.ratio:.2f}×", va="center", fontsize=7)
    scale_rows = sorted((r for r in rows if r.name == "list fragment, page 1"), key=lambda r: r.scale)
    xs = [r.scale for r in scale_rows]
    right.plot(xs, [r.portal.p50 for r in scale_rows], marker="o", label="Settle p50")
    right.plot(xs, [r.portal.p99 for r in scale_rows], marker="o", label="Settle p99")
    right.plot(xs, [r.baseline.p50 for r in scale_rows], marker="s", linestyle="--", color="#999999",
               label="bare Flask p50")
    right.set_xscale("log")
    right.set_xlabel("invoices in the database")
    right.set_ylabel("ms")
    right.set_ylim(bottom=0)
    right.set_title("page-1 fragment as data grows")
    right.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


# ------------------------------------------------------------------------------------------ main


def scale_url(base_url: str, scale: int) -> str:
    """SQLite: one file per size; PostgreSQL: the same database, refilled."""
    if base_url.startswith("sqlite"):
        path = Path(base_url.split(":///", 1)[1])
        return f"sqlite:///{path.with_name(f'{path.stem}-{scale}{path.suffix}')}"
    return base_url


def reusable(url: str, scale: int) -> bool:
    """Is the data set for `scale` already there, generated today? (SQLite: a marker file beside it.)"""
    if url.startswith("sqlite"):
        marker = Path(url.split(":///", 1)[1] + ".done")
        return marker.exists() and marker.read_text().strip() == f"{scale} {date.today().isoformat()}"
    from bench.data import MEASURED_EMAIL
    from models import open_database

    database = open_database(url)
    try:
        if not {"invoice", "user"} <= set(database.get_tables()):
            return False
        count, newest = database.execute_sql("SELECT COUNT(*), MAX(created_at) FROM invoice").fetchone()
        users = database.execute_sql('SELECT COUNT(*) FROM "user" WHERE email = %s', (MEASURED_EMAIL,)).fetchone()
        return count == scale and users[0] == 1 and newest is not None and newest.date() == date.today()
    finally:
        database.close()


def refuse_foreign_database(url: str) -> None:
    """The benchmark empties the database it is given: only one that is empty or holds its own data."""
    if url.startswith("sqlite"):
        return  # its own files under bench/data/
    from bench.data import DIST_EMAIL, MEASURED_EMAIL
    from models import db, open_database

    database = open_database(url)
    try:
        if "user" in database.get_tables():
            emails = {e for (e,) in database.execute_sql('SELECT email FROM "user" LIMIT 10').fetchall()}
            if emails - {MEASURED_EMAIL, DIST_EMAIL}:
                sys.exit(f"Refusing to empty {url}: it holds users that are not the benchmark's. "
                         "Give the benchmark a database of its own (createdb settle_bench).")
    finally:
        database.close()


def main(argv=None):
    from bench.generate import default_url, run as generate

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL") or default_url())
    parser.add_argument("--duration", type=float, default=float(os.environ.get("BENCH_DURATION", 3)))
    parser.add_argument("--rounds", type=int, default=int(os.environ.get("BENCH_ROUNDS", 3)))
    parser.add_argument("--scales", type=lambda s: [int(x) for x in s.split(",")], default=list(SCALES))
    parser.add_argument("--reuse", action="store_true", help="keep a data set generated today for its size")
    parser.add_argument("--no-profile", action="store_true")
    parser.add_argument("--only", default="", help="measure only endpoints whose name contains this text")
    args = parser.parse_args(argv)
    args.scales = sorted(args.scales)
    use_wrk = shutil.which("wrk") is not None
    load_generator = "wrk" if use_wrk else "a Python load generator (wrk not found)"
    kind = "sqlite" if args.database_url.startswith("sqlite") else "postgresql"
    print(f"Settle benchmark on {kind}: sizes {', '.join(f'{s:,}' for s in args.scales)}; {load_generator}; "
          f"{args.rounds} × {args.duration:g} s per side.", flush=True)
    refuse_foreign_database(args.database_url)
    rows, generation, rss = [], {}, {}
    log = lambda text: print(text, flush=True)
    started = time.perf_counter()
    for scale in args.scales:
        url = scale_url(args.database_url, scale)
        if args.reuse and reusable(url, scale):
            log(f"Reusing the {scale:,}-invoice data set from today.")
        else:
            result = generate(scale, url, log=log)
            generation[scale] = result["timings"]["total"]
            if url.startswith("sqlite"):
                Path(url.split(":///", 1)[1] + ".done").write_text(f"{scale} {date.today().isoformat()}")
        if scale == args.scales[0]:
            log(HEADER)
        scale_rows, info = run_scale(scale, url, args, use_wrk, log)
        rows += scale_rows
        rss[scale] = info["rss_mb"]
    profile_text = ""
    if not args.no_profile:
        for flags in ([], ["--render-cache-off"]):
            profile = subprocess.run([sys.executable, "-m", "bench.profile", *flags], cwd=ROOT,
                                     env=server_env(scale_url(args.database_url, args.scales[-1])),
                                     capture_output=True, text=True, timeout=300)
            profile_text += (profile.stdout if profile.returncode == 0
                             else f"(profile failed: {profile.stderr[-1500:]})") + "\n"
    env = environment(args.database_url)
    checks = check_targets(rows, generation, max(rss.values(), default=0.0))
    md, png = write_results(kind, rows, checks, generation, rss, env, args, profile_text, load_generator)
    print()
    print(HEADER)
    for row in rows:
        print(format_row(row))
    print()
    for name, ok, value in checks:
        print(f"  {'PASS' if ok else 'FAIL'}  {name}: {value}")
    print(f"\nWorker peak RSS: " + ", ".join(f"{s:,}: {mb:.0f} MB" for s, mb in rss.items()))
    print(f"Results: {md.relative_to(ROOT)}" + (f" and {png.relative_to(ROOT)}" if png else "")
          + f" ({time.perf_counter() - started:.0f} s in all)")


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    main()
