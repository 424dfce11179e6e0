"""A payment receipt as an A4 PDF: the receipt page's content (models/checkout.py: Receipt), for the Payments
page's download and the payment confirmation email. Built from the statement PDF's blocks, which fit any text
(services/statement_pdf.py: fit)."""
from __future__ import annotations

from flask_babel import gettext as _

from i18n import labels
from i18n.formatting import money, when
from models.checkout import Receipt
from services.statement_pdf import _rule, _totals, facts, new_document, table


def render_receipt_pdf(receipt: Receipt, payer: str | None = None) -> bytes:
    checkout = receipt.checkout
    currency = checkout.currency
    pdf = new_document(_("Payment received"))
    _rule(pdf)
    pdf.ln(3)
    facts(pdf, [
        (_("Reference"), checkout.gateway_reference or checkout.reference),
        (_("Paid"), when(checkout.completed_at) if checkout.completed_at else ""),
        (_("Method"), labels.payment_method(checkout.method)),
        *([(_("Paid by"), payer)] if payer else []),
    ])
    pdf.ln(4)
    table(pdf, (60, 56, 58), ("LEFT", "RIGHT", "RIGHT"), (_("Invoice"), _("Amount paid"), _("Cash discount")),
          [(line.invoice.number, money(line.amount, currency), money(line.discount, currency))
           for line in receipt.lines])
    pdf.ln(2)
    rows = [(_("Total paid"), money(receipt.total, currency), True)]
    if receipt.discount:
        rows.append((_("Cash discount taken"), money(receipt.discount, currency), False))
    _totals(pdf, rows, pdf.epw)
    return bytes(pdf.output())
