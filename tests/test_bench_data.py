"""The benchmark measures data the back office could really send: what `make bench` writes through the
bulk path is exactly what `import-data` makes of the same records, and passes its validation."""
from datetime import date

import pytest

from bench.data import (DIST, MEASURED_ACCOUNT, MEASURED_EMAIL, RETAILERS, USERS_PER_COMPANY, Plan, customer_records,
                        generate, import_payload, invoice_facts, is_bench_email, mixed_companies, mixed_users, users,
                        visible_count)
from models.signed_in import signed_in_user

PLAN = Plan(invoices=400, customers=RETAILERS + 40, companies=20, today=date(2026, 11, 22))


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
            user = signed_in_user(User.get(User.email == email).id)
            expected = billed.get(index, 0) + (billed.get(org_of[index], 0) if org_of[index] is not None else 0)
            assert Invoice.visible_to(user).count() == expected, email


def test_the_mixed_request_list_is_the_stated_mix_and_only_asks_what_a_user_could():
    """bench/mixed.py's request list, made from known facts: deterministic, in MIX's proportions, Pay invoice only
    for an open invoice in the user's currency (a cart holds one currency), no page past a filter's last."""
    from urllib.parse import parse_qs, urlsplit

    from bench.mixed import MIX, PAGE_SIZE, Facts, Person, plan_requests

    people = [Person(0, "anna@shp-001-1.example", 11, 10, "NOK"), Person(1, "anna@ind-001.example", 12, None, "SEK")]
    counts = {10: {"unpaid": 40, "partial": 3, "paid": 900, "overdue": 20}, 11: {"unpaid": 5, "paid": 60},
              12: {"unpaid": 30, "partial": 30, "paid": 30, "overdue": 1}}
    open_ = {10: [("INV-0000001", "NOK"), ("INV-0000002", "EUR")], 11: [("INV-0000003", "NOK")],
             12: [("INV-0000004", "SEK"), ("INV-0000005", "EUR")]}
    sample = {10: ["INV-0000006"], 11: ["INV-0000007"], 12: ["INV-0000008"]}
    visible = {0: {"INV-0000001", "INV-0000002", "INV-0000003", "INV-0000006", "INV-0000007"},
               1: {"INV-0000004", "INV-0000005", "INV-0000008"}}

    def facts():
        return Facts(people, counts, open_, sample)

    requests = plan_requests(facts(), 1000, seed=1)
    assert [(r.kind, r.path, r.body, r.user) for r in requests] == \
        [(r.kind, r.path, r.body, r.user) for r in plan_requests(facts(), 1000, seed=1)]
    assert [r.path for r in requests] != [r.path for r in plan_requests(facts(), 1000, seed=2)]
    assert {kind: sum(r.kind == kind for r in requests) for kind, _, _ in MIX} == \
        {kind: round(1000 * share / 100) for kind, share, _ in MIX}
    assert {r.user for r in requests if r.kind == "clear"} <= {r.user for r in requests if r.kind == "pay"}
    for r in requests:
        person = people[r.user]
        if r.kind == "pay":
            number = parse_qs(r.body)["invoice"][0]
            assert (number, person.currency) in [o for a in person.accounts for o in open_[a]]
        if r.kind in ("invoice", "dialog"):
            assert r.path.split("/")[2] in visible[r.user]
        if r.kind == "list":
            args = {k: v[0] for k, v in parse_qs(urlsplit(r.path).query).items()}
            assert args.get("whose", "all") == "all" or person.org_id is not None
            status, whose = args.get("status", "all"), args.get("whose", "all")
            accounts = {"all": person.accounts, "own": (person.customer_id,), "org": (person.org_id,)}[whose]
            n = sum(counts[a].get(s, 0) for a in accounts
                    for s in (("unpaid", "partial", "paid") if status == "all" else (status,)))
            assert int(args.get("page", 1)) <= max(1, -(-n // PAGE_SIZE))
        assert r.hx == (r.kind not in ("invoice", "full"))
        assert (r.method == "POST") == (r.kind in ("pay", "clear"))
