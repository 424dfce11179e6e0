"""The words for statuses and payment methods, defined once: pages, PDFs, emails and exports use these.

Each function takes the code stored in the database and answers in the current language; an unknown code
is shown as it is rather than hidden.
"""
from __future__ import annotations

from functools import lru_cache

from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext, ngettext, pgettext

from . import formatting

# Invoice status (SPEC "Invoice status"): Overdue is a mark, not a status.
INVOICE_STATUS = {
    "unpaid": lazy_gettext("Unpaid"),
    "partial": lazy_gettext("Partially paid"),
    "paid": lazy_gettext("Paid"),
}
ORDER_STATUS = {
    "open": lazy_gettext("Open"),
    "invoiced": lazy_gettext("Invoiced"),
    "awaiting_payment": lazy_gettext("Awaiting payment"),
    "cancelled": lazy_gettext("Cancelled"),
}
REQUEST_STATUS = {
    "pending": lazy_gettext("Pending"),
    "completed": lazy_gettext("Completed"),
    "failed": lazy_gettext("Failed"),
    "unknown": lazy_gettext("Delivery unknown"),
}
PAYMENT_METHOD = {
    "card": lazy_gettext("Card"),
    "on_account": lazy_gettext("On account"),
    "imported": lazy_gettext("Paid before"),
    "credit_note": lazy_gettext("Credit note"),
    "transfer": lazy_gettext("Bank transfer"),  # recorded by the back office through the API
}
REQUEST_TYPE = {
    "invoice_copy": lazy_gettext("Invoice copy by email"),
    "statement": lazy_gettext("Statement of account by email"),
}
# Company roles (models/roles.py) and what the activity log can be narrowed to (models/activity.py: GROUPS).
ROLE = {
    "admin": lazy_gettext("Admin"),
    "payer": lazy_gettext("Payer"),
    "buyer": lazy_gettext("Buyer"),
    "viewer": lazy_gettext("Viewer"),
}
ACTIVITY_GROUP = {
    "sign_in": lazy_gettext("Sign-ins"),
    "payment": lazy_gettext("Payments"),
    "order": lazy_gettext("Orders"),
    "request": lazy_gettext("Requests"),
    "users": lazy_gettext("Users and roles"),
}
# Aging buckets (SPEC "Knowing what you owe"), by days past due.
AGING_BUCKET = {
    "current": lazy_gettext("Not yet due"),
    "1-30": lazy_gettext("1–30 days"),
    "31-60": lazy_gettext("31–60 days"),
    "61-90": lazy_gettext("61–90 days"),
    "90+": lazy_gettext("Over 90 days"),
}


def role_name(role: str) -> str:
    return str(ROLE.get(role, role))


def role_names(roles) -> str:
    """The roles, in the order pages list them, as one phrase ("Admin, Payer")."""
    return ", ".join(role_name(role) for role in ROLE if role in roles)


def activity_group(group: str) -> str:
    return str(ACTIVITY_GROUP.get(group, group))


def invoice_status(status: str) -> str:
    return str(INVOICE_STATUS.get(status, status))


def order_status(status: str) -> str:
    return str(ORDER_STATUS.get(status, status))


def request_status(status: str) -> str:
    return str(REQUEST_STATUS.get(status, status))


def payment_method(method: str) -> str:
    return str(PAYMENT_METHOD.get(method, method))


def request_type(kind: str) -> str:
    return str(REQUEST_TYPE.get(kind, kind))


def aging_bucket(bucket: str) -> str:
    return str(AGING_BUCKET.get(bucket, bucket))


def days_overdue(days: int) -> str:
    return ngettext("%(num)s day overdue", "%(num)s days overdue", days)


@lru_cache(maxsize=8192)
def days_overdue_in(language: str, days: int) -> str:
    """days_overdue in one language, remembered: the list shows it on every late row, and the plural form
    depends on the number, so it is kept per number (translations do not change while the portal runs)."""
    with force_locale(language):
        return days_overdue(days)


def invoice_count(n: int) -> str:
    return ngettext("%(num)s invoice", "%(num)s invoices", n)


@lru_cache(maxsize=4096)
def invoice_count_in(language: str, n: int) -> str:
    """"12 invoices" in one language, remembered per number like days_overdue_in."""
    with force_locale(language):
        return invoice_count(n)


def amount_paid_heading() -> str:
    return pgettext("amount paid", "Paid")


def payment_terms(customer) -> str:
    """'Net 30 days, 2 % cash discount within 10 days' for a customer's terms."""
    net = ngettext("Net %(num)s day", "Net %(num)s days", customer.net_days)
    if customer.has_cash_discount:
        return _("%(net)s, %(percent)s cash discount within %(days)s days",
                 net=net, percent=formatting.percent(customer.discount_percent), days=customer.discount_days)
    return net


@lru_cache(maxsize=16)
def list_texts(language: str) -> dict:
    """The invoice list's words in one language, looked up once per process: a page shows each many times.
    (Translations do not change while the portal runs.)"""
    with force_locale(language):
        return {
            "own": _("Own"), "paid": invoice_status("paid"), "partial": invoice_status("partial"),
            "unpaid": invoice_status("unpaid"), "pay": _("Pay invoice"), "in_cart": _("In cart"),
            "request": _("Request invoice"),
            "offer": _("Pay %(amount)s by %(date)s, save %(saving)s", amount="\x01", date="\x02", saving="\x03"),
            "select": _("Select %(number)s", number="\x01"),
            # The cash discount's badge in a row: "−2 % until 7 Dec" (the whole offer is its tooltip).
            "offer_badge": _("−%(percent)s until %(date)s", percent="\x01", date="\x02"),
            "due": _("Due date"), "balance": _("Balance"),
            # Days overdue in a row's compact badge ("+12 d"; the whole "12 days overdue" is its tooltip).
            "late": _("+%(num)s d", num="\x01"),
        }


@lru_cache(maxsize=16)
def overview_texts(language: str) -> dict:
    """The account overview's words in one language (templates/invoices/_overview.html), looked up once per
    process like list_texts: the overview is on every list page, in every currency. \x01 marks where a value
    goes."""
    with force_locale(language):
        return {
            "in_currency": _("In %(currency)s", currency="\x01"), "total_open": _("Total open"),
            "overdue": _("Overdue"), "due_soon": _("Due in the next 7 days"),
            "discounts_open": _("Cash discounts open"), "save": _("Save %(amount)s", amount="\x01"),
            "first_deadline": _("first deadline %(date)s", date="\x01"),
            "by_age": _("Open balance by days past due"),
            "pay_overdue_in": _("Pay all overdue in %(currency)s", currency="\x01"),
            "pay_overdue": _("Pay all overdue"), "nothing_open": _("Nothing is open: every invoice here is paid."),
            "buckets": {bucket: aging_bucket(bucket) for bucket in AGING_BUCKET},
        }


@lru_cache(maxsize=16)
def results_texts(language: str) -> dict:
    """The words around the list's rows (templates/invoices/_results.html and _summary.html: headings, downloads,
    pages, the empty list) in one language, looked up once per process. \x01 and \x02 mark where values go."""
    with force_locale(language):
        return {
            "csv": _("Download CSV"), "excel": _("Download Excel"),
            "caption": _("Invoices, page %(page)s of %(pages)s", page="\x01", pages="\x02"),
            "select": _("Select"), "select_all": _("Select all on this page"), "invoice": _("Invoice"),
            "invoice_date": _("Invoice date"), "due_date": _("Due date"), "order_account": _("Order account"),
            "billed_to": _("Billed to"), "total": _("Total"), "balance": _("Balance"), "status": _("Status"),
            "actions": _("Actions"), "pages": _("Pages"), "previous": _("Previous"),
            "page_of": _("Page %(page)s of %(pages)s", page="\x01", pages="\x02"), "next": _("Next"),
            "no_match": _("No invoices match these filters."), "try_another": _("Try another status or search, or"),
            "show_all": _("show all invoices"),
            "none_yet": _("When your company is invoiced, the invoices appear here."),
            "summary_balance": _("balance"), "summary_none": _("No invoices match."),
        }


@lru_cache(maxsize=16)
def invoice_page_texts(language: str) -> dict:
    """The invoice page's fixed words (templates/invoices/detail.html) in one language, looked up once per process:
    the page shows about thirty; the sentences with values in them stay in the template."""
    with force_locale(language):
        return {
            "breadcrumb": _("Breadcrumb"),
            "invoices": _("Invoices"),
            "download_pdf": _("Download PDF"),
            "download_e_invoice": _("Download e-invoice"),
            "details": _("Details"),
            "invoice_date": _("Invoice date"),
            "due_date": _("Due date"),
            "order_account": _("Order account"),
            "invoice_account": _("Invoice account"),
            "currency": _("Currency"),
            "cash_discount": _("Cash discount"),
            "your_reference": _("Your reference"),
            "order": _("Order"),
            "delivery_date": _("Delivery date"),
            "delivery_address": _("Delivery address"),
            "ksef_number": _("KSeF number"),
            "billed_to": _("Billed to"),
            "from": _("From"),
            "lines": _("Lines"),
            "total": _("Total"),
            "balance": _("Balance"),
            "credit_notes": _("Credit notes"),
            "used": _("used"),
            "payments": _("Payments"),
            "date": _("Date"),
            "method": _("Method"),
            "reference": _("Reference"),
            "amount": _("Amount"),
            "no_payments_yet": _("No payments yet."),
        }


# Template globals, registered by the app (views/context.py).
TEMPLATE_GLOBALS = {
    "invoice_status_label": invoice_status,
    "order_status_label": order_status,
    "request_status_label": request_status,
    "payment_method_label": payment_method,
    "request_type_label": request_type,
    "aging_bucket_label": aging_bucket,
    "payment_terms": payment_terms,
    "role_name": role_name,
    "role_names": role_names,
    "activity_group_label": activity_group,
}
