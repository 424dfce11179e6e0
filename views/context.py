"""What every template may use: the formatting filters and labels (i18n/), and the header's data — the cart's
count and the language switcher — taken from the signed-in user the request already loaded."""
from __future__ import annotations

from flask import Flask
from jinja2 import pass_context
from flask_babel import force_locale, get_locale, get_translations
from flask_login import current_user

from i18n import amounts, formatting, labels
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


# Templates translate through Jinja's own i18n extension (newstyle), with callables that find the page's
# translations by its language (`lang` in the template context) instead of asking Flask-Babel for the request's
# locale, domain and translations at every string: a full list page has fifty. The translations themselves
# are Flask-Babel's (`get_translations()`, public), looked up once per language: they do not change while the
# portal runs.
_TRANSLATIONS: dict = {}


def _translations_for(context):
    language = context.get("lang") or formatting.locale_name(get_locale())
    found = _TRANSLATIONS.get(language)
    if found is None:
        with force_locale(language):
            found = _TRANSLATIONS[language] = get_translations()
    return found


@pass_context
def _gettext(context, string):
    return _translations_for(context).ugettext(string)


@pass_context
def _ngettext(context, singular, plural, n):
    return _translations_for(context).ungettext(singular, plural, n)


@pass_context
def _pgettext(context, message_context, string):
    return _translations_for(context).upgettext(message_context, string)


@pass_context
def _npgettext(context, message_context, singular, plural, n):
    return _translations_for(context).unpgettext(message_context, singular, plural, n)


@pass_context
def percent_filter(context, value):
    return formatting.percent(value, context.get("lang"))


@pass_context
def quantity_filter(context, value, grouping=True):
    return formatting.quantity(value, grouping, context.get("lang"))


def register_context(app: Flask) -> None:
    app.jinja_env.install_gettext_callables(_gettext, _ngettext, newstyle=True, pgettext=_pgettext,
                                            npgettext=_npgettext)
    app.jinja_env.filters.update(
        money=money_filter, number=formatting.number, quantity=quantity_filter, day=day_filter,
        percent=percent_filter, plain_amount=formatting.amount_for_input, when=formatting.when,
        sentence=formatting.sentence)
    app.jinja_env.globals.update(labels.TEMPLATE_GLOBALS)
    app.jinja_env.globals["currency_tokens"] = amounts.currency_tokens  # what the cart's JS strips off amounts
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
