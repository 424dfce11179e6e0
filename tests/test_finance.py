"""Invoices a finance department accepts: identifiers checked with python-stdnum, the KID (check digit, refusal,
one per invoice), the seller from the settings, products' own VAT rate, Your reference and the delivery address
from the checkout to the invoice, and the invoice page's payment details and VAT per rate."""
from __future__ import annotations

import copy
from decimal import Decimal

import pytest

from tests.world import world_payload


def text_of(response) -> str:
    """The page's text with Babel's no-break spaces as plain ones."""
    return response.get_data(as_text=True).replace("\u00a0", " ").replace("\u202f", " ")


# Identifiers and KID, without a database -----------------------------------------------------------------
def test_kid_check_digits():
    from models.identifiers import clean_kid, is_valid_kid, kid_candidates, mod10_digit, mod11_digit

    # Worked by hand. MOD10 (Luhn) of 1000: 1 → 9. MOD11 of 1000 (weights 2, 3, 4, 5 … from the right): 5 → 11 - 5.
    assert (mod10_digit("1000"), mod11_digit("1000")) == ("9", "6")
    assert mod11_digit("1234567") == "4"  # 106 mod 11 = 7 → 4
    assert mod11_digit("0000006") == "-"  # remainder 1 → 10: the MOD11 "-" check digit
    assert is_valid_kid("10009") and is_valid_kid("10006") and is_valid_kid("0000006-")
    assert not is_valid_kid("10005") and not is_valid_kid("1") and not is_valid_kid("12 34") \
        and not is_valid_kid("1" * 26) and not is_valid_kid("１０００９")
    assert clean_kid(" 1234 5674 ") == "12345674"
    first, second = list(zip(range(2), kid_candidates("INV-1001")))
    assert first[1] == "0010017" and second[1] == "10010015"
    assert all(is_valid_kid(kid) for _, kid in zip(range(50), kid_candidates("R1-001/2026")))


@pytest.mark.parametrize("check, value, country, expected", [
    ("org", "923 609 016", "NO", "923609016"),
    ("org", "526-000-12-46", "PL", "5260001246"),
    ("vat", "NO 923 609 016 MVA", "NO", "NO923609016MVA"),
    ("vat", "526-000-12-46", "PL", "PL5260001246"),
    ("vat", "SE556036079301", "SE", "SE556036079301"),
])
def test_identifiers_are_checked_and_stored_compact(check, value, country, expected):
    from models.identifiers import clean_org_number, clean_vat_number

    assert (clean_org_number if check == "org" else clean_vat_number)(value, country) == expected


@pytest.mark.parametrize("check, value, country", [
    ("org", "923609017", "NO"), ("org", "92360901", "NO"), ("org", "5260001247", "PL"),
    ("vat", "NO923609016", "NO"), ("vat", "NO923609017MVA", "NO"), ("vat", "PL5260001247", "PL"),
    ("iban", "NO9386011117948", None), ("kid", "12345675", None), ("ksef", "7770000005-2026-XYZ", None),
])
def test_bad_identifiers_are_refused(check, value, country):
    from models import identifiers

    clean = {"org": identifiers.clean_org_number, "vat": identifiers.clean_vat_number,
             "iban": identifiers.clean_iban, "kid": identifiers.clean_kid, "ksef": identifiers.clean_ksef_number}[check]
    with pytest.raises(identifiers.IdentifierError):
        clean(value, country) if check in ("org", "vat") else clean(value)


def test_a_bad_seller_setting_stops_the_app_naming_it(tmp_path):
    from app import create_app
    from services.seller import SellerSettingError

    with pytest.raises(SellerSettingError, match="SELLER_ORG_NUMBER"):
        create_app({"DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}", "SECRET_KEY": "x",
                    "SELLER_ORG_NUMBER": "998877661"})
    with pytest.raises(SellerSettingError, match="SELLER_BANK_ACCOUNT"):
        create_app({"DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}", "SECRET_KEY": "x",
                    "SELLER_BANK_ACCOUNT": "NO9386011117948"})


# The import ----------------------------------------------------------------------------------------
def _refused(payload, record, field):
    from models.importer import ImportProblem, import_data
    from models.invoice import Invoice

    before = Invoice.select().count()
    with pytest.raises(ImportProblem) as problem:
        import_data(payload)
    assert (problem.value.record, problem.value.field) == (record, field), str(problem.value)
    assert Invoice.select().count() == before
    return problem.value


def test_import_identifiers_and_kid(db_conn):
    """Identifiers stored compact; NOK invoices get a KID (given and checked, or made with MOD10), unique per seller;
    bad ones refuse the import naming record and field, with nothing written."""
    from models.customer import Customer
    from models.identifiers import is_valid_kid, mod10_digit
    from models.importer import import_data
    from models.invoice import Invoice

    payload = world_payload()
    payload["invoices"][0]["kid"] = "10006"
    payload["invoices"][1].update(buyer_reference="PO-77", delivery_date=payload["invoices"][1]["invoice_date"],
                                  delivery_address="Lager 2\n0150 Oslo")
    payload["invoices"][7]["ksef_number"] = "7770000005-20261101-0A1B2C3D4E5F-7A"
    import_data(payload)
    dist = Customer.get(Customer.account == "DIST-1")
    assert (dist.country, dist.org_number, dist.vat_number) == ("NO", "911223341", "NO911223341MVA")
    invoices = {i.number: i for i in Invoice.select()}
    assert invoices["D-001"].kid == "10006"
    assert invoices["D-002"].buyer_reference == "PO-77" and invoices["D-002"].delivery_address == "Lager 2\n0150 Oslo"
    assert invoices["I-001"].kid is None and invoices["I-001"].ksef_number.startswith("7770000005-")
    nok = [i for i in invoices.values() if i.currency == "NOK"]
    assert all(is_valid_kid(i.kid) for i in nok) and len({i.kid for i in nok}) == len(nok)
    # R1-001 and D-001's digits would both make 001001: each invoice still gets its own.
    assert invoices["D-002"].kid == "000002" + mod10_digit("000002")

    # A re-import without a KID keeps the invoice's KID; a new invoice never takes one already used.
    again = world_payload()
    import_data(again)
    assert Invoice.get(Invoice.number == "D-001").kid == "10006"
    import_data({"invoices": [dict(copy.deepcopy(again["invoices"][0]), number="X-1001"),
                              dict(copy.deepcopy(again["invoices"][0]), number="Y-1001")]})
    made = [Invoice.get(Invoice.number == n).kid for n in ("X-1001", "Y-1001")]
    assert len(set(made) | {i.kid for i in nok}) == len(nok) + 2

    bad = world_payload()
    bad["invoices"][2]["kid"] = "10005"
    assert "KID" in _refused(bad, "invoice D-003", "kid").message
    taken = world_payload()
    taken["invoices"][2]["kid"] = "10006"  # D-001's
    assert "another invoice" in _refused(taken, "invoice D-003", "kid").message
    twice = world_payload()
    twice["invoices"][1]["kid"] = twice["invoices"][2]["kid"] = "10009"
    _refused(twice, "invoice D-003", "kid")
    pln_kid = world_payload()
    pln_kid["invoices"][7]["kid"] = "10009"
    _refused(pln_kid, "invoice I-001", "kid")
    for field, value in (("org_number", "911223342"), ("vat_number", "NO911223341"), ("country", "Norway")):
        customers = world_payload()
        customers["customers"][2][field] = value
        _refused(customers, "customer DIST-1", field)


def test_products_carry_their_own_vat_rate_to_the_order_and_invoice(db_conn):
    """tax_percent of the import (default: the currency's standard rate), used by orders instead of the currency."""
    from models.cart import Cart
    from models.customer import User
    from models.importer import import_data
    from models.invoice import InvoiceLine
    from models.order import invoice_open_orders, place_order, quote
    from models.product import Product

    payload = world_payload()
    payload["products"].append({"item": "F-750", "name": "Coffee beans", "price": "100.00", "currency": "NOK",
                                "tax_percent": "15"})
    import_data(payload)
    assert {p.item: p.tax_percent for p in Product.select()} == {
        "A-100": Decimal("25"), "P-100": Decimal("23"), "F-750": Decimal("15")}
    kari = User.get(User.email == "kari@ret1.example")
    cart = Cart.for_user(kari)
    cart.add_product(Product.get(Product.item == "A-100"), "2")
    cart.add_product(Product.get(Product.item == "F-750"), "3")
    offer = quote(cart)
    assert [(r.percent, r.taxable, r.tax) for r in offer.vat] == [
        (Decimal("25.00"), Decimal("258.00"), Decimal("64.50")), (Decimal("15.00"), Decimal("300.00"),
                                                                  Decimal("45.00"))]
    order = place_order(kari, cart, "on_account", buyer_reference=" PO 4471 ", delivery_address="Lager 2\r\n0150 Oslo")
    assert (order.buyer_reference, order.delivery_address) == ("PO 4471", "Lager 2\n0150 Oslo")
    invoice = invoice_open_orders()[0].invoice
    assert (invoice.buyer_reference, invoice.delivery_address) == ("PO 4471", "Lager 2\n0150 Oslo")
    assert invoice.kid and invoice.total == Decimal("667.50")
    assert sorted(line.tax_percent for line in InvoiceLine.select().where(InvoiceLine.invoice == invoice.id)) == [
        Decimal("15"), Decimal("25")]


def test_checkout_asks_for_your_reference_and_a_delivery_address(client, auth, world):
    """The product checkout's fields reach the order and its page; a reference on two lines is refused in place."""
    from models import db
    from models.order import SalesOrder

    auth.login("kari")
    client.post("/cart/products", data={"product": "A-100", "quantity": "2"})
    page = text_of(client.get("/checkout"))
    assert '<label for="buyer_reference">Your reference</label>' in page
    assert '<label for="delivery_address">Delivery address</label>' in page
    assert "VAT 25 % of NOK 258.00" in page
    from tests.test_orders import order_form

    refused = client.post("/orders", data=order_form(client) | {"payment_method": "on_account", "buyer_reference": "PO\n2",
                                           "delivery_address": "Lager 2"})
    assert refused.status_code == 422
    text = text_of(refused)
    assert 'id="buyer_reference-error"' in text and "Lager 2</textarea>" in text
    with db.connection_context():
        assert SalesOrder.select().count() == 0
    placed = client.post("/orders", data=order_form(client) | {"payment_method": "on_account", "buyer_reference": "PO-4471",
                                          "delivery_address": "Lager 2\n0150 Oslo"})
    assert placed.status_code == 303
    order_page = text_of(client.get(placed.headers["Location"]))
    assert "PO-4471" in order_page and "Lager 2<br>0150 Oslo" in order_page


def test_invoice_page_shows_identifiers_payment_details_and_vat_per_rate(client, auth, world):
    from models import db
    from models.importer import import_data
    from models.invoice import Invoice

    with db.connection_context():
        import_data({"invoices": [{
            "number": "D-010", "invoice_account": "DIST-1", "order_account": "RET-1", "invoice_date": "2026-11-02",
            "currency": "NOK", "buyer_reference": "PO-9", "lines": [
                {"description": "Pallet wrap", "quantity": "10", "unit_price": "100.00", "tax_percent": "25"},
                {"description": "Coffee", "quantity": "2", "unit_price": "50.00", "tax_percent": "15"}]}]})
        kid = Invoice.get(Invoice.number == "D-010").kid
    auth.login("kari")
    page = text_of(client.get("/invoices/D-010"))
    assert '<h2 id="h-payment-details">Payment details</h2>' in page
    for text in ("NO93 8601 1117 947", "DNBANOKK", "8601.11.17947", kid, "NOK 1,365.00", "PO-9",
                 "VAT 25 % of NOK 1,000.00", "NOK 250.00", "VAT 15 % of NOK 100.00", "NOK 15.00",
                 "911223341", "NO911223341MVA", "998877660", "NO998877660MVA"):
        assert text in page, text
    auth.logout()
    auth.login("anna")
    polish = text_of(client.get("/invoices/I-001"))
    assert "Transfer title" in polish and "Faktura I-001" in polish and "PL61 1090 1014 0000 0712 1981 2874" in polish
    assert "KID" not in polish


def test_a_kid_finds_its_invoice(db_conn, world):
    from models.invoice import Invoice

    d1 = Invoice.get(Invoice.number == "D-001")
    assert Invoice.by_kid(d1.kid).number == "D-001"
    assert Invoice.by_kid(f" {d1.kid[:3]} {d1.kid[3:]} ").number == "D-001"
    assert Invoice.by_kid("10005") is None and Invoice.by_kid("") is None and Invoice.by_kid(None) is None
    assert Invoice.by_kid("\x00" * 30) is None
