"""Flask's signed-cookie session, with the signature checked once per cookie and worker, not per request.

Flask builds a new URLSafeTimedSerializer for every request (twice: to read the cookie and to decide
whether to write it), and itsdangerous then derives the HMAC key, checks the signature, inflates and
parses the payload. A browser sends the very same cookie with every request until the session
changes, so a worker remembers the cookies it has verified — the exact string, what it decoded to
and until when it is valid — and only copies the data out again. A cookie it has not seen (or
whose time has run out) goes through Flask's full check. The cookie's format, signature and expiry
are exactly Flask's; forging a cookie is no easier, since nothing enters the memory unverified.
"""
from __future__ import annotations

import copy
import threading
import time
from collections import OrderedDict

from flask.sessions import SecureCookieSessionInterface
from itsdangerous import BadSignature, URLSafeTimedSerializer

MAX_REMEMBERED = 4096  # cookies per worker; a few MB at most


class SessionInterface(SecureCookieSessionInterface):
    def __init__(self):
        self._serializers: dict = {}
        self._verified: OrderedDict = OrderedDict()  # (keys, cookie) -> (data, valid until)
        self._lock = threading.Lock()

    def get_signing_serializer(self, app):
        if not app.secret_key:
            return None
        keys = self._keys(app)
        serializer = self._serializers.get(keys)
        if serializer is None:
            serializer = self._serializers[keys] = URLSafeTimedSerializer(
                list(keys), salt=self.salt, serializer=self.serializer,
                signer_kwargs={"key_derivation": self.key_derivation, "digest_method": self.digest_method})
        return serializer

    @staticmethod
    def _keys(app) -> tuple:
        return (*(app.config["SECRET_KEY_FALLBACKS"] or ()), app.secret_key)  # current key last, as Flask does

    def open_session(self, app, request):
        if not app.secret_key:
            return None
        value = request.cookies.get(self.get_cookie_name(app))
        if not value:
            return self.session_class()
        memo_key = (self._keys(app), value)
        now = time.time()
        with self._lock:
            known = self._verified.get(memo_key)
            if known is not None:
                self._verified.move_to_end(memo_key)
        if known is not None and known[1] > now:
            return self.session_class(_copy(known[0]))
        max_age = app.permanent_session_lifetime.total_seconds()
        try:
            data, signed_at = self.get_signing_serializer(app).loads(value, max_age=int(max_age), return_timestamp=True)
        except BadSignature:
            return self.session_class()
        with self._lock:
            self._verified[memo_key] = (_copy(data), signed_at.timestamp() + int(max_age))
            if len(self._verified) > MAX_REMEMBERED:
                self._verified.popitem(last=False)
        return self.session_class(data)

    def save_session(self, app, session, response):
        """Flask's, but a session that did not change (nearly every request) costs only its Vary header."""
        if session.modified or (session.permanent and app.config["SESSION_REFRESH_EACH_REQUEST"]):
            return super().save_session(app, session, response)
        if session.accessed:
            vary = response.headers.get("Vary")
            if not vary:
                response.headers["Vary"] = "Cookie"
            elif "cookie" not in vary.lower():
                response.headers["Vary"] = f"{vary}, Cookie"


_PLAIN = (str, int, float, bool, type(None))


def _copy(data: dict) -> dict:
    """A copy the request may change freely (the remembered data must stay as the cookie says)."""
    if all(type(value) in _PLAIN for value in data.values()):
        return dict(data)
    return copy.deepcopy(data)
