"""The portal's one clock: what day it is (overdue, cash discounts, aging) and the moment of a write.

Everything asks here rather than calling `date.today()` itself, so a page, its counts and its cache key
agree on the day, and tests set the day in one place (`set_today`, the `clock` fixture).
"""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

_fixed_today: date | None = None
_offset = 0.0  # seconds the tests moved the moment on (invitation links)


def today() -> date:
    return _fixed_today or date.today()


def utcnow() -> datetime:
    """Now in UTC, naive (as stored)."""
    return datetime.now(timezone.utc).replace(tzinfo=None) + timedelta(seconds=_offset)


def travel(seconds: float | None) -> None:
    """Move the moment (not the day) on by `seconds` (tests; None goes back to the real one)."""
    global _offset
    _offset = 0.0 if seconds is None else _offset + seconds


def set_today(day: date | None) -> None:
    """Fix the day (tests; None goes back to the real one)."""
    global _fixed_today
    _fixed_today = day
