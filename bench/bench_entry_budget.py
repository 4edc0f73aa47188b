"""The entry page's weight on a phone's first load, against its budget of 40 KB compressed:
the page, its style sheets, its scripts and the service worker, as Flask-Compress serves them.

    python bench/bench_entry_budget.py [--encoding "gzip, deflate, br, zstd"]

Seeds a temporary SQLite database (migrated like production) with a patient whose block was
this morning, so the page shows its reading prompts, signs them in through Flask's test
client and fetches /diary/, every <link rel="stylesheet"> and <script src> on it, and /sw.js,
each with the browser's Accept-Encoding (Chrome's by default). It prints each part's bytes
before and after compression, the total, and the total's share of the budget; then the same
total with gzip alone (a browser without brotli or zstd), and, outside the budget, what else
the first load fetches: the manifest, the icons and the history page the service worker keeps
for use offline. Exits with 1 when the total is over the budget. Not a timing.
"""

import argparse
import re
import sys
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from flask_migrate import upgrade  # noqa: E402

from diary.data.db import db  # noqa: E402
from diary.data.models import Block, Clinic, Entry, Membership, Patient, User  # noqa: E402
from diary.web import create_app  # noqa: E402

BUDGET = 40 * 1024
CHROME = "gzip, deflate, br, zstd"
PASSWORD = "bench-password-long-enough"  # noqa: S105 - a throwaway database
CONFIG = {
    "TESTING": True,
    "SECRET_KEY": "bench-secret-key-that-is-long-enough-for-a-bench",
    "AUDIT_KEY": "bench-audit-key-of-the-hash-chain",
    "RATELIMIT_ENABLED": False,
    "SERVER_NAME": "localhost",
}
WORKER = "/sw.js"


def seed(now: datetime) -> None:
    """A clinic's consultant and a patient with a block this morning and its first readings."""
    clinic = Clinic(name="Bench clinic")
    doctor = User(email="dr@bench.example", name="Dr Bench", role="staff")
    doctor.set_password(PASSWORD)
    user = User(email="pat@bench.example", name="Pat Bench", role="patient")
    user.set_password(PASSWORD)
    db.session.add_all([clinic, doctor, user])
    db.session.flush()
    db.session.add(Membership(user_id=doctor.id, clinic_id=clinic.id, roles="consultant"))
    patient = Patient(clinic_id=clinic.id, clinician_id=doctor.id, user=user,
                      display_name="Pat Bench", treated_side="left", condition="crps",
                      temp_unit="C", timezone="Europe/London",
                      created_at=now - timedelta(days=30))
    db.session.add(patient)
    db.session.flush()
    performed = now - timedelta(hours=2)
    db.session.add(Block(patient_id=patient.id, performed_at=performed, side="left",
                         kind="therapeutic_la", pre_pain=7, temp_treated_pre_c=28.0,
                         temp_treated_10_c=31.5, recorded_by=doctor.id))
    for minutes in (15, 30, 60):
        t = performed + timedelta(minutes=minutes)
        db.session.add(Entry(patient_id=patient.id, observed_at=t, utc_offset_min=0, pain=4,
                             temp_treated_c=31.0, temp_other_c=29.0, entered_by=user.id))
    db.session.commit()


def sign_in(client) -> None:
    page = client.get("/sign-in").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]*)"', page).group(1)
    response = client.post("/sign-in", data={"email": "pat@bench.example",
                                             "password": PASSWORD, "csrf_token": token})
    assert response.status_code == 302, response.status_code


def fetch(client, url: str, encoding: str) -> tuple[int, int, str]:
    """(bytes before compression, bytes sent, encoding sent) for one GET."""
    sent = client.get(url, headers={"Accept-Encoding": encoding})
    plain = client.get(url, headers={"Accept-Encoding": "identity"})
    try:
        assert sent.status_code == 200, (url, sent.status_code)
        return (len(plain.get_data()), len(sent.get_data()),
                sent.headers.get("Content-Encoding", "none"))
    finally:
        sent.close()
        plain.close()


def parts(client) -> list[tuple[str, str]]:
    """(kind, url) of everything the budget counts: the page, its CSS and JS, the worker."""
    html = client.get("/diary/").get_data(as_text=True)
    found = [("page", "/diary/")]
    found += [("css", href) for href in re.findall(
        r'<link rel="stylesheet" href="([^"]+)"', html)]
    found += [("js", src) for src in re.findall(r'<script\b[^>]*\bsrc="([^"]+)"', html)]
    found.append(("worker", WORKER))
    return found


def extras(client) -> list[tuple[str, str]]:
    """What else the first load fetches, outside the budget."""
    found = [("manifest", "/manifest.webmanifest"), ("kept page", "/diary/history")]
    manifest = client.get("/manifest.webmanifest").get_json(force=True)
    found += [("icon", icon["src"]) for icon in manifest["icons"]]
    html = client.get("/diary/").get_data(as_text=True)
    found += [("icon", href) for href in re.findall(
        r'<link rel="(?:apple-touch-)?icon" href="([^"]+)"', html)]
    return found


def measure(client, items, encoding: str) -> list[tuple[str, str, int, int, str]]:
    return [(kind, url, *fetch(client, url, encoding)) for kind, url in items]


def report(rows, title: str) -> int:
    print(title)
    print(f"  {'part':<8} {'url':<34} {'raw B':>8} {'sent B':>8}  encoding")
    for kind, url, raw, sent, enc in rows:
        print(f"  {kind:<8} {url:<34} {raw:>8} {sent:>8}  {enc}")
    total = sum(row[3] for row in rows)
    print(f"  {'total':<8} {'':<34} {sum(row[2] for row in rows):>8} {total:>8}")
    return total


def run(encoding: str = CHROME) -> dict:
    """Measure in a temporary database; the figures, for main() and the smoke test."""
    with tempfile.TemporaryDirectory() as tmp:
        app = create_app({**CONFIG, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp}/bench.sqlite"})
        with app.app_context():
            upgrade(directory=str(ROOT / "migrations"))
            seed(datetime.now(UTC))
        client = app.test_client()
        sign_in(client)
        items = parts(client)
        figures = {"served": measure(client, items, encoding),
                   "gzip": measure(client, items, "gzip"),
                   "extras": measure(client, extras(client), encoding)}
        with app.app_context():
            db.engine.dispose()
    return figures


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--encoding", default=CHROME, help="the Accept-Encoding sent")
    args = parser.parse_args()
    figures = run(args.encoding)
    total = report(figures["served"], f"Entry page on first load, Accept-Encoding: "
                                      f"{args.encoding}")
    print(f"  budget {BUDGET} B: {total / BUDGET:.0%} used "
          f"({'within' if total <= BUDGET else 'OVER'} budget)")
    print()
    gzip_total = report(figures["gzip"], "The same with gzip only")
    print(f"  budget {BUDGET} B: {gzip_total / BUDGET:.0%} used")
    print()
    report(figures["extras"], "Also fetched on first load (outside the budget)")
    return 0 if max(total, gzip_total) <= BUDGET else 1


if __name__ == "__main__":
    sys.exit(main())
