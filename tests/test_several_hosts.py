"""Several hosts: two portal processes (separate gunicorn instances on two ports, two workers each) over one
PostgreSQL and one Redis, as two machines behind a load balancer would run.

- payments of the same invoice, one payer on each host, coming back from the gateway at the same moment, never
  pay more than the invoice (row locks in the shared database);
- a page rendered on one host (its rows kept in the shared Redis cache, views/rendered_cache.py) is never
  stale on the other after a payment on either;
- the job's lock is one for all hosts (a lease in the shared database, models/lease.py): while a worker of
  one host holds it, a worker of the other does not run the job, and takes it once it is free;
- sign-in throttling counts across hosts (Flask-Limiter's storage in the shared Redis).
Redis keys get a prefix of this run's own (SETTLE_RENDER_CACHE_PREFIX, SETTLE_WORKER_QUEUE).
"""
from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import threading
import time
import uuid
from decimal import Decimal
from pathlib import Path

import pytest

from tests.conftest import ROOT, free_port, make_app
from tests.test_payment_concurrency import SCENARIOS, Browser, Ledger, payload, prepare_payment

pytestmark = pytest.mark.slow
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
ROUNDS = len(SCENARIOS)


class Host:
    """The portal under gunicorn on a port of its own, as on a machine of its own."""

    def __init__(self, env: dict, log: Path):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = log
        gunicorn = str(Path(sys.executable).parent / "gunicorn")
        self.process = subprocess.Popen([gunicorn, "-w", "2", "--threads", "4", "-b", f"127.0.0.1:{self.port}",
                                         "app:app"], cwd=ROOT, env=env, stdout=open(log, "w"),
                                        stderr=subprocess.STDOUT)
        deadline = time.time() + 30
        while time.time() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    return
            except OSError:
                if self.process.poll() is not None:
                    raise RuntimeError(f"gunicorn died: {log.read_text()[-2000:]}")
                time.sleep(0.2)
        raise RuntimeError("gunicorn did not start in 30 s")

    def stop(self):
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()


@pytest.fixture
def two_hosts(tmp_path, postgres_server):
    url, reason = postgres_server
    if url is None:
        pytest.skip(reason)
    try:
        import redis

        store = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1)
        store.ping()
    except Exception as error:  # noqa: BLE001 - no Redis here
        pytest.skip(f"Redis not reachable at {REDIS_URL}: {error}")
    application = make_app(url, tmp_path)  # fresh tables
    from models import db
    from models.importer import import_data

    with application.app_context(), db.connection_context():
        import_data(json.loads(json.dumps(payload(ROUNDS + 2))))
    run = uuid.uuid4().hex[:10]
    prefix = f"settle-test-{run}:rendered:"
    env = {**os.environ, "DATABASE_URL": url, "REDIS_URL": REDIS_URL, "SECRET_KEY": "two-hosts-secret",
           "SETTLE_RENDER_CACHE_PREFIX": prefix, "SETTLE_WORKER_QUEUE": f"settle-test-{run}",
           "THROTTLE_KEY_PREFIX": f"settle-test-{run}-throttle",
           "PAYMENT_GATEWAY": "test", "SETTLE_ENV": "development", "MAIL_OUTBOX": str(tmp_path / "outbox"),
           "SETTLE_DB_POOL": "1"}
    hosts = []
    try:
        hosts = [Host(env, tmp_path / "a.log"), Host(env, tmp_path / "b.log")]
        yield hosts, Ledger(url), env, store, prefix
    finally:
        for host in hosts:
            host.stop()
        for pattern in (f"{prefix}*", f"*settle-test-{run}-throttle*"):
            for key in store.scan_iter(match=pattern, count=1000):
                store.delete(key)
        from huey import RedisHuey

        RedisHuey(env["SETTLE_WORKER_QUEUE"], url=REDIS_URL).storage.flush_all()


def balance_shown(browser: Browser, number: str) -> str:
    """The balance the invoice list shows for `number`."""
    status, _, page = browser.request("/invoices?sort=number")
    assert status == 200
    row = page[page.index(f">{number}</a></th>"):]
    row = row[:row.index("</tr>")]
    balance = re.search(r'<td class="num c-balance"[^>]*>\s*([^<]+)', row).group(1)
    return " ".join(balance.split()).replace("\xa0", " ")


def test_two_hosts_share_payments_pages_the_job_lock_and_throttles(two_hosts):
    (host_a, host_b), ledger, env, store, prefix = two_hosts
    alice_a, alice_b = Browser(host_a.url), Browser(host_b.url)
    bob_b = Browser(host_b.url)
    alice_a.sign_in("alice@race.example")
    alice_b.sign_in("alice@race.example")
    bob_b.sign_in("bob@race.example")

    # 1. Pages: rendered on one host, never stale on the other after a write on either.
    number = f"RACE-{ROUNDS:03d}"
    assert balance_shown(alice_a, number) == balance_shown(alice_b, number) == "NOK 1,000.00"
    assert any(True for _ in store.scan_iter(match=f"{prefix}*", count=100)), "rows are cached in Redis"
    back = prepare_payment(bob_b, number, "100.00")
    assert bob_b.request(back)[0] == 303
    assert balance_shown(alice_a, number) == "NOK 900.00", "host A shows host B's payment"
    back = prepare_payment(alice_a, number, "250.00")
    assert alice_a.request(back)[0] == 303
    assert balance_shown(alice_b, number) == "NOK 650.00", "host B shows host A's payment"
    assert balance_shown(alice_a, number) == "NOK 650.00"

    # 2. Payments of the same invoice through both hosts at the same moment never overpay.
    for round_no, (amount_a, amount_b, _replay, expected) in enumerate(SCENARIOS):
        number = f"RACE-{round_no:03d}"
        for browser in (alice_a, bob_b):  # the loser of the last round still has its line
            browser.request("/cart/clear", {})
        back_a = prepare_payment(alice_a, number, amount_a)
        back_b = prepare_payment(bob_b, number, amount_b)
        assert back_a.startswith(host_a.url) and back_b.startswith(host_b.url)
        barrier = threading.Barrier(2)
        answers: list = [None, None]

        def come_back(index, browser, url):
            barrier.wait(timeout=30)
            answers[index] = browser.request(url)

        threads = [threading.Thread(target=come_back, args=(i, b, u))
                   for i, (b, u) in enumerate([(alice_a, back_a), (bob_b, back_b)])]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        assert all(answer is not None and answer[0] == 303 for answer in answers), [a and a[:2] for a in answers]
        balance, payments = ledger.state(number)
        settled = sum((amount + discount for amount, discount in payments), Decimal("0"))
        assert settled <= Decimal("1000.00") and balance == Decimal("1000.00") - settled, (number, payments)
        assert len(payments) == expected, (number, payments)
        for browser in (alice_a, alice_b):
            assert balance_shown(browser, number) == f"NOK {balance:,.2f}", "no host shows a stale balance"

    # 3. The job's lock is one for both hosts.
    from datetime import timedelta

    from models import db
    from models.clock import utcnow
    from models.lease import JobLease

    job = [sys.executable, "-c", "import worker; r = worker.run_job(); print('busy' if r is None else r)"]
    with db.connection_context():
        assert JobLease.take("process-requests", "a worker of host A", utcnow(), timedelta(minutes=1))
    held = subprocess.run(job, cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert held.stdout.strip().endswith("busy"), held.stdout + held.stderr
    with db.connection_context():
        JobLease.release("process-requests", "a worker of host A")
    free = subprocess.run(job, cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert free.stdout.startswith("Sent "), free.stdout + free.stderr  # the payment receipts, queued by both hosts

    # 4. Throttles are shared (Flask-Limiter's storage in Redis): ten wrong passwords for one email, spread over
    #    both hosts, use up its limit on both; the eleventh answers 429 wherever it lands, the right password too.
    email = "nobody-{}@example.com".format(uuid.uuid4().hex[:8])
    for attempt in range(10):
        browser = Browser((host_a if attempt % 2 else host_b).url)
        browser.request("/login")
        status, _, _ = browser.request("/login", {"email": email, "password": "wrong password"})
        assert status == 422, f"attempt {attempt + 1} answered {status}"
    for host in (host_a, host_b):
        browser = Browser(host.url)
        browser.request("/login")
        status, _, _ = browser.request("/login", {"email": email, "password": "wrong password"})
        assert status == 429, "the limit counted on one host holds on the other"
