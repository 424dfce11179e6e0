"""B2B requests: ask for an invoice copy by email (dialog or page), and the invoice PDF download."""
from io import BytesIO

from flask import Blueprint, abort, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from models.invoice import Invoice
from i18n.formatting import locale_name
from models.request import B2BRequest
from services.invoice_pdf import invoice_pdf
from models.roles import REQUEST
from .permissions import requires
from .responses import found_or_404, is_htmx, page_or_fragment

bp = Blueprint("requests", __name__)


def _visible_or_404(number: str) -> Invoice:
    return found_or_404(Invoice.get_visible, current_user, number)


@bp.route("/invoices/<number>/request")
@login_required
def new(number):
    """The confirmation: a <dialog> fragment for htmx, the same form on a page without JavaScript."""
    invoice = _visible_or_404(number)
    cancel_url = (url_for("invoices.index") if request.args.get("from") == "list"
                  else url_for("invoices.detail", number=invoice.number))
    response = page_or_fragment("requests/new.html", "requests/_dialog.html", invoice=invoice, cancel_url=cancel_url)
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.route("/invoices/<number>/request", methods=["POST"])
@login_required
@requires(REQUEST)
def create(number):
    try:
        b2b_request, created = B2BRequest.request_invoice_copy(current_user, number, locale_name())
    except Invoice.DoesNotExist:
        abort(404)
    if is_htmx():
        # Replaces the Request invoice button the dialog was opened from.
        response = render_template("requests/_requested.html", created=created, b2b_request=b2b_request)
        return response, 200, {"Vary": "HX-Request"}
    if created:
        flash(_("Requested: a copy of invoice %(number)s will be emailed to %(email)s. Follow it under B2B requests.",
                number=b2b_request.invoice.number, email=b2b_request.email), "success")
    else:
        flash(_("Invoice %(number)s is already requested and will be emailed to %(email)s shortly.",
                number=b2b_request.invoice.number, email=b2b_request.email), "info")
    return redirect(url_for("account.index", _anchor="b2b-requests"), 303)


@bp.route("/invoices/<number>/pdf")
@login_required
def pdf(number):
    invoice = _visible_or_404(number)
    response = send_file(BytesIO(invoice_pdf(invoice)), mimetype="application/pdf", as_attachment=True,
                         download_name=f"{invoice.number}.pdf", max_age=0)
    response.headers["Cache-Control"] = "private, no-store"
    return response
