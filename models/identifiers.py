"""Identifiers a finance department checks: organization and VAT numbers, bank accounts, KID payment references.

The check digits are python-stdnum's (Norwegian organization number MOD11, `NO…MVA`, Polish NIP, IBAN, BIC);
KID (the Norwegian payment reference on NOK invoices) is checked and made here: 2–25 digits whose last is a
MOD10 (Luhn) or MOD11 check digit. Each `clean_*` returns the identifier in its stored form or raises
`IdentifierError` with a sentence saying what is wrong (the import adds the record and field).
"""
from __future__ import annotations

import re

from stdnum import bic as stdnum_bic
from stdnum import iban as stdnum_iban
from stdnum import luhn
from stdnum.eu import vat as eu_vat
from stdnum.exceptions import ValidationError
from stdnum.no import kontonr, mva, orgnr
from stdnum.pl import nip

COUNTRY = re.compile(r"^[A-Z]{2}$")
# KSeF numbers as the Polish schema (FA(3)) defines them: the seller's NIP, the date, a hex identifier.
KSEF_NUMBER = re.compile(r"^([1-9]((\d[1-9])|([1-9]\d))\d{7}|M\d{9}|[A-Z]{3}\d{7})-(20[2-9][0-9]|2[1-9][0-9]{2}|"
                         r"[3-9][0-9]{3})(0[1-9]|1[0-2])(0[1-9]|[1-2][0-9]|3[0-1])-([0-9A-F]{6})-?([0-9A-F]{6})-"
                         r"([0-9A-F]{2})$")
KID_MAX = 25


class IdentifierError(ValueError):
    """An identifier that is not valid; the message is meant for people."""


def _text(value) -> str:
    if not isinstance(value, str):
        raise IdentifierError("must be a string")
    return value.strip()


def clean_country(value) -> str:
    code = _text(value).upper()
    if not COUNTRY.match(code):
        raise IdentifierError(f"{value!r} is not a two-letter country code (ISO 3166), like NO or PL")
    return code


def clean_org_number(value, country: str | None) -> str:
    """A Norwegian organization number (9 digits, MOD11) or a Polish NIP (10 digits); others as given."""
    raw = _text(value)
    try:
        if country == "NO":
            return orgnr.validate(raw)
        if country == "PL":
            return nip.validate(raw)
    except ValidationError:
        kind = "Norwegian organization number (9 digits with a valid check digit)" if country == "NO" \
            else "Polish NIP (10 digits with a valid check digit)"
        raise IdentifierError(f"{raw!r} is not a valid {kind}") from None
    if not raw or len(raw) > 20 or not raw.isprintable():
        raise IdentifierError("must be 1 to 20 printable characters")
    return raw


def clean_vat_number(value, country: str | None) -> str:
    """Norway: `NO` + organization number + `MVA`; Poland: the NIP (stored with its `PL` prefix); other EU
    countries: their VAT number with the country prefix."""
    raw = _text(value)
    try:
        if country == "NO":
            return "NO" + mva.validate(raw)
        if country == "PL":
            return "PL" + nip.validate(raw)
        if country and country in eu_vat.MEMBER_STATES:
            compact = eu_vat.validate(raw)
            return compact if compact[:2].isalpha() else country + compact
    except ValidationError:
        kind = {"NO": "Norwegian VAT number (NO + organization number + MVA, e.g. NO923609016MVA)",
                "PL": "Polish VAT number (NIP, 10 digits, optionally with PL in front)"}.get(
            country, f"VAT number for {country}")
        raise IdentifierError(f"{raw!r} is not a valid {kind}") from None
    if not raw or len(raw) > 20 or not raw.isprintable():
        raise IdentifierError("must be 1 to 20 printable characters")
    return raw


def clean_iban(value) -> str:
    raw = _text(value)
    try:
        return stdnum_iban.validate(raw)
    except ValidationError:
        raise IdentifierError(f"{raw!r} is not a valid IBAN") from None


def clean_bic(value) -> str:
    raw = _text(value)
    try:
        return stdnum_bic.validate(raw)
    except ValidationError:
        raise IdentifierError(f"{raw!r} is not a valid BIC (SWIFT code)") from None


def norwegian_account(iban: str | None) -> str | None:
    """The domestic account number (11 digits, 4.2.5) inside a Norwegian IBAN; None for any other."""
    if not iban or not iban.startswith("NO"):
        return None
    number = iban[4:]
    return kontonr.format(number) if kontonr.is_valid(number) else None


def format_iban(iban: str) -> str:
    return stdnum_iban.format(iban)


def clean_ksef_number(value) -> str:
    raw = _text(value)
    if not KSEF_NUMBER.match(raw):
        raise IdentifierError(f"{raw!r} is not a KSeF number (NIP-YYYYMMDD-XXXXXX-XXXXXX-XX)")
    return raw


# KID ------------------------------------------------------------------------------------------------
def mod10_digit(body: str) -> str:
    """The Luhn (MOD10) check digit of a string of digits."""
    return luhn.calc_check_digit(body)


def mod11_digit(body: str) -> str:
    """The MOD11 check digit (weights 2–7 from the right); "-" when the remainder leaves 10."""
    total = sum(int(digit) * (2 + index % 6) for index, digit in enumerate(reversed(body)))
    check = (11 - total % 11) % 11
    return "-" if check == 10 else str(check)


def is_valid_kid(kid: str) -> bool:
    if not isinstance(kid, str) or not 2 <= len(kid) <= KID_MAX:
        return False
    body, check = kid[:-1], kid[-1]
    if not body.isdigit() or not body.isascii():
        return False
    return check == mod10_digit(body) or check == mod11_digit(body)


def clean_kid(value) -> str:
    raw = re.sub(r"\s+", "", _text(value))
    if not is_valid_kid(raw):
        raise IdentifierError(f"{raw!r} is not a valid KID (2 to 25 digits ending in a MOD10 or MOD11 check digit)")
    return raw


def kid_candidates(number: str):
    """KIDs for invoice `number`, best first: its digits (at least 6, zero-padded) with a MOD10 check digit,
    then the same with 1, 2, 3 … in front, for when another invoice already has one."""
    digits = "".join(ch for ch in number if ch.isdigit() and ch.isascii()).lstrip("0") or "0"
    digits = digits[-(KID_MAX - 6):].rjust(6, "0")
    yield digits + mod10_digit(digits)
    for prefix in range(1, 100000):
        body = f"{prefix}{digits}"
        yield body + mod10_digit(body)
