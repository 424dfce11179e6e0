"""The benchmark measures data the back office could really send: what `make bench` writes through the
bulk path is exactly what `import-data` makes of the same records, and passes its validation."""
from datetime import date

import pytest

from bench.data import DIST, MEASURED_ACCOUNT, MEASURED_EMAIL, RETAILERS, Plan, generate, import_payload, visible_count
from models.signed_in import signed_in_user

PLAN = Plan(invoices=400, customers=RETAILERS + 20, today=date(2026, 11, 22))


def snapshot():
    """Everything a user could notice, keyed by business keys (ids may differ between the two paths)."""
    from models.customer import Customer, User
    from models.invoice import Invoice, InvoiceLine, Payment
    from models.summary import InvoiceSummary
    from models.product import Product

    accounts = {c.id: c.account for c in Customer.select()}
    return {
        "customers": sorted((c.account, c.name, c.email, c.currency, c.billing_address,
                             accounts.get(c.invoice_account_id), c.net_days, c.discount_percent, c.discount_days,
                             c.credit_limit) for c in Customer.select()),
        "users": sorted((u.email, u.name, accounts[u.customer_id]) for u in User.select()),
        "products": sorted((p.item, p.name, p.price, p.currency) for p in Product.select()),
        "invoices": sorted((i.number, accounts[i.invoice_account_id], accounts[i.order_account_id], i.invoice_date,
                            i.due_date, i.currency, i.total, i.balance, i.status, i.discount_percent,
                            i.discount_until) for i in Invoice.select()),
        "lines": sorted((l.invoice.number, l.line_no, l.item, l.description, l.quantity, l.unit_price,
                         l.tax_percent, l.amount, l.tax) for l in InvoiceLine.select(InvoiceLine, Invoice).join(Invoice)),
        "payments": sorted((p.invoice.number, p.amount, p.discount, p.method, p.gateway_reference)
                           for p in Payment.select(Payment, Invoice).join(Invoice)),
        "summaries": sorted((accounts[s.account_id], s.status, s.currency, s.invoices, s.balance)
                            for s in InvoiceSummary.select() if s.invoices),
    }


def test_bulk_data_equals_what_import_makes_of_it(app):
    from models import db
    from models.importer import import_data
    from tests.conftest import empty_database

    with db.connection_context():
        result = generate(PLAN)
        assert result["invoices"] == PLAN.invoices and result["lines"] >= 2 * PLAN.invoices
        bulk = snapshot()
    empty_database(app)
    with db.connection_context():
        summary = import_data(import_payload(PLAN))  # raises ImportProblem on anything invalid
        assert summary.invoices == PLAN.invoices and summary.customers == PLAN.customers
        imported = snapshot()
    for table in bulk:
        assert bulk[table] == imported[table], table


def test_the_plan_has_the_shape_the_issue_asks_for(app):
    from models import db
    from models.customer import Customer, User
    from models.invoice import Invoice, InvoiceLine

    with db.connection_context():
        generate(PLAN)
        dist = Customer.get(Customer.account == DIST)
        assert Customer.select().where(Customer.invoice_account == dist).count() == RETAILERS
        user = signed_in_user(User.get(User.email == MEASURED_EMAIL).id)
        assert user.customer.account == MEASURED_ACCOUNT and user.customer.invoice_account_id == dist.id
        assert Invoice.visible_to(user).count() == visible_count(PLAN) == 21  # the first 21 of every 1,000
        counts = {}
        for (invoice_id,) in InvoiceLine.select(InvoiceLine.invoice).tuples():
            counts[invoice_id] = counts.get(invoice_id, 0) + 1
        assert len(counts) == PLAN.invoices
        assert set(counts.values()) == {2, 3, 4, 5}
        assert {s for (s,) in Invoice.select(Invoice.status).distinct().tuples()} == {"unpaid", "partial", "paid"}


@pytest.mark.parametrize("size, expected", [(10_000, 210), (100_000, 2_100), (1_000_000, 21_000)])
def test_the_measured_user_sees_a_fixed_share(size, expected):
    assert visible_count(Plan(invoices=size)) == expected
