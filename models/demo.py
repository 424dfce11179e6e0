"""The demo data set: a distributor paying for two retailers, an independent Polish customer.

Dates are relative to today so there is always something overdue, something inside its
cash-discount window and something paid. Deterministic: the same day gives the same data.
"""
import random
from datetime import date, timedelta
from decimal import Decimal

from .invoice import InvoiceLine
from .money import round_money

DEMO_PASSWORD = "demo-Passw0rd"

CUSTOMERS = [
    # DIST-1's demo invoices leave about 1.0 million unpaid: the limit leaves room to order on account.
    {"account": "DIST-1", "name": "Nordic Distribution AS", "email": "ap@nordic.example", "currency": "NOK",
     "billing_address": "Storgata 1\n0155 Oslo\nNorway", "invoice_account": None,
     "country": "NO", "org_number": "911223341", "vat_number": "NO911223341MVA",
     "payment_terms": {"net_days": 30, "discount_percent": "2", "discount_days": 10}, "credit_limit": "1500000.00"},
    {"account": "RET-1", "name": "Fjordbutikken AS", "email": "post@fjordbutikken.example", "currency": "NOK",
     "billing_address": "Kaigata 5\n5016 Bergen\nNorway", "invoice_account": "DIST-1",
     "country": "NO", "org_number": "922334455", "vat_number": "NO922334455MVA",
     "payment_terms": {"net_days": 30, "discount_percent": "0", "discount_days": 0}, "credit_limit": "50000.00"},
    {"account": "RET-2", "name": "Nordlys Handel AS", "email": "faktura@nordlys.example", "currency": "NOK",
     "billing_address": "Storgata 40\n9008 Tromsø\nNorway", "invoice_account": "DIST-1",
     "country": "NO", "org_number": "933445569",
     "payment_terms": {"net_days": 14}, "credit_limit": "30000.00"},
    {"account": "IND-1", "name": "Hurtownia Wisła Sp. z o.o.", "email": "ksiegowosc@wisla.example", "currency": "PLN",
     "billing_address": "ul. Marszałkowska 10\n00-590 Warszawa\nPoland", "invoice_account": None,
     "country": "PL", "org_number": "1112223332", "vat_number": "PL1112223332",
     "payment_terms": {"net_days": 45, "discount_percent": "3", "discount_days": 14}, "credit_limit": "200000.00"},
]

# (email, name, customer, what it shows, roles): without roles a user has Admin, Payer and Buyer, so every company
# has an Admin; Ola pays and orders but manages nobody; Per only looks (and requests copies).
USERS = [
    ("kari@fjordbutikken.example", "Kari Nordmann", "RET-1", "retailer; organization account DIST-1; Admin", None),
    ("ola@fjordbutikken.example", "Ola Hansen", "RET-1", "second user of the same retailer; Payer and Buyer",
     ["payer", "buyer"]),
    ("per@fjordbutikken.example", "Per Viewer", "RET-1", "a Viewer of the same retailer: sees, cannot pay or order",
     ["viewer"]),
    ("sara@nordlys.example", "Sara Olsen", "RET-2", "another retailer of DIST-1; Admin", None),
    ("nina@nordic.example", "Nina Berg", "DIST-1", "the distributor (organization account); Admin", None),
    ("anna@wisla.example", "Anna Kowalska", "IND-1", "independent customer, PLN; Admin", None),
]

PRODUCTS = [
    ("A-100", "Pallet wrap", "129.00", "NOK", "25"),
    ("A-200", "Shipping cartons (25)", "245.00", "NOK", "25"),
    ("B-310", "Label printer rolls", "89.50", "NOK", "25"),
    ("C-420", "Packing tape, 36 rolls", "399.00", "NOK", "25"),
    ("F-750", "Coffee beans, 1 kg", "189.00", "NOK", "15"),
    ("P-100", "Folia stretch", "59.90", "PLN", "23"),
    ("P-200", "Kartony wysyłkowe (25)", "119.00", "PLN", "23"),
    ("P-810", "Kawa ziarnista, 1 kg", "79.00", "PLN", "8"),
]

# (item, description, price in NOK, VAT in Norway, VAT in Poland): food has the reduced rates.
ITEMS = [
    ("A-100", "Pallet wrap", "129.00", "25", "23"), ("A-200", "Shipping cartons (25)", "245.00", "25", "23"),
    ("B-310", "Label printer rolls", "89.50", "25", "23"), ("C-420", "Packing tape, 36 rolls", "399.00", "25", "23"),
    ("D-530", "Shelf labels", "18.75", "25", "23"), ("E-640", "Hand truck", "2490.00", "25", "23"),
    ("F-750", "Coffee beans, 1 kg", "189.00", "15", "8"),
    ("G-860", "Installation of shelving in the back store, incl. anchoring to the wall, removal of the old "
              "shelves and packaging, and a safety check signed by the installer", "1450.00", "25", "23"),
]
REFERENCES = ["PO-4471", "Innkjøp 2026-118", "Kari N.", "ZAM/2026/0042"]


def demo_users():
    return [(email, who) for email, _, _, who, _roles in USERS]


def _invoice(rng, number, billed, ordered, invoice_date, net_days, currency, state):
    lines = []
    for _ in range(rng.randint(1, 4)):
        item, description, price, nok_vat, pln_vat = rng.choice(ITEMS)
        if currency == "PLN":
            price = str((Decimal(price) / 2).quantize(Decimal("0.01")))
        lines.append({"item": item, "description": description, "quantity": str(rng.randint(1, 40)),
                      "unit_price": price, "tax_percent": pln_vat if currency == "PLN" else nok_vat})
    total = sum((sum(InvoiceLine.compute(Decimal(line["quantity"]), Decimal(line["unit_price"]),
                                         Decimal(line["tax_percent"])))
                 for line in lines), Decimal("0"))
    paid = {"unpaid": Decimal("0"), "paid": total, "partial": round_money(total * Decimal("0.4"))}[state]
    record = {"number": number, "invoice_account": billed, "order_account": ordered,
              "invoice_date": invoice_date.isoformat(),
              "due_date": (invoice_date + timedelta(days=net_days)).isoformat(),
              "currency": currency, "lines": lines, "paid": str(paid),
              "delivery_date": (invoice_date - timedelta(days=rng.randint(0, 3))).isoformat()}
    if rng.random() < 0.6:
        record["buyer_reference"] = rng.choice(REFERENCES)
    if currency == "PLN" and state == "paid":
        # Registered in KSeF by the back office: the seller's NIP, the day, an identifier.
        record["ksef_number"] = f"7770000005-{invoice_date:%Y%m%d}-{rng.randrange(16 ** 12):012X}-{rng.randrange(256):02X}"
    return record


def demo_payload(on: date | None = None) -> dict:
    on = on or date.today()
    rng = random.Random(20261122)
    invoices = []
    # (billed, ordered choices, currency, net days, count, number prefix)
    plans = [
        ("DIST-1", ["RET-1", "RET-2", "DIST-1"], "NOK", 30, 30, "INV-1"),
        ("RET-1", ["RET-1"], "NOK", 30, 10, "INV-2"),
        ("RET-2", ["RET-2"], "NOK", 14, 6, "INV-3"),
        ("IND-1", ["IND-1"], "PLN", 45, 14, "FV-4"),
    ]
    for billed, ordered, currency, net_days, count, prefix in plans:
        for i in range(count):
            age = [2, 5, 8, 12, 20, 35, 50, 70, 95, 130][i % 10] + rng.randint(0, 3)
            invoice_date = on - timedelta(days=age)
            # Recent invoices are mostly open (some inside their discount window); older ones a mix.
            if age <= 12:
                state = "unpaid" if i % 4 else "partial"
            else:
                state = ["paid", "unpaid", "partial", "unpaid", "partial"][i % 5]  # every age bucket has something open
            invoices.append(_invoice(rng, f"{prefix}{i + 1:03d}", billed, rng.choice(ordered),
                                     invoice_date, net_days, currency, state))
    return {
        "customers": CUSTOMERS,
        "users": [{"email": e, "name": n, "password": DEMO_PASSWORD, "customer": c, **({"roles": r} if r else {})}
                  for e, n, c, _, r in USERS],
        "products": [{"item": i, "name": n, "price": p, "currency": c, "tax_percent": v} for i, n, p, c, v in PRODUCTS],
        "invoices": invoices,
        "credit_notes": _credit_notes(invoices, on),
    }


# (credit note number, credited invoice, reason): goods returned from a few open invoices, one per account.
CREDITS = [("CN-1001", "INV-1002", "Returned: damaged in transport"), ("CN-1002", "INV-1006", "Price correction"),
           ("CN-2001", "INV-2002", "Returned goods"), ("KOR-4001", "FV-4002", "Zwrot towaru")]


def _credit_notes(invoices: list, on: date) -> list:
    """A credit note for one unit of the first line of each invoice in CREDITS: credit to use in the cart."""
    by_number = {invoice["number"]: invoice for invoice in invoices}
    notes = []
    for number, credited, reason in CREDITS:
        invoice = by_number[credited]
        line = dict(invoice["lines"][0], quantity="1")
        notes.append({"number": number, "invoice": credited, "currency": invoice["currency"], "reason": reason,
                      "invoice_date": max(date.fromisoformat(invoice["invoice_date"]), on - timedelta(days=1))
                      .isoformat(), "lines": [line]})
    return notes
