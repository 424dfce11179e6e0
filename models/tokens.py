"""Secret tokens for links in emails: only their digest is ever stored."""
from __future__ import annotations

import hashlib
import secrets


def new_token() -> tuple[str, str]:
    """A new unguessable token (256 random bits, URL-safe) and the digest to store instead of it."""
    clear = secrets.token_urlsafe(32)
    return clear, token_digest(clear)


def token_digest(clear: str) -> str:
    """What is stored for a token: its SHA-256, in hex."""
    return hashlib.sha256(clear.encode("utf-8", "surrogatepass")).hexdigest()
