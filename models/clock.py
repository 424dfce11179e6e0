"""The portal's one clock: what day it is (overdue, cash discounts, aging) and the moment of a write.

Everything asks here rather than calling `date.today()` itself, so a page, its counts and its cache key
agree on the day, and tests set the day in one place (`set_today`, the `clock` fixture).
"""
from __future__ import annotations

from datetime import date, datetime, timezone

_fixed_today: date | None = None
_fixed_now: datetime | None = None


def today() -> date:
    return _fixed_today or date.today()


def utcnow() -> datetime:
    """Now in UTC, naive (as stored)."""
    return _fixed_now or datetime.now(timezone.utc).replace(tzinfo=None)


def set_today(day: date | None) -> None:
    """Fix the day (tests; None goes back to the real day and the real time)."""
    global _fixed_today, _fixed_now
    _fixed_today = day
    if day is None:
        _fixed_now = None


def set_now(moment: datetime | None) -> None:
    """Fix the moment too (tests: links that expire); its day becomes today. None: the real time again."""
    global _fixed_now
    _fixed_now = moment
    set_today(moment.date() if moment else None)
