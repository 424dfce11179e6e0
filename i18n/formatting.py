"""Money, dates, numbers, quantities and percents as the reader's language writes them (Babel).

Every function formats in the current locale (Flask-Babel's `get_locale()`: the page's language, or the one
forced for an email or PDF with `force_locale`) unless a `locale` is given. Pages, PDFs and emails all use
these functions, so an amount reads the same wherever it appears.
"""
from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal
from functools import lru_cache

from babel.dates import format_date as babel_format_date
from babel.numbers import format_currency, format_decimal
from flask_babel import format_datetime as flask_format_datetime
from flask_babel import get_locale

DEFAULT_LOCALE = "en"
_LETTER_DIGIT = re.compile(r"(?<=[^\W\d_])(?=\d)|(?<=\d)(?=[^\W\d_])")


def locale_name(locale=None) -> str:
    """The locale to format in, as a name ("en", "nb", "pl")."""
    if locale is None:
        locale = get_locale()
    return str(locale) if locale is not None else DEFAULT_LOCALE


# Money --------------------------------------------------------------------------------------------
def money(amount: Decimal | None, currency: str, locale=None) -> str:
    """An amount with its currency: 'NOK 1,234.50' (en), '1 234,50 kr' (nb), '1 234,50 NOK' (pl)."""
    if amount is None:
        return ""
    name = locale_name(locale)
    fast = _money_layout(name, currency)
    text = fast(amount) if fast is not None else None
    return text if text is not None else babel_money(amount, currency, name)


def babel_money(amount: Decimal, currency: str, locale: str) -> str:
    """Babel's own formatting, with CLDR's currency spacing (a code of letters never touches the digits)."""
    text = format_currency(amount, currency, locale=locale, currency_digits=True)
    return _LETTER_DIGIT.sub("\u00a0", text)


_MONEY_SHAPE = re.compile(r"(.*?)1(\D*)234(\D*)567(\D+)89(.*)", re.S)
PROBE_AMOUNTS = tuple(Decimal(v) for v in (
    "0", "0.01", "0.5", "1", "9.99", "12.3", "100", "999.99", "1000", "1234.56", "9999.99", "10000", "12345.67",
    "99999.99", "100000", "123456.78", "1234567.89", "12345678.9", "-0.01", "-1", "-999.99", "-1234.56",
    "-12345.67", "-1234567.89"))


@lru_cache(maxsize=256)
def _money_layout(locale: str, currency: str):
    """A formatter for one language and currency that writes exactly what Babel writes, or None.

    Babel works out the pattern, symbols and grouping on every call (about 35 µs; a list page shows a
    hundred amounts). The layout — prefix, grouping and decimal marks, suffix — is read once from Babel's
    own output for a sample amount, and used only if it reproduces Babel on every probe amount; otherwise
    Babel formats each amount itself. tests/test_formatting.py compares the two on random amounts.
    """
    try:
        positive = _MONEY_SHAPE.fullmatch(babel_money(Decimal("1234567.89"), currency, locale))
        negative = _MONEY_SHAPE.fullmatch(babel_money(Decimal("-1234567.89"), currency, locale))
        small = babel_money(Decimal("1234.56"), currency, locale)
    except Exception:  # noqa: BLE001 - an unknown currency or locale: Babel decides, per call
        return None
    if not positive or not negative or positive.group(2) != positive.group(3):
        return None
    prefix, group, _, point, suffix = positive.groups()
    negative_prefix, negative_suffix = negative.group(1), negative.group(5)
    if negative.group(2, 3, 4) != (group, group, point):
        return None
    min_grouped = 10000 if group not in small else 1000  # some languages leave 4-digit numbers ungrouped

    def layout(amount) -> str | None:
        if not isinstance(amount, Decimal) or not amount.is_finite() or amount.as_tuple().exponent < -2:
            return None
        cents = int(amount.scaleb(2))
        if cents == 0 and amount.is_signed():
            return None
        whole, fraction = divmod(abs(cents), 100)
        digits = f"{whole:,}".replace(",", group) if whole >= min_grouped else str(whole)
        body = f"{digits}{point}{fraction:02d}"
        return f"{negative_prefix}{body}{negative_suffix}" if cents < 0 else f"{prefix}{body}{suffix}"

    if any(layout(probe) != babel_money(probe, currency, locale) for probe in PROBE_AMOUNTS):
        return None
    return layout


def has_fast_money(locale: str, currency: str) -> bool:
    """Whether `money` runs without Babel for this language and currency (tests pin it)."""
    return _money_layout(locale, currency) is not None


def amount_for_input(amount: Decimal | None, locale=None) -> str:
    """An amount as a form field shows it: no grouping, the language's decimal mark ('1234,50' in nb/pl)."""
    if amount is None:
        return ""
    text = f"{amount:.2f}"
    return text.replace(".", decimal_mark(locale))


def decimal_mark(locale=None) -> str:
    """The language's decimal mark: '.' in English, ',' in Norwegian and Polish."""
    return _decimal_mark(locale_name(locale))


@lru_cache(maxsize=32)
def _decimal_mark(name: str) -> str:
    return format_decimal(Decimal("1.5"), locale=name)[1]


# Numbers ------------------------------------------------------------------------------------------
def number(amount: Decimal | None, places: int = 2, locale=None) -> str:
    """An amount without currency: '1,234.50' / '1 234,50'."""
    if amount is None:
        return ""
    return format_decimal(amount, format="#,##0." + "0" * places if places else "#,##0", locale=locale_name(locale))


def quantity(value: Decimal | None, grouping: bool = True, locale=None) -> str:
    """A quantity as people write it: no trailing zeros (10, 2.5), up to four decimals; `grouping=False` for
    form fields, which must read back what they show."""
    if value is None:
        return ""
    return _quantity(value, grouping, locale_name(locale))


@lru_cache(maxsize=4096)
def _quantity(value: Decimal, grouping: bool, locale: str) -> str:
    # Invoices repeat the same few quantities and rates; Babel works out the pattern every time.
    return format_decimal(value, format="#,##0.####" if grouping else "0.####", locale=locale)


def percent(value: Decimal | None, locale=None) -> str:
    """'2 %', '2,5 %'."""
    if value is None:
        return ""
    return _percent(Decimal(value), locale_name(locale))


@lru_cache(maxsize=1024)
def _percent(value: Decimal, locale: str) -> str:
    shown = value.to_integral_value() if value == value.to_integral_value() else value.normalize()
    return format_decimal(shown, locale=locale) + " %"


# Dates and times ----------------------------------------------------------------------------------
def day(value: date | None, style: str = "medium", locale=None) -> str:
    """A date in Babel's `style` ('medium': 'Nov 30, 2026' / '30. nov. 2026' / '30 lis 2026')."""
    if not value:
        return ""
    return _day(value, style, locale_name(locale))


@lru_cache(maxsize=8192)
def _day(value: date, style: str, locale: str) -> str:
    # A list page shows the same few dates over and over; Babel walks the pattern every time.
    return babel_format_date(value, style, locale=locale)


def when(value: datetime | None, style: str = "short") -> str:
    """A stored (UTC, naive) moment in the reader's language and the portal's time zone (Flask-Babel's)."""
    if not value:
        return ""
    return flask_format_datetime(value, style)


# Reading numbers back -------------------------------------------------------------------------------
def parse_amount_text(text: str, locale=None, currency: str | None = None) -> Decimal | None:
    """An amount as the reader's language writes it ('9,181.25' / '9181.25' in English, '9 181,25' / '1.234,50'
    in Norwegian and Polish), or None when `text` is not one — the rules of i18n/amounts.py."""
    from .amounts import AmountRefused, parse_amount

    try:
        return parse_amount(text, locale_name(locale), currency)
    except AmountRefused:
        return None
