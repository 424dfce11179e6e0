"""Amounts typed in the cart as people write them in their language, through the page: what is accepted (and stored),
what is refused with which sentence, the total that leaves out a wrong field and says so, and Empty cart asking first.

The same table drives the cart's JavaScript (tests/e2e/test_cart.py: test_the_live_total_reads_amounts_like_the_server).
"""
import html
import re
from decimal import Decimal

import pytest

HTMX = {"HX-Request": "true"}
NBSP, NNBSP = "\u00a0", "\u202f"

# (language, typed, stored) — kari pays BIG-1 (NOK 125,000.00) in en and nb, anna BIG-2 (PLN) in pl.
ACCEPTED = [
    ("en", "1,234.50", "1234.50"),
    ("en", "1234.50", "1234.50"),
    ("en", "1234.5", "1234.50"),
    ("en", "NOK 9,181.25", "9181.25"),
    ("en", f"NOK{NBSP}9,181.25", "9181.25"),   # exactly as the portal prints it
    ("en", "1,000", "1000.00"),                   # one thousand, not "1 with three decimals"
    ("en", "1,234", "1234.00"),
    ("en", "12,345.6", "12345.60"),
    ("en", "1 234.50", "1234.50"),
    ("en", "1.234,50", "1234.50"),                # both marks: the last one is the decimal mark
    ("nb", "1 234,50", "1234.50"),
    ("nb", f"1{NBSP}234,50", "1234.50"),
    ("nb", f"1{NNBSP}234,50", "1234.50"),
    ("nb", "1234,50", "1234.50"),
    ("nb", "1.234,50", "1234.50"),
    ("nb", f"9{NBSP}181,25{NBSP}kr", "9181.25"),  # as the portal prints it in Norwegian
    ("nb", "kr 100", "100.00"),
    ("nb", "NOK 100,5", "100.50"),
    ("nb", "1234.50", "1234.50"),                 # a decimal point that cannot group thousands
    ("pl", "1 234,50", "1234.50"),
    ("pl", f"1{NNBSP}234,50{NBSP}zł", "1234.50"),
    ("pl", "1234,50", "1234.50"),
    ("pl", "1.234,50", "1234.50"),
    ("pl", "PLN 1 234,50", "1234.50"),
    ("pl", "1 234,50 PLN", "1234.50"),
]

# (language, typed, refusal code, params) — the sentence is i18n/refusals.py's, in the page's language.
REFUSED = [
    ("en", "1.234", "amount_ambiguous", {"typed": "1.234", "mark": ".", "plain": "1234", "example": "1.23"}),
    ("en", "12.3456", "amount_decimals", {}),
    ("en", "1,23,4", "amount_not_number", {}),
    ("en", "PLN 100", "amount_other_currency", {"typed": "PLN", "currency": "NOK"}),
    ("en", "1e3", "amount_not_number", {}),
    ("en", "abc", "amount_not_number", {}),
    ("en", "", "amount_missing", {}),
    ("en", "-5", "amount_not_positive", {}),
    ("nb", "1.234", "amount_ambiguous", {"typed": "1.234", "mark": ".", "plain": "1234", "example": "1,23"}),
    ("nb", "1,234", "amount_ambiguous", {"typed": "1,234", "mark": ",", "plain": "1234", "example": "1,23"}),
    ("nb", "1 23,50", "amount_not_number", {}),
    ("nb", "1,2,3", "amount_not_number", {}),
    ("nb", "0,505", "amount_decimals", {}),
    ("pl", "1.234", "amount_ambiguous", {"typed": "1.234", "mark": ".", "plain": "1234", "example": "1,23"}),
    ("pl", "NOK 100", "amount_other_currency", {"typed": "NOK", "currency": "PLN"}),
    ("pl", "1 234,50 kr", "amount_not_number", {}),
]
WHO = {"en": ("kari", "BIG-1"), "nb": ("kari", "BIG-1"), "pl": ("anna", "BIG-2")}


@pytest.fixture
def big(world, app):
    """Two invoices large enough for every spelling: BIG-1 (NOK, kari's) and BIG-2 (PLN, anna's)."""
    from models import db
    from models.importer import import_data
    from tests.world import invoice

    with db.connection_context():
        import_data({"invoices": [invoice("BIG-1", "RET-1", quantity="100", unit_price="1000.00"),
                                  invoice("BIG-2", "IND-1", currency="PLN", quantity="100", unit_price="1000.00")]})


def cart_with(client, app, language):
    from models import db
    from models.cart import CartLine
    from tests.world import PASSWORD, USERS

    who, number = WHO[language]
    client.post("/login", data={"email": USERS[who][0], "password": PASSWORD})
    client.post("/language", data={"lang": language})
    assert client.post("/cart/invoices", data={"invoice": number}).status_code == 303
    with db.connection_context():
        return CartLine.select().order_by(CartLine.id.desc()).get().id


def stored(line_id):
    from models import db
    from models.cart import CartLine

    with db.connection_context():
        return CartLine.get_by_id(line_id).amount


def sentence(app, language, code, params):
    from flask_babel import force_locale

    from models.cart import CartError

    with app.test_request_context(), force_locale(language):
        return CartError(code, "amount", **params).message


@pytest.mark.parametrize("language, typed, expected", ACCEPTED)
def test_accepted_spellings_are_stored_as_the_amount_meant(big, app, client, language, typed, expected):
    line = cart_with(client, app, language)
    response = client.post(f"/cart/lines/{line}/amount", data={f"amount-{line}": typed}, headers=HTMX)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert stored(line) == Decimal(expected)
    page = response.get_data(as_text=True)
    assert 'aria-invalid="true"' not in page
    shown = expected.replace(".", "," if language != "en" else ".")
    assert f'value="{shown}"' in page, "the field shows the amount saved, as the language writes it"


@pytest.mark.parametrize("language, typed, code, params", REFUSED)
def test_refused_spellings_say_why_in_the_language_and_change_nothing(big, app, client, language, typed, code,
                                                                       params):
    line = cart_with(client, app, language)
    before = stored(line)
    response = client.post(f"/cart/lines/{line}/amount", data={f"amount-{line}": typed}, headers=HTMX)
    page = html.unescape(response.get_data(as_text=True))
    assert response.status_code == 422
    expected = sentence(app, language, code, params)
    if language != "en":
        assert expected != sentence(app, "en", code, params), "the sentence is translated"
    assert expected in page
    assert 'aria-invalid="true"' in page and f'value="{typed}"' in page
    assert stored(line) == before


def test_an_ambiguous_spelling_is_explained_with_both_readings(big, app, client):
    line = cart_with(client, app, "nb")
    page = html.unescape(client.post(f"/cart/lines/{line}/amount", data={f"amount-{line}": "1.234"},
                                     headers=HTMX).get_data(as_text=True))
    assert "1.234" in page and f"1{NBSP}234" in page and "1234" in page and "1,23" in page


def test_the_plain_form_takes_the_same_spellings(big, app, client):
    line = cart_with(client, app, "pl")
    assert client.post("/cart", data={f"amount-{line}": "1.234,50", "action": "update"}).status_code == 303
    assert stored(line) == Decimal("1234.50")
    refused = client.post("/cart", data={f"amount-{line}": "1.234", "action": "update"})
    assert refused.status_code == 422 and stored(line) == Decimal("1234.50")


def test_fields_show_their_currency_and_the_total_excludes_a_wrong_field(big, app, client):
    line = cart_with(client, app, "en")
    client.post("/cart/invoices", data={"invoice": "D-004"})  # NOK 1,000.00 left to pay
    from models import db
    from models.cart import CartLine

    with db.connection_context():
        other = CartLine.select().order_by(CartLine.id.desc()).get().id
    page = client.get("/cart").get_data(as_text=True)
    assert len(re.findall(r'<span class="amount-currency" id="(amount-\d+-currency)">NOK</span>', page)) == 2
    assert f'aria-describedby="amount-{line}-currency"' in page, "the field's description names its currency"
    # Correcting BIG-1 while D-004's field still holds a wrong amount: the total leaves D-004 out and says so.
    response = client.post(f"/cart/lines/{line}/amount", headers=HTMX,
                           data={f"amount-{line}": "500", f"amount-{other}": "1,0,0"})
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert re.search(r'id="cart-total"[^>]*>NOK\u00a0500\.00<', page)
    assert "Excludes D-004: correct the amount marked above." in page
    # The wrong field itself: marked, and the total without it.
    response = client.post(f"/cart/lines/{other}/amount", headers=HTMX,
                           data={f"amount-{line}": "500", f"amount-{other}": "abc"})
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and 'aria-invalid="true"' in page
    assert re.search(r'id="cart-total"[^>]*>NOK\u00a0500\.00<', page)
    assert "Excludes D-004" in page
    # All fine again: the whole amount, no note.
    page = client.post(f"/cart/lines/{other}/amount", headers=HTMX,
                       data={f"amount-{line}": "500", f"amount-{other}": "100"}).get_data(as_text=True)
    assert re.search(r'id="cart-total"[^>]*>NOK\u00a0600\.00<', page) and "Excludes" not in page.split(
        'id="cart-total-note"')[1].split("</span>")[0].split(">", 1)[1]


def test_empty_cart_asks_first_with_and_without_javascript(big, app, client):
    cart_with(client, app, "en")
    page = client.get("/cart").get_data(as_text=True)
    assert re.search(r'<a href="/cart/clear"[^>]*>Empty cart</a>', page)
    question = client.get("/cart/clear")
    text = question.get_data(as_text=True)
    assert question.status_code == 200 and "Empty the cart? Its 1 line will be removed." in text
    assert "Yes, empty the cart" in text and "Keep the cart" in text
    assert "(1)" in client.get("/cart").get_data(as_text=True), "asking emptied nothing"
    in_place = client.get("/cart/clear", headers=HTMX).get_data(as_text=True)
    assert "<html" not in in_place and "Yes, empty the cart" in in_place
    assert client.post("/cart/clear").status_code == 303
    assert "Your cart is empty." in client.get("/cart").get_data(as_text=True)
    assert client.get("/cart/clear").status_code == 303, "nothing to ask about an empty cart"
