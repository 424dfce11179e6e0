"""The invoice list (with its htmx-swapped results) and the invoice page."""
from flask import Blueprint, abort, render_template, request
from flask_babel import gettext as _
from flask_login import current_user, login_required

from models.customer import Customer
from models.invoice import (
    Invoice,
    InvoiceLine,
    InvoiceListParams,
    Payment,
    is_plausible_number,
    list_invoices,
    today,
)
from . import render_page_or_fragment

bp = Blueprint("invoices", __name__)


def notice_texts(notices):
    texts = {
        "unknown_status": _("That status filter is unknown, so all invoices are shown."),
        "unknown_whose": _("That account filter is unknown, so invoices of all accounts are shown."),
        "search_too_long": _("The search was shortened to its first 40 characters."),
        "unknown_sort": _("That sort order is unknown, so invoices are sorted by due date."),
        "bad_page": _("That page number is not valid, so the first page is shown."),
    }
    return [texts[n] for n in notices]


@bp.route("/invoices")
@login_required
def index():
    params, notices = InvoiceListParams.from_args(request.args)
    if params.whose != "all" and not current_user.customer.invoice_account_id:
        params.whose = "all"
    requested_page = params.page
    result = list_invoices(current_user, params)
    messages = notice_texts(notices)
    if requested_page > result.page:
        messages.append(_("There is no page %(page)s; this is the last page.", page=requested_page))
    return render_page_or_fragment(
        "invoices/index.html", "invoices/_results.html",
        result=result, params=params, notices=messages, today=today(),
        organization=current_user.customer.invoice_account,
    )


@bp.route("/invoices/<number>")
@login_required
def detail(number):
    if not is_plausible_number(number):
        abort(404)
    OrderAccount, Billed = Customer.alias(), Customer.alias()
    try:
        invoice = (
            Invoice.visible_to(current_user)
            .select(Invoice, OrderAccount, Billed)
            .join(Billed, on=(Invoice.invoice_account == Billed.id), attr="invoice_account")
            .switch(Invoice)
            .join(OrderAccount, on=(Invoice.order_account == OrderAccount.id), attr="order_account")
            .where(Invoice.number == number)
            .get()
        )
    except Invoice.DoesNotExist:
        abort(404)
    lines = list(InvoiceLine.select().where(InvoiceLine.invoice == invoice).order_by(InvoiceLine.line_no))
    payments = list(Payment.select().where(Payment.invoice == invoice).order_by(Payment.created_at, Payment.id))
    return render_template("invoices/detail.html", invoice=invoice, lines=lines, payments=payments, today=today())
