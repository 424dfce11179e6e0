"""E-invoices checked against the official rules, offline (tests/einvoice_rules.py, rules in vendor/einvoice/).

Random invoices and credit notes of the demo data and the test world — several VAT rates, cash discounts, partial and
full payments, long and odd texts, Norwegian (EHF) and Polish (KSeF) — must pass every layer with no fatal finding,
and the amounts in the XML must be the invoice's. A document with its buyer reference removed must fail: the check
can fail.
"""
from __future__ import annotations

import os
import random
from datetime import date, timedelta
from decimal import Decimal

import pytest
from lxml import etree

from tests import einvoice_rules as rules
from tests.world import world_payload

UBL = {"cac": "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2",
       "cbc": "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"}
FA = {"fa": rules.KSEF_NS}
SEED = int(os.environ.get("SETTLE_EINVOICE_SEED") or random.SystemRandom().randrange(10 ** 6))

ODD = {
    "invoices": [{
        "number": "ODD-1", "invoice_account": "DIST-1", "order_account": "RET-1", "currency": "NOK",
        "invoice_date": (date.today() - timedelta(days=3)).isoformat(), "buyer_reference": "Innkjøp <&> \"42\"",
        "delivery_date": (date.today() - timedelta(days=5)).isoformat(),
        "delivery_address": "Lager 3\nHavnegata 9\n9008 Tromsø", "paid": "100.00",
        "lines": [
            {"item": "A-100", "description": "a" + "\n" * 60 + "b", "quantity": "3", "unit_price": "129.5",
             "tax_percent": "25"},
            {"item": "F-750", "description": "😀" * 500, "quantity": "1.5", "unit_price": "0.3333",
             "tax_percent": "15"},
            {"description": "שלום עולם — مرحبا بالعالم", "quantity": "-1", "unit_price": "10.00", "tax_percent": "12"},
            {"description": "Zero-rated export freight", "quantity": "1", "unit_price": "250.00", "tax_percent": "0"},
        ]}, {
        "number": "ODD-PL", "invoice_account": "IND-1", "order_account": "IND-1", "currency": "PLN",
        "invoice_date": (date.today() - timedelta(days=3)).isoformat(), "buyer_reference": "ZAM/2026/7",
        "paid": "50.00", "ksef_number": "7770000005-20261101-0A1B2C3D4E5F-7A",
        "lines": [{"description": "Kawa ziarnista " * 30, "quantity": "4", "unit_price": "79.00", "tax_percent": "8"},
                  {"description": "Folia stretch", "quantity": "2", "unit_price": "59.90", "tax_percent": "23"},
                  {"description": "Usługa zwolniona 0 %", "quantity": "1", "unit_price": "10.00", "tax_percent": "0"}]}],
    "credit_notes": [
        {"number": "ODD-CN", "invoice": "ODD-1", "invoice_date": date.today().isoformat(), "currency": "NOK",
         "reason": "Returned 😀", "lines": [{"description": "a\n\nb", "quantity": "1", "unit_price": "129.5",
                                             "tax_percent": "25"}]},
        {"number": "ODD-KOR", "invoice": "ODD-PL", "invoice_date": date.today().isoformat(), "currency": "PLN",
         "lines": [{"description": "Folia stretch", "quantity": "1", "unit_price": "59.90", "tax_percent": "23"}]}],
}


def _documents(data):
    """Every invoice and credit note of `data` imported into a fresh app: (app, numbers, credit note numbers)."""
    from models.credit_note import CreditNote
    from models.importer import import_data
    from models.invoice import Invoice

    import_data(data)
    return ([n for (n,) in Invoice.select(Invoice.number).order_by(Invoice.number).tuples()],
            [n for (n,) in CreditNote.select(CreditNote.number).order_by(CreditNote.number).tuples()])


def _build(number: str, credit_note: bool = False):
    from models.credit_note import CreditNote
    from models.invoice import Invoice
    from services.documents import CreditNoteDocument, InvoiceDocument
    from services.einvoice import build_einvoice

    document = CreditNoteDocument.load(CreditNote.get(CreditNote.number == number)) if credit_note else \
        InvoiceDocument.load(Invoice.get(Invoice.number == number))
    return document, build_einvoice(document)


def _amount(root, path, namespaces) -> Decimal:
    found = root.findtext(path, namespaces=namespaces)
    return Decimal(found) if found is not None else Decimal("0")


def _check_totals(document, einvoice) -> None:
    """The sums in the XML are the document's: total, tax per rate, what is left to pay."""
    root = etree.fromstring(einvoice.content)
    if einvoice.format == "ehf":
        total = _amount(root, "cac:LegalMonetaryTotal/cbc:TaxInclusiveAmount", UBL)
        assert total == document.total
        assert _amount(root, "cac:LegalMonetaryTotal/cbc:TaxExclusiveAmount", UBL) == document.subtotal
        assert _amount(root, "cac:TaxTotal/cbc:TaxAmount", UBL) == document.tax_total
        rates = {Decimal(sub.findtext("cac:TaxCategory/cbc:Percent", namespaces=UBL)):
                 (Decimal(sub.findtext("cbc:TaxableAmount", namespaces=UBL)),
                  Decimal(sub.findtext("cbc:TaxAmount", namespaces=UBL)))
                 for sub in root.iterfind("cac:TaxTotal/cac:TaxSubtotal", UBL)}
        assert rates == {rate.percent: (rate.taxable, rate.tax) for rate in document.vat}
        payable = _amount(root, "cac:LegalMonetaryTotal/cbc:PayableAmount", UBL)
        expected = document.invoice.balance if document.kind == "invoice" else document.total
        assert payable == expected
        if document.kind == "invoice" and document.invoice.kid:
            assert root.findtext("cac:PaymentMeans/cbc:PaymentID", namespaces=UBL) == document.invoice.kid
    else:
        sign = 1 if document.kind == "invoice" else -1
        assert _amount(root, "fa:Fa/fa:P_15", FA) == sign * document.total
        nets = sum((Decimal(el.text) for el in root.iterfind("fa:Fa/*", FA)
                    if etree.QName(el).localname.startswith("P_13_")), Decimal("0"))
        taxes = sum((Decimal(el.text) for el in root.iterfind("fa:Fa/*", FA)
                     if etree.QName(el).localname.startswith("P_14_")), Decimal("0"))
        assert (nets, taxes) == (sign * document.subtotal, sign * document.tax_total)
        assert len(root.findall("fa:Fa/fa:FaWiersz", FA)) == len(document.lines)


def _validate(einvoice) -> list:
    return rules.validate_ksef(einvoice.content) if einvoice.format == "ksef" else rules.validate_ehf(einvoice.content)


@pytest.mark.parametrize("data_set", ["demo", "world"])
def test_random_documents_pass_the_official_rules(sqlite_app, data_set):
    """A random sample of the data set's invoices and every credit note pass EHF (UBL 2.1 schema, EN 16931, PEPPOL
    BIS 3 with the Norwegian rules) or KSeF FA(3) with no fatal finding, and their sums are the invoice's."""
    from models import db
    from models.demo import demo_payload

    chooser = random.Random(SEED)
    with sqlite_app.app_context(), db.connection_context():
        if data_set == "demo":
            numbers, notes = _documents(demo_payload())
        else:
            numbers, notes = _documents(world_payload())
        _documents(ODD)
        numbers = chooser.sample([n for n in numbers if not n.startswith("ODD")], 8) + ["ODD-1", "ODD-PL"]
        notes = sorted(set(notes) | {"ODD-CN", "ODD-KOR"})
        formats = set()
        for number, credit_note in [(n, False) for n in numbers] + [(n, True) for n in notes]:
            document, einvoice = _build(number, credit_note)
            formats.add((einvoice.format, document.kind))
            findings = _validate(einvoice)
            assert not rules.fatal(findings), (f"{number} ({einvoice.format}, seed {SEED}):\n"
                                               f"{rules.describe(findings)}")
            _check_totals(document, einvoice)
    assert formats == {("ehf", "invoice"), ("ehf", "credit_note"), ("ksef", "invoice"), ("ksef", "credit_note")}


def test_a_document_without_buyer_reference_is_reported_fatal(sqlite_app):
    """The harness fails what the rules forbid: an invoice with neither buyer nor order reference (PEPPOL-EN16931-R003),
    a wrong tax total (BR-CO-14), a KSeF invoice without its number (P_2)."""
    from models import db

    with sqlite_app.app_context(), db.connection_context():
        _documents(world_payload())
        _, einvoice = _build("D-001")
        assert not rules.fatal(rules.validate_ehf(einvoice.content))
        root = etree.fromstring(einvoice.content)
        for path in ("cbc:BuyerReference", "cac:OrderReference"):
            for element in root.findall(path, UBL):
                root.remove(element)
        ids = {finding[1] for finding in rules.fatal(rules.validate_ehf(etree.tostring(root)))}
        assert "PEPPOL-EN16931-R003" in ids

        root = etree.fromstring(einvoice.content)
        tax = root.find("cac:TaxTotal/cbc:TaxAmount", UBL)
        tax.text = str(Decimal(tax.text) + 1)
        assert "BR-CO-14" in {f[1] for f in rules.fatal(rules.validate_ehf(etree.tostring(root)))}

        _, ksef = _build("I-001")
        assert rules.validate_ksef(ksef.content) == []
        root = etree.fromstring(ksef.content)
        number = root.find("fa:Fa/fa:P_2", FA)
        number.getparent().remove(number)
        assert any("P_2" in text for _, _, text, _ in rules.fatal(rules.validate_ksef(etree.tostring(root))))


def test_download_e_invoice(client, auth, world):
    """Download e-invoice: EHF for NOK, KSeF for PLN, as an XML attachment; another company's answers 404."""
    auth.login("kari")
    page = client.get("/invoices/D-001").get_data(as_text=True)
    assert 'href="/invoices/D-001/einvoice.xml"' in page and "Download e-invoice" in page
    response = client.get("/invoices/D-001/einvoice.xml")
    assert response.status_code == 200 and response.mimetype == "application/xml"
    assert "attachment" in response.headers["Content-Disposition"]
    root = etree.fromstring(response.data)
    assert root.findtext("cbc:ID", namespaces=UBL) == "D-001"
    assert root.findtext("cac:AccountingCustomerParty/cac:Party/cbc:EndpointID", namespaces=UBL) == "911223341"
    assert client.get("/invoices/I-001/einvoice.xml").status_code == 404
    assert client.get("/invoices/NOPE/einvoice.xml").status_code == 404
    auth.logout()
    auth.login("anna")
    response = client.get("/invoices/I-001/einvoice.xml")
    assert response.status_code == 200
    assert etree.QName(etree.fromstring(response.data)).namespace == rules.KSEF_NS


def test_no_e_invoice_without_an_address_says_why(client, auth, world):
    """A NOK buyer without an organization number cannot be addressed in PEPPOL: a page says so (409), no 500."""
    from models import db
    from models.customer import Customer

    with db.connection_context():
        Customer.update(org_number=None).where(Customer.account == "DIST-1").execute()
    auth.login("kari")
    response = client.get("/invoices/D-001/einvoice.xml")
    assert response.status_code == 409
    assert "organization number" in response.get_data(as_text=True)


def test_a_pln_invoice_with_a_rate_ksef_cannot_carry_says_why(client, auth, world):
    from models import db
    from models.importer import import_data

    with db.connection_context():
        import_data({"invoices": [{"number": "I-025", "invoice_account": "IND-1", "order_account": "IND-1",
                                   "invoice_date": date.today().isoformat(), "currency": "PLN",
                                   "lines": [{"description": "Norwegian rate", "quantity": "1", "unit_price": "10",
                                              "tax_percent": "25"}]}]})
    auth.login("anna")
    response = client.get("/invoices/I-025/einvoice.xml")
    assert response.status_code == 409 and "25" in response.get_data(as_text=True)
