"""Tokens for links sent by email (password resets, invitations): 256 random bits from `secrets`, shown once in
the link and stored only as their SHA-256 digest, so the database alone opens nothing."""
from __future__ import annotations

import hashlib
import secrets

TOKEN_BYTES = 32


def token_digest(clear: str) -> str:
    """The digest stored for a token (64 hex characters)."""
    return hashlib.sha256(clear.encode("utf-8", "surrogatepass")).hexdigest()


def new_token() -> tuple[str, str]:
    """(the token for the link, its digest for the database)."""
    clear = secrets.token_urlsafe(TOKEN_BYTES)
    return clear, token_digest(clear)


def looks_like_token(text: str | None) -> bool:
    """Worth looking up: the length and alphabet `new_token` makes (anything else is refused without a query)."""
    return bool(text) and 40 <= len(text) <= 64 and all(c.isalnum() or c in "-_" for c in text)
