"""EHF 3.0 = PEPPOL BIS Billing 3.0, UBL 2.1: an Invoice (type 380) or a CreditNote (type 381), built with lxml.

What goes where (the business terms are EN 16931's):
- seller and buyer: name, postal address, VAT number (PartyTaxScheme VAT), organization number (PartyLegalEntity,
  scheme 0192 for Norway) and the electronic address (EndpointID, the same number and scheme); a Norwegian seller
  also states "Foretaksregisteret";
- BuyerReference (BT-10): the buyer's reference when known, else the ordering account; OrderReference (BT-13/14):
  the buyer's reference as purchase order, and the portal's sales order when the invoice came from one;
- PaymentMeans: credit transfer (30) to the seller's account (IBAN, BIC) quoting the KID (PaymentID);
- one TaxTotal with a TaxSubtotal per VAT rate (S, or Z for 0 %), amounts as the invoice has them (line taxes
  rounded half-up per line, summed per rate);
- LegalMonetaryTotal: the invoice's total; what is settled already (payments, cash discount taken) as
  PrepaidAmount, the balance as PayableAmount. A credit note's PayableAmount is its total; it names the invoice
  it credits (BillingReference).
The official rules (UBL schema, EN 16931, PEPPOL BIS incl. the Norwegian ones) are run on these documents by
the test suite (tests/test_einvoice.py).
"""
from __future__ import annotations

import re
from decimal import Decimal

from lxml import etree
from lxml.builder import ElementMaker

from .address import parse_address

CUSTOMIZATION = "urn:cen.eu:en16931:2017#compliant#urn:fdc:peppol.eu:2017:poacc:billing:3.0"
PROFILE = "urn:fdc:peppol.eu:2017:poacc:billing:01:1.0"
NS = {
    "invoice": "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2",
    "credit_note": "urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2",
    "cac": "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2",
    "cbc": "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2",
}
CAC = ElementMaker(namespace=NS["cac"], nsmap={"cac": NS["cac"], "cbc": NS["cbc"]})
CBC = ElementMaker(namespace=NS["cbc"], nsmap={"cac": NS["cac"], "cbc": NS["cbc"]})
# Electronic address (EAS) and legal registration schemes by country: the organization number, or the VAT number.
ORG_SCHEMES = {"NO": "0192", "SE": "0007", "DK": "0184"}
VAT_SCHEMES = {"PL": "9945"}
UNIT = "EA"  # each
NOT_XML = re.compile("[^\u0009\u000a\u000d\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


class EInvoiceUnavailable(Exception):
    """The document cannot be an e-invoice as it is (the message says what is missing)."""

    def __init__(self, code: str, **params):
        super().__init__(code)
        self.code, self.params = code, params


def text(value) -> str:
    """Text as XML can carry it (no control characters)."""
    return NOT_XML.sub("\ufffd", str(value or ""))


def money(value: Decimal) -> str:
    return f"{Decimal(value):.2f}"


def plain(value: Decimal) -> str:
    """A decimal without trailing zeros and never in exponent form: 10, 12.5, 0.75."""
    value = Decimal(value)
    if value == value.to_integral_value():
        return str(value.to_integral_value())
    return format(value.normalize(), "f")


def amount(tag: str, value: Decimal, currency: str):
    return getattr(CBC, tag)(money(value), currencyID=currency)


def endpoint(customer_country: str | None, org_number: str | None, vat_number: str | None):
    """(scheme, id) of a party's electronic address and legal registration, or None."""
    if customer_country in ORG_SCHEMES and org_number:
        return ORG_SCHEMES[customer_country], org_number
    if customer_country in VAT_SCHEMES and vat_number:
        return VAT_SCHEMES[customer_country], vat_number
    return None


def postal_address(address_text: str | None, country: str | None):
    address = parse_address(address_text, country)
    parts = []
    if address.street:
        parts.append(CBC.StreetName(text(address.street)))
    if address.additional:
        parts.append(CBC.AdditionalStreetName(text(address.additional)))
    if address.city:
        parts.append(CBC.CityName(text(address.city)))
    if address.postal_code:
        parts.append(CBC.PostalZone(address.postal_code))
    if address.more:
        parts.append(CAC.AddressLine(CBC.Line(text(", ".join(address.more)))))
    parts.append(CAC.Country(CBC.IdentificationCode(address.country or country)))
    return CAC.PostalAddress(*parts)


def party(name, address, country, org_number, vat_number, email=None, seller=False):
    scheme = endpoint(country, org_number, vat_number)
    if scheme is None:
        raise EInvoiceUnavailable("no_endpoint", name=name)
    parts = [CBC.EndpointID(scheme[1], schemeID=scheme[0]), CAC.PartyName(CBC.Name(text(name))),
             postal_address(address, country)]
    if vat_number:
        parts.append(CAC.PartyTaxScheme(CBC.CompanyID(vat_number), CAC.TaxScheme(CBC.ID("VAT"))))
    if seller and country == "NO":
        # Norwegian sellers registered in the Register of Business Enterprises say so on every invoice.
        parts.append(CAC.PartyTaxScheme(CBC.CompanyID("Foretaksregisteret"), CAC.TaxScheme(CBC.ID("TAX"))))
    legal = [CBC.RegistrationName(text(name))]
    if org_number:
        legal.append(CBC.CompanyID(org_number, schemeID=scheme[0]) if scheme[1] == org_number
                     else CBC.CompanyID(org_number))
    parts.append(CAC.PartyLegalEntity(*legal))
    if email:
        parts.append(CAC.Contact(CBC.ElectronicMail(text(email))))
    return CAC.Party(*parts)


def tax_category(tag: str, rate: Decimal):
    category = "S" if rate > 0 else "Z"
    return getattr(CAC, tag)(CBC.ID(category), CBC.Percent(plain(rate)), CAC.TaxScheme(CBC.ID("VAT")))


def item_name(description: str) -> tuple[str, str | None]:
    """The item's name (its description's first line) and the whole description when it says more."""
    lines = [line.strip() for line in (description or "").splitlines() if line.strip()]
    name = lines[0] if lines else "-"
    full = " ".join((description or "").split())
    return name, (full if full != name else None)


def line_element(kind: str, line, currency: str):
    name, description = item_name(line.description)
    item = []
    if description:
        item.append(CBC.Description(text(description)))
    item.append(CBC.Name(text(name)))
    if line.item:
        item.append(CAC.SellersItemIdentification(CBC.ID(text(line.item))))
    item.append(tax_category("ClassifiedTaxCategory", line.tax_percent))
    tag, quantity_tag = ("InvoiceLine", "InvoicedQuantity") if kind == "invoice" else \
        ("CreditNoteLine", "CreditedQuantity")
    return getattr(CAC, tag)(
        CBC.ID(str(line.line_no)),
        getattr(CBC, quantity_tag)(plain(line.quantity), unitCode=UNIT),
        amount("LineExtensionAmount", line.amount, currency),
        CAC.Item(*item),
        CAC.Price(CBC.PriceAmount(plain(line.unit_price), currencyID=currency)),
    )


def tax_total(document, currency: str):
    subtotals = [CAC.TaxSubtotal(amount("TaxableAmount", rate.taxable, currency),
                                 amount("TaxAmount", rate.tax, currency),
                                 tax_category("TaxCategory", rate.percent))
                 for rate in document.vat]
    return CAC.TaxTotal(amount("TaxAmount", document.tax_total, currency), *subtotals)


def build(document) -> bytes:
    """The EHF document of an InvoiceDocument or CreditNoteDocument (services/documents.py), as UTF-8 bytes."""
    is_invoice = document.kind == "invoice"
    currency = document.currency
    seller, billed = document.seller, document.billed
    root_ns = NS["invoice"] if is_invoice else NS["credit_note"]
    root = etree.Element(f"{{{root_ns}}}{'Invoice' if is_invoice else 'CreditNote'}",
                         nsmap={None: root_ns, "cac": NS["cac"], "cbc": NS["cbc"]})
    source = document.invoice if is_invoice else document.note
    credited = None if is_invoice else document.credited
    root.append(CBC.CustomizationID(CUSTOMIZATION))
    root.append(CBC.ProfileID(PROFILE))
    root.append(CBC.ID(text(document.number)))
    root.append(CBC.IssueDate(source.invoice_date.isoformat()))
    if is_invoice:
        root.append(CBC.DueDate(source.due_date.isoformat()))
        root.append(CBC.InvoiceTypeCode("380"))
    else:
        root.append(CBC.CreditNoteTypeCode("381"))
        if source.reason:
            root.append(CBC.Note(text(source.reason)))
    root.append(CBC.DocumentCurrencyCode(currency))
    reference = document.buyer_reference or document.ordered.account
    root.append(CBC.BuyerReference(text(reference)))
    order = getattr(document, "order", None)
    if document.buyer_reference or order is not None:
        parts = [CBC.ID(text(document.buyer_reference or "NA"))]
        if order is not None:
            parts.append(CBC.SalesOrderID(text(order.number)))
        root.append(CAC.OrderReference(*parts))
    if credited is not None:
        root.append(CAC.BillingReference(CAC.InvoiceDocumentReference(
            CBC.ID(text(credited.number)), CBC.IssueDate(credited.invoice_date.isoformat()))))
    root.append(CAC.AccountingSupplierParty(party(seller.name, seller.address, seller.country, seller.org_number,
                                                  seller.vat_number, seller.email, seller=True)))
    root.append(CAC.AccountingCustomerParty(party(billed.name, billed.billing_address, billed.country_code,
                                                  billed.org_number, billed.vat_number, billed.email)))
    delivery_source = source if is_invoice else credited
    if delivery_source.delivery_date or delivery_source.delivery_address:
        delivery = []
        if delivery_source.delivery_date:
            delivery.append(CBC.ActualDeliveryDate(delivery_source.delivery_date.isoformat()))
        if delivery_source.delivery_address:
            location = postal_address(delivery_source.delivery_address, billed.country_code)
            location.tag = f"{{{NS['cac']}}}Address"
            delivery.append(CAC.DeliveryLocation(location))
        root.append(CAC.Delivery(*delivery))
    if is_invoice:
        details = document.payment
        means = [CBC.PaymentMeansCode("30", name="Credit transfer")]
        if details.reference_kind == "kid" or details.reference:
            means.append(CBC.PaymentID(text(details.reference)))
        account = [CBC.ID(details.account.iban)]
        if details.account.bic:
            account.append(CAC.FinancialInstitutionBranch(CBC.ID(details.account.bic)))
        means.append(CAC.PayeeFinancialAccount(*account))
        root.append(CAC.PaymentMeans(*means))
        terms = payment_terms_note(source)
        if terms:
            root.append(CAC.PaymentTerms(CBC.Note(terms)))
    root.append(tax_total(document, currency))
    settled = source.total - source.balance if is_invoice else Decimal("0")
    totals = [amount("LineExtensionAmount", document.subtotal, currency),
              amount("TaxExclusiveAmount", document.subtotal, currency),
              amount("TaxInclusiveAmount", document.total, currency)]
    if settled:
        totals.append(amount("PrepaidAmount", settled, currency))
    totals.append(amount("PayableAmount", document.total - settled, currency))
    root.append(CAC.LegalMonetaryTotal(*totals))
    for line in document.lines:
        root.append(line_element(document.kind, line, currency))
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def payment_terms_note(invoice) -> str:
    parts = [f"Due {invoice.due_date.isoformat()}."]
    if invoice.discount_until and invoice.discount_percent:
        parts.append(f"{plain(invoice.discount_percent)} % cash discount if paid in full by "
                     f"{invoice.discount_until.isoformat()}.")
    return " ".join(parts)
