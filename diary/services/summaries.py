"""Each patient's line in the clinic's list, kept current.

The services call `refresh` in the transaction of every write that can change a patient's line
(an entry, a block, an import, a new patient); a settings change marks the clinician's lines
stale (`mark_stale`). A line also goes stale by itself when the moment it holds until has
passed (diary.clinical.summary); `refresh_stale` computes those again in batches, when the
list is looked at and from `flask diary refresh-summaries` on a timer.
"""

from collections.abc import Iterable
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from diary.clinical.summary import Summary, summarise
from diary.data import clock, loaders
from diary.data.clinic_settings import settings_for
from diary.data.db import db
from diary.data.models import Patient, PatientSummary

BATCH = 200


def keys(patient: Patient) -> dict[str, str]:
    """Casefolded in Python, any script: the database only compares what we give it."""
    name = patient.display_name.casefold()
    return {"name_key": name[:120],
            "search_key": f"{name}\n{(patient.record_number or '').casefold()}"[:200]}


def _values(patient: Patient, summary: Summary, until: datetime, at: datetime) -> dict:
    return {
        "statuses": ",".join(summary.statuses), "urgency": summary.urgency,
        "last_entry_at": summary.last_entry_at, "last_verdict": summary.last_verdict,
        "last_block_date": summary.last_block_date, "next_due_at": summary.next_due_at,
        "failed": summary.failed, "computed_at": at, "valid_until": until, **keys(patient)}


def _ensure_rows(ids: list[int]) -> None:
    """A (stale) line for each patient that has none yet, made by whichever request gets
    there first: INSERT ... ON CONFLICT DO NOTHING never fails on a racing twin."""
    if not ids:
        return
    dialect = db.session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    db.session.execute(insert(PatientSummary).values([
        {"patient_id": i, "statuses": "", "urgency": 0, "failed": False, "name_key": "",
         "search_key": ""} for i in ids]).on_conflict_do_nothing())


def _locked_row(patient_id: int) -> PatientSummary:
    """The patient's line, locked to the end of the transaction: two writers of one diary
    take turns, so the second computes with the first's change in view (PostgreSQL;
    SQLite's write transactions take turns already)."""
    _ensure_rows([patient_id])
    return db.session.execute(
        sa.select(PatientSummary).where(PatientSummary.patient_id == patient_id)
        .with_for_update().execution_options(populate_existing=True)).scalar_one()


def refresh(patient: Patient, now: datetime | None = None) -> None:
    """Compute the patient's line again, in the caller's transaction (it commits)."""
    now = now or clock.now()
    row = _locked_row(patient.id)
    db.session.flush()  # the caller's change must be in what the loader reads
    entries, blocks = loaders.load_patient_records(patient)
    summary, until = summarise(entries, blocks, settings_for(patient.clinician_id),
                               patient.timezone, now)
    for name, value in _values(patient, summary, until, now).items():
        setattr(row, name, value)


def mark_stale(clinician_id: int) -> None:
    """The clinician's thresholds changed: every line of theirs is computed again."""
    mine = sa.select(Patient.id).where(Patient.clinician_id == clinician_id)
    db.session.execute(sa.update(PatientSummary).where(PatientSummary.patient_id.in_(mine))
                       .values(valid_until=None))


def stale(patient_ids: sa.Select, now: datetime) -> list[int]:
    """Of the patients `patient_ids` selects, those whose line is missing or out of date."""
    query = (sa.select(Patient.id)
             .outerjoin(PatientSummary, PatientSummary.patient_id == Patient.id)
             .where(Patient.id.in_(patient_ids),
                    sa.or_(PatientSummary.valid_until.is_(None),
                           PatientSummary.valid_until <= now)))
    return list(db.session.scalars(query))


def refresh_many(ids: Iterable[int], now: datetime, batch: int = BATCH) -> int:
    """Compute these patients' lines in batches (a few queries each), committing each batch."""
    ids, done = list(ids), 0
    for start in range(0, len(ids), batch):
        part = ids[start:start + batch]
        # Locked first, then read: a diary written meanwhile is computed with its change.
        _ensure_rows(part)
        rows = {r.patient_id: r for r in db.session.scalars(
            sa.select(PatientSummary).where(PatientSummary.patient_id.in_(part))
            .order_by(PatientSummary.patient_id)  # the same order everywhere: no deadlock
            .with_for_update().execution_options(populate_existing=True))}
        patients = list(db.session.scalars(sa.select(Patient).where(Patient.id.in_(part))))
        records = loaders.load_clinic_records(part, chunk=batch)
        settings = {}
        for p in patients:
            if p.clinician_id not in settings:
                settings[p.clinician_id] = settings_for(p.clinician_id)
            entries, blocks = records[p.id]
            summary, until = summarise(entries, blocks, settings[p.clinician_id],
                                       p.timezone, now)
            for name, value in _values(p, summary, until, now).items():
                setattr(rows[p.id], name, value)
        db.session.commit()
        done += len(patients)
    return done


def refresh_stale(patient_ids: sa.Select, now: datetime) -> int:
    """Bring the lines of these patients up to date; how many were computed again."""
    ids = stale(patient_ids, now)
    if not ids:
        return 0
    from diary.data.txn import start_writing

    start_writing()
    return refresh_many(ids, now)
