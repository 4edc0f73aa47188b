"""Pages of a patient's entries, newest first, by cursor: a page costs the same however long
the diary is.

A cursor is the time and id of the entry a page starts after (`before`/`before_id`: older
entries) or before (`after`/`after_id`: newer ones); the id breaks ties, since entries of the
same minute may straddle two pages. A cursor that is not an aware time from 1900 to 2200 with an
entry id (or nothing) is a bad request.
"""

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from flask import abort, request

from diary.clinical import limits
from diary.data.db import db
from diary.data.models import Entry

Cursor = tuple[datetime, str]


@dataclass(frozen=True)
class Page:
    rows: list[Entry]            # newest first
    older: Entry | None          # the last row shown, when older entries follow it
    newer: Entry | None          # the first row shown, when newer entries come before it
    paged: bool                  # a cursor was given: this is not the newest page


def cursor_time(text: str | None) -> datetime | None:
    """A cursor's time: None for none. Anything else than an aware time from 1900 to 2200 is a
    bad request (year 1 or 9999 with an offset overflowed on its way to UTC, a 500)."""
    if not text:
        return None
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        abort(400)
    if value.tzinfo is None or not limits.date_in_range(value.date()):
        abort(400)
    return value


def cursor(time_text: str | None, id_text: str) -> Cursor | None:
    """A cursor from its two query values (the id is read only with a time), or None."""
    at = cursor_time(time_text)
    if at is None:
        return None
    if id_text and not limits.UUID.fullmatch(id_text):
        abort(400)  # an entry id or nothing (PostgreSQL refuses a NUL in text)
    return at, id_text


def older_than(c: Cursor):
    at, row_id = c
    return sa.or_(Entry.observed_at < at, sa.and_(Entry.observed_at == at, Entry.id < row_id))


def newer_than(c: Cursor):
    at, row_id = c
    return sa.or_(Entry.observed_at > at, sa.and_(Entry.observed_at == at, Entry.id > row_id))


def entries_page(patient_id: int, size: int) -> Page:
    """One page of the patient's entries (not deleted) by this request's cursor: one query,
    or two when fewer than a page of newer entries is left (then the newest page)."""
    before = cursor(request.args.get("before"), request.args.get("before_id", ""))
    after = cursor(request.args.get("after"), request.args.get("after_id", ""))
    if before is not None and after is not None:
        abort(400)
    live = sa.select(Entry).where(Entry.patient_id == patient_id, Entry.deleted_at.is_(None))
    if after is not None:
        rows = list(db.session.scalars(
            live.where(newer_than(after)).order_by(Entry.observed_at, Entry.id).limit(size + 1)))
        if len(rows) > size:
            rows = rows[:size][::-1]
            return Page(rows, older=rows[-1], newer=rows[0], paged=True)
    query = live.order_by(Entry.observed_at.desc(), Entry.id.desc()).limit(size + 1)
    if before is not None:
        query = query.where(older_than(before))
    rows = list(db.session.scalars(query))
    older = rows[size - 1] if len(rows) > size else None
    rows = rows[:size]
    return Page(rows, older=older, newer=rows[0] if before is not None and rows else None,
                paged=before is not None)
