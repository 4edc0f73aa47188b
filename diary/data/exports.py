"""Reading the exports out of the database, in constant memory.

Entries and blocks are read in one SELECT on a connection of their own, batch by batch, and
handed to `diary.interchange.csv_export` as plain tuples. The connection is the driver's own:
SQLAlchemy's ORM would build an object per row (several times slower), and its session would
open a write transaction on SQLite for a POST (see `tune_sqlite`), holding the write lock for
the length of a download. On SQLite a lone SELECT outside BEGIN reads one consistent snapshot
and, with WAL, blocks no writer; the rows come in the index's (patient, time) order and the
rare readings at the same time are put in id order here (`_ties_in_id_order`), cheaper than
SQLite's sorter for every row. On PostgreSQL the rows stream in chunks while the server is
still producing the next ones (libpq's chunked rows), so the server's work and ours overlap,
and times come as the server's text in UTC (like SQLite's): the writer slices them rather than
building and converting a datetime for each.

The block summary reads a batch of patients at a time (`SUMMARY_PATIENTS`): their blocks (with
the consultant's decision on each, joined), then the entries of those who have any, in two
queries per batch however many patients it holds,
on a read-only connection (`txn.READ_ONLY`: no write lock on SQLite), before the analysis runs
on each diary of the batch.

Callers decide which patients may be exported (security.py); everything here takes their ids.
"""

from __future__ import annotations

import gc
import secrets
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, date, datetime, time, timedelta
from itertools import islice
from operator import eq, itemgetter
from typing import NamedTuple

import sqlalchemy as sa
from sqlalchemy import orm

from diary.clinical import analysis
from diary.data import loaders as records
from diary.data.clinic_settings import settings_for
from diary.data.db import db
from diary.data.models import Block, BlockDecision, Entry, Patient, User
from diary.data.txn import READ_ONLY
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
        sa.or_(User.role == "staff", User.id.in_(ids))))
    return dict(rows.all())


# ------------------------------------------------------------------------------ reading

def _driver_sql(statement, dialect) -> tuple[str, tuple | dict]:
    """The SELECT as the driver takes it: SQL text and parameters in its paramstyle."""
    compiled = statement.compile(dialect=dialect, compile_kwargs={"render_postcompile": True})
    values = {k: _driver_value(v, dialect) for k, v in compiled.construct_params().items()}
    params = (tuple(values[name] for name in compiled.positiontup) if compiled.positional
              else values)
    return str(compiled), params


def _stream(statement) -> Iterator[list[tuple]]:
    """Batches of raw rows for one SELECT, on a pooled connection of its own."""
    engine = db.engine
    dialect = engine.dialect
    sql, params = _driver_sql(statement, dialect)
    raw = engine.raw_connection()
    cursor = None
    try:
        if dialect.name == "postgresql" and dialect.driver == "psycopg":
            cursor = raw.driver_connection.cursor()
            yield from _psycopg_batches(cursor, sql, params)
            return
        if dialect.name == "postgresql":
            cursor = raw.driver_connection.cursor(name=f"export_{secrets.token_hex(6)}")
        else:
            cursor = raw.cursor()
        cursor.execute(sql, params)
        while rows := cursor.fetchmany(BATCH_ROWS):
            yield rows
    finally:
        if cursor is not None:
            cursor.close()
        raw.close()  # rolls back the read and returns the connection to the pool


# Times as text in UTC and ISO form ('2025-06-15 09:30:00.5+00'), for this transaction only.
_PG_UTC_TEXT = ("SELECT set_config('TimeZone', 'UTC', true), "
                "set_config('DateStyle', 'ISO, YMD', true)")


def _psycopg_batches(cursor, sql: str, params) -> Iterator[list[tuple]]:
    """psycopg 3: rows streamed as the server sends them, times as text in UTC.

    The settings are LOCAL to the read's transaction, which `raw.close()` rolls back, so the
    pooled connection keeps its own. Closing the generator early cancels the query.
    """
    from psycopg import pq
    from psycopg.types.string import TextLoader

    cursor.execute(_PG_UTC_TEXT)
    cursor.adapters.register_loader("timestamptz", TextLoader)  # this cursor only
    size = BATCH_ROWS if pq.version() >= 170000 else 1  # chunked rows came with libpq 17
    rows = cursor.stream(sql, params, size=size)
    try:
        while batch := list(islice(rows, BATCH_ROWS)):
            yield batch
    finally:
        rows.close()  # a download cut short: cancel the query before the connection goes back


def _driver_value(value, dialect):
    if isinstance(value, datetime):
        value = value.astimezone(UTC)
        # What SQLAlchemy stores on SQLite, so text comparison orders like time.
        return value.strftime("%Y-%m-%d %H:%M:%S.%f") if dialect.name == "sqlite" else value
    return value


def _time_text(value: datetime) -> str:
    """A UTC time in the form the driver gave times in, so that text comparison orders them
    like time: SQLAlchemy's on SQLite ('2025-06-15 09:30:00.000000'), or PostgreSQL's ISO
    output in UTC ('2025-06-15 09:30:00+00', '...:00.5+00': no fraction sorts first, as '+'
    sorts before '.', and a fraction's digits compare left-aligned)."""
    plain = value.astimezone(UTC).replace(tzinfo=None)
    if db.engine.dialect.name == "sqlite":
        return plain.isoformat(" ", "microseconds")
    fraction = f".{plain.microsecond:06d}".rstrip("0") if plain.microsecond else ""
    return f"{plain.isoformat(' ', 'seconds')}{fraction}+00"


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
    if db.engine.dialect.name == "sqlite":
        # The index gives (patient, time) order as it is read; ORDER BY ... id as well would
        # put every row through a sorter for the sake of rare ties (a fifth of the read).
        statement = statement.order_by(model.patient_id, time_column)
        batches = _ties_in_id_order(_stream(statement), 2)
    else:
        statement = statement.order_by(model.patient_id, time_column, model.id)
        batches = _stream(statement)
    if dates.open:
        return batches
    return _in_local_dates(batches, dates, 2, 3)


def _ties_in_id_order(batches, at: int) -> Iterator[list[tuple]]:
    """Batches of rows (id, patient, ...) in (patient, time) order, put in (patient, time, id)
    order: a batch in which two neighbours share a time (rare) is sorted, and the rows at its
    end that share the last row's patient and time wait for the next batch, which may hold
    more of them.

    Sorting compares as SQLite does: ids and times as text by code point (SQLite's BINARY
    collation compares the UTF-8 bytes, which order the same way), patient ids as numbers.
    """
    order = itemgetter(1, at, 0)
    same = itemgetter(1, at)
    time_of = itemgetter(at)
    held: list = []
    for rows in batches:
        if held:
            rows = held + rows
        last = same(rows[-1])
        cut = len(rows) - 1
        while cut and same(rows[cut - 1]) == last:
            cut -= 1
        rows, held = rows[:cut], rows[cut:]
        times = list(map(time_of, rows))
        if any(map(eq, times, islice(times, 1, None))):
            rows.sort(key=order)
        if rows:
            yield rows
    if held:
        held.sort(key=order)
        yield held


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
                lo, hi = (None if b is None else _time_text(b) for b in (lo, hi))
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


SUMMARY_PATIENTS = 50  # patients per batch: ~37,000 entries for a year of diary each


def _summary_entries(dialect) -> tuple:
    """The columns `records.entry_records` unpacks, after the patient id, as the driver gives
    them: no SQLAlchemy type processing (it costs more than the read). The time comes as text
    in UTC (SQLite's own; PostgreSQL's in the read's UTC zone), parsed by `_from_iso`."""
    raw = sa.types.NullType()
    return (Entry.patient_id, *(
        sa.cast(c, sa.Text) if c is Entry.observed_at and dialect.name == "postgresql"
        else sa.type_coerce(c, raw) for c in records._ENTRY_COLUMNS))


def summary_rows(job: Job, now: datetime) -> Iterator[list[str]]:
    """Block-summary rows, a batch of patients at a time (only that batch's diaries in memory).

    Per batch two queries, however many patients it holds: the blocks (with each patient's
    time zone and each block's decision), then the entries of the patients who have blocks,
    both in one read on a connection of its own, ended before the analysis runs (no lock held
    meanwhile).
    """
    settings = settings_for(job.clinician_id)
    db.session.commit()  # end the request's read
    ids = job.patient_ids
    for start in range(0, len(ids), SUMMARY_PATIENTS):
        with _collector_paused():
            rows = []
            for patient_id, entries, blocks, zone, offsets, decided in _summary_batch(
                    ids[start:start + SUMMARY_PATIENTS], job.dates):
                result = analysis.analyse_patient(entries, blocks, settings, zone, now)
                rows.extend(cells for cells in export.summary_cells(
                    result, job.labels[patient_id], offsets, decided, job.users)
                    if _block_in(job.dates, cells[2]))
        yield from rows


@contextmanager
def _collector_paused() -> Iterator[None]:
    """No cyclic garbage collection while a batch's records are built and analysed.

    A batch makes ~37,000 records and their analysis, none in a reference cycle (reference
    counting frees them), yet each allocation counts towards the collector's next pass, and
    its passes walk them again and again: 2 s of a 1,000-patient export. Nothing is yielded
    inside (a generator left suspended here could leave collection off). Collection comes back
    on only if it was on when the batch began, so a process that runs without it keeps it off,
    and two exports in two threads at once end with it on.
    """
    was_on = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_on:
            gc.enable()


def _summary_batch(patient_ids: Sequence[int], dates: DateRange):
    """(patient id, entries, blocks, time zone, block offsets, decisions by block id) of each
    patient of the batch with a block to write, in the order asked for, read in two queries:
    the blocks with their decisions (an outer join), then the records
    `records.load_clinic_records` gives (not deleted), built by the same `records.entry_records`
    and `records.block_record`; the entries in the order the database keeps them."""
    with (db.engine.connect().execution_options(**{READ_ONLY: True}) as conn,
          orm.Session(conn) as session):
        blocks: dict[int, list] = {}
        zones: dict[int, str] = {}
        offsets: dict[int, int] = {}
        decided: dict[int, export.DecisionRow] = {}
        for block, zone, d in session.execute(
                sa.select(Block, Patient.timezone, BlockDecision)
                .join(Patient, Patient.id == Block.patient_id)
                .outerjoin(BlockDecision, BlockDecision.block_id == Block.id)
                .where(Block.patient_id.in_(list(patient_ids)), Block.deleted_at.is_(None))
                .order_by(Block.patient_id, Block.performed_at, Block.id)):
            blocks.setdefault(block.patient_id, []).append(records.block_record(block))
            zones[block.patient_id] = zone
            offsets[block.id] = block.utc_offset_min
            if d is not None:
                decided[block.id] = export.DecisionRow(*(getattr(d, f) for f in
                                                         export.DecisionRow._fields))
        if not dates.open:  # a patient with no block in the dates has no row to write
            blocks = {p: b for p, b in blocks.items() if any(
                _block_in(dates, export.iso_time(r.performed_at, offsets[r.id])) for r in b)}
        if not blocks:
            return
        # Only the driver's work: SQLAlchemy's rows and types would cost more than the read.
        # In no order: the analysis puts each diary in order itself (DiaryIndex: by time, ties
        # by id), and a sort of each batch's rows kept PostgreSQL busy while we waited.
        if conn.dialect.name == "postgresql":  # for the time's text; ends with the read
            conn.exec_driver_sql(_PG_UTC_TEXT)
        sql, params = _driver_sql(
            sa.select(*_summary_entries(conn.dialect))
            .where(Entry.patient_id.in_(list(blocks)), Entry.deleted_at.is_(None)),
            conn.dialect)
        result = conn.exec_driver_sql(sql, params)
        rows = result.cursor.fetchall()
        result.close()
        # Aware UTC, as UTCDateTime gives it: SQLAlchemy's text on SQLite has no offset.
        utc = "+00:00" if conn.dialect.name == "sqlite" else ""
    by_patient: dict[int, list] = {}
    last = diary = None
    for r in rows:  # (patient, id, time, ...): a patient's rows mostly come together
        if r[0] != last:
            last = r[0]
            diary = by_patient.get(last)
            if diary is None:
                diary = by_patient[last] = []
        diary.append((r[1], _from_iso(r[2] + utc), *r[3:]))
    del rows
    diaries = {p: records.entry_records(e) for p, e in by_patient.items()}
    del by_patient
    for patient_id in patient_ids:
        if patient_id in blocks:
            yield (patient_id, diaries.pop(patient_id, []), blocks[patient_id],
                   zones[patient_id], offsets, decided)


_from_iso = datetime.fromisoformat


def _block_in(dates: DateRange, performed_cell: str) -> bool:
    """performed_at is already in the patient's local time: its first ten characters."""
    local = date.fromisoformat(performed_cell[:10])
    return ((dates.first is None or local >= dates.first)
            and (dates.last is None or local <= dates.last))
