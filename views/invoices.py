"""The invoice list (with its htmx-swapped results, exports), the invoice page and its e-invoice."""
from urllib.parse import quote

from flask import Blueprint, Response, render_template, request, stream_with_context, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext
from flask_login import current_user, login_required
from markupsafe import Markup

from models import clock
from models.aging import BUCKETS as AGING_BUCKETS, account_overview
from models.credit_note import list_credit_notes
from models.invoice import Invoice
from models.invoice_list import ListParams, iter_invoices, list_invoices, order_account_choices, rendered_row_key
from models.roles import ACTIONS, PAY, REQUEST, may
from services import exports
from i18n import labels
from i18n.formatting import day, locale_name, money, percent
from i18n.refusals import refusal_text
from services.documents import InvoiceDocument
from services.einvoice import EInvoiceUnavailable, build_einvoice
from .context import cart_contents
from .rendered_cache import rendered_parts
from .responses import found_or_404, is_htmx

bp = Blueprint("invoices", __name__)


# What the list says about a filter it did not understand; only the notices a page shows are translated.
NOTICES = {
    "unknown_status": lazy_gettext("That status filter is unknown, so all invoices are shown."),
    "unknown_whose": lazy_gettext("That account filter is unknown, so invoices of all accounts are shown."),
    "search_too_long": lazy_gettext("The search was shortened to its first 40 characters."),
    "unknown_sort": lazy_gettext("That sort order is unknown, so invoices are sorted by due date."),
    "bad_page": lazy_gettext("That page number is not valid, so the first page is shown."),
    "unknown_aging": lazy_gettext("That aging filter is unknown, so invoices of every age are shown."),
    "bad_date": lazy_gettext("A date filter was not a date (write it as YYYY-MM-DD), so it was left out."),
    "unknown_order_account": lazy_gettext(
        "That order account is not valid, so invoices of all order accounts are shown."),
}


def notice_texts(notices, requested_page: int, shown_page: int) -> list[str]:
    found = [str(NOTICES[n]) for n in notices]
    if requested_page > shown_page:
        found.append(_("There is no page %(page)s; this is the last page.", page=requested_page))
    return found


ROW_END = "<!--/row-->"  # what templates/invoices/_rows.html writes after each row


def row_words(row, t: dict, language: str) -> tuple:
    """What a list row says in `language`, worked out here rather than by filters in the template (a page has 25
    rows): its dates and amounts, the checkbox's label, the days-overdue badge and its whole sentence, and the cash
    discount's sentence and badge ("" where the row has none). `t` is i18n/labels.py: list_texts(language)."""
    currency, late, offer = row.currency, row.late, row.offer
    offer_title = offer_badge = ""
    if offer:
        offer_title = (t["offer"].replace("\x01", money(offer.pay_amount, currency, language))
                       .replace("\x02", day(offer.until, "medium", language))
                       .replace("\x03", money(offer.amount, currency, language)))
        offer_badge = (t["offer_badge"].replace("\x01", percent(offer.percent, language))
                       .replace("\x02", day(offer.until, "day_month", language)))
    return (day(row.invoice_date, "medium", language), day(row.due_date, "medium", language),
            money(row.total, currency, language), money(row.balance, currency, language),
            t["select"].replace("\x01", row.number),
            t["late"].replace("\x01", str(late)) if late else "", labels.days_overdue_in(language, late) if late else "",
            offer_title, offer_badge)


def rendered_rows(user, result, organization, language: str, on) -> Markup:
    """The page's rows: each from the rendered-row cache when its key (models/invoice_list.py: rendered_row_key) is there,
    the others rendered together in one go and kept."""
    in_cart = cart_contents()[1]
    allowed = tuple(action for action in ACTIONS if may(user, action))
    texts = labels.list_texts(language)
    billed_to = [texts["own"] if row.invoice_account_id == user.customer_id else organization.name
                 for row in result.rows] if organization else [""] * len(result.rows)
    keys = [rendered_row_key(row, billed_to[i], language, row.id in in_cart, allowed) for i, row in enumerate(result.rows)]

    def render(indexes) -> list[str]:
        rows = [result.rows[i] for i in indexes]
        html = render_template(
            "invoices/_rows.html",
            rows=[(row, row_words(row, texts, language), billed_to[i]) for row, i in zip(rows, indexes)],
            organization=organization, t=texts, in_cart=in_cart, may_pay=PAY in allowed, may_request=REQUEST in allowed,
            u={"detail": url_for("invoices.detail", number="0")[:-1], "add": url_for("cart.add_invoice")})
        parts = html.split(ROW_END)
        return [part.strip("\n") + "\n" for part in parts[:len(rows)]]

    return Markup("".join(rendered_parts(keys, render)))


@bp.route("/invoices")
@login_required
def index():
    """The list: filters, summary and a page of rows; htmx asks for the summary and rows alone.

    The rows come from the rendered-row cache when nothing they show has changed (`rendered_rows`)."""
    user = current_user._get_current_object()
    params, notices = ListParams.from_args(request.args, locale_name())
    organization = user.customer.invoice_account
    if params.whose != "all" and organization is None:
        params.whose = "all"
    on = clock.today()
    if params.status == "credit_notes":
        return _credit_notes(user, params, organization, on)
    language = locale_name()
    requested_page = params.page
    result = list_invoices(user, params, on=on)
    overview = account_overview(Invoice.visible_account_ids(user, params.whose), on, params.order_account)
    context = dict(result=result, params=params, today=on, organization=organization, overview=overview,
                   notices=notice_texts(notices, requested_page, result.page),
                   rows_html=rendered_rows(user, result, organization, language, on),
                   w=labels.results_texts(language), links=result_links(result, params), may_pay=may(user, PAY))
    summary_html = render_template("invoices/_summary.html", **context)
    results_html = render_template("invoices/_results.html", **context)
    # The overview is kept like a row, under everything it shows: its figures, the language, the filters its
    # links keep and whether the user may pay (Pay all overdue).
    overview_key = ("account-overview", language, tuple(repr(o) for o in overview),
                    tuple(sorted(params.scope_args().items())), params.aging, may(user, PAY))
    overview_html = rendered_parts([overview_key], lambda indexes: [
        render_overview(user, params, overview, language)], counted=False)[0]
    return _list_response(user, params, organization, summary_html, results_html, overview_html)


def result_links(result, params) -> dict:
    """The links around the rows: the downloads (the filters and a chosen sort), Previous, Next and, for an empty
    narrowed list, the whole list."""
    if not result.rows:
        return {"all": url_for("invoices.index")} if params.narrowed else {}
    export_args = params.filters()
    if params.sort != "attention":
        export_args["sort"] = params.sort
    links = {"csv": url_for("invoices.export_csv", **export_args),
             "xlsx": url_for("invoices.export_xlsx", **export_args)}
    if result.pages > 1:
        if result.has_previous:
            links["previous"] = url_for("invoices.index", **result.previous_args())
        if result.has_next:
            links["next"] = url_for("invoices.index", **result.next_args())
    return links


def overview_words(o, t: dict, language: str) -> dict:
    """What the overview says of one currency in `language` (t: i18n/labels.py: overview_texts), worked out here
    rather than by filters in the template: its figures, the counts and the five bars (bucket, label, amount,
    length in %)."""
    currency = o.currency
    return {
        "heading": t["in_currency"].replace("\x01", currency),
        "total_open": money(o.total_open, currency, language),
        "open_count": labels.invoice_count_in(language, o.open_invoices),
        "overdue": money(o.overdue, currency, language),
        "overdue_count": labels.invoice_count_in(language, o.overdue_invoices) if o.overdue_invoices else "",
        "due_soon": money(o.due_soon, currency, language),
        "save": t["save"].replace("\x01", money(o.saving, currency, language)) if o.saving > 0 else "",
        "first_deadline": t["first_deadline"].replace("\x01", day(o.saving_until, "medium", language))
        if o.saving > 0 else "",
        "bars": [(bucket, t["buckets"][bucket], money(amount, currency, language), width)
                 for bucket, amount, width in o.bars()],
        "pay_overdue": t["pay_overdue_in"].replace("\x01", currency),
    }


def render_overview(user, params, overview, language: str) -> str:
    """The account overview (templates/invoices/_overview.html), handed what is the same for every currency once:
    its words, the bars' links (one per age, kept with the list's scope) and Pay all overdue's address."""
    scope = params.scope_args()
    texts = labels.overview_texts(language)
    return render_template(
        "invoices/_overview.html", overview=overview, params=params, t=texts,
        words=[overview_words(o, texts, language) for o in overview],
        aging_urls=aging_urls(scope) if overview else {},
        pay_overdue_url=url_for("cart.add_overdue", **scope) if overview else "", may_pay=may(user, PAY))


def aging_urls(scope: dict) -> dict:
    """The list narrowed to each age, keeping `scope` — what url_for("invoices.index", aging=bucket, **scope) gives,
    built once: the age is the first argument of the query, so only its value differs from bucket to bucket."""
    marker = "aging=AGING"
    base = url_for("invoices.index", aging="AGING", **scope)
    return {bucket: base.replace(marker, "aging=" + quote(bucket, safe=""), 1) for bucket in AGING_BUCKETS}


def _list_response(user, params, organization, summary_html: str, results_html: str, overview_html: str):
    """The list's answer: for htmx the results, with the count and the overview swapped out of band above
    them; otherwise the whole page around them."""
    if is_htmx():
        html = (f'<div id="results-status" hx-swap-oob="innerHTML">{summary_html}</div>\n'
                f'<div id="overview" hx-swap-oob="innerHTML">{overview_html}</div>\n{results_html}')
    else:
        html = render_template("invoices/index.html", params=params, organization=organization,
                               order_accounts=order_account_choices(user), summary_html=Markup(summary_html),
                               results_html=Markup(results_html), overview_html=Markup(overview_html))
    return html, 200, {"Vary": "HX-Request"}


def _credit_notes(user, params, organization, on):
    """The list's "Credit notes" filter: the credit notes the user may see, amounts negative, newest first (the
    account overview above stays the invoices')."""
    rows, count, page, pages = list_credit_notes(user, params.page)
    overview = account_overview(Invoice.visible_account_ids(user, params.whose), on, params.order_account)
    context = dict(rows=rows, count=count, page=page, pages=pages, params=params, overview=overview, today=on,
                   organization=organization)
    summary_html = render_template("invoices/_credit_notes_summary.html", **context)
    results_html = render_template("invoices/_credit_notes.html", **context)
    overview_html = render_overview(user, params, overview, locale_name())
    return _list_response(user, params, organization, summary_html, results_html, overview_html)


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
    invoice = found_or_404(Invoice.get_visible, current_user, number)
    document = InvoiceDocument.load(invoice)
    return render_template("invoices/detail.html", invoice=invoice, document=document, lines=document.lines,
                           payments=document.payments, today=clock.today(),
                           w=labels.invoice_page_texts(locale_name()))


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
    return einvoice_response(InvoiceDocument.load(found_or_404(Invoice.get_visible, current_user, number)))
