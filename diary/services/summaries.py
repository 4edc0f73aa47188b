"""Each patient's line in the clinic's list (diary.clinical.summary), kept right.

A line is either current or marked stale, never wrong:

- Every write that can change a patient's line (an entry, a block, an import) marks it stale
  in its own transaction (`invalidate`), as a settings change does for the clinician's lines
  (`mark_stale`). That is one small UPDATE: computing the line inside the write held
  SQLite's write lock for the length of a whole-diary analysis and cut the entry POST's
  throughput five-fold (bench/bench_clinic.py).
- A line also goes stale by itself when the moment it holds until has passed.
- `refresh_stale` computes stale lines again in batches (a few queries per batch), when the
  list is looked at and from `flask diary refresh-summaries` on a timer. The consultant's
  decisions come with them (`reviews`): a reviewed block's statuses leave the line until
  something new is recorded (diary.clinical.summary.Reviews); saving a decision marks the
  line stale (services/decisions.py). It reads and
  computes without a write lock and stores each line only if no write has marked it stale
  meanwhile (a version number): a line computed from an old diary is never stored over a
  newer mark.
"""

from collections.abc import Iterable
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from diary.clinical.summary import Reviews, Summary, summarise
from diary.data import loaders
from diary.data.clinic_settings import settings_for
from diary.data.db import db
from diary.data.models import Block, BlockDecision, Entry, Patient, PatientSummary
from diary.data.txn import READ_ONLY, start_writing

BATCH = 200
_T = PatientSummary.__table__


def keys(patient: Patient) -> dict[str, str]:
    """Casefolded in Python, any script: the database only compares what we give it."""
    name = patient.display_name.casefold()
    return {"name_key": name[:120],
            "search_key": f"{name}\n{(patient.record_number or '').casefold()}"[:200]}


def _ensure_rows(ids: list[int]) -> None:
    """A (stale) line for each patient that has none yet, made by whichever request gets
    there first: INSERT ... ON CONFLICT DO NOTHING never fails on a racing twin."""
    if not ids:
        return
    dialect = db.session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    db.session.execute(insert(PatientSummary).values([
        {"patient_id": i, "statuses": "", "urgency": 0, "failed": False, "name_key": "",
         "search_key": "", "version": 0} for i in ids]).on_conflict_do_nothing())


def invalidate(patient: Patient) -> None:
    """Mark the patient's line stale, in the caller's transaction (it commits)."""
    _ensure_rows([patient.id])
    db.session.execute(sa.update(_T).where(_T.c.patient_id == patient.id).values(
        valid_until=None, version=_T.c.version + 1, **keys(patient)))


def mark_stale(clinician_id: int) -> None:
    """The clinician's thresholds changed: every line of theirs is computed again."""
    mine = sa.select(Patient.id).where(Patient.clinician_id == clinician_id)
    db.session.execute(sa.update(_T).where(_T.c.patient_id.in_(mine))
                       .values(valid_until=None, version=_T.c.version + 1))


def stale(patient_ids: sa.Select, now: datetime) -> list[int]:
    """Of the patients `patient_ids` selects, those whose line is missing or out of date."""
    query = (sa.select(Patient.id)
             .outerjoin(PatientSummary, PatientSummary.patient_id == Patient.id)
             .where(Patient.id.in_(patient_ids),
                    sa.or_(PatientSummary.valid_until.is_(None),
                           PatientSummary.valid_until <= now))
             .order_by(Patient.id))
    return list(db.session.scalars(query))


def _values(patient: Patient, summary: Summary, until: datetime, at: datetime) -> dict:
    return {
        "statuses": ",".join(summary.statuses), "urgency": summary.urgency,
        "last_entry_at": summary.last_entry_at, "last_verdict": summary.last_verdict,
        "last_block_date": summary.last_block_date, "next_due_at": summary.next_due_at,
        "failed": summary.failed, "computed_at": at, "valid_until": until, **keys(patient)}


def reviews(ids: list[int]) -> dict[int, Reviews]:
    """The decisions on these patients' live blocks, and when each patient's latest entry or
    block was recorded: one query, and one more only if any patient has a decision."""
    decided: dict[int, dict[int, datetime]] = {}
    for patient_id, block_id, at in db.session.execute(
            sa.select(Block.patient_id, BlockDecision.block_id, BlockDecision.decided_at)
            .join(Block, Block.id == BlockDecision.block_id)
            .where(Block.patient_id.in_(ids), Block.deleted_at.is_(None))):
        decided.setdefault(patient_id, {})[block_id] = at
    if not decided:
        return {}
    latest = sa.union_all(*(
        sa.select(model.patient_id.label("pid"), sa.func.max(model.created_at).label("at"))
        .where(model.patient_id.in_(list(decided)), model.deleted_at.is_(None))
        .group_by(model.patient_id) for model in (Entry, Block))).subquery()
    recorded: dict[int, datetime] = {}
    for patient_id, at in db.session.execute(
            sa.select(latest.c.pid, sa.type_coerce(latest.c.at, Entry.created_at.type))):
        if at is not None and (patient_id not in recorded or at > recorded[patient_id]):
            recorded[patient_id] = at
    return {p: Reviews(d, recorded.get(p)) for p, d in decided.items()}


_STORE = (sa.update(_T)
          .where(_T.c.patient_id == sa.bindparam("pid"), _T.c.version == sa.bindparam("seen"))
          .values({name: sa.bindparam(f"v_{name}") for name in (
              "statuses", "urgency", "last_entry_at", "last_verdict", "last_block_date",
              "next_due_at", "failed", "computed_at", "valid_until", "name_key",
              "search_key")}))


def refresh_many(ids: Iterable[int], now: datetime, batch: int = BATCH) -> int:
    """Compute these patients' lines in batches (a few queries each); how many."""
    ids, done = list(ids), 0
    for start in range(0, len(ids), batch):
        part = ids[start:start + batch]
        start_writing()  # the missing rows are made first, in a short write of their own
        _ensure_rows(part)
        db.session.commit()
        # Read and computed with no write lock held; the version read says which mark of
        # staleness this computation answers.
        db.session.connection(execution_options={READ_ONLY: True})
        seen = dict(db.session.execute(
            sa.select(_T.c.patient_id, _T.c.version).where(_T.c.patient_id.in_(part))).all())
        patients = list(db.session.scalars(sa.select(Patient).where(Patient.id.in_(part))))
        records = loaders.load_clinic_records(part, chunk=batch)
        reviewed = reviews(part)
        settings = {}
        rows = []
        for p in patients:
            if p.clinician_id not in settings:
                settings[p.clinician_id] = settings_for(p.clinician_id)
            entries, blocks = records[p.id]
            summary, until = summarise(entries, blocks, settings[p.clinician_id],
                                       p.timezone, now, reviewed.get(p.id))
            values = _values(p, summary, until, now)
            rows.append({"pid": p.id, "seen": seen[p.id],
                         **{f"v_{k}": v for k, v in values.items()}})
        start_writing()
        if rows:
            db.session.execute(_STORE, rows)
        db.session.commit()
        done += len(rows)
    return done


def refresh_stale(patient_ids: sa.Select, now: datetime) -> int:
    """Bring the lines of these patients up to date; how many were computed again."""
    ids = stale(patient_ids, now)
    return refresh_many(ids, now) if ids else 0
