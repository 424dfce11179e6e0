"""The background worker: runs the back-office job `process-requests` every minute (huey).

Start it beside the web server (`make run` does this for you):

    .venv/bin/huey_consumer worker.huey          # or: make worker

The queue lives in a SQLite file, instance/huey.db, unless REDIS_URL is set
(e.g. redis://localhost:6379/0), when it lives in Redis — use Redis when the portal
runs on more than one machine. Running several workers is safe: one runs the job at a
time (a lease in the database that runs out when its worker dies, services/job_lock.py),
and each request is claimed in a transaction before it is sent, so it is emailed at most once.
"""
from __future__ import annotations

import logging
import os
from pathlib import Path

from huey import RedisHuey, SqliteHuey, crontab

log = logging.getLogger("huey.settle")  # under "huey", so the consumer's log shows it
INSTANCE = Path(__file__).resolve().parent / "instance"


def make_huey(redis_url: str | None = None, instance: Path = INSTANCE, name: str = "settle"):
    """Redis storage when `redis_url` is given, otherwise a SQLite file in instance/. `name` (the queue's name,
    SETTLE_WORKER_QUEUE) lets two portals share one Redis."""
    if redis_url:
        return RedisHuey(name, url=redis_url)
    instance.mkdir(parents=True, exist_ok=True)
    return SqliteHuey(name, filename=str(instance / "huey.db"))


huey = make_huey(os.environ.get("REDIS_URL"), name=os.environ.get("SETTLE_WORKER_QUEUE") or "settle")

_flask_app = None


def flask_app():
    """The portal app, built once per worker process (DATABASE_URL, MAIL_* from the environment)."""
    global _flask_app
    if _flask_app is None:
        from app import create_app

        _flask_app = create_app()
    return _flask_app


def run_job(application=None):
    """One run of the job, as `flask --app app process-requests` does it, holding the job's lease: None when
    another worker holds it (models/lease.py: a lease that runs out, so a killed worker never keeps it)."""
    from models import db
    from services.job_lock import job_lease
    from services.request_job import process_pending_requests

    application = application or flask_app()
    with application.app_context(), db.connection_context():
        with job_lease("process-requests") as held:
            if not held:
                return None
            return process_pending_requests()


# Not huey's lock_task: its lock outlives a consumer killed with SIGKILL (until someone flushes it); the lease
# in run_job() runs out by itself.
@huey.periodic_task(crontab(minute="*"), retries=0)
def process_requests():
    result = run_job()
    if result is None:
        log.info("process-requests: another worker is running it")
        return "busy"
    if result.sent or result.failed or result.retrying or result.unknown:
        log.info("process-requests: %s", result)
    return str(result)
