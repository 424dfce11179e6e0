"""The invoice and the credit note as A4 PDFs (fpdf2): the downloads and the email attachment.

Everything a finance department books and pays by is on it: seller and buyer with organization and VAT numbers, the
buyer's reference, delivery date, KSeF number, the lines, VAT per rate, the total, and the payment details (bank
account, amount, due date, KID or transfer title).

Text is laid out here, not by fpdf2's table or multi_cell, so that no text can break the page or the time it takes:
- every text is wrapped inside its column at spaces (a word longer than the column is broken), and what does not fit
  in a cell's line budget is cut with an ellipsis, so 60 newlines or 500 emoji in a description cost a few lines;
- a character DejaVu Sans has no glyph for (emoji, most CJK) prints as the replacement glyph U+FFFD; control
  characters are dropped; right-to-left text is shaped and ordered by HarfBuzz (uharfbuzz) when it is installed;
- a column heading never breaks inside a word: it wraps at spaces and its font shrinks until its longest word fits;
  a label wraps inside its own column, so it never runs into its value;
- widths are summed from the font's metrics directly, and plain lines are written with `FPDF.text`, so a
  10,000-line invoice takes a few seconds (`python -m bench.pdf` prints the figures).
Texts go through gettext and amounts and dates through the same Babel formatting as the pages.
"""
from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from pathlib import Path

from flask_babel import gettext as _
from fpdf import FPDF

from i18n import labels
from i18n.formatting import day, locale_name, money, percent, quantity
from models import clock
from models.credit_note import CreditNote
from models.invoice import Invoice
from models.money import ZERO

from .documents import CreditNoteDocument, InvoiceDocument  # noqa: F401 - InvoiceDocument is used by services/mail

FONT_DIRS = (
    Path(__file__).resolve().parent.parent / "static" / "fonts",
    Path("/usr/share/fonts/truetype/dejavu"),
)
FONT = "DejaVu"
INK = (29, 39, 51)
MUTED = (86, 98, 115)
RULE = (217, 222, 229)
BRAND = (31, 78, 121)
SHADE = (244, 246, 249)
PT = 25.4 / 72  # millimetres per point
REPLACEMENT = "\ufffd"
ELLIPSIS = "…"
# How many lines a cell may take before it is cut with an ellipsis.
DESCRIPTION_LINES, ITEM_LINES, TEXT_LINES = 6, 2, 4
SIZE, SMALL = 8.5, 7.5
LEADING = 1.25  # line height as a multiple of the font size


def _font_files() -> tuple[Path, Path]:
    for folder in FONT_DIRS:
        regular, bold = folder / "DejaVuSans.ttf", folder / "DejaVuSans-Bold.ttf"
        if regular.exists() and bold.exists():
            return regular, bold
    raise FileNotFoundError("DejaVuSans.ttf not found in static/fonts/ (it is committed with the code)")


@lru_cache(maxsize=1)
def _glyphs() -> frozenset:
    """The characters both DejaVu faces can print."""
    from fontTools.ttLib import TTFont

    regular, bold = _font_files()
    codes = set(TTFont(str(regular)).getBestCmap()) & set(TTFont(str(bold)).getBestCmap())
    return frozenset(chr(code) for code in codes)


def _shaping_available() -> bool:
    try:
        import uharfbuzz  # noqa: F401
    except ImportError:
        return False
    return True


# Hebrew, Arabic, Syriac, Thaana, NKo, Samaritan, Mandaic … and their presentation forms.
RTL = re.compile("[\u0590-\u08ff\ufb1d-\ufdff\ufe70-\ufeff\U00010800-\U00010fff\U0001e800-\U0001efff]")


class Layout:
    """Text measured, wrapped, cut and written on an FPDF page."""

    def __init__(self, pdf: FPDF):
        self.pdf = pdf
        self.glyphs = _glyphs()
        self.shaping = _shaping_available()
        self.widths = {False: pdf.fonts[FONT.lower()].cw, True: pdf.fonts[FONT.lower() + "B"].cw}
        self.measured: dict = {}
        self.state = None  # (bold, size, color) last set on the page

    # Text ----------------------------------------------------------------------------------------
    def clean(self, text) -> str:
        """Printable text: no control characters but newlines, a replacement glyph for what the font lacks."""
        text = str(text if text is not None else "").replace("\r\n", "\n").replace("\r", "\n").replace("\t", " ")
        glyphs = self.glyphs
        if all(ch in glyphs or ch == "\n" for ch in text):
            return text
        out = []
        for ch in text:
            if ch == "\n" or ch in glyphs:
                out.append(ch)
            elif unicodedata.category(ch) in ("Cc", "Cf", "Mn", "Me", "Zl", "Zp"):
                continue  # controls, joiners, variation selectors, combining marks the font cannot place
            else:
                out.append(REPLACEMENT)
        return "".join(out)

    def width(self, text: str, size: float, bold: bool = False) -> float:
        key = (text, bold)
        units = self.measured.get(key)
        if units is None:
            units = sum(map(self.widths[bold].__getitem__, map(ord, text)))
            if len(self.measured) > 20000:
                self.measured.clear()
            self.measured[key] = units
        return units * size * 0.001 * PT

    def wrap(self, text, width: float, size: float, bold: bool = False, max_lines: int = TEXT_LINES) -> list[str]:
        """`text` (already clean) in lines no wider than `width`; the last kept line ends in an ellipsis when cut."""
        lines: list[str] = []
        paragraphs = []
        for paragraph in str(text).split("\n"):
            if paragraph.strip() or (paragraphs and paragraphs[-1].strip()):  # one blank line between paragraphs
                paragraphs.append(paragraph.strip() if not paragraph.strip() else paragraph)
        cut = False
        for paragraph in paragraphs:
            words = paragraph.split(" ")
            line = ""
            for word in words:
                candidate = f"{line} {word}" if line else word
                if self.width(candidate, size, bold) <= width:
                    line = candidate
                    continue
                if line:
                    lines.append(line)
                    line = ""
                while self.width(word, size, bold) > width:  # a word wider than the column: break it
                    head = self._fit(word, width, size, bold)
                    lines.append(head)
                    word = word[len(head):]
                    if len(lines) > max_lines:
                        break
                line = word
                if len(lines) > max_lines:
                    break
            if line or not paragraph:
                lines.append(line)
            if len(lines) > max_lines:
                cut = True
                break
        while lines and not lines[-1].strip() and len(lines) > 1:
            lines.pop()
        if len(lines) > max_lines:
            lines, cut = lines[:max_lines], True
        if cut:
            lines[-1] = self._fit(lines[-1].rstrip() + ELLIPSIS, width, size, bold, ellipsis=True)
        return lines or [""]

    def _fit(self, text: str, width: float, size: float, bold: bool, ellipsis: bool = False) -> str:
        """The longest start of `text` that fits `width` (keeping a final ellipsis when asked); at least one char."""
        if self.width(text, size, bold) <= width:
            return text
        tail = ELLIPSIS if ellipsis else ""
        body = text[:-1] if ellipsis else text
        low, high = 1, len(body)
        while low < high:
            middle = (low + high + 1) // 2
            if self.width(body[:middle] + tail, size, bold) <= width:
                low = middle
            else:
                high = middle - 1
        return body[:low] + tail

    def one_line(self, text, width: float, size: float, bold: bool = False) -> str:
        return self.wrap(self.clean(text).replace("\n", " "), width, size, bold, max_lines=1)[0]

    def fitting_size(self, text: str, width: float, size: float, bold: bool = False, smallest: float = 4.5,
                     whole: bool = False) -> float:
        """The largest font size up to `size` at which every word of `text` (or all of it, `whole`) fits `width`:
        headings wrap between words but never inside one; amounts stay on one line."""
        longest = text if whole else max(text.split(" "), key=lambda word: self.width(word, size, bold), default="")
        while size > smallest and self.width(longest, size, bold) > width:
            size -= 0.25
        return size

    # Writing -------------------------------------------------------------------------------------
    def write(self, x: float, top: float, text: str, size: float, bold: bool = False, width: float | None = None,
              align: str = "L", color=INK) -> None:
        """One line of text whose line box starts at `top`."""
        pdf = self.pdf
        if not text:
            return
        if self.state != (bold, size, color, pdf.page):
            pdf.set_font(FONT, "B" if bold else "", size)
            pdf.set_text_color(*color)
            self.state = (bold, size, color, pdf.page)
        if self.shaping and RTL.search(text):
            # Right-to-left scripts need shaping and reordering (fpdf2 does both through HarfBuzz in cell()).
            pdf.set_text_shaping(True)
            pdf.set_xy(x, top)
            pdf.cell(width or self.width(text, size, bold) + 1, size * LEADING * PT, text, align=align[0])
            pdf.set_text_shaping(False)
            return
        text_width = self.width(text, size, bold)
        if align == "R" and width is not None:
            x = x + width - text_width
        elif align == "C" and width is not None:
            x = x + (width - text_width) / 2
        pdf.text(x, top + size * PT * 1.0, text)

    def block(self, x: float, top: float, lines: list[str], size: float, bold: bool = False,
              width: float | None = None, align: str = "L", color=INK) -> float:
        """Lines one under the other from `top`; returns the height used."""
        step = size * LEADING * PT
        for index, line in enumerate(lines):
            self.write(x, top + index * step, line, size, bold, width, align, color)
        return len(lines) * step

    def height(self, lines: int, size: float) -> float:
        return lines * size * LEADING * PT


class _PDF(FPDF):
    footer_text = ""
    layout: Layout | None = None

    def footer(self):
        self.set_y(-14)
        self.set_font(FONT, size=7.5)
        self.set_text_color(*MUTED)
        self.cell(self.epw * 0.7, 5, self.layout.one_line(self.footer_text, self.epw * 0.68, 7.5), align="L")
        self.set_x(self.l_margin)
        self.cell(0, 5, _("Page %(page)s of %(pages)s", page=self.page_no(), pages="{nb}"), align="R")


class _Renderer:
    def __init__(self, document, title: str, meta_title: str):
        self.document = document
        pdf = _PDF(orientation="portrait", unit="mm", format="A4")
        regular, bold = _font_files()
        pdf.add_font(FONT, "", str(regular))
        pdf.add_font(FONT, "B", str(bold))
        pdf.set_title(meta_title)
        pdf.set_author(document.seller.name)
        pdf.set_creator("Settle")
        pdf.set_lang(locale_name())
        pdf.set_margins(18, 16, 18)
        pdf.set_auto_page_break(False)
        pdf.layout = self.text = Layout(pdf)
        pdf.footer_text = f"{document.seller.name} · {meta_title}"
        pdf.add_page()
        self.pdf, self.title = pdf, title
        self.left, self.width = pdf.l_margin, pdf.epw
        self.bottom = pdf.h - 22
        self.y = pdf.t_margin

    # Page flow -----------------------------------------------------------------------------------
    def room(self, height: float) -> bool:
        """Make room for `height` millimetres, on a new page when this one is full; True when a page was added."""
        if self.y + height <= self.bottom:
            return False
        self.pdf.add_page()
        self.y = self.pdf.t_margin
        return True

    def rule(self, gap: float = 2.5) -> None:
        self.pdf.set_draw_color(*RULE)
        self.pdf.line(self.left, self.y, self.left + self.width, self.y)
        self.y += gap

    def heading(self, text: str) -> None:
        self.room(12)
        self.y += self.text.block(self.left, self.y, [self.text.one_line(text.upper(), self.width, 8, True)], 8,
                                  True, color=MUTED) + 1

    # Parts -----------------------------------------------------------------------------------------
    def head(self, number: str, status: str | None) -> None:
        t, seller, half = self.text, self.document.seller, self.width / 2
        top = self.y
        y = top + t.block(self.left, top, t.wrap(t.clean(seller.name), half - 4, 14, True, 2), 14, True,
                          color=BRAND)
        y += t.block(self.left, y, t.wrap(t.clean(seller.address), half - 4, 9, max_lines=5), 9, color=MUTED)
        y += t.block(self.left, y, t.wrap(t.clean(self.identifiers(seller.org_number, seller.vat_number)), half - 4,
                                          8, max_lines=2), 8, color=MUTED)
        right = self.left + half
        title_size = t.fitting_size(self.title, half, 19, True, whole=True)
        y2 = top + t.block(right, top, [t.one_line(self.title, half, title_size, True)], title_size, True, half, "R")
        y2 += t.block(right, y2, [t.one_line(number, half, 12, True)], 12, True, half, "R")
        if status:
            y2 += t.block(right, y2, [t.one_line(status, half, 9)], 9, False, half, "R", MUTED)
        self.y = max(y, y2) + 4
        self.rule(4)

    def identifiers(self, org_number, vat_number) -> str:
        parts = []
        if org_number:
            parts.append(_("Org. no. %(number)s", number=org_number))
        if vat_number:
            parts.append(_("VAT no. %(number)s", number=vat_number))
        return " · ".join(parts)

    def parties(self, facts: list) -> None:
        """Billed to (left) and the document's facts (right, label and value in their own columns)."""
        t, billed, half = self.text, self.document.billed, self.width / 2
        top = self.y
        y = top + t.block(self.left, top, [t.one_line(_("Billed to").upper(), half - 6, 8, True)], 8, True,
                          color=MUTED) + 0.5
        y += t.block(self.left, y, t.wrap(t.clean(billed.name), half - 6, 10, True, 2), 10, True)
        y += t.block(self.left, y, t.wrap(t.clean(billed.billing_address), half - 6, 9, max_lines=5), 9)
        ids = self.identifiers(billed.org_number, billed.vat_number)
        if ids:
            y += t.block(self.left, y, t.wrap(t.clean(ids), half - 6, 8.5, max_lines=2), 8.5, color=MUTED)
        y += t.block(self.left, y, [t.one_line(_("Account %(account)s", account=billed.account), half - 6, 8.5)], 8.5,
                     color=MUTED)
        label_w, gap = half * 0.42, 2
        value_x, value_w = self.left + half + label_w + gap, half - label_w - gap
        y2 = top
        for label, value in facts:
            label_lines = t.wrap(t.clean(label), label_w, 8.5, max_lines=3)
            value = t.clean(value)
            # An identifier (one word: a KSeF number, a KID) keeps to one line in a smaller size rather than break.
            size = t.fitting_size(value, value_w, 8.5, whole=True, smallest=6) if " " not in value.strip() else 8.5
            value_lines = t.wrap(value, value_w, size, max_lines=4)
            t.block(self.left + half, y2, label_lines, 8.5, color=MUTED)
            t.block(value_x, y2, value_lines, size)
            y2 += max(t.height(len(label_lines), 8.5), t.height(len(value_lines), size)) + 0.8
        self.y = max(y, y2) + 5

    def lines_table(self, lines, currency: str, sign: int = 1) -> None:
        """Item, description, quantity, unit price, amount, VAT rate, line total; headings on every page."""
        t = self.text
        columns = [  # (heading, width, align)
            (_("Item"), 18, "L"), (_("Description"), 48, "L"), (_("Quantity"), 14, "R"), (_("Unit price"), 24, "R"),
            (_("Amount"), 26, "R"), (_("VAT"), 11, "R"), (_("Line total"), 33, "R")]
        pad = 1.2
        xs, x = [], self.left
        for _heading, width, _align in columns:
            xs.append(x)
            x += width
        heading_size = min(t.fitting_size(heading, width - 2 * pad, SIZE, True) for heading, width, _ in columns)
        heading_lines = [t.wrap(t.clean(heading), width - 2 * pad, heading_size, True, 3) for heading, width, _ in
                         columns]
        heading_height = t.height(max(len(h) for h in heading_lines), heading_size) + 2 * pad

        def headings():
            self.pdf.set_fill_color(*SHADE)
            self.pdf.rect(self.left, self.y, self.width, heading_height, style="F")
            for (heading, width, align), x, text_lines in zip(columns, xs, heading_lines):
                t.block(x + pad, self.y + pad, text_lines, heading_size, True, width - 2 * pad, align)
            self.y += heading_height
            self.rule(0)

        self.room(heading_height + 12)
        headings()
        step = t.height(1, SIZE)
        number_cache: dict = {}
        for line in lines:
            amounts = [self._formatted(quantity, sign * line.quantity, number_cache),
                       self._money(line.unit_price, currency, number_cache),
                       self._money(sign * line.amount, currency, number_cache),
                       self._formatted(percent, line.tax_percent, number_cache),
                       self._money(sign * line.gross, currency, number_cache)]
            item = t.wrap(t.clean(line.item or ""), columns[0][1] - 2 * pad, SIZE, max_lines=ITEM_LINES)
            description = t.wrap(t.clean(line.description), columns[1][1] - 2 * pad, SIZE, max_lines=DESCRIPTION_LINES)
            height = step * max(len(item), len(description)) + 2 * pad
            if self.room(height):
                headings()
            t.block(xs[0] + pad, self.y + pad, item, SIZE)
            t.block(xs[1] + pad, self.y + pad, description, SIZE)
            for (heading, width, align), x, value in zip(columns[2:], xs[2:], amounts):
                size = t.fitting_size(value, width - 2 * pad, SIZE, whole=True)
                t.write(x + pad, self.y + pad, value, size, width=width - 2 * pad, align=align)
            self.y += height
            self.pdf.set_draw_color(*RULE)
            self.pdf.line(self.left, self.y, self.left + self.width, self.y)
        self.y += 3

    @staticmethod
    def _money(value, currency, cache) -> str:
        key = (value, currency)
        if key not in cache:
            if len(cache) > 5000:
                cache.clear()
            cache[key] = money(value, currency)
        return cache[key]

    @staticmethod
    def _formatted(formatter, value, cache) -> str:
        """Quantities and rates repeat over long invoices: each is formatted once."""
        key = (formatter.__name__, value)
        if key not in cache:
            cache[key] = formatter(value)
        return cache[key]

    def totals(self, rows) -> None:
        """Right-aligned label / amount rows; `rows` are (label, amount text, strong)."""
        t = self.text
        label_w, value_w = 74, 44
        label_x = self.left + self.width - label_w - value_w
        for label, value, strong in rows:
            size = 10.5 if strong else 9
            label_lines = t.wrap(t.clean(label), label_w - 2, size, strong, 2)
            height = t.height(len(label_lines), size) + 0.6
            self.room(height)
            t.block(label_x, self.y, label_lines, size, strong, label_w - 2, "R")
            value_size = t.fitting_size(value, value_w, size, strong, whole=True)
            t.write(label_x + label_w, self.y, value, value_size, strong, value_w, "R")
            self.y += height

    def vat_rows(self, currency: str, sign: int = 1) -> list:
        document = self.document
        rows = [(_("Total before VAT"), money(sign * document.subtotal, currency), False)]
        for rate in document.vat:
            rows.append((_("VAT %(rate)s of %(amount)s", rate=percent(rate.percent),
                           amount=money(sign * rate.taxable, currency)), money(sign * rate.tax, currency), False))
        rows.append((_("Total"), money(sign * document.total, currency), True))
        return rows

    def facts_box(self, heading: str, facts: list) -> None:
        """A titled list of label / value pairs across the page (Payment details)."""
        t = self.text
        label_w = 48
        value_x, value_w = self.left + label_w + 2, self.width - label_w - 2
        needed = t.height(len(facts) + 2, 9)
        self.room(needed + 6)
        self.heading(heading)
        for label, value, strong in facts:
            label_lines = t.wrap(t.clean(label), label_w, 9, max_lines=2)
            value_lines = t.wrap(t.clean(value), value_w, 9, strong, 2)
            height = t.height(max(len(label_lines), len(value_lines)), 9) + 0.6
            self.room(height)
            t.block(self.left, self.y, label_lines, 9, color=MUTED)
            t.block(value_x, self.y, value_lines, 9, strong)
            self.y += height
        self.y += 3

    def small_table(self, headings: list, rows: list, widths: list, aligns: list) -> None:
        t = self.text
        pad = 1.2
        xs, x = [], self.left
        for width in widths:
            xs.append(x)
            x += width
        size = min(t.fitting_size(h, w - 2 * pad, SIZE, True) for h, w in zip(headings, widths))
        heading_lines = [t.wrap(t.clean(h), w - 2 * pad, size, True, 2) for h, w in zip(headings, widths)]
        height = t.height(max(len(h) for h in heading_lines), size) + 2 * pad
        self.room(height + 8)
        self.pdf.set_fill_color(*SHADE)
        self.pdf.rect(self.left, self.y, sum(widths), height, style="F")
        for x, w, a, lines in zip(xs, widths, aligns, heading_lines):
            t.block(x + pad, self.y + pad, lines, size, True, w - 2 * pad, a)
        self.y += height
        for row in rows:
            cells = [t.wrap(t.clean(value), w - 2 * pad, SIZE, max_lines=2) for value, w in zip(row, widths)]
            row_height = t.height(max(len(c) for c in cells), SIZE) + 2 * pad
            self.room(row_height)
            for x, w, a, lines in zip(xs, widths, aligns, cells):
                t.block(x + pad, self.y + pad, lines, SIZE, False, w - 2 * pad, a)
            self.y += row_height
            self.pdf.set_draw_color(*RULE)
            self.pdf.line(self.left, self.y, self.left + sum(widths), self.y)
        self.y += 3

    def note(self, text: str, size: float = 8.5) -> None:
        t = self.text
        lines = t.wrap(t.clean(text), self.width, size, max_lines=TEXT_LINES)
        self.room(t.height(len(lines), size) + 2)
        self.y += t.block(self.left, self.y, lines, size, color=MUTED) + 1.5

    def output(self) -> bytes:
        return bytes(self.pdf.output())


def _payment_facts(document) -> list:
    details = document.payment
    account = details.account
    facts = [(_("Pay to"), document.seller.name, False),
             (_("Bank account (IBAN)"), account.iban_display, True)]
    if account.bic:
        facts.append((_("BIC"), account.bic, False))
    if account.domestic:
        facts.append((_("Account number"), account.domestic, False))
    facts.append((_("Amount"), money(details.amount, details.currency), True))
    facts.append((_("Due date"), day(details.due_date), False))
    label = {"kid": _("KID"), "transfer_title": _("Transfer title")}.get(details.reference_kind, _("Reference"))
    facts.append((label, details.reference, True))
    return facts


def render_invoice_pdf(document: InvoiceDocument) -> bytes:
    """The invoice as PDF bytes."""
    invoice, currency = document.invoice, document.invoice.currency
    title = _("Invoice %(number)s", number=invoice.number)
    page = _Renderer(document, _("Invoice"), title)
    page.head(invoice.number, labels.invoice_status(invoice.status))
    facts = [(_("Invoice number"), invoice.number), (_("Invoice date"), day(invoice.invoice_date)),
             (_("Due date"), day(invoice.due_date))]
    if invoice.delivery_date:
        facts.append((_("Delivery date"), day(invoice.delivery_date)))
    if invoice.buyer_reference:
        facts.append((_("Your reference"), invoice.buyer_reference))
    if document.order is not None:
        facts.append((_("Order"), document.order.number))
    facts.append((_("Order account"), f"{document.ordered.account} {document.ordered.name}"))
    facts.append((_("Currency"), currency))
    if invoice.discount_until and invoice.discount_percent:
        facts.append((_("Cash discount"), _("%(percent)s if paid in full by %(date)s",
                                            percent=percent(invoice.discount_percent),
                                            date=day(invoice.discount_until))))
    if invoice.ksef_number:
        facts.append((_("KSeF number"), invoice.ksef_number))
    if invoice.delivery_address:
        facts.append((_("Delivery address"), invoice.delivery_address.replace("\n", ", ")))
    page.parties(facts)
    page.lines_table(document.lines, currency)
    page.totals(page.vat_rows(currency))
    page.y += 4
    if invoice.balance > ZERO:
        page.facts_box(_("Payment details"), _payment_facts(document))
    page.heading(_("Payments"))
    if document.payments:
        page.small_table(
            [_("Date"), _("Method"), _("Reference"), _("Amount"), _("Cash discount")],
            [[day(p.created_at), labels.payment_method(p.method), p.gateway_reference or "",
              money(p.amount, currency), money(p.discount, currency)] for p in document.payments],
            [30, 30, 54, 30, 30], ["L", "L", "L", "R", "R"])
    else:
        page.note(_("No payments yet."), 9)
    paid = [(labels.amount_paid_heading(), money(invoice.total - invoice.balance - document.discounts, currency),
             False)]
    if document.discounts:
        paid.append((_("Cash discount"), money(document.discounts, currency), False))
    paid.append((_("Balance due"), money(invoice.balance, currency), True))
    page.totals(paid)
    if document.credit_notes:
        page.y += 3
        page.note(_("Credit notes for this invoice: %(numbers)s.",
                    numbers=", ".join(note.number for note in document.credit_notes)))
    if invoice.balance > ZERO:
        page.y += 2
        details = document.payment
        if details.reference_kind == "kid":
            text = _("Please pay %(amount)s by %(date)s to %(account)s, quoting KID %(kid)s.",
                     amount=money(invoice.balance, currency), date=day(invoice.due_date),
                     account=details.account.iban_display, kid=details.reference)
        else:
            text = _("Please pay %(amount)s by %(date)s to %(account)s, quoting \u201c%(reference)s\u201d.",
                     amount=money(invoice.balance, currency), date=day(invoice.due_date),
                     account=details.account.iban_display, reference=details.reference)
        page.note(text, 9)
    page.note(_("Printed %(date)s", date=day(clock.today())), 7.5)
    return page.output()


def render_credit_note_pdf(document: CreditNoteDocument) -> bytes:
    note, currency, credited = document.note, document.note.currency, document.credited
    title = _("Credit note %(number)s", number=note.number)
    page = _Renderer(document, _("Credit note"), title)
    page.head(note.number, _("Open") if note.is_open else _("Used"))
    facts = [(_("Credit note number"), note.number), (_("Credit note date"), day(note.invoice_date)),
             (_("Credited invoice"), f"{credited.number} ({day(credited.invoice_date)})")]
    if credited.buyer_reference:
        facts.append((_("Your reference"), credited.buyer_reference))
    facts.append((_("Order account"), f"{document.ordered.account} {document.ordered.name}"))
    facts.append((_("Currency"), currency))
    if note.reason:
        facts.append((_("Reason"), note.reason))
    if note.ksef_number:
        facts.append((_("KSeF number"), note.ksef_number))
    page.parties(facts)
    page.lines_table(document.lines, currency, sign=-1)
    page.totals(page.vat_rows(currency, sign=-1))
    page.y += 3
    page.totals([(_("Used"), money(note.used, currency), False),
                 (_("Left to use"), money(note.remaining, currency), True)])
    page.y += 2
    page.note(_("This credit note can be used in the cart to pay invoices of %(account)s in %(currency)s.",
                account=f"{document.billed.account} {document.billed.name}", currency=currency), 9)
    page.note(_("Printed %(date)s", date=day(clock.today())), 7.5)
    return page.output()


def invoice_pdf(invoice: Invoice) -> bytes:
    return render_invoice_pdf(InvoiceDocument.load(invoice))


def credit_note_pdf(note: CreditNote) -> bytes:
    return render_credit_note_pdf(CreditNoteDocument.load(note))


# Blocks the statement and receipt PDFs (services/statement_pdf.py, receipt_pdf.py) share with the invoice's look,
# drawn with fpdf2's own cells on their pages.
def _rule(pdf: FPDF) -> None:
    pdf.set_draw_color(*RULE)
    pdf.line(pdf.l_margin, pdf.get_y(), pdf.l_margin + pdf.epw, pdf.get_y())


def _label(pdf: FPDF, text: str, width: float) -> None:
    from fpdf.enums import XPos, YPos

    pdf.set_font(FONT, "B", 8)
    pdf.set_text_color(*MUTED)
    pdf.cell(width, 5, text.upper(), new_x=XPos.LMARGIN, new_y=YPos.NEXT)


def _totals(pdf: FPDF, rows, width: float) -> None:
    """Right-aligned label / amount rows; `rows` are (label, amount text, strong)."""
    from fpdf.enums import XPos, YPos

    label_w, value_w = 45, 40
    for label, value, strong in rows:
        pdf.set_x(pdf.l_margin + width - label_w - value_w)
        pdf.set_font(FONT, "B" if strong else "", 11 if strong else 9.5)
        pdf.set_text_color(*INK)
        pdf.cell(label_w, 6.5 if strong else 5.5, label, align="R")
        pdf.cell(value_w, 6.5 if strong else 5.5, value, align="R", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
