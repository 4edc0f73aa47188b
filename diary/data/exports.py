"""Reading the exports out of the database, in constant memory.

Entries and blocks are read in one SELECT on a connection of their own, batch by batch, and
handed to `diary.interchange.csv_export` as plain tuples. The connection is the driver's own:
SQLAlchemy's ORM would build an object per row (several times slower), and its session would
open a write transaction on SQLite for a POST (see `tune_sqlite`), holding the write lock for
the length of a download. On SQLite a lone SELECT outside BEGIN reads one consistent snapshot
and, with WAL, blocks no writer; on PostgreSQL a server-side cursor streams the rows.

Callers decide which patients may be exported (security.py); everything here takes their ids.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator, Sequence
from datetime import UTC, date, datetime, time, timedelta
from typing import NamedTuple

import sqlalchemy as sa

from diary.clinical import analysis
from diary.data import loaders as records
from diary.data.clinic_settings import settings_for
from diary.data.db import db
from diary.data.models import Block, Entry, Patient, User
from diary.interchange import csv_export as export

BATCH_ROWS = 2000
# UTC offsets run from -12:00 to +14:00: a local date lies within these hours of its UTC date.
_WIDEN_BEFORE, _WIDEN_AFTER = timedelta(hours=14), timedelta(hours=12)

ENTRY_SELECT = tuple(getattr(Entry, f) for f in export.EntryRow._fields)
BLOCK_SELECT = tuple(getattr(Block, f) for f in export.BlockRow._fields)


class DateRange(NamedTuple):
    """Local calendar dates (the patient's), both ends included; None is open.

    Any dates will do here, year 1 and 9999 included: a bound that would fall outside the
    times Python can hold once widened by a day or an offset is held at the first or last of
    them (`utc_midnight`). The web form takes 1900 to 2200 only (`limits.date_in_range`).
    """

    first: date | None = None
    last: date | None = None

    @property
    def open(self) -> bool:
        return self.first is None and self.last is None


_EARLIEST, _LATEST = datetime.min.replace(tzinfo=UTC), datetime.max.replace(tzinfo=UTC)


def utc_midnight(day: date, shift: timedelta = timedelta(), next_day: bool = False) -> datetime:
    """Midnight UTC at the start of `day` (or of the day after it) less `shift`, held within
    the times Python can hold: past year 9999 is the last of them, before year 1 the first."""
    try:
        if next_day:
            day += timedelta(days=1)
        return datetime.combine(day, time(), UTC) - shift
    except OverflowError:
        return _LATEST if next_day and day == date.max or shift < timedelta() else _EARLIEST


ALL_DATES = DateRange()


def labels(patients: Sequence[Patient]) -> dict[int, str]:
    return {p.id: p.record_label for p in patients}


def user_names(patients: Sequence[Patient]) -> dict[int, str]:
    """Account names for the users who can have written these patients' rows."""
    ids = [p.user_id for p in patients if p.user_id is not None]
    rows = db.session.execute(sa.select(User.id, User.email).where(
        sa.or_(User.role.in_(("clinician", "admin")), User.id.in_(ids))))
    return dict(rows.all())


# ------------------------------------------------------------------------------ reading

def _stream(statement) -> Iterator[list[tuple]]:
    """Batches of raw rows for one SELECT, on a pooled connection of its own."""
    engine = db.engine
    dialect = engine.dialect
    compiled = statement.compile(dialect=dialect, compile_kwargs={"render_postcompile": True})
    values = {k: _driver_value(v, dialect) for k, v in compiled.construct_params().items()}
    params = (tuple(values[name] for name in compiled.positiontup) if compiled.positional
              else values)
    raw = engine.raw_connection()
    cursor = None
    try:
        if dialect.name == "postgresql":
            cursor = raw.driver_connection.cursor(name=f"export_{secrets.token_hex(6)}")
        else:
            cursor = raw.cursor()
        cursor.execute(str(compiled), params)
        while rows := cursor.fetchmany(BATCH_ROWS):
            yield rows
    finally:
        if cursor is not None:
            cursor.close()
        raw.close()  # rolls back the read and returns the connection to the pool


def _driver_value(value, dialect):
    if isinstance(value, datetime):
        value = value.astimezone(UTC)
        # What SQLAlchemy stores on SQLite, so text comparison orders like time.
        return value.strftime("%Y-%m-%d %H:%M:%S.%f") if dialect.name == "sqlite" else value
    return value


def _utc_bounds(dates: DateRange) -> tuple[datetime | None, datetime | None]:
    lo = hi = None
    if dates.first is not None:
        lo = utc_midnight(dates.first, _WIDEN_BEFORE)
    if dates.last is not None:
        hi = utc_midnight(dates.last, -_WIDEN_AFTER, next_day=True)
    return lo, hi


def _rows(model, columns, time_column, patient_ids: Sequence[int], include_deleted: bool,
          dates: DateRange) -> Iterator[list[tuple]]:
    statement = sa.select(*columns).where(model.patient_id.in_(list(patient_ids)))
    if not include_deleted:
        statement = statement.where(model.deleted_at.is_(None))
    lo, hi = _utc_bounds(dates)
    if lo is not None:
        statement = statement.where(time_column >= lo)
    if hi is not None:
        statement = statement.where(time_column < hi)
    statement = statement.order_by(model.patient_id, time_column, model.id)
    batches = _stream(statement)
    if dates.open:
        return batches
    return _in_local_dates(batches, dates, 2, 3)


def _in_local_dates(batches, dates: DateRange, at: int, offset: int) -> Iterator[list[tuple]]:
    """Keep rows whose local date (UTC time + the row's offset) lies in the range.

    The SELECT took a few hours either side; here each row is tested against the exact UTC
    bounds of its own offset, compared in the form the driver gave the time in.
    """
    cache: dict[tuple[int, bool], tuple] = {}

    def bounds(minutes: int, as_text: bool):
        key = (minutes, as_text)
        if key not in cache:
            shift = timedelta(minutes=minutes)
            lo = None if dates.first is None else utc_midnight(dates.first, shift)
            hi = None if dates.last is None else utc_midnight(dates.last, shift, next_day=True)
            if as_text:
                lo, hi = (None if b is None else b.strftime("%Y-%m-%d %H:%M:%S.%f")
                          for b in (lo, hi))
            cache[key] = (lo, hi)
        return cache[key]

    for rows in batches:
        kept = []
        for r in rows:
            when = r[at]
            lo, hi = bounds(r[offset], when.__class__ is str)
            if (lo is None or when >= lo) and (hi is None or when < hi):
                kept.append(r)
        if kept:
            yield kept


def entry_rows(patient_ids: Sequence[int], include_deleted: bool = False,
               dates: DateRange = ALL_DATES) -> Iterator[list[tuple]]:
    """Batches of entries in `export.EntryRow` order: by patient, then time."""
    return _rows(Entry, ENTRY_SELECT, Entry.observed_at, patient_ids, include_deleted, dates)


def block_rows(patient_ids: Sequence[int], include_deleted: bool = False,
               dates: DateRange = ALL_DATES) -> Iterator[list[tuple]]:
    return _rows(Block, BLOCK_SELECT, Block.performed_at, patient_ids, include_deleted, dates)


# ----------------------------------------------------------------------------- documents

class Job(NamedTuple):
    """An export ready to stream: everything read from the session before the first byte."""

    what: str                 # entries | blocks | block-summary
    patient_ids: tuple[int, ...]
    labels: dict[int, str]
    users: dict[int, str]
    include_deleted: bool
    dates: DateRange
    clinician_id: int


WHATS = ("entries", "blocks", "block-summary")


def prepare(what: str, patients: Sequence[Patient], clinician_id: int,
            include_deleted: bool = False, dates: DateRange = ALL_DATES) -> Job:
    if what not in WHATS:
        raise ValueError(what)
    return Job(what, tuple(p.id for p in patients), labels(patients), user_names(patients),
               include_deleted and what != "block-summary", dates, clinician_id)


def columns(job: Job) -> tuple[str, ...]:
    base = {"entries": export.ENTRY_COLUMNS, "blocks": export.BLOCK_COLUMNS,
            "block-summary": export.SUMMARY_COLUMNS}[job.what]
    return export.columns_for(base, job.include_deleted)


def chunks(job: Job, now: datetime) -> Iterator[bytes]:
    """The whole file, as UTF-8 chunks."""
    if job.what == "entries":
        parts = export.entry_batches(entry_rows(job.patient_ids, job.include_deleted, job.dates),
                                     job.labels, job.users, job.include_deleted)
    elif job.what == "blocks":
        parts = export.block_batches(block_rows(job.patient_ids, job.include_deleted, job.dates),
                                     job.labels, job.users, job.include_deleted)
    else:
        parts = export.lines(summary_rows(job, now))
    return export.document(columns(job), parts)


def summary_rows(job: Job, now: datetime) -> Iterator[list[str]]:
    """Block-summary rows, one patient at a time (only that patient's diary is in memory)."""
    settings = settings_for(job.clinician_id)
    for patient_id in job.patient_ids:
        patient = db.session.get(Patient, patient_id)
        entries, blocks = records.load_patient_records(patient)
        offsets = dict(db.session.execute(
            sa.select(Block.id, Block.utc_offset_min).where(Block.patient_id == patient_id)).all())
        tz = patient.timezone
        db.session.commit()  # end the read before the analysis runs (no lock held meanwhile)
        if not blocks:
            continue
        result = analysis.analyse_patient(entries, blocks, settings, tz, now)
        for cells in export.summary_cells(result, job.labels[patient_id], offsets):
            if _block_in(job.dates, cells[2]):
                yield cells


def _block_in(dates: DateRange, performed_cell: str) -> bool:
    """performed_at is already in the patient's local time: its first ten characters."""
    local = date.fromisoformat(performed_cell[:10])
    return ((dates.first is None or local >= dates.first)
            and (dates.last is None or local <= dates.last))
