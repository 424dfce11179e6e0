"""Fixtures: the app on SQLite and on PostgreSQL, a client with sign-in, a live server for browsers.

Tests that depend on the database take `app` (or `db_app`), which runs each test twice: on a fresh SQLite
file and on a fresh PostgreSQL database created for this run (skipped, with the reason printed, only when
no PostgreSQL server answers). HTTP and page tests that touch nothing database-specific take `web_app`,
which runs once, on SQLite. Either way the schema is made by the migrations (migrations/), once per run,
and each test starts from empty tables.
"""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import shutil
import tempfile
import uuid
from datetime import date
from pathlib import Path

import jinja2
import pytest

# Hashing passwords with scrypt dominates a suite that signs in hundreds of times.
os.environ.setdefault("SETTLE_PASSWORD_HASH_METHOD", "pbkdf2:sha256:1000")

ROOT = Path(__file__).resolve().parent.parent
PG_ADMIN_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
CHROMIUM = os.environ.get("CHROMIUM_PATH") or next(
    (p for p in ("/usr/bin/chromium", "/usr/bin/chromium-browser") if os.path.exists(p)), None)

# ---------------------------------------------------------------------------- databases


def _pg_connect(dbname=None):
    import psycopg2
    from urllib.parse import urlsplit

    parts = urlsplit(PG_ADMIN_URL)
    return psycopg2.connect(host=parts.hostname or "127.0.0.1", port=parts.port or 5432,
                            user=parts.username or "postgres", password=parts.password,
                            dbname=dbname or parts.path.lstrip("/") or "postgres", connect_timeout=3)


@pytest.fixture(scope="session")
def postgres_server():
    """A fresh PostgreSQL database for this test run, dropped afterwards: (url, None) or (None, reason)."""
    try:
        admin = _pg_connect()
    except Exception as error:  # noqa: BLE001 - any failure means "no server here"
        reason = f"PostgreSQL not reachable at {PG_ADMIN_URL}: {error}".strip()
        print(f"\n[settle tests] {reason}; PostgreSQL runs are skipped.", file=sys.stderr)
        yield None, reason
        return
    admin.autocommit = True
    name = f"settle_test_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    with admin.cursor() as cur:
        cur.execute(f'CREATE DATABASE "{name}"')
    base = PG_ADMIN_URL.rsplit("/", 1)[0]
    _migrate(f"{base}/{name}")
    yield f"{base}/{name}", None
    with admin.cursor() as cur:
        cur.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
            (name,))
        cur.execute(f'DROP DATABASE IF EXISTS "{name}"')
    admin.close()


def _migrate(url: str) -> None:
    """Bring the database at `url` to the latest migration (what `flask --app app init-db` does)."""
    import migrations
    from models import open_database

    database = open_database(url)
    database.connect()
    try:
        migrations.migrate(database)
    finally:
        database.close()
        if hasattr(database, "close_all"):
            database.close_all()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory) -> Path:
    """A SQLite file at the latest migration, copied for each test."""
    path = tmp_path_factory.mktemp("schema") / "template.db"
    _migrate(f"sqlite:///{path}")
    return path


def reset_database(url: str, template: Path) -> None:
    """Empty tables at the latest migration at `url`: a copy of the template (SQLite), or emptied (PostgreSQL)."""
    if url.startswith("sqlite"):
        path = Path(url.split(":///", 1)[1])
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        shutil.copyfile(template, path)
        return
    # DELETE, not TRUNCATE: TRUNCATE makes new files for every table (most of a second for the lot). With
    # replication role "replica" the foreign keys and triggers stay quiet while every table is emptied.
    connection = _pg_connect(url.rsplit("/", 1)[1])
    with connection, connection.cursor() as cur:
        cur.execute("SET LOCAL session_replication_role = replica")
        cur.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'migratehistory'")
        for (table,) in cur.fetchall():
            cur.execute(f'DELETE FROM "{table}"')
        cur.execute("SELECT setval(c.oid, 1, false) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                    "WHERE c.relkind = 'S' AND n.nspname = 'public' AND c.relname NOT LIKE 'migratehistory%'")
    connection.close()


# Which databases a test runs on. A test that drives the app over HTTP (it takes `client` or `auth`) runs once,
# on SQLite, unless it is marked `both_databases` (it depends on something the engines do differently: search,
# triggers, locking, races); every other test that takes a database runs on SQLite and on PostgreSQL.
HTTP_FIXTURES = {"client", "auth"}


def pytest_generate_tests(metafunc):
    if "database_url" in metafunc.fixturenames:
        both = (metafunc.definition.get_closest_marker("both_databases") is not None
                or not HTTP_FIXTURES & set(metafunc.fixturenames))
        metafunc.parametrize("database_url", ["sqlite", "postgres"] if both else ["sqlite"], indirect=True)


@pytest.fixture
def database_url(request, tmp_path, postgres_server):
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'test.db'}"
    url, reason = postgres_server
    if url is None:
        pytest.skip(reason)
    return url


@pytest.fixture
def sqlite_url(tmp_path):
    return f"sqlite:///{tmp_path / 'test.db'}"


def make_app(database_url, tmp_path, **config):
    """The app on a database at `database_url` whose tables are fresh and empty."""
    from app import create_app
    from models import db

    settings = {
        "TESTING": True,
        "DATABASE_URL": database_url,
        "WTF_CSRF_ENABLED": False,
        "SECRET_KEY": "test-secret",
        "MAIL_OUTBOX": str(tmp_path / "outbox"),
        "PAYMENT_GATEWAY": "test",
    }
    settings.update(config)
    close_connections()
    reset_database(database_url, _TEMPLATE["sqlite"])
    application = create_app(settings)
    # Every test makes its own app; Jinja's bytecode cache spares each of them compiling every template again.
    application.jinja_env.bytecode_cache = _BYTECODE
    return application


_BYTECODE = jinja2.FileSystemBytecodeCache(tempfile.mkdtemp(prefix="settle-jinja-"))


def close_connections() -> None:
    """Close every connection of the current app's database (a pool keeps them open otherwise)."""
    from models import db

    if db.obj is None:
        return
    if not db.is_closed():
        db.close()
    if hasattr(db.obj, "close_all"):
        db.obj.close_all()


def empty_database(app) -> None:
    """Back to empty tables at the latest migration, in the middle of a test."""
    close_connections()
    reset_database(app.config["DATABASE_URL"], _TEMPLATE["sqlite"])


_TEMPLATE: dict = {}


@pytest.fixture(autouse=True)
def _schema_template(sqlite_template):
    _TEMPLATE["sqlite"] = sqlite_template


class Clock:
    """The day the portal and the test agree on (models/clock.py); `set` moves it."""

    def __init__(self):
        self.today = date.today()

    def set(self, day: date) -> None:
        from models import clock

        self.today = day
        clock.set_today(day)


@pytest.fixture
def clock():
    """Fixes the portal's day for the test (today, unless the test moves it with `clock.set(day)`)."""
    from models import clock as portal_clock

    fixed = Clock()
    fixed.set(fixed.today)
    yield fixed
    portal_clock.set_today(None)


@pytest.fixture
def app(database_url, tmp_path, tmp_path_factory):
    """The app on SQLite or PostgreSQL, tables fresh and empty.

    One app per database serves every test that asks for `app` (building one costs a tenth of a second, most of
    it compiling the URL rules): before each test its tables are emptied, its configuration put back as it was
    made, its caches cleared and its outbox moved to the test's own folder. Tests that need other settings make
    their own with `make_app`.
    """
    from models import db
    from views import rendered_cache

    engine = "postgres" if database_url.startswith("postgres") else "sqlite"
    if engine not in _SHARED_APPS:
        url = database_url if engine == "postgres" else f"sqlite:///{tmp_path_factory.mktemp('shared') / 'test.db'}"
        application = make_app(url, tmp_path)
        _SHARED_APPS[engine] = (application, dict(application.config))
    else:
        application, config = _SHARED_APPS[engine]
        close_connections()
        reset_database(config["DATABASE_URL"], _TEMPLATE["sqlite"])
        application.config.clear()
        application.config.update(config)
        db.initialize(application.extensions["settle_database"])
        application.extensions.pop("settle_gateways", None)
        with application.app_context():
            rendered_cache.cache.clear()
            rendered_cache.stats().update(hits=0, misses=0)
    application.config["MAIL_OUTBOX"] = str(tmp_path / "outbox")
    yield application
    if not db.is_closed():
        db.close()


_SHARED_APPS: dict = {}


@pytest.fixture
def sqlite_app(sqlite_url, tmp_path):
    """The app on SQLite only, for HTTP-level tests where the database makes no difference."""
    return make_app(sqlite_url, tmp_path)


@pytest.fixture
def db_conn(app):
    """An open connection for model-level tests, closed afterwards."""
    from models import db

    db.connect(reuse_if_open=True)
    yield db
    if not db.is_closed():
        db.close()


@pytest.fixture
def world(app, clock):
    """The test world (tests/world.py) imported, dated from the test's day; returns the import summary."""
    from models import db
    from models.importer import import_data
    from tests.world import world_payload

    with db.connection_context():
        return import_data(world_payload(on=clock.today))


@pytest.fixture
def client(app):
    return app.test_client()


class Auth:
    def __init__(self, client):
        self.client = client

    def login(self, who="kari", password=None):
        from tests.world import PASSWORD, USERS

        email = USERS[who][0] if who in USERS else who
        response = self.client.post("/login", data={"email": email, "password": password or PASSWORD})
        assert response.status_code == 303, f"sign-in as {who} failed"
        return response

    def logout(self):
        return self.client.post("/logout")


@pytest.fixture
def auth(client):
    return Auth(client)


class QueryCounter:
    """Counts the SQL statements the app runs (Peewee's execute_sql is the single path)."""

    def __init__(self):
        self.statements: list[str] = []

    def __len__(self):
        return len(self.statements)


@pytest.fixture
def count_queries(monkeypatch):
    from models import db

    counter = QueryCounter()
    original = type(db.obj).execute_sql

    def counting(self, sql, params=None, *args, **kwargs):
        counter.statements.append(sql)
        return original(self, sql, params, *args, **kwargs)

    monkeypatch.setattr(type(db.obj), "execute_sql", counting)
    return counter


# ---------------------------------------------------------------------------- live server


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class LiveServer:
    """The real portal in its own process (`flask --app app run`), as QA and users see it."""

    def __init__(self, database_url: str, instance_env: dict | None = None):
        self.database_url = database_url
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {**os.environ, "DATABASE_URL": database_url, "SECRET_KEY": "live-test-secret",
                    "PAYMENT_GATEWAY": "test", "SETTLE_ENV": "development", **(instance_env or {})}
        self.process = None

    def flask(self, *args, check=True):
        """Run a back-office command against the same database."""
        return subprocess.run([sys.executable, "-m", "flask", "--app", "app", *args], cwd=ROOT, env=self.env,
                              capture_output=True, text=True, check=check, timeout=120)

    def start(self, migrate: bool = True):
        if migrate:
            self.flask("init-db")
        # The server's log goes to a file: a pipe nobody reads fills up and freezes the server.
        import tempfile

        self.log = tempfile.NamedTemporaryFile(prefix=f"settle-live-{self.port}-", suffix=".log", delete=False)
        self.process = subprocess.Popen(
            [sys.executable, "-m", "flask", "--app", "app", "run", "--port", str(self.port), "--no-reload",
             "--with-threads"], cwd=ROOT, env=self.env, stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.time() + 20
        while time.time() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    return self
            except OSError:
                if self.process.poll() is not None:
                    raise RuntimeError(f"live server died: {Path(self.log.name).read_text()[-2000:]}")
                time.sleep(0.1)
        raise RuntimeError("live server did not start in 20 s")

    @classmethod
    def with_demo_data(cls, folder: Path, extra: dict | None = None) -> "LiveServer":
        """A started portal of its own on SQLite in `folder`, with the demo data (and `extra`, imported)."""
        import json

        if "demo" not in _DEMO_TEMPLATE:  # made once per run, copied for each server
            template_folder = Path(tempfile.mkdtemp(prefix="settle-demo-"))
            maker = cls(f"sqlite:///{template_folder / 'portal.db'}", {"MAIL_OUTBOX": str(template_folder / "outbox")})
            maker.flask("init-db")
            maker.flask("seed-demo")
            maker.flask("process-requests")  # (nothing to send: leaves the SQLite file checkpointed and closed)
            _DEMO_TEMPLATE["demo"] = template_folder / "portal.db"
        for suffix in ("", "-wal"):
            source = Path(f"{_DEMO_TEMPLATE['demo']}{suffix}")
            if source.exists():
                shutil.copyfile(source, folder / f"portal.db{suffix}")
        server = cls(f"sqlite:///{folder / 'portal.db'}", {"MAIL_OUTBOX": str(folder / "outbox")})
        if extra:
            (folder / "extra.json").write_text(json.dumps(extra))
            server.flask("import-data", str(folder / "extra.json"))
        return server.start(migrate=False)

    def stop(self):
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
        if getattr(self, "log", None):
            self.log.close()
            Path(self.log.name).unlink(missing_ok=True)


_DEMO_TEMPLATE: dict = {}


@pytest.fixture(scope="session")
def live_server(tmp_path_factory):
    """The portal with the demo data on SQLite, for the browser suite."""
    server = LiveServer.with_demo_data(tmp_path_factory.mktemp("live"))
    yield server
    server.stop()


# ---------------------------------------------------------------------------- browser


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    if CHROMIUM is None:
        pytest.skip("no Chromium found (install Debian's chromium, or set CHROMIUM_PATH)")
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"],
    }


@pytest.fixture(scope="session")
def base_url(live_server):
    return live_server.url


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    return {**browser_context_args, "locale": "en-GB", "viewport": {"width": 1360, "height": 900}}
