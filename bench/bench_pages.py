"""Time the pages of one patient with a 1-year and with a 2-year diary, side by side.

    python bench/bench_pages.py [--repeat 7] [--url postgresql://...]

Seeds a temporary database (SQLite unless `--url` names another; migrated like production)
through the models: one consultant and two patients, one with a year of diary (two readings a
day, hourly readings on each block day, a local-anaesthetic block every 120 days, the last
one 30 days ago: ~755 entries, 3 blocks) and one with two years of the same (~1,510 entries, 6
blocks). Then, through Flask's test client, it times the consultant's patient page and
printable summary, the patient's entry form (GET and a saving POST) and history, and counts
the SQL statements each request sends (a `before_cursor_execute` listener); the two diaries'
requests take turns, so both meet the same load on a shared machine. It prints, per page, the
median server time and the statements of each diary, and the 2-year/1-year ratio.
Target: <= 20 queries and <= 150 ms for the patient page and summary, and the 2-year figures
within 20 % of the 1-year ones.
"""

import argparse
import os
import re
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402
from flask_migrate import upgrade  # noqa: E402

from diary.data.db import db  # noqa: E402
from diary.data.models import Block, Clinic, Entry, Membership, Patient, User  # noqa: E402
from diary.web import create_app  # noqa: E402

PASSWORD = "bench-password-long-enough"  # noqa: S105 - a throwaway database
TZ = "Europe/London"
CONFIG = {
    "TESTING": True,
    "SECRET_KEY": "bench-secret-key-that-is-long-enough-for-a-bench",
    "AUDIT_KEY": "bench-audit-key-of-the-hash-chain",
    "RATELIMIT_ENABLED": False,
    "SERVER_NAME": "localhost",
}
BLOCK_EVERY = timedelta(days=120)
LAST_BLOCK_AGO = timedelta(days=30)
BLOCK_DAY_MIN = (15, 30, 60, 120, 180, 240, 300, 360)


def seed(now: datetime, years: int, clinic_id: int, clinician_id: int, email: str) -> int:
    """A patient of the clinic with `years` of diary up to `now`; their id."""
    user = User(email=email, name=email.split("@")[0], role="patient")
    user.set_password(PASSWORD)
    start = now - timedelta(days=365 * years)
    patient = Patient(clinic_id=clinic_id, clinician_id=clinician_id, user=user,
                      display_name=f"{years}-year diary", treated_side="left",
                      condition="crps", temp_unit="C", timezone=TZ,
                      created_at=start - timedelta(days=1))
    db.session.add_all([user, patient])
    db.session.flush()
    blocks, at = [], now - LAST_BLOCK_AGO
    while at > start + timedelta(days=14):
        blocks.append(at)
        at -= BLOCK_EVERY
    for i, performed in enumerate(sorted(blocks)):
        db.session.add(Block(
            patient_id=patient.id, performed_at=performed, side="left", kind="therapeutic_la",
            pre_pain=7, temp_treated_pre_c=28.0, temp_treated_10_c=31.5 + i % 2,
            recorded_by=clinician_id))
    rows = []
    day = start.replace(hour=0, minute=0, second=0, microsecond=0)
    n = 0
    while day < now:
        for hour in (8, 20):
            t = day + timedelta(hours=hour, minutes=n % 37)
            if t < now:
                rows.append(t)
            n += 1
        day += timedelta(days=1)
    for performed in blocks:
        rows += [performed + timedelta(minutes=m) for m in BLOCK_DAY_MIN]
    zone = ZoneInfo(TZ)
    for i, t in enumerate(sorted(rows)):
        db.session.add(Entry(
            patient_id=patient.id, observed_at=t,
            utc_offset_min=int(t.astimezone(zone).utcoffset().total_seconds() // 60),
            pain=3 + i % 6, temp_treated_c=28.0 + i % 40 / 10, temp_other_c=29.0,
            colour="blue_purple" if i % 5 == 0 else None, walk_pain_free_min=10 + i % 9,
            walk_max_min=30, side_effects="back_soreness" if i % 13 == 0 else "",
            notes="Walked to the shop." if i % 7 == 0 else "", entered_by=user.id))
    db.session.commit()
    return patient.id


def sign_in(client, email: str) -> None:
    page = client.get("/sign-in").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]*)"', page).group(1)
    response = client.post("/sign-in", data={"email": email, "password": PASSWORD,
                                             "csrf_token": token})
    assert response.status_code == 302, response.status_code


def entry_data(client) -> dict:
    page = client.get("/diary/").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]*)"', page).group(1)
    local = datetime.now(UTC).astimezone(ZoneInfo(TZ)).strftime("%Y-%m-%dT%H:%M")
    return {"csrf_token": token, "client_id": str(uuid.uuid4()), "observed_at": local,
            "temp_unit": "C", "pain": "4"}


class Counter:
    def __init__(self, engine):
        self.n = 0
        sa.event.listen(engine, "before_cursor_execute", self.count)

    def count(self, *_args):
        self.n += 1


def measure(counter: Counter, requests: dict, repeat: int) -> dict[int, tuple[float, int]]:
    """Per diary, the median milliseconds and statements of `repeat` requests (after one
    warm-up each). The diaries take turns, so both meet the same load on a shared machine."""
    for request in requests.values():
        request()
    times: dict[int, list[float]] = {k: [] for k in requests}
    counts: dict[int, list[int]] = {k: [] for k in requests}
    for _ in range(repeat):
        for key, request in requests.items():
            counter.n = 0
            t0 = time.perf_counter()
            response = request()
            times[key].append(time.perf_counter() - t0)
            counts[key].append(counter.n)
            assert response.status_code in (200, 302), response.status_code
    return {k: (statistics.median(times[k]) * 1000, round(statistics.median(counts[k])))
            for k in requests}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=7, help="requests timed per page")
    parser.add_argument("--url", default=os.environ.get("BENCH_DATABASE_URL"),
                        help="a database to seed (emptied first); default a temporary SQLite")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = args.url or f"sqlite:///{tmp}/bench.sqlite"
        app = create_app({**CONFIG, "SQLALCHEMY_DATABASE_URI": url})
        now = datetime.now(UTC)
        with app.app_context():
            if args.url:
                db.drop_all()
                db.session.execute(sa.text("DROP TABLE IF EXISTS alembic_version"))
                db.session.commit()
            upgrade(directory=str(ROOT / "migrations"))
            team = Clinic(name="Bench clinic")
            doctor = User(email="dr@bench.example", name="Dr Bench", role="staff")
            doctor.set_password(PASSWORD)
            db.session.add_all([team, doctor])
            db.session.flush()
            db.session.add(Membership(user_id=doctor.id, clinic_id=team.id, roles="consultant"))
            db.session.commit()
            patients = {years: seed(now, years, team.id, doctor.id, f"p{years}@bench.example")
                        for years in (1, 2)}
            sizes = {years: db.session.scalar(sa.select(sa.func.count()).select_from(Entry)
                                              .where(Entry.patient_id == pid))
                     for years, pid in patients.items()}
            counter = Counter(db.engine)
        clinic = app.test_client()
        sign_in(clinic, "dr@bench.example")
        phones = {years: app.test_client() for years in patients}
        for years, phone in phones.items():
            sign_in(phone, f"p{years}@bench.example")
        pages = {
            "patient page": lambda years: clinic.get(f"/clinic/patients/{patients[years]}"),
            "summary": lambda years: clinic.get(f"/clinic/patients/{patients[years]}/summary"),
            "entry GET": lambda years: phones[years].get("/diary/"),
            "history": lambda years: phones[years].get("/diary/history"),
        }
        posts = {years: iter([entry_data(phone) for _ in range(args.repeat + 1)])
                 for years, phone in phones.items()}
        pages["entry POST"] = lambda years: phones[years].post("/diary/", data=next(posts[years]))
        results = {name: measure(counter, {years: partial(request, years) for years in patients},
                                 args.repeat)
                   for name, request in pages.items()}
        if args.url:
            with app.app_context():
                db.drop_all()
                db.session.execute(sa.text("DROP TABLE IF EXISTS alembic_version"))
                db.session.commit()
                db.engine.dispose()
    dialect = sa.make_url(url).get_backend_name()
    print(f"{dialect}; median of {args.repeat} requests; diaries of {sizes[1]} and "
          f"{sizes[2]} entries")
    print(f"{'page':<14} {'1y ms':>8} {'2y ms':>8} {'2y/1y':>6} {'1y queries':>11} "
          f"{'2y queries':>11} {'2y/1y':>6}")
    for name, by in results.items():
        (ms1, q1), (ms2, q2) = by[1], by[2]
        print(f"{name:<14} {ms1:>8.1f} {ms2:>8.1f} {ms2 / ms1:>6.2f} {q1:>11} {q2:>11} "
              f"{q2 / q1:>6.2f}")


if __name__ == "__main__":
    main()
