"""The mixed scenario, the benchmark's headline: many users at once, each doing what buyers do.

1,000 users of 200 companies (bench/data.py: distributors with their retailers, and independents), each signed
in through the real /login form with their own session, send a shuffled mix of requests (MIX below): list
fragments of every status, sort and pages 1-3, full list pages, searches, invoice pages, the request dialog,
and Pay invoice — a write that changes what that user's list shows ("In cart"), so their pages cannot all be
served from what was rendered before — with the cart emptied now and then so carts do not grow for ever.

How it runs (run.py calls `run`):
1. The request list is made up front from the data set (the invoices each user can see, their open ones,
   how many pages each filter has), deterministic by seed, shuffled.
2. A first portal signs every user in and answers the whole list once (the dry run): each answer's status
   and size are recorded. The list is made long enough that the measured portal never gets through it (a
   request sent twice could be answered from a cache). Then every cart is emptied and the portal stopped.
3. A fresh portal and the bare-Flask baseline (bench/baseline.py) run under the same gunicorn command. wrk
   walks the list with bench/mixed.lua: against the portal as recorded, against the baseline the same
   method, headers and body to /bytes/<size>, so each request is answered with a body of the same size.
   Portal and baseline alternate, round by round: each portal round goes on where the last one stopped, its
   baseline round starts at the same place. The median round is reported. Every answer that is not 2xx
   (redirects included) is an error.
4. The same for invoice pages alone (a list of its own, same users; the invoice page's own target).
"""
from __future__ import annotations

import http.client
import random
import re
import statistics
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from urllib.parse import urlencode, urlsplit

from bench.load import (CONNECTIONS, THREADS, Client, CpuMeter, DatabaseBackends, Gunicorn, Load, on_connections, quantile,
                        server_env, wrk)

SCRIPT = Path(__file__).with_name("mixed.lua")

# What the users do: kind, share of all requests (%), and what the share is made of. The list and its
# filters dominate, as in the portal's purpose (find what is open, pay it); invoice pages are opened from it.
MIX = [
    ("list", 40, "list fragment (htmx): status all/unpaid/overdue/partial/paid 40/25/15/10/10 %, sort -due_date "
                 "50 % else one of the other five, page 1/2/3 70/20/10 %; retailers' users narrow to own/org "
                 "invoices 10 %/10 %"),
    ("full", 8, "full list page (no htmx): unfiltered 60 %, unpaid or overdue 40 %"),
    ("search", 10, "search (htmx): a whole invoice number 50 %, its seven digits 25 %, its last four 25 %"),
    ("invoice", 20, "invoice page: an open invoice 60 %, any invoice 40 %"),
    ("dialog", 5, "request dialog (htmx) of an invoice"),
    ("pay", 13, "Pay invoice: POST /cart/invoices (htmx, X-CSRFToken), an open invoice in the user's currency"),
    ("clear", 4, "empty the cart: POST /cart/clear (htmx, X-CSRFToken), by a user who pays in the list"),
]
STATUSES = {"all": 40, "unpaid": 25, "overdue": 15, "partial": 10, "paid": 10}
SORTS = {"-due_date": 50, "due_date": 10, "-invoice_date": 10, "invoice_date": 10, "-amount": 10, "amount": 10}
PAGES = {1: 70, 2: 20, 3: 10}
PAGE_SIZE = 25


# ------------------------------------------------------------------------------------------ who sees what


@dataclass
class Person:
    """A signed-in user: their company, its organization account, and (after sign-in) their session."""

    index: int
    email: str
    customer_id: int
    org_id: int | None
    currency: str
    cookie: str = ""
    token: str = ""

    @property
    def accounts(self) -> tuple:
        return (self.customer_id,) if self.org_id is None else (self.customer_id, self.org_id)


@dataclass
class Facts:
    """What the request list is made from, read from the data set itself."""

    people: list[Person]
    counts: dict  # invoice account id -> {status or "overdue": invoices}
    open: dict  # invoice account id -> [(number, currency)] of invoices with a balance
    sample: dict  # invoice account id -> [number], about one invoice in 20 of any status
    seen: dict = field(default_factory=dict)  # Person.index -> (sample, open) over the person's accounts


@contextmanager
def database(url: str):
    """The models bound to `url` for the length of the block (run.py's own process, no server involved)."""
    from models import db, open_database

    db.initialize(open_database(url))
    db.connect(reuse_if_open=True)
    try:
        yield db
    finally:
        db.close()
        close_all = getattr(db.obj, "close_all", None)
        if close_all:
            close_all()


def load_facts(plan, url: str) -> Facts:
    from peewee import fn

    from bench.data import mixed_users
    from models import Customer, Invoice, User

    emails = [email for email, _, _ in mixed_users(plan)]
    with database(url):
        found = {email: (cid, org, currency) for email, cid, org, currency in (
            User.select(User.email, Customer.id, Customer.invoice_account, Customer.currency)
            .join(Customer, on=(User.customer == Customer.id)).where(User.email.in_(emails)).tuples())}
        missing = [e for e in emails if e not in found]
        if missing:
            raise RuntimeError(f"{len(missing)} of the mixed scenario's users are not in the database "
                               f"(e.g. {missing[0]}): generate the data set again")
        people = [Person(i, email, *found[email]) for i, email in enumerate(emails)]
        accounts = sorted({a for p in people for a in p.accounts})
        counts: dict = {a: {} for a in accounts}
        for account, status, n in (Invoice.select(Invoice.invoice_account, Invoice.status, fn.COUNT(Invoice.id))
                                   .where(Invoice.invoice_account.in_(accounts))
                                   .group_by(Invoice.invoice_account, Invoice.status).tuples()):
            counts[account][status] = n
        for account, n in (Invoice.select(Invoice.invoice_account, fn.COUNT(Invoice.id))
                           .where(Invoice.invoice_account.in_(accounts), Invoice.status.in_(["unpaid", "partial"]),
                                  Invoice.due_date < date.today())
                           .group_by(Invoice.invoice_account).tuples()):
            counts[account]["overdue"] = n
        open_: dict = {a: [] for a in accounts}
        sample: dict = {a: [] for a in accounts}
        pick = random.Random(plan.seed).random  # one invoice in 20, any status, the same ones every time
        query = (Invoice.select(Invoice.invoice_account, Invoice.number, Invoice.currency, Invoice.status)
                 .where(Invoice.invoice_account.in_(accounts)).order_by(Invoice.id).tuples())
        for account, number, currency, status in query.iterator():
            if status != "paid":
                open_[account].append((number, currency))
            if pick() < 0.05:
                sample[account].append(number)
    return Facts(people, counts, open_, sample)


# ------------------------------------------------------------------------------------------ the request list


@dataclass
class Request:
    kind: str
    user: int  # Person.index
    method: str
    path: str
    hx: bool
    body: str = ""
    status: int = 0  # from the dry run (0: no answer, or an HX-Redirect to the sign-in page)
    size: int = 0  # bytes of the portal's answer in the dry run
    ms: float = 0.0


def _pick(rng: random.Random, weights: dict):
    return rng.choices(list(weights), list(weights.values()))[0]


def _count(facts: Facts, person: Person, status: str, whose: str) -> int:
    accounts = {"all": person.accounts, "own": (person.customer_id,), "org": (person.org_id,)}[whose]
    total = 0
    for account in accounts:
        by_status = facts.counts.get(account, {})
        total += sum(by_status.get(s, 0) for s in ("unpaid", "partial", "paid")) if status == "all" \
            else by_status.get(status, 0)
    return total


def _list_path(params: dict) -> str:
    """A list URL as the page's own links write it: defaults left out, parameters in the app's order."""
    defaults = {"status": "all", "whose": "all", "q": "", "sort": "-due_date", "page": 1}
    args = {k: params[k] for k in defaults if k in params and params[k] != defaults[k]}
    return "/invoices" + ("?" + urlencode(args) if args else "")


def _make(kind: str, person: Person, facts: Facts, rng: random.Random) -> Request | None:
    """One request of `kind` by `person`, or None when the person has nothing to do it with."""
    visible, open_ = _seen(facts, person)
    if kind == "list":
        whose = "all"
        if person.org_id is not None:
            whose = _pick(rng, {"all": 80, "own": 10, "org": 10})
        status, sort, page = _pick(rng, STATUSES), _pick(rng, SORTS), _pick(rng, PAGES)
        # No one asks for a page the list does not have: page 3 of a filter with 30 invoices is page 2.
        pages = max(1, -(-_count(facts, person, status, whose) // PAGE_SIZE))
        path = _list_path({"status": status, "whose": whose, "sort": sort, "page": min(page, pages)})
        return Request(kind, person.index, "GET", path, True)
    if kind == "full":
        status = "all" if rng.random() < 0.6 else rng.choice(("unpaid", "overdue"))
        return Request(kind, person.index, "GET", _list_path({"status": status}), False)
    if kind == "search":
        if not visible:
            return None
        number, roll = rng.choice(visible), rng.random()
        digits = number.split("-")[-1]
        q = number if roll < 0.5 else (digits if roll < 0.75 else digits[-4:])
        return Request(kind, person.index, "GET", _list_path({"q": q}), True)
    if kind in ("invoice", "dialog"):
        pool = [n for n, _ in open_] if (kind == "invoice" and rng.random() < 0.6 and open_) else visible
        if not pool:
            return None
        number = rng.choice(pool)
        if kind == "invoice":
            return Request(kind, person.index, "GET", f"/invoices/{number}", False)
        return Request(kind, person.index, "GET", f"/invoices/{number}/request", True)
    if kind == "pay":
        # One currency per user: a cart holds one currency, and a second one would be refused (409).
        payable = [n for n, c in open_ if c == person.currency]
        if not payable:
            return None
        return Request(kind, person.index, "POST", "/cart/invoices", True, urlencode({"invoice": rng.choice(payable)}))
    if kind == "clear":
        return Request(kind, person.index, "POST", "/cart/clear", True, "")
    raise ValueError(kind)


def _seen(facts: Facts, person: Person) -> tuple[list, list]:
    """(sample of numbers, open (number, currency)) of the invoices `person` may see."""
    if person.index not in facts.seen:
        facts.seen[person.index] = ([n for a in person.accounts for n in facts.sample[a]],
                                    [(n, c) for a in person.accounts for n, c in facts.open[a]])
    return facts.seen[person.index]


def plan_requests(facts: Facts, n: int, seed: int, only: str | None = None, count: int = 0) -> list[Request]:
    """`n` requests in MIX's proportions (or `count` of the kind `only`), each by a user drawn at random,
    shuffled; the same seed, the same list. A cart is emptied by someone who fills one (MIX lists "pay" first)."""
    rng = random.Random(seed)
    out = []
    payers: list[Person] = []
    for kind, share, _ in MIX:
        wanted = (count if kind == only else 0) if only else round(n * share / 100)
        made = 0
        while made < wanted:
            person = rng.choice(payers if kind == "clear" and payers else facts.people)
            request = _make(kind, person, facts, rng)
            if request is not None and kind == "pay":
                payers.append(person)
            if request is not None:
                out.append(request)
                made += 1
    rng.shuffle(out)
    return out


# ------------------------------------------------------------------------------------------ sessions


def sign_in(base: str, people: list[Person], threads: int = 8) -> None:
    """Every user through the real form (GET /login for the CSRF token, POST), then their first page, whose
    wrapper carries the session's CSRF token for htmx (hx-headers) as the writes need it."""
    from bench.data import PASSWORD

    def one(person: Person):
        client = Client(base)
        client.sign_in(person.email, PASSWORD)
        status, _, page = client.request("GET", "/invoices")
        token = re.search(rb'"X-CSRFToken": "([^"]+)"', page)
        if status != 200 or not token:
            raise RuntimeError(f"{person.email}: /invoices answered {status} after signing in")
        person.cookie, person.token = client.cookie_header, token.group(1).decode()

    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(one, people))


def _send(base: str, person: Person, request: Request, path: str | None = None) -> tuple[int, bytes]:
    """One request as `person`; the status is 0 for a 2xx that sends the browser to sign in (HX-Redirect)."""
    parts = urlsplit(base)
    headers = {"Cookie": person.cookie}
    if request.hx:
        headers["HX-Request"] = "true"
    body = None
    if request.method == "POST":
        headers["X-CSRFToken"] = person.token
        headers["Content-Type"] = "application/x-www-form-urlencoded"
        body = request.body.encode()
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    try:
        conn.request(request.method, path or request.path, body=body, headers=headers)
        response = conn.getresponse()
        body = response.read()
        return (0 if response.getheader("HX-Redirect") else response.status), body
    finally:
        conn.close()


def dry_run(base: str, people: list[Person], requests: list[Request], concurrency: int = 4) -> None:
    """Send the whole list once, a few at a time in its order, recording each answer's status and size."""

    def one(request: Request):
        started = time.perf_counter()
        try:
            request.status, body = _send(base, people[request.user], request)
            request.size = len(body)
        except OSError:
            request.status, request.size = 0, 0
        request.ms = (time.perf_counter() - started) * 1000

    with ThreadPoolExecutor(concurrency) as pool:
        list(pool.map(one, requests))


def empty_carts(url: str) -> None:
    """Every user starts the measured runs with an empty cart, whatever the dry run left."""
    from models import CartLine

    with database(url) as db:
        with db.atomic():
            CartLine.delete().execute()


def write_inputs(directory: Path, name: str, people: list[Person], requests: list[Request]) -> tuple[Path, Path]:
    """The files bench/mixed.lua reads: the requests (with the size each answer had) and the users' sessions."""
    requests_path, users_path = directory / f"{name}.requests.tsv", directory / "users.tsv"
    requests_path.write_text("".join(
        f"{r.method}\t{r.path}\t{r.user}\t{int(r.hx)}\t{r.body}\t{r.size}\t{r.kind}\n" for r in requests))
    users_path.write_text("".join(f"{p.cookie}\t{p.token}\n" for p in people))
    return requests_path, users_path


# ------------------------------------------------------------------------------------------ load


@dataclass
class Run:
    """One wrk run over a slice of the list."""

    load: Load
    start: int  # where in the list it began
    next: int  # where the next run goes on
    not_2xx: int = 0
    by_class: dict = field(default_factory=dict)  # "3xx"/"4xx"/"5xx"/"socket" -> count

    @property
    def errors(self) -> int:
        return self.not_2xx + self.load.socket_errors


def drive_wrk(base: str, files: tuple[Path, Path], mode: str, seconds: float, offset: int) -> Run:
    load = wrk(base + "/", seconds, {}, str(SCRIPT), [files[0], files[1], mode, offset, THREADS])
    found = re.search(r"mixed: failed (\d+) 3xx (\d+) 4xx (\d+) 5xx (\d+) hx-redirect (\d+) next (\d+)", load.output)
    if not found:
        raise RuntimeError(f"bench/mixed.lua reported nothing:\n{load.output}")
    bad, r3, r4, r5, hx, next_ = map(int, found.groups())
    return Run(load, offset, next_, bad, {"3xx": r3, "4xx": r4, "5xx": r5, "HX-Redirect": hx,
                                          "socket": load.socket_errors})


def drive_python(base: str, people: list[Person], requests: list[Request], mode: str, seconds: float,
                 offset: int) -> Run:
    """The fallback when wrk is missing: 16 threads walking the list as bench/mixed.lua does (slower, noisier)."""
    latencies, sizes, classes = [], [], {"3xx": 0, "4xx": 0, "5xx": 0, "HX-Redirect": 0, "socket": 0}
    lock = threading.Lock()
    positions = [offset + t for t in range(CONNECTIONS)]
    deadline = time.perf_counter() + seconds

    def worker(t):
        while time.perf_counter() < deadline:
            request = requests[positions[t] % len(requests)]
            positions[t] += CONNECTIONS
            path = f"/bytes/{request.size}" if mode == "baseline" else None
            started = time.perf_counter()
            body = b""
            try:
                status, body = _send(base, people[request.user], request, path)
                kind = None if 200 <= status < 300 else ("HX-Redirect" if status == 0 else f"{min(status // 100, 5)}xx")
            except OSError:
                kind = "socket"
            with lock:
                latencies.append((time.perf_counter() - started) * 1000)
                sizes.append(len(body))
                if kind:
                    classes[kind] = classes.get(kind, 0) + 1

    elapsed = on_connections(worker)
    latencies.sort()
    bad = classes["3xx"] + classes["4xx"] + classes["5xx"] + classes["HX-Redirect"]
    load = Load(len(latencies) / elapsed, quantile(latencies, 0.5), quantile(latencies, 0.99), len(latencies),
                bad + classes["socket"],
                socket_errors=classes["socket"], bytes_read=sum(sizes))
    return Run(load, offset, max(positions), bad, classes)


@dataclass
class Comparison:
    """Portal and baseline, round by round, over one request list."""

    name: str
    portal_runs: list[Run]
    baseline_runs: list[Run]
    warmup: list[Run]
    list_length: int
    cpu: dict = field(default_factory=dict)  # CpuMeter.shares() over the measured rounds, both sides

    @staticmethod
    def _median(runs: list[Run]) -> Load:
        loads = [r.load for r in runs]
        return Load(statistics.median(l.rps for l in loads), statistics.median(l.p50 for l in loads),
                    statistics.median(l.p99 for l in loads), sum(l.requests for l in loads),
                    sum(l.errors for l in loads))

    @property
    def portal(self) -> Load:
        return self._median(self.portal_runs)

    @property
    def baseline(self) -> Load:
        return self._median(self.baseline_runs)

    @property
    def ratio(self) -> float:
        return self.portal.rps / self.baseline.rps if self.baseline.rps else 0.0

    def mean_bytes(self, runs: list[Run]) -> float:
        """Bytes per answer, headers included, as wrk read them: proof that both sides sent the same sizes."""
        n = sum(r.load.requests for r in runs)
        return sum(r.load.bytes_read for r in runs) / n if n else 0.0

    @property
    def errors(self) -> dict:
        """Failed portal requests by class, warm-up included (they are requests of the scenario too)."""
        out: dict = {}
        for run in self.portal_runs + [r for r in self.warmup if r is not None]:
            for kind, n in run.by_class.items():
                out[kind] = out.get(kind, 0) + n
        return out

    @property
    def error_count(self) -> int:
        return sum(self.errors.values())

    @property
    def baseline_errors(self) -> int:
        return sum(r.errors for r in self.baseline_runs)

    @property
    def sent(self) -> int:
        """Requests the portal was sent, warm-up included."""
        return sum(r.load.requests for r in self.portal_runs + self.warmup)

    @property
    def wrapped(self) -> bool:
        """Did the portal get round the whole list (and so was sent some requests twice)?"""
        return bool(self.portal_runs) and self.portal_runs[-1].next > self.list_length


def compare(name: str, portal: Gunicorn, baseline: Gunicorn, drive, seconds: float, rounds: int, warmup: float,
            list_length: int, log, database: DatabaseBackends | None = None) -> Comparison:
    """Portal and baseline in turn, `rounds` times. Each portal round goes on through the list where the last
    one stopped; its baseline round starts where it started (and, being faster, gets further: the list is
    the same mix all along, and bare Flask caches nothing)."""
    offset = 0
    warm = []
    if warmup:
        run = drive(portal.base, "portal", warmup, offset)
        warm.append(run)
        drive(baseline.base, "baseline", warmup, offset)
        offset = run.next
    portal_runs, baseline_runs = [], []
    meter = CpuMeter(portal, baseline, database)
    for i in range(rounds):
        with meter:
            p = drive(portal.base, "portal", seconds, offset)
            b = drive(baseline.base, "baseline", seconds, offset)
        portal_runs.append(p)
        baseline_runs.append(b)
        log(f"  {name}, round {i + 1}: portal {p.load.rps:.0f} req/s (p50 {p.load.p50:.1f} ms, p99 {p.load.p99:.1f} ms, "
            f"{p.errors} failed), bare Flask {b.load.rps:.0f} req/s: {p.load.rps / max(b.load.rps, 1e-9):.2f} ×")
        offset = p.next
    return Comparison(name, portal_runs, baseline_runs, warm, list_length, meter.shares())


# ------------------------------------------------------------------------------------------ the scenario


@dataclass
class Result:
    people: int
    companies: int
    requests: list[Request]  # the mix
    invoice_requests: list[Request]  # invoice pages alone
    mix: Comparison
    invoice_page: Comparison
    rss_mb: float
    baseline_rss_mb: float
    timings: dict
    files: tuple[Path, Path]  # the request list and sessions (bench/profile.py replays them in-process)

    @property
    def dry_run_failures(self) -> list[Request]:
        return [r for r in self.requests + self.invoice_requests if not 200 <= r.status < 300]

    def by_kind(self) -> list[tuple[str, int, float, float, float]]:
        """(kind, requests, mean bytes, p50 ms, p90 ms) of the dry run (4 at a time, fresh workers)."""
        out = []
        for kind, _, _ in MIX:
            rows = [r for r in self.requests if r.kind == kind]
            if not rows:
                continue
            ms = sorted(r.ms for r in rows)
            out.append((kind, len(rows), statistics.mean(r.size for r in rows), ms[len(ms) // 2],
                        ms[min(len(ms) - 1, int(len(ms) * 0.9))]))
        return out


def run(url: str, plan, workdir: Path, *, seconds: float, rounds: int, invoice_seconds: float, n_requests: int,
        seed: int, use_wrk: bool, log) -> Result:
    """Sign in, dry run, then the mix and the invoice pages, portal and bare Flask in turn (module docstring)."""
    from bench.data import mixed_companies

    timings = {}
    started = time.perf_counter()
    facts = load_facts(plan, url)
    requests = plan_requests(facts, n_requests, seed)
    # Invoice pages alone go through their list about as fast as the mix goes through its own: half its length
    # (the dry run may still grow it).
    invoices = plan_requests(facts, 0, seed, only="invoice", count=n_requests // 2)
    people = facts.people
    timings["request list"] = time.perf_counter() - started
    log(f"Mixed scenario: {len(people):,} users of {len(mixed_companies(plan))} companies, a list of "
        f"{len(requests):,} requests (seed {seed}).")
    env = server_env(url)
    empty_carts(url)
    with Gunicorn("app:app", env, "portal-dry-run") as portal:
        now = time.perf_counter()
        sign_in(portal.base, people)
        timings["sign-in"] = time.perf_counter() - now
        log(f"  {len(people):,} users signed in through /login in {timings['sign-in']:.1f} s.")
        now = time.perf_counter()
        dry_run(portal.base, people, requests + invoices)
        # The portal must not be sent a request twice (a cache could answer the second): when the dry run
        # shows the portal is fast enough to get through the list in the measured time, the list grows.
        rate = len(requests + invoices) / (time.perf_counter() - now)
        for kind, duration, batch in ((None, seconds * rounds + min(seconds, 3), requests),
                                      ("invoice", invoice_seconds * rounds + 1, invoices)):
            mean_ms = statistics.mean(r.ms for r in requests + invoices)
            kind_ms = statistics.mean(r.ms for r in batch) if kind else mean_ms
            # Twice what the dry run's pace asks: on a shared machine the measured portal can be that much faster.
            needed = int(rate * mean_ms / kind_ms * duration * 2)
            if needed > len(batch):
                more = (plan_requests(facts, needed - len(batch), seed + len(batch)) if kind is None else
                        plan_requests(facts, 0, seed + len(batch), only=kind, count=needed - len(batch)))
                log(f"  The portal is fast enough to need more requests{' of ' + kind if kind else ''}: "
                    f"{len(more):,} more.")
                dry_run(portal.base, people, more)
                batch += more
        timings["dry run"] = time.perf_counter() - now
    failures = [r for r in requests + invoices if not 200 <= r.status < 300]
    log(f"  Dry run: {len(requests) + len(invoices):,} requests answered in {timings['dry run']:.1f} s, "
        f"{len(failures)} not 2xx" + (f" (first: {failures[0].method} {failures[0].path} → {failures[0].status})"
                                      if failures else "") + ".")
    empty_carts(url)
    files = write_inputs(workdir, "mix", people, requests)
    invoice_files = write_inputs(workdir, "invoice", people, invoices)

    def driver(inputs, subset):
        if use_wrk:
            return lambda base, mode, secs, offset: drive_wrk(base, inputs, mode, secs, offset)
        return lambda base, mode, secs, offset: drive_python(base, people, subset, mode, secs, offset)

    now = time.perf_counter()
    backends = None if url.startswith("sqlite") else DatabaseBackends(url)
    try:
        with Gunicorn("app:app", env, "portal") as portal, \
                Gunicorn("bench.baseline:app", env, "baseline") as baseline:
            mix = compare("mix", portal, baseline, driver(files, requests), seconds, rounds, min(seconds, 3),
                          len(requests), log, backends)
            rss, baseline_rss = portal.peak_rss_mb(), baseline.peak_rss_mb()
            invoice = compare("invoice page", portal, baseline, driver(invoice_files, invoices),
                              invoice_seconds, rounds, 1, len(invoices), log, backends)
    finally:
        if backends:
            backends.close()
    timings["measured runs"] = time.perf_counter() - now
    return Result(len(people), len(mixed_companies(plan)), requests, invoices, mix, invoice, rss, baseline_rss,
                  timings, files)
