"""The back office's JSON import (CONTRACT.md, "Import format").

All or nothing: the whole file is validated and written inside one transaction;
the first bad record stops it with an `ImportProblem` naming the record and field.
Records are upserted by key (customer account, user email, product item, invoice number).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from peewee import fn

from . import db
from .cart import drop_unseen_lines
from .credit_note import CreditNote, CreditNoteLine
from .customer import CURRENCY_COUNTRY, Customer, User
from .identifiers import (IdentifierError, clean_country, clean_kid, clean_ksef_number, clean_org_number,
                          clean_vat_number)
from .invoice import Invoice, InvoiceLine, Payment, free_kid
from .money import CURRENCIES, ZERO, AmountError, parse_decimal, round_money
from .product import Product
from .roles import DEFAULT_ROLES, ROLES, roles_text


class ImportProblem(Exception):
    def __init__(self, record: str, field_name: str, message: str):
        self.record, self.field, self.message = record, field_name, message
        super().__init__(f"{record}: field '{field_name}': {message}")


@dataclass
class ImportSummary:
    customers: int = 0
    users: int = 0
    products: int = 0
    invoices: int = 0
    credit_notes: int = 0
    created: dict = field(default_factory=dict)

    def __str__(self):
        return (f"{self.customers} customers, {self.users} users, "
                f"{self.products} products, {self.invoices} invoices"
                + (f", {self.credit_notes} credit notes" if self.credit_notes else ""))


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
    if not required and obj.get(key) in (None, ""):
        return default
    value = _require(obj, key, record).strip()
    if not value:
        raise ImportProblem(record, key, "is required")
    if len(value) > max_length:
        raise ImportProblem(record, key, f"is longer than {max_length} characters")
    return value


def _decimal(obj, key, record, *, places=2, required=True, default=None, minimum=ZERO, maximum=None):
    if not required and obj.get(key) in (None, ""):
        return default
    raw = _require(obj, key, record)
    if not isinstance(raw, str):
        raise ImportProblem(record, key, f"must be a string holding a decimal, like \"12.50\" (got {raw!r})")
    try:
        value = parse_decimal(raw, places=places, decimal_comma=False)
    except AmountError as error:
        raise ImportProblem(record, key, f"{raw!r} is not a valid amount: {error}") from None
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
        if len(raw) != 10:
            raise ValueError
        return date.fromisoformat(raw)
    except ValueError:
        raise ImportProblem(record, key, f"{raw!r} is not a date in the form YYYY-MM-DD") from None


def _identifier(obj, key, record, clean, *args):
    """An optional identifier, checked by `clean` (models/identifiers.py); None when absent."""
    if obj.get(key) in (None, ""):
        return None
    try:
        return clean(obj[key], *args)
    except IdentifierError as error:
        raise ImportProblem(record, key, str(error)) from None


def _currency(obj, record):
    value = _text(obj, "currency", record, 3).upper()
    if value not in CURRENCIES:
        raise ImportProblem(record, "currency", f"{value!r} is not one of {', '.join(CURRENCIES)}")
    return value


def _list(payload, key):
    value = payload.get(key, [])
    if value is None:
        return []
    if not isinstance(value, list):
        raise ImportProblem(key, "-", "must be a list")
    return value


def import_data(payload) -> ImportSummary:
    """Validate and upsert everything in `payload`; raise ImportProblem and write nothing on bad data."""
    if not isinstance(payload, dict):
        raise ImportProblem("file", "-", "must hold a JSON object with customers, users, products, invoices, "
                                         "credit_notes")
    summary = ImportSummary()
    with db.atomic():
        customers = _import_customers(_list(payload, "customers"), summary)
        _import_users(_list(payload, "users"), customers, summary)
        _import_products(_list(payload, "products"), summary)
        _import_invoices(_list(payload, "invoices"), customers, summary)
        _import_credit_notes(_list(payload, "credit_notes"), summary)
        # A user moved to another company (or a company billed elsewhere now) keeps nothing it may no longer see.
        drop_unseen_lines()
    return summary


def _customer_by_account(account, cache):
    if account in cache:
        return cache[account]
    found = Customer.get_or_none(Customer.account == account)
    if found:
        cache[account] = found
    return found


def _import_customers(records, summary) -> dict:
    cache: dict[str, Customer] = {}
    pending_links = []
    seen = set()
    for index, rec in enumerate(records):
        label = f"customer #{index + 1}"
        account = _text(rec, "account", label, 40)
        label = f"customer {account}"
        if account in seen:
            raise ImportProblem(label, "account", "appears twice in the file")
        seen.add(account)
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
            credit_limit=_decimal(rec, "credit_limit", label, required=False),
        )
        if "@" not in values["email"]:
            raise ImportProblem(label, "email", f"{values['email']!r} is not an email address")
        values["country"] = _identifier(rec, "country", label, clean_country)
        country = values["country"] or CURRENCY_COUNTRY.get(values["currency"])
        values["org_number"] = _identifier(rec, "org_number", label, clean_org_number, country)
        values["vat_number"] = _identifier(rec, "vat_number", label, clean_vat_number, country)
        invoice_account = rec.get("invoice_account")
        if invoice_account is not None and not isinstance(invoice_account, str):
            raise ImportProblem(label, "invoice_account", "must be a customer account or null")
        if invoice_account == account:
            raise ImportProblem(label, "invoice_account", "a customer cannot be its own invoice account")
        customer = _customer_by_account(account, cache)
        if customer is None:
            customer = Customer.create(account=account, invoice_account=None, **values)
        else:
            for key, value in values.items():
                setattr(customer, key, value)
            customer.save()
        cache[account] = customer
        pending_links.append((customer, invoice_account or None, label))
        summary.customers += 1
    # Second pass: an invoice account may be defined after the customer naming it.
    links = {customer.account: invoice_account for customer, invoice_account, _ in pending_links}
    for customer, invoice_account, label in pending_links:
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
        customer.invoice_account = target
        customer.save(only=[Customer.invoice_account])
    return cache


def _import_users(records, customers, summary):
    seen = set()
    for index, rec in enumerate(records):
        label = f"user #{index + 1}"
        email = _text(rec, "email", label, 254).lower()
        label = f"user {email}"
        if "@" not in email:
            raise ImportProblem(label, "email", "is not an email address")
        if email in seen:
            raise ImportProblem(label, "email", "appears twice in the file")
        seen.add(email)
        name = _text(rec, "name", label, 200)
        password = _require(rec, "password", label)
        if len(password) < 8:
            raise ImportProblem(label, "password", "must have at least 8 characters")
        account = _text(rec, "customer", label, 40)
        customer = _customer_by_account(account, customers)
        if customer is None:
            raise ImportProblem(label, "customer", f"names unknown customer {account!r}")
        roles = _roles(rec, label)
        user = User.get_or_none(User.email == email) or User(email=email, roles=roles_text(DEFAULT_ROLES))
        user.name, user.customer = name, customer
        if roles is not None:  # without "roles" a new user has the default ones and a known user keeps theirs
            user.roles = roles_text(roles)
        user.set_password(password)
        user.save()
        summary.users += 1


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
    for index, rec in enumerate(records):
        label = f"product #{index + 1}"
        item = _text(rec, "item", label, 40)
        label = f"product {item}"
        if item in seen:
            raise ImportProblem(label, "item", "appears twice in the file")
        seen.add(item)
        values = dict(name=_text(rec, "name", label, 200), price=_decimal(rec, "price", label),
                      currency=_currency(rec, label), active=True)
        values["tax_percent"] = _decimal(rec, "tax_percent", label, required=False,
                                        default=DEFAULT_TAX_PERCENT.get(values["currency"], Decimal("25")),
                                        maximum=Decimal("100"))
        product = Product.get_or_none(Product.item == item)
        if product is None:
            Product.create(item=item, **values)
        else:
            Product.update(**values).where(Product.id == product.id).execute()
        summary.products += 1


# A product's VAT rate when the import gives none: the standard rate of its currency's market.
DEFAULT_TAX_PERCENT = {"NOK": Decimal("25"), "PLN": Decimal("23")}


def _lines(rec, label, currency) -> tuple[list, Decimal]:
    """The lines of an invoice or credit note, with their amounts and taxes, and the document's total."""
    lines = rec.get("lines")
    if not isinstance(lines, list) or not lines:
        raise ImportProblem(label, "lines", "is required: a list with at least one line")
    parsed_lines, total = [], ZERO
    for line_index, line in enumerate(lines):
        line_label = f"{label} line {line_index + 1}"
        quantity = _decimal(line, "quantity", line_label, places=4, minimum=None)
        if quantity == 0:
            raise ImportProblem(line_label, "quantity", "must not be zero")
        unit_price = _decimal(line, "unit_price", line_label, places=4)
        tax_percent = _decimal(line, "tax_percent", line_label, required=False, default=Decimal("0"),
                               maximum=Decimal("100"))
        amount, tax = InvoiceLine.compute(quantity, unit_price, tax_percent)
        total += amount + tax
        parsed_lines.append(dict(
            line_no=line_index + 1,
            item=_text(line, "item", line_label, 40, required=False),
            description=_text(line, "description", line_label, 500),
            quantity=quantity, unit_price=unit_price, tax_percent=tax_percent, amount=amount, tax=tax))
    return parsed_lines, total


def _given_kids(records) -> set:
    """The KIDs the file itself gives, so a KID made for another invoice never takes one of them."""
    found = set()
    for rec in records:
        if isinstance(rec, dict) and rec.get("kid"):
            try:
                found.add(clean_kid(rec["kid"]))
            except IdentifierError:
                pass  # refused with its record when that invoice is read
    return found


def _import_invoices(records, customers, summary):
    seen, kids, given_kids = set(), set(), _given_kids(records)
    for index, rec in enumerate(records):
        label = f"invoice #{index + 1}"
        number = _text(rec, "number", label, 40)
        label = f"invoice {number}"
        if number in seen:
            raise ImportProblem(label, "number", "appears twice in the file")
        seen.add(number)
        accounts = {}
        for key in ("invoice_account", "order_account"):
            account = _text(rec, key, label, 40)
            accounts[key] = _customer_by_account(account, customers)
            if accounts[key] is None:
                raise ImportProblem(label, key, f"names unknown customer {account!r}")
        billed = accounts["invoice_account"]
        invoice_date = _date(rec, "invoice_date", label)
        due_date = _date(rec, "due_date", label, required=False) or billed.due_date_for(invoice_date)
        if due_date < invoice_date:
            raise ImportProblem(label, "due_date", "is before the invoice date")
        currency = _currency(rec, label)
        parsed_lines, total = _lines(rec, label, currency)
        if total < ZERO:
            raise ImportProblem(label, "lines", "the invoice total is negative")
        paid = _decimal(rec, "paid", label, required=False, default=ZERO)
        invoice = Invoice.get_or_none(Invoice.number == number)
        portal_paid = ZERO
        if invoice is not None:
            portal = [p for p in invoice.payments if p.method != Payment.METHOD_IMPORTED]
            portal_paid = sum((p.amount + p.discount for p in portal), ZERO)
        if round_money(paid) + portal_paid > round_money(total):
            raise ImportProblem(label, "paid", f"{paid} is more than the invoice total {round_money(total)}"
                                + (" with the payments made in the portal" if portal_paid else ""))
        values = dict(invoice_account=billed, order_account=accounts["order_account"], invoice_date=invoice_date,
                      due_date=due_date, currency=currency,
                      discount_percent=billed.discount_percent if billed.has_cash_discount else Decimal("0"),
                      discount_until=billed.discount_date_for(invoice_date),
                      buyer_reference=_text(rec, "buyer_reference", label, 100, required=False, default=None),
                      delivery_date=_date(rec, "delivery_date", label, required=False),
                      delivery_address=_text(rec, "delivery_address", label, 1000, required=False, default=None),
                      ksef_number=_identifier(rec, "ksef_number", label, clean_ksef_number))
        if values["ksef_number"] and currency != "PLN":
            raise ImportProblem(label, "ksef_number", "only PLN invoices are registered in KSeF")
        kid = _identifier(rec, "kid", label, clean_kid)
        if kid and currency != "NOK":
            raise ImportProblem(label, "kid", "a KID is the payment reference of NOK invoices")
        if kid and (kid in kids or Invoice.select().where(Invoice.kid == kid, Invoice.number != number).exists()):
            raise ImportProblem(label, "kid", f"{kid} is already the KID of another invoice")
        if currency == "NOK":
            kid = kid or (invoice.kid if invoice is not None else None) or free_kid(number, kids | given_kids)
            kids.add(kid)
        values["kid"] = kid
        if invoice is None:
            invoice = Invoice(number=number, **values)
        else:
            for key, value in values.items():
                setattr(invoice, key, value)
            InvoiceLine.delete().where(InvoiceLine.invoice == invoice).execute()
            Payment.delete().where((Payment.invoice == invoice) & (Payment.method == Payment.METHOD_IMPORTED)).execute()
        invoice.set_total(total, paid + portal_paid)
        invoice.save()
        InvoiceLine.insert_many([dict(invoice=invoice.id, **line) for line in parsed_lines]).execute()
        if paid > ZERO:
            Payment.create(invoice=invoice, amount=paid, method=Payment.METHOD_IMPORTED,
                           gateway_reference="before import", created_at=invoice.created_at)
        summary.invoices += 1


def _import_credit_notes(records, summary):
    """Credit notes: each credits (part of) one invoice, whose accounts it takes; together they never credit
    more than the invoice's total, and a re-import never takes a credit note below what was already used of it."""
    seen = set()
    for index, rec in enumerate(records):
        label = f"credit note #{index + 1}"
        number = _text(rec, "number", label, 40)
        label = f"credit note {number}"
        if number in seen:
            raise ImportProblem(label, "number", "appears twice in the file")
        seen.add(number)
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
        parsed_lines, total = _lines(rec, label, currency)
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
        if note is None:
            note = CreditNote.create(number=number, **values)
        else:
            CreditNote.update(**values).where(CreditNote.id == note.id).execute()
            CreditNoteLine.delete().where(CreditNoteLine.credit_note == note.id).execute()
        CreditNoteLine.insert_many([dict(credit_note=note.id, **line) for line in parsed_lines]).execute()
        summary.credit_notes += 1
