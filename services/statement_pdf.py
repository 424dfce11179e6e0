"""The statement of account as an A4 PDF (fpdf2, the committed DejaVu font like services/invoice_pdf.py): the
Download statement link and the attachment of the statement email. It prints exactly what the statement page
shows (models/statement.py), in the reader's language.

Every text from the data (names, addresses, references) goes through the invoice PDF's Layout first: cleaned
(control characters dropped, a replacement glyph for what the font lacks), wrapped inside its cell and cut with
an ellipsis after a few lines — so a name of 60 lines, 500 emoji or a 3,000-letter word cannot make a table row
taller than a page or run off it. Right-to-left text is shaped when uharfbuzz is installed."""
from __future__ import annotations

from flask import current_app
from flask_babel import gettext as _
from fpdf import FPDF
from fpdf.enums import XPos, YPos
from fpdf.fonts import FontFace

from i18n import labels
from i18n.formatting import day, locale_name, money
from models import clock
from models.statement import Statement

# The invoice PDF's font, colours and blocks, so the portal's documents look alike.
from services.invoice_pdf import (BRAND, FONT, INK, MUTED, RULE, Layout, _font_files, _label, _rule,  # noqa: F401
                                  _shaping_available, _totals)

HEADINGS = FontFace(emphasis="BOLD", color=INK, fill_color=(244, 246, 249))


class _DocumentPDF(FPDF):
    footer_text = ""
    layout: Layout | None = None

    def footer(self):
        self.set_y(-14)
        self.set_font(FONT, size=8)
        self.set_text_color(*MUTED)
        self.cell(0, 5, self.footer_text, align="L")
        self.set_x(self.l_margin)
        self.cell(0, 5, _("Page %(page)s of %(pages)s", page=self.page_no(), pages="{nb}"), align="R")


def new_document(title: str) -> FPDF:
    """An A4 page with the portal's font, margins and footer, the seller at the top left and `title` at the
    right; the cursor below both."""
    seller_name = current_app.config.get("SELLER_NAME") or "Settle"
    pdf = _DocumentPDF(orientation="portrait", unit="mm", format="A4")
    regular, bold = _font_files()
    pdf.add_font(FONT, "", str(regular))
    pdf.add_font(FONT, "B", str(bold))
    pdf.set_title(title)
    pdf.set_author(seller_name)
    pdf.set_creator("Settle")
    pdf.set_lang(locale_name())
    pdf.set_margins(18, 16, 18)
    pdf.set_auto_page_break(True, margin=20)
    pdf.layout = Layout(pdf)
    if _shaping_available():
        pdf.set_text_shaping(True)
    pdf.footer_text = fit(pdf, f"{seller_name} · {title}", pdf.epw * 0.68, 8, lines=1)
    pdf.add_page()
    half = pdf.epw / 2
    top = pdf.get_y()
    pdf.set_text_color(*BRAND)
    pdf.set_font(FONT, "B", 15)
    pdf.cell(half, 8, fit(pdf, seller_name, half - 4, 15, True, lines=1), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_text_color(*MUTED)
    pdf.set_font(FONT, size=9)
    pdf.multi_cell(half, 4.5, fit(pdf, current_app.config.get("SELLER_ADDRESS") or "", half - 4, 9, lines=5),
                   align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    after_seller = pdf.get_y()
    pdf.set_xy(pdf.l_margin + half, top)
    pdf.set_text_color(*INK)
    pdf.set_font(FONT, "B", 18)
    pdf.multi_cell(half, 9, fit(pdf, title, half - 2, 18, True, lines=2), align="R", new_x=XPos.LMARGIN,
                   new_y=YPos.NEXT)
    pdf.set_y(max(after_seller, pdf.get_y()) + 4)
    return pdf


def fit(pdf: FPDF, text, width: float, size: float, bold: bool = False, lines: int = 3) -> str:
    """`text` as it can be printed in a cell `width` mm wide: cleaned, wrapped, at most `lines` lines (the last
    one ending in an ellipsis when cut), joined with newlines for multi_cell and table cells."""
    layout = pdf.layout
    return "\n".join(layout.wrap(layout.clean(text), width, size, bold, max_lines=lines))


def facts(pdf: FPDF, rows) -> None:
    """Label / value lines under the heading."""
    for label, value in rows:
        pdf.set_font(FONT, size=9)
        pdf.set_text_color(*MUTED)
        pdf.cell(45, 5, fit(pdf, label, 43, 9, lines=1))
        pdf.set_text_color(*INK)
        pdf.multi_cell(pdf.epw - 45, 5, fit(pdf, value, pdf.epw - 47, 9, lines=4), align="L",
                       new_x=XPos.LMARGIN, new_y=YPos.NEXT)


def table(pdf: FPDF, widths, aligns, heading, rows) -> None:
    pdf.set_font(FONT, size=8.5)
    pdf.set_text_color(*INK)
    pdf.set_draw_color(*RULE)
    room = [width - 2 * 1.5 - 0.5 for width in widths]  # inside the padding
    with pdf.table(col_widths=widths, text_align=aligns, headings_style=HEADINGS,
                   borders_layout="HORIZONTAL_LINES", line_height=5.5, padding=(1.2, 1.5), width=pdf.epw) as grid:
        row = grid.row()
        for text, inside in zip(heading, room):
            row.cell(fit(pdf, text, inside, 8.5, True, lines=3))
        for values in rows:
            row = grid.row()
            for value, inside in zip(values, room):
                row.cell(fit(pdf, value, inside, 8.5, lines=3))


def render_statement_pdf(statement: Statement) -> bytes:
    """The statement as PDF bytes."""
    title = _("Statement of account")
    pdf = new_document(title)
    customer = statement.customer
    _rule(pdf)
    pdf.ln(3)
    facts(pdf, [
        (_("Customer"), f"{customer.account} {customer.name}"),
        *([(_("Organization account"), f"{statement.organization.account} {statement.organization.name}")]
          if statement.organization else []),
        (_("As of"), day(statement.as_of)),
        (_("Payments from"), f"{day(statement.period_from)} – {day(statement.as_of)}"),
    ])
    if not statement.currencies:
        pdf.ln(4)
        pdf.set_font(FONT, size=10)
        pdf.cell(pdf.epw, 6, _("Nothing was open on this day, and nothing was paid in the period."),
                 new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    for section in statement.currencies:
        currency = section.currency
        pdf.ln(5)
        pdf.set_font(FONT, "B", 12)
        pdf.set_text_color(*INK)
        pdf.cell(pdf.epw, 7, _("In %(currency)s", currency=currency), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        _label(pdf, _("Open items"), pdf.epw)
        if section.items:
            table(pdf, (26, 22, 22, 28, 16, 30, 30), ("LEFT", "LEFT", "LEFT", "LEFT", "RIGHT", "RIGHT", "RIGHT"),
                  (_("Invoice"), _("Invoice date"), _("Due date"), _("Order account"), _("Days past due"),
                   _("Total"), _("Balance")),
                  [(item.number, day(item.invoice_date), day(item.due_date), item.order_account,
                    str(item.days_late) if item.days_late else "", money(item.total, currency),
                    money(item.balance, currency)) for item in section.items])
        else:
            pdf.set_font(FONT, size=9)
            pdf.cell(pdf.epw, 6, _("Nothing was open on this day."), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.ln(2)
        _totals(pdf, [(_("Total open"), money(section.total_open, currency), True),
                      (_("Overdue"), money(section.overdue, currency), False)], pdf.epw)
        pdf.ln(3)
        _label(pdf, _("Open balance by days past due"), pdf.epw)
        table(pdf, (34.8,) * 5, ("RIGHT",) * 5, [labels.aging_bucket(bucket) for bucket in section.buckets],
              [[money(amount, currency) for amount in section.buckets.values()]])
        pdf.ln(3)
        _label(pdf, _("Payments in the period"), pdf.epw)
        if section.payments:
            table(pdf, (24, 26, 22, 44, 28, 30), ("LEFT", "LEFT", "LEFT", "LEFT", "RIGHT", "RIGHT"),
                  (_("Date"), _("Invoice"), _("Method"), _("Reference"), _("Amount"), _("Cash discount")),
                  [(day(line.paid_at.date()), line.number, labels.payment_method(line.method), line.reference or "",
                    money(line.amount, currency), money(line.discount, currency)) for line in section.payments])
            pdf.ln(2)
            _totals(pdf, [(_("Paid in the period"), money(section.paid, currency), False)], pdf.epw)
        else:
            pdf.set_font(FONT, size=9)
            pdf.cell(pdf.epw, 6, _("No payments in the period."), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(4)
    pdf.set_font(FONT, size=8)
    pdf.set_text_color(*MUTED)
    pdf.cell(pdf.epw, 5, _("Printed %(date)s", date=day(clock.today())))
    return bytes(pdf.output())
