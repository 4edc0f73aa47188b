"""One patient in a line, for the clinic's list: what needs attention, the last entry, the
last block's verdict and the next reading due. Plain Python.

`summarise` also says until when its answer holds with no new data. The analysis depends on
the clock only at a few kinds of moment, so the answer cannot change before the earliest of:

- the next local midnight (rules that count days: repeat due, thin baseline, daily prompts);
- for each block: the moment it is done (booked until then), its window's start and end, and
  the end of the 24 h after the window (waiting for readings; prolonged relief);
- the moment the diary goes quiet (last entry + no_recent_entries_days);
- the end of the window of the next reading due (the next prompt moves on).

The "wound" status and everything else read from the entries alone (the latest wound answer)
need no moment: a new or changed entry marks the stored line stale anyway.

The consultant's decision on the last block done (`Reviews`) takes the statuses about that
block's verdict off the line (`REVIEWED`) until something new is recorded for the patient: an
entry observed or recorded after the decision, or a block recorded after it (docs/clinical.md
§3.13). That reads the data alone, never the clock, except that the last block done changes
when a booked block's moment comes, which is already one of the moments above.

`tests/unit/test_summary.py` checks that for random diaries and random moments before that
time the answer is always the same as a fresh analysis.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from diary.clinical.analysis import STATUS_LABELS, analyse_patient
from diary.clinical.records import BlockRecord, EntryRecord
from diary.clinical.schedule import entries_from, next_reading
from diary.clinical.settings import Settings

log = logging.getLogger(__name__)

# Most urgent first (see patient_list): the list sorts on `urgency` in the database.
STATUS_PRIORITY = ("wound", "awaiting_block_day_readings", "repeat_due", "series_review",
                   "relief_waning", "thin_baseline", "no_recent_entries")
_RANK = {code: i for i, code in enumerate(STATUS_PRIORITY)}
PENDING = "pending"
# A neurolysis or RF block is a treatment followed up at checkpoints (§7), not a test: the
# list says so rather than show the anaesthetic-window verdict computed for comparison.
FOLLOW_UP = "follow_up"
# The statuses that ask for a decision on the last block's verdict: a decision on that block
# answers them. "thin_baseline" only when it is that block's baseline (no block booked).
REVIEWED = frozenset({"repeat_due", "series_review", "relief_waning", "thin_baseline"})


def rank(code: str) -> int:
    return _RANK.get(code, len(STATUS_PRIORITY))


@dataclass(frozen=True)
class Summary:
    statuses: tuple[str, ...]          # STATUS_LABELS codes, most urgent first
    last_entry_at: datetime | None
    last_verdict: str | None           # the last block done: a verdict, PENDING, FOLLOW_UP or None
    last_block_date: date | None       # its local date
    next_due_at: datetime | None       # the next reading asked for (UTC)
    failed: bool = False               # the analysis could not read this diary

    @property
    def urgency(self) -> int:
        """Bigger is more urgent: the most urgent status first, then how many there are."""
        if not self.statuses:
            return 0
        top = rank(self.statuses[0])
        return (len(STATUS_PRIORITY) + 1 - top) * 10 + len(self.statuses)


@dataclass(frozen=True)
class Reviews:
    """The consultant's decisions, as the list needs them."""

    decided: Mapping[int, datetime] = field(default_factory=dict)  # block id -> decided_at
    recorded_at: datetime | None = None  # the latest entry or block recorded (created_at)

    def answered(self, block_id: int, last_entry_at: datetime | None) -> bool:
        """A decision on this block, with nothing new for the patient since."""
        decided = self.decided.get(block_id)
        if decided is None:
            return False
        news = [t for t in (last_entry_at, self.recorded_at) if t is not None]
        return all(t <= decided for t in news)


def summarise(entries: list[EntryRecord], blocks: list[BlockRecord], settings: Settings | None,
              tz: str, now: datetime, reviews: Reviews | None = None
              ) -> tuple[Summary, datetime]:
    """The patient's line at `now`, and the moment until which it holds with no new data."""
    s = settings or Settings()
    zone = ZoneInfo(tz)
    try:
        result = analyse_patient(entries, blocks, s, tz, now)
        # The schedule reads only recent entries (schedule.entries_from): fewer to go through.
        since = entries_from(blocks, tz, now, s)
        upcoming = next_reading(blocks, [e for e in entries if e.observed_at >= since], tz,
                                now, s)
    except Exception:
        # One diary the analysis cannot read must not take the clinic's list down with it.
        log.exception("Summary: analysis failed")
        last = max((e.observed_at for e in entries), default=None)
        return Summary((), last, None, None, None, failed=True), _next_midnight(now, zone)
    done = result.done_blocks
    last = done[-1] if done else None
    if last is None:
        verdict = None
    elif last.limb_follow_up is not None:
        verdict = FOLLOW_UP
    else:
        verdict = PENDING if last.pending else last.verdict
    codes = tuple(sorted(result.statuses, key=rank))
    if reviews is not None and last is not None and reviews.answered(
            last.block.id, result.last_entry_at):
        booked = any(b.planned for b in result.blocks)  # a thin baseline is then the booked one's
        codes = tuple(c for c in codes
                      if c not in REVIEWED or (c == "thin_baseline" and booked))
    summary = Summary(codes, result.last_entry_at, verdict,
                      last.local_date if last is not None else None,
                      upcoming.due_at if upcoming is not None else None)
    return summary, valid_until(result.last_entry_at, blocks, upcoming, s, zone, now)


def valid_until(last_entry_at: datetime | None, blocks: list[BlockRecord], upcoming, s: Settings,
                zone: ZoneInfo, now: datetime) -> datetime:
    moments = [_next_midnight(now, zone)]
    after_window = timedelta(hours=s.window_hours + s.prolonged_hours_after_window)
    for b in blocks:
        at = b.performed_at
        moments += [at, at + timedelta(minutes=s.window_start_min),
                    at + timedelta(hours=s.window_hours), at + after_window]
    if last_entry_at is not None:
        moments.append(last_entry_at + timedelta(days=s.no_recent_entries_days))
    if upcoming is not None:
        moments.append(upcoming.window_end)
    return min(m for m in moments if m > now)


def _next_midnight(now: datetime, zone: ZoneInfo) -> datetime:
    tomorrow = now.astimezone(zone).date() + timedelta(days=1)
    return datetime.combine(tomorrow, time(), zone)


__all__ = ["FOLLOW_UP", "PENDING", "REVIEWED", "STATUS_LABELS", "STATUS_PRIORITY", "Reviews",
           "Summary", "rank", "summarise"]
