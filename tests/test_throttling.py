"""Throttling (views/throttle.py, Flask-Limiter): the 11th sign-in for an email answers 429 whether the email
exists or not and whether the password is right or not; the per-address limit counts failures only; forgot
password and invitations are limited; two servers share the count through Redis; known and unknown emails take
the same time (the production hash, scrypt); a body over MAX_CONTENT_LENGTH answers 413 without being read."""
from __future__ import annotations

import io
import re
import statistics
import subprocess
import sys
import time
import uuid
from http.cookiejar import CookieJar
from urllib.error import HTTPError
from urllib.parse import urlencode
from urllib.request import HTTPCookieProcessor, Request, build_opener

import pytest

from tests.conftest import ROOT, free_port, make_app
from tests.world import PASSWORD, USERS

KARI = USERS["kari"][0]
UNKNOWN = "ghost@nowhere.example"


def attempt(client, email, password="wrong-password-1"):
    return client.post("/login", data={"email": email, "password": password})


@pytest.mark.parametrize("email", [KARI, UNKNOWN])
def test_the_eleventh_sign_in_for_an_email_answers_429_right_password_or_not(world, client, email):
    for _ in range(10):
        assert attempt(client, email).status_code == 422
    refused = attempt(client, email, PASSWORD)
    assert refused.status_code == 429
    assert int(refused.headers["Retry-After"]) > 0
    page = refused.get_data(as_text=True)
    assert "Too many failed sign-ins" in page and 'for="password"' in page
    assert client.get("/account").status_code == 302  # not signed in
    # Another email from the same address still signs in.
    assert attempt(client, USERS["ola"][0], PASSWORD).status_code == 303


def test_locked_known_and_unknown_emails_get_the_same_page(world, client):
    pages = {}
    for email in (KARI, UNKNOWN):
        for _ in range(10):
            attempt(client, email)
        response = attempt(client, email, PASSWORD)
        pages[email] = (response.status_code, response.get_data(as_text=True).replace(email, "EMAIL"))
    assert pages[KARI] == pages[UNKNOWN]


def test_per_address_limit_counts_failed_attempts_only(world, client, app):
    app.config["SIGN_IN_LIMIT_PER_ADDRESS"] = "5 per 15 minutes"
    for _ in range(12):  # a busy office signing in from one address
        assert attempt(client, KARI, PASSWORD).status_code == 303
        client.post("/logout")
    for n in range(5):
        assert attempt(client, f"someone{n}@office.example").status_code == 422
    assert attempt(client, USERS["ola"][0], PASSWORD).status_code == 429


@pytest.mark.parametrize("email", [KARI, UNKNOWN])
def test_forgot_password_is_limited_per_email(world, client, app, email):
    app.config["RESET_LIMIT_PER_EMAIL"] = "3 per hour"
    for _ in range(3):
        assert client.post("/password/forgot", data={"email": email}).status_code == 200
    refused = client.post("/password/forgot", data={"email": email})
    assert refused.status_code == 429 and "too many attempts" in refused.get_data(as_text=True).lower()
    assert client.post("/password/forgot", data={"email": "other@else.example"}).status_code == 200


def test_invitation_limit_refuses_with_429_and_does_not_run_the_view(sqlite_url, tmp_path):
    from views.throttle import invitation_limit

    app = make_app(sqlite_url, tmp_path, INVITE_LIMIT_PER_EMAIL="2 per day", INVITE_LIMIT_PER_ADDRESS="3 per hour")
    sent = []

    @invitation_limit
    def invite():
        sent.append(1)
        return "sent"

    app.add_url_rule("/test-invite", "test_invite", invite, methods=["POST"])
    client = app.test_client()
    assert [client.post("/test-invite", data={"email": "a@x.example"}).status_code for _ in range(3)] == [200, 200, 429]
    assert client.post("/test-invite", data={"email": "b@x.example"}).status_code == 200
    assert client.post("/test-invite", data={"email": "c@x.example"}).status_code == 429  # the address: 3 per hour
    assert len(sent) == 3


# ------------------------------------------------------------------ shared through Redis by two servers

REDIS_URL = "redis://127.0.0.1:6379/0"


def _redis_or_skip():
    import redis

    try:
        client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1)
        client.ping()
        return client
    except Exception as error:  # noqa: BLE001
        pytest.skip(f"no Redis at {REDIS_URL}: {error}")


class Browser:
    """A client with cookies that posts the sign-in form with its CSRF token, as a browser does."""

    def __init__(self, base):
        self.base = base
        self.opener = build_opener(HTTPCookieProcessor(CookieJar()))

    def sign_in(self, email, password) -> int:
        page = self.opener.open(f"{self.base}/login", timeout=10).read().decode()
        token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
        data = urlencode({"email": email, "password": password, "csrf_token": token}).encode()
        try:
            with self.opener.open(Request(f"{self.base}/login", data=data), timeout=10) as response:
                return response.status
        except HTTPError as error:
            return error.code


def _gunicorn(port, env):
    return subprocess.Popen([sys.executable, "-m", "gunicorn", "--workers", "1", "--bind", f"127.0.0.1:{port}",
                             "app:app"], cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def _wait(port, process):
    import socket

    deadline = time.time() + 30
    while time.time() < deadline:
        if process.poll() is not None:
            raise RuntimeError("gunicorn died")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("gunicorn did not start")


@pytest.mark.slow  # two gunicorn servers start: several seconds
def test_two_gunicorn_servers_share_the_count_through_redis(sqlite_url, tmp_path):
    import os

    from models import db
    from models.importer import import_data
    from tests.world import world_payload

    redis_client = _redis_or_skip()
    make_app(sqlite_url, tmp_path)
    with db.connection_context():
        import_data(world_payload())
    prefix = f"settle-test-{uuid.uuid4().hex}"
    env = {**os.environ, "DATABASE_URL": sqlite_url, "SECRET_KEY": "gunicorn-test-secret", "REDIS_URL": REDIS_URL,
           "THROTTLE_KEY_PREFIX": prefix, "MAIL_OUTBOX": str(tmp_path / "outbox"), "SETTLE_ENV": "development"}
    ports = [free_port(), free_port()]
    servers = [_gunicorn(port, env) for port in ports]
    try:
        for port, server in zip(ports, servers):
            _wait(port, server)
        first, second = (Browser(f"http://127.0.0.1:{port}") for port in ports)
        for n in range(10):  # five failures on each server
            assert (first if n % 2 else second).sign_in(KARI, "wrong-password-1") == 422
        assert first.sign_in(KARI, PASSWORD) == 429
        assert second.sign_in(KARI, PASSWORD) == 429
        assert any(key.decode().find(prefix) >= 0 for key in redis_client.scan_iter(f"*{prefix}*"))
    finally:
        for server in servers:
            server.terminate()
        for server in servers:
            server.wait(timeout=10)
        for key in redis_client.scan_iter(f"*{prefix}*"):
            redis_client.delete(key)


# ------------------------------------------------------------------ timing and size


@pytest.mark.slow  # 60 sign-ins with the real scrypt: several seconds
def test_known_and_unknown_emails_take_the_same_time_with_scrypt(world, client, app, monkeypatch):
    from werkzeug.security import generate_password_hash

    from models import customer, db
    from models.customer import User

    monkeypatch.setattr(customer, "PASSWORD_HASH_METHOD", "scrypt")  # production's method, for the dummy too
    app.config["RATELIMIT_ENABLED"] = False
    with app.app_context(), db.connection_context():
        User.update(password_hash=generate_password_hash(PASSWORD, method="scrypt")).where(
            User.email == KARI).execute()
    attempt(client, KARI), attempt(client, UNKNOWN)  # warm up
    # The work a sign-in does, measured as this process's CPU time: wall-clock time would also measure whatever
    # else the machine runs at that moment (the suite runs on two workers), which an attacker's median removes.
    times = {KARI: [], UNKNOWN: []}
    for _ in range(30):
        for email in (KARI, UNKNOWN):
            start = time.process_time()
            assert attempt(client, email).status_code == 422
            times[email].append(time.process_time() - start)
    known, unknown = statistics.median(times[KARI]), statistics.median(times[UNKNOWN])
    print(f"\nsign-in, median of 30: known email {known * 1000:.1f} ms, unknown {unknown * 1000:.1f} ms")
    assert known > 0.01  # scrypt really ran
    assert abs(known - unknown) <= 0.2 * max(known, unknown)


class CountingStream(io.BytesIO):
    def __init__(self, data):
        super().__init__(data)
        self.read_bytes = 0

    def read(self, size=-1):
        chunk = super().read(size)
        self.read_bytes += len(chunk)
        return chunk

    def readline(self, size=-1):
        chunk = super().readline(size)
        self.read_bytes += len(chunk)
        return chunk


def test_a_2_mb_form_to_login_answers_413_without_being_read(world, client):
    body = urlencode({"email": KARI, "password": "x" * (2 * 1024 * 1024)}).encode()
    stream = CountingStream(body)
    response = client.post("/login", input_stream=stream, content_length=len(body),
                           content_type="application/x-www-form-urlencoded")
    assert response.status_code == 413
    assert "more than Settle accepts at once (1 MB)" in response.get_data(as_text=True)
    assert stream.read_bytes == 0
    polish = client.post("/login", data={"password": "x" * (2 * 1024 * 1024)}, headers={"Accept-Language": "pl"})
    assert polish.status_code == 413 and "Nic nie zostało zmienione" in polish.get_data(as_text=True)
    assert attempt(client, KARI, PASSWORD).status_code == 303  # and the portal carries on


def test_sign_in_still_works_and_counts_when_the_shared_storage_is_down(sqlite_url, tmp_path):
    from models import db
    from models.importer import import_data
    from tests.world import world_payload

    app = make_app(sqlite_url, tmp_path, THROTTLE_STORAGE_URI=f"redis://127.0.0.1:{free_port()}/0")
    with db.connection_context():
        import_data(world_payload())
    client = app.test_client()
    assert attempt(client, KARI, PASSWORD).status_code == 303
    client.post("/logout")
    for _ in range(10):
        assert attempt(client, UNKNOWN).status_code == 422
    assert attempt(client, UNKNOWN, PASSWORD).status_code == 429


def test_a_2_mb_json_body_under_api_answers_413_in_json(sqlite_url, tmp_path):
    from flask import request

    app = make_app(sqlite_url, tmp_path)
    app.add_url_rule("/api/v1/test-upload", "test_upload", lambda: {"size": len(request.get_data())},
                     methods=["POST"])
    response = app.test_client().post("/api/v1/test-upload", data=b"{" + b" " * (2 * 1024 * 1024) + b"}",
                                      content_type="application/json")
    assert response.status_code == 413
    assert response.get_json()["error"]["code"] == "too_large"
