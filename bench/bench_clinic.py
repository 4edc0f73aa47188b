"""A clinic of 200 and of 1,000 patients, page by page; then gunicorn's throughput of the
patient's entry form against a hello-world app.

    python bench/bench_clinic.py [--sizes 200,1000] [--days 365] [--repeat 3]
                                 [--database-url postgresql://...] [--quick]
                                 [--duration 10] [--no-throughput]

Seeds one consultant's clinic through the data layer, with SQLAlchemy Core bulk inserts, into
a temporary SQLite database migrated like production (or, with --database-url, a private
PostgreSQL database made beside the one named, dropped at the end). Each patient has `--days`
of diary up to now, two readings a day and five more on each block day (~745 entries for a
year), and 2 to 4 blocks. The sizes are reached by topping up the same clinic, so the patient
measured is the same one at every size. Where the app has `flask diary refresh-summaries`, it
runs after each seeding, as a deployment would.

For each size and each page a fresh process signs in through the real /sign-in form (Flask's
test client), requests the page `--repeat` times and reads each answer to its end. It reports
the server time (min and median), the SQL statements sent (SQLAlchemy's before_cursor_execute,
plus those on the driver's own connections, as the exports send them; transaction control,
PRAGMAs and pool pings not counted) and the process's peak RSS (Linux's VmHWM: getrusage's
maxrss would carry this script's own peak into the child). Pages: the consultant's patient
list (its first page, as the list opens), one patient's page and printable summary, the
clinic's block-summary and entries exports (POSTed through the export form), and the patient's
entry form and history. The last columns are the growth from the first size to the last.

Last, gunicorn (gunicorn.conf.py: the same workers, threads and access log for both) serves the
app on the last clinic, then a hello-world Flask app, taken in turn, and `wrk` measures the
requests a second of the entry form GET (the measured patient) and the entry POST (another
patient; a new entry each time, as its form offers it), each as a ratio to hello-world. The
requests carry a browser's Accept-Encoding. `wrk` comes from apt (apt-get install -y wrk);
without it a Python load generator (keep-alive threads) stands in, which itself takes much
of the CPU and so flatters the app. Target: both >= 0.2x hello-world.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import re
import resource
import secrets
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PASSWORD = "bench-password-long-enough"  # noqa: S105 - a throwaway database
SECRET_KEY = "bench-secret-key-that-is-long-enough-for-a-bench"  # noqa: S105
AUDIT_KEY = "bench-audit-key-of-the-hash-chain-not-the-secret"
CONFIG = {"SECRET_KEY": SECRET_KEY, "AUDIT_KEY": AUDIT_KEY, "RATELIMIT_ENABLED": False}
CLINICIAN = "dr@bench.example"
MEASURED, POSTER = "p1@bench.example", "p2@bench.example"  # patients 0 and 1 of the clinic
TZ = "Europe/London"
BLOCK_DAY_MIN = (30, 60, 120, 240, 360)
BROWSER_ENCODINGS = "gzip, deflate, br, zstd"
ENTRY = {"pain": "4", "temp_treated": "30.5", "temp_other": "31.2", "walk_pain_free_min": "10",
         "walk_max_min": "25", "notes": "Walked to the shop."}
CONTROL = re.compile(r"\s*(BEGIN|COMMIT|ROLLBACK|SAVEPOINT|RELEASE|PRAGMA|--)", re.IGNORECASE)
PINGS = {"SELECT 1", ";"}  # the pool checking a connection (pool_pre_ping)

# name -> (who signs in, what the row says)
PAGES = {
    "list": ("clinician", "patient list /clinic/"),
    "patient": ("clinician", "patient page"),
    "summary": ("clinician", "printable summary"),
    "block-summary": ("clinician", "block-summary export"),
    "entries": ("clinician", "entries export"),
    "entry-form": ("patient", "entry form GET /diary/"),
    "history": ("patient", "history /diary/history"),
}


def make_app(url: str):
    from diary.web import create_app

    return create_app({**CONFIG, "SQLALCHEMY_DATABASE_URI": url})


# ----------------------------------------------------------------------------- seeding

def _uuid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def diary(index: int, patient_id: int, user_id: int, days: int, now: datetime
          ) -> tuple[list[dict], list[dict]]:
    """One patient's entries and blocks: `days` of two readings a day up to `now` (a tenth of
    the patients stopped writing three weeks ago), and 2 to 4 blocks, each followed by
    relief that wears off over weeks and by five readings on the day."""
    rng = random.Random(index)
    zone = ZoneInfo(TZ)
    span = timedelta(days=days)
    start = now - span
    last_ago = min(timedelta(days=3 + (index * 7) % 50, hours=rng.randint(0, 6)), span / 3)
    count = 2 + (index + 1) % 3  # the measured patient (index 0) has three
    gap = (span - last_ago - min(timedelta(days=10), span / 3)) / count  # a baseline first
    performed = sorted(now - last_ago - gap * k for k in range(count))
    blocks = [{
        "patient_id": patient_id, "performed_at": at,
        "utc_offset_min": int(at.astimezone(zone).utcoffset().total_seconds() // 60),
        "side": "left", "kind": "diagnostic_la" if k == 0 else "therapeutic_la",
        "level": "L3", "agent": "bupivacaine 0.25%", "volume_ml": 10.0,
        "long_acting": k > 0, "pre_pain": 7, "temp_treated_pre_c": 27.5,
        "temp_treated_10_c": 31.0 + rng.random() * 3, "temp_treated_20_c": 32.0,
        "temp_other_pre_c": 30.0, "temp_other_10_c": 30.1, "temp_other_20_c": 30.2,
        "notes": "", "recorded_by": None, "created_at": at, "updated_at": at,
    } for k, at in enumerate(performed) if at > start]
    times = []
    day = start.replace(hour=0, minute=0, second=0, microsecond=0)
    stop = now - min(timedelta(days=21), span / 3) if index % 10 == 9 else now
    while day < stop:
        for hour in (8, 20):
            at = day + timedelta(hours=hour, minutes=rng.randint(0, 50))
            if start <= at < stop:
                times.append(at)
        day += timedelta(days=1)
    times += [b["performed_at"] + timedelta(minutes=m) for b in blocks for m in BLOCK_DAY_MIN
              if b["performed_at"] + timedelta(minutes=m) < stop]
    times.sort()
    base = 6 + index % 3
    entries = []
    for n, at in enumerate(times):
        since = [at - b["performed_at"] for b in blocks if b["performed_at"] <= at]
        relief = 0.0
        if since:
            days_after = min(since).total_seconds() / 86400
            relief = 4 * max(0.0, 1 - days_after / (20 + index % 40))
        pain = max(0, min(10, round(base - relief + rng.uniform(-1, 1))))
        warm = 1.5 if relief > 2 else 0.0
        entries.append({
            "id": _uuid(rng), "patient_id": patient_id, "observed_at": at,
            "utc_offset_min": int(at.astimezone(zone).utcoffset().total_seconds() // 60),
            "pain": pain, "temp_treated_c": round(28.0 + warm + rng.uniform(-1, 1), 1),
            "temp_other_c": round(30.0 + rng.uniform(-0.5, 0.5), 1),
            "colour": "blue_purple" if pain > 6 and n % 3 == 0 else None,
            "feels": "colder" if warm == 0 else "warmer",
            "walk_pain_free_min": 5 + (10 - pain) * 3, "walk_max_min": 20 + (10 - pain) * 5,
            "did_not_walk": False, "swelling": "mild" if n % 4 == 0 else None,
            "sweating": None, "side_effects": "back_soreness" if n % 17 == 0 else "",
            "rescue_medication": pain >= 8, "notes": "Walked to the shop." if n % 9 == 0 else "",
            "entered_by": user_id, "created_at": at + timedelta(minutes=2),
            "updated_at": at + timedelta(minutes=2), "deleted_at": None,
        })
    return entries, blocks


def seed(url: str, patients: int, days: int, now: datetime | None = None) -> dict:
    """Migrate, then top the clinic up to `patients` (a first call makes the consultant and
    the two patients who sign in). What the clinic now holds, with the seconds it took."""
    import sqlalchemy as sa
    from flask_migrate import upgrade
    from werkzeug.security import generate_password_hash

    from diary.data.db import db
    from diary.data.models import Block, Clinic, Entry, Membership, Patient, User

    now = now or datetime.now(UTC)
    started = time.perf_counter()
    app = make_app(url)
    password = generate_password_hash(PASSWORD, method="pbkdf2:sha256:1000")
    with app.app_context():
        with _quiet_migrations():
            upgrade(directory=str(ROOT / "migrations"))
        users, patient_table = User.__table__, Patient.__table__
        memberships = Membership.__table__
        with db.engine.begin() as conn:
            clinician_id, clinic_id = conn.execute(
                sa.select(users.c.id, memberships.c.clinic_id)
                .join(memberships, memberships.c.user_id == users.c.id)
                .where(users.c.email == CLINICIAN)).first() or (None, None)
            if clinician_id is None:  # the clinic and its consultant
                clinic_id = conn.execute(sa.insert(Clinic.__table__).returning(
                    Clinic.__table__.c.id), {
                    "name": "Bench clinic", "own_patients_only": False, "timezone": TZ,
                    "created_at": now}).scalar_one()
                clinician_id = conn.execute(sa.insert(users).returning(users.c.id), {
                    "email": CLINICIAN, "password_hash": password, "role": "staff",
                    "name": "Dr Bench", "active": True, "created_at": now}).scalar_one()
                conn.execute(sa.insert(memberships), {
                    "user_id": clinician_id, "clinic_id": clinic_id, "roles": "consultant",
                    "created_at": now})
            have = conn.scalar(sa.select(sa.func.count()).select_from(patient_table)
                               .where(patient_table.c.clinic_id == clinic_id))
        added = 0
        for first in range(have, patients, 25):  # a transaction a batch: memory stays flat
            with db.engine.begin() as conn:
                added += _add_patients(conn, range(first, min(first + 25, patients)),
                                       clinic_id, clinician_id, password, days, now)
        seeded = time.perf_counter() - started
        summaries = _refresh_summaries(app)
        measured = db.session.scalar(sa.select(Patient.id).join(User, Patient.user_id == User.id)
                                     .where(User.email == MEASURED))
        count = sa.select(sa.func.count())
        info = {
            "url": url, "patients": patients, "added": added, "patient_id": measured,
            "entries": db.session.scalar(count.select_from(Entry)
                                         .where(Entry.patient_id == measured)),
            "blocks": db.session.scalar(count.select_from(Block)
                                        .where(Block.patient_id == measured)),
            "all_entries": db.session.scalar(count.select_from(Entry)),
            "seed_seconds": seeded, "summary_seconds": summaries,
        }
        db.session.remove()
        db.engine.dispose()
    return info


@contextmanager
def _quiet_migrations():
    """Alembic's env.py sets up logging from alembic.ini, INFO lines and all: not here."""
    import logging.config

    real = logging.config.fileConfig
    logging.config.fileConfig = lambda *_args, **_kwargs: None
    try:
        yield
    finally:
        logging.config.fileConfig = real


def _add_patients(conn, indexes: range, clinic_id: int, clinician_id: int, password: str,
                  days: int, now: datetime) -> int:
    import sqlalchemy as sa

    from diary.data.models import Block, Entry, Patient, User

    users, patient_table = User.__table__, Patient.__table__
    created = now - timedelta(days=days + 1)
    rows = []
    for index in indexes:
        user_id = None
        if index < 2:  # the two patients who sign in on their phone
            user_id = conn.execute(sa.insert(users).returning(users.c.id), {
                "email": (MEASURED, POSTER)[index], "password_hash": password,
                "role": "patient", "name": f"Patient {index}", "active": True,
                "created_at": created}).scalar_one()
        rows.append({"clinic_id": clinic_id, "clinician_id": clinician_id, "user_id": user_id,
                     "display_name": f"Bench Patient {index:04d}", "record_number": f"B{index:05d}",
                     "treated_side": "left", "condition": "crps", "temp_unit": "C",
                     "timezone": TZ, "is_demo": False, "created_at": created})
    ids = conn.execute(sa.insert(patient_table).returning(
        patient_table.c.id, sort_by_parameter_order=True), rows).scalars().all()
    entries, blocks = [], []
    for index, patient_id, row in zip(indexes, ids, rows, strict=True):
        e, b = diary(index, patient_id, row["user_id"] or clinician_id, days, now)
        for block in b:
            block["recorded_by"] = clinician_id
        entries += e
        blocks += b
    if blocks:
        conn.execute(sa.insert(Block.__table__), blocks)
    if entries:
        conn.execute(sa.insert(Entry.__table__), entries)
    return len(ids)


def _refresh_summaries(app) -> float | None:
    """`flask diary refresh-summaries --all` if the app has it: seconds, else None."""
    group = app.cli.commands.get("diary")
    if group is None or "refresh-summaries" not in getattr(group, "commands", {}):
        return None
    started = time.perf_counter()
    command = group.commands["refresh-summaries"]
    args = ["diary", "refresh-summaries"]
    if any("--all" in p.opts for p in command.params):
        args.append("--all")
    result = app.test_cli_runner().invoke(args=args)
    if result.exit_code:
        raise RuntimeError(f"refresh-summaries failed: {result.output}{result.exception!r}")
    return time.perf_counter() - started


# ------------------------------------------------------------------------- page timings

class QueryCounter:
    """SQL statements sent to the database: SQLAlchemy's, and those on the driver's own
    connections (the exports' streams), which no SQLAlchemy event sees. Transaction control
    (BEGIN, COMMIT, ...), PRAGMAs and the pool's pings are not counted, so the dialects
    compare."""

    def __init__(self, engine):
        import sqlalchemy as sa

        self.n = 0
        self._inside = False
        sa.event.listen(engine, "before_cursor_execute", self._before)
        sa.event.listen(engine, "after_cursor_execute", self._after)
        sa.event.listen(engine, "handle_error", self._error)
        sa.event.listen(engine, "connect", self._connect)
        engine.dispose()  # every connection from now on is new, so `connect` sees it

    def _before(self, _conn, _cursor, statement, *_args):
        self._inside = True
        if not CONTROL.match(statement):
            self.n += 1

    def _after(self, *_args):
        self._inside = False

    def _error(self, _context):
        self._inside = False

    def _raw(self, statement):
        statement = str(statement)
        if not (self._inside or CONTROL.match(statement) or statement.strip() in PINGS):
            self.n += 1

    def _connect(self, dbapi_conn, _record):
        if hasattr(dbapi_conn, "set_trace_callback"):  # sqlite3: every statement run
            dbapi_conn.set_trace_callback(self._raw)
        elif hasattr(dbapi_conn, "server_cursor_factory"):  # psycopg 3
            counter = self

            def counting(base):
                class Counting(base):
                    def execute(self, query, *args, **kwargs):
                        counter._raw(query if isinstance(query, str) else "SELECT")
                        return super().execute(query, *args, **kwargs)
                return Counting

            dbapi_conn.cursor_factory = counting(dbapi_conn.cursor_factory)
            dbapi_conn.server_cursor_factory = counting(dbapi_conn.server_cursor_factory)


def _input(html: str, name: str) -> str | None:
    from tests.conftest import input_value  # the suite's reader of a page's form fields

    return input_value(html, name)


def _checked(html: str, name: str) -> str | None:
    for tag in re.findall(r"<input[^>]*>", html):
        if re.search(rf'\bname="{re.escape(name)}"', tag) and re.search(r"\bchecked\b", tag):
            return re.search(r'\bvalue="([^"]*)"', tag).group(1)
    return None


def sign_in(client, email: str) -> None:
    page = client.get("/sign-in").get_data(as_text=True)
    response = client.post("/sign-in", data={"email": email, "password": PASSWORD,
                                             "csrf_token": _input(page, "csrf_token")})
    assert response.status_code == 302, f"sign-in as {email}: {response.status_code}"


def request_for(name: str, client, info: dict):
    """The page `name` as a function that sends its request; a form it posts is read now,
    before the clock runs. Only public URLs and forms, as a browser would."""
    patient = info["patient_id"]
    if name in ("block-summary", "entries"):
        token = _input(client.get("/clinic/export").get_data(as_text=True), "csrf_token")
        return lambda: client.post("/clinic/export", data={"csrf_token": token, "what": name},
                                   buffered=False)
    url = {"list": "/clinic/", "patient": f"/clinic/patients/{patient}",
           "summary": f"/clinic/patients/{patient}/summary", "entry-form": "/diary/",
           "history": "/diary/history"}[name]
    return lambda: client.get(url, buffered=False)


def peak_rss_mb() -> float:
    """This process's peak RSS. Linux's VmHWM where there is one: getrusage's ru_maxrss
    outlives execve, so a worker started by a bigger process would report that one's peak."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def measure(info: dict, names: list[str], repeat: int = 3) -> dict:
    """Time `names` (keys of PAGES) in this process: per page the seconds and statements of
    each of `repeat` requests, the answer's size, and this process's peak RSS so far."""
    from diary.data.db import db

    app = make_app(info["url"])
    with app.app_context():
        counter = QueryCounter(db.engine)
    clients = {}
    for who, email in (("clinician", CLINICIAN), ("patient", MEASURED)):
        if any(PAGES[n][0] == who for n in names):
            clients[who] = app.test_client()
            sign_in(clients[who], email)
    out = {}
    for name in names:
        send = request_for(name, clients[PAGES[name][0]], info)
        seconds, queries, size = [], [], 0
        for _ in range(repeat):
            counter.n = 0
            started = time.perf_counter()
            response = send()
            size = sum(len(chunk) for chunk in response.response)  # read to the end
            response.close()
            seconds.append(time.perf_counter() - started)
            queries.append(counter.n)
            assert response.status_code == 200, f"{name}: {response.status_code}"
        out[name] = {"seconds": seconds, "queries": queries, "bytes": size,
                     "rss_mb": peak_rss_mb()}
    with app.app_context():
        db.session.remove()
        db.engine.dispose()
    return out


def run_page(info: dict, name: str, repeat: int) -> dict:
    """`measure` for one page in a fresh process, so its peak RSS is the page's own."""
    out = subprocess.run([sys.executable, __file__, "--worker", json.dumps(info), name,
                          str(repeat)], capture_output=True, text=True, cwd=ROOT)
    if out.returncode:
        sys.exit(f"{name} failed:\n{out.stderr}")
    return json.loads(out.stdout.strip().splitlines()[-1])[name]


def table(results: dict[int, dict[str, dict]]) -> list[str]:
    """Side by side: per size, min and median ms, statements and peak RSS; then the growth
    of the median time, the statements and the RSS from the first size to the last."""
    sizes = sorted(results)
    first, last = sizes[0], sizes[-1]
    head1 = f"{'':<24}" + "".join(f"  {f'{s:,} patients':<33}" for s in sizes)
    head2 = f"{'page':<24}" + "  min ms   med ms  queries  RSS MB" * len(sizes)
    if len(sizes) > 1:
        head1 += f"  {f'{last:,}/{first:,}':<20}"
        head2 += "   time queries   RSS"
    lines = [head1.rstrip(), head2]
    for name, (_, label) in PAGES.items():
        if not all(name in results[s] for s in sizes):
            continue
        row = f"{label:<24}"
        for s in sizes:
            r = results[s][name]
            fastest, median = min(r["seconds"]) * 1000, statistics.median(r["seconds"]) * 1000
            row += f"  {fastest:>6.0f} {median:>8.0f} {max(r['queries']):>8,} {r['rss_mb']:>7.0f}"
        if len(sizes) > 1:
            a, b = results[first][name], results[last][name]
            row += (f"  {statistics.median(b['seconds']) / statistics.median(a['seconds']):>5.2f}"
                    f" {max(b['queries']) / max(max(a['queries']), 1):>7.2f}"
                    f" {b['rss_mb'] / a['rss_mb']:>5.2f}")
        lines.append(row)
    return lines


# --------------------------------------------------------------------------- throughput

def hello_app():
    """The hello-world the entry form is compared with (gunicorn `bench_clinic:hello_app()`)."""
    from flask import Flask

    app = Flask("hello")
    app.add_url_rule("/", "hello", lambda: "Hello, World!")
    return app


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def gunicorn_settings() -> dict:
    import runpy

    conf = runpy.run_path(str(ROOT / "gunicorn.conf.py"))
    return {k: conf[k] for k in ("worker_class", "workers", "threads")}


@contextmanager
def gunicorn(spec: str, env: dict, pythonpath: str | None = None):
    """gunicorn with gunicorn.conf.py serving `spec` on a free port; the port. Stopped at the
    end, by its own process id."""
    port = _free_port()
    cmd = [sys.executable, "-m", "gunicorn", "-c", str(ROOT / "gunicorn.conf.py")]
    if pythonpath:
        cmd += ["--pythonpath", pythonpath]
    env = {**os.environ, "GUNICORN_BIND": f"127.0.0.1:{port}", **env}
    env.pop("DIARY_ENV", None)
    with tempfile.TemporaryFile() as log:
        proc = subprocess.Popen([*cmd, spec], cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                                stderr=log)
        try:
            deadline = time.monotonic() + 60
            while True:
                try:
                    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
                    conn.request("GET", "/")
                    conn.getresponse().read()
                    conn.close()
                    break
                except OSError:
                    if proc.poll() is not None or time.monotonic() > deadline:
                        log.seek(0)
                        sys.exit(f"gunicorn {spec} did not start:\n{log.read().decode()}")
                    time.sleep(0.1)
            yield port
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=40)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


class Browser:
    """A keep-alive client with a cookie jar, for signing in and reading forms."""

    def __init__(self, port: int):
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        self.cookies: dict[str, str] = {}

    def cookie_header(self) -> str:
        return "; ".join(f"{k}={v}" for k, v in self.cookies.items())

    def request(self, method: str, path: str, fields: dict | None = None):
        headers = {"Cookie": self.cookie_header()} if self.cookies else {}
        body = None
        if fields is not None:
            body = urlencode(fields, doseq=True)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        self.conn.request(method, path, body=body, headers=headers)
        response = self.conn.getresponse()
        text = response.read().decode()
        for cookie in response.headers.get_all("Set-Cookie") or []:
            name, _, rest = cookie.partition("=")
            value = rest.split(";", 1)[0]
            if value and "01 Jan 1970" not in cookie and "Max-Age=0" not in cookie:
                self.cookies[name] = value
            else:
                self.cookies.pop(name, None)
        return response.status, response.headers, text

    def sign_in(self, email: str) -> None:
        _, _, page = self.request("GET", "/sign-in")
        status, _, _ = self.request("POST", "/sign-in", {
            "email": email, "password": PASSWORD, "csrf_token": _input(page, "csrf_token")})
        assert status == 302, f"sign-in as {email} under gunicorn: {status}"

    def entry_fields(self) -> dict:
        """The new-entry form as the page offers it, filled in (without its client id)."""
        status, _, page = self.request("GET", "/diary/")
        assert status == 200, status
        return {"csrf_token": _input(page, "csrf_token"),
                "observed_at": _input(page, "observed_at"),
                "temp_unit": _checked(page, "temp_unit") or "C", **ENTRY}


WRK_POST = """
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
local body = "%(body)s&client_id="
local nonce = "%(nonce)s"
local threads = 0
function setup(thread)
  threads = threads + 1
  thread:set("tid", threads)
end
local n = 0
function request()
  n = n + 1
  local id = string.format("%%08x-%%04x-4%%s-a%%s-%%s", n, tid, string.sub(nonce, 1, 3),
                           string.sub(nonce, 4, 6), string.sub(nonce, 7, 18))
  return wrk.format(nil, nil, nil, body .. id)
end
"""


def load(port: int, path: str, headers: dict, seconds: float, connections: int,
         post: str | None = None) -> dict:
    """Requests a second for `seconds` (POSTing `post` with a new client id each time)."""
    if shutil.which("wrk"):
        return _wrk(port, path, headers, seconds, connections, post)
    return _python_load(port, path, headers, seconds, connections, post)


def _wrk(port, path, headers, seconds, connections, post) -> dict:
    cmd = ["wrk", "-t", "2", "-c", str(connections), "-d", f"{max(1, round(seconds))}s",
           "--timeout", "60s"]
    for name, value in headers.items():
        cmd += ["-H", f"{name}: {value}"]
    with tempfile.NamedTemporaryFile("w", suffix=".lua") as script:
        if post is not None:
            script.write(WRK_POST % {"body": post, "nonce": secrets.token_hex(9)})
            script.flush()
            cmd += ["-s", script.name]
        out = subprocess.run([*cmd, f"http://127.0.0.1:{port}{path}"], capture_output=True,
                             text=True, check=True).stdout
    bad = re.search(r"Non-2xx or 3xx responses:\s*(\d+)", out)
    errors = re.search(r"Socket errors:.*", out)
    return {"rps": float(re.search(r"Requests/sec:\s*([\d.]+)", out).group(1)),
            "requests": int(re.search(r"(\d+) requests in", out).group(1)),
            "bad": int(bad.group(1)) if bad else 0,
            "errors": errors.group(0) if errors else ""}


def _python_load(port, path, headers, seconds, connections, post) -> dict:
    deadline = time.perf_counter() + seconds
    done, bad = [0] * connections, [0] * connections
    if post is not None:
        headers = {**headers, "Content-Type": "application/x-www-form-urlencoded"}

    def run(i: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        while time.perf_counter() < deadline:
            body = None if post is None else f"{post}&client_id={uuid.uuid4()}"
            try:
                conn.request("POST" if post is not None else "GET", path, body=body,
                             headers=headers)
                response = conn.getresponse()
                response.read()
            except (OSError, http.client.HTTPException):
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
                bad[i] += 1
                continue
            done[i] += 1
            bad[i] += response.status >= 400
        conn.close()

    started = time.perf_counter()
    workers = [threading.Thread(target=run, args=(i,)) for i in range(connections)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    return {"rps": sum(done) / (time.perf_counter() - started), "requests": sum(done),
            "bad": sum(bad), "errors": ""}


def throughput(info: dict, seconds: float, rounds: int) -> list[str]:
    """gunicorn: hello-world, the entry form GET and the entry POST, in turn, `rounds` times;
    the best of each, and the app's as ratios to hello-world."""
    settings = gunicorn_settings()
    connections = settings["workers"] * settings["threads"]
    env = {"DATABASE_URL": info["url"], "SECRET_KEY": SECRET_KEY, "DIARY_AUDIT_KEY": AUDIT_KEY}
    tool = "wrk" if shutil.which("wrk") else "Python threads (no wrk: apt-get install -y wrk)"
    with gunicorn("wsgi:app", env) as app_port, \
            gunicorn("bench_clinic:hello_app()", {}, pythonpath=str(ROOT / "bench")) as hello:
        reader, poster = Browser(app_port), Browser(app_port)
        reader.sign_in(MEASURED)
        poster.sign_in(POSTER)
        fields = poster.entry_fields()
        status, headers, _ = poster.request("POST", "/diary/", {**fields,
                                                                "client_id": str(uuid.uuid4())})
        assert status == 302 and headers["Location"].endswith("/diary/history"), (
            f"the entry POST did not save (status {status}): check ENTRY against the form")
        post = urlencode(fields)
        base = {"Accept-Encoding": BROWSER_ENCODINGS}
        jobs = {
            "hello-world": lambda s: load(hello, "/", base, s, connections),
            "entry form GET": lambda s: load(app_port, "/diary/", {
                **base, "Cookie": reader.cookie_header()}, s, connections),
            "entry POST": lambda s: load(app_port, "/diary/", {
                **base, "Cookie": poster.cookie_header()}, s, connections, post=post),
        }
        for job in jobs.values():
            job(min(2.0, seconds))  # warm-up: every worker imported and compiled everything
        best: dict[str, dict] = {}
        for _ in range(rounds):
            for name, job in jobs.items():
                result = job(seconds)
                if name not in best or result["rps"] > best[name]["rps"]:
                    best[name] = result
    hello_rps = best["hello-world"]["rps"]
    lines = [f"gunicorn {settings['worker_class']}, {settings['workers']} workers x "
             f"{settings['threads']} threads (gunicorn.conf.py), {connections} connections, "
             f"load by {tool}, best of {rounds} x {seconds:g} s, on the "
             f"{info['patients']:,}-patient clinic",
             f"{'':<16} {'req/s':>8} {'x hello':>8} {'requests':>9} {'failed':>7}"]
    for name, r in best.items():
        ratio = "" if name == "hello-world" else f"{r['rps'] / hello_rps:.3f}"
        lines.append(f"{name:<16} {r['rps']:>8.1f} {ratio:>8} {r['requests']:>9,} "
                     f"{r['bad']:>7,} {r['errors']}".rstrip())
    lines.append("target: the entry form GET and POST at >= 0.2x hello-world")
    return lines


# --------------------------------------------------------------------------------- main

@contextmanager
def database(url: str | None):
    """A temporary SQLite file, or a private PostgreSQL database beside `url`: its URL."""
    if not url:
        with tempfile.TemporaryDirectory() as tmp:
            yield f"sqlite:///{tmp}/bench.sqlite"
        return
    import sqlalchemy as sa

    from diary.web.config import database_url

    base = sa.make_url(database_url(url))
    name = f"{base.database}_bench{os.getpid()}"
    admin = sa.create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}"')
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    try:
        yield base.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="200,1000", help="patients, comma-separated")
    parser.add_argument("--days", type=int, default=365, help="each patient's diary, in days")
    parser.add_argument("--repeat", type=int, default=3, help="requests timed per page")
    parser.add_argument("--database-url", help="PostgreSQL to make a private database beside")
    parser.add_argument("--quick", action="store_true",
                        help="tiny clinics (5 and 10 patients, 30 days), 3 s loads")
    parser.add_argument("--duration", type=float, default=10, help="seconds of each load")
    parser.add_argument("--rounds", type=int, default=2, help="loads of each, best taken")
    parser.add_argument("--no-throughput", action="store_true", help="skip gunicorn")
    parser.add_argument("--worker", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        info, name, repeat = args.worker
        print(json.dumps(measure(json.loads(info), [name], int(repeat))))
        return
    sizes = sorted({int(s) for s in args.sizes.split(",")})
    days, duration = args.days, args.duration
    if args.quick:
        sizes, days, duration = [5, 10], 30, 3
    now = datetime.now(UTC)
    results: dict[int, dict] = {}
    with database(args.database_url) as url:
        dialect = url.split(":", 1)[0].split("+", 1)[0]
        print(f"{dialect}; each patient {days} days of diary; {args.repeat} requests a page, "
              f"each page in a fresh process", flush=True)
        for size in sizes:
            info = seed(url, size, days, now)
            summaries = ("" if info["summary_seconds"] is None else
                         f"; refresh-summaries {info['summary_seconds']:.1f} s")
            print(f"{size:,} patients: {info['all_entries']:,} entries (the measured patient "
                  f"{info['entries']:,} and {info['blocks']} blocks), seeded "
                  f"{info['added']:,} in {info['seed_seconds']:.1f} s{summaries}", flush=True)
            results[size] = {}
            for name, (_, label) in PAGES.items():
                r = results[size][name] = run_page(info, name, args.repeat)
                print(f"  {label:<24} median {statistics.median(r['seconds']) * 1000:8.0f} ms, "
                      f"{max(r['queries']):,} queries, {r['rss_mb']:.0f} MB, "
                      f"{r['bytes'] / 1e3:,.0f} kB", flush=True)
        print()
        print("\n".join(table(results)))
        if not args.no_throughput:
            print()
            print("\n".join(throughput(info, duration, args.rounds)), flush=True)


if __name__ == "__main__":
    main()
