"""The patient's side of blocks: the reading prompts of diary.clinical.schedule for the entry
form and the history page (with the extra questions they ask today), who is offered the limb
questions of docs/clinical.md §7, and the history's days with the blocks placed among the
entries. Plain Python: the view hands in the records, the time zone and the clock.

Our choice (docs/clinical.md §5): a prompt never names a time in the past as if it were still
ahead. Once a reading's due time has passed while its window is still open, the next-reading
line says "Reading due now (since 05:30)"; when the window closes it moves on to the next
reading. Today's list marks each reading Done, Missed (its window closed with no entry), Now
(its window is open) or Later (not open yet). """

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from itertools import groupby
from typing import Protocol
from zoneinfo import ZoneInfo

from diary.clinical import vocab
from diary.clinical.records import BlockRecord, EntryRecord
from diary.clinical.schedule import ASKS, Prompt, first_open, full_schedule, todays
from diary.clinical.settings import Settings

log = logging.getLogger(__name__)


class Timed(Protocol):
    observed_at: datetime


# The word the history puts before each of today's readings, by its state.
STATE_WORDS = {"done": "Done", "missed": "Missed", "now": "Now", "later": "Later"}
# A prompt's lead word, and whether its time is a "by" time (the whole day is its window).
_LEADS = {"pre_block_daily": "Daily reading", "daily": "Daily reading",
          "weekly": "Weekly reading"}


@dataclass(frozen=True)
class TodayPrompt:
    """One of today's prompts as the history lists it: "14:00 — 2 hours after your block"."""

    text: str
    # "done" (a reading in its window), "missed" (window closed, no reading), "now" (window
    # open: a reading now answers it) or "later" (window not open yet)
    state: str

    @property
    def word(self) -> str:
        return STATE_WORDS[self.state]


@dataclass(frozen=True)
class Prompts:
    next: Prompt | None          # the first prompt still to be answered
    note: str | None             # the block-day reminder, while block-day readings are asked
    today: list[TodayPrompt]     # all of today's prompts, in time order
    booked: datetime | None      # the next block booked (UTC), if any
    # The extra questions (schedule.ASKS codes) the entry form asks now: those of today's
    # prompts not yet covered by a reading (window still open) and not yet answered.
    asks: tuple[str, ...] = ()
    also: str | None = None      # those asks in words, unless the next prompt's text says them

    def __bool__(self) -> bool:
        return bool(self.next or self.today or self.booked)


def prompts(entries: Sequence[EntryRecord], blocks: Sequence[BlockRecord], tz: str,
            now: datetime, settings: Settings | None) -> Prompts:
    """What to ask of the patient now, from diary.clinical.schedule (made once: it may run the
    analysis). The entries from `schedule.entries_from(blocks, tz, now, settings)` on are
    enough."""
    zone = ZoneInfo(tz)
    try:
        schedule = full_schedule(blocks, entries, tz, now, settings)
        upcoming = first_open(schedule, now)
        today = todays(schedule, tz, now)
    except Exception:
        # The prompts are a help: if the schedule fails on some diary, the patient must
        # still be able to write the entry. The log says why.
        log.exception("Reading prompts failed")
        return Prompts(None, None, [], None)
    # The reminder belongs to the block-day readings: shown while one is next or due today.
    block_day = [p for p in ([upcoming] if upcoming else []) + today if p.kind == "block_day"]
    note = block_day[0].note if block_day else None
    booked = min((b.performed_at for b in blocks if b.performed_at > now), default=None)
    asking = {a for p in today if not p.covered and p.window_end > now
              for a in p.asks if a not in p.answered}
    asks = tuple(a for a in ASKS if a in asking)
    said = {a for a in upcoming.asks if a not in upcoming.answered} if upcoming else set()
    unsaid = [ASKS[a] for a in asks if a not in said]
    also = "Also today: " + "; ".join(unsaid) + "." if unsaid else None
    if upcoming is not None:
        upcoming = replace(upcoming, text=next_text(upcoming, now, zone))
    return Prompts(upcoming, note, [today_line(p, now, zone) for p in today], booked,
                   asks, also)


def next_text(p: Prompt, now: datetime, zone: ZoneInfo) -> str:
    """The next reading (`schedule.first_open`: not covered, window not closed) in words that
    are never in the past: "Next reading due 14:00 — 2 hours after your block" while its time
    is ahead, "Reading due now (since 05:30) — 6 hours after your block" once it has passed."""
    tail = _tail(p)
    if p.due_at <= now:
        return f"{_LEADS.get(p.kind, 'Reading')} due now (since {_when(p, now, zone)}) — {tail}"
    by = "by " if p.kind in _LEADS else ""
    return f"Next reading due {by}{_when(p, now, zone)} — {tail}"


def today_line(p: Prompt, now: datetime, zone: ZoneInfo) -> TodayPrompt:
    """One of today's readings for the history's list, with its state."""
    when = ("by " if p.kind in _LEADS else "") + _when(p, now, zone)
    if p.covered:
        return TodayPrompt(f"{when} — {p.reason}", "done")
    if p.window_end <= now:
        return TodayPrompt(f"{when} — {p.reason}", "missed")
    return TodayPrompt(f"{when} — {_tail(p)}", "now" if p.window_start <= now else "later")


def _when(p: Prompt, now: datetime, zone: ZoneInfo) -> str:
    """The prompt's local time, with its day when that is not today: "14:00", "08:00 on Tue
    17 Jun"."""
    if p.due_at.astimezone(zone).date() == now.astimezone(zone).date():
        return p.label
    return f"{p.label} on {p.day_label}"


def _tail(p: Prompt) -> str:
    """What the schedule says after the dash: the reason and any extra questions."""
    return p.text.split(" — ", 1)[1] if " — " in p.text else p.reason


def limb_questions(condition: str, blocks: Iterable[BlockRecord], now: datetime) -> bool:
    """Whether the entry form offers §7's questions (rest pain at night, the wound) on any
    day: to a patient with limb ischaemia, or who has had a neurolysis or radiofrequency
    block (a booked one does not count until it is done)."""
    return condition == "pad_clti" or any(
        b.kind in vocab.NEUROLYTIC_KINDS and b.performed_at <= now for b in blocks)


# ------------------------------------------------------------------------------- history

@dataclass(frozen=True)
class BlockMark:
    """A block as the patient's history shows it, in the patient's time zone."""

    id: int
    at: datetime                 # local
    kind: str

    @property
    def heading(self) -> str:
        return f"Block on {self.at:%A} {self.at.day} {self.at:%B}, {self.at:%H:%M}"


@dataclass(frozen=True)
class Item:
    entry: object | None = None
    block: BlockMark | None = None


def history_days(entries: Iterable[Timed], blocks: Iterable[BlockRecord], zone: ZoneInfo,
                 newest_first: bool = True) -> list[tuple[date, list[Item]]]:
    """Entries (in the order given, newest first) and blocks merged into local days.

    At the same moment an entry comes before a block, so a reading made as the block started
    reads as the one just before it.
    """
    items = [(e.observed_at, Item(entry=e)) for e in entries]
    items += [(b.performed_at, Item(block=BlockMark(b.id, b.performed_at.astimezone(zone),
                                                    b.kind)))
              for b in sorted(blocks, key=lambda b: (b.performed_at, b.id), reverse=True)]
    # Stable: entries keep their order among themselves, and come first at equal times.
    items.sort(key=lambda pair: pair[0], reverse=newest_first)
    return [(day, [item for _, item in group])
            for day, group in groupby(items, key=lambda pair: pair[0].astimezone(zone).date())]


def blocks_between(blocks: Iterable[BlockRecord], lower: datetime | None,
                   upper: datetime | None, now: datetime) -> list[BlockRecord]:
    """Blocks done by `now` with lower <= performed_at < upper (None: unbounded).

    A history page holds the entries from its cursor (upper) down to its last entry (lower),
    so consecutive pages share no block and miss none.
    """
    return [b for b in blocks if b.performed_at <= now
            and (lower is None or b.performed_at >= lower)
            and (upper is None or b.performed_at < upper)]
