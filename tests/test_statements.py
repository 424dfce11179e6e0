"""Queries built once (models/statements.py) answer exactly what the same query built afresh answers, on SQLite
and PostgreSQL, and the one Peewee behaviour they rely on still holds."""
from __future__ import annotations

from datetime import timedelta

import pytest
from peewee import Value

from models.signed_in import signed_in_user


def test_a_value_without_converter_reaches_the_parameters_as_the_very_object(db_conn):
    """What `param()` relies on: `Value(obj, converter=False)` puts `obj` itself into `Query.sql()`'s parameters,
    in the order the placeholders appear — including in LIMIT and OFFSET."""
    from models.invoice import Invoice
    from models.statements import Placeholder

    first, second, limit = Placeholder("a"), Placeholder("b"), Placeholder("n")
    query = (Invoice.select(Invoice.id).where(Invoice.invoice_account == Value(first, converter=False),
                                                Invoice.due_date < Value(second, converter=False))
             .limit(Value(limit, converter=False)))
    _, params = query.sql()
    assert params == [first, second, limit] and params[0] is first


def test_the_list_statements_answer_what_peewee_answers(world, db_conn, clock):
    """Every status, sort and search of the list, through its statements, against Peewee building the query."""
    from models.customer import User
    from models.invoice import Invoice
    from models.invoice_list import SORTS, ListParams, list_invoices
    from tests.world import USERS

    for who in ("kari", "nina", "anna"):
        user = signed_in_user(User.get(User.email == USERS[who][0]).id)
        for status in ("all", "unpaid", "partial", "paid", "overdue"):
            for sort in SORTS:
                page = list_invoices(user, ListParams(status=status, sort=sort), on=clock.today)
                query = Invoice.visible_to(user)
                if status == "overdue":
                    query = query.where(Invoice.status != "paid", Invoice.due_date < clock.today)
                elif status != "all":
                    query = query.where(Invoice.status == status)
                expected = {invoice.number: (invoice.balance, invoice.due_date) for invoice in query}
                assert {row.number: (row.balance, row.due_date) for row in page.rows} == expected, (who, status, sort)
                assert page.count == len(expected)


def test_the_signed_in_user_is_loaded_as_peewee_loads_them(world, db_conn):
    from models.customer import Customer, User
    from tests.world import USERS

    for email, _ in USERS.values():
        plain = User.select(User, Customer).join(Customer).where(User.email == email).get()
        loaded = signed_in_user(plain.id)
        assert loaded.__data__ == plain.__data__
        assert loaded.customer.__data__ == plain.customer.__data__
        org = loaded.customer.invoice_account
        assert (org.__data__ if org else None) == (Customer.get_by_id(plain.customer.invoice_account_id).__data__
                                                    if plain.customer.invoice_account_id else None)
    assert signed_in_user(10**9) is None and signed_in_user("nonsense") is None


def test_an_invoice_page_loads_what_peewee_loads(world, db_conn):
    from models.customer import User
    from models.invoice import Invoice, InvoiceLine, Payment
    from tests.world import USERS

    kari = signed_in_user(User.get(User.email == USERS["kari"][0]).id)
    invoice = Invoice.get_visible(kari, "D-004").with_accounts()
    plain = Invoice.get(Invoice.number == "D-004")
    assert invoice.__data__ == plain.__data__
    assert invoice.order_account.account == "RET-1" and invoice.invoice_account.account == "DIST-1"
    assert [l.__data__ for l in invoice.line_list()] == [l.__data__ for l in InvoiceLine.select().where(
        InvoiceLine.invoice == plain).order_by(InvoiceLine.line_no)]
    assert [p.__data__ for p in invoice.payment_list()] == [p.__data__ for p in Payment.select().where(
        Payment.invoice == plain).order_by(Payment.created_at, Payment.id)]
    with pytest.raises(Invoice.DoesNotExist):
        Invoice.get_visible(kari, "I-001")  # anna's
