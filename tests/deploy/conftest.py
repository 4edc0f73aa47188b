"""Deploy tests: the app as production runs it — real gunicorn with two workers, rate-limit
counters in Redis, behind a proxy's forwarded headers — on SQLite, or on PostgreSQL when
DIARY_TEST_DATABASE_URL is set (as for the rest of the suite).

A `Browser` talks HTTP to gunicorn as the proxy would pass a user's requests on: with the
client's address in X-Forwarded-For, `https` in X-Forwarded-Proto and the public Host.
"""

import http.client
import os
import re
import socket
import subprocess
import sys
import time
import uuid
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode

import pytest

from diary.data.db import db
from diary.web import create_app
from tests.conftest import BASE_CONFIG, PG_URL, World, input_value, private_pg_database

ROOT = Path(__file__).resolve().parents[2]
HOST = "diary.test"
REDIS_URL = "redis://127.0.0.1:6379"
SECRET_KEY = "deploy-test-secret-key-" + "0123456789abcdef" * 2
AUDIT_KEY = "deploy-test-audit-key-" + "fedcba9876543210" * 2


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _database(tmp: Path):
    """A database of this run's own: (url, cleanup)."""
    if not PG_URL:
        return f"sqlite:///{tmp / 'diary.sqlite'}", lambda: None
    admin, name, url = private_pg_database("deploy")

    def drop():
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()
    return url, drop


class Server:
    """gunicorn serving the app; `world` makes accounts in the same database."""

    def __init__(self, tmp: Path):
        self.url, self._drop = _database(tmp)
        self.port = _free_port()
        self.log = tmp / "access.log"
        self.prefix = f"diary-deploy-{uuid.uuid4().hex}"
        self.env = {
            **os.environ, "DIARY_ENV": "production", "SECRET_KEY": SECRET_KEY,
            "DIARY_AUDIT_KEY": AUDIT_KEY, "DATABASE_URL": self.url,
            "DIARY_TRUSTED_HOSTS": HOST, "DIARY_PROXY_HOPS": "1",
            "DIARY_RATELIMIT_STORAGE_URI": REDIS_URL, "DIARY_RATELIMIT_KEY_PREFIX": self.prefix,
            "GUNICORN_WORKERS": "2", "GUNICORN_BIND": f"127.0.0.1:{self.port}",
        }
        self.env.pop("DIARY_TEST_DATABASE_URL", None)
        subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", "db", "upgrade"],
                       cwd=ROOT, env=self.env, check=True, capture_output=True)
        self.app = create_app({**BASE_CONFIG, "SQLALCHEMY_DATABASE_URI": self.url,
                               "SECRET_KEY": SECRET_KEY, "AUDIT_KEY": AUDIT_KEY})
        self.world = World(self.app)
        self.proc = start_gunicorn(self.env, self.log)
        wait_until_serving(self.port, self.proc)

    def other_host(self, tmp: Path) -> "OtherHost":
        return OtherHost(self, tmp)

    def browser(self, address: str) -> "Browser":
        return Browser(self.port, address)

    def errors(self) -> str:
        """What the app logged as failing (a 500 leaves its traceback here)."""
        text = self.proc.output.read_text()
        return text if "Traceback" in text else ""

    def pids(self, pattern: str) -> set[str]:
        """The worker processes whose access-log lines match `pattern`."""
        lines = self.log.read_text().splitlines()
        return {line.split()[0] for line in lines if re.search(pattern, line)}

    def close(self):
        stop(self.proc)
        with self.app.app_context():
            db.engine.dispose()
        self._drop()
        import redis

        client = redis.Redis.from_url(REDIS_URL)
        for key in client.scan_iter(f"*{self.prefix}*"):
            client.delete(key)


class OtherHost:
    """A second gunicorn (another host, say) on the same database and Redis counters."""

    def __init__(self, server: Server, tmp: Path):
        self.port = _free_port()
        self.log = tmp / "other.log"
        env = {**server.env, "GUNICORN_BIND": f"127.0.0.1:{self.port}"}
        self.proc = start_gunicorn(env, self.log)
        wait_until_serving(self.port, self.proc)

    def browser(self, address: str) -> "Browser":
        return Browser(self.port, address)

    def pid_of(self, pattern: str, nth: int) -> str:
        """The worker that answered the nth request matching `pattern` (logged just after
        the answer is sent, so it is waited for)."""
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            lines = [ln for ln in self.log.read_text().splitlines() if re.search(pattern, ln)]
            if len(lines) > nth:
                return lines[nth].split()[0]
            time.sleep(0.02)  # polling the log, within the deadline
        raise AssertionError(f"request {nth} matching {pattern} was never logged")

    def close(self):
        stop(self.proc)


def start_gunicorn(env: dict, log: Path, *options: str) -> subprocess.Popen:
    """gunicorn with its access log at `log` and everything else it prints beside it (a file,
    not a pipe: a pipe nobody reads fills up and stops the server)."""
    out = log.with_suffix(".out")
    with out.open("w") as sink:
        proc = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", *options,
             "--access-logfile", str(log),
             "--access-logformat", '%(p)s %(h)s "%(m)s %(U)s" %(s)s', "wsgi:app"],
            cwd=ROOT, env=env, stdout=sink, stderr=subprocess.STDOUT)
    proc.output = out
    return proc


def stop(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def wait_until_serving(port: int, proc: subprocess.Popen, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError("gunicorn stopped:\n" + proc.output.read_text())
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.05)  # polling a port that is not open yet, within the deadline
    proc.kill()
    raise RuntimeError("gunicorn did not start within a minute")


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    import redis

    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping()
    except redis.exceptions.ConnectionError:
        pytest.fail("Redis is not running on 127.0.0.1:6379 (CI machines have it)")
    srv = Server(tmp_path_factory.mktemp("deploy"))
    yield srv
    errors = srv.errors()
    srv.close()
    assert not errors, "the app failed while serving these tests:\n" + errors[-5000:]


class Response:
    def __init__(self, status: int, headers: dict, body: str):
        self.status, self.headers, self.body = status, headers, body

    @property
    def location(self) -> str:
        return self.headers.get("location", "")


class Browser:
    """One user's browser behind the proxy: its cookies, its address, a fresh connection
    per request (so any worker may answer)."""

    def __init__(self, port: int, address: str):
        self.port, self.address = port, address
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, form: dict | None = None) -> Response:
        headers = {"Host": HOST, "X-Forwarded-For": self.address, "X-Forwarded-Proto": "https",
                   "Referer": f"https://{HOST}{path}"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if form is not None:
            body = urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        try:
            conn.request(method, path, body=body, headers=headers)
            raw = conn.getresponse()
            text = raw.read().decode()
            for value in raw.headers.get_all("Set-Cookie") or []:
                self._keep(value)
            return Response(raw.status, {k.lower(): v for k, v in raw.getheaders()}, text)
        finally:
            conn.close()

    def _keep(self, header: str) -> None:
        cookie = SimpleCookie()
        cookie.load(header)
        for name, morsel in cookie.items():
            if morsel["max-age"] == "0" or not morsel.value:
                self.cookies.pop(name, None)
            else:
                self.cookies[name] = morsel.value

    def get(self, path: str) -> Response:
        return self.request("GET", path)

    def token(self, path: str) -> str:
        page = self.get(path)
        token = input_value(page.body, "csrf_token")
        assert token, f"no form at {path} ({page.status})"
        return token

    def post(self, path: str, form: dict, token_from: str | None = None) -> Response:
        return self.request("POST", path, {"csrf_token": self.token(token_from or path), **form})


@pytest.fixture(autouse=True)
def cheap_password_hash(monkeypatch):
    """Accounts made here hash with a cheap method; the server checks whichever was used."""
    from functools import partial

    from werkzeug.security import generate_password_hash

    from diary.data import models

    monkeypatch.setattr(models, "generate_password_hash",
                        partial(generate_password_hash, method="pbkdf2:sha256:1000"))
