"""Two payers, one balance: real parallel HTTP requests against the real portal, on SQLite and PostgreSQL.

Each round, two users of the same company (and sometimes the same user twice, as a replayed
return) each put the same invoice in their cart, choose an amount, go through the test gateway,
and then come back from the gateway at the same moment (threads released by a barrier). The
portal runs as its own process (`flask run --with-threads`), so the requests race for real:
BEGIN IMMEDIATE on SQLite, SELECT ... FOR UPDATE on PostgreSQL. After every round the database
must show payments that never exceed the invoice total and a balance that matches them.

SETTLE_CONCURRENCY_ROUNDS sets the rounds per database (default 30); the test also stops
starting new rounds after 60 seconds so the suite stays fast.
"""
from __future__ import annotations

import json
import os
import re
import sqlite3
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from decimal import Decimal
from http.cookiejar import CookieJar

import pytest

from tests.conftest import LiveServer, make_app

ROUNDS = int(os.environ.get("SETTLE_CONCURRENCY_ROUNDS", "30"))
TIME_BUDGET = 60.0
PASSWORD = "race-Passw0rd"
TOTAL = Decimal("1000.00")  # every race invoice: 8 x 100.00 + 25 % tax
# (amount for A, amount for B, A replays its return at the same moment, payments that may be recorded).
# RACE-1 gives 2 % for paying in full within 10 days, so the full balance is paid with 980.00.
SCENARIOS = [
    ("1000.00", "1000.00", True, 1),   # both pay in full (980.00 + 20.00 discount): exactly one may
    ("700.00", "600.00", False, 1),    # each fits alone, not both together
    ("400.00", "500.00", True, 2),     # both fit: both are recorded, once each
    ("900.00", "100.01", False, 1),    # one cent too much together, whoever comes first
    ("980.00", "1000.00", True, 1),    # the discounted balance against the full one
]

pytestmark = pytest.mark.slow


def payload(rounds: int) -> dict:
    invoices = [{"number": f"RACE-{n:03d}", "invoice_account": "RACE-1", "order_account": "RACE-1",
                 "invoice_date": time.strftime("%Y-%m-%d"), "currency": "NOK",
                 "lines": [{"item": "A-100", "description": "Pallet wrap", "quantity": "8", "unit_price": "100.00",
                            "tax_percent": "25"}]} for n in range(rounds)]
    return {
        "customers": [{"account": "RACE-1", "name": "Race Retail AS", "email": "ap@race.example", "currency": "NOK",
                       "billing_address": "Kappløpsveien 1\n0150 Oslo",
                       "payment_terms": {"net_days": 30, "discount_percent": "2", "discount_days": 10}}],
        "users": [{"email": f"{who}@race.example", "name": who.title(), "password": PASSWORD, "customer": "RACE-1"}
                  for who in ("alice", "bob")],
        "products": [],
        "invoices": invoices,
    }


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


class Browser:
    """A signed-in user's cookie jar; answers (status, location, body) without following redirects."""

    def __init__(self, base: str):
        self.base = base
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()), NoRedirect)
        self.token = ""

    def request(self, path: str, data: dict | None = None):
        url = path if path.startswith("http") else self.base + path
        body = None
        if data is not None:
            body = urllib.parse.urlencode({"csrf_token": self.token, **data}).encode()
        try:
            with self.opener.open(urllib.request.Request(url, data=body), timeout=30) as response:
                status, headers, text = response.status, response.headers, response.read().decode()
        except urllib.error.HTTPError as error:
            status, headers, text = error.code, error.headers, error.read().decode()
        found = re.search(r'name="csrf_token" value="([^"]+)"', text)
        if found:
            self.token = found.group(1)
        return status, headers.get("Location", ""), text

    def sign_in(self, email: str):
        self.request("/login")
        status, _, _ = self.request("/login", {"email": email, "password": PASSWORD})
        assert status == 303, f"sign-in as {email} failed"
        self.request("/cart")


def prepare_payment(browser: Browser, number: str, amount: str) -> str:
    """Cart, amount, Pay now, card on the gateway page: returns the signed return URL, not yet visited."""
    status, _, _ = browser.request("/cart/invoices", {"invoice": number})
    assert status == 303
    _, _, page = browser.request("/cart")
    line = re.search(r'name="amount-(\d+)"', page).group(1)
    status, location, text = browser.request("/cart", {f"amount-{line}": amount, "action": "checkout"})
    assert status == 303 and location.endswith("/checkout"), text[-500:]
    status, gateway, text = browser.request("/checkout", {"payment_method": "card"})
    assert status == 303 and "/gateway/test/" in gateway, text[-500:]
    browser.request(gateway)
    status, back, _ = browser.request(gateway, {"card_number": "4242 4242 4242 4242"})
    assert status == 303 and "/return?" in back
    return back


class Ledger:
    """Reads the race invoices straight from the database the server writes to."""

    def __init__(self, url: str):
        self.url = url

    def _query(self, sql: str, params: tuple):
        if self.url.startswith("sqlite"):
            connection = sqlite3.connect(self.url.split("sqlite:///", 1)[1], timeout=30)
            try:
                return connection.execute(sql.replace("%s", "?"), params).fetchall()
            finally:
                connection.close()
        import psycopg2

        connection = psycopg2.connect(self.url)
        try:
            with connection.cursor() as cursor:
                cursor.execute(sql, params)
                return cursor.fetchall()
        finally:
            connection.close()

    def state(self, number: str):
        """(balance, [(amount, discount)]) of invoice `number`, in Decimal."""
        rows = self._query('SELECT i.balance, p.amount, p.discount FROM invoice i LEFT JOIN payment p '
                           'ON p.invoice_id = i.id AND p.method = %s WHERE i.number = %s ORDER BY p.id',
                           ("card", number))
        cents = lambda value: Decimal(value) / 100  # noqa: E731
        balance = cents(rows[0][0])
        payments = [(cents(amount), cents(discount)) for _, amount, discount in rows if amount is not None]
        return balance, payments


@pytest.fixture(params=["sqlite", "postgres"])
def race_server(request, tmp_path, postgres_server):
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'race.db'}"
    else:
        url, reason = postgres_server
        if url is None:
            pytest.skip(reason)
    application = make_app(url, tmp_path)  # fresh tables
    from models import db
    from models.importer import import_data

    with application.app_context(), db.connection_context():
        import_data(json.loads(json.dumps(payload(ROUNDS))))
    server = LiveServer(url, {"MAIL_OUTBOX": str(tmp_path / "outbox")}).start()
    yield server, Ledger(url)
    server.stop()


def test_two_payers_one_balance_never_more_than_the_balance(race_server):
    server, ledger = race_server
    alice, bob = Browser(server.url), Browser(server.url)
    alice.sign_in("alice@race.example")
    bob.sign_in("bob@race.example")
    started, played = time.monotonic(), 0
    for round_no in range(ROUNDS):
        if time.monotonic() - started > TIME_BUDGET:
            break
        number = f"RACE-{round_no:03d}"
        amount_a, amount_b, replay, expected = SCENARIOS[round_no % len(SCENARIOS)]
        back_a = prepare_payment(alice, number, amount_a)
        back_b = prepare_payment(bob, number, amount_b)
        calls = [(alice, back_a), (bob, back_b)] + ([(alice, back_a)] if replay else [])
        if round_no % 2:
            calls.reverse()
        barrier = threading.Barrier(len(calls))
        answers: list = [None] * len(calls)

        def come_back(index, browser, url):
            barrier.wait(timeout=30)
            answers[index] = browser.request(url)

        threads = [threading.Thread(target=come_back, args=(i, b, u)) for i, (b, u) in enumerate(calls)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        assert all(answer is not None for answer in answers), f"round {round_no}: a request hung"
        assert all(status == 303 for status, _, _ in answers), [a[:2] for a in answers]

        balance, payments = ledger.state(number)
        settled = sum((amount + discount for amount, discount in payments), Decimal("0"))
        assert settled <= TOTAL, f"round {round_no}: {payments} take more than {TOTAL}"
        assert balance == TOTAL - settled and balance >= 0, f"round {round_no}: balance {balance} vs {payments}"
        receipts = {location for _, location, _ in answers if "/receipts/" in location}
        assert all("/receipts/" in location or location.endswith("/cart") for _, location, _ in answers)
        assert len(payments) == len(receipts) == expected, f"round {round_no}: {payments}, receipts {receipts}"
        # The late payer is told why, and was not charged.
        late = {id(browser): browser for (browser, _), (_, location, _) in zip(calls, answers)
                if location.endswith("/cart")}
        for browser in late.values():
            _, _, page = browser.request("/cart")
            assert "not charged" in page or "Nothing was charged" in page, page[-3000:]
        for browser in (alice, bob):
            browser.request("/cart/clear", {})
        played += 1
    assert played >= min(ROUNDS, 5), "too few rounds in the time budget"
    print(f"\n{played} rounds of parallel payments on {ledger.url.split(':')[0]} "
          f"in {time.monotonic() - started:.1f}s")
