"""Money rules in one place: Decimal, rounded half-up to the currency's minor unit.

Amounts are stored as integer minor units (cents) so SQL sums are exact on every
database; Python code only ever sees `Decimal`.
"""
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from peewee import BigIntegerField

CENT = Decimal("0.01")
ZERO = Decimal("0.00")
# All currencies the portal trades in have two decimals (NOK, PLN, EUR, USD, SEK, DKK).
CURRENCIES = ("NOK", "PLN", "EUR", "USD", "SEK", "DKK")


def round_money(value) -> Decimal:
    """Round to the minor unit, half-up (0.005 -> 0.01)."""
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def cents_to_money(cents) -> Decimal:
    """An integer number of minor units (e.g. from SUM()) as a Decimal amount."""
    return (Decimal(int(cents or 0)) / 100).quantize(CENT)


class AmountError(ValueError):
    """A user-entered amount that is not acceptable; the message is user-facing."""


def parse_decimal(text, *, places=2, decimal_comma=True) -> Decimal:
    """Parse a user- or file-supplied decimal string strictly.

    Accepts "1234.50", "1 234,50" and "1234,5" (decimal comma, spaces as group
    separators). Refuses NaN, infinities, exponents and more than `places` decimals.
    Raises AmountError with a message meant for people.
    """
    if isinstance(text, Decimal):
        raw = str(text)
    elif isinstance(text, (int,)) and not isinstance(text, bool):
        raw = str(text)
    elif isinstance(text, str):
        raw = text.strip().replace("\u00a0", "").replace("\u202f", "").replace(" ", "")
    else:
        raise AmountError("Enter a number, for example 1250.00.")
    if decimal_comma and "," in raw:
        if "." in raw or raw.count(",") > 1:
            raise AmountError("Enter a number, for example 1250.00.")
        raw = raw.replace(",", ".")
    if not raw or not all(c in "0123456789.-+" for c in raw) or raw.count(".") > 1 or raw in {".", "-", "+"}:
        raise AmountError("Enter a number, for example 1250.00.")
    try:
        value = Decimal(raw)
    except InvalidOperation:
        raise AmountError("Enter a number, for example 1250.00.") from None
    if not value.is_finite():
        raise AmountError("Enter a number, for example 1250.00.")
    if places is not None and value.as_tuple().exponent < -places:
        raise AmountError(f"Use at most {places} decimals.")
    if abs(value) >= Decimal("1e12"):
        raise AmountError("That amount is too large.")
    return value


class MoneyField(BigIntegerField):
    """A Decimal amount with two decimals, stored as integer cents."""

    def db_value(self, value):
        if value is None:
            return None
        return int(round_money(value) * 100)

    def python_value(self, value):
        if value is None:
            return None
        return cents_to_money(value)
