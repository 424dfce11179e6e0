"""The password rule: long enough, not the email, not one of the most common passwords."""
from __future__ import annotations

from .refusal import Refusal

MIN_LENGTH = 10
MAX_LENGTH = 1000
COMMON = frozenset({
    "password", "password1", "password12", "password123", "passw0rd", "123456789", "1234567890", "12345678910",
    "qwertyuiop", "iloveyou12", "administrator", "qwerty1234", "1q2w3e4r5t", "letmein123", "welcome123",
    "abc1234567", "0987654321", "1111111111", "passord123", "haslo12345", "zaq12wsxcde", "sommer2024",
})


def password_problem(password, email) -> Refusal | None:
    """Why `password` is not acceptable for `email`, or None."""
    if not isinstance(password, str) or len(password) < MIN_LENGTH:
        return Refusal("password_short", "password", minimum=MIN_LENGTH)
    if len(password) > MAX_LENGTH:
        return Refusal("password_long", "password", maximum=MAX_LENGTH)
    folded = password.strip().lower()
    if email and (folded == email.strip().lower() or folded == email.strip().lower().partition("@")[0]):
        return Refusal("password_is_email", "password")
    if folded in COMMON:
        return Refusal("password_common", "password")
    return None
