"""The single-URL table (secondary detail, `--single`): wrk repeats one URL at a time for one signed-in user
— the list fragment of every status, page 400 (by its Next link and as ?page=400), a search, the full list
page, the invoice page, the request dialog and Pay invoice — against bare Flask answering as many bytes,
alternating; then the list pages again with the rendered-page cache off.

These were the benchmark's targets before the mixed scenario (bench/mixed.py) replaced them: a repeated URL
is answered from the rendered-page cache every time, which real use does not do.
"""
from __future__ import annotations

import json
import re
import statistics
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

from bench.load import Client, Gunicorn, Load, python_load, server_env, wrk


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


def run(scale: int, url: str, seconds: float, rounds: int, use_wrk: bool, log, only: str = ""
        ) -> tuple[list[Row], dict]:
    """Every single-URL row at this size (the user bench@ret1.example), then the list rows with the cache off."""
    from bench.data import MEASURED_EMAIL, PASSWORD

    full = True
    env = server_env(url)
    rows = []
    with Gunicorn("app:app", env, "portal") as portal, Gunicorn("bench.baseline:app", env, "baseline") as baseline:
        client = Client(portal.base)
        client.sign_in(MEASURED_EMAIL, PASSWORD)
        cookie = client.cookie_header
        targets = [t for t in prepare_targets(client, full) if only in t.name]
        for target in targets:  # warm both servers' caches (SQLite pages, templates, imports)
            if use_wrk:
                headers = {"Cookie": cookie, **target.headers}
                if not target.form_pairs:
                    wrk(portal.base + target.path, 1, headers)
                wrk(f"{baseline.base}/bytes/{target.size}", 1, {})
        for target in targets:
            p, b = measure(target, portal, baseline, cookie, seconds, rounds, use_wrk)
            row = Row(scale, target.name, p, b, target.size)
            rows.append(row)
            log(format_row(row))
        info = {"rss_mb": portal.peak_rss_mb(), "baseline_rss_mb": baseline.peak_rss_mb()}
        if full and not only:
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
                    p, b = measure(target, uncached, baseline, cookie, seconds, rounds, use_wrk)
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
