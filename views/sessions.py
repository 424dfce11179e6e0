"""Signing a browser in and out, and the lifetimes of a session (models/sessions.py says what a session key is).

- Flask-Login's user loader (`load_user`) takes the session key from the session or the remember cookie and
  loads the user in one query only while the key is still good (models/signed_in.py: `session_user`).
- Idle lifetime (`SESSION_IDLE_MINUTES`): a session not used for that long ends, unless it was started with
  "Keep me signed in"; the time of the last request is kept in the (signed) session.
- Absolute lifetime: `SESSION_LIFETIME_HOURS` after sign-in, or `REMEMBER_DAYS` with "Keep me signed in"
  (also the remember cookie's lifetime), whatever the activity.
- A request whose session ended this way is treated as signed out; the sign-in page then says "Your session
  expired" (views/auth.py: `unauthorized`).
"""
from __future__ import annotations

import os
from datetime import timedelta

from flask import current_app, g, request, session
from flask_login import login_user, logout_user, user_loaded_from_cookie

from models import clock
from models.sessions import SessionKey, end_every_session, end_session, start_session
from models.signed_in import session_user

SEEN = "seen"  # when this session last made a request (seconds since the epoch)
KEPT = "kept"  # started with "Keep me signed in"
SEEN_RESOLUTION = 60  # the session cookie is rewritten at most once a minute for it


def _setting(name: str, default: float) -> float:
    return float(os.environ.get(name) or default)


def init_app(app, login_manager) -> None:
    config = app.config
    config.setdefault("SESSION_IDLE_MINUTES", _setting("SESSION_IDLE_MINUTES", 60))
    config.setdefault("SESSION_LIFETIME_HOURS", _setting("SESSION_LIFETIME_HOURS", 12))
    config.setdefault("REMEMBER_DAYS", _setting("REMEMBER_DAYS", 30))
    config.setdefault("REMEMBER_COOKIE_DURATION", timedelta(days=config["REMEMBER_DAYS"]))
    login_manager.user_loader(load_user)
    app.before_request(_idle_check)


def lifetimes() -> tuple[timedelta, timedelta]:
    """(absolute lifetime of a session, of one started with "Keep me signed in")."""
    config = current_app.config
    return timedelta(hours=config["SESSION_LIFETIME_HOURS"]), timedelta(days=config["REMEMBER_DAYS"])


def load_user(session_id):
    """Flask-Login's user loader: the user of a still-good session key, else None (signed out)."""
    user = session_user(session_id, *lifetimes())
    if user is None:
        g.session_ended = True
    return user


def _idle_check():
    if request.endpoint == "static" or SEEN not in session:
        return
    now = clock.epoch()
    seen = session.get(SEEN) or 0
    if not session.get(KEPT) and now - seen > current_app.config["SESSION_IDLE_MINUTES"] * 60:
        forget()
        g.session_ended = True
    elif now - seen >= SEEN_RESOLUTION:
        session[SEEN] = int(now)


@user_loaded_from_cookie.connect
def _restored(app, user=None, **extra):
    """Signed in again from the remember cookie: the new session is a kept one."""
    session[SEEN] = int(clock.epoch())
    session[KEPT] = True


def sign_in(user, kept: bool) -> None:
    """Sign this browser in as `user` with a new session key (and a new remember cookie when `kept`)."""
    start_session(user, kept)
    login_user(user, remember=kept, duration=current_app.config["REMEMBER_COOKIE_DURATION"] if kept else None)
    session[SEEN] = int(clock.epoch())
    session[KEPT] = kept


def forget() -> None:
    """This browser is signed out (its cookies cleared); the session key itself is not ended."""
    logout_user()
    session.pop(SEEN, None)
    session.pop(KEPT, None)


def current_key(user) -> SessionKey | None:
    return SessionKey.parse(user.get_id()) if user is not None and user.is_authenticated else None


def sign_out(user) -> None:
    """Sign out: this browser's session and remember cookie end for good (a copy of them signs no one in)."""
    key = current_key(user)
    if key is not None:
        absolute, kept = lifetimes()
        end_session(key, kept if key.kept else absolute)
    forget()


def sign_out_everywhere(user) -> None:
    """Every session and remember cookie of the user ends, on every device, this one included."""
    end_every_session(user.id)
    forget()


def renew(user) -> None:
    """After the user's sessions were ended (a password change): sign this browser in again, as it was."""
    key = current_key(user)
    sign_in(user, kept=bool(key and key.kept))
