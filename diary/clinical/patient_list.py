"""The clinician's patient list: one row per patient from their stored summary line
(diary.clinical.summary), searched, sorted and paged from the page's query parameters. Plain
Python: the data layer runs the query; this module says what the parameters mean.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import date, datetime
from typing import NamedTuple, Protocol

from diary.clinical.analysis import STATUS_LABELS
from diary.clinical.summary import FOLLOW_UP, PENDING, rank

URGENT = frozenset({"wound", "awaiting_block_day_readings", "repeat_due"})

# Column -> the direction a first click sorts in: names A to Z, the newest entry and the most
# urgent statuses first.
SORTS = {"status": "desc", "name": "asc", "last": "desc"}
DEFAULT_SORT = "status"
MAX_QUERY = 100
PAGE_SIZE = 50
MAX_PAGE = 10_000

VERDICT_LABELS = {"positive": "Positive", "partial": "Partial", "negative": "Negative",
                  "uninterpretable": "Uninterpretable", PENDING: "Pending: window still open",
                  FOLLOW_UP: "Treatment: follow-up"}


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
    last_verdict: str | None              # the latest block done: a verdict, PENDING or None
    verdict_date: date | None
    failed: bool = False                  # the analysis could not run on this diary

    @classmethod
    def of(cls, patient: ListedPatient, codes: str, last_entry_at: datetime | None,
           last_verdict: str | None, verdict_date: date | None, failed: bool) -> Row:
        found = sorted((c for c in codes.split(",") if c), key=rank)
        statuses = [Status(c, STATUS_LABELS.get(c, c), c in URGENT) for c in found]
        return cls(patient, statuses, last_entry_at, last_verdict, verdict_date, failed)

    @property
    def verdict(self) -> str | None:
        if self.verdict_date is None:
            return None
        return VERDICT_LABELS.get(self.last_verdict, self.last_verdict or "Not judged")


def clean_query(text: str | None) -> str:
    """The search text as typed, trimmed and capped; the database sees it only as a bound
    LIKE pattern over keys casefolded in Python (`like_pattern`)."""
    # Control characters can be in no name or record number (and PostgreSQL refuses NUL).
    kept = "".join(ch for ch in (text or "") if unicodedata.category(ch) != "Cc")
    return " ".join(kept.split())[:MAX_QUERY]


def like_pattern(query: str) -> str:
    r"""`%query%` for LIKE ... ESCAPE '', casefolded: % and _ typed mean themselves."""
    escaped = (query.casefold().replace("\\", "\\\\").replace("%", "\\%")
               .replace("_", "\\_"))
    return f"%{escaped}%"


def page_number(text: str | None) -> int | None:
    """The page asked for (1 when none), or None when it is not a page number."""
    if not text:
        return 1
    if not text.isascii() or not text.isdigit() or len(text) > 6:
        return None
    page = int(text)
    return page if 1 <= page <= MAX_PAGE else None
