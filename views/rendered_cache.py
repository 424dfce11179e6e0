"""Rendered parts of pages, found again by a key that names everything they show (Flask-Caching).

The invoice list's rows are most of what a list page costs to render, and the same rows come back again and
again — on other pages, in other filters and sorts, for colleagues of the same company. Each row is kept under
a key made of everything it shows (models/invoice_list.py: `rendered_row_key`), read fresh from the database with the
page, so nothing is ever invalidated by hand and no write can leave a row stale. Cached rows hold no CSRF token.

Where they are kept: Redis when REDIS_URL is set (every worker and host shares them; a page's rows are fetched in
one round trip), else each process's memory (`LRUCache` below, least recently used out); `SETTLE_RENDER_CACHE_MB=0` (config RENDER_CACHE_MB)
turns caching off.
"""
from __future__ import annotations

import hashlib

import threading

import cachetools
from flask import Flask, current_app
from flask_caching import Cache
from flask_caching.backends.base import BaseCache

cache = Cache()


class LRUCache(BaseCache):
    """A process's rendered parts, the least recently used dropped when full (a Flask-Caching backend: CACHE_TYPE
    names this class). Flask-Caching's SimpleCache is no LRU: once at its threshold, every new item makes it sort
    all the others to drop one (cachelib's `_remove_older`), which tripled a busy worker's CPU per request as soon
    as its cache had filled. A part's key names everything it shows (models/invoice_list.py), so a part never goes
    stale and timeouts are not needed: the budget alone decides what stays."""

    def __init__(self, threshold: int = 500, default_timeout: int = 300, **options):
        super().__init__(default_timeout=default_timeout)
        self._parts = cachetools.LRUCache(maxsize=threshold)
        self._lock = threading.Lock()  # gunicorn's threaded workers share a process's cache

    @classmethod
    def factory(cls, app, config, args, kwargs):
        return cls(*args, threshold=config["CACHE_THRESHOLD"], **kwargs)

    def get(self, key):
        with self._lock:
            return self._parts.get(key)

    def set(self, key, value, timeout=None):
        with self._lock:
            self._parts[key] = value
        return True

    def add(self, key, value, timeout=None):
        with self._lock:
            if key in self._parts:
                return False
            self._parts[key] = value
        return True

    def delete(self, key):
        with self._lock:
            return self._parts.pop(key, None) is not None

    def has(self, key):
        with self._lock:
            return key in self._parts

    def clear(self):
        with self._lock:
            self._parts.clear()
        return True


def config_for(config) -> dict:
    megabytes = float(config.get("RENDER_CACHE_MB") or 0)
    if megabytes <= 0:
        return {"CACHE_TYPE": "NullCache", "CACHE_NO_NULL_WARNING": True}
    if config.get("REDIS_URL"):
        return {"CACHE_TYPE": "RedisCache", "CACHE_REDIS_URL": config["REDIS_URL"],
                "CACHE_KEY_PREFIX": config.get("RENDER_CACHE_KEY_PREFIX") or "settle:rendered:",
                "CACHE_DEFAULT_TIMEOUT": 24 * 3600}
    # A rendered row is about 1.5 KB: the item threshold keeps a process's share near the budget.
    return {"CACHE_TYPE": "views.rendered_cache.LRUCache",
            "CACHE_THRESHOLD": max(64, int(megabytes * 1024 * 1024 / 2048)),
            "CACHE_DEFAULT_TIMEOUT": 24 * 3600}


def init_app(app: Flask) -> None:
    cache.init_app(app, config=config_for(app.config))
    app.extensions["settle_rendered_stats"] = {"hits": 0, "misses": 0}


def _name(key: tuple) -> str:
    return hashlib.blake2b(repr(key).encode(), digest_size=20).hexdigest()


def rendered_parts(keys: list, render, counted: bool = True) -> list[str]:
    """The rendering of each key, fetched at once; `render(indexes)` renders those not found (a list of str).

    A call whose parts were all found counts as a hit, one that rendered any as a miss (tests and the benchmark
    read `stats()`; `counted=False` leaves a call out of them)."""
    stats = current_app.extensions["settle_rendered_stats"] if counted else {"hits": 0, "misses": 0}
    if not keys:
        return []
    names = [_name(key) for key in keys]
    found = cache.get_many(*names)
    missing = [i for i, html in enumerate(found) if html is None]
    if not missing:
        stats["hits"] += 1
        return found
    stats["misses"] += 1
    fresh = render(missing)
    for i, html in zip(missing, fresh):
        found[i] = html
    cache.set_many({names[i]: found[i] for i in missing})
    return found


def stats() -> dict:
    """Pages whose parts all came from the cache (hits) and pages that rendered any (misses), since start."""
    return current_app.extensions["settle_rendered_stats"]
