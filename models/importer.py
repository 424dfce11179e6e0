"""The back office's JSON import (CONTRACT.md, "Import format"): one code path for `import-data` and
`POST /api/v1/import`.

All or nothing: the whole file is validated and written inside one transaction; the first bad record stops it
with an `ImportProblem` naming the record and field, and the transaction is rolled back. Records are upserted by
key (customer account, user email, product item, invoice number, credit note number).

Fast and flat (docs/import.md): a file is read as a stream (ijson) — never whole — and invoices are validated in
Python and written in batches (`executemany` on SQLite, `execute_values` on PostgreSQL), with one read per batch
for what is already there. An invoice whose fields, lines and imported payment are unchanged is not written at
all, so a re-import of the same file changes nothing (and moves no list version). The database's triggers keep
the summaries (invoice_summary, invoice_aging) exact for every row written.
"""
from __future__ import annotations

import io
import re
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from peewee import fn

from . import clock, db, is_postgres, write_transaction
from .cart import drop_unseen_lines
from .credit_note import CreditNote, CreditNoteLine
from .customer import CURRENCY_COUNTRY, Customer, User
from .identifiers import (KID_MAX, IdentifierError, clean_country, clean_kid, clean_ksef_number, clean_org_number,
                          clean_vat_number)
from .invoice import Invoice, InvoiceLine, Payment, derive_status, free_kid
from .money import CURRENCIES, ZERO, AmountError, parse_decimal, round_money
from .product import Product
from .roles import ROLES, roles_text


class ImportProblem(Exception):
    def __init__(self, record: str, field_name: str, message: str):
        self.record, self.field, self.message = record, field_name, message
        super().__init__(f"{record}: field '{field_name}': {message}")


class NotJSON(ValueError):
    """The file is not JSON at all (or not UTF-8); the message says where."""


KINDS = ("customers", "users", "products", "invoices", "credit_notes")


@dataclass
class ImportSummary:
    customers: int = 0
    users: int = 0
    products: int = 0
    invoices: int = 0
    credit_notes: int = 0
    created: dict = field(default_factory=lambda: dict.fromkeys(KINDS, 0))
    updated: dict = field(default_factory=lambda: dict.fromkeys(KINDS, 0))

    def __str__(self):
        return (f"{self.customers} customers, {self.users} users, "
                f"{self.products} products, {self.invoices} invoices"
                + (f", {self.credit_notes} credit notes" if self.credit_notes else ""))

    def count(self, kind: str, created: bool | None) -> None:
        """One record of `kind` read: created (True), updated (False) or unchanged (None)."""
        setattr(self, kind, getattr(self, kind) + 1)
        if created is True:
            self.created[kind] += 1
        elif created is False:
            self.updated[kind] += 1

    def describe_changes(self) -> str:
        created = sum(self.created.values())
        updated = sum(self.updated.values())
        return f"{created} created, {updated} updated"


# ----------------------------------------------------------------------------------------------- limits
# What the portal can serve: codes that are safe in a URL and a file name, text without control characters,
# amounts the money columns (integer cents) and the summaries' sums hold with room to spare.
CODE_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,39}\Z", re.ASCII)
CODE_RULE = ("may hold only the letters A-Z and a-z, the digits 0-9 and '-', '_', '.' (starting with a letter or "
             "digit, no '..', at most 40 characters)")
# C0 and C1 control characters except tab and newline; the bidirectional overrides and isolates, which turn
# what a reader sees around; the line and paragraph separators; U+FFFE/FFFF non-characters.
CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f\u2028-\u202e\u2066-\u2069\ufffe\uffff]")
DATE_PATTERN = re.compile(r"\d{4}-\d{2}-\d{2}\Z", re.ASCII)
MAX_QUANTITY = Decimal("1000000000")        # |quantity| below a billion
MAX_UNIT_PRICE = Decimal("10000000000")     # a unit price below ten billion
MAX_DOCUMENT = Decimal("10000000000")       # a line, an invoice or a credit note below ten billion
MAX_LINES = 10_000                          # lines per invoice or credit note
SIMPLE_DECIMAL = {places: re.compile(r"-?[0-9]{1,12}(?:\.[0-9]{1,%d})?\Z" % places) for places in (2, 4)}
BATCH = 1000                                # invoices validated and written together


def check_code(value, record, key):
    """An invoice number, credit note number, account code or item: from the safe alphabet (CODE_RULE)."""
    if not CODE_PATTERN.match(value) or ".." in value:
        raise ImportProblem(record, key, f"{value!r} is not accepted: it {CODE_RULE}")
    return value


def _require(obj, key, record, kind=str):
    if not isinstance(obj, dict):
        raise ImportProblem(record, "-", "must be a JSON object")
    if key not in obj or obj[key] is None or obj[key] == "":
        raise ImportProblem(record, key, "is required")
    value = obj[key]
    if kind is str and not isinstance(value, str):
        raise ImportProblem(record, key, "must be a string")
    if kind is int and (not isinstance(value, int) or isinstance(value, bool)):
        raise ImportProblem(record, key, "must be a whole number")
    return value


def _text(obj, key, record, max_length, required=True, default=""):
    value = obj.get(key) if type(obj) is dict else _require(obj, key, record)
    if type(value) is not str or not value:
        if not required and value in (None, ""):
            return default
        _require(obj, key, record)  # raises: missing, or not a string
    value = value.strip()
    if not value:
        raise ImportProblem(record, key, "is required")
    if len(value) > max_length:
        raise ImportProblem(record, key, f"is longer than {max_length} characters")
    if "\r" in value:
        value = value.replace("\r\n", "\n")
    if not value.isprintable():  # only then look for what is not allowed (a line break, a tab are)
        bad = CONTROL.search(value)
        if bad:
            raise ImportProblem(record, key, f"holds the control character U+{ord(bad.group()):04X}; text may "
                                             "hold line breaks and tabs but no other control characters")
    return value


def _record_key(rec, index: int, kind: str, field: str, seen: set) -> tuple[str, str]:
    """A record's key (`field`, a code) and the label messages name it by ("invoice D-001"); refused when the file
    has it twice."""
    key = _code(rec, field, f"{kind} #{index + 1}")
    label = f"{kind} {key}"
    if key in seen:
        raise ImportProblem(label, field, "appears twice in the file")
    seen.add(key)
    return key, label


def _code(obj, key, record, required=True):
    value = _text(obj, key, record, 40, required=required)
    return check_code(value, record, key) if value else value


def _decimal(obj, key, record, *, places=2, required=True, default=None, minimum=ZERO, maximum=None):
    raw = obj.get(key) if type(obj) is dict else _require(obj, key, record)
    if type(raw) is str and SIMPLE_DECIMAL[places].match(raw):
        value = Decimal(raw)  # the usual case, without the general parser's work
    else:
        if not required and raw in (None, ""):
            return default
        raw = _require(obj, key, record)
        if not isinstance(raw, str):
            raise ImportProblem(record, key, f"must be a string holding a decimal, like \"12.50\" (got {raw!r})")
        try:
            value = parse_decimal(raw, places=places, decimal_comma=False)
        except AmountError as error:
            raise ImportProblem(record, key, f"{raw[:40]!r} is not a valid amount: {error}") from None
    if minimum is not None and value < minimum:
        raise ImportProblem(record, key, f"must not be below {minimum}")
    if maximum is not None and value > maximum:
        raise ImportProblem(record, key, f"must not be above {maximum}")
    return value


def _date(obj, key, record, required=True):
    if not required and obj.get(key) in (None, ""):
        return None
    raw = _require(obj, key, record)
    try:
        if not DATE_PATTERN.match(raw):
            raise ValueError
        value = date.fromisoformat(raw)
        if not 1900 <= value.year <= 2999:
            raise ValueError
        return value
    except ValueError:
        raise ImportProblem(record, key, f"{raw[:40]!r} is not a date in the form YYYY-MM-DD") from None


def _identifier(obj, key, record, clean, *args):
    """An optional identifier, checked by `clean` (models/identifiers.py); None when absent."""
    if obj.get(key) in (None, ""):
        return None
    if not isinstance(obj[key], str):
        raise ImportProblem(record, key, "must be a string")
    try:
        return clean(obj[key], *args)
    except IdentifierError as error:
        raise ImportProblem(record, key, str(error)) from None


def _currency(obj, record):
    value = _text(obj, "currency", record, 3).upper()
    if value not in CURRENCIES:
        raise ImportProblem(record, "currency", f"{value!r} is not one of {', '.join(CURRENCIES)}")
    return value


# ----------------------------------------------------------------------------------------------- reading
class DictSource:
    """An import already in memory (the demo data, tests)."""

    def __init__(self, payload):
        if not isinstance(payload, dict):
            raise ImportProblem("file", "-", "must hold a JSON object with customers, users, products, invoices, "
                                             "credit_notes")
        for key in KINDS:
            if payload.get(key) is not None and not isinstance(payload[key], list):
                raise ImportProblem(key, "-", "must be a list")
        self.payload = payload

    def records(self, kind):
        yield from enumerate(self.payload.get(kind) or ())


class StreamSource:
    """An import file read as a stream. A first quick pass over its tokens checks the top level (an object whose
    known keys are lists) and refuses a key given twice in any object (plain JSON would keep the last silently);
    then each kind is read record by record."""

    def __init__(self, handle):
        import ijson

        self.ijson, self.handle = ijson, handle
        expect = None
        record_keys = {f"{kind}.item": kind for kind in KINDS}
        label_keys = {f"{kind}.item.{_KEY_OF[kind][1]}": kind for kind in KINDS}
        counts = dict.fromkeys(KINDS, 0)
        current = ["file", None]  # the kind being read and the label of its record
        stack = []  # the keys seen so far in each open object
        try:
            events = ijson.parse(handle, use_float=False)
            first = next(events, None)
            if first is None or first[1] != "start_map":
                raise ImportProblem("file", "-", "must hold a JSON object with customers, users, products, "
                                                 "invoices, credit_notes")
            stack.append(set())
            for prefix, event, value in events:
                if expect is not None:
                    if event not in ("start_array", "null"):
                        raise ImportProblem(expect, "-", "must be a list")
                    expect = None
                if event == "map_key":
                    keys = stack[-1]
                    if value in keys:
                        self._duplicate(prefix, value, current)
                    keys.add(value)
                    if prefix == "" and value in KINDS:
                        expect = value
                elif event == "start_map":
                    stack.append(set())
                    kind = record_keys.get(prefix)
                    if kind is not None:
                        counts[kind] += 1
                        current = [kind, f"{_KEY_OF[kind][0]} #{counts[kind]}"]
                elif event == "end_map":
                    stack.pop()
                elif event == "string" and prefix in label_keys:
                    if label_keys[prefix] == current[0]:
                        record = {_KEY_OF[current[0]][1]: value}
                        current[1] = _label(current[0], counts[current[0]] - 1, record)
        except ijson.JSONError as error:
            raise NotJSON(str(error)) from None
        except UnicodeDecodeError as error:
            raise NotJSON(str(error)) from None

    @staticmethod
    def _duplicate(prefix, key, current):
        if prefix == "":
            raise ImportProblem("file", key, "appears twice (a duplicate JSON key)")
        inner = prefix.split(".", 2)[2] if prefix.count(".") >= 2 else ""
        field_name = ".".join(part for part in (inner.replace(".item", ""), key) if part)
        raise ImportProblem(current[1], field_name, "appears twice in the record (a duplicate JSON key)")

    def records(self, kind):
        self.handle.seek(0)
        yield from enumerate(self.ijson.items(self.handle, f"{kind}.item", use_float=False))


_KEY_OF = {"customers": ("customer", "account"), "users": ("user", "email"), "products": ("product", "item"),
           "invoices": ("invoice", "number"), "credit_notes": ("credit note", "number")}


def _label(kind, index, record):
    noun, key = _KEY_OF[kind]
    value = record.get(key) if isinstance(record, dict) else None
    if isinstance(value, str) and CODE_PATTERN.match(value) or (key == "email" and isinstance(value, str)
                                                                 and len(value) < 100 and value.isprintable()):
        return f"{noun} {value}"
    return f"{noun} #{index + 1}"


def import_data(payload) -> ImportSummary:
    """Validate and upsert everything in `payload` (a dict); raise ImportProblem and write nothing on bad data."""
    return _run(DictSource(payload))


def import_file(handle) -> ImportSummary:
    """Validate and upsert an import file (a binary, seekable file object) read as a stream; raise ImportProblem
    (bad data) or NotJSON (not JSON at all) and write nothing. `import-data` and `POST /api/v1/import` call it."""
    if isinstance(handle, (bytes, bytearray)):
        handle = io.BytesIO(handle)
    return _run(StreamSource(handle))


def _run(source) -> ImportSummary:
    summary = ImportSummary()
    with write_transaction():
        customers = _import_customers(source.records("customers"), summary)
        _import_users(source.records("users"), customers, summary)
        _import_products(source.records("products"), summary)
        _import_invoices(source.records("invoices"), summary)
        _import_credit_notes(source.records("credit_notes"), summary)
        # A user moved to another company (or a company billed elsewhere now) keeps nothing it may no longer see.
        drop_unseen_lines()
    return summary


# ----------------------------------------------------------------------------------------------- customers
def _customer_by_account(account, cache):
    if account in cache:
        return cache[account]
    found = Customer.get_or_none(Customer.account == account)
    if found:
        cache[account] = found
    return found


def _customer_values(rec, label) -> dict:
    terms = rec.get("payment_terms") or {}
    if not isinstance(terms, dict):
        raise ImportProblem(label, "payment_terms", "must be an object")
    net_days = terms.get("net_days", 30)
    if not isinstance(net_days, int) or isinstance(net_days, bool) or not 0 <= net_days <= 365:
        raise ImportProblem(label, "payment_terms.net_days", "must be a whole number of days from 0 to 365")
    discount_days = terms.get("discount_days", 0) or 0
    if not isinstance(discount_days, int) or isinstance(discount_days, bool) or not 0 <= discount_days <= net_days:
        raise ImportProblem(label, "payment_terms.discount_days", "must be a whole number from 0 to net_days")
    discount_percent = _decimal(terms, "discount_percent", label + " payment_terms", required=False,
                                default=Decimal("0"), maximum=Decimal("100"))
    values = dict(
        name=_text(rec, "name", label, 200),
        email=_text(rec, "email", label, 254).lower(),
        currency=_currency(rec, label),
        billing_address=_text(rec, "billing_address", label, 1000, required=False),
        net_days=net_days,
        discount_percent=discount_percent,
        discount_days=discount_days,
        credit_limit=_decimal(rec, "credit_limit", label, required=False, maximum=MAX_DOCUMENT * 100),
    )
    if "@" not in values["email"]:
        raise ImportProblem(label, "email", f"{values['email']!r} is not an email address")
    values["country"] = _identifier(rec, "country", label, clean_country)
    country = values["country"] or CURRENCY_COUNTRY.get(values["currency"])
    values["org_number"] = _identifier(rec, "org_number", label, clean_org_number, country)
    values["vat_number"] = _identifier(rec, "vat_number", label, clean_vat_number, country)
    return values


def _import_customers(records, summary) -> dict:
    cache: dict[str, Customer] = {customer.account: customer for customer in Customer.select()}
    pending_links = []
    seen = set()
    for index, rec in records:
        account, label = _record_key(rec, index, "customer", "account", seen)
        values = _customer_values(rec, label)
        invoice_account = rec.get("invoice_account")
        if invoice_account is not None and not isinstance(invoice_account, str):
            raise ImportProblem(label, "invoice_account", "must be a customer account or null")
        if invoice_account == account:
            raise ImportProblem(label, "invoice_account", "a customer cannot be its own invoice account")
        customer = _customer_by_account(account, cache)
        if customer is None:
            customer = Customer.create(account=account, invoice_account=None, **values)
            created = True
        else:
            changed = {key: value for key, value in values.items() if getattr(customer, key) != value}
            for key, value in changed.items():
                setattr(customer, key, value)
            if changed:
                customer.save(only=[getattr(Customer, key) for key in changed])
            created = False if changed else None
        cache[account] = customer
        pending_links.append((customer, invoice_account or None, label, created))
    # Second pass: an invoice account may be defined after the customer naming it.
    links = {customer.account: invoice_account for customer, invoice_account, _, _ in pending_links}
    for customer, invoice_account, label, created in pending_links:
        target = None
        if invoice_account:
            target = _customer_by_account(invoice_account, cache)
            if target is None:
                raise ImportProblem(label, "invoice_account", f"names unknown customer {invoice_account!r}")
            if target.account in links:
                targets_own = links[target.account]
            else:
                targets_own = target.invoice_account.account if target.invoice_account_id else None
            if targets_own:
                raise ImportProblem(label, "invoice_account",
                                    f"{invoice_account} is billed to {targets_own} itself; "
                                    "an organization account must pay its own invoices")
        target_id = target.id if target is not None else None
        if customer.invoice_account_id != target_id:
            customer.invoice_account = target
            customer.save(only=[Customer.invoice_account])
            created = created if created is not None else False
        summary.count("customers", created)
    _refuse_chains(links, cache)
    return cache


def _refuse_chains(links, cache) -> None:
    """No customer is billed to an account that is itself billed to another (a chain would let the first one's
    users see a third company's invoices): also not through a customer already in the portal, left out of the
    file, whose organization account the file now bills to someone else."""
    Billed, Payer = Customer.alias(), Customer.alias()
    billed_to_others = [account for account, invoice_account in links.items() if invoice_account]
    for start in range(0, len(billed_to_others), 500):
        chunk = billed_to_others[start:start + 500]
        row = (Billed.select(Billed.account, Payer.account)
               .join(Payer, on=(Billed.invoice_account == Payer.id))
               .where(Payer.account.in_(chunk)).order_by(Billed.account).tuples().first())
        if row:
            billed, payer = row
            raise ImportProblem(f"customer {payer}", "invoice_account",
                                f"{payer} is the invoice account of {billed}, so it cannot be billed to "
                                f"{links[payer]}: an organization account pays its own invoices")


# ----------------------------------------------------------------------------------------------- users
def _user_values(rec, label, customers) -> dict:
    """What a user record sets (besides its password); one place to add a field."""
    name = _text(rec, "name", label, 200)
    account = _text(rec, "customer", label, 40)
    customer = _customer_by_account(account, customers)
    if customer is None:
        raise ImportProblem(label, "customer", f"names unknown customer {account!r}")
    values = dict(name=name, customer=customer)
    roles = _roles(rec, label)
    if roles is not None:  # without "roles" a new user has the default ones and a known user keeps theirs
        values["roles"] = roles_text(roles)
    return values


def _import_users(records, customers, summary):
    seen = set()
    for index, rec in records:
        label = f"user #{index + 1}"
        email = _text(rec, "email", label, 254).lower()
        label = f"user {email}"
        if "@" not in email:
            raise ImportProblem(label, "email", "is not an email address")
        if email in seen:
            raise ImportProblem(label, "email", "appears twice in the file")
        seen.add(email)
        values = _user_values(rec, label, customers)
        password = _require(rec, "password", label)
        if len(password) < 8:
            raise ImportProblem(label, "password", "must have at least 8 characters")
        if len(password) > 200:
            raise ImportProblem(label, "password", "is longer than 200 characters")
        user = User.get_or_none(User.email == email)
        created = user is None
        if user is None:
            user = User(email=email)
        elif (all(getattr(user, key) == value for key, value in values.items())
              and user.check_password(password)):
            summary.count("users", None)  # unchanged: not written
            continue
        for key, value in values.items():
            setattr(user, key, value)
        user.set_password(password)
        user.save()
        summary.count("users", created)


# ----------------------------------------------------------------------------------------------- products
# A product's VAT rate when the import gives none: the standard rate of its currency's market.
DEFAULT_TAX_PERCENT = {"NOK": Decimal("25"), "PLN": Decimal("23")}


def _roles(rec, label):
    """The user's "roles": a non-empty list of admin, payer, buyer, viewer; None when not given."""
    if rec.get("roles") is None:
        return None
    value = rec["roles"]
    if not isinstance(value, list) or not value:
        raise ImportProblem(label, "roles", "must be a non-empty list of roles (" + ", ".join(ROLES) + ")")
    unknown = [role for role in value if role not in ROLES]
    if unknown:
        raise ImportProblem(label, "roles", f"{unknown[0]!r} is not a role; use any of " + ", ".join(ROLES))
    return frozenset(value)


def _import_products(records, summary):
    seen = set()
    for index, rec in records:
        item, label = _record_key(rec, index, "product", "item", seen)
        values = dict(name=_text(rec, "name", label, 200),
                      price=_decimal(rec, "price", label, maximum=MAX_UNIT_PRICE),
                      currency=_currency(rec, label), active=True)
        values["tax_percent"] = _decimal(rec, "tax_percent", label, required=False,
                                        default=DEFAULT_TAX_PERCENT.get(values["currency"], Decimal("25")),
                                        maximum=Decimal("100"))
        product = Product.get_or_none(Product.item == item)
        if product is None:
            Product.create(item=item, **values)
            summary.count("products", True)
        elif all(getattr(product, key) == value for key, value in values.items()):
            summary.count("products", None)
        else:
            Product.update(**values).where(Product.id == product.id).execute()
            summary.count("products", False)


# ----------------------------------------------------------------------------------------------- invoices
def _lines(rec, label) -> tuple[list, Decimal]:
    """The lines of an invoice or credit note as rows (line_no, item, description, quantity, unit_price,
    tax_percent, amount, tax), and the document's total."""
    lines = rec.get("lines")
    if not isinstance(lines, list) or not lines:
        raise ImportProblem(label, "lines", "is required: a list with at least one line")
    if len(lines) > MAX_LINES:
        raise ImportProblem(label, "lines", f"has {len(lines)} lines; at most {MAX_LINES:,} are accepted")
    parsed_lines, total = [], ZERO
    for line_index, line in enumerate(lines):
        line_label = f"{label} line {line_index + 1}"
        quantity = _decimal(line, "quantity", line_label, places=4, minimum=-MAX_QUANTITY + 1,
                            maximum=MAX_QUANTITY - 1)
        if quantity == 0:
            raise ImportProblem(line_label, "quantity", "must not be zero")
        unit_price = _decimal(line, "unit_price", line_label, places=4, maximum=MAX_UNIT_PRICE - 1)
        tax_percent = _decimal(line, "tax_percent", line_label, required=False, default=Decimal("0"),
                               maximum=Decimal("100"))
        amount, tax = InvoiceLine.compute(quantity, unit_price, tax_percent)
        if abs(amount + tax) >= MAX_DOCUMENT:
            raise ImportProblem(line_label, "quantity", f"quantity × unit price is {amount + tax}; a line must "
                                f"stay below {MAX_DOCUMENT:,}")
        total += amount + tax
        parsed_lines.append((line_index + 1, _text(line, "item", line_label, 40, required=False),
                             _text(line, "description", line_label, 500), quantity, unit_price, tax_percent,
                             amount, tax))
    if abs(total) >= MAX_DOCUMENT:
        raise ImportProblem(label, "lines", f"the total is {total}; a document must stay below {MAX_DOCUMENT:,}")
    return parsed_lines, total


# What an invoice row holds besides its id and created_at, in the order the batch writer uses.
INVOICE_FIELDS = (Invoice.number, Invoice.invoice_account, Invoice.order_account, Invoice.invoice_date,
                  Invoice.due_date, Invoice.currency, Invoice.total, Invoice.balance, Invoice.status,
                  Invoice.discount_percent, Invoice.discount_until, Invoice.kid, Invoice.buyer_reference,
                  Invoice.delivery_date, Invoice.delivery_address, Invoice.ksef_number)
LINE_FIELDS = (InvoiceLine.line_no, InvoiceLine.item, InvoiceLine.description, InvoiceLine.quantity,
               InvoiceLine.unit_price, InvoiceLine.tax_percent, InvoiceLine.amount, InvoiceLine.tax)
MONEY_AT = (6, 7)  # total, balance in INVOICE_FIELDS
KID_AT = 11


@dataclass
class _Parsed:
    number: str
    label: str
    values: list  # INVOICE_FIELDS order, Python values; total/balance/status/kid filled in per batch
    lines: list
    total: Decimal
    paid: Decimal
    kid: str | None


def _accounts() -> dict:
    """Every customer's id and terms by account (one query), for reading invoices without asking per record."""
    return {account: (cid, net_days, Decimal(percent or 0), days) for account, cid, net_days, percent, days in
            Customer.select(Customer.account, Customer.id, Customer.net_days, Customer.discount_percent,
                            Customer.discount_days).tuples()}


def _parse_invoice(index, rec, seen, accounts) -> _Parsed:
    number, label = _record_key(rec, index, "invoice", "number", seen)
    ids = {}
    for key in ("invoice_account", "order_account"):
        account = _text(rec, key, label, 40)
        if account not in accounts:
            raise ImportProblem(label, key, f"names unknown customer {account[:40]!r}")
        ids[key] = accounts[account]
    billed_id, net_days, percent, discount_days = ids["invoice_account"]
    invoice_date = _date(rec, "invoice_date", label)
    due_date = _date(rec, "due_date", label, required=False) or Customer(net_days=net_days).due_date_for(invoice_date)
    if due_date < invoice_date:
        raise ImportProblem(label, "due_date", "is before the invoice date")
    currency = _currency(rec, label)
    lines, total = _lines(rec, label)
    if total < ZERO:
        raise ImportProblem(label, "lines", "the invoice total is negative")
    paid = _decimal(rec, "paid", label, required=False, default=ZERO, maximum=MAX_DOCUMENT)
    terms = Customer(discount_percent=percent, discount_days=discount_days)
    ksef_number = _identifier(rec, "ksef_number", label, clean_ksef_number)
    if ksef_number and currency != "PLN":
        raise ImportProblem(label, "ksef_number", "only PLN invoices are registered in KSeF")
    kid = _identifier(rec, "kid", label, clean_kid)
    if kid and currency != "NOK":
        raise ImportProblem(label, "kid", "a KID is the payment reference of NOK invoices")
    values = [number, billed_id, ids["order_account"][0], invoice_date, due_date, currency, None, None, None,
              percent if terms.has_cash_discount else Decimal("0"), terms.discount_date_for(invoice_date), None,
              _text(rec, "buyer_reference", label, 100, required=False, default=None),
              _date(rec, "delivery_date", label, required=False),
              _text(rec, "delivery_address", label, 1000, required=False, default=None), ksef_number]
    return _Parsed(number, label, values, lines, round_money(total), paid, kid)


class _Writer:
    """Raw batched statements for the invoice tables: `executemany` on SQLite, `execute_values` (multi-row
    VALUES) and `execute_batch` on PostgreSQL, where one round trip per row would cost more than the row."""

    def __init__(self):
        self.postgres = is_postgres()
        self.p = "%s" if self.postgres else "?"

    @staticmethod
    def _columns(fields):
        return ", ".join(f'"{f.column_name}"' for f in fields)

    def insert(self, table, fields, rows):
        if not rows:
            return
        cursor = db.cursor()
        sql = f'INSERT INTO "{table}" ({self._columns(fields)}) VALUES '
        if self.postgres:
            # COPY: PostgreSQL's bulk path (no statement to parse; the insert triggers run once, as for a
            # multi-row INSERT); the rows written in COPY's text format.
            buffer = io.StringIO()
            buffer.writelines("\t".join([_copy_text(value) for value in row]) + "\n" for row in rows)
            buffer.seek(0)
            cursor.copy_expert(f'COPY "{table}" ({self._columns(fields)}) FROM STDIN', buffer)
        else:
            cursor.executemany(sql + "(" + ", ".join("?" * len(fields)) + ")", rows)

    def update(self, table, fields, rows):
        """rows: values in `fields` order, then the id."""
        if not rows:
            return
        cursor = db.cursor()
        sql = (f'UPDATE "{table}" SET ' + ", ".join(f'"{f.column_name}" = {self.p}' for f in fields)
               + f" WHERE id = {self.p}")
        if self.postgres:
            from psycopg2.extras import execute_batch
            execute_batch(cursor, sql, rows, page_size=500)
        else:
            cursor.executemany(sql, rows)

    def delete_where_in(self, table, column, ids, extra=""):
        if ids:
            db.execute_sql(f'DELETE FROM "{table}" WHERE "{column}" IN ({", ".join([self.p] * len(ids))}){extra}',
                           list(ids))


_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _copy_text(value) -> str:
    """A value in COPY's text format."""
    if value is None:
        return "\\N"
    if type(value) is str:
        return value.translate(_COPY_ESCAPES)
    if type(value) is datetime:
        return value.isoformat(" ")
    return str(value)  # int, Decimal, date, bool (True/False are taken by PostgreSQL)


def _cents(value: Decimal) -> int:
    return int(value * 100)  # already rounded to the cent


class _Bits:
    """A set of invoice ids as a bitmap: an eighth of a byte per id, so a million invoices cost 125 kB."""

    def __init__(self):
        self.bits = bytearray()

    def __contains__(self, number: int) -> bool:
        index = number >> 3
        return index < len(self.bits) and bool(self.bits[index] >> (number & 7) & 1)

    def add(self, number: int) -> None:
        index = number >> 3
        if index >= len(self.bits):
            self.bits.extend(bytes(index + 1 - len(self.bits) + len(self.bits) // 2))
        self.bits[index] |= 1 << (number & 7)


class _Run:
    """What the invoices of one import share, kept small whatever the size of the file: the customers' terms, the
    ids of the invoices this import wrote or checked (a number given twice in the file is found by its id) and
    of those whose KID this import made (so an invoice later in the file may claim that KID)."""

    def __init__(self):
        self.accounts, self.writer = _accounts(), _Writer()
        self.done, self.made_kid = _Bits(), _Bits()


def _import_invoices(records, summary):
    run, batch, seen = _Run(), [], set()
    for index, rec in records:
        batch.append(_parse_invoice(index, rec, seen, run.accounts))
        if len(batch) >= BATCH:
            _write_invoices(batch, run, summary)
            batch, seen = [], set()
    if batch:
        _write_invoices(batch, run, summary)


_NOT_DIGITS = re.compile(r"[^0-9]+")
_LUHN_DOUBLE = (0, 2, 4, 6, 8, 1, 3, 5, 7, 9)


def first_kid(number: str) -> str:
    """The first of models/identifiers.py: kid_candidates(number), worked out quickly (one per imported invoice):
    the number's digits, at least 6 (zero-padded), and their Luhn (MOD10) check digit."""
    digits = _NOT_DIGITS.sub("", number).lstrip("0") or "0"
    digits = digits[-(KID_MAX - 6):].rjust(6, "0")
    total = 0
    for index, digit in enumerate(reversed(digits)):
        total += _LUHN_DOUBLE[ord(digit) - 48] if index % 2 == 0 else ord(digit) - 48
    return digits + str((10 - total % 10) % 10)


def _kids(batch, existing, run):
    """Each NOK invoice's KID: the one given, else the one it has, else one made from its number that no other
    invoice has. A KID given here that this import made earlier for another invoice is taken back from it (that
    one gets another); a KID another invoice really has is refused."""
    given, made = {}, set()
    for parsed in batch:
        if parsed.kid:
            if parsed.kid in given:
                raise ImportProblem(parsed.label, "kid", f"{parsed.kid} is already the KID of another invoice")
            given[parsed.kid] = parsed
    wanted = set(given)
    for parsed in batch:
        old = existing.get(parsed.number)
        parsed.first_kid = None
        if parsed.values[5] == "NOK" and not parsed.kid and not (old and old[1 + KID_AT]):
            parsed.first_kid = first_kid(parsed.number)
            wanted.add(parsed.first_kid)
    holders = {}
    wanted = list(wanted)
    for start in range(0, len(wanted), 1000):
        for kid, number, invoice_id in _select_in((Invoice.kid, Invoice.number, Invoice.id), Invoice.kid,
                                                  wanted[start:start + 1000], convert=False):
            holders[kid] = (number, invoice_id)
    for kid, parsed in given.items():
        holder = holders.get(kid)
        if holder is None or holder[0] == parsed.number:
            continue
        if holder[1] in run.made_kid:
            other = free_kid(holder[0], set(given) | {kid})
            db.execute_sql(f"UPDATE invoice SET kid = {run.writer.p} WHERE id = {run.writer.p}", [other, holder[1]])
            continue
        raise ImportProblem(parsed.label, "kid", f"{kid} is already the KID of another invoice")
    taken = set(given)
    for parsed in batch:
        old = existing.get(parsed.number)
        kid = parsed.kid or (old[1 + KID_AT] if old else None)
        if parsed.first_kid:
            first = parsed.first_kid
            holder = holders.get(first)
            if first not in taken and (holder is None or holder[0] == parsed.number):
                kid = first
            else:
                kid = free_kid(parsed.number, taken)
            made.add(parsed.number)
        if kid:
            taken.add(kid)
        parsed.values[KID_AT] = kid
    return made


def _write_invoices(batch, run, summary):
    writer = run.writer
    numbers = [parsed.number for parsed in batch]
    # PostgreSQL's driver hands back dates, Decimals and integers as they are: compare rows as the database holds
    # them; SQLite's come back as text and numbers, so compare them as Python values.
    raw = writer.postgres
    existing = {row[1]: row for row in _select_in((Invoice.id,) + INVOICE_FIELDS, Invoice.number, numbers,
                                                  convert=not raw)}
    for parsed in batch:
        old = existing.get(parsed.number)
        if old is not None and old[0] in run.done:
            raise ImportProblem(parsed.label, "number", "appears twice in the file")
    ids = [row[0] for row in existing.values()]
    imported, portal, old_lines = {}, {}, {}
    if ids:
        for invoice_id, method, amount, discount in (
                Payment.select(Payment.invoice, Payment.method, fn.SUM(Payment.amount).coerce(False),
                               fn.SUM(Payment.discount).coerce(False))
                .where(Payment.invoice.in_(ids)).group_by(Payment.invoice, Payment.method).tuples()):
            if method == Payment.METHOD_IMPORTED:
                imported[invoice_id] = int(amount or 0)
            else:
                portal[invoice_id] = portal.get(invoice_id, 0) + int(amount or 0) + int(discount or 0)
        for row in _select_in((InvoiceLine.invoice,) + LINE_FIELDS, InvoiceLine.invoice, ids, convert=not raw):
            old_lines.setdefault(row[0], []).append(row[1:])
        for lines in old_lines.values():
            lines.sort()
    made_kids = _kids(batch, existing, run)

    new_rows, new_lines, new_payments, updates, replace_lines, replace_payments = [], [], [], [], [], []
    now = clock.utcnow()
    for parsed in batch:
        old = existing.get(parsed.number)
        invoice_id = old[0] if old else None
        portal_paid = portal.get(invoice_id, 0)
        total, paid = _cents(parsed.total), _cents(round_money(parsed.paid))
        if paid + portal_paid > total:
            raise ImportProblem(parsed.label, "paid", f"{parsed.paid} is more than the invoice total {parsed.total}"
                                + (" with the payments made in the portal" if portal_paid else ""))
        values = parsed.values
        balance = Decimal(total - paid - portal_paid) / 100
        values[6], values[7] = parsed.total, balance.quantize(ZERO)
        values[8] = derive_status(values[6], values[7])
        if old is None:
            new_rows.append(parsed)
            summary.count("invoices", True)
            continue
        run.done.add(invoice_id)
        if parsed.number in made_kids:
            run.made_kid.add(invoice_id)
        given_lines = [row[1:] for row in _line_rows(invoice_id, parsed.lines)] if raw else [
            tuple(line) for line in parsed.lines]
        lines_same = old_lines.get(invoice_id, []) == given_lines
        paid_same = imported.get(invoice_id, 0) == paid
        fields_same = list(old[1:]) == (_db_row(values) if raw else values)
        if lines_same and paid_same and fields_same:
            summary.count("invoices", None)
            continue
        summary.count("invoices", False)
        if not fields_same:
            updates.append(_db_row(values) + [invoice_id])
        if not lines_same:
            replace_lines.append(invoice_id)
            new_lines.extend(_line_rows(invoice_id, parsed.lines))
        if not paid_same:
            replace_payments.append(invoice_id)
            if paid:
                new_payments.append((invoice_id, paid, 0, Payment.METHOD_IMPORTED, "before import",
                                     _created_at(invoice_id)))
    writer.update("invoice", INVOICE_FIELDS, updates)
    writer.delete_where_in("invoice_line", "invoice_id", replace_lines)
    writer.delete_where_in("payment", "invoice_id", replace_payments,
                           f" AND method = '{Payment.METHOD_IMPORTED}'")
    if new_rows:
        writer.insert("invoice", INVOICE_FIELDS + (Invoice.created_at,),
                      [_db_row(parsed.values) + [now] for parsed in new_rows])
        new_ids = dict(_select_in((Invoice.number, Invoice.id), Invoice.number,
                                  [parsed.number for parsed in new_rows], convert=False))
        for parsed in new_rows:
            invoice_id = new_ids[parsed.number]
            run.done.add(invoice_id)
            if parsed.number in made_kids:
                run.made_kid.add(invoice_id)
            new_lines.extend(_line_rows(invoice_id, parsed.lines))
            if parsed.paid > ZERO:
                new_payments.append((invoice_id, _cents(round_money(parsed.paid)), 0, Payment.METHOD_IMPORTED,
                                     "before import", now))
    writer.insert("invoice_line", (InvoiceLine.invoice,) + LINE_FIELDS, new_lines)
    writer.insert("payment", (Payment.invoice, Payment.amount, Payment.discount, Payment.method,
                              Payment.gateway_reference, Payment.created_at), new_payments)


def _select_in(fields, column, values, convert=True) -> list:
    """SELECT fields FROM the column's table WHERE column IN values, written once as SQL (Peewee would build the
    placeholders one value at a time); values converted by the fields' python_value unless `convert` is False."""
    if not values:
        return []
    p = "%s" if is_postgres() else "?"
    table = column.model._meta.table_name
    sql = (f'SELECT {", ".join(chr(34) + f.column_name + chr(34) for f in fields)} FROM "{table}" '
           f'WHERE "{column.column_name}" IN ({", ".join([p] * len(values))})')
    rows = db.execute_sql(sql, list(values)).fetchall()
    if not convert:
        return rows
    converters = [f.python_value for f in fields]
    return [tuple(None if v is None else c(v) for c, v in zip(converters, row)) for row in rows]


def _db_row(values) -> list:
    row = list(values)
    row[6], row[7] = _cents(row[6]), _cents(row[7])
    return row


def _line_rows(invoice_id, lines):
    return [(invoice_id, n, item, description, quantity, unit_price, tax, _cents(amount), _cents(line_tax))
            for n, item, description, quantity, unit_price, tax, amount, line_tax in lines]


def _created_at(invoice_id):
    return Invoice.select(Invoice.created_at).where(Invoice.id == invoice_id).scalar()


# ----------------------------------------------------------------------------------------------- credit notes
def _import_credit_notes(records, summary):
    """Credit notes: each credits (part of) one invoice, whose accounts it takes; together they never credit
    more than the invoice's total, and a re-import never takes a credit note below what was already used of it."""
    seen = set()
    for index, rec in records:
        number, label = _record_key(rec, index, "credit note", "number", seen)
        invoice_number = _text(rec, "invoice", label, 40)
        invoice = Invoice.get_or_none(Invoice.number == invoice_number)
        if invoice is None:
            raise ImportProblem(label, "invoice", f"names unknown invoice {invoice_number!r}")
        invoice_date = _date(rec, "invoice_date", label)
        if invoice_date < invoice.invoice_date:
            raise ImportProblem(label, "invoice_date", f"is before the date of invoice {invoice.number}")
        currency = _currency(rec, label)
        if currency != invoice.currency:
            raise ImportProblem(label, "currency", f"must be the currency of invoice {invoice.number}, "
                                f"{invoice.currency}")
        parsed_lines, total = _lines(rec, label)
        total = round_money(total)
        if total <= ZERO:
            raise ImportProblem(label, "lines", "the credit note's total must be greater than zero")
        note = CreditNote.get_or_none(CreditNote.number == number)
        others = (CreditNote.select(fn.SUM(CreditNote.total)).where(CreditNote.invoice == invoice.id,
                                                                    CreditNote.number != number).scalar())
        credited = Invoice.total.python_value(others) or ZERO
        if credited + total > invoice.total:
            raise ImportProblem(label, "lines", f"credits {total} of invoice {invoice.number}, which has "
                                f"{invoice.total - credited} left to credit")
        if note is not None and total < note.used:
            raise ImportProblem(label, "lines", f"{note.used} of it has already been used to pay invoices; its "
                                "total cannot be less")
        values = dict(invoice=invoice.id, invoice_account=invoice.invoice_account_id,
                      order_account=invoice.order_account_id, invoice_date=invoice_date, currency=currency,
                      total=total, reason=_text(rec, "reason", label, 500, required=False, default=None),
                      ksef_number=_identifier(rec, "ksef_number", label, clean_ksef_number))
        if values["ksef_number"] and currency != "PLN":
            raise ImportProblem(label, "ksef_number", "only PLN credit notes are registered in KSeF")
        rows = [dict(zip(("line_no", "item", "description", "quantity", "unit_price", "tax_percent", "amount",
                          "tax"), line)) for line in parsed_lines]
        if note is None:
            note = CreditNote.create(number=number, **values)
            summary.count("credit_notes", True)
        else:
            old_lines = list(CreditNoteLine.select(*[getattr(CreditNoteLine, f) for f in rows[0]])
                             .where(CreditNoteLine.credit_note == note.id).order_by(CreditNoteLine.line_no).tuples())
            same = (all(getattr(note, key + ("_id" if key in ("invoice", "invoice_account", "order_account") else ""))
                        == value for key, value in values.items())
                    and old_lines == [tuple(line) for line in parsed_lines])
            summary.count("credit_notes", None if same else False)
            if same:
                continue
            CreditNote.update(**values).where(CreditNote.id == note.id).execute()
            CreditNoteLine.delete().where(CreditNoteLine.credit_note == note.id).execute()
        CreditNoteLine.insert_many([dict(credit_note=note.id, **row) for row in rows]).execute()
