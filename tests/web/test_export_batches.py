"""Exports at the speed of the database, and still the same files.

- The block summary reads its patients in batches: the queries it issues grow with the number
  of batches, never with the number of patients, and its rows are the ones the per-patient
  analysis gives (the patient page's loader, the clinician's settings).
- The entries and blocks files are byte-identical to the files the exports wrote before they
  were made faster (golden files under tests/web/export_golden/, written by that code from the
  varied diary below): on SQLite, and on PostgreSQL with DIARY_TEST_DATABASE_URL.

After a deliberate change of the file contract (docs/export.md), write the golden files again
with DIARY_WRITE_EXPORT_GOLDEN=1 and review the diff. The entries files were written again
when the follow-up columns came (migration 0008): without those four columns they are the
bytes they were before.
"""

import os
import random
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from diary.clinical import analysis, vocab
from diary.data import exports
from diary.data import loaders as records
from diary.data.clinic_settings import settings_for
from diary.data.db import db
from diary.data.exports import DateRange
from diary.data.models import Block, ClinicSettings, Entry, Membership, Patient
from diary.interchange import csv_export as export
from tests.conftest import PG_URL, post_form
from tests.web.helpers import NOW, counting_queries

pytestmark = pytest.mark.usefixtures("fixed_now")

GOLDEN = Path(__file__).parent / "export_golden"
WRITE_GOLDEN = bool(os.environ.get("DIARY_WRITE_EXPORT_GOLDEN"))

# Zones with whole, half and three-quarter hour offsets, and clock changes inside the diary.
ZONES = ("Europe/London", "Pacific/Auckland", "America/St_Johns", "Asia/Kathmandu")
NOTES = ("", "", "", "Walked to the shop, then sat down.", "=1+1", "+44 7700 900123",
         "-2 points", "@home", "\tindented", "'=already quoted", 'said "ow", then slept',
         "first line\nsecond line", "\r\ncarriage", "café ☕ naïve", "a = b", "''@twice")


def _uuid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def _offset(zone: str, at: datetime) -> int:
    return int(at.astimezone(ZoneInfo(zone)).utcoffset().total_seconds() // 60)


def _temp(rng: random.Random) -> float | None:
    # Some on a half-tenth (31.25: how it rounds is part of the file), some plain.
    return rng.choice((None, round(rng.uniform(20, 37), 2), rng.randrange(200, 370) / 10 + 0.05))


def _follow_up(entry_id: str) -> dict:
    """The follow-up answers of migration 0008, each often not answered. Drawn from a generator
    of the entry's own (its id), so the rest of the varied diary, and so every column the
    golden files held before these four, stays as it was."""
    rng = random.Random(entry_id)
    return {
        "touch_pain": rng.choice((None, None, *sorted(vocab.TOUCH_PAIN))),
        "night_rest_pain": rng.choice((None, None, None, True, False)),
        "wound": rng.choice((None, None, None, None, None, *sorted(vocab.WOUND))),
        "pgic": rng.choice((None,) * 12 + tuple(sorted(vocab.PGIC))),
    }


def _entry(rng, patient_id, user_id, at, zone, deleted=False) -> dict:
    walked = rng.random()
    pain_free = None if walked < 0.3 else rng.randrange(0, 60)
    created = at + timedelta(minutes=rng.randrange(0, 90), microseconds=rng.randrange(10**6))
    entry_id = _uuid(rng)
    return {
        "id": entry_id, "patient_id": patient_id, "entered_by": user_id,
        "observed_at": at, "utc_offset_min": _offset(zone, at), "pain": rng.randrange(11),
        "temp_treated_c": _temp(rng), "temp_other_c": _temp(rng),
        "colour": rng.choice((None, *sorted(vocab.COLOURS))),
        "feels": rng.choice((None, *sorted(vocab.FEELS))),
        "walk_pain_free_min": pain_free,
        "walk_max_min": None if pain_free is None else pain_free + rng.randrange(0, 30),
        "did_not_walk": walked < 0.1,
        "swelling": rng.choice((None, *sorted(vocab.SWELLING))),
        "sweating": rng.choice((None, *sorted(vocab.SWEATING))),
        "side_effects": ";".join(sorted(rng.sample(sorted(vocab.SIDE_EFFECTS),
                                                   rng.choice((0, 0, 1, 2))))),
        "rescue_medication": rng.random() < 0.2, "notes": rng.choice(NOTES),
        "created_at": created,
        "updated_at": created if rng.random() < 0.7 else created + timedelta(days=1, seconds=7),
        "deleted_at": created + timedelta(hours=3) if deleted else None,
        **_follow_up(entry_id),
    }


def _block(rng, patient_id, clinician_id, at, zone, kind, deleted=False) -> dict:
    temps = {f"temp_{foot}_{m}_c": _temp(rng) for foot in ("treated", "other")
             for m in ("pre", 5, 10, 15, 20, 30)}
    created = at + timedelta(minutes=40, microseconds=rng.randrange(10**6))
    return {
        "patient_id": patient_id, "recorded_by": clinician_id, "performed_at": at,
        "utc_offset_min": _offset(zone, at), "side": rng.choice(sorted(vocab.SIDES)),
        "kind": kind, "level": rng.choice(("", "L3", "L2-L3", "=L4")),
        "agent": rng.choice(("", "Bupivacaine 0.25%, 10 ml", "-phenol 6%")),
        "volume_ml": rng.choice((None, 10.0, 7.5, 0.25, 12.125)),
        "pre_pain": rng.choice((None, 6, 7, 8)), **temps,
        "somatic_spread": rng.random() < 0.2, "confirmed_other_means": rng.random() < 0.2,
        "long_acting": rng.random() < 0.3, "sedation": rng.random() < 0.3,
        "notes": rng.choice(NOTES), "created_at": created,
        "updated_at": created if rng.random() < 0.5 else created + timedelta(hours=5),
        "deleted_at": created + timedelta(days=2) if deleted else None,
    }


def seed_varied_clinic(app, world) -> dict:
    """Four patients, one per zone, with three months of diary and blocks around clock changes;
    a fifth with entries and no block. Every column varies; some rows are deleted."""
    rng = random.Random(20250615)
    clinician = world.clinician()
    patients = []
    for n, zone in enumerate(ZONES):
        record = ("R-1", "=R2", "R,3", None)[n]  # None: the file shows the patient id
        patients.append((world.patient(clinician, name=f"P{n}", email=f"p{n}@home.example",
                                       record=record, tz=zone), zone))
    patients.append((world.patient(clinician, name="Quiet", record="Q-5"), "Europe/London"))
    with app.app_context():
        users = {p.id: p.user_id for p in db.session.scalars(sa.select(Patient))}
        entries, blocks = [], []
        for n, (patient_id, zone) in enumerate(patients):
            start = datetime(2025, 2, 20, 6, tzinfo=UTC) + timedelta(hours=n * 5)
            for day in range(115):
                for _ in range(rng.choice((0, 1, 1, 2))):
                    at = start + timedelta(days=day, minutes=rng.randrange(0, 18 * 60),
                                           seconds=rng.randrange(60),
                                           microseconds=rng.choice((0, rng.randrange(10**6))))
                    if at >= NOW:
                        continue
                    author = users[patient_id] or clinician if rng.random() < 0.9 else clinician
                    entries.append(_entry(rng, patient_id, author, at, zone,
                                          deleted=rng.random() < 0.05))
            if n == len(ZONES):
                continue  # the quiet patient: no block
            for at, kind, deleted in (
                    (datetime(2025, 3, 28, 9, 30, tzinfo=UTC), "diagnostic_la", False),
                    (datetime(2025, 4, 3, 23, 45, tzinfo=UTC), "therapeutic_la", True),
                    (datetime(2025, 5, 20, 14, 5, tzinfo=UTC), "therapeutic_la", False),
                    (datetime(2025, 6, 20, 8, 0, tzinfo=UTC), "neurolysis", False)):  # planned
                blocks.append(_block(rng, patient_id, clinician, at, zone, kind, deleted))
                # the block day's readings, in the window
                for minutes in (20, 45, 90, 150, 240):
                    at_ = at + timedelta(minutes=minutes)
                    if at_ < NOW:
                        entries.append(_entry(rng, patient_id, users[patient_id] or clinician,
                                              at_, zone))
        db.session.execute(sa.insert(Entry), entries)
        db.session.execute(sa.insert(Block), blocks)
        db.session.commit()
    return {"clinician": clinician, "patients": [p for p, _ in patients]}


# ------------------------------------------------------------------------------ golden

GOLDEN_EXPORTS = {
    "entries": {"what": "entries"},
    "entries-deleted": {"what": "entries", "include_deleted": "y"},
    "entries-dates": {"what": "entries", "date_from": "2025-03-29", "date_to": "2025-04-06"},
    "blocks": {"what": "blocks"},
    "blocks-deleted": {"what": "blocks", "include_deleted": "y"},
    "blocks-dates": {"what": "blocks", "date_from": "2025-04-04", "date_to": "2025-06-30"},
}


@pytest.fixture
def varied(app, world, client):
    clinic = seed_varied_clinic(app, world)
    r = post_form(client, "/sign-in", {"email": "dr@clinic.example",
                                       "password": "correct horse battery"})
    assert r.status_code == 302
    return clinic


@pytest.mark.parametrize("name", GOLDEN_EXPORTS)
def test_entries_and_blocks_files_are_byte_identical_to_before(varied, client, name):
    r = post_form(client, "/clinic/export", GOLDEN_EXPORTS[name])
    assert r.status_code == 200
    body = r.get_data()
    path = GOLDEN / f"{name}.csv"
    if WRITE_GOLDEN:
        path.parent.mkdir(exist_ok=True)
        path.write_bytes(body)
    golden = path.read_bytes()
    assert len(body.splitlines()) > 3 or name.endswith("dates")
    if body != golden:  # show the first line that differs, not two megabytes
        for n, (mine, theirs) in enumerate(zip(body.split(b"\r\n"), golden.split(b"\r\n"),
                                               strict=False)):
            assert mine == theirs, f"{name}.csv line {n + 1}"
        assert len(body) == len(golden), f"{name}.csv: {len(body)} bytes, golden {len(golden)}"


def test_the_varied_diary_has_what_the_golden_files_must_cover(varied, app):
    """The golden files are only as good as the diary behind them."""
    rows = export_rows(app, varied["patients"], "entries", include_deleted=True)
    offsets = {r["observed_at"][-6:] for r in rows}
    assert {"+00:00", "+01:00", "+12:00", "+13:00", "-03:30", "-02:30", "+05:45"} <= offsets
    # readings whose local date is not their UTC date, both ways
    local_dates = {r["observed_at"][:10] for r in rows}
    assert len(local_dates) > 100
    assert any(r["notes"].startswith("'") for r in rows)
    assert any("\n" in r["notes"] for r in rows)
    assert any(r["deleted_at"] for r in rows) and any(not r["deleted_at"] for r in rows)
    assert any(r["created_at"] != r["updated_at"] for r in rows)
    assert any(r["temp_treated_c"].endswith(".2") or r["temp_treated_c"].endswith(".3")
               for r in rows)
    # every follow-up code, and each answer not given; night rest pain yes, no and not given
    assert {r["touch_pain"] for r in rows} == {"", *vocab.TOUCH_PAIN}
    assert {r["night_rest_pain"] for r in rows} == {"", "yes", "no"}
    assert {r["wound"] for r in rows} == {"", *vocab.WOUND}
    assert {r["pgic"] for r in rows} == {"", *vocab.PGIC}
    assert list(rows[0])[-5:] == ["touch_pain", "night_rest_pain", "wound", "pgic",
                                  "deleted_at"]


def export_rows(app, patient_ids, what, include_deleted=False, dates=exports.ALL_DATES):
    import csv
    import io

    with app.test_request_context(method="POST"):
        patients = list(db.session.scalars(
            sa.select(Patient).where(Patient.id.in_(patient_ids)).order_by(Patient.id)))
        clinician = patients[0].clinician_id
        job = exports.prepare(what, patients, clinician, include_deleted=include_deleted,
                              dates=dates)
        body = b"".join(exports.chunks(job, NOW)).decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(body, newline="")))


# ------------------------------------------------------------------------- block summary

def seed_clinic(app, clinician_id, patients: int, first: int = 0) -> list[int]:
    """`patients` patients with a few weeks of diary each; most with blocks, some deleted rows,
    a few zones; every third without a block (no summary row). Fast: bulk inserts."""
    rng = random.Random(first)
    with app.app_context():
        clinic = db.session.scalar(
            sa.select(Membership.clinic_id).where(Membership.user_id == clinician_id))
        ids = []
        for n in range(first, first + patients):
            zone = ZONES[n % len(ZONES)]
            patient = Patient(clinic_id=clinic, clinician_id=clinician_id, display_name=f"P{n}",
                              record_number=f"B-{n:03d}", treated_side="left", condition="crps",
                              temp_unit="C", timezone=zone,
                              created_at=datetime(2025, 1, 1, tzinfo=UTC))
            db.session.add(patient)
            db.session.flush()
            ids.append(patient.id)
            block_at = datetime(2025, 5, 10, 9, tzinfo=UTC) + timedelta(hours=n * 7 % 48)
            entries = [_entry(rng, patient.id, clinician_id,
                              block_at + timedelta(hours=h), zone, deleted=rng.random() < 0.05)
                       for h in (*range(-24 * 9, 0, 11), 1, 2, 3, 5, *range(24, 24 * 30, 13))]
            # readings at one moment (an import of minute-resolution times): the export reads
            # them in no particular order, the page's loader by id; the analysis must not tell
            for _ in range(3):
                entries.append(_entry(rng, patient.id, clinician_id,
                                      block_at - timedelta(minutes=30), zone))
            rng.shuffle(entries)  # stored out of time order (the export reads them as stored)
            db.session.execute(sa.insert(Entry), entries)
            if n % 3 != 2:
                db.session.execute(sa.insert(Block), [
                    _block(rng, patient.id, clinician_id, block_at, zone, "diagnostic_la"),
                    _block(rng, patient.id, clinician_id, block_at + timedelta(days=20), zone,
                           "therapeutic_la", deleted=n % 5 == 0),
                    _block(rng, patient.id, clinician_id, block_at + timedelta(days=40), zone,
                           "therapeutic_la")])
        db.session.commit()
    return ids


@pytest.fixture
def clinic(app, world):
    clinician = world.clinician()
    with app.app_context():  # the clinician's own thresholds, not the defaults
        db.session.add(ClinicSettings(clinician_id=clinician,
                                      values={"dur50_pct": 40, "window_hours": 8}))
        db.session.commit()
    return clinician


def summary_export(app, patient_ids, dates=exports.ALL_DATES) -> tuple[bytes, list[str]]:
    """The block-summary file of these patients, and the SQL it issued (the export alone)."""
    with app.test_request_context(method="POST"):
        patients = list(db.session.scalars(
            sa.select(Patient).where(Patient.id.in_(patient_ids)).order_by(Patient.id)))
        job = exports.prepare("block-summary", patients, patients[0].clinician_id, dates=dates)
        with counting_queries(app) as queries:
            body = b"".join(exports.chunks(job, NOW))
    return body, queries


def reference_summary(app, patient_ids, dates=exports.ALL_DATES) -> bytes:
    """The same file made the slow way: each patient loaded and analysed as its page does."""
    with app.app_context():
        lines = []
        for patient_id in patient_ids:
            patient = db.session.get(Patient, patient_id)
            entries, blocks = records.load_patient_records(patient)
            if not blocks:
                continue
            result = analysis.analyse_patient(entries, blocks, settings_for(
                patient.clinician_id), patient.timezone, NOW)
            offsets = dict(db.session.execute(sa.select(Block.id, Block.utc_offset_min)).all())
            for cells in export.summary_cells(result, patient.record_label, offsets):
                local = date.fromisoformat(cells[2][:10])
                if ((dates.first is None or local >= dates.first)
                        and (dates.last is None or local <= dates.last)):
                    lines.append(export.line(cells))
        return b"".join(export.document(export.SUMMARY_COLUMNS, lines))


def test_block_summary_queries_grow_with_batches_not_patients(app, clinic, monkeypatch):
    few = seed_clinic(app, clinic, 5)
    many = few + seed_clinic(app, clinic, 55, first=5)
    monkeypatch.setattr(exports, "SUMMARY_PATIENTS", 100)  # one batch either way
    _, five = summary_export(app, few)
    _, sixty = summary_export(app, many)
    assert len(five) == len(sixty) <= 6, sixty

    monkeypatch.setattr(exports, "SUMMARY_PATIENTS", 5)  # 1, 2 and 12 batches
    _, one = summary_export(app, few)
    _, two = summary_export(app, many[:10])
    _, twelve = summary_export(app, many)
    per_batch = len(two) - len(one)
    assert 1 <= per_batch <= 3  # (BEGIN on SQLite) blocks, entries
    assert len(twelve) == len(one) + 11 * per_batch


def test_block_summary_rows_are_the_per_patient_analysis(app, clinic, monkeypatch):
    ids = seed_clinic(app, clinic, 23)
    for batch in (1, 7, 100):
        monkeypatch.setattr(exports, "SUMMARY_PATIENTS", batch)
        body, _ = summary_export(app, ids)
        assert body == reference_summary(app, ids), batch
    # 16 of the 23 patients have blocks, three each; patients 0, 10 and 15 deleted one
    assert body.count(b"\r\n") == 1 + 16 * 3 - 3
    dates = DateRange(date(2025, 5, 29), date(2025, 6, 2))  # the second blocks only
    monkeypatch.setattr(exports, "SUMMARY_PATIENTS", 4)
    body, _ = summary_export(app, ids, dates)
    assert body == reference_summary(app, ids, dates)
    assert 1 < body.count(b"\r\n") < 16


def test_block_summary_of_the_varied_clinic_is_the_per_patient_analysis(varied, app,
                                                                         monkeypatch):
    monkeypatch.setattr(exports, "SUMMARY_PATIENTS", 2)
    body, _ = summary_export(app, varied["patients"])
    assert body == reference_summary(app, varied["patients"])
    assert body.count(b"\r\n") == 1 + 4 * 3  # four patients, three blocks not deleted


@pytest.mark.skipif(bool(PG_URL), reason="SQLite's write lock")
def test_the_block_summary_holds_no_write_lock_between_batches(app, clinic, monkeypatch):
    import sqlite3

    ids = seed_clinic(app, clinic, 6)
    monkeypatch.setattr(exports, "SUMMARY_PATIENTS", 2)
    with app.test_request_context(method="POST"):  # an export is a POST: writes take the lock
        patients = list(db.session.scalars(
            sa.select(Patient).where(Patient.id.in_(ids)).order_by(Patient.id)))
        job = exports.prepare("block-summary", patients, clinic)
        rows = exports.summary_rows(job, NOW)
        next(rows)  # the first batch is read and analysed
        other = sqlite3.connect(db.engine.url.database, timeout=0, isolation_level=None)
        other.execute("BEGIN IMMEDIATE")  # would fail at once ("database is locked")
        other.execute("UPDATE user SET name = 'Dr Busy' WHERE id = ?", (clinic,))
        other.execute("COMMIT")
        other.close()
        assert len(list(rows)) > 2


def test_patients_without_blocks_cost_no_read_of_their_diary(app, clinic):
    ids = seed_clinic(app, clinic, 3, first=2)[:1]  # patient 2: no block
    body, queries = summary_export(app, ids)
    assert body.count(b"\r\n") == 1
    assert not any("FROM entry" in q for q in queries)


def test_local_dates_hold_to_the_microsecond_at_both_ends(app, world):
    """Each driver gives times in its own text (SQLite: SQLAlchemy's; PostgreSQL: the server's
    ISO output in UTC, fraction trimmed); the exact bounds compare with it as times do."""
    clinician = world.clinician()
    patient = world.patient(clinician, record="R-9")  # London: BST, UTC+1
    edges = {  # UTC time -> kept for local 1-2 June?
        datetime(2025, 5, 31, 22, 59, 59, 999999, tzinfo=UTC): False,
        datetime(2025, 5, 31, 23, 0, tzinfo=UTC): True,  # 00:00:00 on 1 June
        datetime(2025, 5, 31, 23, 0, 0, 500000, tzinfo=UTC): True,
        datetime(2025, 6, 2, 22, 59, 59, tzinfo=UTC): True,
        datetime(2025, 6, 2, 22, 59, 59, 999999, tzinfo=UTC): True,
        datetime(2025, 6, 2, 23, 0, tzinfo=UTC): False,  # 00:00:00 on 3 June
        datetime(2025, 6, 2, 23, 0, 0, 1, tzinfo=UTC): False,
    }
    rng = random.Random(9)
    with app.app_context():
        rows = [_entry(rng, patient, clinician, at, "Europe/London") for at in edges]
        db.session.execute(sa.insert(Entry), rows)
        db.session.commit()
    kept = {r["entry_id"] for r in export_rows(
        app, [patient], "entries", dates=DateRange(date(2025, 6, 1), date(2025, 6, 2)))}
    assert kept == {row["id"] for row, keep in zip(rows, edges.values(), strict=True) if keep}


@pytest.mark.parametrize("batch", [1, 2, 3, 2000])
def test_readings_at_the_same_time_come_in_id_order_across_batches(app, world, monkeypatch,
                                                                   batch):
    """SQLite reads (patient, time) order off the index and the data layer orders ties by id;
    a tie may straddle two batches. PostgreSQL sorts by id itself."""
    clinician = world.clinician()
    first, second = (world.patient(clinician, record=r) for r in ("T-1", "T-2"))
    rng = random.Random(batch)
    at = datetime(2025, 6, 1, 9, tzinfo=UTC)
    rows = []
    for patient in (first, second):
        for minutes in (0, 0, 0, 0, 0, 1, 2, 2, 3, 3, 3, 3, 3, 3, 3, 4, 5, 5, 5):
            rows.append(_entry(rng, patient, clinician, at + timedelta(minutes=minutes),
                               "Europe/London"))
    rng.shuffle(rows)  # inserted (so read off the index) in no particular order
    with app.app_context():
        db.session.execute(sa.insert(Entry), rows)
        db.session.commit()
    monkeypatch.setattr(exports, "BATCH_ROWS", batch)
    got = [(r["patient_record"], r["observed_at"], r["entry_id"])
           for r in export_rows(app, [first, second], "entries")]
    assert got == sorted(got)  # patient, then time, then id
    assert len(got) == len(rows)
