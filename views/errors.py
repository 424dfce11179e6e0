"""Error pages: a whole page for browsers, a message in the page's message area for htmx, JSON under /api/."""
from decimal import Decimal

from flask import Blueprint, current_app, make_response, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from i18n import formatting
from models import db
from .api import HTTP_CODES, json_error
from .responses import is_htmx, message

bp = Blueprint("errors", __name__)


def error_response(status: int, title: str, text: str, code: str | None = None, field: str | None = None):
    """An error in the form the request expects: the API's JSON error under /api/ (also for a URL no route
    matches), a message in the page's message area for htmx, else a whole page."""
    if request.path.startswith("/api/"):
        return json_error(status, code or HTTP_CODES.get(status, "server_error" if status >= 500 else "bad_request"),
                          text, field=field)
    if is_htmx():
        return message(text, status, title=title)
    return render_template("errors/error.html", status=status, title=title, message=text), status


@bp.app_errorhandler(CSRFError)
def csrf_error(error):
    return error_response(400, _("Please try again"),
                           _("This form had expired or was not sent from Settle. Reload the page and try again."))


@bp.app_errorhandler(403)
def forbidden(error):
    return error_response(403, _("Not allowed"),
                           _("Your role in your company does not allow this. Nothing was changed; ask your company's "
                             "administrator if you need it."))


@bp.app_errorhandler(404)
def not_found(error):
    return error_response(404, _("Not found"),
                           _("There is nothing here. It may have moved, or you may not have access to it."))


@bp.app_errorhandler(405)
def method_not_allowed(error):
    return error_response(405, _("Not allowed"), _("That action is not available here."))


@bp.app_errorhandler(HTTPException)
def http_error(error):
    code = error.code or 500
    if code == 413:
        limit = current_app.config.get("MAX_CONTENT_LENGTH") or 0
        return error_response(code, _("Too large"), _(
            "That was more than Settle accepts at once (%(size)s). Nothing was changed; send less and try again.",
            size=_size(limit)), "too_large")
    if code == 429:
        response = error_response(code, _("Too many attempts"), _(
            "There were too many attempts in a short time. For your security, wait a few minutes and try again. "
            "Nothing was changed."), "too_many_requests")
        response = make_response(response)
        retry_after = dict(error.get_headers()).get("Retry-After")
        if retry_after:
            response.headers["Retry-After"] = retry_after
        return response
    if 400 <= code < 500:
        return error_response(code, _("Please try again"),
                               _("That request could not be understood. Nothing was changed; reload the page and try again."))
    return error_response(code, _("Something went wrong"),
                           _("We could not finish that. Nothing was changed; please try again in a moment."))


def _size(limit: int) -> str:
    if limit >= 1024 * 1024:
        return _("%(num)s MB", num=formatting.quantity(Decimal(limit) / (1024 * 1024)))
    return _("%(num)s kB", num=formatting.quantity(Decimal(max(1, round(limit / 1024)))))


@bp.app_errorhandler(500)
def internal_error(error):
    if not db.is_closed() and db.in_transaction():
        db.rollback()
    return error_response(500, _("Something went wrong"),
                           _("We could not finish that. Nothing was changed; please try again in a moment."))
