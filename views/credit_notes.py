"""Credit notes: the page, its PDF and its e-invoice, under the same rule of visibility as invoices."""
from io import BytesIO

from flask import Blueprint, render_template, send_file
from flask_login import current_user, login_required

from models.credit_note import CreditNote
from services.documents import CreditNoteDocument
from services.invoice_pdf import credit_note_pdf

from .invoices import einvoice_response
from .responses import found_or_404

bp = Blueprint("credit_notes", __name__)


def _visible_or_404(number: str) -> CreditNote:
    return found_or_404(CreditNote.get_visible, current_user, number)


@bp.route("/credit-notes/<number>")
@login_required
def detail(number):
    document = CreditNoteDocument.load(_visible_or_404(number))
    return render_template("credit_notes/detail.html", note=document.note, document=document)


@bp.route("/credit-notes/<number>/pdf")
@login_required
def pdf(number):
    note = _visible_or_404(number)
    response = send_file(BytesIO(credit_note_pdf(note)), mimetype="application/pdf", as_attachment=True,
                         download_name=f"{note.number}.pdf", max_age=0)
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.route("/credit-notes/<number>/einvoice.xml")
@login_required
def einvoice(number):
    return einvoice_response(CreditNoteDocument.load(_visible_or_404(number)))
