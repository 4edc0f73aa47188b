"""Time the clinic exports through the app against the database's own CSV writer.

    python bench/bench_export.py [--rows 1000000] [--small 250000] [--repeat 2]
                                 [--patients 200,1000] [--only entries|summary]
                                 [--database-url postgresql://user@host:5432/db]

Seeds a temporary database (migrated like production), through SQL, with:

- two clinics for the **entries export**, one of `--small` entries and one of `--rows`. For
  each, a fresh worker process signs in through Flask's test client, POSTs the clinic export
  and reads the streamed response to the end, reporting its time and the process's peak RSS;
  the ceiling is the database's own shell writing the same SELECT (same rows, columns and
  order) as CSV: `sqlite3 -csv`, or `psql -c "\\copy (SELECT ...) TO STDOUT WITH CSV"`.
  Targets: >= 0.6x `sqlite3 -csv`, within 1.5x of `psql` (ratio >= 0.67), peak RSS under
  150 MB that does not grow with the rows.
- one clinic per `--patients` size for the **block-summary export**: each patient has a year
  of diary (730 readings, two a day, and four more on each block day: ~742) and 2-4 blocks
  (diagnostic then therapeutic, with clinic temperatures, relief for 12 days after each). A
  worker POSTs the block-summary export and reports its time, the SQL statements it issued
  (counted on the engine), the time spent inside `analyse_patient` (the ceiling: the export
  can go no faster than the analysis it runs), and peak RSS. Target: 1,000 patients <= 5 s,
  queries a fixed number per batch of patients.

Without `--database-url` the database is a SQLite file in a temporary directory (needs the
sqlite3 shell: apt-get install -y sqlite3). With it, a private database `bench_export_<pid>`
is created beside the one named, used, and dropped at the end (needs psql).
"""

import argparse
import json
import logging
import os
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402

from diary.interchange import csv_export as export  # noqa: E402

PASSWORD = "bench-password-long-enough"  # noqa: S105 - a throwaway database
AUDIT_KEY = "bench-audit-key-" + "a" * 32
ENTRY_CLINICS = {"small@bench.example": 10, "large@bench.example": 40}  # email -> patients
YEAR_START = 1704067200  # 2024-01-01 00:00 UTC: the summary clinics' diaries run for a year
READINGS = 730           # two a day for 365 days, per patient
WINDOW_HOURS = (1, 2, 3, 5)  # readings after each block, on the block day


@dataclass(frozen=True)
class Dialect:
    """What differs between SQLite and PostgreSQL in the seeding SQL."""

    name: str
    uuid: str

    def prefix(self, var: str = "i") -> str:
        """The WITH clause that `numbers` needs, if any."""
        if self.name == "sqlite":
            step = f"SELECT {var} + 1 FROM n WHERE {var} < :count - 1"  # noqa: S608
            return f"WITH RECURSIVE n({var}) AS (SELECT 0 UNION ALL {step})"
        return ""

    def numbers(self, var: str = "i") -> str:
        """A FROM clause giving `var` = 0 .. :count - 1."""
        return "n" if self.name == "sqlite" else f"generate_series(0, :count - 1) AS n({var})"

    def time(self, epoch_seconds: str) -> str:
        if self.name == "sqlite":  # what SQLAlchemy stores on SQLite
            return f"strftime('%Y-%m-%d %H:%M:%S', {epoch_seconds}, 'unixepoch') || '.000000'"
        return f"to_timestamp({epoch_seconds})"


SQLITE = Dialect(
    "sqlite",
    uuid="lower(hex(randomblob(4))) || '-' || lower(hex(randomblob(2))) || '-4'"
         " || substr(lower(hex(randomblob(2))), 2) || '-a' || substr(lower(hex(randomblob(2))), 2)"
         " || '-' || lower(hex(randomblob(6)))")
POSTGRES = Dialect("postgresql", uuid="gen_random_uuid()::text")

ENTRY_INSERT = """INSERT INTO entry (id, patient_id, observed_at, utc_offset_min, pain,
    temp_treated_c, temp_other_c, colour, feels, walk_pain_free_min, walk_max_min,
    did_not_walk, swelling, sweating, side_effects, rescue_medication, notes, entered_by,
    created_at, updated_at{})"""
# The follow-up answers (migration 0008) are nullable: the summary clinics' diaries leave them
# out (NULL, not answered); the entries clinics vary them like every other column.
FOLLOW_UP = ", touch_pain, night_rest_pain, wound, pgic"


def entries_sql(d: Dialect) -> str:
    """`:count` entries spread over `:patients` patients, every column varied."""
    return f"""{d.prefix()} {ENTRY_INSERT.format(FOLLOW_UP)}
SELECT
    {d.uuid},
    :first_patient + i % :patients,
    {d.time("1420070400 + (i / :patients) * 21600 + i % 3571")},
    CASE WHEN (i / :patients / 720) % 2 = 1 THEN 60 ELSE 0 END,
    i % 11,
    CASE WHEN i % 3 = 0 THEN NULL ELSE 25.0 + (i % 90) / 10.0 END,
    CASE WHEN i % 3 = 0 THEN NULL ELSE 26.0 + (i % 70) / 10.0 END,
    CASE i % 5 WHEN 0 THEN 'same' WHEN 1 THEN 'blue_purple' WHEN 2 THEN 'mottled' ELSE NULL END,
    CASE i % 4 WHEN 0 THEN 'warmer' WHEN 1 THEN 'colder' ELSE NULL END,
    CASE WHEN i % 4 = 1 THEN i % 20 ELSE NULL END,
    CASE WHEN i % 4 = 1 THEN 20 + i % 20 ELSE NULL END,
    i % 17 = 0,
    CASE i % 3 WHEN 0 THEN 'none' WHEN 1 THEN 'mild' ELSE NULL END,
    CASE i % 3 WHEN 0 THEN 'less' ELSE NULL END,
    CASE WHEN i % 11 = 0 THEN 'back_soreness;bruising' ELSE '' END,
    i % 13 = 0,
    CASE WHEN i % 20 = 0 THEN 'Walked to the shop, then sat down.'
         WHEN i % 97 = 0 THEN '-2 points after "the jab"' ELSE '' END,
    :clinician,
    {d.time("1420070520 + (i / :patients) * 21600")},
    {d.time("1420070520 + (i / :patients) * 21600")},
    CASE i % 4 WHEN 0 THEN 'none' WHEN 1 THEN 'mild' WHEN 2 THEN 'marked' ELSE NULL END,
    CASE i % 7 WHEN 0 THEN TRUE WHEN 1 THEN FALSE ELSE NULL END,
    CASE i % 7 WHEN 0 THEN 'healing' WHEN 1 THEN 'unchanged' WHEN 2 THEN 'none' ELSE NULL END,
    CASE i % 28 WHEN 0 THEN 'much_better' WHEN 14 THEN 'no_change' ELSE NULL END
FROM {d.numbers()}"""  # noqa: S608 - our own SQL


# Patient p (0-based in its clinic) has 2 + p % 3 blocks, 90 days apart from day 40 + p % 30,
# at 09:00 UTC: block j of the clinic is patient j / 4's block number j % 4.
_BLOCK_DAY = "(40 + (j / 4) % 30 + 90 * (j % 4))"
_HAS_BLOCK = "j % 4 < 2 + (j / 4) % 3"
_BST = "CASE WHEN {day} BETWEEN 88 AND 300 THEN 60 ELSE 0 END"  # London's offset, roughly


def year_sql(d: Dialect) -> str:
    """A year of readings for each of `:patients` patients: 7-9 am and 7-9 pm, pain 6-8,
    relieved to 2-4 for days 1-12 after each block."""
    return f"""{d.prefix()} {ENTRY_INSERT.format("")}
SELECT {d.uuid}, :first_patient + p,
    {d.time(f"{YEAR_START} + (i % {READINGS}) * 43200 + 25200 + (i % 7200) * 7919 % 7200")},
    {_BST.format(day="d")},
    CASE WHEN k >= 0 AND k % 90 BETWEEN 1 AND 12 AND k / 90 < 2 + p % 3
         THEN 2 + i % 3 ELSE 6 + i % 3 END,
    CASE WHEN i % 2 = 0 THEN 27.0 + (i % 40) / 10.0 ELSE NULL END,
    CASE WHEN i % 2 = 0 THEN 28.0 + (i % 30) / 10.0 ELSE NULL END,
    CASE i % 5 WHEN 0 THEN 'same' WHEN 1 THEN 'blue_purple' ELSE NULL END,
    CASE i % 4 WHEN 0 THEN 'warmer' WHEN 1 THEN 'colder' ELSE NULL END,
    CASE WHEN i % 4 = 1 THEN 5 + i % 20 ELSE NULL END,
    CASE WHEN i % 4 = 1 THEN 25 + i % 20 ELSE NULL END,
    i % 29 = 0, NULL, NULL,
    CASE WHEN i % 37 = 0 THEN 'back_soreness' ELSE '' END,
    i % 31 = 0, '', :user, {d.time("1704067200")}, {d.time("1704067200")}
FROM (SELECT i, i / {READINGS} AS p, (i % {READINGS}) / 2 AS d,
             (i % {READINGS}) / 2 - (i / {READINGS}) % 30 - 40 AS k FROM {d.numbers()}) AS s"""  # noqa: S608 - our own SQL


def blocks_sql(d: Dialect) -> str:
    return f"""{d.prefix("j")}
INSERT INTO block (patient_id, performed_at, utc_offset_min, side, kind, level, agent,
    volume_ml, long_acting, pre_pain, temp_treated_pre_c, temp_treated_10_c, temp_treated_20_c,
    temp_other_pre_c, temp_other_30_c, somatic_spread, sedation, confirmed_other_means, notes,
    recorded_by, created_at, updated_at)
SELECT :first_patient + j / 4, {d.time(f"{YEAR_START} + {_BLOCK_DAY} * 86400 + 32400")},
    {_BST.format(day=_BLOCK_DAY)}, 'left',
    CASE WHEN j % 4 = 0 THEN 'diagnostic_la' ELSE 'therapeutic_la' END, 'L3', 'Bupivacaine',
    10.0, FALSE, 7, 28.0, 31.5, 31.0, 28.5, 28.7, FALSE, FALSE, FALSE, '', :clinician,
    {d.time("1704067200")}, {d.time("1704067200")}
FROM {d.numbers("j")} WHERE {_HAS_BLOCK}"""  # noqa: S608 - our own SQL


def window_sql(d: Dialect) -> str:
    """Four readings on each block day, 1-5 h after it (the verdict's window)."""
    hours = " ".join(f"WHEN {n} THEN {h}" for n, h in enumerate(WINDOW_HOURS))
    return f"""{d.prefix()} {ENTRY_INSERT.format("")}
SELECT {d.uuid}, :first_patient + j / 4,
    {d.time(f"{YEAR_START} + {_BLOCK_DAY} * 86400 + 32400 + h * 3600")},
    {_BST.format(day=_BLOCK_DAY)}, 2 + h % 2, 31.5, 28.6, 'red_flushed', 'warmer', NULL, NULL,
    FALSE, NULL, NULL, '', FALSE, '', :user, {d.time("1704067200")}, {d.time("1704067200")}
FROM (SELECT i / 4 AS j, CASE i % 4 {hours} END AS h FROM {d.numbers()}) AS s
WHERE {_HAS_BLOCK}"""  # noqa: S608 - our own SQL


# ------------------------------------------------------------------------------ databases

class Database:
    """The benchmark's own database: a SQLite file, or a private PostgreSQL database."""

    def __init__(self, tmp: Path, server_url: str | None):
        self.server_url = server_url
        if server_url is None:
            self.path = Path(tmp) / "bench.sqlite"
            self.url = f"sqlite:///{self.path}"
            self.dialect = SQLITE
        else:
            from diary.web.config import database_url

            base = sa.make_url(database_url(server_url))
            self.name = f"bench_export_{os.getpid()}"
            self.admin = sa.create_engine(base, isolation_level="AUTOCOMMIT")
            with self.admin.connect() as conn:
                conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{self.name}"')
                conn.exec_driver_sql(f'CREATE DATABASE "{self.name}"')
            self.url = base.set(database=self.name).render_as_string(hide_password=False)
            self.dialect = POSTGRES

    @property
    def libpq_url(self) -> str:
        return self.url.replace("postgresql+psycopg://", "postgresql://", 1)

    def drop(self) -> None:
        if self.server_url is not None:
            with self.admin.connect() as conn:
                conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')
            self.admin.dispose()

    def size(self) -> str:
        if self.server_url is None:
            return f"{self.path.stat().st_size / 1e6:.0f} MB"
        engine = sa.create_engine(self.url)
        with engine.connect() as conn:
            size = conn.scalar(sa.text("SELECT pg_database_size(current_database())"))
        engine.dispose()
        return f"{size / 1e6:.0f} MB"


def _config(url: str) -> dict:
    return {"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "b" * 40, "AUDIT_KEY": AUDIT_KEY,
            "RATELIMIT_ENABLED": False}


def seed(db_: Database, entry_sizes: dict[str, int], summary_sizes: list[int]) -> dict:
    """Migrate, then add the clinics; returns {email: patient ids} and expected row counts."""
    from flask_migrate import upgrade
    from werkzeug.security import generate_password_hash

    from diary.data.db import db
    from diary.web import create_app

    app = create_app(_config(db_.url))
    logging.disable(logging.INFO)  # Alembic's line per migration
    with app.app_context():
        upgrade()
        db.engine.dispose()
    logging.disable(logging.NOTSET)
    password = generate_password_hash(PASSWORD, method="pbkdf2:sha256:1000")
    engine = sa.create_engine(db_.url)
    d = db_.dialect
    clinics = {}
    with engine.begin() as conn:
        if d.name == "sqlite":
            conn.exec_driver_sql("PRAGMA synchronous=OFF")
        user_id, first = 0, 1

        def clinic(email: str, patients: int) -> tuple[int, int]:
            """A clinic of its own (id = its consultant's), so it sees only its patients."""
            nonlocal user_id, first
            user_id += 1
            at = _epoch(d, 1420070400)
            conn.execute(sa.text(
                "INSERT INTO clinic (id, name, own_patients_only, timezone, created_at)"
                " VALUES (:id, :name, FALSE, 'Europe/London', :at)"),
                {"id": user_id, "name": f"Bench clinic {user_id}", "at": at})
            conn.execute(sa.text(
                'INSERT INTO "user" (id, email, password_hash, role, name, active, created_at)'
                " VALUES (:id, :email, :pw, 'staff', 'Bench', TRUE, :at)"),
                {"id": user_id, "email": email, "pw": password, "at": at})
            conn.execute(sa.text(
                "INSERT INTO membership (user_id, clinic_id, roles, created_at)"
                " VALUES (:id, :id, 'consultant', :at)"), {"id": user_id, "at": at})
            conn.execute(sa.text(
                "INSERT INTO patient (id, clinic_id, clinician_id, display_name, record_number,"
                " treated_side, condition, temp_unit, timezone, is_demo, created_at) VALUES"
                " (:id, :clinician, :clinician, 'Bench', :record, 'left', 'crps', 'C',"
                " 'Europe/London', FALSE, :at)"),
                [{"id": first + p, "clinician": user_id, "record": f"B{user_id}-{p:04d}",
                  "at": at} for p in range(patients)])
            clinics[email] = list(range(first, first + patients))
            first += patients
            return user_id, first - patients

        for email, patients in ENTRY_CLINICS.items():
            clinician, first_patient = clinic(email, patients)
            if entry_sizes[email]:
                conn.execute(sa.text(entries_sql(d)), {
                    "count": entry_sizes[email], "first_patient": first_patient,
                    "patients": patients, "clinician": clinician})
        for patients in summary_sizes:
            clinician, first_patient = clinic(summary_email(patients), patients)
            args = {"first_patient": first_patient, "clinician": clinician, "user": clinician}
            conn.execute(sa.text(blocks_sql(d)), {**args, "count": patients * 4})
            conn.execute(sa.text(year_sql(d)), {**args, "count": patients * READINGS})
            conn.execute(sa.text(window_sql(d)),
                         {**args, "count": patients * 4 * len(WINDOW_HOURS)})
        if d.name == "postgresql":
            for table in ('"user"', "clinic", "patient"):
                top = f"SELECT max(id) FROM {table}"  # noqa: S608
                conn.exec_driver_sql(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'),"
                                     f" ({top}))")
    with engine.connect() as conn:
        if d.name == "postgresql":
            conn.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql("VACUUM ANALYZE")
        blocks = dict(conn.execute(sa.text(
            "SELECT u.email, count(*) FROM block b JOIN patient p ON p.id = b.patient_id"
            ' JOIN "user" u ON u.id = p.clinician_id GROUP BY u.email')).all())
        entries = dict(conn.execute(sa.text(
            "SELECT u.email, count(*) FROM entry e JOIN patient p ON p.id = e.patient_id"
            ' JOIN "user" u ON u.id = p.clinician_id GROUP BY u.email')).all())
    engine.dispose()
    return {"patients": clinics, "blocks": blocks, "entries": entries}


def _epoch(d: Dialect, seconds: int):
    from datetime import UTC, datetime

    when = datetime.fromtimestamp(seconds, UTC)
    return when.strftime("%Y-%m-%d %H:%M:%S.%f") if d.name == "sqlite" else when


def summary_email(patients: int) -> str:
    return f"summary{patients}@bench.example"


def ceiling_sql(patient_ids: list[int]) -> str:
    """The SELECT the app's entries export runs (exports.entry_rows), with the ids written in."""
    columns = ", ".join(f"entry.{c}" for c in export.EntryRow._fields)
    patients = ", ".join(map(str, patient_ids))
    # Our own column names and ids, not input: S608 does not apply.
    return (f"SELECT {columns} FROM entry WHERE entry.patient_id IN ({patients}) "  # noqa: S608
            "AND entry.deleted_at IS NULL ORDER BY entry.patient_id, entry.observed_at, entry.id")


# -------------------------------------------------------------------------------- workers

def worker(url: str, email: str, what: str) -> None:
    """One export through the app, in this fresh process; prints JSON."""
    from diary.clinical import analysis
    from diary.data.db import db
    from diary.web import create_app

    app = create_app(_config(url))
    client = app.test_client()
    signed = client.post("/sign-in", data={"email": email, "password": PASSWORD,
                                           "csrf_token": _token(client, "/sign-in")})
    assert signed.status_code == 302, signed.status_code
    token = _token(client, "/clinic/export")  # signing in starts a new session

    queries = 0
    analysing = [0.0, 0]
    original = analysis.analyse_patient

    def timed(*args, **kwargs):  # the analysis's own share: the export's floor
        started = time.perf_counter()
        try:
            return original(*args, **kwargs)
        finally:
            analysing[0] += time.perf_counter() - started
            analysing[1] += 1

    analysis.analyse_patient = timed

    def count(*_args):
        nonlocal queries
        queries += 1

    with app.app_context():
        sa.event.listen(db.engine, "before_cursor_execute", count)
    usage = resource.getrusage(resource.RUSAGE_SELF)
    rss_before, cpu_before = usage.ru_maxrss / 1024, usage.ru_utime + usage.ru_stime
    size = lines = 0
    with open(os.devnull, "wb") as sink:
        started = time.perf_counter()
        response = client.post("/clinic/export", data={"what": what, "csrf_token": token},
                               buffered=False)
        assert response.status_code == 200, response.status_code
        for chunk in response.response:
            sink.write(chunk)
            size += len(chunk)
            lines += chunk.count(b"\r\n")
        response.close()
        seconds = time.perf_counter() - started
    usage = resource.getrusage(resource.RUSAGE_SELF)
    print(json.dumps({"seconds": seconds, "bytes": size, "rows": lines - 1, "queries": queries,
                      "analysis_seconds": analysing[0], "analysed": analysing[1],
                      "cpu_seconds": usage.ru_utime + usage.ru_stime - cpu_before,
                      "rss_before_mb": rss_before, "rss_peak_mb": usage.ru_maxrss / 1024}))


def _token(client, url: str) -> str:
    page = client.get(url).get_data(as_text=True)
    tag = next(t for t in re.findall(r"<input[^>]*>", page) if 'name="csrf_token"' in t)
    return re.search(r'value="([^"]*)"', tag).group(1)


def run_worker(url: str, email: str, what: str) -> dict:
    out = subprocess.run([sys.executable, __file__, "--worker", url, email, what],
                         capture_output=True, text=True, cwd=ROOT)
    if out.returncode:
        sys.exit(f"worker failed:\n{out.stderr}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def run_ceiling(db_: Database, sql: str) -> dict:
    if db_.dialect.name == "sqlite":
        command = [shutil.which("sqlite3"), "-csv", "-header", str(db_.path), sql]
    else:
        command = [shutil.which("psql"), "-X", "-q", db_.libpq_url, "-c",
                   f"\\copy ({sql}) TO STDOUT WITH CSV HEADER"]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    with open(os.devnull, "wb") as sink:
        subprocess.run(command, check=True, stdout=sink)
    seconds = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return {"seconds": seconds, "cpu_seconds": (after.ru_utime + after.ru_stime)
            - (before.ru_utime + before.ru_stime)}


# ----------------------------------------------------------------------------- sections

def bench_entries(db_: Database, seeded: dict, repeat: int) -> None:
    sqlite = db_.dialect.name == "sqlite"
    shell = "sqlite3" if sqlite else "psql"
    target = ">= 0.6" if sqlite else ">= 0.67 (within 1.5x)"
    print(f"\nclinic entries export ({db_.dialect.name}) vs `{shell}` CSV of the same SELECT; "
          f"ratio = {shell} s / app s, target {target}"
          + ("" if sqlite else "; psql's CPU leaves out the server's, so no CPU ratio"))
    print(f"{'rows':>10} {'app s':>6} {shell + ' s':>9} {'ratio':>5} {'cpu ratio':>9} "
          f"{'app MB/s':>8} {'RSS before':>10} {'RSS peak':>8}")
    for email in ENTRY_CLINICS:
        rows = seeded["entries"][email]
        sql = ceiling_sql(seeded["patients"][email])
        apps, ceilings = [], []
        for _ in range(repeat):  # taken in turn, so both see the same machine load
            apps.append(run_worker(db_.url, email, "entries"))
            ceilings.append(run_ceiling(db_, sql))
        assert all(r["rows"] == rows for r in apps), (apps, rows)
        app = min(r["seconds"] for r in apps)
        app_cpu = min(r["cpu_seconds"] for r in apps)
        ceiling = min(r["seconds"] for r in ceilings)
        ceiling_cpu = min(r["cpu_seconds"] for r in ceilings)
        size = apps[0]["bytes"] / 1e6
        cpu_ratio = f"{ceiling_cpu / app_cpu:>9.2f}" if sqlite else f"{'-':>9}"
        print(f"{rows:>10,} {app:>6.2f} {ceiling:>9.2f} {ceiling / app:>5.2f} "
              f"{cpu_ratio} {size / app:>8.1f} "
              f"{min(r['rss_before_mb'] for r in apps):>8.0f}MB "
              f"{max(r['rss_peak_mb'] for r in apps):>6.0f}MB")


def bench_summary(db_: Database, seeded: dict, sizes: list[int], repeat: int) -> None:
    print(f"\nclinic block-summary export ({db_.dialect.name}): a year of diary per patient; "
          "analysis s = time inside analyse_patient, the floor; target <= 5 s at 1,000")
    print(f"{'patients':>8} {'entries':>8} {'blocks':>6} {'app s':>6} {'ms/patient':>10} "
          f"{'queries':>7} {'analysis s':>10} {'other s':>7} {'RSS before':>10} {'RSS peak':>8}")
    times = {}
    for patients in sizes:
        email = summary_email(patients)
        runs = [run_worker(db_.url, email, "block-summary") for _ in range(repeat)]
        assert all(r["rows"] == seeded["blocks"][email] for r in runs), runs
        best = min(runs, key=lambda r: r["seconds"])
        times[patients] = best["seconds"]
        print(f"{patients:>8,} {seeded['entries'][email]:>8,} {seeded['blocks'][email]:>6,} "
              f"{best['seconds']:>6.2f} {best['seconds'] / patients * 1000:>10.2f} "
              f"{best['queries']:>7,} {best['analysis_seconds']:>10.2f} "
              f"{best['seconds'] - best['analysis_seconds']:>7.2f} "
              f"{best['rss_before_mb']:>8.0f}MB {max(r['rss_peak_mb'] for r in runs):>6.0f}MB")
    if len(sizes) > 1:
        lo, hi = min(sizes), max(sizes)
        print(f"growth {hi:,}/{lo:,} patients: {times[hi] / times[lo]:.2f}x the time for "
              f"{hi / lo:.1f}x the patients")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--small", type=int, default=250_000)
    parser.add_argument("--patients", default="200,1000",
                        help="block-summary clinic sizes, comma-separated")
    parser.add_argument("--repeat", type=int, default=2, help="best of this many runs each")
    parser.add_argument("--only", choices=("entries", "summary"))
    parser.add_argument("--database-url", help="a PostgreSQL server to make a database on")
    parser.add_argument("--worker", nargs=3, metavar=("URL", "EMAIL", "WHAT"),
                        help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(*args.worker)
        return
    shell = "psql" if args.database_url else "sqlite3"
    if shutil.which(shell) is None:
        sys.exit(f"The {shell} shell is needed for the ceiling (Debian: apt-get install -y "
                 f"{'postgresql-client' if args.database_url else 'sqlite3'})")
    entry_sizes = dict(zip(ENTRY_CLINICS, (args.small, args.rows), strict=True))
    if args.only == "summary":
        entry_sizes = dict.fromkeys(ENTRY_CLINICS, 0)
    summary_sizes = [] if args.only == "entries" else [
        int(n) for n in args.patients.split(",") if n]
    with tempfile.TemporaryDirectory() as tmp:
        db_ = Database(Path(tmp), args.database_url)
        try:
            started = time.perf_counter()
            seeded = seed(db_, entry_sizes, summary_sizes)
            print(f"seeded {sum(seeded['entries'].values()):,} entries and "
                  f"{sum(seeded['blocks'].values()):,} blocks in "
                  f"{time.perf_counter() - started:.1f} s ({db_.size()}, {db_.dialect.name})")
            if args.only != "summary":
                bench_entries(db_, seeded, args.repeat)
            if summary_sizes:
                bench_summary(db_, seeded, summary_sizes, args.repeat)
        finally:
            db_.drop()


if __name__ == "__main__":
    main()
