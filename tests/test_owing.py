"""Knowing what you owe, over HTTP: the overview on the list, filters and search, Pay selected and Pay all
overdue, the exports, the statement (page, PDF, email request) and the payments page.

World (tests/world.py), today: kari (RET-1, organization DIST-1) sees D-001..D-004, R1-001, R1-002; D-002 is 10
days overdue (1,250.00, ordered by RET-2); D-004 has 1,000.00 left; anna (IND-1) has I-001 and I-002 (PLN,
I-002 5 days overdue).
"""
from __future__ import annotations

import csv
import io
import re
from datetime import date, timedelta
from decimal import Decimal

import pytest

from tests.test_checkout import pay
from tests.test_visibility import all_listed
from tests.world import USERS, VISIBLE, invoice

HX = {"HX-Request": "true"}


def cart_numbers(app, who="kari") -> set:
    from models import db
    from models.cart import CartLine, Cart
    from models.customer import User
    from models.invoice import Invoice

    with app.app_context(), db.connection_context():
        user = User.get(User.email == USERS[who][0])
        return {number for (number,) in CartLine.select(Invoice.number).join(Invoice).switch(CartLine)
                .join(Cart).where(Cart.user == user.id).tuples()}


def add_invoices(app, payload_invoices, customers=()):
    from models import db
    from models.importer import import_data
    from tests.world import world_payload

    payload = world_payload()
    payload["customers"] += list(customers)
    payload["invoices"] += payload_invoices
    with app.app_context(), db.connection_context():
        import_data(payload)


# ---------------------------------------------------------------------------- the overview


def test_the_list_leads_with_the_overview_and_its_buckets_lead_to_the_list(world, client, auth):
    auth.login("kari")
    html = client.get("/invoices").get_data(as_text=True)
    region = html[html.index('id="overview-region"'):html.index('class="filters"')]
    assert "Account overview" in region
    # 1,250 (D-001) + 1,250 (D-002) + 1,000 (D-004) + 1,250 (R1-001) open; D-002 overdue.
    assert re.search(r"Total open</dt><dd><strong>NOK\s?4,750.00", region)
    assert re.search(r"Overdue</dt><dd><strong>NOK\s?1,250.00", region)
    assert "Due in the next 7 days" in region
    links = dict(re.findall(r'<a class="aging-bar[^"]*" href="([^"]+)".*?<span class="aging-label">([^<]+)<', region, re.S))
    assert sorted(links.values()) == sorted(["Not yet due", "1–30 days", "31–60 days", "61–90 days", "Over 90 days"])
    overdue_link = next(url for url, name in links.items() if name == "1–30 days")
    assert all_listed(client, **dict(p.split("=") for p in overdue_link.split("?")[1].split("&amp;"))) == {"D-002"}
    assert all_listed(client, aging="current") == {"D-001", "D-004", "R1-001"}
    assert all_listed(client, aging="90+") == set()
    # The htmx answer swaps the overview out of band with the rows.
    fragment = client.get("/invoices?order_account=RET-2", headers=HX).get_data(as_text=True)
    assert '<div id="overview" hx-swap-oob="innerHTML">' in fragment
    assert re.search(r"Total open</dt><dd><strong>NOK\s?1,250.00", fragment)  # only D-002 was ordered by RET-2


def test_an_independent_customer_sees_its_own_currency_only(world, client, auth):
    auth.login("anna")
    html = client.get("/invoices").get_data(as_text=True)
    region = html[html.index('id="overview-region"'):html.index('class="filters"')]
    assert "PLN" in region and "NOK" not in region


def test_default_order_puts_what_needs_attention_first_and_pages_by_key(app, world, client, auth, clock):
    today = clock.today
    add_invoices(app, [invoice(f"Z-{i:02d}", "IND-1", days_ago=i * 4, net_days=30, currency="PLN", on=today,
                               paid="1250.00" if i % 3 == 0 else "0.00") for i in range(60)])
    from models import db
    from models.invoice import Invoice

    auth.login("anna")
    listed, url = [], "/invoices"
    while url:
        html = client.get(url).get_data(as_text=True)
        listed += re.findall(r'href="/invoices/([A-Z0-9-]+)"', html)
        found = re.search(r'href="([^"]+)"[^>]*rel="next"', html)
        url = found.group(1).replace("&amp;", "&") if found else None
        assert url is None or "after=" in url or "page=2" not in url
    with app.app_context(), db.connection_context():
        facts = {i.number: i for i in Invoice.select()}
    open_ = [n for n in listed if facts[n].balance > 0]
    paid = [n for n in listed if facts[n].balance == 0]
    assert listed == open_ + paid and len(listed) == len(set(listed)) == 62
    assert [facts[n].due_date for n in open_] == sorted(facts[n].due_date for n in open_)
    assert [facts[n].due_date for n in paid] == sorted((facts[n].due_date for n in paid), reverse=True)
    # Previous links from deep pages give back the same pages.
    page3 = client.get("/invoices?page=3").get_data(as_text=True)
    back = re.search(r'href="([^"]+)"[^>]*rel="prev"', page3).group(1).replace("&amp;", "&")
    page2 = client.get(back).get_data(as_text=True)
    assert re.findall(r'href="/invoices/([A-Z0-9-]+)"', page2) == listed[25:50]


# ---------------------------------------------------------------------------- filters and search


@pytest.mark.both_databases
def test_filters_search_and_amounts(app, world, client, auth, clock):
    today = clock.today
    auth.login("nina")
    assert all_listed(client, order_account="RET-1") == {"D-001", "D-004"}
    assert all_listed(client, order_account="IND-1") == set()  # another company's code shows nothing of theirs
    assert all_listed(client, q="RET-2") == {"D-002"}
    assert all_listed(client, q="ret-2 comp") == {"D-002"}  # the order account's name, any case
    assert all_listed(client, q="1,000.00") == {"D-004"}  # a balance, as English writes it
    assert all_listed(client, q="1250") == {"D-001", "D-002", "D-003", "D-004"}  # totals
    assert all_listed(client, due_from=(today + timedelta(days=1)).isoformat()) == {"D-001", "D-004"}
    assert all_listed(client, invoice_to=(today - timedelta(days=30)).isoformat()) == {"D-002", "D-003"}
    assert all_listed(client, invoice_from=(today - timedelta(days=20)).isoformat(),
                      invoice_to=(today - timedelta(days=3)).isoformat()) == {"D-001", "D-004"}
    html = client.get("/invoices?due_from=2026-13-45&aging=old&order_account=" + "X" * 41).get_data(as_text=True)
    assert "was not a date" in html and "aging filter is unknown" in html and "order account is not valid" in html
    client.post("/language", data={"lang": "nb"})
    assert all_listed(client, q="1 000,00") == {"D-004"}  # as Norwegian writes it


# ---------------------------------------------------------------------------- Pay selected, Pay all overdue


def test_pay_selected_puts_every_ticked_invoice_in_the_cart_in_one_go(world, app, client, auth):
    auth.login("kari")
    html = client.get("/invoices").get_data(as_text=True)
    assert 'form="pay-selected" name="invoice" value="D-004" aria-label="Select D-004"' in html
    assert 'aria-label="Select D-003"' not in html  # paid: nothing to select
    assert '<form id="pay-selected" method="post"' in html
    response = client.post("/cart/invoices/selected", data={"invoice": ["D-001", "D-004", "R1-001"]})
    assert response.status_code == 303 and response.headers["Location"].endswith("/cart")
    assert cart_numbers(app) == {"D-001", "D-004", "R1-001"}
    assert "3 invoices were put in your cart." in client.get("/cart").get_data(as_text=True)
    # Again with one more: the ones there stay once.
    client.post("/cart/invoices/selected", data={"invoice": ["D-001", "D-002"]})
    assert cart_numbers(app) == {"D-001", "D-002", "D-004", "R1-001"}


def test_pay_selected_refuses_whole_and_adds_nothing(world, app, client, auth):
    from models import db
    from models.invoice import Invoice

    auth.login("kari")
    # Another company's invoice among them: 404, nothing added.
    assert client.post("/cart/invoices/selected", data={"invoice": ["D-001", "I-001"]}).status_code == 404
    assert client.post("/cart/invoices/selected", data={"invoice": ["D-001", "NOPE"]}).status_code == 404
    assert client.post("/cart/invoices/selected", data={"invoice": ["D-001", "x" * 300]}).status_code == 404
    assert cart_numbers(app) == set()
    # Paid meanwhile: refused with the invoice named, nothing added.
    with app.app_context(), db.connection_context():
        Invoice.update(balance=0, status="paid").where(Invoice.number == "R1-001").execute()
    response = client.post("/cart/invoices/selected", data={"invoice": ["D-001", "R1-001"]}, headers=HX)
    assert response.status_code == 409 and "R1-001 is paid in full" in response.get_data(as_text=True)
    assert cart_numbers(app) == set()
    # Nothing ticked.
    response = client.post("/cart/invoices/selected", data={}, headers=HX)
    assert response.status_code == 409 and "Select the invoices to pay first" in response.get_data(as_text=True)
    # A product cart: the usual message, nothing added.
    client.post("/cart/products", data={"product": "A-100", "quantity": "1"})
    response = client.post("/cart/invoices/selected", data={"invoice": ["D-001"]}, headers=HX)
    assert response.status_code == 409 and "Your cart holds products to order" in response.get_data(as_text=True)
    assert cart_numbers(app) == set()


def test_pay_selected_refuses_mixed_currencies(app, world, client, auth, clock):
    add_invoices(app, [invoice("E-001", "DIST-1", "RET-1", currency="EUR", on=clock.today),
                       invoice("E-002", "DIST-1", "RET-1", days_ago=50, currency="EUR", on=clock.today)])
    auth.login("kari")
    response = client.post("/cart/invoices/selected", data={"invoice": ["D-001", "E-001"]}, headers=HX)
    assert response.status_code == 409 and "several currencies (EUR, NOK)" in response.get_data(as_text=True)
    assert cart_numbers(app) == set()
    # Pay all overdue, one currency at a time; with two, each has its own button.
    html = client.get("/invoices").get_data(as_text=True)
    assert "Pay all overdue in EUR" in html and "Pay all overdue in NOK" in html
    assert client.post("/cart/invoices/overdue", data={"currency": "EUR"}).status_code == 303
    assert cart_numbers(app) == {"E-002"}
    response = client.post("/cart/invoices/overdue", data={"currency": "NOK"}, headers=HX)
    assert response.status_code == 409 and "Your cart holds invoices in EUR" in response.get_data(as_text=True)
    assert cart_numbers(app) == {"E-002"}


def test_pay_all_overdue_keeps_the_order_account_and_a_crafted_currency_adds_nothing(app, world, client, auth, clock):
    add_invoices(app, [invoice("D-009", "DIST-1", "RET-1", days_ago=45, on=clock.today)])
    auth.login("nina")
    assert client.post("/cart/invoices/overdue?order_account=RET-1", data={"currency": "NOK"}).status_code == 303
    assert cart_numbers(app, "nina") == {"D-009"}
    response = client.post("/cart/invoices/overdue", data={"currency": "PLN"}, headers=HX)
    assert response.status_code == 409 and "Nothing overdue" in response.get_data(as_text=True)
    assert client.post("/cart/invoices/overdue", data={"currency": "NOK"}).status_code == 303
    assert cart_numbers(app, "nina") == {"D-009", "D-002"}


# ---------------------------------------------------------------------------- exports


def csv_rows(client, **params) -> list[dict]:
    response = client.get("/invoices/export.csv", query_string=params)
    assert response.status_code == 200 and response.mimetype == "text/csv"
    text = response.get_data(as_text=True)
    assert text.splitlines()[0] == "number,invoice_date,due_date,order_account,invoice_account,currency,total,balance,status"
    return list(csv.DictReader(io.StringIO(text)))


@pytest.mark.both_databases
def test_exports_hold_exactly_what_the_list_holds_for_every_filter(app, world, client, auth, clock):
    from openpyxl import load_workbook

    today = clock.today
    add_invoices(app, [invoice(f"M-{i:03d}", "DIST-1", ["RET-1", "RET-2", "DIST-1"][i % 3], days_ago=i * 2,
                               paid="1250.00" if i % 4 == 0 else "0.00", on=today) for i in range(70)])
    auth.login("kari")
    filters = [{}, {"status": "overdue"}, {"status": "paid"}, {"aging": "1-30"}, {"aging": "current"},
               {"order_account": "RET-2"}, {"q": "M-01"}, {"whose": "own"}, {"sort": "-amount"},
               {"due_from": (today - timedelta(days=20)).isoformat(), "due_to": today.isoformat()},
               {"order_account": "IND-1"}, {"status": "unpaid", "q": "RET-1"}]
    for params in filters:
        listed = all_listed(client, **params)
        rows = csv_rows(client, **params)
        assert {row["number"] for row in rows} == listed, params
        assert len(rows) == len(listed), params
        response = client.get("/invoices/export.xlsx", query_string=params)
        sheet = load_workbook(io.BytesIO(response.data), read_only=True).active
        values = list(sheet.values)
        header = values.index(("number", "invoice_date", "due_date", "order_account", "invoice_account", "currency",
                               "total", "balance", "status"))
        assert {row[0] for row in values[header + 1:]} == listed, params
    row = next(r for r in csv_rows(client, q="D-004"))
    assert row == {"number": "D-004", "invoice_date": (today - timedelta(days=20)).isoformat(),
                   "due_date": (today + timedelta(days=10)).isoformat(), "order_account": "RET-1",
                   "invoice_account": "DIST-1", "currency": "NOK", "total": "1250.00", "balance": "1000.00",
                   "status": "Partially paid"}


def test_excel_has_real_numbers_dates_filters_and_a_frozen_header(world, client, auth):
    from openpyxl import load_workbook

    auth.login("kari")
    response = client.get("/invoices/export.xlsx?status=partial")
    assert response.mimetype.endswith("spreadsheetml.sheet")
    assert 'attachment; filename="invoices-' in response.headers["Content-Disposition"]
    sheet = load_workbook(io.BytesIO(response.data)).active
    values = [list(row) for row in sheet.values]
    assert ["Status", "Partially paid"] == values[2][:2]
    header = next(i for i, row in enumerate(values) if row[0] == "number")
    assert sheet.freeze_panes == f"A{header + 2}"
    (row,) = values[header + 1:]
    assert row[0] == "D-004" and row[6] == 1250 and row[7] == 1000 and hasattr(row[1], "year")


def test_a_cell_never_starts_a_formula(app, client, auth, clock):
    """The import refuses such codes today (models/importer.py); rows written before that, or by other means, are
    still exported as text, never as formulas."""
    from openpyxl import load_workbook

    from models import db
    from models.customer import Customer
    from models.invoice import Invoice

    nasty = [{"account": "EVIL-1", "name": "Evil", "email": "e@x.example", "currency": "NOK",
              "billing_address": "x", "invoice_account": "IND-1"}]
    numbers = ["+SUM(A1)", "-2+3", "@cmd", "=1+1"]
    add_invoices(app, [invoice(f"EVIL-{i}", "IND-1", "EVIL-1", currency="PLN", on=clock.today)
                       for i in range(len(numbers))], customers=nasty)
    with app.app_context(), db.connection_context():
        Customer.update(account="=HYPERLINK(1)").where(Customer.account == "EVIL-1").execute()
        for i, number in enumerate(numbers):
            Invoice.update(number=number).where(Invoice.number == f"EVIL-{i}").execute()
    auth.login("anna")
    rows = csv_rows(client)
    evil = [row for row in rows if row["order_account"] != "IND-1"]
    assert {row["number"] for row in evil} == {"'" + n for n in numbers}
    assert all(row["order_account"] == "'=HYPERLINK(1)" for row in evil)
    sheet = load_workbook(io.BytesIO(client.get("/invoices/export.xlsx").data)).active
    cells = [cell for row in sheet.iter_rows() for cell in row if isinstance(cell.value, str)]
    assert not any(cell.value.startswith(("=", "+", "-", "@", "\t", "\r")) for cell in cells)
    assert not any(cell.data_type == "f" for cell in cells)


# ---------------------------------------------------------------------------- statement


def test_statement_page_pdf_and_totals_agree(world, client, auth, clock):
    from pypdf import PdfReader

    auth.login("kari")
    html = client.get("/statement").get_data(as_text=True)
    assert "<h1>Statement of account</h1>" in html and 'for="as_of"' in html
    assert "Download statement" in html and "Email me the statement" in html
    total = re.search(r"data-total-open>([^<]+)<", html).group(1)
    buckets = re.findall(r"<td class=\"num\" data-bucket>([^<]+)</td>", html)
    assert total.replace("\u00a0", " ") in ("NOK 4,750.00", "NOK 4,750.00")
    pdf = client.get("/statement.pdf")
    assert pdf.mimetype == "application/pdf"
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.data)).pages)
    flat = lambda s: re.sub(r"\s+", " ", s.replace("\u00a0", " "))  # noqa: E731
    for amount in [total] + buckets:
        assert flat(amount) in flat(text)
    for number in ("D-001", "D-002", "D-004", "R1-001"):
        assert number in text
    open_items = text[:text.index("PAYMENTS IN THE PERIOD")]  # section labels print in capitals
    assert "D-003" not in open_items  # paid (on import, today): a payment of the period, not an open item


def test_statement_as_of_an_earlier_day_counts_what_was_open_then(world, client, auth, clock):
    auth.login("kari")
    pay(client, {"D-002": "1250.00"})
    today = clock.today
    now = client.get("/statement").get_data(as_text=True)
    assert re.search(r"data-total-open>NOK\s?3,500.00", now)  # D-002 paid today
    clock.set(today + timedelta(days=1))
    before = client.get(f"/statement?as_of={(today - timedelta(days=1)).isoformat()}").get_data(as_text=True)
    assert re.search(r"data-total-open>NOK\s?4,750.00", before)  # yesterday D-002 was still open
    assert re.search(r"data-overdue>NOK\s?1,250.00", before)
    for bad in ("2026-02-30", "tomorrow", (today + timedelta(days=30)).isoformat()):
        assert client.get(f"/statement?as_of={bad}").status_code == 200


def test_email_me_the_statement_is_a_b2b_request_listed_on_my_account(app, world, client, auth, clock):
    from models import db
    from models.request import B2BRequest

    auth.login("kari")
    response = client.post("/statement/email", data={"as_of": clock.today.isoformat()})
    assert response.status_code == 303
    client.post("/statement/email", data={"as_of": clock.today.isoformat()})  # a double click: one request
    with app.app_context(), db.connection_context():
        (request,) = B2BRequest.select()
        assert request.type == "statement" and request.invoice_id is None and request.as_of == clock.today
    account = client.get("/account").get_data(as_text=True)
    assert "Statement as of" in account and "Statement of account by email" in account and "Pending" in account


def test_email_me_the_statement_with_a_crafted_day_requests_nothing(app, world, client, auth, clock):
    """The page sends the day it shows; a form without one, or with a day that cannot be, is refused with the
    reason (not quietly turned into today's statement)."""
    from models import db
    from models.request import B2BRequest

    auth.login("kari")
    tomorrow = (clock.today + timedelta(days=1)).isoformat()
    for data in ({}, {"as_of": "2026-13-45"}, {"as_of": tomorrow}, {"as_of": "1999-12-31"}):
        response = client.post("/statement/email", data=data, headers={"HX-Request": "true"})
        assert response.status_code == 422
        assert "Nothing was requested" in response.get_data(as_text=True)
    response = client.post("/statement/email", data={"as_of": "garbage"}, follow_redirects=True)
    assert "A statement can be emailed for a day from 2000-01-01 to today" in response.get_data(as_text=True)
    with app.app_context(), db.connection_context():
        assert B2BRequest.select().count() == 0


# ---------------------------------------------------------------------------- payments


def test_payments_page_lists_payments_of_visible_invoices_with_receipts(app, world, client, auth, clock):
    from pypdf import PdfReader

    auth.login("kari")
    receipt = pay(client, {"D-001": "100.00"})
    reference = receipt.headers["Location"].rsplit("/", 1)[1]
    html = client.get("/payments").get_data(as_text=True)
    assert "<h1>Payments</h1>" in html
    assert f'href="/receipts/{reference}"' in html and f'href="/receipts/{reference}/pdf"' in html
    assert "D-003" in html and "Paid before" in html  # imported payments of visible invoices
    assert "Kari" in html  # who paid
    assert "I-00" not in html
    pdf = client.get(f"/receipts/{reference}/pdf")
    assert pdf.mimetype == "application/pdf" and "D-001" in PdfReader(io.BytesIO(pdf.data)).pages[0].extract_text()
    tomorrow = (clock.today + timedelta(days=1)).isoformat()
    assert "No payments match" in client.get(f"/payments?from={tomorrow}").get_data(as_text=True)
    assert client.get("/payments?from=garbage&page=-3").status_code == 200
    assert "D-003" in client.get("/payments?to=9999-12-31&from=0001-01-01").get_data(as_text=True)  # no day after
    auth.logout()
    auth.login("anna")
    assert client.get(f"/receipts/{reference}/pdf").status_code == 404
    assert "D-001" not in client.get("/payments").get_data(as_text=True)
