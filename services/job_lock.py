"""One worker at a time for a periodic job, with a lock no dead worker can keep (models/lease.py).

    with job_lease("process-requests") as held:
        if held: ...run the job...

The lease lasts `ttl` (SETTLE_JOB_LEASE_SECONDS, 30 s by default) and a thread renews it every third of that
while the job runs, so a long run keeps it and a killed worker loses it within `ttl`. If renewing ever finds
the lease taken by someone else, `held.lost` turns true; the job may stop between items (each item is
claimed on its own anyway, so even two runs at once send nothing twice).
"""
from __future__ import annotations

import logging
import os
import socket
import threading
import uuid
from contextlib import contextmanager
from datetime import timedelta

from models import clock, db
from models.lease import JobLease

log = logging.getLogger(__name__)


def default_ttl() -> timedelta:
    return timedelta(seconds=float(os.environ.get("SETTLE_JOB_LEASE_SECONDS") or 30))


class Held:
    def __init__(self, name: str, holder: str, taken: bool):
        self.name, self.holder, self.taken, self.lost = name, holder, taken, False

    def __bool__(self) -> bool:
        return self.taken and not self.lost


@contextmanager
def job_lease(name: str, ttl: timedelta | None = None):
    ttl = ttl or default_ttl()
    holder = f"{socket.gethostname()[:40]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
    held = Held(name, holder, JobLease.take(name, holder, clock.utcnow(), ttl))
    if not held.taken:
        yield held
        return
    stop = threading.Event()

    def renew():
        while not stop.wait(ttl.total_seconds() / 3):
            try:
                with db.connection_context():
                    if not JobLease.renew(name, holder, clock.utcnow(), ttl):
                        held.lost = True
                        log.warning("job %s: the lease was taken over by another worker", name)
                        return
            except Exception:  # noqa: BLE001 - a database hiccup: try again at the next beat
                log.exception("job %s: could not renew the lease", name)

    renewer = threading.Thread(target=renew, name=f"lease-{name}", daemon=True)
    renewer.start()
    try:
        yield held
    finally:
        stop.set()
        renewer.join(timeout=10)
        JobLease.release(name, holder)
