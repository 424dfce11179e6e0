"""Rendered parts of pages, kept in each worker process and found again by everything they show.

Rendering the invoice list's 25 rows is most of what a list request costs, and most list requests
ask for a page that has not changed since it was last rendered: the same filters, the same data.
A `RenderedCache` keeps such renderings, least recently used first out, within a byte budget.

The rules for whoever keys something here:
- The key names everything the rendering shows: the data's versions (the database moves them on
  every write, see InvoiceSummary.version), the language, the day, the query string, the account.
  Nothing is ever invalidated by hand, so no write path can forget to.
- The rendering holds nothing personal beyond what the key names. The CSRF token differs per
  session: `store()` swaps it for a placeholder and `fetch()` puts the request's own token back.

SETTLE_RENDER_CACHE_MB sets the budget per worker process (default 16; 0 turns caching off).
"""
from __future__ import annotations

import os
import threading
from collections import OrderedDict

from flask import current_app

_TOKEN_PLACEHOLDER = "\x00csrf\x00"  # can never occur in rendered HTML (NUL is refused on input)
_TOKEN_PLACEHOLDER_BYTES = _TOKEN_PLACEHOLDER.encode()


def _take_token(part: str | bytes, token: str) -> str | bytes:
    if not token:
        return part
    if isinstance(part, bytes):
        return part.replace(token.encode(), _TOKEN_PLACEHOLDER_BYTES)
    return str(part).replace(token, _TOKEN_PLACEHOLDER)


def _put_token(part: str | bytes, token: str) -> str | bytes:
    if isinstance(part, bytes):
        return part.replace(_TOKEN_PLACEHOLDER_BYTES, token.encode())
    return part.replace(_TOKEN_PLACEHOLDER, token)


class RenderedCache:
    """A least-recently-used map of key -> tuple of rendered parts (str, or bytes ready to send), bounded
    by their total size."""

    def __init__(self, max_bytes: int):
        self.max_bytes = max_bytes
        self._items: OrderedDict = OrderedDict()
        self._size = 0
        self._lock = threading.Lock()  # the development server and tests run threads
        self.hits = self.misses = 0

    @staticmethod
    def _cost(parts: tuple) -> int:
        return sum(len(part) for part in parts) + 200

    def fetch(self, key, token: str) -> tuple | None:
        """The renderings stored under `key`, with `token` as their CSRF token; None if there are none."""
        if not self.max_bytes:
            return None
        with self._lock:
            parts = self._items.get(key)
            if parts is None:
                self.misses += 1
                return None
            self._items.move_to_end(key)
            self.hits += 1
        return tuple(_put_token(part, token) for part in parts)

    def store(self, key, parts: tuple, token: str) -> None:
        """Keep `parts` (strings rendered with `token` as the CSRF token) under `key`."""
        if not self.max_bytes:
            return
        parts = tuple(_take_token(part, token) for part in parts)
        cost = self._cost(parts)
        if cost > self.max_bytes // 8:
            return  # one huge rendering would push out everything else
        with self._lock:
            previous = self._items.pop(key, None)
            if previous is not None:
                self._size -= self._cost(previous)
            self._items[key] = parts
            self._size += cost
            while self._size > self.max_bytes:
                _, dropped = self._items.popitem(last=False)
                self._size -= self._cost(dropped)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
            self._size = 0

    def __len__(self) -> int:
        return len(self._items)


def rendered_cache() -> RenderedCache:
    """The current app's cache (one per app, so two apps in one process never share renderings)."""
    cache = current_app.extensions.get("settle_rendered")
    if cache is None:
        megabytes = float(current_app.config.get("RENDER_CACHE_MB", os.environ.get("SETTLE_RENDER_CACHE_MB", 16)))
        cache = current_app.extensions["settle_rendered"] = RenderedCache(int(megabytes * 1024 * 1024))
    return cache
