"""The language switcher: a plain POST per language, kept on the user and in a `lang` cookie."""
import sys

from babel import Locale
from flask import Blueprint, after_this_request, current_app, flash, has_request_context, redirect, request, url_for
from flask_babel import force_locale, gettext as _
from flask_login import current_user, user_logged_in
from werkzeug.exceptions import HTTPException

from i18n.formatting import zone_for
from models.customer import User
from .auth import safe_next

bp = Blueprint("language", __name__)

COOKIE = "lang"
COOKIE_MAX_AGE = 365 * 24 * 3600

# Each language names itself, so a reader finds their own language whatever the page shows.
LANGUAGE_NAMES = {"en": "English", "nb": "Norsk", "pl": "Polski"}


def select_locale() -> Locale:
    """The request's language (Flask-Babel's locale selector): the user's chosen one, else the `lang`
    cookie's, else the browser's best match, else English."""
    known = current_app.config["LANGUAGES"]
    user = current_user._get_current_object()
    chosen = user.locale if user.is_authenticated else None
    if chosen not in known:
        chosen = request.cookies.get(COOKIE)
    if chosen not in known:
        chosen = "en"
        if "HTTP_ACCEPT_LANGUAGE" in request.environ:
            chosen = request.accept_languages.best_match(known, default="en")
    locale = _LOCALES.get(chosen)
    if locale is None:  # parsed once: Flask-Babel would parse the name again on every request
        locale = _LOCALES[chosen] = Locale.parse(chosen)
    return locale


_LOCALES: dict = {}


def select_timezone() -> str | None:
    """The request's time zone (Flask-Babel's timezone selector): the signed-in user's customer's, by its country
    (i18n/formatting.py: zone_for); None (SETTLE_TIME_ZONE) for visitors."""
    if not has_request_context():
        return None
    user = current_user._get_current_object()
    if not user.is_authenticated:
        return None
    return zone_for(user.customer.country_code)


def languages():
    """(code, name) of every language the portal speaks, in the switcher's order."""
    return [(code, LANGUAGE_NAMES.get(code, code)) for code in current_app.config["LANGUAGES"]]


def _remember(response, code):
    response.set_cookie(COOKIE, code, max_age=COOKIE_MAX_AGE, httponly=True, samesite="Lax",
                        secure=current_app.config.get("SESSION_COOKIE_SECURE", False))
    return response


@bp.route("/language", methods=["POST"])
def choose():
    back = safe_next(request.form.get("next")) or url_for("auth.home")
    code = (request.form.get("lang") or "").strip()
    if code not in current_app.config["LANGUAGES"]:
        flash(_("That language is not available. Choose English, Norsk or Polski."), "error")
        return redirect(back, 303)
    if current_user.is_authenticated:
        User.update(locale=code).where(User.id == current_user.id).execute()
        current_user.locale = code
    with force_locale(code):
        flash(_("The portal is now shown in English."), "success")
    return _remember(redirect(back, 303), code)


@user_logged_in.connect
def _on_sign_in(app, user, **extra):
    """A visitor's choice made before signing in is kept on the user unless they already chose;
    the user's own choice then also becomes the browser's, so the sign-in page after signing out
    speaks it too."""
    chosen = request.cookies.get(COOKIE)
    if user.locale not in app.config["LANGUAGES"]:
        if chosen in app.config["LANGUAGES"]:
            User.update(locale=chosen).where(User.id == user.id).execute()
            user.locale = chosen
        return
    if chosen != user.locale:
        code = user.locale
        after_this_request(lambda response: _remember(response, code))


def return_to() -> str:
    """Where the switcher comes back to: this page when it can be fetched again with GET.

    An error page (404 for another company's invoice) goes home instead: it does not repeat the URL asked for.
    """
    if isinstance(sys.exc_info()[1], HTTPException):
        return url_for("auth.home")
    if request.method == "GET":
        return request.full_path.rstrip("?")
    try:
        current_app.url_map.bind("").match(request.path, method="GET")
    except Exception:  # noqa: BLE001 - a POST-only URL or none: go home instead of a 405
        return url_for("auth.home")
    return request.path
