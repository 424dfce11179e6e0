"""Money, dates, numbers, quantities and percents as the reader's language writes them (Babel).

Every function formats in the current locale (Flask-Babel's `get_locale()`: the page's language, or the one
forced for an email or PDF with `force_locale`) unless a `locale` is given. Pages, PDFs and emails all use
these functions, so an amount reads the same wherever it appears.
"""
from __future__ import annotations

import re
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import date, datetime, timezone
from decimal import Decimal
from functools import lru_cache

from babel.dates import format_date as babel_format_date
from babel.dates import format_skeleton
from babel.dates import format_time as babel_format_time
from babel.dates import get_datetime_format
from babel.dates import get_timezone as get_babel_timezone
from babel.numbers import format_currency, format_decimal
from flask_babel import get_locale, get_timezone

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
# One style per language everywhere — pages, PDFs and emails: Babel's medium date ('Nov 30, 2026' / '30. nov. 2026' /
# '30 lis 2026'), and for a moment that date with the time and the zone of the reader ('Nov 30, 2026, 8:31 AM CET').
# Moments are stored in UTC (naive); they are shown in the zone of the reader's customer: by its country
# (ZONES), else SETTLE_TIME_ZONE (Flask-Babel's default time zone, views/language.py: select_timezone).
ZONES = {"NO": "Europe/Oslo", "PL": "Europe/Warsaw"}
DEFAULT_ZONE = "Europe/Oslo"
_FORCED_ZONE: ContextVar[str | None] = ContextVar("settle_forced_zone", default=None)


def zone_for(country: str | None, default: str | None = None) -> str:
    """The time zone name for a customer in `country` (ISO 3166 alpha-2)."""
    return ZONES.get((country or "").upper()) or default or _default_zone()


def _default_zone() -> str:
    try:
        from flask import current_app

        return current_app.config.get("SETTLE_TIME_ZONE") or DEFAULT_ZONE
    except RuntimeError:  # outside the app
        return DEFAULT_ZONE


def check_zone(name: str) -> str:
    """`name` if it is a time zone of the tz database; a ValueError naming SETTLE_TIME_ZONE otherwise."""
    try:
        _zone(name)
    except LookupError:
        raise ValueError(f"SETTLE_TIME_ZONE: {name!r} is not a time zone (for example Europe/Oslo)") from None
    return name


@contextmanager
def in_zone(name: str | None):
    """Format moments in zone `name` inside the block (an email or PDF made for a reader outside a request)."""
    token = _FORCED_ZONE.set(name)
    try:
        yield
    finally:
        _FORCED_ZONE.reset(token)


def reader_zone():
    """The zone moments are shown in now: a forced one (in_zone), the request's (Flask-Babel), else the default."""
    forced = _FORCED_ZONE.get()
    if forced:
        return _zone(forced)
    try:
        found = get_timezone()
    except RuntimeError:
        found = None
    return found if found is not None else _zone(_default_zone())


@lru_cache(maxsize=64)
def _zone(name: str):
    return get_babel_timezone(name)


def local_moment(value: datetime):
    """A stored moment (naive means UTC) in the reader's zone."""
    aware = value if value.tzinfo is not None else value.replace(tzinfo=timezone.utc)
    return aware.astimezone(reader_zone())


def day(value: date | datetime | None, style: str = "medium", locale=None) -> str:
    """A date in Babel's medium style ('Nov 30, 2026' / '30. nov. 2026' / '30 lis 2026'); a moment (datetime) gives
    the date it was in the reader's zone. `style="day_month"` is the same style without the year, for a compact
    badge ('Dec 7' / '7. des.' / '7 gru': Babel's MMMd skeleton, in the language's own order)."""
    if not value:
        return ""
    if isinstance(value, datetime):
        value = local_moment(value).date()
    return _day(value, style, locale_name(locale))


@lru_cache(maxsize=8192)
def _day(value: date, style: str, locale: str) -> str:
    # A list page shows the same few dates over and over; Babel walks the pattern every time.
    if style == "day_month":
        return format_skeleton("MMMd", value, locale=locale)
    return babel_format_date(value, style, locale=locale)


def when(value: datetime | None, style: str = "medium", locale=None) -> str:
    """A stored (UTC, naive) moment as the date, time and zone of the reader: 'Nov 30, 2026, 8:31 AM CET',
    '30. nov. 2026, 08:31 CET', '30 lis 2026, 08:31 CET'. One style everywhere: `style` is accepted for callers
    written before, and ignored."""
    if not value:
        return ""
    name = locale_name(locale)
    local = local_moment(value)
    time = babel_format_time(local, "short", locale=name)
    return (get_datetime_format("medium", locale=name).replace("{1}", _day(local.date(), "medium", name))
            .replace("{0}", f"{time} {local.tzname()}"))


# Sentences ----------------------------------------------------------------------------------------------
_DOUBLE_PERIOD = re.compile(r"(?<!\.)\.\.(?!\.)")


def sentence(text):
    """A sentence whose placeholder ended in a period where the sentence ends too ("… Sp. z o.o.." in any
    language's word order): one period, an ellipsis left alone. Markup stays Markup."""
    if not text or ".." not in text:
        return text
    return text.__class__(_DOUBLE_PERIOD.sub(".", str(text)))


# Reading numbers back -------------------------------------------------------------------------------
def parse_amount_text(text: str, locale=None, currency: str | None = None) -> Decimal | None:
    """An amount as the reader's language writes it ('9,181.25' / '9181.25' in English, '9 181,25' / '1.234,50'
    in Norwegian and Polish), or None when `text` is not one — the rules of i18n/amounts.py."""
    from .amounts import AmountRefused, parse_amount

    try:
        return parse_amount(text, locale_name(locale), currency)
    except AmountRefused:
        return None
