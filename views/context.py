"""What every template may use: the formatting filters and labels (i18n/), and the header's data — the cart's
count and the language switcher — taken from the signed-in user the request already loaded."""
from __future__ import annotations

from flask import Flask
from jinja2 import pass_context
from flask_babel import get_locale
from flask_login import current_user

from i18n import formatting, labels
from models.roles import may
from .language import languages, return_to


def cart_contents() -> tuple[int, frozenset]:
    """(lines in the signed-in user's cart, ids of its invoices), as User.for_login read them with the user at
    the start of the request; a view that changes the cart calls forget_cart_contents()."""
    user = current_user._get_current_object()
    if not user.is_authenticated:
        return 0, frozenset()
    if getattr(user, "cart_contents", None) is None:  # changed in this request
        from models.cart import Cart

        user.cart_contents = Cart.contents_for(user)
    return user.cart_contents


def forget_cart_contents() -> None:
    """The cart changed in this request: read it again when it is next asked for."""
    user = current_user._get_current_object()
    if user.is_authenticated:
        user.cart_contents = None


# The formatting filters take the page's language from the template context (`lang`, set once per render by the
# context processor below) rather than asking Flask-Babel for it at every amount: a list shows a hundred.
@pass_context
def money_filter(context, amount, currency):
    return formatting.money(amount, currency, context.get("lang"))


@pass_context
def day_filter(context, value, style="medium"):
    return formatting.day(value, style, context.get("lang"))


def register_context(app: Flask) -> None:
    app.jinja_env.filters.update(
        money=money_filter, number=formatting.number, quantity=formatting.quantity, day=day_filter,
        percent=formatting.percent, plain_amount=formatting.amount_for_input, when=formatting.when)
    app.jinja_env.globals.update(labels.TEMPLATE_GLOBALS)
    app.jinja_env.globals["may"] = lambda action: may(current_user, action)  # (macros imported without context)

    @app.context_processor
    def header():
        return {
            "cart_count": lambda: cart_contents()[0],
            "invoices_in_cart": lambda: cart_contents()[1],
            "current_locale": lambda: formatting.locale_name(get_locale()),
            "lang": formatting.locale_name(get_locale()),
            "switcher_languages": languages,
            "switcher_return_to": return_to,
        }
