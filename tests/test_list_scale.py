"""What makes the list fast must not change what it shows: counts and totals kept by the database, pages
continued from the previous page's last row, exact-number search — on SQLite and PostgreSQL."""
import re
from decimal import Decimal

import pytest
from models.signed_in import signed_in_user

# The list's queries (search, sort, page arms, counts) are the engines' own: every test runs on both.
pytestmark = pytest.mark.both_databases

HX = {"HX-Request": "true"}


def numbers(html: str) -> list[str]:
    return re.findall(r'<th scope="row"><a href="/invoices/([^"]+)"', html)


def link(html: str, rel: str) -> str | None:
    found = re.search(rf'href="([^"]+)"[^>]*rel="{rel}"', html)
    return found.group(1).replace("&amp;", "&") if found else None


@pytest.fixture
def many(world, app):
    """70 invoices for anna (IND-1): three pages, due dates with ties so the id breaks them."""
    from models import db
    from models.importer import import_data
    from tests.world import invoice, world_payload

    payload = world_payload()
    payload["invoices"] += [invoice(f"M-{i:03d}", "IND-1", days_ago=i % 9, currency="PLN",
                                    quantity=str(i % 7 + 1), paid="10.00" if i % 5 == 0 else "0.00")
                            for i in range(70)]
    with db.connection_context():
        import_data(payload)


@pytest.mark.parametrize("sort", ["-due_date", "due_date", "-amount", "invoice_date"])
def test_next_and_previous_links_walk_the_same_pages_as_page_numbers(many, client, auth, sort):
    auth.login("anna")
    by_number = [numbers(client.get(f"/invoices?sort={sort}&page={p}").get_data(as_text=True)) for p in (1, 2, 3)]
    walked, url = [], f"/invoices?sort={sort}"
    while url:
        html = client.get(url, headers=HX).get_data(as_text=True)
        walked.append(numbers(html))
        url = link(html, "next")
        assert url is None or "after=" in url
    assert walked == by_number and len(sum(walked, [])) == len(set(sum(walked, []))) == 72
    html3 = client.get(link(client.get(f"/invoices?sort={sort}&page=2", headers=HX).get_data(as_text=True),
                            "next")).get_data(as_text=True)
    back = link(html3, "prev")
    assert "before=" in back and numbers(client.get(back).get_data(as_text=True)) == by_number[1]
    assert link(client.get(back).get_data(as_text=True), "prev") == f"/invoices?sort={sort}" or sort == "-due_date"


@pytest.mark.parametrize("key", ["nonsense", "2026-13-45~1", "1~", "~5", "9" * 60, "2020-01-01~x", "%E2%80%AE~1"])
def test_a_broken_page_key_shows_the_numbered_page(many, client, auth, key):
    auth.login("anna")
    expected = numbers(client.get("/invoices?page=2").get_data(as_text=True))
    for name in ("after", "before"):
        response = client.get(f"/invoices?page=2&{name}={key}", headers=HX)
        assert response.status_code == 200
        assert numbers(response.get_data(as_text=True)) == expected


def test_a_well_formed_key_from_elsewhere_still_shows_only_own_invoices(many, client, auth):
    from tests.world import VISIBLE

    auth.login("anna")
    for query in ("page=2&after=2020-01-01~1", "page=2&before=2020-01-01~999999999", "page=3&after=2999-01-01~1",
                  "page=2&sort=-amount&after=99999999999~1"):
        response = client.get(f"/invoices?{query}", headers=HX)
        assert response.status_code == 200, query
        assert set(numbers(response.get_data(as_text=True))) <= VISIBLE["anna"] | {f"M-{i:03d}" for i in range(70)}


def totals_shown(client, status="all"):
    html = client.get(f"/invoices?status={status}", headers=HX).get_data(as_text=True)
    summary = html.split("</div>", 1)[0]
    count = re.search(r"(\d+) invoices?", summary)
    return (int(count.group(1)) if count else 0), re.findall(r"<strong>([^<]+)</strong>", summary)


def expected_totals(user_email, status="all"):
    from models.customer import User
    from models.clock import today
    from models.invoice import PAID, Invoice
    from i18n.formatting import money

    user = signed_in_user(User.get(User.email == user_email).id)
    query = Invoice.visible_to(user)
    if status == "overdue":
        query = query.where(Invoice.status != PAID, Invoice.due_date < today())
    elif status != "all":
        query = query.where(Invoice.status == status)
    sums = {}
    for invoice in query:
        sums[invoice.currency] = sums.get(invoice.currency, Decimal("0.00")) + invoice.balance
    return query.count(), [money(sums[c], c) for c in sorted(sums)]


def test_counts_and_totals_follow_every_kind_of_write(many, app, client, auth):
    from models import db, write_transaction
    from models.importer import import_data
    from models.invoice import Invoice
    from tests.world import invoice, world_payload

    auth.login("anna")

    def check():
        for status in ("all", "unpaid", "partial", "paid", "overdue"):
            with app.test_request_context("/"), db.connection_context():
                expected = expected_totals("anna@ind1.example", status)
            assert totals_shown(client, status) == expected, status

    check()
    with db.connection_context():
        with write_transaction():  # a payment, as checkout records it
            target = Invoice.get(Invoice.number == "M-001")
            target.settle(target.balance - Decimal("1.00"))
            target.save()
    check()
    payload = world_payload()  # a re-import that pays one in full and adds one in EUR
    payload["invoices"] = [invoice("M-002", "IND-1", currency="PLN", quantity="3", paid="375.00"),
                           invoice("M-900", "IND-1", currency="EUR", days_ago=60)]
    with db.connection_context():
        import_data(payload)
    check()
    with db.connection_context():
        Invoice.delete().where(Invoice.number == "M-003").execute()
        Invoice.update(status="paid", balance=Decimal("0")).where(Invoice.number == "M-004").execute()
    check()


def test_exact_and_partial_number_search(many, client, auth):
    auth.login("anna")
    assert numbers(client.get("/invoices?q=m-012", headers=HX).get_data(as_text=True)) == ["M-012"]
    assert numbers(client.get("/invoices?q=M-012", headers=HX).get_data(as_text=True)) == ["M-012"]
    partial = numbers(client.get("/invoices?q=-01&sort=invoice_date", headers=HX).get_data(as_text=True))
    assert sorted(partial) == sorted(f"M-{i:03d}" for i in range(10, 20))
    assert numbers(client.get("/invoices?q=M-0123", headers=HX).get_data(as_text=True)) == []
    assert "10 invoices" in client.get("/invoices?q=-01", headers=HX).get_data(as_text=True)
