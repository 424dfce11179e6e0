"""The invoice PDF a finance department books: every identifier, the payment details and VAT per rate, in English,
Norwegian and Polish (text extracted with pypdf); a layout that holds in each language (positions of the printed
text: no heading broken inside a word, no label running into its value); texts no PDF can refuse (60 newlines,
500 emoji, right-to-left) download and travel by email."""
from __future__ import annotations

import re
from datetime import date, timedelta
from functools import lru_cache
from io import BytesIO
from pathlib import Path

import pytest

from tests.world import USERS

LANGUAGES = ("en", "nb", "pl")
FONTS = Path(__file__).resolve().parent.parent / "static" / "fonts"
TWO_RATES = {"invoices": [{
    "number": "D-020", "invoice_account": "DIST-1", "order_account": "RET-1", "currency": "NOK",
    "invoice_date": (date.today() - timedelta(days=2)).isoformat(), "buyer_reference": "PO-4471",
    "delivery_date": (date.today() - timedelta(days=4)).isoformat(), "kid": "10006",
    "lines": [{"item": "A-100", "description": "Pallet wrap", "quantity": "10", "unit_price": "100.00",
               "tax_percent": "25"},
              {"item": "F-750", "description": "Coffee beans, 1 kg", "quantity": "4", "unit_price": "50.00",
               "tax_percent": "15"}]}, {
    "number": "I-020", "invoice_account": "IND-1", "order_account": "IND-1", "currency": "PLN",
    "invoice_date": (date.today() - timedelta(days=2)).isoformat(), "ksef_number": "7770000005-20261101-0A1B2C3D4E5F-7A",
    "lines": [{"item": "P-100", "description": "Folia stretch", "quantity": "10", "unit_price": "100.00",
               "tax_percent": "23"},
              {"item": "P-810", "description": "Kawa", "quantity": "4", "unit_price": "50.00", "tax_percent": "8"}]}]}
ODD = {"invoices": [{
    "number": "D-ODD", "invoice_account": "DIST-1", "order_account": "RET-1", "currency": "NOK",
    "invoice_date": date.today().isoformat(), "buyer_reference": "😀" * 90,
    "lines": [{"description": "a" + "\n" * 60 + "b", "quantity": "1", "unit_price": "10.00", "tax_percent": "25"},
              {"description": "😀" * 500, "item": "TRUCK", "quantity": "1", "unit_price": "10.00"},
              {"description": "שלום עולם — مرحبا بالعالم — " * 12, "quantity": "1", "unit_price": "10.00"},
              {"description": "evil" + "x" * 490, "quantity": "999", "unit_price": "999999.9999",
               "tax_percent": "25"}]}]}


@pytest.fixture
def documents(world):
    from models import db
    from models.importer import import_data

    with db.connection_context():
        import_data(TWO_RATES)
    return world


def signed_in(client, who: str, language: str):
    client.set_cookie("lang", language)
    response = client.post("/login", data={"email": USERS[who][0], "password": "test-Passw0rd"})
    assert response.status_code == 303
    return client


def runs(data: bytes) -> list[tuple[str, float, float, float, bool]]:
    """Every piece of text the PDF prints: (text, x, y, size, bold), in points from the bottom left."""
    from pypdf import PdfReader

    found = []
    for page_number, page in enumerate(PdfReader(BytesIO(data)).pages):
        def visit(text, cm, tm, font, size, page_number=page_number):
            if text.strip():
                bold = "Bold" in str((font or {}).get("/BaseFont", ""))
                scale = tm[0] * cm[0] or 1
                found.append((text, tm[4] * cm[0] + cm[4], tm[5] * cm[3] + cm[5] - 1000 * page_number,
                              size * scale, bold))
        page.extract_text(visitor_text=visit)
    return found


def plain(data: bytes) -> str:
    from pypdf import PdfReader

    text = " ".join(" ".join(page.extract_text().split()) for page in PdfReader(BytesIO(data)).pages)
    return text.replace("\u00a0", " ").replace("\u202f", " ")


@lru_cache(maxsize=2)
def _metrics(bold: bool):
    from fontTools.ttLib import TTFont

    font = TTFont(str(FONTS / ("DejaVuSans-Bold.ttf" if bold else "DejaVuSans.ttf")))
    return font.getBestCmap(), font["hmtx"].metrics, font["head"].unitsPerEm


def width(text: str, size: float, bold: bool) -> float:
    cmap, metrics, em = _metrics(bold)
    return sum(metrics[cmap[ord(ch)]][0] if ord(ch) in cmap else 0 for ch in text) * size / em


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_identifier_and_the_vat_breakdown_in_each_language_and_the_layout_holds(client, documents, language):
    from flask_babel import force_locale, gettext

    data = signed_in(client, "kari", language).get("/invoices/D-020/pdf").data
    nok = plain(data)
    assert_layout(client, data, language)
    with client.application.test_request_context(), force_locale(language):
        expected = [gettext("VAT %(rate)s of %(amount)s", rate="25 %", amount=""), gettext("Payment details").upper(),
                    gettext("KID"), gettext("Your reference")]
    for text in ("998877660", "NO998877660MVA", "911223341", "NO911223341MVA", "NO93 8601 1117 947", "DNBANOKK",
                 "8601.11.17947", "10006", "PO-4471", *expected):
        assert text in nok, f"{text!r} missing from the {language} PDF"
    assert nok.count("%") >= 4 and ("15 %" in nok)  # both rates, in the lines and the breakdown
    for amount in ("1,000.00", "1 000,00"):  # taxable amounts of the 25 % rate, tax 250, 15 %: 200 and 30
        if amount in nok:
            break
    else:
        pytest.fail(f"the taxable amount of 25 % is missing: {nok}")
    client.post("/logout")
    pln = plain(signed_in(client, "anna", language).get("/invoices/I-020/pdf").data)
    for text in ("1112223332", "PL1112223332", "PL61 1090 1014 0000 0712 1981 2874", "Faktura I-020",
                 "7770000005-20261101-0A1B2C3D4E5F-7A", "23 %", "8 %"):
        assert text in pln, f"{text!r} missing from the {language} PLN PDF"


def assert_layout(client, data: bytes, language: str) -> None:
    """No column heading is broken inside a word, and no label reaches the value beside it."""
    from flask_babel import force_locale, gettext

    printed = runs(data)
    with client.application.test_request_context(), force_locale(language):
        headings = [gettext(h) for h in ("Item", "Description", "Quantity", "Unit price", "Amount", "VAT",
                                         "Line total")]
        labels = [gettext(label) for label in ("Invoice number", "Invoice date", "Due date", "Delivery date",
                                               "Your reference", "Order account", "Currency", "Cash discount")]
    pieces = [text for text, *_ in printed]
    for heading in headings:
        for word in heading.split():
            assert any(word in piece.split() for piece in pieces), f"heading word {word!r} broken: {pieces[:60]}"
    checked = 0
    for text, x, y, size, bold in printed:
        if not any(text in label for label in labels):
            continue
        beside = [other_x for other, other_x, other_y, *_ in printed if abs(other_y - y) < 0.5 and other_x > x]
        if beside:
            checked += 1
            assert x + width(text, size, bold) < min(beside) - 1, f"{text!r} runs into its value ({language})"
    assert checked >= 6


def test_texts_a_pdf_cannot_print_are_wrapped_cut_or_replaced(client, auth, world, app, tmp_path):
    """60 newlines, 500 emoji, right-to-left text, control characters, huge amounts: the PDF downloads, the
    long texts end in an ellipsis, and its emailed copy is sent."""
    from models import db
    from models.importer import import_data
    from services.request_job import process_pending_requests

    from models.invoice import Invoice, InvoiceLine

    with db.connection_context():
        import_data(ODD)
        # What the import refuses today (an emoji item code, a NUL in a text) may still be in a database from
        # before, or be written by other means: the PDF copes with it too.
        invoice = Invoice.get(Invoice.number == "D-ODD")
        InvoiceLine.update(item="🚚" * 40).where(InvoiceLine.invoice == invoice, InvoiceLine.line_no == 2).execute()
        InvoiceLine.update(description="\u202eevil\u0000\u200b" + "x" * 490).where(
            InvoiceLine.invoice == invoice, InvoiceLine.line_no == 4).execute()
    auth.login("kari")
    response = client.get("/invoices/D-ODD/pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    text = plain(response.data)
    assert "…" in text and "evil" in text and "\u0000" not in text
    assert client.post("/invoices/D-ODD/request").status_code == 303
    with app.app_context(), db.connection_context():
        result = process_pending_requests()
    assert (result.sent, result.failed) == (1, 0)
    assert list((tmp_path / "outbox").rglob("*.eml"))


def test_a_long_invoice_prints_every_line_with_headings_on_each_page(client, auth, world):
    from models import db
    from models.importer import import_data

    lines = [{"item": f"A-{n:03d}", "description": f"Line {n}", "quantity": "1", "unit_price": "1.00",
              "tax_percent": "25"} for n in range(1, 301)]
    with db.connection_context():
        import_data({"invoices": [{"number": "D-300", "invoice_account": "DIST-1", "order_account": "DIST-1",
                                   "invoice_date": date.today().isoformat(), "currency": "NOK", "lines": lines}]})
    auth.login("nina")
    from pypdf import PdfReader

    pages = [page.extract_text() for page in PdfReader(BytesIO(client.get("/invoices/D-300/pdf").data)).pages]
    assert sorted(int(n) for n in re.findall(r"Line (\d+)", " ".join(pages))) == list(range(1, 301))
    with_lines = [page for page in pages if "Line " in page]
    assert len(with_lines) > 3 and all("Description" in page for page in with_lines)
