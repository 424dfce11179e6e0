"""The worker (huey with Redis, worker.py) as it runs for real: a consumer killed with SIGKILL in the middle of
the job never stops the job — a consumer started the README's way (no --flush-locks) takes over once the
dead one's lease has run out (models/lease.py), and sends what is pending. Also the lease itself, on both
databases."""
from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from datetime import date, timedelta
from pathlib import Path

import pytest

from tests.conftest import ROOT, free_port, make_app
from tests.test_mail import Inbox, SMTPServer
from tests.world import USERS

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


def test_a_lease_is_one_holder_at_a_time_and_runs_out(db_conn):
    from models.clock import utcnow
    from models.lease import JobLease

    now, ttl = utcnow(), timedelta(seconds=30)
    assert JobLease.take("job", "a", now, ttl)
    assert not JobLease.take("job", "b", now, ttl), "held by a"
    assert JobLease.take("job", "a", now + timedelta(seconds=10), ttl), "a extends its own"
    assert JobLease.renew("job", "a", now + timedelta(seconds=20), ttl)
    assert not JobLease.take("job", "b", now + timedelta(seconds=45), ttl), "renewed: still a's"
    assert JobLease.take("job", "b", now + timedelta(seconds=51), ttl), "a stopped renewing (died): b takes it"
    assert not JobLease.renew("job", "a", now + timedelta(seconds=52), ttl), "a learns it lost it"
    JobLease.release("job", "a")
    assert JobLease.holder_of("job", now + timedelta(seconds=52)) == "b", "a cannot release b's lease"
    JobLease.release("job", "b")
    assert JobLease.take("job", "c", now, ttl)


def test_the_lease_is_renewed_while_the_job_runs(db_conn, monkeypatch):
    from models.clock import utcnow
    from models.lease import JobLease
    from services.job_lock import job_lease

    ttl = timedelta(seconds=0.6)
    with job_lease("long-job", ttl) as held:
        assert held
        time.sleep(1.5)  # longer than the lease: kept only by renewing
        assert not JobLease.take("long-job", "other", utcnow(), ttl) and held
    assert JobLease.take("long-job", "other", utcnow(), ttl), "released at the end"


class Blocking(Inbox):
    """Holds the first message in DATA until released: the job is in the middle of sending."""

    def __init__(self):
        super().__init__()
        self.started, self.release = threading.Event(), threading.Event()

    async def handle_DATA(self, server, session, envelope):
        if not self.started.is_set():
            self.started.set()
            while not self.release.is_set():
                await asyncio.sleep(0.05)
            return "451 try later"
        return await super().handle_DATA(server, session, envelope)


def _redis_or_skip():
    try:
        import redis

        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping()
    except Exception as error:  # noqa: BLE001 - no Redis here
        pytest.skip(f"Redis not reachable at {REDIS_URL}: {error}")


@pytest.mark.slow
def test_a_consumer_killed_mid_job_never_stops_the_job(tmp_path, clock):
    _redis_or_skip()
    from huey import RedisHuey

    from models import db
    from models.customer import User
    from models.importer import import_data
    from models.request import B2BRequest
    from tests.world import world_payload

    url = f"sqlite:///{tmp_path / 'portal.db'}"
    app = make_app(url, tmp_path)
    with app.app_context(), db.connection_context():
        import_data(world_payload(on=date.today()))
        kari = User.get(User.email == USERS["kari"][0])
        first = B2BRequest.request_invoice_copy(kari, "D-001")[0].id

    queue = f"settle-test-{uuid.uuid4().hex[:10]}"
    port = free_port()
    env = {**os.environ, "DATABASE_URL": url, "REDIS_URL": REDIS_URL, "SETTLE_WORKER_QUEUE": queue,
           "MAIL_SERVER": "127.0.0.1", "MAIL_PORT": str(port), "SECRET_KEY": "worker-test",
           "SETTLE_JOB_LEASE_SECONDS": "4", "MAIL_OUTBOX": str(tmp_path / "outbox")}
    consumer_bin = str(Path(sys.executable).parent / "huey_consumer")

    def consumer(name):
        log = open(tmp_path / f"{name}.log", "w")
        # The README's way: no --flush-locks.
        return subprocess.Popen([consumer_bin, "worker.huey", "-w", "1"], cwd=ROOT, env=env, stdout=log,
                                stderr=subprocess.STDOUT)

    def enqueue():  # what the consumer's clock does every minute, now
        subprocess.run([sys.executable, "-c", "import worker; worker.process_requests()"], cwd=ROOT, env=env,
                       check=True, timeout=60)

    processes = []
    try:
        with SMTPServer(Blocking(), port) as server:
            processes.append(consumer("first"))
            enqueue()
            assert server.handler.started.wait(60), (tmp_path / "first.log").read_text()
            with app.app_context(), db.connection_context():
                second = B2BRequest.request_invoice_copy(User.get(User.email == USERS["sara"][0]), "R2-001")[0].id
            os.kill(processes[0].pid, signal.SIGKILL)  # mid-job: holding the job's lock, sending D-001
            processes[0].wait(10)
            server.handler.release.set()

            processes.append(consumer("second"))
            deadline = time.time() + 45
            while time.time() < deadline and not server.handler.messages:
                enqueue()
                time.sleep(2)
            log = (tmp_path / "second.log").read_text()
            assert [m["Subject"].split()[1] for _, m in server.handler.messages] == ["R2-001"], log
        with app.app_context(), db.connection_context():
            assert B2BRequest.get_by_id(second).status == "completed"
            assert B2BRequest.get_by_id(first).status == "pending", "D-001's outcome is unknown: left to its claim"
    finally:
        for process in processes:
            if process.poll() is None:
                process.send_signal(signal.SIGINT)
                try:
                    process.wait(15)
                except subprocess.TimeoutExpired:
                    process.kill()
        RedisHuey(queue, url=REDIS_URL).storage.flush_all()
