"""The invoice as an A4 PDF (fpdf2): the download on the invoice page and the attachment of the email.

Rendered with DejaVu Sans, a Unicode TrueType font committed under static/fonts/ (its licence
is beside it), so names like "Hurtownia Wisła" and "Tromsø" print as written. Texts go through
gettext and amounts and dates through the same Babel filters as the pages, so the PDF speaks
the reader's language.
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from flask import current_app
from flask_babel import gettext as _
from fpdf import FPDF
from fpdf.enums import XPos, YPos
from fpdf.fonts import FontFace

from i18n import labels
from i18n.formatting import day, locale_name, money, percent, quantity
from models import clock
from models.customer import Customer
from models.invoice import Invoice, InvoiceLine, Payment
from models.money import ZERO

FONT_DIRS = (
    Path(__file__).resolve().parent.parent / "static" / "fonts",
    Path("/usr/share/fonts/truetype/dejavu"),
)
FONT = "DejaVu"
INK = (29, 39, 51)
MUTED = (86, 98, 115)
RULE = (217, 222, 229)
BRAND = (31, 78, 121)


def _font_files() -> tuple[Path, Path]:
    for folder in FONT_DIRS:
        regular, bold = folder / "DejaVuSans.ttf", folder / "DejaVuSans-Bold.ttf"
        if regular.exists() and bold.exists():
            return regular, bold
    raise FileNotFoundError("DejaVuSans.ttf not found in static/fonts/ (it is committed with the code)")


@dataclass
class InvoiceDocument:
    """Everything printed on an invoice, loaded in four small queries."""

    invoice: Invoice
    billed: Customer
    ordered: Customer
    lines: list
    payments: list

    @classmethod
    def load(cls, invoice: Invoice) -> "InvoiceDocument":
        accounts = {c.id: c for c in Customer.select().where(
            Customer.id.in_({invoice.invoice_account_id, invoice.order_account_id}))}
        lines = list(InvoiceLine.select().where(InvoiceLine.invoice == invoice.id).order_by(InvoiceLine.line_no))
        payments = list(Payment.select().where(Payment.invoice == invoice.id).order_by(Payment.created_at, Payment.id))
        return cls(invoice, accounts[invoice.invoice_account_id], accounts[invoice.order_account_id], lines, payments)

    @property
    def subtotal(self) -> Decimal:
        return sum((line.amount for line in self.lines), ZERO)

    @property
    def tax_total(self) -> Decimal:
        return sum((line.tax for line in self.lines), ZERO)

    @property
    def discounts(self) -> Decimal:
        return sum((p.discount for p in self.payments), ZERO)


class _InvoicePDF(FPDF):
    footer_text = ""

    def footer(self):
        self.set_y(-14)
        self.set_font(FONT, size=8)
        self.set_text_color(*MUTED)
        self.cell(0, 5, self.footer_text, align="L")
        self.set_x(self.l_margin)
        self.cell(0, 5, _("Page %(page)s of %(pages)s", page=self.page_no(), pages="{nb}"), align="R")


def render_invoice_pdf(document: InvoiceDocument) -> bytes:
    """The invoice as PDF bytes."""
    invoice, currency = document.invoice, document.invoice.currency
    seller_name = current_app.config.get("SELLER_NAME") or "Settle"
    seller_address = current_app.config.get("SELLER_ADDRESS") or ""

    pdf = _InvoicePDF(orientation="portrait", unit="mm", format="A4")
    regular, bold = _font_files()
    pdf.add_font(FONT, "", str(regular))
    pdf.add_font(FONT, "B", str(bold))
    pdf.set_title(_("Invoice %(number)s", number=invoice.number))
    pdf.set_author(seller_name)
    pdf.set_creator("Settle")
    pdf.set_lang(locale_name())
    pdf.footer_text = f"{seller_name} · {_('Invoice %(number)s', number=invoice.number)}"
    pdf.set_margins(18, 16, 18)
    pdf.set_auto_page_break(True, margin=20)
    pdf.add_page()
    width = pdf.epw
    half = width / 2

    # Seller (left) and the document title (right).
    top = pdf.get_y()
    pdf.set_text_color(*BRAND)
    pdf.set_font(FONT, "B", 15)
    pdf.cell(half, 8, seller_name, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_text_color(*MUTED)
    pdf.set_font(FONT, size=9)
    pdf.multi_cell(half, 4.5, seller_address, align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    after_seller = pdf.get_y()
    pdf.set_xy(pdf.l_margin + half, top)
    pdf.set_text_color(*INK)
    pdf.set_font(FONT, "B", 20)
    pdf.cell(half, 10, _("Invoice"), align="R", new_x=XPos.LEFT, new_y=YPos.NEXT)
    pdf.set_font(FONT, "B", 12)
    pdf.cell(half, 6, invoice.number, align="R", new_x=XPos.LEFT, new_y=YPos.NEXT)
    pdf.set_font(FONT, size=9)
    pdf.set_text_color(*MUTED)
    pdf.cell(half, 5, labels.invoice_status(invoice.status), align="R", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_y(max(after_seller, pdf.get_y()) + 6)
    _rule(pdf)

    # Billed to (left), facts (right).
    top = pdf.get_y() + 3
    pdf.set_xy(pdf.l_margin, top)
    _label(pdf, _("Billed to"), half)
    pdf.set_font(FONT, "B", 10)
    pdf.set_text_color(*INK)
    pdf.multi_cell(half - 6, 5, document.billed.name, align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font(FONT, size=10)
    pdf.multi_cell(half - 6, 5, document.billed.billing_address or "", align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_text_color(*MUTED)
    pdf.set_font(FONT, size=9)
    pdf.cell(half - 6, 5, _("Account %(account)s", account=document.billed.account),
             new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    left_end = pdf.get_y()

    facts = [
        (_("Invoice number"), invoice.number),
        (_("Invoice date"), day(invoice.invoice_date)),
        (_("Due date"), day(invoice.due_date)),
        (_("Order account"), f"{document.ordered.account} {document.ordered.name}"),
        (_("Currency"), currency),
    ]
    if invoice.discount_until and invoice.discount_percent:
        facts.append((_("Cash discount"), _("%(percent)s if paid in full by %(date)s",
                                            percent=percent(invoice.discount_percent),
                                            date=day(invoice.discount_until))))
    pdf.set_y(top)
    for label, value in facts:
        pdf.set_x(pdf.l_margin + half)
        pdf.set_font(FONT, size=9)
        pdf.set_text_color(*MUTED)
        pdf.cell(half * 0.4, 5, label)
        pdf.set_font(FONT, size=9)
        pdf.set_text_color(*INK)
        pdf.multi_cell(half * 0.6, 5, value, align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_y(max(left_end, pdf.get_y()) + 6)

    # Lines.
    pdf.set_font(FONT, size=8.5)
    pdf.set_text_color(*INK)
    pdf.set_draw_color(*RULE)
    headings = FontFace(emphasis="BOLD", color=INK, fill_color=(244, 246, 249))
    with pdf.table(
        col_widths=(14, 33, 19, 25, 27, 27, 29),
        text_align=("LEFT", "LEFT", "RIGHT", "RIGHT", "RIGHT", "RIGHT", "RIGHT"),
        headings_style=headings, borders_layout="HORIZONTAL_LINES", line_height=5.5,
        padding=(1.2, 1.5), width=width,
    ) as table:
        row = table.row()
        for text in (_("Item"), _("Description"), _("Quantity"), _("Unit price"), _("Amount"), _("Tax"),
                     _("Line total")):
            row.cell(text)
        for line in document.lines:
            row = table.row()
            row.cell(line.item or "")
            row.cell(line.description)
            row.cell(quantity(line.quantity))
            row.cell(money(line.unit_price, currency))
            row.cell(money(line.amount, currency))
            row.cell(f"{money(line.tax, currency)}\n({percent(line.tax_percent)})")
            row.cell(money(line.gross, currency))

    # Totals, right-aligned under the table.
    pdf.ln(3)
    totals = [
        (_("Subtotal"), money(document.subtotal, currency), False),
        (_("Tax"), money(document.tax_total, currency), False),
        (_("Total"), money(invoice.total, currency), True),
    ]
    _totals(pdf, totals, width)

    # Payments.
    pdf.ln(5)
    _label(pdf, _("Payments"), width)
    pdf.set_font(FONT, size=9)
    pdf.set_text_color(*INK)
    if document.payments:
        with pdf.table(
            col_widths=(30, 30, 60, 32, 32), text_align=("LEFT", "LEFT", "LEFT", "RIGHT", "RIGHT"),
            headings_style=headings, borders_layout="HORIZONTAL_LINES", line_height=5.5,
            padding=(1.2, 1.5), width=width,
        ) as table:
            row = table.row()
            for text in (_("Date"), _("Method"), _("Reference"), _("Amount"), _("Cash discount")):
                row.cell(text)
            for payment in document.payments:
                row = table.row()
                row.cell(day(payment.created_at.date()))
                row.cell(labels.payment_method(payment.method))
                row.cell(payment.gateway_reference or "")
                row.cell(money(payment.amount, currency))
                row.cell(money(payment.discount, currency))
    else:
        pdf.cell(width, 6, _("No payments yet."), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(3)
    paid = [(labels.amount_paid_heading(), money(invoice.total - invoice.balance - document.discounts, currency), False)]
    if document.discounts:
        paid.append((_("Cash discount"), money(document.discounts, currency), False))
    paid.append((_("Balance due"), money(invoice.balance, currency), True))
    _totals(pdf, paid, width)

    if invoice.balance > ZERO:
        pdf.ln(4)
        pdf.set_font(FONT, size=9)
        pdf.set_text_color(*MUTED)
        pdf.multi_cell(width, 5, _("Please pay %(amount)s by %(date)s, quoting invoice %(number)s.",
                                   amount=money(invoice.balance, currency), date=day(invoice.due_date),
                                   number=invoice.number), align="L")
    pdf.set_font(FONT, size=8)
    pdf.set_text_color(*MUTED)
    pdf.ln(2)
    pdf.cell(width, 5, _("Printed %(date)s", date=day(clock.today())))
    return bytes(pdf.output())


def invoice_pdf(invoice: Invoice) -> bytes:
    return render_invoice_pdf(InvoiceDocument.load(invoice))


def _rule(pdf: FPDF) -> None:
    pdf.set_draw_color(*RULE)
    pdf.line(pdf.l_margin, pdf.get_y(), pdf.l_margin + pdf.epw, pdf.get_y())


def _label(pdf: FPDF, text: str, width: float) -> None:
    pdf.set_font(FONT, "B", 8)
    pdf.set_text_color(*MUTED)
    pdf.cell(width, 5, text.upper(), new_x=XPos.LMARGIN, new_y=YPos.NEXT)


def _totals(pdf: FPDF, rows, width: float) -> None:
    label_w, value_w = 45, 40
    for label, value, strong in rows:
        pdf.set_x(pdf.l_margin + width - label_w - value_w)
        pdf.set_font(FONT, "B" if strong else "", 11 if strong else 9.5)
        pdf.set_text_color(*INK)
        pdf.cell(label_w, 6.5 if strong else 5.5, label, align="R")
        pdf.cell(value_w, 6.5 if strong else 5.5, value, align="R", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
