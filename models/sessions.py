"""Sessions that really end (CONTRACT "Users, sessions, roles").

A signed-in browser carries a `SessionKey` — "<user id>:<generation>:<nonce>:<issued>:<kept>" — in its session
cookie and, with "Keep me signed in", in its remember cookie (both signed by the app). It is accepted only while

- its generation is the user's `session_generation` (Sign out everywhere, a password change or reset move it on:
  every session made before ends at once, on every device);
- its nonce is not among the `EndedSession`s (Sign out ends this browser's session and remember cookie only);
- it is younger than its absolute lifetime (from `issued`, which is inside the signed value, so a browser cannot
  stretch it).

The nonce is new at every sign-in, so the remember cookie is never the same value twice. The check runs in the
one query that loads the signed-in user (models/signed_in.py: `session_user`).
"""
from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from peewee import CharField, DateTimeField, ForeignKeyField

from . import BaseModel, clock, db
from .customer import User


class EndedSession(BaseModel):
    nonce = CharField(max_length=32, primary_key=True)
    user = ForeignKeyField(User, on_delete="CASCADE")
    until = DateTimeField(index=True)  # when it would have expired anyway: the row may go then

    class Meta:
        table_name = "ended_session"


@dataclass(frozen=True)
class SessionKey:
    user_id: int
    generation: int
    nonce: str
    issued: int  # seconds since the epoch
    kept: bool  # "Keep me signed in": a remember cookie carries it too

    def __str__(self) -> str:
        return f"{self.user_id}:{self.generation}:{self.nonce}:{self.issued}:{int(self.kept)}"

    @classmethod
    def new(cls, user: User, kept: bool) -> "SessionKey":
        return cls(user.id, user.session_generation or 0, secrets.token_urlsafe(16), int(clock.epoch()), kept)

    @classmethod
    def parse(cls, text) -> "SessionKey | None":
        """The key in a session or remember cookie, or None for anything else (an old cookie's bare user id)."""
        if not isinstance(text, str) or len(text) > 120:
            return None
        parts = text.split(":")
        if len(parts) != 5 or not 16 <= len(parts[2]) <= 32 or parts[4] not in ("0", "1"):
            return None
        try:
            user_id, generation, issued = int(parts[0]), int(parts[1]), int(parts[3])
        except ValueError:
            return None
        if not (0 < user_id < 2**63 and 0 <= generation < 2**31 and 0 <= issued < 2**40):
            return None
        return cls(user_id, generation, parts[2], issued, parts[4] == "1")

    def expired(self, lifetime: timedelta, now: float | None = None) -> bool:
        return (now if now is not None else clock.epoch()) >= self.issued + lifetime.total_seconds()


def start_session(user: User, kept: bool) -> User:
    """Give `user` a new session key (before Flask-Login's `login_user`, which stores `user.get_id()`)."""
    user.session_key = str(SessionKey.new(user, kept))
    return user


def end_session(key: SessionKey, lifetime: timedelta) -> None:
    """This one session (and its remember cookie) no longer signs anyone in."""
    now = clock.utcnow()
    until = datetime.fromtimestamp(key.issued, timezone.utc).replace(tzinfo=None) + lifetime
    with db.atomic():
        EndedSession.delete().where(EndedSession.until < now).execute()  # the expired ones are not needed
        if until > now:
            (EndedSession.insert(nonce=key.nonce, user=key.user_id, until=until)
             .on_conflict_ignore().execute())


def end_every_session(user_id: int) -> int:
    """Every session and remember cookie of the user made until now ends; returns the new generation."""
    User.update(session_generation=User.session_generation + 1).where(User.id == user_id).execute()
    return User.select(User.session_generation).where(User.id == user_id).scalar() or 0
