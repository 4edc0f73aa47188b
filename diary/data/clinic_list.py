"""The clinic's patient list in SQL: stored summary lines searched, sorted by urgency, name or
last entry, and paged, in a fixed number of queries however many patients there are."""

from dataclasses import dataclass

import sqlalchemy as sa

from diary.clinical.patient_list import PAGE_SIZE, Order, Row, like_pattern
from diary.data.db import db
from diary.data.models import Patient, PatientSummary


@dataclass(frozen=True)
class Page:
    rows: list[Row]
    number: int            # 1-based
    matching: int          # patients matching the search
    total: int             # patients listed at all

    @property
    def first(self) -> int:
        return (self.number - 1) * PAGE_SIZE + 1 if self.rows else 0

    @property
    def last(self) -> int:
        return self.first + len(self.rows) - 1 if self.rows else 0

    @property
    def pages(self) -> int:
        return max(1, -(-self.matching // PAGE_SIZE))


def _order_by(order: Order) -> list:
    s, desc = PatientSummary, order.direction == "desc"
    # Ties stay in name order whichever way the column runs, as the list always did.
    by_name = [s.name_key.asc(), Patient.record_number.asc(), Patient.id.asc()]
    if order.sort == "name":
        return [c.desc() if desc else c for c in (s.name_key, Patient.record_number,
                                                  Patient.id)]
    if order.sort == "last":
        # No entry yet sorts as the oldest.
        last = s.last_entry_at
        return [last.desc().nulls_last() if desc else last.asc().nulls_first(), *by_name]
    return [s.urgency.desc() if desc else s.urgency.asc(), *by_name]


def in_view(discharged: bool = False):
    """The working list (diaries open) or the discharged patients (diaries closed)."""
    return Patient.archived_at.is_not(None) if discharged else Patient.archived_at.is_(None)


def count(where, discharged: bool = False) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(Patient).where(
        where, in_view(discharged)))


def page(where, query: str, order: Order, number: int, discharged: bool = False) -> Page:
    """The patients `where` selects (the access rule), matching `query`, one page of them:
    of the working list, or with `discharged` of the discharged patients."""
    base = (sa.select(Patient, PatientSummary)
            .join(PatientSummary, PatientSummary.patient_id == Patient.id)
            .where(where, in_view(discharged)))
    listed = sa.select(sa.func.count()).select_from(Patient).where(where, in_view(discharged))
    total = db.session.scalar(listed)
    if query:
        base = base.where(PatientSummary.search_key.like(like_pattern(query), escape="\\"))
        matching = db.session.scalar(sa.select(sa.func.count()).select_from(base.subquery()))
    else:
        matching = total
    pages = max(1, -(-matching // PAGE_SIZE))
    number = min(number, pages)
    result = db.session.execute(base.order_by(*_order_by(order))
                                .limit(PAGE_SIZE).offset((number - 1) * PAGE_SIZE))
    rows = [Row.of(p, s.statuses, s.last_entry_at, s.last_verdict, s.last_block_date, s.failed)
            for p, s in result]
    return Page(rows, number, matching, total)
