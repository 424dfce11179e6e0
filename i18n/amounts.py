"""Reading an amount of money back as people type it in their language — the one parser for typed amounts.

`parse_amount(text, lang, currency)` returns a `Decimal` (two decimals at most) or raises `AmountRefused` with a
code and params; models turn it into their refusal (models/cart.py) and i18n/refusals.py words it. The same
rules, written again in JavaScript, keep the cart's live total (static/settle.js: `parseAmount`); a change here
is a change there, and tests/test_amount_entry.py drives both through the page.

What is understood (docs/translating.md lists it per language):
- digits with one decimal mark, `.` or `,`, and at most two decimals: 1234.50, 1234,50, 1234,5;
- thousands grouped by spaces (also the no-break and narrow no-break spaces Babel prints), or by the mark that is
  not the decimal one: 1 234,50, 1.234,50, 1,234.50, 1,234,567;
- the cart's currency written before or after, as the portal shows it: NOK 9,181.25, 9 181,25 kr, 1 234,50 zł.
A single mark followed by exactly three digits ("1.234") is thousands where the language groups with it (English
",": 1,000 is one thousand); elsewhere it is ambiguous and refused with the two readings explained.
"""
from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from babel.numbers import get_currency_symbol, list_currencies

LANGUAGES = ("en", "nb", "pl")
MAX_LENGTH = 40
LIMIT = Decimal("1e12")
SPACES = "\u00a0\u202f\u2009\u2007 "
MINUS = "-\u2212"
# The mark each language groups thousands with when a single mark follows; the decimal mark it writes.
GROUP_MARK = {"en": ","}
DECIMAL_MARK = {"en": "."}


class AmountRefused(ValueError):
    """A typed amount that is not one: `code` names why (i18n/refusals.py words it), `params` what it shows."""

    def __init__(self, code: str, **params):
        super().__init__(code)
        self.code, self.params = code, params


def decimal_mark_of(lang: str) -> str:
    return DECIMAL_MARK.get(lang, ",")


def currency_tokens(currency: str | None) -> set[str]:
    """How a currency may be written beside an amount: its code and its symbol in every language of the portal."""
    if not currency:
        return set()
    tokens = {currency.upper()}
    for lang in LANGUAGES:
        try:
            tokens.add(get_currency_symbol(currency, locale=lang))
        except Exception:  # noqa: BLE001 - an unknown currency: its code only
            pass
    return {token.casefold() for token in tokens}


_LEADING = re.compile(r"^([^\d\s.,\-\u2212]+)")
_TRAILING = re.compile(r"([^\d\s.,]+)$")
_CODE = re.compile(r"^[A-Za-z]{3}$")


def _strip_currency(text: str, currency: str | None) -> str:
    """`text` without the currency written before or after it; another currency or other letters refuse."""
    tokens = currency_tokens(currency)
    sign = ""
    if text[:1] in MINUS:
        sign, text = "-", text[1:].lstrip(SPACES)
    for pattern in (_LEADING, _TRAILING):
        found = pattern.search(text)
        if not found:
            continue
        token = found.group(1).rstrip(".")
        if token.casefold() in tokens:
            text = (text[found.end():] if pattern is _LEADING else text[:found.start()]).strip(SPACES)
        elif currency and _CODE.match(token) and token.upper() in _known_codes():
            raise AmountRefused("amount_other_currency", typed=token.upper(), currency=currency)
        else:
            raise AmountRefused("amount_not_number")
    if text[:1] in MINUS:
        sign, text = "-", text[1:].lstrip(SPACES)
    return sign + text


_CODES: set[str] = set()


def _known_codes() -> set[str]:
    if not _CODES:
        _CODES.update(code.upper() for code in list_currencies())
    return _CODES


def _grouped(digits: str, mark: str) -> bool:
    """`digits` is 1–3 digits then groups of exactly three, separated by `mark`."""
    parts = digits.split(mark)
    return 1 <= len(parts[0]) <= 3 and all(len(part) == 3 for part in parts[1:]) and all(p.isdigit() for p in parts)


def _whole(text: str) -> str:
    """The integer part as digits, its groups separated by spaces or nothing; else refused."""
    if not text:
        return "0"
    if " " in text:
        if not _grouped(text, " "):
            raise AmountRefused("amount_not_number")
        return text.replace(" ", "")
    if not text.isdigit():
        raise AmountRefused("amount_not_number")
    return text


def parse_amount(text, lang: str = "en", currency: str | None = None) -> Decimal:
    """An amount as typed in `lang` (see the module's rules): a positive or negative Decimal with at most two
    decimals, not checked against any balance. Raises AmountRefused."""
    if isinstance(text, Decimal):
        text = str(text)
    if text is None or not str(text).strip(SPACES + "\t\r\n"):
        raise AmountRefused("amount_missing")
    raw = str(text)
    if len(raw) > MAX_LENGTH:
        raise AmountRefused("amount_not_number")
    shown = raw.strip(SPACES + "\t\r\n")
    body = _strip_currency(shown, currency)
    sign = ""
    if body.startswith("-"):
        sign, body = "-", body[1:]
    body = re.sub(f"[{SPACES}]+", " ", body).strip(" ")
    if not body or not all(ch.isdigit() or ch in ". ," for ch in body) or not any(ch.isdigit() for ch in body):
        raise AmountRefused("amount_not_number")
    for mark in ".,":  # a space may group thousands, never stand beside a mark
        if f" {mark}" in body or f"{mark} " in body:
            raise AmountRefused("amount_not_number")
    whole, fraction = _split(body, lang, shown)
    digits = _whole(whole)
    if fraction == "" and whole:  # "12," or "12.": nothing after the mark
        fraction = None
    if fraction is not None and not fraction.isdigit():
        raise AmountRefused("amount_not_number")
    if fraction is not None and len(fraction) > 2:
        raise AmountRefused("amount_decimals")
    try:
        value = Decimal(f"{sign}{digits}.{fraction or '0'}")
    except InvalidOperation:
        raise AmountRefused("amount_not_number") from None
    if abs(value) >= LIMIT:
        raise AmountRefused("amount_too_large")
    return value.quantize(Decimal("0.01"))


def _split(body: str, lang: str, shown: str) -> tuple[str, str | None]:
    """(integer part, decimals or None) of `body`, deciding which mark is the decimal one."""
    points, commas = body.count("."), body.count(",")
    if not points and not commas:
        return body, None
    if points and commas:  # both: the last one is the decimal mark, the other groups thousands
        decimal = "." if body.rfind(".") > body.rfind(",") else ","
        group = "," if decimal == "." else "."
        whole, _, fraction = body.rpartition(decimal)
        if decimal in whole or " " in whole or not _grouped(whole, group):
            raise AmountRefused("amount_not_number")
        return whole.replace(group, ""), fraction
    mark = "." if points else ","
    if body.count(mark) > 1:  # the same mark twice can only group thousands
        if " " in body or not _grouped(body, mark):
            raise AmountRefused("amount_not_number")
        return body.replace(mark, ""), None
    whole, _, fraction = body.partition(mark)
    if len(fraction) != 3 or " " in whole or not whole or whole == "0" or len(whole) > 3 or not whole.isdigit():
        return whole, fraction  # only a decimal mark reads this way
    if GROUP_MARK.get(lang) == mark:
        return whole + fraction, None  # English 1,000: one thousand
    decimal = decimal_mark_of(lang)
    raise AmountRefused("amount_ambiguous", typed=shown, mark=mark, plain=whole + fraction,
                        example=f"{whole}{decimal}{fraction[:2]}")
