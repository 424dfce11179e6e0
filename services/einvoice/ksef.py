"""KSeF FA(3): the structured invoice Polish invoices are registered with (schema FA(3) 1-0E), built with lxml.

A PLN invoice is a `VAT` invoice; a PLN credit note a correcting invoice (`KOR`) naming the invoice it corrects (by
its KSeF number when the back office sent one), its lines and sums negative. The seller is Podmiot1 with its
Polish NIP (SELLER_NIP), the buyer Podmiot2 with its NIP (or its VAT number or foreign tax number, or "no id").
Net amounts and VAT are given per rate (P_13_x / P_14_x) as the invoice has them; payment by transfer (form 6) to the
seller's PLN account, with the due date, what was paid already, and the cash discount.
"""
from __future__ import annotations

from datetime import datetime, timezone
from decimal import Decimal

from lxml import etree
from lxml.builder import ElementMaker

from models.invoice import PAID, PARTIAL

from .address import parse_address
from .ubl import EInvoiceUnavailable, money, plain, text

NS = "http://crd.gov.pl/wzor/2025/06/25/13775/"
E = ElementMaker(namespace=NS, nsmap={None: NS})
# VAT rate → the fields of its net amount and tax, and how a line names the rate.
RATE_FIELDS = {
    Decimal("23"): ("P_13_1", "P_14_1", "23"), Decimal("22"): ("P_13_1", "P_14_1", "22"),
    Decimal("8"): ("P_13_2", "P_14_2", "8"), Decimal("7"): ("P_13_2", "P_14_2", "7"),
    Decimal("5"): ("P_13_3", "P_14_3", "5"),
    Decimal("4"): ("P_13_4", "P_14_4", "4"), Decimal("3"): ("P_13_4", "P_14_4", "3"),
    Decimal("0"): ("P_13_6_1", None, "0 KR"),
}
FIELD_ORDER = ["P_13_1", "P_14_1", "P_13_2", "P_14_2", "P_13_3", "P_14_3", "P_13_4", "P_14_4", "P_13_6_1"]
TRANSFER = "6"
MAX_TEXT = 256


def short(value, limit=MAX_TEXT) -> str:
    """Text for a KSeF text field: one line, at most `limit` characters (cut with an ellipsis)."""
    value = " ".join(text(value).split()) or "-"
    return value if len(value) <= limit else value[: limit - 1] + "…"


def _buyer_identity(customer):
    country = customer.country_code
    if country == "PL" and customer.org_number and len(customer.org_number) == 10:
        return [E.NIP(customer.org_number)]
    if country == "PL" and customer.vat_number and customer.vat_number[2:].isdigit():
        return [E.NIP(customer.vat_number[2:])]
    if customer.vat_number and customer.vat_number[:2].isalpha() and country and country != "PL":
        return [E.KodUE(customer.vat_number[:2]), E.NrVatUE(customer.vat_number[2:])] \
            if customer.vat_number[:2] in EU else [E.KodKraju(country), E.NrID(customer.vat_number)]
    if customer.org_number and country:
        return [E.KodKraju(country), E.NrID(short(customer.org_number, 50))]
    return [E.BrakID("1")]


EU = {"AT", "BE", "BG", "CY", "CZ", "DE", "DK", "EE", "EL", "ES", "FI", "FR", "HR", "HU", "IE", "IT", "LT", "LU",
      "LV", "MT", "NL", "PT", "RO", "SE", "SI", "SK", "XI"}


def _address(address_text, country):
    address = parse_address(address_text, country)
    lines = address.lines or ["-"]
    parts = [E.KodKraju(address.country or country or "PL"), E.AdresL1(short(lines[0], 512))]
    if len(lines) > 1:
        parts.append(E.AdresL2(short(lines[1], 512)))
    return E.Adres(*parts)


def _sums(document, sign: int) -> list:
    fields: dict[str, Decimal] = {}
    for rate in document.vat:
        found = RATE_FIELDS.get(rate.percent)
        if found is None:
            raise EInvoiceUnavailable("ksef_rate", rate=rate.percent)
        net, tax, _ = found
        fields[net] = fields.get(net, Decimal("0")) + sign * rate.taxable
        if tax:
            fields[tax] = fields.get(tax, Decimal("0")) + sign * rate.tax
    # The schema wants each net amount with its tax, in its order.
    for net, tax, _ in RATE_FIELDS.values():
        if net in fields and tax and tax not in fields:
            fields[tax] = Decimal("0")
    return [getattr(E, name)(money(fields[name])) for name in FIELD_ORDER if name in fields]


def _annotations():
    return E.Adnotacje(
        E.P_16("2"), E.P_17("2"), E.P_18("2"), E.P_18A("2"),
        E.Zwolnienie(E.P_19N("1")), E.NoweSrodkiTransportu(E.P_22N("1")), E.P_23("2"),
        E.PMarzy(E.P_PMarzyN("1")))


def _line(line, sign: int):
    rate = RATE_FIELDS.get(Decimal(line.tax_percent))
    if rate is None:
        raise EInvoiceUnavailable("ksef_rate", rate=line.tax_percent)
    parts = [E.NrWierszaFa(str(line.line_no)), E.P_7(short(line.description, 512))]
    if line.item:
        parts.append(E.Indeks(short(line.item, 50)))
    parts += [E.P_8A("szt."), E.P_8B(plain(sign * line.quantity)), E.P_9A(plain(line.unit_price)),
              E.P_11(money(sign * line.amount)), E.P_12(rate[2])]
    return E.FaWiersz(*parts)


def _payment(document):
    invoice = document.invoice
    parts = []
    payments = [p for p in document.payments if p.amount > 0]
    if invoice.status == PAID and payments:
        parts += [E.Zaplacono("1"), E.DataZaplaty(max(p.created_at for p in payments).date().isoformat())]
    elif invoice.status == PARTIAL and payments:
        parts.append(E.ZnacznikZaplatyCzesciowej("1"))
        for payment in payments[:100]:
            parts.append(E.ZaplataCzesciowa(E.KwotaZaplatyCzesciowej(money(payment.amount)),
                                            E.DataZaplatyCzesciowej(payment.created_at.date().isoformat())))
    parts.append(E.TerminPlatnosci(E.Termin(invoice.due_date.isoformat())))
    parts.append(E.FormaPlatnosci(TRANSFER))
    account = document.payment.account
    bank = [E.NrRB(account.iban)]
    if account.bic:
        bank.append(E.SWIFT(account.bic))
    parts.append(E.RachunekBankowy(*bank))
    if invoice.discount_until and invoice.discount_percent:
        parts.append(E.Skonto(E.WarunkiSkonta(f"zapłata całości do {invoice.discount_until.isoformat()}"),
                              E.WysokoscSkonta(f"{plain(invoice.discount_percent)}%")))
    return E.Platnosc(*parts)


def build(document, now: datetime | None = None) -> bytes:
    """The FA(3) document of a PLN InvoiceDocument (VAT) or CreditNoteDocument (KOR), as UTF-8 bytes."""
    seller, billed = document.seller, document.billed
    if not seller.nip:
        raise EInvoiceUnavailable("no_seller_nip")
    is_invoice = document.kind == "invoice"
    source = document.invoice if is_invoice else document.note
    sign = 1 if is_invoice else -1
    now = (now or datetime.now(timezone.utc)).replace(microsecond=0)
    header = E.Naglowek(
        E.KodFormularza("FA", kodSystemowy="FA (3)", wersjaSchemy="1-0E"),
        E.WariantFormularza("3"),
        E.DataWytworzeniaFa(now.strftime("%Y-%m-%dT%H:%M:%SZ")),
        E.SystemInfo("Settle"))
    seller_part = E.Podmiot1(
        E.DaneIdentyfikacyjne(E.NIP(seller.nip), E.Nazwa(short(seller.name, 512))),
        _address(seller.address, seller.country))
    if seller.email:
        seller_part.append(E.DaneKontaktowe(E.Email(short(seller.email, 255))))
    buyer_part = E.Podmiot2(
        E.DaneIdentyfikacyjne(*_buyer_identity(billed), E.Nazwa(short(billed.name, 512))),
        _address(billed.billing_address, billed.country_code))
    buyer_part.append(E.NrKlienta(short(billed.account)))
    buyer_part.extend([E.JST("2"), E.GV("2")])

    fa = E.Fa(E.KodWaluty(document.currency), E.P_1(source.invoice_date.isoformat()), E.P_2(short(document.number)))
    delivery = source.delivery_date if is_invoice else None
    if delivery:
        fa.append(E.P_6(delivery.isoformat()))
    fa.extend(_sums(document, sign))
    fa.append(E.P_15(money(sign * document.total)))
    fa.append(_annotations())
    if is_invoice:
        fa.append(E.RodzajFaktury("VAT"))
    else:
        credited = document.credited
        fa.append(E.RodzajFaktury("KOR"))
        if source.reason:
            fa.append(E.PrzyczynaKorekty(short(source.reason)))
        corrected = [E.DataWystFaKorygowanej(credited.invoice_date.isoformat()),
                     E.NrFaKorygowanej(short(credited.number))]
        corrected += [E.NrKSeF("1"), E.NrKSeFFaKorygowanej(credited.ksef_number)] if credited.ksef_number \
            else [E.NrKSeFN("1")]
        fa.append(E.DaneFaKorygowanej(*corrected))
    if document.buyer_reference:
        fa.append(E.DodatkowyOpis(E.Klucz("Numer zamówienia nabywcy"), E.Wartosc(short(document.buyer_reference))))
    for line in document.lines:
        fa.append(_line(line, sign))
    if is_invoice:
        fa.append(_payment(document))
    root = E.Faktura(header, seller_part, buyer_part, fa)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)
