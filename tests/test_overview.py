"""The account overview (models/aging.py) equals sums worked out here, independently, from the invoices
themselves — for a retailer, its distributor and an independent customer, on random data, on SQLite and
PostgreSQL — never counting another company's money, never adding two currencies; and the open balance by day
that the database keeps stays exact through inserts, payments, edits and deletes."""
from __future__ import annotations

import random
from collections import defaultdict
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

import pytest

from tests.world import world_payload

ON = date(2026, 11, 22)
# Days past due at the bucket edges (SPEC: not yet due = due today or later; then 1–30, 31–60, 61–90, over 90).
EDGES = (-8, -7, -1, 0, 1, 30, 31, 60, 61, 90, 91, 400)


def expected_bucket(late: int) -> str:
    if late <= 0:
        return "current"
    for bucket, last in (("1-30", 30), ("31-60", 60), ("61-90", 90)):
        if late <= last:
            return bucket
    return "90+"


def random_world(seed: int) -> dict:
    """The test world plus a foreign NOK customer, random invoices in NOK and EUR for every account (on every
    bucket edge), some paid in part or in full, some with a cash discount still open or already closed."""
    rng = random.Random(seed)
    payload = world_payload(on=ON)
    payload["customers"].append({"account": "OTHER-1", "name": "Other Company AS", "email": "ap@other.example",
                                 "currency": "NOK", "billing_address": "x",
                                 "payment_terms": {"net_days": 30, "discount_percent": "2.5", "discount_days": 10}})
    payload["invoices"] = []
    accounts = [("DIST-1", ["RET-1", "RET-2", "DIST-1"]), ("RET-1", ["RET-1"]), ("RET-2", ["RET-2"]),
                ("IND-1", ["IND-1"]), ("OTHER-1", ["OTHER-1"])]
    n = 0
    for billed, ordered in accounts:
        for late in EDGES + tuple(rng.randint(-40, 200) for _ in range(14)):
            n += 1
            currency = "PLN" if billed == "IND-1" else rng.choice(["NOK", "NOK", "EUR"])
            due = ON - timedelta(days=late)
            net = rng.choice([10, 14, 30])
            total = Decimal(rng.randint(100, 5_000_000)) / 100
            paid = rng.choice([Decimal("0"), Decimal("0"), (total * Decimal("0.4")).quantize(Decimal("0.01")), total])
            payload["invoices"].append({
                "number": f"{billed}-{n:04d}", "invoice_account": billed, "order_account": rng.choice(ordered),
                "invoice_date": (due - timedelta(days=net)).isoformat(), "due_date": due.isoformat(),
                "currency": currency,
                "lines": [{"item": "A", "description": "Goods", "quantity": "1", "unit_price": str(total),
                           "tax_percent": "0"}],
                "paid": str(paid)})
    return payload


def independent_overview(invoices, accounts: set, order_account: str | None = None) -> dict:
    """{currency: figures} from invoice rows, worked out without the portal's code."""
    found: dict = defaultdict(lambda: {"open": Decimal("0"), "overdue": Decimal("0"), "soon": Decimal("0"),
                                       "buckets": defaultdict(Decimal), "saving": Decimal("0"), "until": None,
                                       "invoices": 0})
    for inv in invoices:
        if inv["billed"] not in accounts or inv["balance"] <= 0:
            continue
        if order_account and inv["ordered"] != order_account:
            continue
        figures = found[inv["currency"]]
        late = (ON - inv["due"]).days
        figures["open"] += inv["balance"]
        figures["invoices"] += 1
        figures["buckets"][expected_bucket(late)] += inv["balance"]
        if late > 0:
            figures["overdue"] += inv["balance"]
        if 0 <= -late <= 7:
            figures["soon"] += inv["balance"]
        if inv["until"] and inv["until"] >= ON and inv["percent"] > 0:
            saving = (inv["balance"] * inv["percent"] / 100).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
            if saving > 0:
                figures["saving"] += saving
                figures["until"] = min(filter(None, (figures["until"], inv["until"])))
    return dict(found)


def invoice_facts() -> list:
    from models.customer import Customer
    from models.invoice import Invoice

    codes = {c.id: c.account for c in Customer.select()}
    return [{"billed": codes[i.invoice_account_id], "ordered": codes[i.order_account_id], "currency": i.currency,
             "due": i.due_date, "balance": i.balance, "until": i.discount_until, "percent": i.discount_percent}
            for i in Invoice.select()]


def as_dict(overview) -> dict:
    return {o.currency: {"open": o.total_open, "overdue": o.overdue, "soon": o.due_soon,
                         "buckets": {k: v for k, v in o.buckets.items() if v}, "saving": o.saving,
                         "until": o.saving_until, "invoices": o.open_invoices} for o in overview}


def normalised(expected: dict) -> dict:
    return {currency: {**figures, "buckets": {k: v for k, v in figures["buckets"].items() if v}}
            for currency, figures in expected.items()}


def aging_rows() -> dict:
    from models.aging import InvoiceAging

    return {(r.account_id, r.order_account_id, r.currency, r.kind, r.deadline): (r.invoices, r.amount)
            for r in InvoiceAging.select()}


def recounted() -> dict:
    """The open balance by day, counted here from the invoices."""
    from models.invoice import Invoice

    found: dict = defaultdict(lambda: [0, Decimal("0")])
    for i in Invoice.select():
        if i.balance <= 0:
            continue
        key = (i.invoice_account_id, i.order_account_id, i.currency)
        found[key + ("due", i.due_date)][0] += 1
        found[key + ("due", i.due_date)][1] += i.balance
        offer = i.discount_until and (i.balance * i.discount_percent / 100).quantize(Decimal("0.01"),
                                                                                      rounding=ROUND_HALF_UP)
        if offer and offer > 0:
            found[key + ("discount", i.discount_until)][0] += 1
            found[key + ("discount", i.discount_until)][1] += offer
    return {key: (n, int(amount * 100)) for key, (n, amount) in found.items()}


@pytest.mark.parametrize("seed", [1, 2])
def test_overview_equals_an_independent_sum_for_retailer_distributor_and_independent_customer(app, clock, seed):
    from models import db
    from models.aging import account_overview
    from models.customer import Customer, User
    from models.importer import import_data
    from models.invoice import Invoice

    clock.set(ON)
    with db.connection_context():
        import_data(random_world(seed))
        facts = invoice_facts()
        customers = {c.account: c for c in Customer.select()}
        for who, visible in (("kari", {"RET-1", "DIST-1"}), ("nina", {"DIST-1"}), ("anna", {"IND-1"}),
                             ("sara", {"RET-2", "DIST-1"})):
            from tests.world import USERS

            user = User.get(User.email == USERS[who][0])
            accounts = Invoice.visible_account_ids(user)
            assert {a for a, c in customers.items() if c.id in accounts} == visible
            found = as_dict(account_overview(accounts, ON))
            assert found == normalised(independent_overview(facts, visible)), who
            assert "OTHER-1" not in str(found)
            # Several currencies are never added together.
            if who != "anna":
                assert set(found) == {"EUR", "NOK"}
            # One order account's share (a distributor narrowing to one of its retailers).
            narrowed = as_dict(account_overview(accounts, ON, "RET-2"))
            assert narrowed == normalised(independent_overview(facts, visible, "RET-2")), who
        assert aging_rows() == recounted()


def test_bucket_edges_due_today_1_30_31_90_91_days(app, clock):
    from models import db
    from models.aging import account_overview
    from models.customer import Customer
    from models.importer import import_data

    clock.set(ON)
    payload = world_payload(on=ON)
    payload["invoices"] = [
        {"number": f"E{late}", "invoice_account": "IND-1", "order_account": "IND-1",
         "invoice_date": (ON - timedelta(days=late + 30)).isoformat(),
         "due_date": (ON - timedelta(days=late)).isoformat(), "currency": "PLN",
         "lines": [{"description": "x", "quantity": "1", "unit_price": str(amount)}]}
        for late, amount in ((0, 1), (1, 2), (30, 4), (31, 8), (60, 16), (61, 32), (90, 64), (91, 128), (-7, 256),
                             (-8, 512))]
    with db.connection_context():
        import_data(payload)
        (pln,) = account_overview([Customer.get(Customer.account == "IND-1").id], ON)
    assert pln.buckets == {"current": Decimal("769.00"), "1-30": Decimal("6.00"), "31-60": Decimal("24.00"),
                           "61-90": Decimal("96.00"), "90+": Decimal("128.00")}
    assert pln.overdue == Decimal("254.00") and pln.total_open == Decimal("1023.00")
    assert pln.due_soon == Decimal("257.00")  # due today and in 7 days; not in 8
    assert pln.overdue_invoices == 7 and pln.open_invoices == 10


def test_the_open_balance_by_day_stays_exact_through_every_kind_of_write(app, clock):
    """Model saves, a payment, raw SQL updates (due date, discount, account), deletes: always the recount."""
    from models import db
    from models.importer import import_data
    from models.invoice import Invoice

    clock.set(ON)
    with db.connection_context():
        import_data(random_world(3))
        assert aging_rows() == recounted()
        invoices = list(Invoice.select().where(Invoice.balance > 0).order_by(Invoice.id))
        first, second, third = invoices[:3]
        with db.atomic():
            first.settle(first.balance)  # paid in full
            first.save()
            second.settle(Decimal("0.01"))
            second.save()
        third.due_date, third.discount_until, third.discount_percent = ON - timedelta(days=45), ON, Decimal("3.5")
        third.save()
        p = db.param
        db.execute_sql(f"UPDATE invoice SET invoice_account_id = (SELECT id FROM customer WHERE account = {p}) "
                       f"WHERE id = {p}", ("OTHER-1", invoices[3].id))
        db.execute_sql(f"UPDATE invoice SET currency = {p} WHERE id = {p}", ("SEK", invoices[4].id))
        db.execute_sql(f"DELETE FROM invoice WHERE id IN ({p}, {p})", (invoices[5].id, invoices[6].id))
        assert aging_rows() == recounted()
        # Nothing left open leaves no row behind.
        Invoice.update(balance=0, status="paid").execute()
        assert aging_rows() == {}


@pytest.mark.parametrize("scope", [{}, {"sort": "-amount"}, {"whose": "org", "order_account": "AGING 90+&x", "sort": "amount"}])
def test_the_bars_links_are_what_url_for_writes_for_each_age(app, scope):
    """The overview builds its five links from one url_for (views/invoices.py: aging_urls); each must be the URL
    url_for writes for that age, or a bar would lead to another list than its label says."""
    from models.aging import BUCKETS
    from views.invoices import aging_urls

    with app.test_request_context("/invoices"):
        from flask import url_for

        assert aging_urls(scope) == {bucket: url_for("invoices.index", aging=bucket, **scope) for bucket in BUCKETS}
