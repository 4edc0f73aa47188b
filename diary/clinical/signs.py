"""Temperature asymmetry and walking times (docs/clinical.md §3, last two rules).

Both read the `DiaryIndex` built once per patient (diary.clinical.diary_index), by bisection.
Choices:

- Asymmetry is "more than" the limit, on the temperatures as stored (a 1.0 °C difference is
  not flagged); per block it looks from the block to the next one, per patient at everything.
- Walking "before" is the last `walk_days` (3) diary days with a time in the `baseline_days`
  (7) before the block day; "after" is the first 3 after the block day, before the next block.
  Each day counts once (the mean of its readings). "Did not walk" is no time, not 0 minutes.
  The gain is meaningful if either the pain-free or the maximal time rose by >= 1 min or >= 30 %.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

from diary.clinical.settings import EPS

if TYPE_CHECKING:
    from diary.clinical.diary_index import Day, DiaryIndex
    from diary.clinical.settings import Settings

ONE_DAY = timedelta(days=1)


@dataclass(frozen=True)
class Asymmetry:
    count: int                   # readings with |treated - other| over the limit
    readings: int                # readings with both feet, outside the hours after a block
    excluded: int                # readings with both feet inside those hours
    latest_at: datetime | None
    latest_diff_c: float | None  # treated minus other
    latest_entry_id: str | None


@dataclass(frozen=True)
class Walking:
    pain_free_before: float | None   # means of daily means over up to walk_days diary days
    pain_free_after: float | None
    max_before: float | None
    max_after: float | None
    pain_free_gain_min: float | None
    pain_free_gain_pct: float | None
    max_gain_min: float | None
    max_gain_pct: float | None
    meaningful: bool | None          # None when neither time can be compared
    note: str


def asymmetry(index: DiaryIndex, block_times: list[datetime], s: Settings,
              start: datetime | None = None, end: datetime | None = None) -> Asymmetry:
    """Feet differing by more than asymmetry_c, outside the first hours after any block.

    Looks at readings with start <= observed_at < end (None: unbounded).
    """
    times = index.temp_times
    lo = 0 if start is None else bisect_left(times, start)
    hi = len(times) if end is None else bisect_left(times, end)
    exclude = timedelta(hours=s.asymmetry_exclude_hours)
    limit = s.asymmetry_c + EPS
    count = readings = excluded = 0
    latest = None
    for e in index.temp_entries[lo:hi]:
        i = bisect_right(block_times, e.observed_at) - 1
        if i >= 0 and e.observed_at - block_times[i] < exclude:
            excluded += 1
            continue
        readings += 1
        if abs(e.temp_treated_c - e.temp_other_c) > limit:
            count += 1
            latest = e
    if latest is None:
        return Asymmetry(0, readings, excluded, None, None, None)
    diff = round(latest.temp_treated_c - latest.temp_other_c, 2)
    return Asymmetry(count, readings, excluded, latest.observed_at, diff, latest.id)


def walking(block_day: date, last_day: date | None, index: DiaryIndex, s: Settings) -> Walking:
    """Mean walking times before and after the block, and whether the gain is meaningful."""
    n = s.walk_days
    before = index.days(block_day - timedelta(days=s.baseline_days), block_day - ONE_DAY)
    after = index.iter_days(block_day + ONE_DAY, last_day)
    pf_before, mx_before = _walk_values(reversed(before), n)
    pf_after, mx_after = _walk_values(after, n)
    pf = (_mean(pf_before), _mean(pf_after))
    mx = (_mean(mx_before), _mean(mx_after))
    gains = [_gain(*pf), _gain(*mx)]
    judged = [g for g in gains if g is not None]
    meaningful = None
    if judged:
        meaningful = any(m > 0 and (m >= s.walk_gain_min - EPS
                                    or (p is not None and p >= s.walk_gain_pct - EPS))
                         for m, p in judged)
    (pf_min, pf_pct), (mx_min, mx_pct) = (g or (None, None) for g in gains)
    note = (f"Before: the last {n} diary days with walking times in the {s.baseline_days} days "
            f"before the block; after: the first {n} after it. Days marked 'did not walk' "
            "have no walking time and are left out.")
    return Walking(pf[0], pf[1], mx[0], mx[1], pf_min, pf_pct, mx_min, mx_pct, meaningful, note)


def _walk_values(days: Iterable[tuple[date, Day]], n: int) -> tuple[list[float], list[float]]:
    """Daily mean pain-free and maximal walking times of the first n days that have each."""
    pain_free, maximal = [], []
    for _, d in days:
        if d.pf_n and len(pain_free) < n:
            pain_free.append(d.pf_total / d.pf_n)
        if d.mx_n and len(maximal) < n:
            maximal.append(d.mx_total / d.mx_n)
        if len(pain_free) == n and len(maximal) == n:
            break
    return pain_free, maximal


def _mean(values: list[float]) -> float | None:
    return sum(values) / len(values) if values else None


def _gain(before: float | None, after: float | None) -> tuple[float, float | None] | None:
    if before is None or after is None:
        return None
    gain = after - before
    return gain, (100 * gain / before if before > 0 else None)
