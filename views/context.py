"""What every template may use: money and date formatting through Babel, the header's cart count."""
from __future__ import annotations

import re
from datetime import date
from functools import lru_cache
from decimal import Decimal

from flask import Flask, current_app, g, session, url_for
from flask_babel import format_date, get_locale, get_translations
from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from jinja2 import pass_eval_context
from markupsafe import Markup
from babel.numbers import format_currency, format_decimal

_LETTER_DIGIT = re.compile(r"(?<=[^\W\d_])(?=\d)|(?<=\d)(?=[^\W\d_])")


def money(amount: Decimal | None, currency: str) -> str:
    """An amount with its currency, in the page's language: 'NOK 1,234.50' / '1 234,50 kr' / '1 234,50 zł'."""
    if amount is None:
        return ""
    locale = _locale_name()
    fast = _money_pattern(locale, currency)
    text = fast(amount) if fast else None
    return text if text is not None else _babel_money(amount, currency, locale)


def _locale_name() -> str:
    """str(get_locale()) for the amounts and dates of a page, which ask for it a hundred times.

    Reads the locale Flask-Babel keeps for the request (force_locale() sets the same attribute),
    skipping its three context look-ups per call; anything unexpected goes through get_locale().
    """
    try:
        locale = vars(g._get_current_object())["_flask_babel"].babel_locale
    except (KeyError, AttributeError, RuntimeError):
        locale = None
    if locale is None:
        locale = get_locale()
    if locale is None:
        return "en"
    name = _LOCALE_NAMES.get(id(locale))
    if name is None or name[0] is not locale:
        name = _LOCALE_NAMES[id(locale)] = (locale, str(locale))
    return name[1]


_LOCALE_NAMES: dict = {}


def _babel_money(amount, currency: str, locale: str) -> str:
    text = format_currency(amount, currency, locale=locale, currency_digits=True)
    # CLDR currency spacing, which Babel leaves out: a code made of letters never touches the digits.
    return _LETTER_DIGIT.sub("\u00a0", text)


_MONEY_SHAPE = re.compile(r"(.*?)1(\D*)234(\D*)567(\D+)89(.*)", re.S)
_MONEY_PROBES = [Decimal(v) for v in (
    "0", "0.01", "0.5", "1", "9.99", "12.3", "100", "999.99", "1000", "1234.56", "9999.99", "10000", "12345.67",
    "99999.99", "100000", "123456.78", "1234567.89", "12345678.9", "-0.01", "-1", "-999.99", "-1234.56",
    "-12345.67", "-1234567.89")]


@lru_cache(maxsize=256)
def _money_pattern(locale: str, currency: str):
    """`money` without Babel's per-call work (a list page formats a hundred amounts): the layout Babel
    gives this language and currency, learnt once from a sample, and used only if it reproduces Babel
    exactly on every probe amount; otherwise None, and Babel formats each amount itself."""
    try:
        positive = _MONEY_SHAPE.fullmatch(_babel_money(Decimal("1234567.89"), currency, locale))
        negative = _MONEY_SHAPE.fullmatch(_babel_money(Decimal("-1234567.89"), currency, locale))
        small = _babel_money(Decimal("1234.56"), currency, locale)
    except Exception:  # noqa: BLE001 - an unknown currency or locale: Babel decides, per call
        return None
    if not positive or not negative or positive.group(2) != positive.group(3):
        return None
    prefix, group, _, point, suffix = positive.groups()
    negative_prefix, negative_suffix = negative.group(1), negative.group(5)
    if negative.group(2, 3, 4) != (group, group, point):
        return None
    min_grouped = 10000 if group not in small else 1000  # some languages leave 4-digit numbers ungrouped

    def fast(amount) -> str | None:
        if not isinstance(amount, Decimal) or not amount.is_finite() or amount.as_tuple().exponent < -2:
            return None
        cents = int(amount.scaleb(2))
        if cents == 0 and amount.is_signed():
            return None
        whole, fraction = divmod(abs(cents), 100)
        digits = f"{whole:,}".replace(",", group) if whole >= min_grouped else str(whole)
        body = f"{digits}{point}{fraction:02d}"
        return f"{negative_prefix}{body}{negative_suffix}" if cents < 0 else f"{prefix}{body}{suffix}"

    if any(fast(probe) != _babel_money(probe, currency, locale) for probe in _MONEY_PROBES):
        return None
    return fast


def number(amount: Decimal | None, places: int = 2) -> str:
    """An amount without currency, for input fields and plain figures."""
    if amount is None:
        return ""
    return format_decimal(amount, format="#,##0." + "0" * places if places else "#,##0",
                          locale=str(get_locale() or "en"))


def quantity(value: Decimal | None, grouping: bool = True) -> str:
    """A quantity as people write it: no trailing zeros (10, 2.5), up to four decimals; `grouping=False`
    for form fields, which must read back what they show."""
    if value is None:
        return ""
    return format_decimal(value, format="#,##0.####" if grouping else "0.####", locale=str(get_locale() or "en"))


def plain_amount(amount: Decimal | None) -> str:
    """An amount as a form value: no grouping, the language's decimal separator."""
    if amount is None:
        return ""
    text = f"{amount:.2f}"
    locale = str(get_locale() or "en")
    return text.replace(".", ",") if locale in ("nb", "pl") else text


def day(value: date | None, style: str = "medium") -> str:
    if not value:
        return ""
    # A list page shows the same few dates over and over; each costs Babel a pattern walk.
    key = (value, style, _locale_name())
    text = _DAYS.get(key)
    if text is None:
        if len(_DAYS) > 20_000:
            _DAYS.clear()
        text = _DAYS[key] = format_date(value, style)
    return text


_DAYS: dict = {}


def percent(value: Decimal | None) -> str:
    if value is None:
        return ""
    return format_decimal(value.normalize() if value == value.to_integral() else value,
                          locale=str(get_locale() or "en")) + " %"


def cart_contents() -> tuple[int, frozenset]:
    """(lines in the signed-in user's cart, ids of its invoices), as User.for_login read them with the
    user at the start of the request; a view that changes the cart calls forget_cart_contents()."""
    user = current_user._get_current_object()
    if not user.is_authenticated:
        return 0, frozenset()
    if getattr(user, "cart_contents", None) is None:  # changed in this request, or a user loaded otherwise
        from models.cart import Cart

        user.cart_contents = Cart.contents_for(user)
    return user.cart_contents


def forget_cart_contents() -> None:
    """The cart changed in this request: read it again when it is next asked for."""
    user = current_user._get_current_object()
    if user.is_authenticated:
        user.cart_contents = None


def header_cart_count() -> int:
    return cart_contents()[0]


def _translations():
    """Flask-Babel's translations for this request, looked up once per request and language.

    Templates call _() dozens of times a page (twice per invoice row); Flask-Babel resolves the
    domain, the context and the locale on every call. The cache sits beside Flask-Babel's own
    per-request state and is keyed on its locale object, so force_locale() is still obeyed.
    """
    try:
        state = vars(g._get_current_object())["_flask_babel"]
        locale = state.babel_locale
        cached = state.__dict__.get("settle_translations")
    except (KeyError, AttributeError, RuntimeError):
        return get_translations()
    if cached is not None and cached[0] is locale and locale is not None:
        return cached[1]
    translations = get_translations()
    state.settle_translations = (state.babel_locale, translations)
    return translations


# Jinja's newstyle gettext functions (jinja2.ext._make_new_*), reading the cached translations.
@pass_eval_context
def _gettext(eval_ctx, __string, **variables):
    text = _translations().ugettext(__string)
    return (Markup(text) if eval_ctx.autoescape else text) % variables


@pass_eval_context
def _ngettext(eval_ctx, __singular, __plural, __num, **variables):
    variables.setdefault("num", __num)
    text = _translations().ungettext(__singular, __plural, __num)
    return (Markup(text) if eval_ctx.autoescape else text) % variables


@pass_eval_context
def _pgettext(eval_ctx, __context, __string, **variables):
    variables.setdefault("context", __context)
    text = _translations().upgettext(__context, __string)
    return (Markup(text) if eval_ctx.autoescape else text) % variables


@pass_eval_context
def _npgettext(eval_ctx, __context, __singular, __plural, __num, **variables):
    variables.setdefault("context", __context)
    variables.setdefault("num", __num)
    text = _translations().unpgettext(__context, __singular, __plural, __num)
    return (Markup(text) if eval_ctx.autoescape else text) % variables


def _url_for(endpoint: str, **values) -> str:
    """url_for for templates, remembering within the request what it already built: a list page asks
    for the same handful of URLs once per row."""
    try:
        key = (endpoint, tuple(sorted(values.items())))
        built = g.__dict__.setdefault("settle_urls", {})
        url = built.get(key)
    except (TypeError, RuntimeError):  # unhashable values, or no request: build it plainly
        return url_for(endpoint, **values)
    if url is None:
        url = built[key] = url_for(endpoint, **values)
    return url


def csrf_token() -> str:
    """Flask-WTF's signed CSRF token for this session, signed once per session and worker, not per request.

    Signing costs a tenth of a millisecond per request (a key derivation, zlib, HMAC). With
    WTF_CSRF_TIME_LIMIT = None the signature's timestamp is never checked, so a token signed earlier
    for the same session secret stays exactly as valid; with a time limit every request signs afresh.
    """
    if "csrf_token" in g or current_app.config.get("WTF_CSRF_TIME_LIMIT") is not None:
        return generate_csrf()
    secret = current_app.config.get("WTF_CSRF_SECRET_KEY") or current_app.secret_key  # as Flask-WTF signs
    raw = session.get("csrf_token")
    signed = _SIGNED_TOKENS.get((secret, raw)) if isinstance(raw, str) else None
    if signed is not None:
        g.csrf_token = signed  # where generate_csrf() looks first, so forms and headers agree
        return signed
    signed = generate_csrf()
    raw = session.get("csrf_token")
    if isinstance(raw, str):
        if len(_SIGNED_TOKENS) >= 10_000:
            _SIGNED_TOKENS.pop(next(iter(_SIGNED_TOKENS)))
        _SIGNED_TOKENS[(secret, raw)] = signed
    return signed


_SIGNED_TOKENS: dict = {}


def register_context(app: Flask) -> None:
    app.jinja_env.filters.update(money=money, number=number, quantity=quantity, day=day, percent=percent,
                                 plain_amount=plain_amount)
    # Jinja's "newstyle" gettext, as Flask-Babel installs it, with a third of the calls per string.
    app.jinja_env.newstyle_gettext = True
    app.jinja_env.globals.update(gettext=_gettext, _=_gettext, ngettext=_ngettext, pgettext=_pgettext,
                                 npgettext=_npgettext, url_for=_url_for, csrf_token=csrf_token)

    @app.context_processor
    def inject():
        return {
            "cart_count": header_cart_count,
            "invoices_in_cart": lambda: cart_contents()[1],
            "current_locale": lambda: str(get_locale() or "en"),
            "has_endpoint": lambda name: name in app.view_functions,
        }
