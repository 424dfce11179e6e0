"""The password rule and checking a password, in one place.

A new password must have at least `MIN_LENGTH` characters, must not contain the account's email (or the part
before the @ when that is long enough to matter) and must not be one of the passwords people choose most often
(`common_passwords.txt`, vendored). Checking a password takes the same time whether the account exists or not:
for an unknown email a dummy hash made with the same method is checked instead.
"""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from werkzeug.security import check_password_hash, generate_password_hash

from . import customer
from .refusal import Refusal

MIN_LENGTH = 10
MAX_LENGTH = 200  # longer is refused before hashing: hashing megabytes costs a worker
COMMON_FILE = Path(__file__).with_name("common_passwords.txt")


@lru_cache(maxsize=1)
def common_passwords() -> frozenset:
    lines = COMMON_FILE.read_text(encoding="utf-8").splitlines()
    return frozenset(line.strip().lower() for line in lines if line.strip() and not line.startswith("#"))


def password_problem(password: str, email: str | None = None) -> Refusal | None:
    """Why `password` may not be the new password of the account `email`, or None when it may."""
    if not password:
        return Refusal("password_missing", field="password")
    if len(password) < MIN_LENGTH:
        return Refusal("password_short", field="password", length=MIN_LENGTH)
    if len(password) > MAX_LENGTH:
        return Refusal("password_long", field="password", length=MAX_LENGTH)
    lowered = password.lower()
    email = (email or "").strip().lower()
    local = email.partition("@")[0]
    if email and (email in lowered or (len(local) >= 4 and local in lowered)):
        return Refusal("password_email", field="password")
    if lowered in common_passwords() or lowered.strip("0123456789!.?") in common_passwords():
        return Refusal("password_common", field="password")
    return None


def check_new_password(password: str, repeat: str, email: str | None) -> None:
    """Raise the Refusal for a new password and its repetition, or return when they may be set."""
    problem = password_problem(password, email)
    if problem is not None:
        raise problem
    if password != repeat:
        raise Refusal("password_mismatch", field="repeat")


@lru_cache(maxsize=4)
def _dummy_hash(method: str) -> str:
    return generate_password_hash("not-a-password-of-anyone", method=method)


def verify_password(user, password: str) -> bool:
    """Whether `password` is `user`'s; `user` None (unknown email) costs the same time and answers False."""
    password = (password or "")[:1000]
    if user is None:
        check_password_hash(_dummy_hash(customer.PASSWORD_HASH_METHOD), password or "x")
        return False
    if not password:
        check_password_hash(user.password_hash, "x")
        return False
    return user.check_password(password)


def set_password(user, password: str) -> None:
    """Store `user`'s new password and end every session made with the old one (call inside a transaction)."""
    from .sessions import end_every_session

    user.set_password(password)
    customer.User.update(password_hash=user.password_hash).where(customer.User.id == user.id).execute()
    user.session_generation = end_every_session(user.id)


def change_password(user, current: str, new: str, repeat: str) -> None:
    """Change password on My account: the current one must be right and the new one allowed; every other
    session of the user ends (the caller signs this browser in again)."""
    from . import db

    if not verify_password(user, current):
        raise Refusal("password_wrong", field="current")
    check_new_password(new, repeat, user.email)
    with db.atomic():
        set_password(user, new)
