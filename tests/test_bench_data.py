"""The benchmark measures data the back office could really send: what `make bench` writes through the
bulk path is exactly what `import-data` makes of the same records, and passes its validation."""
from datetime import date

import pytest

from bench.data import (DIST, MEASURED_ACCOUNT, MEASURED_EMAIL, RETAILERS, USERS_PER_COMPANY, Plan, customer_records,
                        generate, import_payload, invoice_facts, is_bench_email, mixed_companies, mixed_users, users,
                        visible_count)

PLAN = Plan(invoices=400, customers=RETAILERS + 40, companies=20, today=date(2026, 11, 22))


def snapshot():
    """Everything a user could notice, keyed by business keys (ids may differ between the two paths)."""
    from models.customer import Customer, User
    from models.invoice import Invoice, InvoiceLine, InvoiceSummary, Payment
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
    from models import ALL_MODELS, create_tables, db
    from models.customer import Customer
    from models.importer import import_data

    with db.connection_context():
        result = generate(PLAN)
        assert result["invoices"] == PLAN.invoices and result["lines"] >= 2 * PLAN.invoices
        bulk = snapshot()
        Customer.update(invoice_account=None).execute()  # SQLite checks the self-reference while dropping
        db.drop_tables(ALL_MODELS, **({"cascade": True} if "postgres" in type(db.obj).__name__.lower() else {}))
        create_tables()
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
        user = User.for_login(User.get(User.email == MEASURED_EMAIL).id)
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


def test_the_mixed_scenario_has_200_companies_of_5_users():
    companies = mixed_companies(Plan())
    kinds = [c.kind for c in companies]
    assert len(companies) == 200
    assert (kinds.count("distributor"), kinds.count("retailer"), kinds.count("independent")) == (20, 100, 80)
    for c in companies:  # a retailer's organization account is a distributor, which has none itself
        assert (c.org is not None) == (c.kind == "retailer")
        if c.org is not None:
            assert companies[c.org].kind == "distributor" and companies[c.org].org is None
    emails = [e for e, _, _ in mixed_users(Plan())]
    assert len(emails) == len(set(emails)) == 200 * USERS_PER_COMPANY
    assert all(is_bench_email(e) for e, _, _ in users(Plan())) and not is_bench_email("ap@example.com")


def test_a_mixed_user_sees_their_company_and_its_organization_account(app):
    from models import db
    from models.customer import User
    from models.invoice import Invoice

    customers = customer_records(PLAN)
    billed = {}
    ordered_by_retailers = 0
    for _, b, o, *_ in invoice_facts(PLAN, customers):
        billed[b] = billed.get(b, 0) + 1
        ordered_by_retailers += b != o
    assert ordered_by_retailers  # distributors are billed for their retailers' orders
    org_of = {i: next((j for j, c in enumerate(customers) if c[0] == customers[i][5]), None)
              for i in range(len(customers))}
    with db.connection_context():
        generate(PLAN)
        for email, _, index in mixed_users(PLAN)[::USERS_PER_COMPANY]:
            user = User.for_login(User.get(User.email == email).id)
            expected = billed.get(index, 0) + (billed.get(org_of[index], 0) if org_of[index] is not None else 0)
            assert Invoice.visible_to(user).count() == expected, email
