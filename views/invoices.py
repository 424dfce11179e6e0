"""The invoice list (with its htmx-swapped results), the invoice page and its e-invoice."""
from flask import Blueprint, Response, abort, render_template, request
from flask_babel import gettext as _
from flask_login import current_user, login_required
from markupsafe import Markup
from playhouse.flask_utils import get_object_or_404

from models import clock
from models.customer import Customer
from models.invoice import Invoice, is_plausible_number
from models.credit_note import list_credit_notes
from models.invoice_list import ListParams, cache_key, list_invoices
from models.roles import ACTIONS, may
from models.summary import summary_rows
from i18n import labels
from i18n.formatting import locale_name
from i18n.refusals import refusal_text
from services.documents import InvoiceDocument
from services.einvoice import EInvoiceUnavailable, build_einvoice
from .context import cart_contents
from .rendered_cache import rendered
from .responses import is_htmx

bp = Blueprint("invoices", __name__)


def notice_texts(notices, requested_page: int, shown_page: int) -> list[str]:
    texts = {
        "unknown_status": _("That status filter is unknown, so all invoices are shown."),
        "unknown_whose": _("That account filter is unknown, so invoices of all accounts are shown."),
        "search_too_long": _("The search was shortened to its first 40 characters."),
        "unknown_sort": _("That sort order is unknown, so invoices are sorted by due date."),
        "bad_page": _("That page number is not valid, so the first page is shown."),
    }
    found = [texts[n] for n in notices]
    if requested_page > shown_page:
        found.append(_("There is no page %(page)s; this is the last page.", page=requested_page))
    return found


@bp.route("/invoices")
@login_required
def index():
    """The list: filters, summary and a page of rows; htmx asks for the summary and rows alone.

    The summary and rows are rendered once for a state of the data and reused (views/rendered_cache.py)
    until anything they show changes: models/invoice_list.py: `cache_key` names all of it.
    """
    user = current_user._get_current_object()
    params, notices = ListParams.from_args(request.args)
    customer = user.customer
    organization = customer.invoice_account
    if params.whose != "all" and organization is None:
        params.whose = "all"
    on = clock.today()
    if params.status == "credit_notes":
        return _credit_notes(params, organization)
    summary = summary_rows(Invoice.visible_account_ids(user, params.whose))
    fragment = is_htmx()
    allowed = tuple(action for action in ACTIONS if may(user, action))
    key = cache_key(user, params, notices, on, locale_name(), summary, cart_contents()[1], allowed,
                    "fragment" if fragment else "page")

    def render():
        requested_page = params.page
        result = list_invoices(user, params, on=on, summary=summary)
        context = dict(result=result, params=params, today=on, organization=organization,
                       notices=notice_texts(notices, requested_page, result.page),
                       overdue_labels={row.late: labels.days_overdue(row.late) for row in result.rows if row.late})
        summary_html = render_template("invoices/_summary.html", **context)
        results_html = render_template("invoices/_results.html", **context)
        if fragment:  # the rows, and the summary swapped out of band into the live region above them
            return (f'<div id="results-status" hx-swap-oob="innerHTML">{summary_html}</div>\n{results_html}',)
        return summary_html, results_html

    parts = rendered(key, render)
    if fragment:
        html = parts[0]
    else:
        html = render_template("invoices/index.html", params=params, organization=organization,
                               summary_html=Markup(parts[0]), results_html=Markup(parts[1]))
    return html, 200, {"Vary": "HX-Request"}


def _credit_notes(params, organization):
    """The list's "Credit notes" filter: the credit notes the user may see, amounts negative, newest first."""
    rows, count, page, pages = list_credit_notes(current_user, params.page)
    context = dict(rows=rows, count=count, page=page, pages=pages, params=params)
    summary_html = render_template("invoices/_credit_notes_summary.html", **context)
    results_html = render_template("invoices/_credit_notes.html", **context)
    if is_htmx():
        html = f'<div id="results-status" hx-swap-oob="innerHTML">{summary_html}</div>\n{results_html}'
    else:
        html = render_template("invoices/index.html", params=params, organization=organization,
                               summary_html=Markup(summary_html), results_html=Markup(results_html))
    return html, 200, {"Vary": "HX-Request"}


@bp.route("/invoices/<number>")
@login_required
def detail(number):
    if not is_plausible_number(number):
        abort(404)
    OrderAccount, Billed = Customer.alias(), Customer.alias()
    invoice = get_object_or_404(
        Invoice.visible_to(current_user)
        .select(Invoice, OrderAccount, Billed)
        .join(Billed, on=(Invoice.invoice_account == Billed.id), attr="invoice_account")
        .switch(Invoice)
        .join(OrderAccount, on=(Invoice.order_account == OrderAccount.id), attr="order_account"),
        Invoice.number == number)
    document = InvoiceDocument.load(invoice)
    return render_template("invoices/detail.html", invoice=invoice, document=document, lines=document.lines,
                           payments=document.payments, today=clock.today())


def einvoice_response(document):
    """The e-invoice as a download, or a page saying why this document cannot be one (409)."""
    try:
        einvoice = build_einvoice(document)
    except EInvoiceUnavailable as error:
        return render_template("errors/error.html", title=_("No e-invoice"),
                               message=refusal_text(error)), 409
    return Response(einvoice.content, mimetype="application/xml", headers={
        "Content-Disposition": f'attachment; filename="{einvoice.filename}"',
        "Cache-Control": "private, no-store"})


@bp.route("/invoices/<number>/einvoice.xml")
@login_required
def einvoice(number):
    """Download e-invoice: EHF 3.0 (PEPPOL BIS Billing 3.0 UBL) for NOK invoices, KSeF FA(3) for PLN ones."""
    try:
        invoice = Invoice.get_visible(current_user, number)
    except Invoice.DoesNotExist:
        abort(404)
    return einvoice_response(InvoiceDocument.load(invoice))
