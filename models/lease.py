"""A lease on a periodic job: one worker at a time runs it, and a worker that dies never keeps it.

The row `job_lease(name)` names the holder and when its lease ends. Taking it is one compare-and-set
statement (free, expired, or already ours); the holder renews it while it works (services/job_lock.py) and
deletes it when done. A worker killed with SIGKILL stops renewing, so its lease ends `ttl` later and the
next worker takes it — no lock to flush by hand. The lease lives in the database every host shares, so it
is one lock for every worker on every machine (and needs no Redis).
"""
from __future__ import annotations

from datetime import datetime, timedelta

from peewee import CharField, DateTimeField, IntegrityError

from . import BaseModel, write_transaction


class JobLease(BaseModel):
    name = CharField(max_length=60, primary_key=True)
    holder = CharField(max_length=64)
    expires_at = DateTimeField()

    class Meta:
        table_name = "job_lease"

    @classmethod
    def take(cls, name: str, holder: str, now: datetime, ttl: timedelta) -> bool:
        """Take (or extend) the lease for `holder`; False while another holder's lease runs."""
        with write_transaction():
            taken = (cls.update(holder=holder, expires_at=now + ttl)
                     .where(cls.name == name, (cls.expires_at < now) | (cls.holder == holder)).execute())
            if taken:
                return True
            if cls.select().where(cls.name == name).exists():
                return False
        try:
            with write_transaction():
                cls.insert(name=name, holder=holder, expires_at=now + ttl).execute()
            return True
        except IntegrityError:  # another worker made the row first
            return False

    @classmethod
    def renew(cls, name: str, holder: str, now: datetime, ttl: timedelta) -> bool:
        """Extend our lease; False when it is no longer ours (it ran out and someone else took it)."""
        with write_transaction():
            return cls.update(expires_at=now + ttl).where(cls.name == name, cls.holder == holder).execute() == 1

    @classmethod
    def release(cls, name: str, holder: str) -> None:
        with write_transaction():
            cls.delete().where(cls.name == name, cls.holder == holder).execute()

    @classmethod
    def holder_of(cls, name: str, now: datetime) -> str | None:
        lease = cls.get_or_none(cls.name == name)
        return lease.holder if lease is not None and lease.expires_at >= now else None
