"""Flask's per-request machinery, made cheaper where it redid the same work on every request.

A cached list page costs about half a millisecond; before these, Flask, Werkzeug, Flask-Login and
Flask-WTF spent more than that on work whose answer never changes between requests of one client:
parsing the same Cookie header, hashing the same address and browser, asking whether a hook is a
coroutine, looking up CSRF exemptions for a GET. Each piece here keeps the library's behaviour and
only remembers or reorders. (The session cookie's signature check lives in views/session.py.)
"""
from __future__ import annotations

from functools import cached_property

from flask import Flask, Request, current_app, request
from flask_login.utils import _create_identifier
from flask_wtf.csrf import CSRFProtect
from werkzeug.http import parse_cookie


class SettleCSRFProtect(CSRFProtect):
    def protect(self, apply_exemptions=False):
        """Flask-WTF's check, asking first whether the method needs one at all: reads never carry a token,
        and Flask-WTF would look up the view's exemptions on every GET before finding that out."""
        if request.method not in current_app.config["WTF_CSRF_METHODS"]:
            return None
        return super().protect(apply_exemptions)


def session_identifier() -> str:
    """Flask-Login's session-protection fingerprint (a SHA-512 of the client's address and browser),
    worked out once per address and browser instead of on every request."""
    environ = request.environ
    key = (environ.get("HTTP_X_FORWARDED_FOR"), environ.get("REMOTE_ADDR"), environ.get("HTTP_USER_AGENT"))
    found = _IDENTIFIERS.get(key)
    if found is None:
        if len(_IDENTIFIERS) >= 10_000:
            _IDENTIFIERS.clear()
        found = _IDENTIFIERS[key] = _create_identifier()
    return found


_IDENTIFIERS: dict = {}


class StandardHeaders:
    """WSGI middleware adding the headers every response carries, unless the view set its own.

    Done at the WSGI layer because setting five headers on each Response object through Werkzeug's
    Headers costs more than the rest of a cached list page's response handling.
    """

    def __init__(self, wsgi_app, headers: dict):
        self.wsgi_app = wsgi_app
        self.headers = list(headers.items())

    def __call__(self, environ, start_response):
        def start(status, headers, exc_info=None):
            present = {name.lower() for name, _ in headers}
            headers.extend(header for header in self.headers if header[0].lower() not in present)
            return start_response(status, headers, exc_info)

        return self.wsgi_app(environ, start)


class SettleRequest(Request):
    @cached_property
    def cookies(self):
        """The request's cookies, parsed once per worker for each distinct Cookie header: a browser sends
        the same one with every request until a cookie changes. The parsed dict is immutable, so shared."""
        raw = self.environ.get("HTTP_COOKIE", "")
        found = _PARSED_COOKIES.get(raw)
        if found is None:
            found = parse_cookie(raw, cls=self.dict_storage_class)
            if len(_PARSED_COOKIES) >= 4096:
                _PARSED_COOKIES.clear()
            _PARSED_COOKIES[raw] = found
        return found


_PARSED_COOKIES: dict = {}


class SettleFlask(Flask):
    request_class = SettleRequest

    def ensure_sync(self, func):
        """Flask asks, for every hook on every request, whether it is a coroutine; the answer never
        changes, so it is kept (Flask documents this method as the one to override)."""
        known = self._synced.get(func)
        if known is None:
            known = self._synced[func] = super().ensure_sync(func)
        return known

    @cached_property
    def _synced(self) -> dict:
        return {}
