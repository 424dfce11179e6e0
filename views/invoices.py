"""The invoice list (with its htmx-swapped results) and the invoice page."""
from flask import Blueprint, abort, make_response, render_template, request
from flask_babel import gettext as _
from flask_login import current_user, login_required
from markupsafe import Markup

from models.customer import Customer
from models.invoice import (
    Invoice,
    InvoiceLine,
    InvoiceListParams,
    Payment,
    is_plausible_number,
    list_invoices,
    summary_rows,
    today,
)
from . import is_htmx_fragment_request
from .context import cart_contents, csrf_token
from .language import select_locale
from .rendered_cache import rendered_cache

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
    """The list: filters, summary and a page of rows; htmx asks for the summary and rows alone.

    The summary and rows are rendered once for a given state of the data and reused from the
    worker's RenderedCache (views/rendered_cache.py) until anything they show changes.
    """
    user = current_user._get_current_object()
    if request.query_string:
        params, notices = InvoiceListParams.from_args(request.args.to_dict())  # a dict: no exception per absent key
    else:
        params, notices = InvoiceListParams(), []
    customer = user.customer
    organization = customer.invoice_account if customer.invoice_account_id else None
    if params.whose != "all" and organization is None:
        params.whose = "all"
    on = today()
    accounts = Invoice.visible_account_ids(user, params.whose)
    summary = summary_rows(accounts)
    fragment = is_htmx_fragment_request()
    token = csrf_token()
    cache = rendered_cache()
    key = None
    if len(request.query_string) <= 512:
        key = ("invoice-list", fragment, select_locale(), on, customer.id,
               organization and (organization.id, organization.name), request.query_string, tuple(summary),
               tuple(sorted(cart_contents()[1])))
    parts = cache.fetch(key, token) if key else None
    if parts is None:
        requested_page = params.page
        result = list_invoices(user, params, on=on, summary=summary)
        messages = notice_texts(notices)
        if requested_page > result.page:
            messages.append(_("There is no page %(page)s; this is the last page.", page=requested_page))
        context = dict(result=result, params=params, notices=messages, today=on, organization=organization)
        summary_html = render_template("invoices/_summary.html", **context)
        results_html = render_template("invoices/_results.html", **context)
        if fragment:
            # The rows, and the summary swapped out of band into the live region above them.
            parts = (f'<div id="results-status" hx-swap-oob="innerHTML">{summary_html}</div>\n'
                     f"{results_html}".encode(),)
        else:
            parts = (summary_html, results_html)
        if key:
            cache.store(key, parts, token)
    if fragment:
        response = make_response(parts[0])
    else:
        response = make_response(render_template(
            "invoices/index.html", params=params, organization=organization,
            summary_html=Markup(parts[0]), results_html=Markup(parts[1])))
    response.headers["Vary"] = "HX-Request"  # (Flask adds Cookie)
    return response


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
