"""One guard for every request: control characters never reach a route (or the database).

A NUL or another control character (U+0000–U+001F, U+007F) cannot be part of anything the portal stores or
names — PostgreSQL even refuses NUL in a query ("A string literal cannot contain NUL"), so without this guard
the same bad address answered 404 on SQLite and 500 on PostgreSQL. Checked before any view runs:

- in the path: 404, as for any unknown address;
- in a query or form name or value: 422 with a message saying so, nothing changed. Tab, CR and LF pass in
  form values (a text area sends them; the form judges them), nowhere else.

JSON bodies are not looked at here: the code that reads them validates them.
"""
from __future__ import annotations

import re

from flask import Blueprint, abort, request
from flask_babel import gettext as _
from werkzeug.exceptions import UnprocessableEntity

from .errors import error_response

bp = Blueprint("input_guard", __name__)

CONTROL = re.compile(r"[\x00-\x1f\x7f]")
CONTROL_IN_TEXT = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")  # all but tab, LF, CR


class ControlCharacters(UnprocessableEntity):
    """A query or form value holds a control character; `field` names it."""

    def __init__(self, field: str):
        super().__init__()
        self.field = field


def _bad(pairs, pattern) -> str | None:
    """The name of the first pair holding a character of `pattern` (the name itself may be the bad part)."""
    for key, value in pairs:
        if pattern.search(key) or pattern.search(value):
            return CONTROL.sub("?", key)[:60]
    return None


@bp.before_app_request
def refuse_control_characters():
    if CONTROL.search(request.path):
        abort(404)
    field = _bad(request.args.items(multi=True), CONTROL)
    if field is None and request.mimetype in ("application/x-www-form-urlencoded", "multipart/form-data"):
        field = _bad(request.form.items(multi=True), CONTROL_IN_TEXT)
    if field is not None:
        raise ControlCharacters(field)


@bp.app_errorhandler(ControlCharacters)
def control_characters(error):
    text = _("What was sent contains characters that cannot be used (such as a NUL byte or another control "
             "character). Nothing was changed; remove them and try again.")
    return error_response(422, _("Please check what you entered"), text, "control_characters", error.field)
