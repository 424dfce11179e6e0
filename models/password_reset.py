"""Forgotten passwords: a reset link by email, single use, valid `VALID_FOR`.

`request_reset(email, locale)` answers the same (nothing) for every email; for an account it records a
`PasswordReset` and queues the email in the same transaction. The link's token is made when the job composes the
email (`issue_token`) and only its digest is stored (models/tokens.py), so the token is never in the database in
clear, not even in the outbox. `reset_password(token, …)` sets the password once, ends every session of the user
and spends every other open link of theirs.
"""
from __future__ import annotations

from datetime import timedelta

from peewee import CharField, DateTimeField, ForeignKeyField

from . import BaseModel, clock, db
from .customer import User
from .outbox import OutboxEmail
from .passwords import check_new_password, set_password
from .refusal import Refusal
from .tokens import looks_like_token, new_token, token_digest

VALID_FOR = timedelta(minutes=60)
PASSWORD_RESET = "password_reset"  # the outbox kind (services/password_mail.py composes it)


class PasswordReset(BaseModel):
    user = ForeignKeyField(User, backref="password_resets", on_delete="CASCADE", index=True)
    digest = CharField(max_length=64, null=True, unique=True)
    created_at = DateTimeField(default=clock.utcnow)
    expires_at = DateTimeField()
    used_at = DateTimeField(null=True)

    class Meta:
        table_name = "password_reset"

    @property
    def open(self) -> bool:
        return self.used_at is None and clock.utcnow() < self.expires_at

    def issue_token(self) -> str | None:
        """A new token for this reset's link (the job, when it composes the email); None once it is used or
        expired. A retried email gets a new token: only the last one sent opens the link."""
        if not self.open:
            return None
        clear, digest = new_token()
        changed = (PasswordReset.update(digest=digest)
                   .where(PasswordReset.id == self.id, PasswordReset.used_at.is_null(),
                          PasswordReset.expires_at > clock.utcnow()).execute())
        return clear if changed else None


def request_reset(email: str, locale: str) -> None:
    """Someone asked for a reset link for `email`: queue one if it is an account's. Answers nothing either way."""
    email = (email or "").strip().lower()[:254]
    user = User.get_or_none(User.email == email) if email else None
    if user is None:
        return
    with db.atomic():
        reset = PasswordReset.create(user=user, expires_at=clock.utcnow() + VALID_FOR)
        OutboxEmail.queue(PASSWORD_RESET, user.email, user.locale or locale, user=user, reset=reset.id)


def reset_for(token: str | None) -> PasswordReset | None:
    """The open reset whose link carries `token`, or None (unknown, used or expired)."""
    if not looks_like_token(token):
        return None
    reset = PasswordReset.get_or_none(PasswordReset.digest == token_digest(token))
    return reset if reset is not None and reset.open else None


def reset_password(token: str, password: str, repeat: str) -> User:
    """Set the password of the link's account once; refuses a used, expired or unknown link and a password the
    rule does not allow (models/passwords.py). Every session of the user ends."""
    reset = reset_for(token)
    if reset is None:
        raise Refusal("reset_link_invalid")
    user = User.get_by_id(reset.user_id)
    check_new_password(password, repeat, user.email)
    now = clock.utcnow()
    with db.atomic():
        spent = (PasswordReset.update(used_at=now)
                 .where(PasswordReset.id == reset.id, PasswordReset.used_at.is_null()).execute())
        if not spent:  # used by a request a moment ago
            raise Refusal("reset_link_invalid")
        PasswordReset.update(used_at=now).where(PasswordReset.user == user.id,
                                                PasswordReset.used_at.is_null()).execute()
        set_password(user, password)
    return user
