"""Time the clinic-wide entries export through the app against `sqlite3 -csv` of the same rows.

    python bench/bench_export.py [--rows 1000000] [--small 250000] [--repeat 2]

Seeds a temporary SQLite database (migrated like production) with two clinics, one of
`--small` entries and one of `--rows`, in a single SQL statement each. Then, for each clinic,
a fresh worker process signs in through Flask's test client, POSTs the clinic export and reads
the streamed response to the end, reporting its time and the process's peak RSS; the ceiling
is the sqlite3 command-line shell writing the same SELECT (same rows, columns and order) as
CSV. Both go to /dev/null. Target: the app at >= 0.5x the ceiling's speed, with a peak RSS
under 150 MB that does not grow with the number of rows.

Needs the sqlite3 shell (Debian: apt-get install -y sqlite3).
"""

import argparse
import json
import os
import re
import resource
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from diary.interchange import csv_export as export  # noqa: E402

PASSWORD = "bench-password-long-enough"  # noqa: S105 - a throwaway database
CLINICS = {"small@bench.example": 10, "large@bench.example": 40}  # email -> patients

SEED = """
WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < :rows - 1)
INSERT INTO entry (id, patient_id, observed_at, utc_offset_min, pain, temp_treated_c,
    temp_other_c, colour, feels, walk_pain_free_min, walk_max_min, did_not_walk, swelling,
    sweating, side_effects, rescue_medication, notes, entered_by, created_at, updated_at)
SELECT
    lower(hex(randomblob(4))) || '-' || lower(hex(randomblob(2))) || '-4'
        || substr(lower(hex(randomblob(2))), 2) || '-a' || substr(lower(hex(randomblob(2))), 2)
        || '-' || lower(hex(randomblob(6))),
    :first_patient + i % :patients,
    strftime('%Y-%m-%d %H:%M:%S', 1420070400 + (i / :patients) * 21600 + i % 3571,
             'unixepoch') || '.000000',
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
    strftime('%Y-%m-%d %H:%M:%S', 1420070520 + (i / :patients) * 21600, 'unixepoch')
        || '.000000',
    strftime('%Y-%m-%d %H:%M:%S', 1420070520 + (i / :patients) * 21600, 'unixepoch')
        || '.000000'
FROM n
"""


def seed(path: Path, sizes: dict[str, int]) -> None:
    from flask_migrate import upgrade
    from werkzeug.security import generate_password_hash

    from diary.data.db import db
    from diary.web import create_app

    app = create_app(_config(path))
    with app.app_context():
        upgrade()
        db.engine.dispose()
    con = sqlite3.connect(path)
    con.execute("PRAGMA synchronous=OFF")
    password = generate_password_hash(PASSWORD, method="pbkdf2:sha256:1000")
    first_patient = 1
    for user_id, (email, patients) in enumerate(CLINICS.items(), start=1):
        con.execute("INSERT INTO user (id, email, password_hash, role, name, active, created_at)"
                    " VALUES (?, ?, ?, 'clinician', 'Bench', 1, '2015-01-01 00:00:00.000000')",
                    (user_id, email, password))
        con.executemany(
            "INSERT INTO patient (id, clinician_id, display_name, record_number, treated_side,"
            " condition, temp_unit, timezone, is_demo, created_at) VALUES (?, ?, 'Bench', ?,"
            " 'left', 'crps', 'C', 'Europe/London', 0, '2015-01-01 00:00:00.000000')",
            [(first_patient + p, user_id, f"B{user_id}-{p:03d}") for p in range(patients)])
        con.execute(SEED, {"rows": sizes[email], "first_patient": first_patient,
                           "patients": patients, "clinician": user_id})
        first_patient += patients
    con.commit()
    con.close()


def _config(path: Path) -> dict:
    return {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}", "SECRET_KEY": "b" * 40,
            "RATELIMIT_ENABLED": False}


def ceiling_sql(path: Path, email: str) -> str:
    """The SELECT the app's export runs (exports_db.entry_rows), with the ids written in."""
    con = sqlite3.connect(path)
    ids = [r[0] for r in con.execute(
        "SELECT patient.id FROM patient JOIN user ON user.id = patient.clinician_id "
        "WHERE user.email = ? ORDER BY patient.id", (email,))]
    con.close()
    columns = ", ".join(f"entry.{c}" for c in export.EntryRow._fields)
    patients = ", ".join(map(str, ids))
    # Our own column names and ids, not input: S608 does not apply.
    return (f"SELECT {columns} FROM entry WHERE entry.patient_id IN ({patients}) "  # noqa: S608
            "AND entry.deleted_at IS NULL ORDER BY entry.patient_id, entry.observed_at, entry.id")


def worker(path: Path, email: str) -> None:
    """One export through the app, in this fresh process; prints JSON."""
    from diary.web import create_app

    app = create_app(_config(path))
    client = app.test_client()
    signed = client.post("/sign-in", data={"email": email, "password": PASSWORD,
                                           "csrf_token": _token(client, "/sign-in")})
    assert signed.status_code == 302, signed.status_code
    token = _token(client, "/clinic/export")  # signing in starts a new session
    usage = resource.getrusage(resource.RUSAGE_SELF)
    rss_before, cpu_before = usage.ru_maxrss / 1024, usage.ru_utime + usage.ru_stime
    size = lines = 0
    with open(os.devnull, "wb") as sink:
        started = time.perf_counter()
        response = client.post("/clinic/export", data={"what": "entries", "csrf_token": token},
                               buffered=False)
        assert response.status_code == 200, response.status_code
        for chunk in response.response:
            sink.write(chunk)
            size += len(chunk)
            lines += chunk.count(b"\r\n")
        response.close()
        seconds = time.perf_counter() - started
    usage = resource.getrusage(resource.RUSAGE_SELF)
    print(json.dumps({"seconds": seconds, "bytes": size, "rows": lines - 1,
                      "cpu_seconds": usage.ru_utime + usage.ru_stime - cpu_before,
                      "rss_before_mb": rss_before,
                      "rss_peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))


def _token(client, url: str) -> str:
    page = client.get(url).get_data(as_text=True)
    tag = next(t for t in re.findall(r"<input[^>]*>", page) if 'name="csrf_token"' in t)
    return re.search(r'value="([^"]*)"', tag).group(1)


def run_worker(path: Path, email: str) -> dict:
    out = subprocess.run([sys.executable, __file__, "--worker", str(path), email],
                         capture_output=True, text=True, cwd=ROOT)
    if out.returncode:
        sys.exit(f"worker failed:\n{out.stderr}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def run_ceiling(sqlite3_bin: str, path: Path, sql: str) -> dict:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    with open(os.devnull, "wb") as sink:
        subprocess.run([sqlite3_bin, "-csv", "-header", str(path), sql], check=True,
                       stdout=sink)
    seconds = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return {"seconds": seconds, "cpu_seconds": (after.ru_utime + after.ru_stime)
            - (before.ru_utime + before.ru_stime)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--small", type=int, default=250_000)
    parser.add_argument("--repeat", type=int, default=2, help="best of this many runs each")
    parser.add_argument("--worker", nargs=2, metavar=("DB", "EMAIL"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(Path(args.worker[0]), args.worker[1])
        return
    sqlite3_bin = shutil.which("sqlite3")
    if sqlite3_bin is None:
        sys.exit("The sqlite3 shell is needed for the ceiling: apt-get install -y sqlite3")
    sizes = dict(zip(CLINICS, (args.small, args.rows), strict=True))
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.sqlite"
        started = time.perf_counter()
        seed(path, sizes)
        print(f"seeded {sum(sizes.values()):,} entries in {time.perf_counter() - started:.1f} s "
              f"({path.stat().st_size / 1e6:.0f} MB)")
        print(f"{'rows':>10} {'app s':>6} {'sqlite3 s':>9} {'ratio':>5} {'cpu ratio':>9} "
              f"{'app MB/s':>8} {'RSS before':>10} {'RSS peak':>8}")
        for email, rows in sizes.items():
            sql = ceiling_sql(path, email)
            apps, ceilings = [], []
            for _ in range(args.repeat):  # taken in turn, so both see the same machine load
                apps.append(run_worker(path, email))
                ceilings.append(run_ceiling(sqlite3_bin, path, sql))
            assert all(r["rows"] == rows for r in apps), (apps, rows)
            app = min(r["seconds"] for r in apps)
            app_cpu = min(r["cpu_seconds"] for r in apps)
            ceiling = min(r["seconds"] for r in ceilings)
            ceiling_cpu = min(r["cpu_seconds"] for r in ceilings)
            size = apps[0]["bytes"] / 1e6
            print(f"{rows:>10,} {app:>6.2f} {ceiling:>9.2f} {ceiling / app:>5.2f} "
                  f"{ceiling_cpu / app_cpu:>9.2f} {size / app:>8.1f} "
                  f"{min(r['rss_before_mb'] for r in apps):>8.0f}MB "
                  f"{max(r['rss_peak_mb'] for r in apps):>6.0f}MB")


if __name__ == "__main__":
    main()
