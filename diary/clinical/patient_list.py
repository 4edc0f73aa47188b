"""The clinician's patient list: one row per patient with what the analysis flags, searched
and sorted from the page's query parameters. Plain Python: the view loads the patients and
their records and hands them in.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import NamedTuple, Protocol

from diary.clinical.analysis import STATUS_LABELS, analyse_patient
from diary.clinical.records import BlockRecord, EntryRecord
from diary.clinical.relief import BlockAnalysis
from diary.clinical.settings import Settings

log = logging.getLogger(__name__)

# Most urgent first. Readings in the block's window can only be had while it is open; a due
# repeat or a series review is a decision waiting; a thin baseline still has days to fill;
# a quiet diary is the commonest and least pressing (every dormant patient shows it).
STATUS_PRIORITY = ("awaiting_block_day_readings", "repeat_due", "series_review",
                   "relief_waning", "thin_baseline", "no_recent_entries")
# A status added to the analysis later sorts after these rather than breaking the list.
_RANK = {code: i for i, code in enumerate(STATUS_PRIORITY)}
URGENT = frozenset({"awaiting_block_day_readings", "repeat_due"})

# Column -> the direction a first click sorts in: names A to Z, the newest entry and the most
# urgent statuses first.
SORTS = {"status": "desc", "name": "asc", "last": "desc"}
DEFAULT_SORT = "status"
MAX_QUERY = 100
_NEVER = datetime.min.replace(tzinfo=UTC)

VERDICT_LABELS = {"positive": "Positive", "partial": "Partial", "negative": "Negative",
                  "uninterpretable": "Uninterpretable"}


class ListedPatient(Protocol):
    id: int
    display_name: str
    record_number: str | None
    timezone: str


class Status(NamedTuple):
    code: str                         # a key of analysis.STATUS_LABELS
    label: str
    urgent: bool


@dataclass(frozen=True)
class Order:
    sort: str
    direction: str                    # "asc" or "desc"

    @classmethod
    def parse(cls, sort: str | None, direction: str | None) -> Order:
        """Anything unknown falls back to the default: a bad link still shows the list."""
        sort = sort if sort in SORTS else DEFAULT_SORT
        direction = direction if direction in ("asc", "desc") else SORTS[sort]
        return cls(sort, direction)

    def aria(self, column: str) -> str | None:
        """aria-sort for a column header: only the sorted column carries one."""
        if column != self.sort:
            return None
        return "ascending" if self.direction == "asc" else "descending"

    def link_direction(self, column: str) -> str:
        """Where the header link goes: the other way round if already sorted by it."""
        if column == self.sort:
            return "asc" if self.direction == "desc" else "desc"
        return SORTS[column]


@dataclass(frozen=True)
class Row:
    patient: ListedPatient
    statuses: list[Status]                # most urgent first
    last_entry_at: datetime | None
    last_block: BlockAnalysis | None      # the latest block done (not a booked one)
    failed: bool = False                  # the analysis could not run on this diary

    @property
    def urgency(self) -> tuple[int, int]:
        """Bigger is more urgent: the most urgent status, then how many there are."""
        if not self.statuses:
            return (0, 0)
        top = _rank(self.statuses[0].code)
        return (len(STATUS_PRIORITY) + 1 - top, len(self.statuses))

    @property
    def verdict(self) -> str | None:
        b = self.last_block
        if b is None:
            return None
        if b.verdict is None:
            return "Pending: window still open"
        return VERDICT_LABELS.get(b.verdict, b.verdict)

    @property
    def verdict_date(self) -> date | None:
        return self.last_block.local_date if self.last_block is not None else None


def clean_query(text: str | None) -> str:
    """The search text as typed, trimmed and capped; it is only ever compared in Python."""
    return " ".join((text or "").split())[:MAX_QUERY]


def matches(patient: ListedPatient, query: str) -> bool:
    """Case-insensitive: part of the name or of the record number."""
    if not query:
        return True
    q = query.casefold()
    return q in patient.display_name.casefold() or q in (patient.record_number or "").casefold()


def build_rows(patients: Iterable[ListedPatient],
               records: Mapping[int, tuple[list[EntryRecord], list[BlockRecord]]],
               settings: Settings, now: datetime) -> list[Row]:
    rows = []
    for p in patients:
        entries, blocks = records.get(p.id, ([], []))
        try:
            result = analyse_patient(entries, blocks, settings, p.timezone, now)
        except Exception:
            # One diary the analysis cannot read (bad data, or a bug in it) must not take the
            # whole list down with it; the log says which patient and why.
            log.exception("Patient list: analysis failed for patient %s", p.id)
            last = max((e.observed_at for e in entries), default=None)
            rows.append(Row(p, [], last, None, failed=True))
            continue
        codes = sorted(result.statuses, key=_rank)
        done = result.done_blocks
        statuses = [Status(c, STATUS_LABELS.get(c, c), c in URGENT) for c in codes]
        rows.append(Row(p, statuses, result.last_entry_at, done[-1] if done else None))
    return rows


def sort_rows(rows: Iterable[Row], order: Order) -> list[Row]:
    # Names first, then a stable sort on the chosen column: ties stay in name order
    # whichever way the column runs.
    out = sorted(rows, key=_name_key)
    if order.sort == "name":
        return out if order.direction == "asc" else out[::-1]
    key = ((lambda r: r.urgency) if order.sort == "status"
           else (lambda r: r.last_entry_at or _NEVER))
    out.sort(key=key, reverse=order.direction == "desc")
    return out


def _rank(code: str) -> int:
    return _RANK.get(code, len(STATUS_PRIORITY))


def _name_key(row: Row) -> tuple[str, str, int]:
    p = row.patient
    return (p.display_name.casefold(), (p.record_number or "").casefold(), p.id)
