"""No N+1: each page runs the same number of SQL statements for an invoice of 1 line or of 200,
and for the first page of the list or its 100th — on SQLite and on PostgreSQL."""
import re
from datetime import date, timedelta

import pytest

from bench.data import bulk_insert

# The list's queries (search, sort, page arms, counts) are the engines' own: every test runs on both.
pytestmark = pytest.mark.both_databases

EXTRA = 2_525  # with the world's invoices: more than 100 pages of 25 for kari (RET-1 + DIST-1)
HX = {"HX-Request": "true"}


@pytest.fixture
def big_world(world, app, clock):
    """The test world plus 10,025 invoices billed to DIST-1 and two invoices of 1 and 200 lines."""
    from models import db
    from models.customer import Customer
    from models.invoice import Invoice, InvoiceLine

    today = clock.today
    with db.connection_context():
        dist = Customer.get(Customer.account == "DIST-1").id
        ret1 = Customer.get(Customer.account == "RET-1").id
        with db.atomic():
            first = (Invoice.select(Invoice.id).order_by(Invoice.id.desc()).scalar() or 0) + 1
            fields = [Invoice.id, Invoice.number, Invoice.invoice_account, Invoice.order_account,
                      Invoice.invoice_date, Invoice.due_date, Invoice.currency, Invoice.total, Invoice.balance,
                      Invoice.status, Invoice.discount_percent, Invoice.discount_until, Invoice.created_at]
            rows = []
            for i in range(EXTRA + 2):
                day = today - timedelta(days=i % 700)
                number = {EXTRA: "ONE-1", EXTRA + 1: "BIG-200"}.get(i, f"X-{i:06d}")
                status, balance = (("paid", 0) if i % 3 == 0 else ("unpaid", 12500)) if i < EXTRA else ("unpaid", 12500)
                rows.append((first + i, number, dist, ret1 if i % 2 else dist, day, day + timedelta(days=30), "NOK",
                             12500, balance, status, 0, None, f"{day} 08:00:00"))
            bulk_insert(Invoice, fields, rows)
            line_fields = [InvoiceLine.invoice, InvoiceLine.line_no, InvoiceLine.item, InvoiceLine.description,
                           InvoiceLine.quantity, InvoiceLine.unit_price, InvoiceLine.tax_percent,
                           InvoiceLine.amount, InvoiceLine.tax]
            big = first + EXTRA + 1
            lines = [(first + EXTRA, 1, "A-100", "Pallet wrap", 10, 100, 25, 10000, 2500)]
            lines += [(big, n, "A-100", f"Pallet wrap {n}", 1, 0.5, 25, 50, 13) for n in range(1, 201)]
            bulk_insert(InvoiceLine, line_fields, lines)
        if "postgres" in type(db.obj).__name__.lower():
            for table in (Invoice._meta.table_name, InvoiceLine._meta.table_name):
                db.execute_sql(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT MAX(id) FROM {table}))")
    return world


def statements(count_queries, call):
    before = len(count_queries)
    response = call()
    assert response.status_code in (200, 303), response.status_code
    return count_queries.statements[before:], response


def next_link(html: str) -> str:
    return re.search(r'href="([^"]+)"[^>]*rel="next"', html).group(1).replace("&amp;", "&")


def test_list_fragment_and_page_same_queries_on_page_1_and_page_100(big_world, client, auth, count_queries):
    auth.login("kari")
    client.get("/invoices?sort=due_date", headers=HX)  # warm: the first request of a session may set up things
    first, response = statements(count_queries, lambda: client.get("/invoices", headers=HX))
    pages = re.search(r"Page 1 of (\d+)", response.get_data(as_text=True)).group(1)
    assert int(pages) > 100
    deep, response = statements(count_queries, lambda: client.get("/invoices?page=100", headers=HX))
    html99 = client.get("/invoices?page=99", headers=HX).get_data(as_text=True)
    assert f"Page 100 of {pages}" in response.get_data(as_text=True)
    keyset, response = statements(count_queries, lambda: client.get(next_link(html99), headers=HX))
    assert "page=100" in next_link(html99) and "after=" in next_link(html99)
    assert f"Page 100 of {pages}" in response.get_data(as_text=True)
    assert len(first) == len(deep) == len(keyset), (first, deep, keyset)
    # The user (with customer, organization and cart contents), summary, page, and the account overview: one
    # query over the accounts' open balance by day (models/aging.py), whatever the number of invoices.
    assert len(first) <= 4, first
    assert sum('"invoice_aging"' in sql for sql in first) == 1, first

    # Asked again with nothing changed, the rows come from the rendered-row cache, with the same queries.
    from views.rendered_cache import stats

    with client.application.app_context():
        hits = stats()["hits"]
    again, cached = statements(count_queries, lambda: client.get("/invoices", headers=HX))
    with client.application.app_context():
        assert stats()["hits"] == hits + 1
    assert len(again) == len(first), again
    assert cached.get_data(as_text=True) == client.get("/invoices?page=1&sort=attention", headers=HX).get_data(
        as_text=True)

    full_first, _ = statements(count_queries, lambda: client.get("/invoices"))
    full_deep, _ = statements(count_queries, lambda: client.get("/invoices?page=100"))
    assert len(full_first) == len(full_deep), (full_first, full_deep)
    for status in ("unpaid", "paid", "overdue"):
        one, _ = statements(count_queries, lambda: client.get(f"/invoices?status={status}", headers=HX))
        far, _ = statements(count_queries, lambda: client.get(f"/invoices?status={status}&page=100", headers=HX))
        assert len(one) == len(far), (status, one, far)


def test_invoice_page_same_queries_for_1_line_and_200(big_world, client, auth, count_queries):
    auth.login("kari")
    client.get("/invoices/ONE-1")
    one, response = statements(count_queries, lambda: client.get("/invoices/ONE-1"))
    many, response = statements(count_queries, lambda: client.get("/invoices/BIG-200"))
    assert response.get_data(as_text=True).count("Pallet wrap ") >= 200
    assert len(one) == len(many), (one, many)


def test_cart_add_same_queries_whatever_the_cart_already_holds(big_world, client, auth, count_queries):
    """Pay invoice reads the cart's lines under its lock: one query for them, however many there are."""
    from models import db
    from models.invoice import Invoice

    auth.login("kari")
    with db.connection_context():
        numbers = [n for (n,) in Invoice.select(Invoice.number).where(Invoice.number.startswith("X-"),
                                                                       Invoice.status == "unpaid").limit(40).tuples()]
    client.post("/cart/clear")
    client.post("/cart/invoices", data={"invoice": numbers[0]}, headers=HX)
    few, _ = statements(count_queries, lambda: client.post("/cart/invoices", data={"invoice": numbers[1]},
                                                            headers=HX))
    for number in numbers[2:39]:
        client.post("/cart/invoices", data={"invoice": number}, headers=HX)
    many, response = statements(count_queries, lambda: client.post("/cart/invoices", data={"invoice": numbers[39]},
                                                                    headers=HX))
    assert "Cart" in response.get_data(as_text=True) and "(40)" in response.get_data(as_text=True)
    assert len(few) == len(many), (few, many)


def test_request_dialog_costs_a_fixed_few_queries(big_world, client, auth, count_queries):
    """The dialog needs the user and the invoice: the same few statements for any invoice."""
    auth.login("kari")
    client.get("/invoices/ONE-1/request", headers=HX)
    one, _ = statements(count_queries, lambda: client.get("/invoices/ONE-1/request", headers=HX))
    many, _ = statements(count_queries, lambda: client.get("/invoices/BIG-200/request", headers=HX))
    assert len(one) == len(many) <= 2, (one, many)
