"""What every template may use: money and date formatting through Babel, the header's cart count."""
from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

from flask import Flask, g
from flask_babel import format_date, get_locale
from flask_login import current_user
from babel.numbers import format_currency, format_decimal

_LETTER_DIGIT = re.compile(r"(?<=[^\W\d_])(?=\d)|(?<=\d)(?=[^\W\d_])")


def money(amount: Decimal | None, currency: str) -> str:
    """An amount with its currency, in the page's language: 'NOK 1,234.50' / '1 234,50 kr' / '1 234,50 zł'."""
    if amount is None:
        return ""
    text = format_currency(amount, currency, locale=str(get_locale() or "en"), currency_digits=True)
    # CLDR currency spacing, which Babel leaves out: a code made of letters never touches the digits.
    return _LETTER_DIGIT.sub("\u00a0", text)


def number(amount: Decimal | None, places: int = 2) -> str:
    """An amount without currency, for input fields and plain figures."""
    if amount is None:
        return ""
    return format_decimal(amount, format="#,##0." + "0" * places if places else "#,##0",
                          locale=str(get_locale() or "en"))


def plain_amount(amount: Decimal | None) -> str:
    """An amount as a form value: no grouping, the language's decimal separator."""
    if amount is None:
        return ""
    text = f"{amount:.2f}"
    locale = str(get_locale() or "en")
    return text.replace(".", ",") if locale in ("nb", "pl") else text


def day(value: date | None, style: str = "medium") -> str:
    return format_date(value, style) if value else ""


def percent(value: Decimal | None) -> str:
    if value is None:
        return ""
    return format_decimal(value.normalize() if value == value.to_integral() else value,
                          locale=str(get_locale() or "en")) + " %"


def header_cart_count() -> int:
    """Lines in the signed-in user's cart, computed once per request."""
    if "cart_count" not in g:
        g.cart_count = 0
        if current_user.is_authenticated:
            try:
                from models.cart import Cart
            except ImportError:  # the cart arrives with its own issue
                return 0
            g.cart_count = Cart.count_lines_for(current_user)
    return g.cart_count


def register_context(app: Flask) -> None:
    app.jinja_env.filters.update(money=money, number=number, day=day, percent=percent, plain_amount=plain_amount)

    @app.context_processor
    def inject():
        return {
            "cart_count": header_cart_count,
            "current_locale": lambda: str(get_locale() or "en"),
            "has_endpoint": lambda name: name in app.view_functions,
        }
