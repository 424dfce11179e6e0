"""Credit notes: imported against an invoice, seen under the invoice rule, listed with negative amounts, used in the
cart against invoices of their own account and currency — recorded once with the payment, also when two checkouts
race for the same credit note (SQLite and PostgreSQL).

World (tests/world.py): kari and ola are users of RET-1 and see DIST-1's invoices; D-002 (1250.00, overdue) and
D-004 (1000.00 left) are DIST-1's; anna (IND-1) sees only I-*.
"""
from __future__ import annotations

import threading
from datetime import date
from decimal import Decimal

import pytest

from tests.test_checkout import gateway_result, start_payment

# 2 × 100.00 + 25 % = 250.00 credited on D-001 (DIST-1); 100.00 + 25 % on R1-001 (RET-1); 50.00 + 23 % on I-001.
CREDIT_NOTES = {"credit_notes": [
    {"number": "CN-D1", "invoice": "D-001", "invoice_date": date.today().isoformat(), "currency": "NOK",
     "reason": "Two rolls returned",
     "lines": [{"item": "A-100", "description": "Pallet wrap", "quantity": "2", "unit_price": "100.00",
                "tax_percent": "25"}]},
    {"number": "CN-R1", "invoice": "R1-001", "invoice_date": date.today().isoformat(), "currency": "NOK",
     "lines": [{"description": "Price correction", "quantity": "1", "unit_price": "100.00", "tax_percent": "25"}]},
    {"number": "CN-I1", "invoice": "I-001", "invoice_date": date.today().isoformat(), "currency": "PLN",
     "lines": [{"description": "Zwrot", "quantity": "1", "unit_price": "50.00", "tax_percent": "23"}]},
]}


@pytest.fixture
def credited(world):
    from models import db
    from models.importer import import_data

    with db.connection_context():
        import_data(CREDIT_NOTES)
    return world


def _problem(payload, field):
    from models.importer import ImportProblem, import_data

    with pytest.raises(ImportProblem) as problem:
        import_data(payload)
    assert problem.value.field == field, str(problem.value)
    return problem.value


def test_import_takes_the_credited_invoices_accounts_and_never_credits_more(db_conn, world):
    from models.credit_note import CreditNote
    from models.importer import import_data

    summary = import_data(CREDIT_NOTES)
    assert summary.credit_notes == 3
    note = CreditNote.get(CreditNote.number == "CN-D1")
    assert (note.invoice.number, note.invoice_account.account, note.order_account.account) == ("D-001", "DIST-1",
                                                                                                 "RET-1")
    assert (note.total, note.used, note.remaining, note.status) == (Decimal("250.00"), 0, Decimal("250.00"), "open")
    more = {"credit_notes": [dict(CREDIT_NOTES["credit_notes"][0], number="CN-D2",
                                  lines=[{"description": "All", "quantity": "9", "unit_price": "100.00",
                                          "tax_percent": "25"}])]}
    assert "left to credit" in _problem(more, "lines").message  # 250.00 + 1125.00 > 1250.00
    _problem({"credit_notes": [dict(CREDIT_NOTES["credit_notes"][0], number="CN-X", invoice="NOPE")]}, "invoice")
    _problem({"credit_notes": [dict(CREDIT_NOTES["credit_notes"][0], number="CN-X", currency="EUR")]}, "currency")
    assert CreditNote.select().count() == 3


def test_credit_note_page_list_and_links_follow_the_invoice_rule(client, auth, credited):
    auth.login("kari")
    page = client.get("/credit-notes/CN-D1").get_data(as_text=True).replace("\u00a0", " ")
    assert "Credit note CN-D1" in page and "D-001" in page and "-NOK 250.00" in page
    assert "VAT 25 % of -NOK 200.00" in page and "Two rolls returned" in page
    assert 'href="/credit-notes/CN-D1/einvoice.xml"' in page
    assert client.get("/credit-notes/CN-D1/pdf").mimetype == "application/pdf"
    assert client.get("/credit-notes/CN-D1/einvoice.xml").mimetype == "application/xml"
    assert 'href="/credit-notes/CN-D1"' in client.get("/invoices/D-001").get_data(as_text=True)
    listed = client.get("/invoices?status=credit_notes").get_data(as_text=True).replace("\u00a0", " ")
    assert "CN-D1" in listed and "CN-R1" in listed and "CN-I1" not in listed and "-NOK 250.00" in listed
    assert '<option value="credit_notes" selected>Credit notes</option>' in listed
    for path in ("/credit-notes/CN-I1", "/credit-notes/CN-I1/pdf", "/credit-notes/CN-I1/einvoice.xml",
                 "/credit-notes/NOPE", "/credit-notes/%00"):
        assert client.get(path).status_code == 404, path
    auth.logout()
    auth.login("anna")
    assert client.get("/credit-notes/CN-D1").status_code == 404
    assert "CN-I1" in client.get("/invoices?status=credit_notes").get_data(as_text=True)


def test_using_a_credit_note_in_the_cart_lowers_the_amount_to_pay(client, auth, credited):
    """CN-D1 (250.00) against D-002 (1250.00): the card is charged 1000.00; the invoice is paid in full by the card
    and the credit note, recorded once; the receipt shows both; the credit note is used up."""
    from models import db
    from models.credit_note import CreditNote
    from models.invoice import Invoice, Payment

    auth.login("kari")
    assert client.post("/cart/invoices", data={"invoice": "D-002"}).status_code == 303
    cart = client.get("/cart").get_data(as_text=True)
    assert "Use credit note CN-D1" in cart and "CN-R1" not in cart  # RET-1's credit pays no DIST-1 invoice
    assert client.post("/cart/credit-notes/CN-D1").status_code == 303
    cart = client.get("/cart").get_data(as_text=True).replace("\u00a0", " ")
    assert "Stop using CN-D1" in cart and "-NOK 250.00" in cart and 'id="cart-total">NOK 1,000.00' in cart
    # Another company's credit note: as if it did not exist. RET-1's: refused with the reason, nothing changes.
    assert client.post("/cart/credit-notes/CN-I1").status_code == 404
    refused = client.post("/cart/credit-notes/CN-R1", headers={"HX-Request": "true"})
    assert refused.status_code == 409 and "another account" in refused.get_data(as_text=True)

    receipt = client.get(gateway_result(client, start_payment(client)), follow_redirects=True)
    text = receipt.get_data(as_text=True).replace("\u00a0", " ")
    assert "Payment received" in text and "CN-D1" in text and "Charged to the card" in text
    assert "NOK 1,000.00" in text and "NOK 1,250.00" in text
    with db.connection_context():
        d2 = Invoice.get(Invoice.number == "D-002")
        assert (d2.balance, d2.status) == (Decimal("0.00"), "paid")
        payments = sorted((p.method, p.amount, p.gateway_reference == "CN-D1")
                          for p in Payment.select().where(Payment.invoice == d2.id))
        assert payments == [("card", Decimal("1000.00"), False), ("credit_note", Decimal("250.00"), True)]
        assert CreditNote.get(CreditNote.number == "CN-D1").remaining == Decimal("0.00")
    assert client.get("/cart").get_data(as_text=True).count("Use credit note") == 0


def test_a_credit_note_that_pays_everything_needs_no_card(client, auth, credited):
    """D-004 partly: 200.00 to pay, CN-D1 holds 250.00: 200.00 of it is used, nothing is charged, 50.00 stays open."""
    from models import db
    from models.credit_note import CreditNote
    from models.invoice import Invoice

    auth.login("ola")
    client.post("/cart/invoices", data={"invoice": "D-004"})
    cart = client.get("/cart").get_data(as_text=True)
    line = cart.split('name="amount-', 1)[1].split('"', 1)[0]
    assert client.post("/cart", data={f"amount-{line}": "200", "action": "update"}).status_code == 303
    client.post("/cart/credit-notes/CN-D1")
    response = client.post("/checkout", data={"payment_method": "card"})
    assert response.status_code == 303 and "/receipts/" in response.headers["Location"]
    with db.connection_context():
        assert Invoice.get(Invoice.number == "D-004").balance == Decimal("800.00")
        assert CreditNote.get(CreditNote.number == "CN-D1").remaining == Decimal("50.00")


def test_a_credit_note_of_another_currency_is_refused(client, auth, credited):
    from models import db
    from models.importer import import_data

    with db.connection_context():
        import_data({"invoices": [{"number": "D-EUR", "invoice_account": "DIST-1", "order_account": "DIST-1",
                                   "invoice_date": date.today().isoformat(), "currency": "EUR",
                                   "lines": [{"description": "Freight", "quantity": "1", "unit_price": "80.00"}]}],
                     "credit_notes": [{"number": "CN-EUR", "invoice": "D-EUR", "currency": "EUR",
                                       "invoice_date": date.today().isoformat(),
                                       "lines": [{"description": "Freight", "quantity": "1", "unit_price": "20.00"}]}]})
    auth.login("kari")
    client.post("/cart/invoices", data={"invoice": "D-002"})
    assert "CN-EUR" not in client.get("/cart").get_data(as_text=True)
    response = client.post("/cart/credit-notes/CN-EUR", follow_redirects=True)
    assert "is in EUR" in response.get_data(as_text=True)


def _checkout_with_credit(who: str, number: str):
    """`who` puts invoice `number` in the cart, uses CN-D1 and starts a checkout: (user, checkout)."""
    from models.cart import Cart
    from models.checkout import start
    from models.credit_note import CreditNote
    from models.customer import User
    from models.invoice import Invoice
    from tests.world import USERS

    user = User.get(User.email == USERS[who][0])
    cart = Cart.for_user(user)
    cart.add_invoice(Invoice.get(Invoice.number == number), user)
    cart.use_credit_note(CreditNote.get(CreditNote.number == "CN-D1"), user)
    return user, start(user, cart, "card")


def test_two_checkouts_use_one_credit_note_once(app, credited):
    """kari pays D-002 and ola D-004, both with CN-D1, and the gateway's results come back at the same moment: one
    checkout records the credit note, the other is refused before anything is written (its card is released)."""
    from models import db
    from models.checkout import CheckoutError, Outcome, complete
    from models.credit_note import CreditNote
    from models.invoice import Payment
    from services.gateway import GatewayResult

    with db.connection_context():
        prepared = [_checkout_with_credit("kari", "D-002"), _checkout_with_credit("ola", "D-004")]
    assert [checkout.total for _, checkout in prepared] == [Decimal("1000.00"), Decimal("750.00")]
    barrier, outcomes = threading.Barrier(2), []

    def pay(user, checkout):
        result = GatewayResult(True, checkout.reference, checkout.total, "NOK", f"gw-{checkout.id}", True)
        barrier.wait()
        with app.app_context(), db.connection_context():
            try:
                outcomes.append(complete(user, checkout.reference, result))
            except CheckoutError as error:  # pragma: no cover - reported below
                outcomes.append(error)

    threads = [threading.Thread(target=pay, args=pair) for pair in prepared]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert all(isinstance(outcome, Outcome) for outcome in outcomes), outcomes
    assert sorted(outcome.status for outcome in outcomes) == ["paid", "refused"]
    refused = next(outcome for outcome in outcomes if outcome.status == "refused")
    assert refused.error.code == "credit_note_used"
    with db.connection_context():
        note = CreditNote.get(CreditNote.number == "CN-D1")
        assert note.used == Decimal("250.00")
        used = Payment.select().where(Payment.method == "credit_note")
        assert [(p.amount, p.gateway_reference) for p in used] == [(Decimal("250.00"), "CN-D1")]
        assert Payment.select().where(Payment.method == "card").count() == 1
