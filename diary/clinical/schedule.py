"""When to ask the patient for a reading (docs/clinical.md §5). Plain Python.

The schedule follows the latest block done and the next one booked:

- before a booked block: once a day for the `baseline_days` (7) days before it, and one reading
  in the `b0_lookback_hours` (2 h) before it, which gives B0 when the clinic records no pain;
- block day: 15 and 30 min after the block, then hourly to 6 h (8 h for a long-acting agent,
  or to the analysis window if that is set longer), noting extra medicine and numbness/weakness;
- days 1-7: four suggested slots, 08:00, 12:00, 16:00 and 20:00 (two to four a day is fine);
- days 8-28: once a day;
- then weekly: until back to baseline (local anaesthetic), or to 12 months (neurolysis,
  radiofrequency). Weekly prompts stop at week 52 in either case, and every prompt of a block
  stops where the next block's schedule begins; on days 1-28 the block's own prompts take
  precedence over the next block's once-a-day ones.

Each prompt has a window: an entry with window_start <= observed_at < window_end covers it.
Windows never overlap, so one entry covers one prompt. They run from half-way after the
previous slot to half-way to the next (block day, days 1-7), or the whole local day (daily),
or the 7 local days ending on the due day (weekly). The first block-day window opens when the
analysis window does (15 min), so a covered prompt is a reading the analysis uses. No block
known: no prompts.

Some prompts also ask extra questions (`Prompt.asks`, docs/clinical.md §7, §8):

- "pgic", how the pain has changed since the block: on days 7 and 28 after every block, and
  after neurolysis or radiofrequency also at the checkpoints of followup.CHECKPOINT_DAYS
  (days 30, 90, 180);
- "limb", rest pain at night and the wound: weekly (days 7, 14, 21, ... to week 52) after
  neurolysis or radiofrequency.

An ask due on local day d goes on the block's prompt whose window covers day d (the last one
of the day on days 1-7: 20:00). Our choice: after neurolysis or radiofrequency the readings
from day 29 are weekly (they were monthly), because section 7 asks its questions weekly and
judges days 90 and 180 on the diary days within 7 days of them, which a monthly reading could
miss; each weekly reading carries "limb", and those covering days 30, 90 and 180 "pgic". Asks
follow their prompts: where a block's prompts stop (the next block), its asks stop too.

An ask is answered by an entry from the start of its prompt's due day (or window, if earlier)
to the window's end that carries the answer (`answered`); an answer given in the morning of
day 7 answers the 20:00 prompt's ask. The prompt's text names the asks not yet answered
("Also: how your pain has changed since the block.").
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from diary.clinical import vocab
from diary.clinical.analysis import analyse_patient
from diary.clinical.followup import CHECKPOINT_DAYS
from diary.clinical.records import BlockRecord, EntryRecord
from diary.clinical.settings import Settings

PROMPT_KINDS = {
    "pre_block_daily": "Daily reading before the block",
    "pre_block": "Reading just before the block",
    "block_day": "Block-day reading",
    "early": "First-week reading",
    "daily": "Daily reading",
    "weekly": "Weekly reading",
}
EARLY_SLOTS = (time(8), time(12), time(16), time(20))
DAILY_AT = time(20)
EARLY_DAYS, DAILY_DAYS = 7, 28
LAST_WEEK = 52                   # weekly prompts stop at week 52 (12 months)
FOLLOW_UP_DAYS = 365             # no prompt of a block after a year
# The extra questions a prompt may ask, in the words the patient reads after "Also:".
ASKS = {
    "pgic": "how your pain has changed since the block",
    "limb": "your leg at night and your foot",
}
PGIC_DAYS = (7, 28)              # after every block (§8), and the §7 checkpoints after neurolysis
LIMB_EVERY = 7                   # days between the §7 questions after neurolysis / RF
BLOCK_DAY_NOTE = ("Please also note any extra pain medicine you took and any numbness or "
                  "weakness in your leg.")


@dataclass(frozen=True)
class Prompt:
    due_at: datetime             # UTC
    label: str                   # local time, "14:00"
    day_label: str               # local day, "Tue 12 Mar"
    text: str                    # "Reading due 14:00 — 2 hours after your block"
    reason: str                  # the part after the dash
    kind: str                    # PROMPT_KINDS code
    window_start: datetime       # UTC; an entry in [window_start, window_end) covers the prompt
    window_end: datetime
    covered: bool
    covered_by: str | None       # id of the first entry in the window
    block_id: int | None
    note: str | None = None
    asks: tuple[str, ...] = ()   # ASKS codes: the extra questions this reading asks
    answered: tuple[str, ...] = ()   # those of `asks` an entry has already answered


@dataclass
class _Slot:
    due: datetime
    start: datetime
    end: datetime
    kind: str
    reason: str
    block_id: int
    note: str | None = None
    asks: tuple[str, ...] = ()


def full_schedule(blocks: Iterable[BlockRecord], entries: Iterable[EntryRecord], tz: str,
                  now: datetime, settings: Settings | None = None) -> list[Prompt]:
    """Every prompt of the current schedule, past and future, in time order."""
    s = settings or Settings()
    zone = ZoneInfo(tz)
    blocks = sorted(blocks, key=lambda b: (b.performed_at, b.id))
    entries = list(entries)
    done = [b for b in blocks if b.performed_at <= now]
    booked = [b for b in blocks if b.performed_at > now]
    current = done[-1] if done else None
    upcoming = booked[0] if booked else None

    slots: list[_Slot] = []
    if current is not None:
        slots += _block_day(current, s, zone)
        slots += _after(current, upcoming, entries, blocks, s, zone, now)
    if upcoming is not None:
        taken = {_local_day(x.due, zone) for x in slots}
        slots += _before(upcoming, current, taken, s, zone)
        slots += _block_day(upcoming, s, zone)
    slots.sort(key=lambda x: x.due)
    _trim_overlaps(slots)
    return _cover(slots, entries, zone, now)


def reading_prompts(blocks: Iterable[BlockRecord], entries: Iterable[EntryRecord], tz: str,
                    now: datetime, settings: Settings | None = None) -> list[Prompt]:
    """Today's prompts: those whose window touches the patient's local day of `now`, plus
    the whole block-day series of a block done or due today (a late block runs past midnight).
    """
    return todays(full_schedule(blocks, entries, tz, now, settings), tz, now)


def next_reading(blocks: Iterable[BlockRecord], entries: Iterable[EntryRecord], tz: str,
                 now: datetime, settings: Settings | None = None) -> Prompt | None:
    """The first prompt not yet covered whose window is still open (or not yet open)."""
    return first_open(full_schedule(blocks, entries, tz, now, settings), now)


def todays(schedule: list[Prompt], tz: str, now: datetime) -> list[Prompt]:
    """`reading_prompts` of a `full_schedule` already made (one schedule serves both)."""
    zone = ZoneInfo(tz)
    today = now.astimezone(zone).date()
    start, end = _midnight(today, zone), _midnight(today + timedelta(days=1), zone)
    today_prompts = [p for p in schedule if p.window_start < end and p.window_end > start]
    block_days = {p.block_id for p in today_prompts if p.kind == "block_day"}
    chosen = {id(p) for p in today_prompts}
    return [p for p in schedule if id(p) in chosen
            or (p.kind == "block_day" and p.block_id in block_days)]


def first_open(schedule: list[Prompt], now: datetime) -> Prompt | None:
    """`next_reading` of a `full_schedule` already made."""
    for p in schedule:
        if not p.covered and p.window_end > now:
            return replace(p, text="Next reading due " + p.text.split(" due ", 1)[1])
    return None


def entries_from(blocks: Iterable[BlockRecord], tz: str, now: datetime,
                 settings: Settings | None = None) -> datetime:
    """The earliest moment whose entries can change `next_reading` or `reading_prompts` at
    `now`: given only the entries from then on (and every block), both answer as they would
    with the whole diary, so a page that shows the prompts need not load it all.

    - Both show only prompts whose window ends after the start of today (local). The widest
      windows (weekly) span 7 local days, so every entry that can cover one is from midnight
      six days before today on; the block-day series of a block done today (or late
      yesterday) starts later still. Trimmed windows only shrink.
    - An ask is answered by an entry from the start of its prompt's window or due day,
      whichever is earlier: for such a prompt that is within those 7 days too (the due day
      of a window ending after today began is today or later).
    - A local-anaesthetic block's weekly prompts stop once the patient is back to baseline,
      which the analysis finds from that block's B7 (the `baseline_days` before its day) and
      its relief curve since. While those prompts can still fall due (to 52 weeks after the
      block), the entries from the start of its B7 on are needed. No other rule of the
      schedule reads an entry (the weekly prompts after neurolysis or radiofrequency do not
      stop at baseline).
    """
    s = settings or Settings()
    zone = ZoneInfo(tz)
    today = now.astimezone(zone).date()
    since = _midnight(today - timedelta(days=6), zone)
    done = [b for b in blocks if b.performed_at <= now]
    if done:
        current = max(done, key=lambda b: (b.performed_at, b.id))
        day0 = _local_day(current.performed_at, zone)
        weekly_ends = day0 + timedelta(days=7 * LAST_WEEK)
        if current.kind in vocab.LOCAL_ANAESTHETIC_KINDS and today <= weekly_ends:
            since = min(since, _midnight(day0 - timedelta(days=s.baseline_days), zone))
    return since


# ------------------------------------------------------------------------------ the slots

def _block_day(block: BlockRecord, s: Settings, zone: ZoneInfo) -> list[_Slot]:
    at = block.performed_at.astimezone(UTC)
    hours = 8 if block.long_acting else max(6, s.window_hours)
    offsets = [15, 30, *range(60, 60 * hours + 1, 60)]
    slots = [_Slot(at - timedelta(hours=1), at - timedelta(hours=s.b0_lookback_hours), at,
                   "pre_block", f"before your block at {_hhmm(at, zone)}", block.id)]
    for i, minutes in enumerate(offsets):
        lo = min(15, s.window_start_min) if i == 0 else (offsets[i - 1] + minutes) / 2
        hi = (minutes + offsets[i + 1]) / 2 if i + 1 < len(offsets) else minutes + 30
        slots.append(_Slot(at + timedelta(minutes=minutes), at + timedelta(minutes=lo),
                           at + timedelta(minutes=hi), "block_day",
                           f"{_duration_words(minutes)} after your block", block.id,
                           BLOCK_DAY_NOTE))
    return slots


def _after(block: BlockRecord, upcoming: BlockRecord | None, entries: list[EntryRecord],
           blocks: list[BlockRecord], s: Settings, zone: ZoneInfo, now: datetime) -> list[_Slot]:
    day0 = _local_day(block.performed_at, zone)
    stop = _local_day(upcoming.performed_at, zone) if upcoming is not None else None
    # Weekly windows span a week, so they stop where the next block's diary starts.
    long_stop = stop - timedelta(days=s.baseline_days) if stop is not None else None
    slots = []
    for n in range(1, DAILY_DAYS + 1):
        d = day0 + timedelta(days=n)
        if stop is not None and d >= stop:
            break
        if n <= EARLY_DAYS:
            edges = [_midnight(d, zone)] + [_at(d, t, zone) for t in (time(10), time(14), time(18))]
            edges.append(_midnight(d + timedelta(days=1), zone))
            for i, t in enumerate(EARLY_SLOTS):
                slots.append(_Slot(_at(d, t, zone), edges[i], edges[i + 1], "early",
                                   f"day {n} after your block (2 to 4 readings a day this week)",
                                   block.id))
        else:
            slots.append(_Slot(_at(d, DAILY_AT, zone), _midnight(d, zone),
                               _midnight(d + timedelta(days=1), zone), "daily",
                               f"day {n} after your block (once a day until week 4)", block.id))
    else:
        slots += _weekly(block, day0, long_stop, entries, blocks, s, zone, now)
    _attach_asks(block, day0, slots, zone)
    return slots


def _weekly(block: BlockRecord, day0: date, long_stop: date | None, entries: list[EntryRecord],
            blocks: list[BlockRecord], s: Settings, zone: ZoneInfo,
            now: datetime) -> list[_Slot]:
    """Weeks 5 to 52: until back to baseline after local anaesthetic; to 12 months after
    neurolysis or radiofrequency (weekly, not monthly: see the module docstring)."""
    last = day0 + timedelta(days=FOLLOW_UP_DAYS)
    if block.kind in vocab.LOCAL_ANAESTHETIC_KINDS:
        back = _back_to_baseline(block, entries, blocks, s, zone, now)
        if back is not None:
            last = min(last, day0 + timedelta(days=back))
    slots = []
    for w in range(DAILY_DAYS // 7 + 1, LAST_WEEK + 1):
        d = day0 + timedelta(days=7 * w)
        if d > last or (long_stop is not None and d >= long_stop):
            break
        slots.append(_Slot(_at(d, DAILY_AT, zone), _midnight(d - timedelta(days=6), zone),
                           _midnight(d + timedelta(days=1), zone), "weekly",
                           f"week {w} after your block", block.id))
    return slots


def _ask_days(block: BlockRecord) -> dict[int, tuple[str, ...]]:
    """Days after the block -> the ASKS codes due that day."""
    neurolytic = block.kind in vocab.NEUROLYTIC_KINDS
    pgic = set(PGIC_DAYS) | (set(CHECKPOINT_DAYS) if neurolytic else set())
    limb = set(range(LIMB_EVERY, 7 * LAST_WEEK + 1, LIMB_EVERY)) if neurolytic else set()
    return {n: tuple(code for code, due in (("pgic", n in pgic), ("limb", n in limb)) if due)
            for n in sorted(pgic | limb)}


def _attach_asks(block: BlockRecord, day0: date, slots: list[_Slot], zone: ZoneInfo) -> None:
    """Each ask goes on the last of the block's prompts whose window touches its local day
    (`slots` in time order, windows disjoint). A day with no such prompt asks nothing."""
    ends = [x.end for x in slots]
    for n, asks in _ask_days(block).items():
        d = day0 + timedelta(days=n)
        lo, hi = _midnight(d, zone), _midnight(d + timedelta(days=1), zone)
        i = bisect_right(ends, lo)            # the first window ending after the day starts
        touching = [x for x in slots[i:i + len(EARLY_SLOTS) + 1] if x.start < hi]
        if touching:
            x = touching[-1]
            x.asks = tuple(code for code in ASKS if code in x.asks or code in asks)


def _before(block: BlockRecord, current: BlockRecord | None, taken: set[date], s: Settings,
            zone: ZoneInfo) -> list[_Slot]:
    day0 = _local_day(block.performed_at, zone)
    first = (_local_day(current.performed_at, zone) + timedelta(days=1)
             if current is not None else None)
    slots = []
    for k in range(s.baseline_days, 0, -1):
        d = day0 - timedelta(days=k)
        if (first is not None and d < first) or d in taken:
            continue
        slots.append(_Slot(_at(d, DAILY_AT, zone), _midnight(d, zone),
                           _midnight(d + timedelta(days=1), zone), "pre_block_daily",
                           f"{k} day{'s' if k != 1 else ''} before your block "
                           "(this records your usual pain)", block.id))
    return slots


def _back_to_baseline(block: BlockRecord, entries: list[EntryRecord],
                      blocks: list[BlockRecord], s: Settings, zone: ZoneInfo,
                      now: datetime) -> int | None:
    result = analyse_patient(entries, blocks, s, zone.key, now)
    for a in result.blocks:
        if a.block is block:
            return a.duration.back_to_baseline
    return None


def _trim_overlaps(slots: list[_Slot]) -> None:
    """Make neighbouring windows meet instead of overlap (e.g. a late-evening block's hourly
    prompts running into the next morning's)."""
    for prev, cur in zip(slots, slots[1:], strict=False):
        if prev.end > cur.start:
            if prev.due < cur.start <= cur.due:
                edge = cur.start
            else:
                edge = prev.due + (cur.due - prev.due) / 2
            prev.end, cur.start = min(prev.end, edge), max(cur.start, edge)
    slots[:] = [x for x in slots if x.start < x.end]


def _cover(slots: list[_Slot], entries: list[EntryRecord], zone: ZoneInfo,
           now: datetime) -> list[Prompt]:
    ordered = sorted(entries, key=lambda e: e.observed_at)
    times = [e.observed_at for e in ordered]
    today = now.astimezone(zone).date()
    prompts = []
    for x in slots:
        i = bisect_left(times, x.start)
        hit = ordered[i] if i < len(times) and times[i] < x.end else None
        local = x.due.astimezone(zone)
        label = local.strftime("%H:%M")
        day_label = f"{local:%a} {local.day} {local:%b}"
        when = label if local.date() == today else f"{label} on {day_label}"
        lead = "Reading due"
        if x.kind in ("daily", "pre_block_daily"):
            lead, when = "Daily reading due", f"by {when}"
        elif x.kind == "weekly":
            lead, when = "Weekly reading due", f"by {when}"
        text = f"{lead} {when} — {x.reason}"
        answered: tuple[str, ...] = ()
        if x.asks:
            since = min(x.start, _midnight(local.date(), zone))
            span = ordered[bisect_left(times, since):bisect_left(times, x.end)]
            answered = tuple(a for a in x.asks if any(_ANSWERS[a](e) for e in span))
            also = [ASKS[a] for a in x.asks if a not in answered]
            if also:
                text += ". Also: " + "; ".join(also) + "."
        prompts.append(Prompt(
            due_at=x.due, label=label, day_label=day_label, text=text,
            reason=x.reason, kind=x.kind, window_start=x.start, window_end=x.end,
            covered=hit is not None, covered_by=hit.id if hit is not None else None,
            block_id=x.block_id, note=x.note, asks=x.asks, answered=answered))
    return prompts


# Which entries answer an ask.
_ANSWERS = {
    "pgic": lambda e: e.pgic is not None,
    "limb": lambda e: e.night_rest_pain is not None or e.wound is not None,
}


# ------------------------------------------------------------------------------- helpers

def _local_day(dt: datetime, zone: ZoneInfo) -> date:
    return dt.astimezone(zone).date()


def _at(d: date, t: time, zone: ZoneInfo) -> datetime:
    # Always in UTC: aware datetimes sharing a tzinfo compare by wall clock, wrong across DST.
    return datetime.combine(d, t, tzinfo=zone).astimezone(UTC)


def _midnight(d: date, zone: ZoneInfo) -> datetime:
    return _at(d, time(0), zone)


def _hhmm(dt: datetime, zone: ZoneInfo) -> str:
    return dt.astimezone(zone).strftime("%H:%M")


def _duration_words(minutes: int) -> str:
    if minutes < 60:
        return f"{minutes} minutes"
    hours = minutes // 60
    return f"{hours} hour{'s' if hours != 1 else ''}"

