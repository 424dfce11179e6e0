"""The benchmark's data set, written through the models' bulk path (`insert_many` in big batches).

One deterministic plan feeds two outputs:
- `generate(plan)` writes it straight into the database (1,000,000 invoices in well under three minutes);
- `import_payload(plan)` renders the same records in the `import-data` JSON format, so a test can prove that
  what the benchmark measures is data the back office could really have sent (tests/test_bench_data.py).

Shape: 20,000 customers, of which
- the single-URL group: DIST-00001 is the organization account of 50 retailers RET-00001..RET-00050; the
  measured user belongs to RET-00001 and so sees the invoices billed to RET-00001 and to DIST-00001 — 2.1 % of
  all invoices (21,000 at a million);
- the mixed scenario's 200 companies (bench/mixed.py), 5 users each: 20 distributors DST-001..DST-020 (organization
  accounts, 3–7 retailers SHP-<distributor>-<n> each, 100 retailers in all) and 80 independents IND-001..IND-080.
  They are billed 70 % of all invoices, by weight: a distributor about 12 shares, a retailer 2, an independent
  3.5, so at a million invoices a retailer's user sees roughly 10,000–18,000 (its own and its distributor's), an
  independent's 1,000–6,000;
- the rest, a long tail of customers nobody signs in as (27 % of the invoices).
Shares are the same at every size, so a growing database also grows every user's own invoice set.
"""
from __future__ import annotations

import bisect
import io
import random
import time
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

DIST = "DIST-00001"
MEASURED_ACCOUNT = "RET-00001"
RETAILERS = 50
MEASURED_EMAIL = "bench@ret1.example"
DIST_EMAIL = "bench@dist1.example"
PASSWORD = "bench-Passw0rd"
# Every bench user's password is hashed with this cheap method (the servers get the same method through
# SETTLE_PASSWORD_HASH_METHOD), so signing 1,000 users in measures the portal, not scrypt.
PASSWORD_HASH_METHOD = "pbkdf2:sha256:1000"
# Bumped whenever the plan's shape changes, so a data set made by an older plan is never reused.
PLAN_VERSION = "mixed-1"

# Per 1,000 invoices: 20 billed to the distributor, 1 to the measured retailer, 9 to its sister retailers.
TO_DIST, TO_MEASURED, TO_SISTERS = 20, 1, 9
CURRENCIES = ("NOK", "NOK", "NOK", "NOK", "NOK", "SEK", "SEK", "EUR", "DKK", "PLN")
TAX = {"NOK": 25, "SEK": 25, "DKK": 25, "EUR": 24, "PLN": 23}
PRICE_DIVISOR = {"NOK": 1, "SEK": 1, "DKK": 1, "EUR": 10, "PLN": 2}
NET_DAYS = (14, 30, 30, 45, 60)
WORDS = ("Pallet wrap", "Shipping cartons", "Label rolls", "Packing tape", "Shelf labels", "Hand truck",
         "Stretch film", "Bubble wrap", "Corner boards", "Void fill", "Strapping band", "Cable ties")
ITEMS = [(f"{chr(65 + i // 10)}-{100 + i * 7}", f"{WORDS[i % len(WORDS)]} {i // len(WORDS) + 1}",
          [1250, 2450, 8950, 39900, 1875, 249000, 12900, 5600, 730, 19900][i % 10] + 100 * i)
         for i in range(40)]  # (item, description, price in øre)

STATUS_UNPAID, STATUS_PARTIAL, STATUS_PAID = "unpaid", "partial", "paid"
RECENT = 56

# The mixed scenario: per 1,000 invoices, 700 are billed to its companies (after the single-URL group's 30).
MIXED_PER_MILLE = 700
COMPANIES = 200
USERS_PER_COMPANY = 5
RETAILER_CYCLE = (3, 4, 5, 6, 7)  # retailers of distributor 1, 2, 3, ... in turn (5 on average)
FIRST_NAMES = ("Anna", "Bjørn", "Cecilie", "Dawid", "Eva")


@dataclass
class Plan:
    invoices: int = 1_000_000
    customers: int = 20_000
    seed: int = 20261122
    today: date = field(default_factory=date.today)
    years: int = 3
    companies: int = COMPANIES  # the mixed scenario's companies

    def __post_init__(self):
        if self.companies < 10:
            raise ValueError("need at least 10 companies for the mixed scenario")
        if self.customers < RETAILERS + 2 + self.companies:
            raise ValueError(f"need at least {RETAILERS + 2 + self.companies} customers")

    @property
    def first_company(self) -> int:
        """Index (in customer_records) of the mixed scenario's first company."""
        return RETAILERS + 1

    @property
    def first_tail(self) -> int:
        """Index of the first long-tail customer."""
        return RETAILERS + 1 + self.companies


# ------------------------------------------------------------------------------------------ the plan


@dataclass(frozen=True)
class Company:
    """One of the mixed scenario's companies. `org` is its distributor's position in mixed_companies()."""

    account: str
    name: str
    currency: str
    org: int | None
    weight: int  # its share of the scenario's invoices, relative to the others'
    kind: str  # "distributor", "retailer" or "independent"


def mixed_companies(plan: Plan) -> list[Company]:
    """The mixed scenario's companies: a tenth are distributors, each the organization account of 3–7
    retailers (in turn), the rest independents. Distributors are billed the most (organization accounts
    collect their retailers' orders), and sizes vary within each kind so list lengths vary between users."""
    n = plan.companies
    distributors = n // 10
    out: list[Company] = []
    budget = n - distributors - n * 2 // 5  # at least 40 % independents
    for d in range(1, distributors + 1):
        out.append(Company(f"DST-{d:03d}", f"Distributor {d} AS", "NOK", None, 8 + (d % 5) * 2, "distributor"))
        org = len(out) - 1
        for j in range(1, min(RETAILER_CYCLE[(d - 1) % len(RETAILER_CYCLE)], budget) + 1):
            out.append(Company(f"SHP-{d:03d}-{j}", f"Shop {d}-{j} AS", "NOK", org, 1 + (j % 3), "retailer"))
            budget -= 1
    for i in range(1, n - len(out) + 1):
        # Independents mostly in kroner, every fifth in another of the seller's currencies.
        currency = ("SEK", "EUR", "DKK", "PLN")[i // 5 % 4] if i % 5 == 0 else "NOK"
        out.append(Company(f"IND-{i:03d}", f"Independent {i} AS", currency, None, 1 + (i % 6), "independent"))
    return out


def customer_records(plan: Plan):
    """(account, name, email, currency, address, invoice_account, net_days, discount %, discount days, limit)."""
    rows = [(DIST, "Nordic Distribution Bench AS", "ap@dist1.example", "NOK", "Storgata 1\n0155 Oslo",
             None, 30, 2, 10, 500_000_000)]
    for i in range(1, RETAILERS + 1):
        rows.append((f"RET-{i:05d}", f"Retailer {i} AS", f"ap@ret{i}.example", "NOK",
                     f"Kaigata {i}\n5016 Bergen", DIST, 30, 0, 0, 5_000_000))
    companies = mixed_companies(plan)
    for i, c in enumerate(companies):
        slug = c.account.lower()
        discount = (2, 10) if c.kind == "distributor" or i % 7 == 0 else (0, 0)
        rows.append((c.account, c.name, f"ap@{slug}.example", c.currency, f"Havnegata {i + 1}\n7010 Trondheim",
                     companies[c.org].account if c.org is not None else None, NET_DAYS[i % len(NET_DAYS)],
                     *discount, None if i % 4 else 50_000_000))
    for i in range(plan.first_tail, plan.customers):
        currency = CURRENCIES[i % len(CURRENCIES)]
        net = NET_DAYS[i % len(NET_DAYS)]
        discount = (2, 10) if i % 5 == 0 else (0, 0)
        rows.append((f"CUS-{i:05d}", f"Customer {i} Ltd", f"ap@cus{i}.example", currency,
                     f"Street {i}\n{1000 + i % 8000} Town", None, net, *discount, None if i % 3 else 10_000_000))
    return rows


def invoice_catalogue(currency):
    """(item, description, unit price in minor units) for invoices in `currency`."""
    return [(item, desc, max(1, price // PRICE_DIVISOR[currency])) for item, desc, price in ITEMS]


def invoice_facts(plan: Plan, customers):
    """Yield one tuple per invoice:
    (number, billed index, ordered index, invoice date, due date, currency, lines, total øre, paid øre),
    lines being (item, description, quantity, unit price øre, tax %, amount øre, tax øre)."""
    rng = random.Random(plan.seed)
    rand = rng.random
    days = 365 * plan.years
    others = plan.customers - plan.first_tail
    # The mixed scenario's companies, drawn by weight; a distributor's invoices are ordered by one of its
    # retailers or by itself.
    companies = mixed_companies(plan)
    first = plan.first_company
    cumulative, total_weight = [], 0
    for c in companies:
        total_weight += c.weight
        cumulative.append(total_weight)
    members = {i: [first + i] for i, c in enumerate(companies) if c.kind == "distributor"}
    for i, c in enumerate(companies):
        if c.org is not None:
            members[c.org].append(first + i)
    distributors = {first + i for i in members}
    mixed_end = TO_DIST + TO_MEASURED + TO_SISTERS + MIXED_PER_MILLE
    prices = {c: invoice_catalogue(c) for c in TAX}
    today = plan.today
    dates = [today - timedelta(days=age) for age in range(days)]
    # The measured accounts' first invoices are recent at every size (four a day over the last two weeks),
    # so the first page shows the same kind of rows at 10,000 invoices as at a million and the sizes compare.
    recent = {0: 0, 1: 0}
    for k in range(plan.invoices):
        r = k % 1000
        if r < TO_DIST:
            billed = 0
            ordered = (k // 1000 + r) % (RETAILERS + 1)  # a retailer, or the distributor itself (0)
        elif r < TO_DIST + TO_MEASURED:
            billed = ordered = 1
        elif r < TO_DIST + TO_MEASURED + TO_SISTERS:
            billed = ordered = 2 + (k // 1000 * TO_SISTERS + r) % (RETAILERS - 1)
        elif r < mixed_end:
            company = bisect.bisect_right(cumulative, rand() * total_weight)
            billed = ordered = first + company
            group = members.get(company)
            if group:
                ordered = group[int(rand() * len(group))]
        else:
            billed = ordered = plan.first_tail + int(rand() * others)
        customer = customers[billed]
        currency = customer[3]
        if (billed == 0 or billed in distributors) and r % 10 == 9:
            currency = "EUR"  # distributors are also invoiced in euro: two currencies in their totals
        age = int(rand() * days)
        if billed in recent and recent[billed] < RECENT:
            age, recent[billed] = recent[billed] // 4, recent[billed] + 1
        invoice_date = dates[age]
        due_date = invoice_date + timedelta(days=customer[6])
        lines, total = [], 0
        catalogue = prices[currency]
        tax_percent = TAX[currency]
        for _ in range(2 + int(rand() * 4)):
            item, description, price = catalogue[int(rand() * 40)]
            quantity = 1 + int(rand() * 40)
            amount = quantity * price
            tax = (amount * tax_percent + 50) // 100  # half-up, like round_money
            lines.append((item, description, quantity, price, tax_percent, amount, tax))
            total += amount + tax
        past_due = (today - due_date).days
        roll = rand()
        if past_due > 60:
            state = STATUS_PAID if roll < 0.96 else (STATUS_PARTIAL if roll < 0.98 else STATUS_UNPAID)
        elif past_due > 0:
            state = STATUS_PAID if roll < 0.70 else (STATUS_PARTIAL if roll < 0.80 else STATUS_UNPAID)
        else:
            state = STATUS_PAID if roll < 0.25 else (STATUS_PARTIAL if roll < 0.40 else STATUS_UNPAID)
        paid = total if state == STATUS_PAID else ((total * 40 + 50) // 100 if state == STATUS_PARTIAL else 0)
        yield (f"INV-{k + 1:07d}", billed, ordered, invoice_date, due_date, currency, lines, total, paid)


def users(plan: Plan):
    """(email, name, customer index): the single-URL scenario's retailer and distributor users, then the
    mixed scenario's (mixed_users)."""
    return [(MEASURED_EMAIL, "Bench Retailer User", 1), (DIST_EMAIL, "Bench Distributor User", 0),
            *mixed_users(plan)]


def mixed_users(plan: Plan):
    """(email, name, customer index) of the mixed scenario's users: 5 per company."""
    out = []
    for i, company in enumerate(mixed_companies(plan)):
        slug = company.account.lower()
        for u in range(USERS_PER_COMPANY):
            out.append((f"{FIRST_NAMES[u].lower().replace('ø', 'o')}@{slug}.example",
                        f"{FIRST_NAMES[u]} ({company.name})", plan.first_company + i))
    return out


def is_bench_email(email: str) -> bool:
    """Is this a user the benchmark creates? (run.py refuses to empty a database holding anyone else.)"""
    return email in (MEASURED_EMAIL, DIST_EMAIL) or (
        email.endswith(".example") and email.split("@")[-1][:4] in ("dst-", "shp-", "ind-"))


# ------------------------------------------------------------------------------------------ as import JSON


def _money(oere: int) -> str:
    return f"{oere // 100}.{oere % 100:02d}"


def import_payload(plan: Plan) -> dict:
    """The same data in the `import-data` format (CONTRACT.md) — for proving it passes import validation."""
    customers = customer_records(plan)
    payload = {"customers": [], "users": [], "products": [], "invoices": []}
    for account, name, email, currency, address, org, net, pct, ddays, limit in customers:
        record = {"account": account, "name": name, "email": email, "currency": currency,
                  "billing_address": address, "invoice_account": org,
                  "payment_terms": {"net_days": net, "discount_percent": str(pct), "discount_days": ddays}}
        if limit is not None:
            record["credit_limit"] = _money(limit)
        payload["customers"].append(record)
    payload["users"] = [{"email": e, "name": n, "password": PASSWORD, "customer": customers[c][0]}
                        for e, n, c in users(plan)]
    payload["products"] = [{"item": item, "name": desc, "price": _money(price), "currency": "NOK"}
                           for item, desc, price in ITEMS]
    for number, billed, ordered, invoice_date, due_date, currency, lines, total, paid in invoice_facts(plan, customers):
        payload["invoices"].append({
            "number": number, "invoice_account": customers[billed][0], "order_account": customers[ordered][0],
            "invoice_date": invoice_date.isoformat(), "due_date": due_date.isoformat(), "currency": currency,
            "lines": [{"item": item, "description": description, "quantity": str(quantity),
                       "unit_price": _money(price), "tax_percent": str(tax)}
                      for item, description, quantity, price, tax, _, _ in lines],
            "paid": _money(paid)})
    return payload


# ------------------------------------------------------------------------------------------ bulk writer


def bulk_insert(model, fields, rows, batch: int = 5000) -> int:
    """Insert `rows` (tuples of database values, in `fields` order) into `model`'s table, in batches.

    SQLite runs the model's own `insert_many(...)` statement (table, columns, quoting and placeholders
    come from the model) through `executemany`; PostgreSQL takes the same table and columns through
    COPY, its bulk path. Peewee itself builds multi-row VALUES lists one value at a time in Python
    (about 10 µs a value: seven minutes for the 40 million values of a million invoices), and
    PostgreSQL parses such lists slowly too. Fields the plan does not name but the model gives a constant
    default (new columns added by later migrations) get that default.
    """
    from models import db, is_postgres

    named = {field.name for field in fields}
    defaults = [(field, field.db_value(field.default)) for field in model._meta.sorted_fields
                if field.name not in named and field.default is not None and not callable(field.default)]
    if defaults:
        fields = [*fields, *(field for field, _ in defaults)]
        extra = tuple(value for _, value in defaults)
        rows = (tuple(row) + extra for row in rows)

    count = 0
    cursor = db.cursor()
    if is_postgres():
        columns = ", ".join(f'"{field.column_name}"' for field in fields)
        statement = f'COPY "{model._meta.table_name}" ({columns}) FROM STDIN'
        for chunk in _batches(rows, batch * 4):
            buffer = io.StringIO()
            buffer.writelines("\t".join(map(_copy_text, row)) + "\n" for row in chunk)
            buffer.seek(0)
            cursor.copy_expert(statement, buffer)
            count += len(chunk)
        return count
    sql, _ = model.insert_many([tuple(None for _ in fields)], fields=fields).sql()
    for chunk in _batches(rows, batch):
        cursor.executemany(sql, chunk)
        count += len(chunk)
    return count


_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _copy_text(value) -> str:
    """A value in COPY's text format."""
    if value is None:
        return "\\N"
    if value is True or value is False:
        return "t" if value else "f"
    if isinstance(value, str):
        return value.translate(_COPY_ESCAPES)
    if isinstance(value, (date, datetime)):
        return value.isoformat(" ") if isinstance(value, datetime) else value.isoformat()
    return str(value)


def _batches(rows, size):
    batch = []
    for row in rows:
        batch.append(row)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def generate(plan: Plan, *, log=print) -> dict:
    """Write `plan` into the empty database bound to `models.db`, which is at the latest migration.

    The secondary indexes and the summary triggers are dropped, the tables filled in big batches inside one
    transaction per table, then the indexes and triggers put back (the same definitions the models and
    migrations/sql/ hold), the summaries counted and the statistics gathered: building an index once is far
    cheaper than updating six of them a million times. Values are converted by the models' own fields (`db_value`), memoised
    because a million invoices reuse a few hundred distinct quantities, prices and rates.
    """
    from peewee import AutoField
    from werkzeug.security import generate_password_hash

    import migrations
    from models import ALL_MODELS, db, is_postgres
    from models.customer import Customer, User
    from models.invoice import Invoice, InvoiceLine, Payment
    from models.product import Product
    from models.aging import TRIGGERS as AGING_TRIGGERS
    from models.aging import rebuild_aging
    from models.summary import rebuild_summaries

    timings = {}
    started = time.perf_counter()
    postgres = is_postgres()

    for name in ("invoice_summary_insert", "invoice_summary_update", "invoice_summary_delete") + AGING_TRIGGERS:
        db.execute_sql(f"DROP TRIGGER IF EXISTS {name}" + (" ON invoice" if postgres else ""))
    for model in ALL_MODELS:
        model._schema.drop_indexes(safe=True)  # the model-declared secondary indexes, built again below

    def phase(name, since):
        now = time.perf_counter()
        timings[name] = now - since
        return now

    def converter(field):
        """field.db_value, memoised (the values repeat)."""
        cache = {}

        def convert(value):
            try:
                return cache[value]
            except KeyError:
                cache[value] = result = field.db_value(value)
                return result
        return convert

    customers = customer_records(plan)
    index_of = {c[0]: i for i, c in enumerate(customers)}
    percent = converter(Customer.discount_percent)
    with db.atomic():
        bulk_insert(Customer, [
            Customer.id, Customer.account, Customer.name, Customer.email, Customer.currency,
            Customer.billing_address, Customer.invoice_account, Customer.net_days, Customer.discount_percent,
            Customer.discount_days, Customer.credit_limit], (
            (i + 1, account, name, email, currency, address, index_of[org] + 1 if org else None, net,
             percent(Decimal(pct)), ddays, limit)  # MoneyField stores minor units: the plan's own numbers
            for i, (account, name, email, currency, address, org, net, pct, ddays, limit) in enumerate(customers)))
        # Each user's own salt, hashed with the cheap method (about 1 ms each rather than scrypt's 50).
        bulk_insert(User, [User.email, User.name, User.password_hash, User.customer], [
            (email, name, generate_password_hash(PASSWORD, method=PASSWORD_HASH_METHOD), customer_index + 1)
            for email, name, customer_index in users(plan)])
        bulk_insert(Product, [Product.item, Product.name, Product.price, Product.currency, Product.active,
                              Product.tax_percent],
                    [(item, desc, price, "NOK", True, Decimal(TAX["NOK"])) for item, desc, price in ITEMS])
    now = phase("customers", started)

    invoice_fields = [Invoice.id, Invoice.number, Invoice.invoice_account, Invoice.order_account,
                      Invoice.invoice_date, Invoice.due_date, Invoice.currency, Invoice.total, Invoice.balance,
                      Invoice.status, Invoice.discount_percent, Invoice.discount_until, Invoice.created_at]
    line_fields = [InvoiceLine.invoice, InvoiceLine.line_no, InvoiceLine.item, InvoiceLine.description,
                   InvoiceLine.quantity, InvoiceLine.unit_price, InvoiceLine.tax_percent, InvoiceLine.amount,
                   InvoiceLine.tax]
    payment_fields = [Payment.invoice, Payment.amount, Payment.discount, Payment.method,
                      Payment.gateway_reference, Payment.created_at]
    day, moment = converter(Invoice.invoice_date), converter(Invoice.created_at)
    invoice_percent = converter(Invoice.discount_percent)
    quantity_of, price_of, tax_of = (converter(InvoiceLine.quantity), converter(InvoiceLine.unit_price),
                                     converter(InvoiceLine.tax_percent))
    terms = [(invoice_percent(Decimal(c[7])), timedelta(days=c[8])) if c[7] and c[8] else None
             for c in customers]
    no_discount = invoice_percent(Decimal("0"))
    lines_out, payments_out = [], []
    status_of = {}

    def invoices_out():
        invoice_id = 0
        for number, billed, ordered, invoice_date, due_date, currency, lines, total, paid in \
                invoice_facts(plan, customers):
            invoice_id += 1
            created = moment(datetime(invoice_date.year, invoice_date.month, invoice_date.day, 8, 0))
            discount = terms[billed]
            balance = total - paid
            state = STATUS_PAID if balance <= 0 else (STATUS_PARTIAL if paid else STATUS_UNPAID)
            status_of[state] = status_of.get(state, 0) + 1
            yield (invoice_id, number, billed + 1, ordered + 1, day(invoice_date), day(due_date), currency, total,
                   balance, state, discount[0] if discount else no_discount,
                   day(invoice_date + discount[1]) if discount else None, created)
            for line_no, (item, description, quantity, price, tax_pct, amount, tax) in enumerate(lines, 1):
                lines_out.append((invoice_id, line_no, item, description, quantity_of(quantity),
                                  price_of(Decimal(price).scaleb(-2)), tax_of(tax_pct), amount, tax))
            if paid:
                payments_out.append((invoice_id, paid, 0, Payment.METHOD_IMPORTED, "before import", created))

    counts = {"invoices": 0, "lines": 0, "payments": 0}
    with db.atomic():
        # Invoices stream in chunks; their lines and payments follow each chunk so memory stays bounded.
        for chunk in _batches(invoices_out(), 20_000):
            counts["invoices"] += bulk_insert(Invoice, invoice_fields, chunk)
            counts["lines"] += bulk_insert(InvoiceLine, line_fields, lines_out)
            counts["payments"] += bulk_insert(Payment, payment_fields, payments_out)
            lines_out.clear()
            payments_out.clear()
    now = phase("invoices", now)

    if postgres:
        for model in ALL_MODELS:
            if not isinstance(model._meta.primary_key, AutoField):
                continue
            table = model._meta.table_name
            db.execute_sql(f"SELECT setval(pg_get_serial_sequence('\"{table}\"', 'id'), "
                           f"GREATEST((SELECT MAX(id) FROM \"{table}\"), 1))")
    for model in ALL_MODELS:
        model._schema.create_indexes(safe=True)
    for statement in migrations.statements("invoice_aging", db):
        db.execute_sql(statement)
    for statement in migrations.statements("invoice_summary", db):
        db.execute_sql(statement)
    now = phase("indexes", now)
    rebuild_summaries()
    rebuild_aging()
    # PostgreSQL: VACUUM also marks the freshly written pages all-visible, so index-only scans stay index-only.
    db.execute_sql("VACUUM ANALYZE" if postgres else "ANALYZE")
    phase("summaries + analyze", now)
    timings["total"] = time.perf_counter() - started
    return {**counts, "customers": len(customers), "statuses": status_of, "timings": timings}


def visible_count(plan: Plan) -> int:
    """How many invoices the measured user sees under this plan."""
    full, rest = divmod(plan.invoices, 1000)
    return full * (TO_DIST + TO_MEASURED) + max(0, min(rest, TO_DIST + TO_MEASURED))
