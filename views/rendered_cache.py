"""Rendered parts of pages, found again by a key that names everything they show (Flask-Caching).

Rendering the invoice list's rows is most of what a list request costs, and many list requests ask for a
page nothing has changed since it was last rendered. The key (models/invoice_list.py: `cache_key`) holds
the versions the database moves on every write that changes a row, so nothing is ever invalidated by hand
and no write path can leave a page stale. Cached parts hold no CSRF token and nothing personal beyond what
the key names.

Where they are kept: Redis when REDIS_URL is set (every worker and host shares them), else each process's
memory (SimpleCache); `SETTLE_RENDER_CACHE_MB=0` (config RENDER_CACHE_MB) turns caching off.
"""
from __future__ import annotations

import hashlib

from flask import Flask, current_app
from flask_caching import Cache

cache = Cache()


def config_for(config) -> dict:
    megabytes = float(config.get("RENDER_CACHE_MB") or 0)
    if megabytes <= 0:
        return {"CACHE_TYPE": "NullCache", "CACHE_NO_NULL_WARNING": True}
    if config.get("REDIS_URL"):
        return {"CACHE_TYPE": "RedisCache", "CACHE_REDIS_URL": config["REDIS_URL"],
                "CACHE_KEY_PREFIX": config.get("RENDER_CACHE_KEY_PREFIX") or "settle:rendered:",
                "CACHE_DEFAULT_TIMEOUT": 3600}
    # A rendered part is 2-40 KB: the item threshold keeps a process's share near the budget.
    return {"CACHE_TYPE": "SimpleCache", "CACHE_THRESHOLD": max(16, int(megabytes * 1024 / 16)),
            "CACHE_DEFAULT_TIMEOUT": 3600}


def init_app(app: Flask) -> None:
    cache.init_app(app, config=config_for(app.config))
    app.extensions["settle_rendered_stats"] = {"hits": 0, "misses": 0}


def _name(key: tuple) -> str:
    return hashlib.blake2b(repr(key).encode(), digest_size=20).hexdigest()


def rendered(key: tuple | None, render):
    """What `render()` returns for `key`, rendered once and then reused; `key=None` always renders."""
    stats = current_app.extensions["settle_rendered_stats"]
    if key is None:
        return render()
    name = _name(key)
    found = cache.get(name)
    if found is not None:
        stats["hits"] += 1
        return found
    stats["misses"] += 1
    found = render()
    cache.set(name, found)
    return found


def stats() -> dict:
    """Hits and misses of this app since it started (tests and the benchmark read them)."""
    return current_app.extensions["settle_rendered_stats"]
