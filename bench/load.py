"""The benchmark's tools: gunicorn serving an app, a small HTTP client that signs in, and the load
generators (wrk, or a Python fallback) with what they report.

Shared by the mixed scenario (bench/mixed.py) and the single-URL table (bench/single.py).
"""
from __future__ import annotations

import http.client
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode, urlsplit

ROOT = Path(__file__).resolve().parent.parent
CONNECTIONS = 16
THREADS = 2  # wrk's
WORKERS = 2
SECRET_KEY = "bench-secret-key"  # the same for every server, so a session signed by one is good for the next


def server_env(url: str, **extra) -> dict:
    """The environment of every server the benchmark starts (and of its in-process profiles)."""
    from bench.data import PASSWORD_HASH_METHOD

    return {**os.environ, "DATABASE_URL": url, "SECRET_KEY": SECRET_KEY, "SETTLE_ENV": "production",
            "SETTLE_PASSWORD_HASH_METHOD": PASSWORD_HASH_METHOD, "PYTHONPATH": str(ROOT), **extra}


# ------------------------------------------------------------------------------------------ servers


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Gunicorn:
    """`gunicorn -w 2` (sync workers) serving `app_spec` on a free port."""

    def __init__(self, app_spec: str, env: dict, name: str):
        self.app_spec, self.env, self.name = app_spec, env, name
        self.port = free_port()
        self.process = None
        self.log = tempfile.NamedTemporaryFile(prefix=f"bench-{name}-", suffix=".log", delete=False)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self):
        self.process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "--workers", str(WORKERS), "--worker-class", "sync",
             "--bind", f"127.0.0.1:{self.port}", "--log-level", "warning", "--timeout", "60", self.app_spec],
            cwd=ROOT, env=self.env, stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.time() + 30
        while time.time() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} did not start: {Path(self.log.name).read_text()[-2000:]}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    if len(self.worker_pids()) >= WORKERS:
                        return self
            except OSError:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"{self.name} did not start in 30 s")

    def worker_pids(self) -> list[int]:
        try:
            text = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children").read_text()
        except OSError:
            return []
        return [int(p) for p in text.split()]

    def peak_rss_mb(self) -> float:
        """The largest peak resident set (VmHWM) of the workers."""
        peaks = []
        for pid in self.worker_pids():
            try:
                for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                    if line.startswith("VmHWM:"):
                        peaks.append(int(line.split()[1]) / 1024)
            except OSError:
                pass
        return max(peaks, default=0.0)

    def cpu_seconds(self) -> float:
        """CPU time (user + system) the master and its workers have used so far."""
        return sum(process_cpu_seconds(pid) for pid in [self.process.pid, *self.worker_pids()])

    def __exit__(self, *exc):
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
        self.log.close()
        Path(self.log.name).unlink(missing_ok=True)


# ------------------------------------------------------------------------------------------ who used the CPU

TICK = os.sysconf("SC_CLK_TCK")


def process_cpu_seconds(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / TICK  # utime, stime


def machine_cpu_seconds() -> tuple[float, float]:
    """(busy, elapsed) CPU seconds of all cores together since boot, from /proc/stat."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]]
    idle = values[3] + values[4]  # idle, iowait
    return (sum(values) - idle) / TICK, sum(values) / TICK


class DatabaseBackends:
    """PostgreSQL's server processes serving one database (the portal's pooled connections): their CPU is the
    portal's too, spent in another process. Read from /proc, which needs the server on this machine."""

    def __init__(self, url: str):
        import psycopg2

        self.connection = psycopg2.connect(url)
        self.connection.autocommit = True

    def cpu_seconds(self) -> float:
        with self.connection.cursor() as cursor:
            cursor.execute("SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
                           "AND pid <> pg_backend_pid()")
            return sum(process_cpu_seconds(pid) for (pid,) in cursor.fetchall())

    def close(self):
        self.connection.close()


class CpuMeter:
    """Who used the machine's cores while load ran: the two servers, the database server's processes for this
    database (PostgreSQL), the load generator, and everything else — other work on a shared machine, which
    slows both sides."""

    KEYS = ("portal", "database", "baseline", "load generator", "busy", "elapsed")

    def __init__(self, portal: "Gunicorn", baseline: "Gunicorn", database: DatabaseBackends | None = None):
        self.portal, self.baseline, self.database = portal, baseline, database
        self.totals = dict.fromkeys(self.KEYS, 0.0)

    @staticmethod
    def _children() -> float:
        """wrk (a finished child process), or this process itself when it is the load generator."""
        import resource

        return sum(u.ru_utime + u.ru_stime for u in (resource.getrusage(resource.RUSAGE_CHILDREN),
                                                        resource.getrusage(resource.RUSAGE_SELF)))

    def _now(self) -> tuple:
        return (self.portal.cpu_seconds(), self.database.cpu_seconds() if self.database else 0.0,
                self.baseline.cpu_seconds(), self._children(), *machine_cpu_seconds())

    def __enter__(self):
        self._start = self._now()
        return self

    def __exit__(self, *exc):
        for key, before, after in zip(self.KEYS, self._start, self._now()):
            self.totals[key] += max(0.0, after - before)  # a backend that ended mid-round leaves the sum

    def shares(self) -> dict:
        """Each one's share of all cores' time over the measured rounds, "other" (busy, but none of ours), idle."""
        elapsed = self.totals["elapsed"] or 1.0
        out = {k: self.totals[k] / elapsed for k in self.KEYS[:4] if k != "database" or self.database}
        out["other"] = max(0.0, self.totals["busy"] / elapsed - sum(out.values()))
        out["idle"] = 1.0 - self.totals["busy"] / elapsed
        return out


# ------------------------------------------------------------------------------------------ a tiny client


class Client:
    """Enough of a browser for signing in: cookies, no redirects followed."""

    def __init__(self, base: str):
        parts = urlsplit(base)
        self.host, self.port = parts.hostname, parts.port
        self.cookies: dict[str, str] = {}

    @property
    def cookie_header(self) -> str:
        return "; ".join(f"{k}={v}" for k, v in self.cookies.items())

    def request(self, method, path, form=None, headers=None):
        conn = http.client.HTTPConnection(self.host, self.port, timeout=30)
        body = urlencode(form) if form is not None else None
        all_headers = {"Cookie": self.cookie_header, **(headers or {})}
        if body is not None:
            all_headers["Content-Type"] = "application/x-www-form-urlencoded"
        conn.request(method, path, body=body, headers=all_headers)
        response = conn.getresponse()
        data = response.read()
        for cookie in response.headers.get_all("Set-Cookie") or []:
            name, _, rest = cookie.partition("=")
            value = rest.split(";", 1)[0]
            if value and "expires=thu, 01 jan 1970" not in cookie.lower():
                self.cookies[name.strip()] = value
            else:
                self.cookies.pop(name.strip(), None)
        conn.close()
        return response.status, response.headers, data

    def csrf_token(self, path="/login") -> str:
        _, _, page = self.request("GET", path)
        match = re.search(rb'name="csrf_token" value="([^"]+)"', page) or re.search(
            rb'"X-CSRFToken": "([^"]+)"', page)
        if not match:
            raise RuntimeError(f"no CSRF token on {path}")
        return match.group(1).decode()

    def sign_in(self, email, password):
        token = self.csrf_token("/login")
        status, headers, _ = self.request("POST", "/login", {"email": email, "password": password,
                                                              "csrf_token": token})
        if status != 303:
            raise RuntimeError(f"signing in as {email} answered {status}")


# ------------------------------------------------------------------------------------------ load generators


@dataclass
class Load:
    rps: float
    p50: float  # ms
    p99: float  # ms
    requests: int
    errors: int
    output: str = field(default="", repr=False)  # what wrk printed (a script's done() adds its own lines)
    socket_errors: int = 0  # connect, write and timeout errors (included in `errors`)
    bytes_read: float = 0.0  # all answers, headers included


def _ms(text: str) -> float:
    number, unit = re.match(r"([\d.]+)(us|ms|s|m)", text).groups()
    return float(number) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}[unit]


def wrk(url: str, seconds: float, headers: dict, script: str | None = None, script_args=()) -> Load:
    """wrk, 2 threads and 16 connections, for `seconds`; `script_args` go to the script's init(args)."""
    command = ["wrk", f"-t{THREADS}", f"-c{CONNECTIONS}", f"-d{max(1, round(seconds))}s", "--latency", "--timeout", "10s"]
    for name, value in headers.items():
        command += ["-H", f"{name}: {value}"]
    if script:
        command += ["-s", script]
    command.append(url)
    if script_args:
        command += ["--", *map(str, script_args)]
    out = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 120).stdout
    latencies = dict(re.findall(r"^\s+(50|99)%\s+(\S+)\s*$", out, re.M))
    errors = sum(int(n) for n in re.findall(r"Non-2xx or 3xx responses: (\d+)", out))
    socket_errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    failed_sockets = 0
    if socket_errors:  # (read errors are left out: the sync workers close every connection after answering)
        failed_sockets = int(socket_errors.group(1)) + int(socket_errors.group(3)) + int(socket_errors.group(4))
    errors += failed_sockets
    total = re.search(r"(\d+) requests in [^,]+, ([\d.]+)([KMG]?B) read", out)
    rps = re.search(r"Requests/sec:\s+([\d.]+)", out)
    if not ("50" in latencies and "99" in latencies and rps and total):
        raise RuntimeError(f"could not read wrk's output:\n{out}")
    return Load(float(rps.group(1)), _ms(latencies["50"]), _ms(latencies["99"]), int(total.group(1)), errors, out,
                failed_sockets, float(total.group(2)) * {"B": 1, "KB": 2**10, "MB": 2**20, "GB": 2**30}[total.group(3)])


def python_load(url: str, seconds: float, headers: dict, post: list | None = None) -> Load:
    """The fallback when wrk is missing: 16 threads, one request at a time each (slower, noisier)."""
    parts = urlsplit(url)
    path = parts.path + ("?" + parts.query if parts.query else "")
    latencies, errors = [], [0]
    deadline = time.perf_counter() + seconds
    lock = threading.Lock()

    def worker(index):
        n = index
        while time.perf_counter() < deadline:
            method, target, body, extra = ("GET", path, None, {})
            if post:
                method, target, body, extra = post[n % len(post)]
                n += 1
            started = time.perf_counter()
            try:
                conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
                conn.request(method, target, body=body, headers={**headers, **extra})
                response = conn.getresponse()
                response.read()
                conn.close()
                ok = response.status < 400
            except OSError:
                ok = False
            elapsed = (time.perf_counter() - started) * 1000
            with lock:
                latencies.append(elapsed)
                errors[0] += 0 if ok else 1

    elapsed = on_connections(worker)
    latencies.sort()
    return Load(len(latencies) / elapsed, quantile(latencies, 0.50), quantile(latencies, 0.99), len(latencies),
                errors[0])


def on_connections(worker) -> float:
    """`worker(i)` on CONNECTIONS threads at once (the Python load generator); the seconds until all are done."""
    started = time.perf_counter()
    threads = [threading.Thread(target=worker, args=(i,)) for i in range(CONNECTIONS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return time.perf_counter() - started


def quantile(ordered: list, q: float) -> float:
    """The `q` quantile of sorted latencies (0 for none)."""
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else 0.0
