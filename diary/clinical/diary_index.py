"""A patient's entries sorted once and grouped by local calendar day.

Everything else bisects into it, so a whole patient costs O(n log n).
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Iterator
from datetime import date, datetime
from operator import attrgetter
from typing import TYPE_CHECKING, NamedTuple
from zoneinfo import ZoneInfo

if TYPE_CHECKING:
    from diary.clinical.records import EntryRecord


class DailyMean(NamedTuple):
    date: date
    mean: float
    min: int
    max: int
    n: int


class Day:
    """Running totals for one local calendar day."""

    __slots__ = ("total", "lo", "hi", "n", "pf_total", "pf_n", "mx_total", "mx_n")

    def __init__(self):
        self.total = self.n = self.pf_total = self.pf_n = self.mx_total = self.mx_n = 0
        self.lo, self.hi = 10, 0

    def add(self, e: EntryRecord) -> None:
        self.total += e.pain
        self.n += 1
        self.lo, self.hi = min(self.lo, e.pain), max(self.hi, e.pain)
        if e.did_not_walk:
            return  # a day the patient did not walk has no walking time, not a time of 0
        if e.walk_pain_free_min is not None:
            self.pf_total += e.walk_pain_free_min
            self.pf_n += 1
        if e.walk_max_min is not None:
            self.mx_total += e.walk_max_min
            self.mx_n += 1

    @property
    def mean(self) -> float:
        return self.total / self.n


class DiaryIndex:
    """Entries sorted by time (ties by id) and grouped by local calendar day, built once."""

    def __init__(self, entries: Iterable[EntryRecord], zone: ZoneInfo):
        self.zone = zone
        # Two stable sorts on C-level keys: by time, ties by id (cheaper than a tuple key).
        self.entries = sorted(entries, key=attrgetter("id"))
        self.entries.sort(key=attrgetter("observed_at"))
        self.times = [e.observed_at for e in self.entries]
        # Readings with both feet, kept apart because asymmetry only ever looks at these.
        self.temp_entries = [e for e in self.entries
                             if e.temp_treated_c is not None and e.temp_other_c is not None]
        self.temp_times = [e.observed_at for e in self.temp_entries]
        days: dict[date, Day] = {}
        for e in self.entries:
            d = e.observed_at.astimezone(zone).date()
            day = days.get(d)
            if day is None:
                day = days[d] = Day()
            day.add(e)
        self._days = days
        self.dates = sorted(days)  # not assumed monotonic: a midnight DST change can step back

    def local_date(self, dt: datetime) -> date:
        return dt.astimezone(self.zone).date()

    def between(self, start: datetime, end: datetime | None) -> list[EntryRecord]:
        """Entries with start <= observed_at < end (end None: to the last entry)."""
        lo = bisect_left(self.times, start)
        hi = len(self.times) if end is None else bisect_left(self.times, end)
        return self.entries[lo:hi]

    def day(self, d: date) -> Day | None:
        return self._days.get(d)

    def days(self, first: date, last: date | None) -> list[tuple[date, Day]]:
        """Days with entries, first..last inclusive (last None: to the last day)."""
        lo = bisect_left(self.dates, first)
        hi = len(self.dates) if last is None else bisect_right(self.dates, last)
        return [(d, self._days[d]) for d in self.dates[lo:hi]]

    def iter_days(self, first: date, last: date | None) -> Iterator[tuple[date, Day]]:
        """Like days(), lazily, for callers that stop early."""
        i = bisect_left(self.dates, first)
        while i < len(self.dates) and (last is None or self.dates[i] <= last):
            yield self.dates[i], self._days[self.dates[i]]
            i += 1

    def daily_means(self) -> list[DailyMean]:
        return [DailyMean(d, x.mean, x.lo, x.hi, x.n)
                for d, x in ((d, self._days[d]) for d in self.dates)]
