"""The invoice list's rendered parts are reused (views/rendered_cache.py), but a user never sees them stale, in
the wrong language, for the wrong day, with anyone's CSRF token or someone else's rows.

Every HTTP test below first asks for a list so that it is cached (and checks that it was: asking again is a
hit), then changes something, then asks for the SAME URL with the SAME headers and checks that the change
shows. Most run twice: as the htmx fragment (HX-Request: true) and as the full page.

World (tests/world.py): kari and ola are users of RET-1, whose organization account is DIST-1; sara is RET-2
(same organization); anna is IND-1 (alone, PLN). D-001 (1,250.00, due in 27 days, 2 % discount open),
D-002 (10 days overdue, order account RET-2), D-003 paid, D-004 (1,000.00 left), R1-001 (1,250.00 unpaid,
due in 28 days), R1-002 paid, R2-001, I-001, I-002.
"""
from __future__ import annotations

import hashlib
import re
import time
import uuid
from datetime import date, timedelta
from decimal import Decimal

import pytest
from babel.dates import format_date

from tests.conftest import make_app
from tests.test_visibility import numbers_on
from tests.world import PASSWORD, USERS, VISIBLE, world_payload

HX = {"HX-Request": "true"}
PAGE: dict = {}
NBSP = "\u00a0"

both_forms = pytest.mark.parametrize("headers", [HX, PAGE], ids=["fragment", "page"])


# ---------------------------------------------------------------------------- helpers


class CacheStats:
    """Hits and misses of the app's rendered-page cache, read afresh at every access."""

    def __init__(self, app):
        self.app = app

    def _stats(self):
        from views.rendered_cache import stats

        with self.app.app_context():
            return stats()

    @property
    def hits(self):
        return self._stats()["hits"]

    @property
    def misses(self):
        return self._stats()["misses"]

    def clear(self):
        from views.rendered_cache import cache

        with self.app.app_context():
            cache.clear()


def cache_of(app) -> CacheStats:
    return CacheStats(app)


def listing(client, headers, url="/invoices") -> str:
    """The list at `url` as the user sees it: a fragment for htmx, the whole page otherwise."""
    response = client.get(url, headers=headers)
    assert response.status_code == 200, response.status_code
    html = response.get_data(as_text=True)
    assert ("<html" in html) == (headers is not HX), "a fragment for htmx, the whole page otherwise"
    return html


def same_page(html: str) -> str:
    """A page with its CSRF token blanked: Flask-WTF signs the token with the time, so two requests a second
    apart carry different (equally valid) tokens for the same session."""
    return re.sub(r'(name="csrf_token" value="|"X-CSRFToken": ")[^"]+', r"\1…", html)


def cached_listing(app, client, headers, url="/invoices") -> str:
    """The list at `url`, asked for twice: the second answer must come from the cache and be the same."""
    first = listing(client, headers, url)
    hits = cache_of(app).hits
    again = listing(client, headers, url)
    assert cache_of(app).hits == hits + 1, "the repeated request was not served from the cache"
    assert same_page(again) == same_page(first)
    return first


def row(html: str, number: str) -> str:
    """The list row (<tr>…</tr>) of invoice `number`; fails when the invoice is not listed."""
    match = re.search(rf'<tr id="invoice-\d+">\s*(?:<td class="select">(?:(?!</td>).)*</td>)?\s*'
                      rf'<th scope="row"><a href="/invoices/{re.escape(number)}">.*?</tr>',
                      html, re.S)
    assert match, f"{number} is not listed"
    return match.group(0)


def execute(sql: str, *params):
    """Raw SQL straight to the database, past every model (placeholders written as ?)."""
    from models import db

    with db.connection_context():
        db.execute_sql(sql.replace("?", db.obj.param), params)


def record_payment(number: str, amount: str):
    """A payment recorded the way checkout records one: row locked, Invoice.settle, Payment row, one transaction."""
    from models import db, lock_rows, write_transaction
    from models.invoice import Invoice, Payment

    with db.connection_context():
        with write_transaction():
            invoice = lock_rows(Invoice.select().where(Invoice.number == number)).get()
            invoice.settle(Decimal(amount))
            invoice.save(only=[Invoice.balance, Invoice.status])
            Payment.create(invoice=invoice, amount=Decimal(amount), method=Payment.METHOD_CARD,
                           gateway_reference="TEST-cache")


def medium_date(value: date, locale: str = "en") -> str:
    return format_date(value, "medium", locale=locale)


def sent_to_sign_in(response, headers) -> bool:
    """Refused: a plain request is redirected to /login, htmx gets HX-Redirect there (and no rows)."""
    if headers is HX:
        return (response.status_code == 200 and response.headers.get("HX-Redirect", "").startswith("/login")
                and "invoice-" not in response.get_data(as_text=True))
    return response.status_code == 302 and response.headers["Location"].startswith("/login")


# ---------------------------------------------------------------------------- 1. payments


@both_forms
@pytest.mark.both_databases
def test_a_payment_recorded_against_a_listed_invoice_shows_its_new_balance_and_status(
        app, world, client, auth, headers):
    """After a payment the list shows the invoice's new balance, status and the new open total."""
    auth.login("kari")
    before = cached_listing(app, client, headers)
    assert "Unpaid" in row(before, "R1-001") and f"NOK{NBSP}4,750.00" in before
    record_payment("R1-001", "250.00")
    after = listing(client, headers)
    shown = row(after, "R1-001")
    assert "Partially paid" in shown and "Unpaid" not in shown
    assert f"NOK{NBSP}1,000.00" in shown  # the balance (the total stays 1,250.00)
    assert f"NOK{NBSP}4,500.00" in after and f"NOK{NBSP}4,750.00" not in after  # the summary's open balance


@both_forms
@pytest.mark.both_databases
def test_an_invoice_paid_in_full_through_checkout_shows_paid_without_a_pay_button(
        app, world, client, auth, headers):
    """Paying D-004 in full through the cart, checkout and the test gateway turns its row to Paid."""
    from tests.test_checkout import pay

    auth.login("kari")
    before = cached_listing(app, client, headers)
    assert "Partially paid" in row(before, "D-004") and "Pay invoice" in row(before, "D-004")
    response = pay(client, {"D-004": "1000.00"})
    assert response.status_code == 303 and response.headers["Location"].startswith("/receipts/")
    shown = row(listing(client, headers), "D-004")
    assert '<span class="status status-paid">Paid</span>' in shown
    assert "Pay invoice" not in shown and "In cart" not in shown and f"NOK{NBSP}0.00" in shown


# ---------------------------------------------------------------------------- 2. the cart


@both_forms
def test_pay_invoice_turns_to_in_cart_and_back_when_removed_or_the_cart_is_cleared(
        app, world, client, auth, headers):
    """A row reads "In cart" once its invoice is in the cart and "Pay invoice" again once it is out."""
    from models import db
    from models.cart import CartLine
    from models.invoice import Invoice

    auth.login("kari")
    before = cached_listing(app, client, headers)
    assert "Pay invoice" in row(before, "D-002") and "In cart" not in before
    for number in ("D-002", "R1-001"):  # as the Pay invoice button posts it (htmx, or a plain form)
        assert client.post("/cart/invoices", data={"invoice": number}, headers=headers).status_code in (200, 303)
    html = listing(client, headers)
    for number in ("D-002", "R1-001"):
        assert "In cart" in row(html, number) and "Pay invoice" not in row(html, number)
    assert "Pay invoice" in row(html, "D-001")

    with db.connection_context():
        line = CartLine.select().join(Invoice).where(Invoice.number == "D-002").get()
    assert client.post(f"/cart/lines/{line.id}/remove", headers=headers).status_code in (200, 303)
    html = listing(client, headers)
    assert "Pay invoice" in row(html, "D-002") and "In cart" not in row(html, "D-002")
    assert "In cart" in row(html, "R1-001")

    assert client.post("/cart/clear", headers=headers).status_code in (200, 303)
    html = listing(client, headers)
    assert "In cart" not in html and "Pay invoice" in row(html, "R1-001")


def test_a_colleagues_cart_does_not_mark_my_rows(app, world, client, auth):
    """Two users of one customer share renderings, but only my own cart marks my rows "In cart"."""
    ola = app.test_client()
    auth.login("kari")
    assert ola.post("/login", data={"email": USERS["ola"][0], "password": PASSWORD}).status_code == 303
    assert ola.post("/cart/invoices", data={"invoice": "D-001"}).status_code == 303
    assert "In cart" in row(listing(ola, HX), "D-001")
    mine = listing(client, HX)
    assert "In cart" not in mine and "Pay invoice" in row(mine, "D-001")


# ---------------------------------------------------------------------------- 3. writes past the models


@both_forms
@pytest.mark.both_databases
def test_a_due_date_changed_by_raw_sql_shows(app, world, client, auth, clock, headers):
    """A due date changed straight in the database (no model involved) shows at once, overdue mark and all."""
    auth.login("kari")
    before = cached_listing(app, client, headers)
    assert "overdue" not in row(before, "D-001")
    new_due = clock.today - timedelta(days=7)
    execute("UPDATE invoice SET due_date = ? WHERE number = ?", new_due.isoformat(), "D-001")
    shown = row(listing(client, headers), "D-001")
    assert medium_date(new_due) in shown and "7 days overdue" in shown


@both_forms
@pytest.mark.both_databases
def test_an_invoice_inserted_by_raw_sql_is_listed(app, world, client, auth, headers):
    """An invoice written straight into the database shows up in the list and its count."""
    auth.login("kari")
    before = cached_listing(app, client, headers)
    assert "6 invoices" in before and "D-999" not in before
    execute("INSERT INTO invoice (number, invoice_account_id, order_account_id, invoice_date, due_date, currency, "
            "total, balance, status, discount_percent, discount_until, created_at) "
            "SELECT ?, invoice_account_id, order_account_id, invoice_date, due_date, currency, total, balance, "
            "status, discount_percent, discount_until, created_at FROM invoice WHERE number = ?", "D-999", "D-001")
    after = listing(client, headers)
    assert "7 invoices" in after and "Pay invoice" in row(after, "D-999")


# ---------------------------------------------------------------------------- 4. order accounts renamed


@both_forms
@pytest.mark.both_databases
def test_an_order_account_renamed_by_raw_sql_shows_in_the_rows(app, world, client, auth, headers):
    """Renaming (and re-numbering) an order account straight in the database shows in another company's rows."""
    # sara (RET-2) sees D-001 and D-004, ordered by RET-1: nothing of sara's own changes, only the order account.
    auth.login("sara")
    before = cached_listing(app, client, headers)
    assert "RET-1 Company" in row(before, "D-001")
    execute("UPDATE customer SET name = ? WHERE account = ?", "Renamed Retail AS", "RET-1")
    after = listing(client, headers)
    for number in ("D-001", "D-004"):
        assert "Renamed Retail AS" in row(after, number) and "RET-1 Company" not in row(after, number)
    execute("UPDATE customer SET account = ? WHERE account = ?", "RET-9", "RET-1")
    after = listing(client, headers)
    assert re.search(r">RET-9<", row(after, "D-001")) and "RET-1" not in row(after, "D-001")


@both_forms
@pytest.mark.both_databases
def test_an_order_account_renamed_by_the_importer_shows_in_the_rows(app, world, client, auth, headers):
    """A re-import that renames a customer shows the new name on the invoices it ordered."""
    from models import db
    from models.importer import import_data
    from tests.world import customer

    auth.login("kari")  # kari sees D-002, ordered by RET-2 (sara's company)
    before = cached_listing(app, client, headers)
    assert "RET-2 Company" in row(before, "D-002")
    renamed = customer("RET-2", "DIST-1")
    renamed["name"] = "Second Retail ASA"
    with db.connection_context():
        assert import_data({"customers": [renamed]}).customers == 1
    shown = row(listing(client, headers), "D-002")
    assert "Second Retail ASA" in shown and "RET-2 Company" not in shown


@both_forms
@pytest.mark.both_databases
def test_the_organization_account_renamed_shows_in_billed_to(app, world, client, auth, headers):
    """The "Billed to" column follows a rename of the organization account."""
    # D-003 is the only invoice DIST-1 ordered itself; with it ordered by RET-1, DIST-1 is no order account at
    # all, so its name shows only as the organization ("Billed to"), never as an order account.
    execute("UPDATE invoice SET order_account_id = (SELECT id FROM customer WHERE account = ?) WHERE number = ?",
            "RET-1", "D-003")
    auth.login("kari")
    before = cached_listing(app, client, headers)
    assert 'DIST-1 <span class="muted">' not in before  # DIST-1 is no row's order account
    assert "DIST-1 Company" in row(before, "D-001")
    execute("UPDATE customer SET name = ? WHERE account = ?", "Distribution Group AS", "DIST-1")
    shown = row(listing(client, headers), "D-001")
    assert "Distribution Group AS" in shown and "DIST-1 Company" not in shown


# ---------------------------------------------------------------------------- 5. language


@both_forms
def test_switching_language_brings_the_list_back_in_the_new_language(app, world, client, auth, clock, headers):
    """After choosing Norsk (then Polski, then English) the same list comes back in that language."""
    auth.login("kari")
    english = cached_listing(app, client, headers)
    assert "Pay invoice" in english and "Unpaid" in row(english, "R1-001")
    expected = {"nb": ("Betal faktura", "Ubetalt", "10 dager over forfall"),
                "pl": ("Zapłać fakturę", "Niezapłacona", "10 dni po terminie"),
                "en": ("Pay invoice", "Unpaid", "10 days overdue")}
    for language in ("nb", "pl", "en"):
        switched = client.post("/language", data={"lang": language, "next": "/invoices"})
        assert switched.status_code == 303
        html = listing(client, headers)
        pay_text, unpaid_text, overdue_text = expected[language]
        assert language == "en" or "Pay invoice" not in html, "still English (are the catalogs compiled? make translations)"
        assert pay_text in row(html, "R1-001") and unpaid_text in row(html, "R1-001"), language
        assert overdue_text in row(html, "D-002"), language
        assert medium_date(clock.today - timedelta(days=2), language) in row(html, "R1-001"), language
        for other, texts in expected.items():
            if other != language:
                assert texts[0] not in html, f"{other} text left on the {language} list"
    if headers is HX:  # back in English: exactly the first request's rendering (a page also shows the flash)
        assert html == english


# ---------------------------------------------------------------------------- 6. the date


@both_forms
def test_when_the_date_moves_on_invoices_become_overdue(app, world, client, auth, clock, headers):
    """The next days the same list marks invoices overdue (and closes the cash discount) without any write."""
    auth.login("kari")
    before = cached_listing(app, client, headers)
    assert "overdue" not in row(before, "D-001") and "save NOK" in row(before, "D-001")
    assert "10 days overdue" in row(before, "D-002")
    clock.set(clock.today + timedelta(days=40))
    after = listing(client, headers)
    assert "13 days overdue" in row(after, "D-001") and "save NOK" not in row(after, "D-001")
    assert "50 days overdue" in row(after, "D-002")


@both_forms
def test_the_overdue_filter_follows_the_date(app, world, client, auth, clock, headers):
    """The Overdue filter lists more invoices once their due dates have passed."""
    auth.login("kari")
    assert numbers_on(cached_listing(app, client, headers, "/invoices?status=overdue")) == {"D-002"}
    clock.set(clock.today + timedelta(days=40))
    assert numbers_on(listing(client, headers, "/invoices?status=overdue")) == {"D-001", "D-002", "D-004", "R1-001"}


# ---------------------------------------------------------------------------- 7. CSRF tokens


@pytest.fixture
def csrf_app(database_url, tmp_path):
    """The app with CSRF protection on (as in production), the world imported."""
    from models import db
    from models.importer import import_data

    application = make_app(database_url, tmp_path, WTF_CSRF_ENABLED=True)
    with db.connection_context():
        import_data(world_payload())
    yield application
    if not db.is_closed():
        db.close()


def sign_in_with_csrf(app, who):
    """A fresh browser session signed in as `who`, through the sign-in form with its CSRF token."""
    browser = app.test_client()
    page = browser.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    response = browser.post("/login", data={"email": USERS[who][0], "password": PASSWORD, "csrf_token": token})
    assert response.status_code == 303, f"sign-in as {who} failed"
    return browser


def tokens_on(html: str) -> set:
    """Every CSRF token a page carries: the Pay invoice forms' and the htmx wrapper's header."""
    return set(re.findall(r'name="csrf_token" value="([^"]+)"', html)) | set(re.findall(r'"X-CSRFToken": "([^"]+)"', html))


@pytest.mark.parametrize("second", ["ola", "kari"], ids=["colleague", "same-user-second-session"])
def test_a_cached_list_carries_no_token_and_the_page_carries_the_sessions_own(csrf_app, second):
    """The rows, which may be reused for a colleague, carry no CSRF token; the page around them carries this
    session's own, in the one form every row's Pay invoice submits and in the htmx header, and it pays."""
    first = sign_in_with_csrf(csrf_app, "kari")
    assert not tokens_on(listing(first, HX)), "a rendering that may be cached carries a token"
    (first_token,) = tokens_on(listing(first, PAGE))

    browser = sign_in_with_csrf(csrf_app, second)
    hits = cache_of(csrf_app).hits
    fragment = listing(browser, HX)
    assert cache_of(csrf_app).hits == hits + 1, "the second session did not get the cached rendering"
    assert not tokens_on(fragment)
    html = listing(browser, PAGE)
    (token,) = tokens_on(html)
    assert token != first_token and first_token not in html
    assert 'form="row-pay" name="invoice" value="D-001"' in row(html, "D-001")
    # The first session's token is refused for this session; this session's own token pays.
    refused = browser.post("/cart/invoices", data={"invoice": "D-001", "csrf_token": first_token})
    assert refused.status_code == 400
    accepted = browser.post("/cart/invoices", data={"invoice": "D-001", "csrf_token": token})
    assert accepted.status_code == 303
    assert "In cart" in row(listing(browser, HX), "D-001")
    # And the first session, asking again, gets a token of its own that pays for it.
    (again,) = tokens_on(listing(first, PAGE))
    assert first.post("/cart/invoices", data={"invoice": "R1-001", "csrf_token": again}).status_code == 303
    assert browser.post("/cart/invoices", data={"invoice": "R1-001", "csrf_token": again}).status_code == 400


def test_time_limited_csrf_tokens_in_a_cached_list_are_the_sessions_own(database_url, tmp_path):
    """With a CSRF time limit (tokens signed afresh per request) a page around a cached list carries a token that works."""
    from models import db
    from models.importer import import_data

    app = make_app(database_url, tmp_path, WTF_CSRF_ENABLED=True, WTF_CSRF_TIME_LIMIT=3600)
    with db.connection_context():
        import_data(world_payload())
    (first_token,) = tokens_on(listing(sign_in_with_csrf(app, "kari"), PAGE))
    ola = sign_in_with_csrf(app, "ola")
    hits = cache_of(app).hits
    (token,) = tokens_on(listing(ola, PAGE))
    assert cache_of(app).hits == hits + 1 and token != first_token
    assert ola.post("/cart/invoices", data={"invoice": "D-001", "csrf_token": token}, headers=HX).status_code == 200


def test_tokens_follow_a_separate_csrf_secret_key(sqlite_url, tmp_path):
    """With its own WTF_CSRF_SECRET_KEY set, the list's tokens are signed with it and accepted."""
    from models import db
    from models.importer import import_data

    app = make_app(sqlite_url, tmp_path, WTF_CSRF_ENABLED=True)
    with db.connection_context():
        import_data(world_payload())
    kari = sign_in_with_csrf(app, "kari")
    listing(kari, PAGE)
    app.config["WTF_CSRF_SECRET_KEY"] = "a-separate-csrf-secret"  # Flask-WTF reads it on every request
    (token,) = tokens_on(listing(kari, PAGE))
    assert kari.post("/cart/invoices", data={"invoice": "D-001", "csrf_token": token}).status_code == 303


def test_the_cached_htmx_token_header_is_accepted_too(csrf_app):
    """The X-CSRFToken header put on the page (around a cached rendering) is the session's and is accepted."""
    kari = sign_in_with_csrf(csrf_app, "kari")
    listing(kari, PAGE)
    ola = sign_in_with_csrf(csrf_app, "ola")
    html = listing(ola, PAGE)
    (token,) = tokens_on(html)
    response = ola.post("/cart/invoices", data={"invoice": "R1-001"}, headers={**HX, "X-CSRFToken": token})
    assert response.status_code == 200 and "In cart" in response.get_data(as_text=True)


# ---------------------------------------------------------------------------- 8. other customers


OTHERS_SEE = {  # what sara (RET-2) and anna (IND-1) see at each URL (tests/world.py)
    "/invoices": {"sara": VISIBLE["sara"], "anna": VISIBLE["anna"]},
    "/invoices?whose=own": {"sara": {"R2-001"}, "anna": VISIBLE["anna"]},  # anna has no organization account
    "/invoices?status=unpaid": {"sara": {"D-001", "D-002", "R2-001"}, "anna": {"I-001", "I-002"}},
    "/invoices?q=D-00": {"sara": {"D-001", "D-002", "D-003", "D-004"}, "anna": set()},
}


@both_forms
@pytest.mark.parametrize("url", list(OTHERS_SEE))
def test_another_customers_user_never_gets_the_first_customers_rows(app, world, client, auth, headers, url):
    """After kari's list is cached, sara (RET-2) and anna (IND-1) asking for the same URL see only their own."""
    auth.login("kari")
    kari_numbers = numbers_on(cached_listing(app, client, headers, url))
    assert kari_numbers and kari_numbers <= VISIBLE["kari"]
    for who in ("sara", "anna"):
        other = app.test_client()
        assert other.post("/login", data={"email": USERS[who][0], "password": PASSWORD}).status_code == 303
        seen = numbers_on(listing(other, headers, url))
        assert seen <= VISIBLE[who], f"{who} was shown {sorted(seen - VISIBLE[who])}"
        assert seen == OTHERS_SEE[url][who]
    # And kari's cached list is still kari's.
    assert numbers_on(listing(client, headers, url)) == kari_numbers


def test_a_customer_without_invoices_gets_an_empty_list_not_a_cached_one(app, world, client, auth):
    """A customer with no invoices at all sees the empty list even after other customers' lists were cached."""
    from models import db
    from models.importer import import_data
    from tests.world import customer

    with db.connection_context():
        import_data({"customers": [customer("NEW-1"), customer("NEW-2")],
                     "users": [{"email": f"u@{a.lower()}.example", "name": a, "password": PASSWORD, "customer": a}
                               for a in ("NEW-1", "NEW-2")]})
    auth.login("anna")
    assert numbers_on(cached_listing(app, client, HX)) == VISIBLE["anna"]
    for account in ("NEW-1", "NEW-2"):
        other = app.test_client()
        assert other.post("/login", data={"email": f"u@{account.lower()}.example", "password": PASSWORD}
                          ).status_code == 303
        html = listing(other, HX)
        assert numbers_on(html) == set() and "No invoices match." in html


# ---------------------------------------------------------------------------- 9. where renderings are kept


def test_no_budget_configured_turns_the_list_cache_off(sqlite_url, tmp_path):
    """RENDER_CACHE_MB = 0: the list is rendered afresh every time and stays right."""
    from models import db
    from models.importer import import_data

    app = make_app(sqlite_url, tmp_path, RENDER_CACHE_MB=0)
    with db.connection_context():
        import_data(world_payload())
    client = app.test_client()
    assert client.post("/login", data={"email": USERS["kari"][0], "password": PASSWORD}).status_code == 303
    first = listing(client, HX)
    assert listing(client, HX) == first
    assert cache_of(app).hits == 0 and cache_of(app).misses == 2
    record_payment("R1-001", "250.00")
    assert "Partially paid" in row(listing(client, HX), "R1-001")


def test_the_budget_comes_from_the_environment(sqlite_url, tmp_path, monkeypatch):
    """SETTLE_RENDER_CACHE_MB sets the budget when the config does not; 0 turns caching off."""
    from views.rendered_cache import config_for

    monkeypatch.setenv("SETTLE_RENDER_CACHE_MB", "0.5")
    app = make_app(sqlite_url, tmp_path)
    assert app.config["RENDER_CACHE_MB"] == 0.5 and config_for(app.config)["CACHE_TYPE"] == "views.rendered_cache.LRUCache"
    monkeypatch.setenv("SETTLE_RENDER_CACHE_MB", "0")
    assert config_for(make_app(sqlite_url, tmp_path).config)["CACHE_TYPE"] == "NullCache"


def test_a_full_cache_keeps_the_parts_last_used_and_stays_within_its_budget():
    """A process's cache at its budget drops the part least recently used — one read keeps a part — and never holds
    more than its threshold, however many parts come (views/rendered_cache.py: LRUCache)."""
    from views.rendered_cache import LRUCache

    cache = LRUCache(threshold=64)
    for n in range(64):
        cache.set(f"row-{n}", f"<tr>{n}</tr>")
    assert cache.get("row-0") == "<tr>0</tr>"  # used again: now the most recent
    for n in range(64, 1064):
        cache.set(f"row-{n}", f"<tr>{n}</tr>")
        if n == 64:
            assert cache.has("row-0") and not cache.has("row-1"), "the least recently used went first"
    assert len(cache._parts) == 64
    assert cache.get_many("row-1063", "row-1000", "row-999") == ["<tr>1063</tr>", "<tr>1000</tr>", None]
    assert not cache.add("row-1063", "other") and cache.get("row-1063") == "<tr>1063</tr>"
    assert cache.delete("row-1063") and not cache.has("row-1063") and cache.clear() and not cache.has("row-1000")


def signed_in(app, who="kari"):
    client = app.test_client()
    assert client.post("/login", data={"email": USERS[who][0], "password": PASSWORD}).status_code == 303
    return client


def test_each_app_has_its_own_cache_without_redis(sqlite_url, tmp_path):
    """Two apps in one process (no REDIS_URL) never share renderings."""
    from models import db
    from models.importer import import_data

    from app import create_app

    one = make_app(sqlite_url, tmp_path)
    with db.connection_context():
        import_data(world_payload())

    two = create_app({**one.config})  # the same database, another process's worth of memory
    listing(signed_in(one), HX)
    listing(signed_in(two), HX)
    assert cache_of(two).hits == 0 and cache_of(two).misses == 1


def test_with_redis_every_worker_and_host_shares_renderings(sqlite_url, tmp_path):
    """With REDIS_URL, a list rendered by one app (another worker or host) is reused by the next."""
    import redis

    url = "redis://127.0.0.1:6379/0"
    prefix = f"settle-test:{uuid.uuid4().hex}:"  # this test's own keys: other runs may share the server
    try:
        redis.Redis.from_url(url).ping()
    except redis.exceptions.ConnectionError as error:
        pytest.skip(f"no Redis at {url}: {error}")
    from app import create_app
    from models import db
    from models.importer import import_data

    one = make_app(sqlite_url, tmp_path, REDIS_URL=url, RENDER_CACHE_KEY_PREFIX=prefix)
    with db.connection_context():
        import_data(world_payload())
    two = create_app({**one.config})
    first = listing(signed_in(one), HX)
    assert listing(signed_in(two, "ola"), HX) == first
    assert cache_of(two).hits == 1 and cache_of(two).misses == 0
    record_payment("R1-001", "250.00")  # a write through neither app: both see it
    assert "Partially paid" in row(listing(signed_in(two), HX), "R1-001")
    assert "Partially paid" in row(listing(signed_in(one), HX), "R1-001")
    server = redis.Redis.from_url(url)
    assert server.keys(f"{prefix}*")
    server.delete(*server.keys(f"{prefix}*"))


# ---------------------------------------------------------------------------- 10. hits


@both_forms
@pytest.mark.parametrize("url", ["/invoices", "/invoices?status=partial&sort=amount"])
def test_a_repeated_request_is_served_from_the_cache_byte_for_byte(app, world, client, auth, headers, url):
    """Asking for the same list again is answered from the cache, byte-identical to a fresh rendering."""
    auth.login("kari")
    first = client.get(url, headers=headers)
    cache = cache_of(app)
    hits, misses = cache.hits, cache.misses
    second = client.get(url, headers=headers)
    assert (cache.hits, cache.misses) == (hits + 1, misses)
    assert second.status_code == 200 and same_page(second.get_data(as_text=True)) == same_page(first.get_data(as_text=True))
    cache.clear()
    fresh = client.get(url, headers=headers)
    assert cache.misses == misses + 1 and same_page(fresh.get_data(as_text=True)) == same_page(second.get_data(as_text=True))
    for name in ("Content-Type", "Vary", "Cache-Control", "Content-Security-Policy"):
        assert second.headers.get(name) == fresh.headers.get(name), name
    assert second.headers["Cache-Control"] == "no-store" and "HX-Request" in second.headers["Vary"]


def test_a_very_long_url_is_keyed_by_what_it_asks_for_and_always_right(app, world, client, auth):
    """A list URL padded with unknown arguments is the list its known filters ask for, and shows changes."""
    auth.login("kari")
    url = "/invoices?status=all&pad=" + "x" * 600
    listing(client, HX, url)
    assert "Unpaid" in row(listing(client, HX, url), "R1-001")
    assert listing(client, HX, url) == listing(client, HX, "/invoices")
    record_payment("R1-001", "250.00")
    assert "Partially paid" in row(listing(client, HX, url), "R1-001")


def test_the_fragment_and_the_page_are_cached_apart(app, world, client, auth):
    """The htmx fragment and the full page of one URL never answer for each other."""
    auth.login("kari")
    fragment, page = cached_listing(app, client, HX), cached_listing(app, client, PAGE)
    assert "<html" not in fragment and 'hx-swap-oob="innerHTML"' in fragment
    assert "<html" in page and 'hx-swap-oob' not in page
    for header in ("HX-Boosted", "HX-History-Restore-Request"):  # htmx asking for a whole page gets one
        html = client.get("/invoices", headers={**HX, header: "true"}).get_data(as_text=True)
        assert "<html" in html and html.count('id="results"') == 1


# ---------------------------------------------------------------------------- 11. sessions


def _serializer(secret: str):
    """Flask's session cookie serializer for `secret` (what a forger with the wrong key would use)."""
    from flask.json.tag import TaggedJSONSerializer
    from itsdangerous import URLSafeTimedSerializer

    return URLSafeTimedSerializer(secret, salt="cookie-session", serializer=TaggedJSONSerializer(),
                                  signer_kwargs={"key_derivation": "hmac", "digest_method": hashlib.sha1})


def _forgeries(genuine: str, nina_id: int) -> dict:
    """Cookies an attacker could build from kari's genuine one."""
    payload, timestamp, signature = genuine.rsplit(".", 2)
    data = _serializer("test-secret").loads(genuine)
    assert "_user_id" in data  # (the genuine cookie really is kari's signed session)
    as_nina = {**data, "_user_id": str(nina_id)}
    wrong_key = _serializer("not-the-secret").dumps(as_nina)
    wrong_payload = wrong_key.rsplit(".", 2)[0]
    flipped = ("B" if signature[0] == "A" else "A") + signature[1:]
    return {
        "signature changed": f"{payload}.{timestamp}.{flipped}",
        "payload swapped (nina), kari's signature": f"{wrong_payload}.{timestamp}.{signature}",
        "signed with another key": wrong_key,
        "truncated": genuine[:-3],
        "timestamp changed": f"{payload}.{timestamp[:-1]}{'B' if timestamp[-1] == 'A' else 'A'}.{signature}",
    }


@both_forms
def test_a_tampered_session_cookie_is_refused_even_after_the_genuine_one_was_used(
        app, world, client, auth, headers):
    """A forged or altered session cookie sends the visitor to sign in, however often the genuine one was used."""
    from models import db
    from models.customer import User

    auth.login("kari")
    genuine = client.get_cookie("session").value
    cached_listing(app, client, headers)  # the genuine cookie verified, remembered, used from memory
    with db.connection_context():
        nina_id = User.get(User.email == USERS["nina"][0]).id
    for what, forged in _forgeries(genuine, nina_id).items():
        intruder = app.test_client()
        intruder.set_cookie("session", forged)
        response = intruder.get("/invoices", headers=headers)
        assert sent_to_sign_in(response, headers), what
    # The genuine cookie still works, in a browser of its own too.
    again = app.test_client()
    again.set_cookie("session", genuine)
    assert numbers_on(listing(again, headers)) == VISIBLE["kari"]


def test_a_cookie_signed_with_an_old_secret_is_refused_after_rotation(app, world, client, auth):
    """After the secret key is changed, a remembered cookie of the old key no longer signs in (unless a fallback)."""
    auth.login("kari")
    genuine = client.get_cookie("session").value
    listing(client, PAGE)
    listing(client, PAGE)

    def visit():
        browser = app.test_client()
        browser.set_cookie("session", genuine)
        return browser.get("/invoices")

    app.config["SECRET_KEY"] = "rotated-secret"
    assert sent_to_sign_in(visit(), PAGE)
    app.config["SECRET_KEY_FALLBACKS"] = ["test-secret"]
    assert visit().status_code == 200
    app.config["SECRET_KEY_FALLBACKS"] = []
    assert sent_to_sign_in(visit(), PAGE)


def test_an_expired_session_is_refused_even_though_it_was_remembered(app, world, client, auth, monkeypatch):
    """Once the session's lifetime has passed, the remembered cookie no longer signs in."""
    auth.login("kari")
    listing(client, HX)
    listing(client, HX)
    lifetime = app.permanent_session_lifetime.total_seconds()
    now = time.time()
    monkeypatch.setattr(time, "time", lambda: now + lifetime + 60)
    response = client.get("/invoices", headers=HX)
    assert sent_to_sign_in(response, HX)


def test_a_flash_message_shows_once_although_the_session_was_remembered(app, world, client, auth):
    """A message (here: the language switch's) shows on the next page only, not on every page after it."""
    auth.login("kari")
    cached_listing(app, client, PAGE)
    assert client.post("/language", data={"lang": "en", "next": "/invoices"}).status_code == 303
    message = "The portal is now shown in English."
    assert message in listing(client, PAGE)
    assert message not in listing(client, PAGE) and message not in listing(client, PAGE)


def test_signing_out_ends_the_session_in_this_browser(app, world, client, auth):
    """After signing out the same browser is sent to sign in, although its old cookie was remembered."""
    auth.login("kari")
    cached_listing(app, client, PAGE)
    assert auth.logout().status_code == 303
    assert sent_to_sign_in(client.get("/invoices"), PAGE)
