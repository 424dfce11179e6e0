"""The password rule: long enough, not (containing) the email, not one of the most common passwords.

(A minimal version with the names and refusal codes of the full rule, which vendors a list of common passwords.)
"""
from __future__ import annotations

from .refusal import Refusal

MIN_LENGTH = 10
MAX_LENGTH = 200
COMMON = frozenset({
    "password", "password1", "password12", "password123", "passw0rd", "123456789", "1234567890", "12345678910",
    "qwertyuiop", "iloveyou12", "administrator", "qwerty1234", "1q2w3e4r5t", "letmein123", "welcome123",
    "abc1234567", "0987654321", "1111111111", "passord123", "haslo12345", "zaq12wsxcde", "sommer2024",
})


def password_problem(password: str, email: str | None = None) -> Refusal | None:
    """Why `password` may not be the new password of the account `email`, or None when it may."""
    if not password or not isinstance(password, str):
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
    if lowered in COMMON or lowered.strip("0123456789!.?") in COMMON:
        return Refusal("password_common", field="password")
    return None


def check_new_password(password: str, repeat: str, email: str | None) -> None:
    """Raise the Refusal for a new password and its repetition, or return when they may be set."""
    problem = password_problem(password, email)
    if problem is not None:
        raise problem
    if password != repeat:
        raise Refusal("password_mismatch", field="repeat")
