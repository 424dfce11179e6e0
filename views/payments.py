"""Payments (/payments): every payment of the invoices the user may see, newest first, filterable by date, with
each receipt and its PDF."""
from __future__ import annotations

from datetime import date
from io import BytesIO

from flask import Blueprint, render_template, request, send_file
from flask_babel import gettext as _
from flask_login import current_user, login_required

from models import checkout as payments
from models.statement import payment_page
from services.receipt_pdf import render_receipt_pdf

from .responses import found_or_404

bp = Blueprint("payments", __name__)


def _day(name: str, notices: list) -> date | None:
    raw = (request.args.get(name) or "").strip()
    if not raw:
        return None
    try:
        return date.fromisoformat(raw) if len(raw) == 10 else None
    except ValueError:
        pass
    notices.append(_("“%(value)s” is not a date (write it as YYYY-MM-DD), so that filter was left out.",
                     value=raw[:20]))
    return None


@bp.route("/payments")
@login_required
def index():
    notices: list = []
    first, last = _day("from", notices), _day("to", notices)
    raw_page = (request.args.get("page") or "1").strip()
    page = int(raw_page) if raw_page.isdigit() and len(raw_page) <= 6 else 1
    found = payment_page(current_user, first, last, page)
    args = {k: v.isoformat() for k, v in (("from", first), ("to", last)) if v}
    return render_template("payments/index.html", result=found, first=first, last=last, args=args,
                           notices=notices)


@bp.route("/receipts/<reference>/pdf")
@login_required
def receipt_pdf(reference):
    """The receipt as a PDF (the invoices of it the viewer may see)."""
    found = found_or_404(payments.receipt_for, current_user, reference)
    payer = found.checkout.user.name if found.checkout.user_id else None
    response = send_file(BytesIO(render_receipt_pdf(found, payer)), mimetype="application/pdf", as_attachment=True,
                         download_name=f"receipt-{reference}.pdf", max_age=0)
    response.headers["Cache-Control"] = "private, no-store"
    return response
