"""A small, explicit data set for tests: who sees what is obvious from reading it.

DIST-1 is the organization account of RET-1 and RET-2; IND-1 stands alone.
"""
from datetime import date, timedelta

PASSWORD = "test-Passw0rd"

USERS = {
    "kari": ("kari@ret1.example", "RET-1"),   # retailer with organization account DIST-1
    "ola": ("ola@ret1.example", "RET-1"),     # a second user of the same retailer
    "sara": ("sara@ret2.example", "RET-2"),   # the other retailer of DIST-1
    "nina": ("nina@dist1.example", "DIST-1"), # the distributor itself
    "anna": ("anna@ind1.example", "IND-1"),   # an independent customer
}


# Organization and VAT numbers with valid check digits (Norwegian MOD11, Polish NIP).
IDENTIFIERS = {
    "DIST-1": {"country": "NO", "org_number": "911223341", "vat_number": "NO911223341MVA"},
    "RET-1": {"country": "NO", "org_number": "922334455", "vat_number": "NO922334455MVA"},
    "RET-2": {"country": "NO", "org_number": "933445569"},
    "IND-1": {"country": "PL", "org_number": "1112223332", "vat_number": "PL1112223332"},
}


def customer(account, invoice_account=None, currency="NOK", terms=None, credit_limit=None, email=None):
    record = {"account": account, "name": f"{account} Company", "email": email or f"ap@{account.lower()}.example",
              "currency": currency, "billing_address": f"{account} street 1\n0150 Oslo",
              "invoice_account": invoice_account, **IDENTIFIERS.get(account, {})}
    if terms is not None:
        record["payment_terms"] = terms
    if credit_limit is not None:
        record["credit_limit"] = credit_limit
    return record


def invoice(number, billed, ordered=None, *, days_ago=5, net_days=30, currency="NOK", quantity="10",
            unit_price="100.00", tax_percent="25", paid="0.00", on=None):
    on = on or date.today()
    invoice_date = on - timedelta(days=days_ago)
    return {"number": number, "invoice_account": billed, "order_account": ordered or billed,
            "invoice_date": invoice_date.isoformat(),
            "due_date": (invoice_date + timedelta(days=net_days)).isoformat(), "currency": currency,
            "lines": [{"item": "A-100", "description": "Pallet wrap", "quantity": quantity,
                       "unit_price": unit_price, "tax_percent": tax_percent}],
            "paid": paid}


def world_payload(on=None):
    """Each invoice's number says whose it is: D = billed to DIST-1, R1/R2 = the retailers, I = IND-1."""
    discount = {"net_days": 30, "discount_percent": "2", "discount_days": 10}
    return {
        "customers": [
            customer("RET-1", "DIST-1"),   # defined before its invoice account on purpose
            customer("RET-2", "DIST-1"),
            customer("DIST-1", terms=discount, credit_limit="100000.00"),
            customer("IND-1", currency="PLN"),
        ],
        "users": [{"email": email, "name": name.title(), "password": PASSWORD, "customer": account}
                  for name, (email, account) in USERS.items()],
        "products": [{"item": "A-100", "name": "Pallet wrap", "price": "129.00", "currency": "NOK"},
                     {"item": "P-100", "name": "Folia stretch", "price": "59.90", "currency": "PLN"}],
        "invoices": [
            # Billed to DIST-1: 1250.00 each (10 x 100 + 25 % tax); inside the discount window.
            invoice("D-001", "DIST-1", "RET-1", days_ago=3, on=on),
            invoice("D-002", "DIST-1", "RET-2", days_ago=40, on=on),                  # overdue
            invoice("D-003", "DIST-1", "DIST-1", days_ago=60, paid="1250.00", on=on), # paid
            invoice("D-004", "DIST-1", "RET-1", days_ago=20, paid="250.00", on=on),   # partially paid
            # Billed to the retailers themselves.
            invoice("R1-001", "RET-1", days_ago=2, on=on),
            invoice("R1-002", "RET-1", days_ago=50, paid="1250.00", on=on),
            invoice("R2-001", "RET-2", days_ago=10, on=on),
            # The independent customer, in PLN.
            invoice("I-001", "IND-1", days_ago=5, currency="PLN", tax_percent="23", on=on),
            invoice("I-002", "IND-1", days_ago=35, currency="PLN", tax_percent="23", on=on),
        ],
    }


VISIBLE = {
    "kari": {"D-001", "D-002", "D-003", "D-004", "R1-001", "R1-002"},
    "ola": {"D-001", "D-002", "D-003", "D-004", "R1-001", "R1-002"},
    "sara": {"D-001", "D-002", "D-003", "D-004", "R2-001"},
    "nina": {"D-001", "D-002", "D-003", "D-004"},
    "anna": {"I-001", "I-002"},
}
ALL_NUMBERS = {inv["number"] for inv in world_payload()["invoices"]}
