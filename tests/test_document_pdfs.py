"""The statement and receipt PDFs never fail on what the data may hold: a name of 60 lines, 500 emoji,
right-to-left text, very long words — the PDF downloads (cut with an ellipsis, a replacement glyph for what the
font lacks), as the invoice PDF does (tests/test_invoice_pdf.py). And its emailed copy is sent."""
from __future__ import annotations

from io import BytesIO

import pytest

from tests.test_checkout import pay

ODD_TEXTS = {
    "newlines": "a" + "\n" * 60 + "b",
    "emoji": "😀" * 500,
    "rtl": "שלום עולם — مرحبا بالعالم — " * 12,
    "long word": "x" * 3000,
}


def _plain(data: bytes) -> str:
    from pypdf import PdfReader

    return " ".join(" ".join(page.extract_text().split()) for page in PdfReader(BytesIO(data)).pages)


def _name_everything(app, text: str, seller: bool = True) -> None:
    """The odd text as every name the two PDFs print: customers, organization, user (the payer), seller."""
    from models import db
    from models.customer import Customer, User

    with app.app_context(), db.connection_context():
        Customer.update(name=text, billing_address=text).execute()
        User.update(name=text).execute()
    if seller:  # (the seller's name is checked at start-up; the PDF copes with it anyway)
        app.config.update(SELLER_NAME=text[:200], SELLER_ADDRESS=text)


@pytest.mark.parametrize("kind", list(ODD_TEXTS))
def test_statement_and_receipt_pdfs_print_any_text(app, world, client, auth, clock, kind):
    auth.login("kari")
    receipt = pay(client, {"D-001": "100.00"})
    reference = receipt.headers["Location"].rsplit("/", 1)[1]
    _name_everything(app, ODD_TEXTS[kind])
    statement = client.get(f"/statement.pdf?as_of={clock.today.isoformat()}")
    assert statement.status_code == 200 and statement.mimetype == "application/pdf", kind
    assert "D-001" in _plain(statement.data)
    receipt_pdf = client.get(f"/receipts/{reference}/pdf")
    assert receipt_pdf.status_code == 200 and receipt_pdf.mimetype == "application/pdf", kind
    text = _plain(receipt_pdf.data)
    assert "D-001" in text
    if kind in ("newlines", "emoji", "long word"):
        assert "…" in text, "what does not fit is cut with an ellipsis"


def test_the_statement_email_with_odd_names_is_sent(app, world, client, auth, clock, tmp_path):
    from models import db
    from services.request_job import process_pending_requests

    auth.login("kari")
    assert client.post("/statement/email", data={"as_of": clock.today.isoformat()}).status_code == 303
    _name_everything(app, ODD_TEXTS["newlines"] + ODD_TEXTS["emoji"] + ODD_TEXTS["long word"], seller=False)
    with app.app_context(), db.connection_context():
        result = process_pending_requests()
    assert (result.sent, result.failed, result.retrying) == (1, 0, 0)
    assert list((tmp_path / "outbox").rglob("*.eml"))
