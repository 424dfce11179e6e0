"""The security rule from every angle: lists, counts, totals, search, filters and invoice pages."""
import re
from decimal import Decimal

import pytest

from tests.world import ALL_NUMBERS, VISIBLE
from models.signed_in import signed_in_user

# The list's queries (search, sort, page arms, counts) are the engines' own: every test runs on both.
pytestmark = pytest.mark.both_databases

WHO = sorted(VISIBLE)


def numbers_on(html: str) -> set[str]:
    return set(re.findall(r'href="/invoices/([A-Z0-9-]+)"', html))


def all_listed(client, **params) -> set[str]:
    """Every invoice number across all pages of the list."""
    seen, page = set(), 1
    while True:
        html = client.get("/invoices", query_string={**params, "page": page}).get_data(as_text=True)
        found = numbers_on(html)
        seen |= found
        if 'rel="next"' not in html:
            return seen
        page += 1


@pytest.mark.parametrize("who", WHO)
def test_list_shows_exactly_the_visible_invoices(world, client, auth, who):
    auth.login(who)
    assert all_listed(client) == VISIBLE[who]


@pytest.mark.parametrize("who", WHO)
def test_count_and_total_cover_only_visible_invoices(world, client, auth, who):
    from models import db
    from models.invoice import Invoice

    auth.login(who)
    html = client.get("/invoices").get_data(as_text=True)
    with db.connection_context():
        expected = list(Invoice.select().where(Invoice.number.in_(list(VISIBLE[who]))))
    assert f"{len(expected)} invoices" in html
    by_currency = {}
    for inv in expected:
        by_currency[inv.currency] = by_currency.get(inv.currency, Decimal(0)) + inv.balance
    for currency, due in by_currency.items():
        assert f"{due:,.2f}" in html, (currency, due)


@pytest.mark.parametrize("who", WHO)
def test_every_other_invoice_page_is_404_and_visible_ones_open(world, client, auth, who):
    auth.login(who)
    for number in ALL_NUMBERS:
        response = client.get(f"/invoices/{number}")
        if number in VISIBLE[who]:
            assert response.status_code == 200, number
            assert f"<h1>{number}</h1>" in response.get_data(as_text=True)
        else:
            assert response.status_code == 404, number
            assert number not in response.get_data(as_text=True)


@pytest.mark.parametrize("who", WHO)
def test_search_never_finds_another_companys_invoice(world, client, auth, who):
    auth.login(who)
    for number in ALL_NUMBERS:
        found = numbers_on(client.get("/invoices", query_string={"q": number}).get_data(as_text=True))
        assert found == ({number} if number in VISIBLE[who] else set()), number


STATUS_OF = {"D-001": "unpaid", "D-002": "unpaid", "D-003": "paid", "D-004": "partial", "R1-001": "unpaid",
             "R1-002": "paid", "R2-001": "unpaid", "I-001": "unpaid", "I-002": "unpaid"}
OVERDUE = {"D-002", "I-002"}  # tests/world.py: due 10 and 5 days ago, with a balance


@pytest.mark.parametrize("status", ["all", "unpaid", "partial", "paid", "overdue"])
@pytest.mark.parametrize("who", ["kari", "nina", "anna"])
def test_filters_list_exactly_the_visible_invoices_of_that_status(world, client, auth, who, status):
    auth.login(who)
    expected = {n for n in VISIBLE[who] if status == "all" or STATUS_OF[n] == status
                or (status == "overdue" and n in OVERDUE)}
    assert all_listed(client, status=status) == expected


def test_whose_filter_splits_own_and_organization(world, client, auth):
    auth.login("kari")
    assert all_listed(client, whose="own") == {"R1-001", "R1-002"}
    assert all_listed(client, whose="org") == {"D-001", "D-002", "D-003", "D-004"}


def test_whose_filter_for_a_customer_without_organization_is_ignored(world, client, auth):
    auth.login("anna")
    assert all_listed(client, whose="org") == VISIBLE["anna"]


def test_visible_to_is_the_rule_in_the_model(world, db_conn):
    from models.customer import User
    from models.invoice import Invoice
    from tests.world import USERS

    for who, (email, _) in USERS.items():
        user = signed_in_user(User.get(User.email == email).id)
        assert {i.number for i in Invoice.visible_to(user)} == VISIBLE[who]
        for number in ALL_NUMBERS - VISIBLE[who]:
            with pytest.raises(Invoice.DoesNotExist):
                Invoice.get_visible(user, number)


def test_signed_out_visitor_sees_nothing(world, client):
    response = client.get("/invoices")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert client.get("/invoices/D-001").status_code == 302
