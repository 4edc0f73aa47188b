"""One block at a time: baseline, the relief curve and its durations (docs/clinical.md §3).

`DiaryIndex` sorts the entries and groups them by local calendar day once; everything else
bisects into it, so a whole patient costs O(n log n). Whether the block took and what the
window says is in `diary.clinical.verdict`; foot temperatures and walking in `diary.clinical.signs`;
touch pain, PGIC and the follow-up after neurolysis or RF in `diary.clinical.followup`.

Choices where the sources are silent (more in `diary.clinical.analysis`):

- B7 takes the 7 calendar days before the block day as they are, even if an earlier block
  falls inside them. B0 is the clinic's pre-block pain, else the last entry in the 2 h before.
- Days are calendar days: after a late-evening block, day 1 holds window readings taken
  after midnight.
- A block's days stop the day before the next block's day (its own day is judged by its
  window); durations are then "still relieved" with the next block noted.
- Prolonged response: the daily mean of the local day holding the moment 24 h after the
  window ends, against B7.
- `still_relieved` means not waned and the latest relief still at dur30_pct or more: a single
  day below it is neither "still relieved" nor "waned".
"""

from __future__ import annotations

from bisect import bisect_left
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, NamedTuple
from zoneinfo import ZoneInfo

from diary.clinical import followup, vocab
from diary.clinical.followup import LimbFollowUp, PgicAnswer, TouchPain
from diary.clinical.settings import EPS
from diary.clinical.signs import Asymmetry, Walking, asymmetry, walking
from diary.clinical.verdict import (
    PeakRelief,
    Reason,
    TechnicalSuccess,
    WindowSoFar,
    explain,
    judge,
    peak_relief,
    relief_pct,
    technical_success,
    window_so_far,
)
from diary.clinical.wording import fmt_date, fmt_pct, fmt_time

if TYPE_CHECKING:
    from diary.clinical.diary_index import DiaryIndex
    from diary.clinical.records import BlockRecord
    from diary.clinical.settings import Settings

ONE_DAY = timedelta(days=1)


class ReliefPoint(NamedTuple):
    day: int                     # 1 = first local calendar day after the block day
    relief_pct: float | None     # None when there is no B7 to compare with


# ------------------------------------------------------------------------------- results

@dataclass(frozen=True)
class Baseline:
    b0: int | None               # pre-block pain
    b0_source: str | None        # "clinic" or "diary entry at HH:MM"
    b0_entry_id: str | None
    b7: float | None             # mean of daily means over the days before the block day
    b7_days: int                 # days with entries behind B7
    thin: bool
    low: bool
    warnings: list[str]


@dataclass(frozen=True)
class Prolonged:
    present: bool
    relief_pct: float | None     # that day's mean pain against B7
    day: int | None
    date: date | None
    note: str


@dataclass(frozen=True)
class Duration:
    dur50: int | None            # day the first run below dur50_pct began (None: not yet)
    dur30: int | None
    back_to_baseline: int | None
    still_relieved: bool         # not waned, and the latest relief is still at dur30_pct or more
    days_so_far: int | None      # last day of the curve with a relief value
    waned: bool                  # dur30 reached
    note: str


@dataclass(frozen=True)
class BlockAnalysis:
    block: BlockRecord
    number: int                  # 1-based position in the patient's blocks
    kind: str
    diagnostic: bool             # a local-anaesthetic kind: the verdict is a diagnostic one
    local_date: date
    planned: bool                # after `now`: nothing judged yet
    pending: bool                # window still open at `now`: verdict is None
    window_start: datetime
    window_end: datetime         # cut short by the next block if that came first
    baseline: Baseline
    technical: TechnicalSuccess
    peak: PeakRelief
    verdict: str | None          # vocab.VERDICTS code; None while planned or pending
    reasons: list[Reason]
    explanation: str
    prolonged: Prolonged
    relief_curve: list[ReliefPoint]
    duration: Duration
    asymmetry: Asymmetry         # readings from this block until the next one
    walking: Walking
    notes: list[str]             # anything in the diary the numbers above did not use
    touch_pain: TouchPain        # §8: before the block against days 1-7
    pgic: list[PgicAnswer]       # §8: every PGIC answer until the next block
    limb_follow_up: LimbFollowUp | None   # §7: neurolysis / RF only (vocab.NEUROLYTIC_KINDS)
    # While the window is open (pending, not planned): readings so far, asked for, its end.
    window_so_far: WindowSoFar | None = None


# ------------------------------------------------------------------------------ the block

def analyse_block(block: BlockRecord, number: int, next_at: datetime | None,
                  index: DiaryIndex, block_times: list[datetime], s: Settings,
                  now: datetime) -> BlockAnalysis:
    zone = index.zone
    at = block.performed_at
    block_day = index.local_date(at)
    # The next block's day is judged by its own window, so this block's days stop before it.
    last_day = index.local_date(next_at) - ONE_DAY if next_at is not None else None
    notes = []

    start = at + timedelta(minutes=s.window_start_min)
    end = at + timedelta(hours=s.window_hours)
    if next_at is not None and next_at <= end:
        end = next_at
        window = index.between(start, next_at)
        notes.append(f"The window was cut short at {fmt_time(next_at, zone)} by the next block.")
    else:
        window = index.between(start, end + timedelta(microseconds=1))  # W includes its end
    early = index.between(at, min(start, next_at) if next_at else start)
    if early:
        notes.append(f"{len(early)} reading{'s' if len(early) != 1 else ''} in the first "
                     f"{s.window_start_min} min after the block not used for relief "
                     "(checked for side effects and extra medicine).")

    baseline = _baseline(block, block_day, index, s)
    technical = technical_success(block, s)
    peak = peak_relief(window, baseline.b0, s)
    planned, pending = at > now, now < end
    verdict, reasons = judge(block, baseline.b0, technical, peak, early + window, s, zone)
    if planned:
        verdict, reasons = None, []
    elif pending:
        # The reasons so far still tell the clinic what to look at; "no readings in the
        # window" is not one of them until the window has closed.
        verdict = None
        reasons = [r for r in reasons if r.code != "no_entries_in_window"]
    explanation = explain(block, verdict, reasons, baseline.b0, technical, peak, s, zone,
                          planned=planned, window_end=end)

    curve = _relief_curve(block_day, last_day, baseline.b7, index, s)
    walk = walking(block_day, last_day, index, s)
    limb = None
    if block.kind in vocab.NEUROLYTIC_KINDS:
        limb = followup.limb_follow_up(block, next_at, baseline.b7, walk, index, s, now)
    return BlockAnalysis(
        block=block, number=number, kind=block.kind,
        diagnostic=block.kind in vocab.LOCAL_ANAESTHETIC_KINDS, local_date=block_day,
        planned=planned, pending=pending, window_start=start, window_end=end,
        baseline=baseline, technical=technical, peak=peak, verdict=verdict, reasons=reasons,
        explanation=explanation,
        prolonged=_prolonged(block, block_day, last_day, baseline.b7, index, s, now),
        relief_curve=curve, duration=_duration(curve, next_at, s, zone),
        asymmetry=asymmetry(index, block_times, s, at, next_at),
        walking=walk, notes=notes,
        touch_pain=followup.touch_pain(block, next_at, index, s),
        pgic=followup.pgic_answers(block, next_at, curve, index, s), limb_follow_up=limb,
        window_so_far=window_so_far(block, peak, s, zone, end) if pending and not planned
        else None)


def _baseline(block: BlockRecord, block_day: date, index: DiaryIndex, s: Settings) -> Baseline:
    b0 = source = entry_id = None
    warnings = []
    if block.pre_pain is not None:
        b0, source = block.pre_pain, "clinic"
    else:
        i = bisect_left(index.times, block.performed_at) - 1
        lookback = block.performed_at - timedelta(hours=s.b0_lookback_hours)
        if i >= 0 and index.times[i] >= lookback:
            e = index.entries[i]
            b0, entry_id = e.pain, e.id
            source = f"diary entry at {fmt_time(e.observed_at, index.zone)}"
        else:
            warnings.append("No pre-block pain: none recorded in clinic and no diary entry in "
                            f"the {s.b0_lookback_hours} h before the block.")
    days = index.days(block_day - timedelta(days=s.baseline_days), block_day - ONE_DAY)
    b7 = sum(d.mean for _, d in days) / len(days) if days else None
    thin = len(days) < s.baseline_min_days
    if thin:
        warnings.append(f"Baseline thin: {len(days)} day{'s' if len(days) != 1 else ''} of diary "
                        f"in the {s.baseline_days} days before the block "
                        f"(at least {s.baseline_min_days} needed).")
    low = []
    if b0 is not None and b0 < s.low_baseline:
        low.append(f"pre-block pain {b0}/10")
    if b7 is not None and b7 < s.low_baseline - EPS:
        low.append(f"B7 {b7:.1f}/10")
    if low:
        warnings.append(f"Baseline low: {' and '.join(low)} (below {s.low_baseline}/10), so "
                        "relief is hard to show.")
    return Baseline(b0, source, entry_id, b7, len(days), thin, bool(low), warnings)


def _relief_curve(block_day: date, last_day: date | None, b7: float | None,
                  index: DiaryIndex, s: Settings) -> list[ReliefPoint]:
    days = index.days(block_day + ONE_DAY, last_day)
    means = [d.mean for _, d in days]
    curve = []
    for i, (d, _) in enumerate(days):
        recent = means[max(0, i - s.rolling_days + 1):i + 1]
        curve.append(ReliefPoint((d - block_day).days, relief_pct(b7, sum(recent) / len(recent))))
    return curve


def _first_run_below(curve: list[ReliefPoint], pct: float, run_length: int) -> int | None:
    """Day on which the first run of `run_length` consecutive diary days below pct began."""
    run = 0
    for i, p in enumerate(curve):
        run = run + 1 if p.relief_pct is not None and p.relief_pct < pct - EPS else 0
        if run == run_length:
            return curve[i - run_length + 1].day
    return None


def _duration(curve: list[ReliefPoint], next_at: datetime | None, s: Settings,
              zone: ZoneInfo) -> Duration:
    known = [p for p in curve if p.relief_pct is not None]
    if not known:
        why = ("No baseline (B7) to measure relief against." if curve
               else "No diary entries after the block day yet.")
        return Duration(None, None, None, False, None, False, why)
    n = s.consecutive_days_below
    dur50 = _first_run_below(curve, s.dur50_pct, n)
    dur30 = _first_run_below(curve, s.dur30_pct, n)
    back = _first_run_below(curve, s.back_to_baseline_pct, n)
    last = known[-1]
    still = dur30 is None and last.relief_pct >= s.dur30_pct - EPS
    if dur30 is not None:
        note = f"Relief waned on day {dur30} (below {s.dur30_pct} % on {n} diary days in a row)."
    elif still:
        note = f"Still relieved on day {last.day} ({fmt_pct(last.relief_pct)} %)."
    else:
        note = (f"Relief below {s.dur30_pct} % on day {last.day} ({fmt_pct(last.relief_pct)} %); "
                "waned once that holds for another diary day.")
    if next_at is not None and dur30 is None:
        note += f" The next block followed on {fmt_date(next_at.astimezone(zone).date())}."
    return Duration(dur50, dur30, back, still, last.day, dur30 is not None, note)


def _prolonged(block: BlockRecord, block_day: date, last_day: date | None, b7: float | None,
               index: DiaryIndex, s: Settings, now: datetime) -> Prolonged:
    moment = block.performed_at + timedelta(hours=s.window_hours + s.prolonged_hours_after_window)
    d = index.local_date(moment)
    n = (d - block_day).days
    when = f"day {n} ({fmt_date(d)})"
    if b7 is None:
        return Prolonged(False, None, n, d, "Not known: no baseline (B7) to compare with.")
    if b7 <= 0:
        return Prolonged(False, None, n, d, "Not known: no pain at baseline (B7 is 0).")
    if last_day is not None and d > last_day:
        return Prolonged(False, None, n, d, f"Not known: the next block came before {when}.")
    day = index.day(d)
    if day is None:
        if now < moment:
            return Prolonged(False, None, n, d, f"Not known until {when}.")
        return Prolonged(False, None, n, d, f"Not known: no diary entries on {when}.")
    pct = relief_pct(b7, day.mean)
    present = pct >= s.prolonged_pct - EPS
    word = "Prolonged" if present else "Not prolonged"
    return Prolonged(present, pct, n, d,
                     f"{word}: mean pain {day.mean:.1f} on {when} against B7 {b7:.1f} is "
                     f"{fmt_pct(pct)} % relief (prolonged at {s.prolonged_pct} % or more).")
