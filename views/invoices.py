"""The invoice list (with its htmx-swapped results) and the invoice page."""
from flask import Blueprint, Response, abort, render_template, request, stream_with_context
from flask_babel import gettext as _
from flask_login import current_user, login_required
from markupsafe import Markup
from playhouse.flask_utils import get_object_or_404

from models import clock
from models.customer import Customer
from models.invoice import Invoice, InvoiceLine, Payment, is_plausible_number
from models.aging import account_overview
from models.invoice_list import ListParams, cache_key, iter_invoices, list_invoices, order_account_choices
from services import exports
from models.roles import ACTIONS, may
from models.summary import summary_rows
from i18n import labels
from i18n.formatting import locale_name
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
        "unknown_aging": _("That aging filter is unknown, so invoices of every age are shown."),
        "bad_date": _("A date filter was not a date (write it as YYYY-MM-DD), so it was left out."),
        "unknown_order_account": _("That order account is not valid, so invoices of all order accounts are shown."),
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
    params, notices = ListParams.from_args(request.args, locale_name())
    customer = user.customer
    organization = customer.invoice_account
    if params.whose != "all" and organization is None:
        params.whose = "all"
    on = clock.today()
    summary = summary_rows(Invoice.visible_account_ids(user, params.whose))
    fragment = is_htmx()
    allowed = tuple(action for action in ACTIONS if may(user, action))
    key = cache_key(user, params, notices, on, locale_name(), summary, cart_contents()[1], allowed,
                    "fragment" if fragment else "page")

    def render():
        requested_page = params.page
        result = list_invoices(user, params, on=on, summary=summary)
        overview = account_overview(Invoice.visible_account_ids(user, params.whose), on, params.order_account)
        context = dict(result=result, params=params, today=on, organization=organization, overview=overview,
                       notices=notice_texts(notices, requested_page, result.page),
                       overdue_labels={row.late: labels.days_overdue(row.late) for row in result.rows if row.late})
        summary_html = render_template("invoices/_summary.html", **context)
        results_html = render_template("invoices/_results.html", **context)
        overview_html = render_template("invoices/_overview.html", **context)
        if fragment:  # the rows, with the count and the overview swapped out of band above them
            return (f'<div id="results-status" hx-swap-oob="innerHTML">{summary_html}</div>\n'
                    f'<div id="overview" hx-swap-oob="innerHTML">{overview_html}</div>\n{results_html}',)
        return summary_html, results_html, overview_html

    parts = rendered(key, render)
    if fragment:
        html = parts[0]
    else:
        html = render_template("invoices/index.html", params=params, organization=organization,
                               order_accounts=order_account_choices(user),
                               summary_html=Markup(parts[0]), results_html=Markup(parts[1]),
                               overview_html=Markup(parts[2]))
    return html, 200, {"Vary": "HX-Request"}


def _export_params():
    """The list's filters from the query string, exactly as the list reads them."""
    user = current_user._get_current_object()
    params, _notices = ListParams.from_args(request.args, locale_name())
    if params.whose != "all" and user.customer.invoice_account is None:
        params.whose = "all"
    customer = user.customer
    codes = {customer.id: customer.account}
    if customer.invoice_account is not None:
        codes[customer.invoice_account.id] = customer.invoice_account.account
    return user, params, codes


def _download(body, mimetype: str, extension: str):
    name = f"invoices-{clock.today().isoformat()}.{extension}"
    return Response(stream_with_context(body), mimetype=mimetype, headers={
        "Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "private, no-store"})


@bp.route("/invoices/export.csv")
@login_required
def export_csv():
    """Every invoice the list's filters match (all pages), as CSV, streamed."""
    user, params, codes = _export_params()
    rows = iter_invoices(user, params, clock.today())
    return _download(exports.csv_chunks(rows, codes), "text/csv; charset=utf-8", "csv")


@bp.route("/invoices/export.xlsx")
@login_required
def export_xlsx():
    """The same as an Excel workbook: the filters above a frozen header row, real numbers and dates."""
    user, params, codes = _export_params()
    on = clock.today()
    name = None
    if params.order_account:
        name = dict(order_account_choices(user)).get(params.order_account)
    title = _("Invoices of %(name)s", name=user.customer.name)
    path = exports.xlsx_file(iter_invoices(user, params, on), codes, title, exports.filter_lines(params, name), on)
    return _download(exports.file_chunks(path),
                     "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx")


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
    lines = list(InvoiceLine.select().where(InvoiceLine.invoice == invoice).order_by(InvoiceLine.line_no))
    payments = list(Payment.select().where(Payment.invoice == invoice).order_by(Payment.created_at, Payment.id))
    return render_template("invoices/detail.html", invoice=invoice, lines=lines, payments=payments,
                           today=clock.today())
