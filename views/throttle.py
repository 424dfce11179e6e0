"""Throttling (Flask-Limiter): sign-in, forgot password and invitations, per email and per address.

Each app gets its own `Limiter` (`init_app`); its storage is memory, or Redis when `REDIS_URL` is set (or
`THROTTLE_STORAGE_URI`), so every worker and host counts together. The limits are settings (limit strings in
Flask-Limiter's notation, "10 per 15 minutes") and use the moving window. The views ask here explicitly, through
the limiter's public rate-limiting strategy (`Limiter.limiter`: test and hit), because sign-in counts *failed*
attempts only and checks the per-email limit before the password, so a correct password is refused too while an
email is locked:

    gate = sign_in_gate(email)
    if gate.refused: ... answer 429 ...
    ... if the password is wrong: gate.failed()

Emails are counted under a digest of the address, never in clear. `invitation_limit` is the decorator for the
invitation view (per invited email and per address, every POST counts).
"""
from __future__ import annotations

import hashlib
import logging
import math
import os
import time
from dataclasses import dataclass, field
from functools import wraps

from flask import current_app, request
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from limits import parse
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter
from werkzeug.exceptions import TooManyRequests

DEFAULTS = {
    # Sign-in: failed attempts for one email (right password or not, then refused) and from one address.
    "SIGN_IN_LIMIT_PER_EMAIL": "10 per 15 minutes",
    "SIGN_IN_LIMIT_PER_ADDRESS": "100 per 15 minutes",
    # Forgot password: every request counts.
    "RESET_LIMIT_PER_EMAIL": "5 per hour",
    "RESET_LIMIT_PER_ADDRESS": "30 per hour",
    # Invitations: every POST counts.
    "INVITE_LIMIT_PER_EMAIL": "5 per day",
    "INVITE_LIMIT_PER_ADDRESS": "50 per hour",
}
EXTENSION = "settle_throttle"
log = logging.getLogger(__name__)


def init_app(app) -> None:
    config = app.config
    for name, default in DEFAULTS.items():
        config.setdefault(name, os.environ.get(name) or default)
    config.setdefault("RATELIMIT_ENABLED", os.environ.get("THROTTLE_ENABLED", "1") != "0")
    config.setdefault("THROTTLE_STORAGE_URI", os.environ.get("THROTTLE_STORAGE_URI") or config.get("REDIS_URL")
                      or "memory://")
    config.setdefault("THROTTLE_KEY_PREFIX", os.environ.get("THROTTLE_KEY_PREFIX") or "settle")
    config.setdefault("API_RATE_LIMIT", int(os.environ.get("API_RATE_LIMIT") or 600))
    for name in DEFAULTS:
        parse(config[name])  # a bad setting stops the start, naming the limit
    limiter = Limiter(key_func=get_remote_address, storage_uri=config["THROTTLE_STORAGE_URI"],
                      strategy="moving-window", key_prefix=config["THROTTLE_KEY_PREFIX"])
    limiter.request_filter(lambda: True)  # no automatic limits: the views ask explicitly (below)
    limiter.init_app(app)
    app.extensions[EXTENSION] = limiter
    # When the shared storage (Redis) cannot be reached, each process counts on its own rather than refusing
    # every sign-in or letting every attempt through.
    app.extensions[EXTENSION + "_fallback"] = MovingWindowRateLimiter(MemoryStorage())


def _limit_text(setting: str) -> str:
    if setting == "API_LIMIT":  # a number of calls a minute (API_RATE_LIMIT)
        return f"{int(current_app.config['API_RATE_LIMIT'])} per minute"
    return current_app.config[setting]


def limiter() -> Limiter:
    return current_app.extensions[EXTENSION]


def _run(method: str, *args):
    """`method` (test, hit, get_window_stats) of the limiter's strategy; of the in-process fallback when the
    storage fails."""
    try:
        return getattr(limiter().limiter, method)(*args)
    except Exception:  # noqa: BLE001 - Redis down: count in this process meanwhile
        log.warning("throttle storage unreachable: counting in this process", exc_info=True)
        return getattr(current_app.extensions[EXTENSION + "_fallback"], method)(*args)


def _email_key(email: str) -> str:
    return hashlib.sha256((email or "").strip().lower().encode("utf-8", "surrogatepass")).hexdigest()[:32]


@dataclass
class Gate:
    """The limits that apply to one request: (setting, scope, key) each."""

    limits: list = field(default_factory=list)

    def _items(self):
        prefix = current_app.config["THROTTLE_KEY_PREFIX"]
        for setting, scope, key in self.limits:
            yield parse(_limit_text(setting)), (prefix, scope, key)

    @property
    def enabled(self) -> bool:
        return bool(current_app.config.get("RATELIMIT_ENABLED", True))

    @property
    def refused(self) -> bool:
        """Whether any of the limits is used up (nothing is counted)."""
        if not self.enabled:
            return False
        return any(not _run("test", item, *keys) for item, keys in self._items())

    def count(self) -> None:
        """Count this attempt against every limit."""
        if not self.enabled:
            return
        for item, keys in self._items():
            _run("hit", item, *keys)

    failed = count  # sign-in counts failed attempts

    def retry_after(self) -> int:
        """Seconds until every used-up limit has room again (for Retry-After)."""
        now, wait = time.time(), 1
        for item, keys in self._items():
            stats = _run("get_window_stats", item, *keys)
            if stats.remaining <= 0:
                wait = max(wait, math.ceil(stats.reset_time - now))
        return wait

    def take(self) -> bool:
        """Count this attempt if no limit is used up; False (nothing counted) when refused."""
        if self.refused:
            return False
        self.count()
        return True


def _address() -> str:
    return get_remote_address() or "unknown"


def sign_in_gate(email: str) -> Gate:
    """Sign-in: refused while the email or the address has its failed attempts used up."""
    return Gate([("SIGN_IN_LIMIT_PER_EMAIL", "sign-in-email", _email_key(email)),
                 ("SIGN_IN_LIMIT_PER_ADDRESS", "sign-in-address", _address())])


def reset_gate(email: str) -> Gate:
    """Forgot password: every request for an email and from an address counts."""
    return Gate([("RESET_LIMIT_PER_EMAIL", "reset-email", _email_key(email)),
                 ("RESET_LIMIT_PER_ADDRESS", "reset-address", _address())])


def invitation_gate(email: str) -> Gate:
    return Gate([("INVITE_LIMIT_PER_EMAIL", "invite-email", _email_key(email)),
                 ("INVITE_LIMIT_PER_ADDRESS", "invite-address", _address())])


def api_gate(token_key: str) -> Gate:
    """The back office API: every call with a token counts, API_RATE_LIMIT a minute (views/api.py)."""
    return Gate([("API_LIMIT", "api-token", token_key)])


def too_many(gate: Gate):
    """Refuse the request with 429 (views/errors.py words it), saying when to try again."""
    raise TooManyRequests(retry_after=gate.retry_after())


def invitation_limit(view):
    """For the invitation view: every POST counts per invited email (the form's `email`) and per address;
    used up: 429 and the view does not run."""

    @wraps(view)
    def wrapped(*args, **kwargs):
        if request.method == "POST":
            gate = invitation_gate(request.form.get("email") or "")
            if not gate.take():
                too_many(gate)
        return view(*args, **kwargs)

    return wrapped
