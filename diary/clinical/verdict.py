"""Did the block take, and what does the anaesthetic window say? (docs/clinical.md §3)

Technical success from the clinic foot temperatures; peak relief in the window W; the verdict
with every reason behind it; and the one-sentence explanation the consultant reads.

Choices where the sources are silent (more in `diary.clinical.analysis`):

- The rise is the highest treated-foot reading within `temp_rise_within_min` (30) minus the
  pre-block one, rounded to the 0.1 °C shown, so the grade always matches the number on
  screen. The 33 °C rule looks at the same post-block readings. When both temperature rules
  hold, the rise is named. The differential rule, when switched on, is one more way to
  confirm (treated rise minus other-foot rise, compared at the same minute).
- Temperatures that confirm give "confirmed"; the clinician's override gives "overridden"
  only when they do not. No pre-block or no post-block temperature: "unknown" (not shown).
- W runs from 15 min to 6 h after the block, both ends included, and ends early at the next
  block. Held = the longest run of consecutive readings in W each at >= 50 % and >= 2 points.
- Percentages in sentences are rounded down, so 49.9 % never reads as 50 %.
- While W is open the block reads "Readings so far: 2 of 8 — window open until 10:30": the
  readings in W so far against the block-day readings the schedule asks for inside W
  (docs/clinical.md §5), with no verdict and no "no readings" reason yet.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, NamedTuple
from zoneinfo import ZoneInfo

from diary.clinical import vocab
from diary.clinical.settings import EPS
from diary.clinical.wording import fmt_date, fmt_pct, fmt_time

if TYPE_CHECKING:
    from diary.clinical.records import BlockRecord, EntryRecord
    from diary.clinical.settings import Settings

# Pain more than doubled: a lower number says nothing more and would swamp a chart.
RELIEF_FLOOR_PCT = -100.0

_NOT_DIAGNOSTIC = {"neurolysis": "a chemical neurolysis",
                   "radiofrequency": "a radiofrequency lesion"}


class Reason(NamedTuple):
    code: str   # e.g. "somatic_spread", "rescue_medication", "no_entries_in_window"
    text: str   # a sentence fragment, lower-case: "extra pain medicine was taken at 11:45"

    def __str__(self) -> str:
        return self.text


@dataclass(frozen=True)
class TechnicalSuccess:
    grade: str                   # vocab.TECHNICAL_SUCCESS code
    rise_c: float | None         # highest reading in the rule's minutes minus the pre-block one
    peak_c: float | None         # highest treated-foot reading in the rule's minutes
    pre_c: float | None
    differential_c: float | None  # only when use_differential_rise is on
    summary: str                 # short, for the explanation: "foot warmed 2.4 °C"
    rule: str                    # which rule decided, in words

    @property
    def shown(self) -> bool:
        return self.grade in ("confirmed", "overridden")


@dataclass(frozen=True)
class PeakRelief:
    relief_pct: float | None     # (B0 - lowest) / B0; None without a usable B0 or readings
    points: int | None           # B0 - lowest
    lowest_pain: int | None
    lowest_at: datetime | None
    lowest_entry_id: str | None
    held: int                    # longest run of consecutive readings at the positive level
    n_entries: int               # readings in W


@dataclass(frozen=True)
class WindowSoFar:
    """A window still open: its readings so far, the readings asked for in it, its end."""

    readings: int
    asked: int
    closes_at: datetime
    text: str                    # "Readings so far: 2 of 8 — window open until 10:30"


def block_day_minutes(long_acting: bool, window_hours: int) -> list[int]:
    """When the schedule asks for block-day readings (§5), in minutes after the block: 15
    and 30, then hourly to 6 h (8 h for a long-acting agent, or the window if longer)."""
    hours = 8 if long_acting else max(6, window_hours)
    return [15, 30, *range(60, 60 * hours + 1, 60)]


def window_so_far(block: BlockRecord, peak: PeakRelief, s: Settings, zone: ZoneInfo,
                  window_end: datetime) -> WindowSoFar:
    at = block.performed_at
    start = at + timedelta(minutes=s.window_start_min)
    asked = sum(start <= at + timedelta(minutes=m) <= window_end
                for m in block_day_minutes(block.long_acting, s.window_hours))
    closes = fmt_time(window_end, zone)
    return WindowSoFar(peak.n_entries, asked, window_end,
                       f"Readings so far: {peak.n_entries} of {asked} — window open until "
                       f"{closes}")


def relief_pct(base: float | None, pain: float | None) -> float | None:
    if base is None or pain is None or base <= 0:
        return None
    return max(RELIEF_FLOOR_PCT, 100.0 * (base - pain) / base)


def _join_and(parts: list[str]) -> str:
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


# ------------------------------------------------------------------------ the rules

def technical_success(block: BlockRecord, s: Settings) -> TechnicalSuccess:
    within = s.temp_rise_within_min
    pre = block.temps_treated.get(0)
    post = [t for m, t in block.temps_treated.items() if 0 < m <= within]
    peak = max(post) if post else None
    # Rounded to the 0.1 °C the thermometer shows, so the grade matches the number on screen.
    rise = round(peak - pre, 1) if peak is not None and pre is not None else None
    diff = _differential(block, within) if s.use_differential_rise else None

    def result(grade, summary, rule):
        return TechnicalSuccess(grade, rise, peak, pre, diff, summary, rule)

    if rise is not None and rise >= s.temp_rise_confirmed_c - EPS:
        return result("confirmed", f"foot warmed {rise:.1f} °C",
                      f"the treated foot warmed {rise:.1f} °C within {within} min "
                      f"(confirmed at {s.temp_rise_confirmed_c:.1f} °C or more)")
    if peak is not None and peak >= s.temp_absolute_c - EPS:
        return result("confirmed", f"foot reached {peak:.1f} °C",
                      f"the treated foot reached {peak:.1f} °C within {within} min (confirmed at "
                      f"{s.temp_absolute_c:.1f} °C or warmer, however little it rose)")
    if diff is not None and diff >= s.differential_rise_c - EPS:
        return result("confirmed", f"treated foot warmed {diff:.1f} °C more than the other",
                      f"the treated foot warmed {diff:.1f} °C more than the other foot within "
                      f"{within} min (confirmed at {s.differential_rise_c:.1f} °C or more)")
    if block.confirmed_other_means:
        warmed = f" (foot warmed {rise:.1f} °C)" if rise is not None else ""
        return result("overridden", f"block confirmed by other means{warmed}",
                      "the clinician recorded that the sympathetic block was confirmed by other "
                      f"means{warmed}")
    if rise is None:
        if pre is None and peak is None:
            missing = "no clinic foot temperatures"
        elif pre is None:
            missing = "no clinic foot temperature before the block"
        else:
            missing = f"no clinic foot temperature within {within} min after the block"
        return result("unknown", missing, f"{missing}, so the temperature rules cannot be applied")
    if rise > 0:
        warmed = f"foot warmed only {rise:.1f} °C"
    else:
        warmed = f"foot did not warm ({rise:+.1f} °C)"
    if rise >= s.temp_rise_equivocal_c - EPS:
        return result("equivocal", f"{warmed}, equivocal",
                      f"the treated foot warmed {rise:.1f} °C within {within} min: equivocal "
                      f"(at least {s.temp_rise_equivocal_c:.1f} °C but under "
                      f"{s.temp_rise_confirmed_c:.1f} °C)")
    return result("not_confirmed", warmed,
                  f"the treated foot changed {rise:+.1f} °C within {within} min: not confirmed "
                  f"(under {s.temp_rise_equivocal_c:.1f} °C)")


def _differential(block: BlockRecord, within: int) -> float | None:
    """Largest (treated rise - other rise), comparing the feet at the same minute."""
    t0, o0 = block.temps_treated.get(0), block.temps_other.get(0)
    if t0 is None or o0 is None:
        return None
    diffs = [(t - t0) - (block.temps_other[m] - o0)
             for m, t in block.temps_treated.items() if 0 < m <= within and m in block.temps_other]
    return round(max(diffs), 1) if diffs else None


def peak_relief(window: list[EntryRecord], b0: int | None, s: Settings) -> PeakRelief:
    if not window:
        return PeakRelief(None, None, None, None, None, 0, 0)
    lowest = min(window, key=lambda e: e.pain)  # the window is in time order: earliest lowest
    usable = b0 is not None and b0 > 0
    held = run = 0
    for e in window:
        pct = relief_pct(b0, e.pain)
        at_level = usable and pct >= s.positive_pct - EPS and b0 - e.pain >= s.positive_points
        run = run + 1 if at_level else 0
        held = max(held, run)
    return PeakRelief(relief_pct(b0, lowest.pain), b0 - lowest.pain if usable else None,
                      lowest.pain, lowest.observed_at, lowest.id, held, len(window))


def judge(block: BlockRecord, b0: int | None, technical: TechnicalSuccess, peak: PeakRelief,
          since_block: list[EntryRecord], s: Settings, zone: ZoneInfo) -> tuple[str, list[Reason]]:
    """The verdict and all its reasons; `since_block` runs from the block to the end of W."""
    reasons = []
    spread = ["seen in clinic"] if block.somatic_spread else []
    somatic = [e for e in since_block if e.side_effects & vocab.SOMATIC_SIDE_EFFECTS]
    if somatic:
        e = somatic[0]
        what = " and ".join(vocab.SIDE_EFFECTS[c].lower()
                            for c in sorted(e.side_effects & vocab.SOMATIC_SIDE_EFFECTS))
        spread.append(f"{what} reported at {fmt_time(e.observed_at, zone)}")
    if spread:
        reasons.append(Reason("somatic_spread",
                              f"there may have been somatic spread ({'; '.join(spread)})"))
    rescue = [e for e in since_block if e.rescue_medication]
    if rescue:
        times = ", ".join(fmt_time(e.observed_at, zone) for e in rescue)
        reasons.append(Reason("rescue_medication",
                              f"extra pain medicine was taken (reported at {times})"))
    if peak.n_entries == 0:
        reasons.append(Reason("no_entries_in_window",
                              f"there are no diary readings from {s.window_start_min} min to "
                              f"{s.window_hours} h after the block"))
    if not technical.shown:
        reasons.append(Reason("technical_success_not_shown",
                              f"the block was not shown to have taken ({technical.summary})"))
    if b0 is None:
        reasons.append(Reason("no_pre_block_pain", "there is no pre-block pain to compare with"))
    elif b0 == 0:
        reasons.append(Reason("no_pain_to_relieve", "pain before the block was 0/10"))
    if reasons:
        return "uninterpretable", reasons

    pct, points = peak.relief_pct, peak.points
    relief = Reason("relief", f"pain fell {fmt_pct(pct)} % and {points} point"
                              f"{'s' if points != 1 else ''} at best")
    if pct >= s.positive_pct - EPS and points >= s.positive_points \
            and peak.held >= s.positive_consecutive:
        return "positive", [relief,
                            Reason("held", f"held on {peak.held} consecutive readings (at least "
                                           f"{s.positive_consecutive})"),
                            Reason("technical", f"the block took: {technical.summary}")]
    if pct >= s.partial_pct - EPS:
        return "partial", [relief, Reason("short_of_positive", _shortfall(pct, points, peak, s))]
    return "negative", [relief, Reason("below_partial", f"less than {s.partial_pct} %")]


def _shortfall(pct: float, points: int, peak: PeakRelief, s: Settings) -> str:
    if pct < s.positive_pct - EPS:
        return f"below the {s.positive_pct} % of a positive block"
    if points < s.positive_points:
        return f"only {points} point{'s' if points != 1 else ''} (a positive block needs " \
               f"{s.positive_points})"
    return (f"held on {peak.held} consecutive reading{'s' if peak.held != 1 else ''} only "
            f"(a positive block needs {s.positive_consecutive})")


def explain(block: BlockRecord, verdict: str | None, reasons: list[Reason], b0: int | None,
            technical: TechnicalSuccess, peak: PeakRelief, s: Settings, zone: ZoneInfo,
            *, planned: bool, window_end: datetime) -> str:
    """One plain sentence naming the numbers and the rule."""
    if planned:
        local = block.performed_at.astimezone(zone)
        return f"Planned for {fmt_date(local.date())} at {local:%H:%M}; nothing to judge yet."
    pain = _pain_words(b0, peak, s)
    if verdict is None:
        so_far = window_so_far(block, peak, s, zone, window_end)
        count = f"{so_far.readings} of {so_far.asked} readings so far"
        pain = f"; so far {pain}" if pain else ""
        return f"Pending until {fmt_time(window_end, zone)}: {count}{pain}; {technical.summary}."
    diagnostic = block.kind in vocab.LOCAL_ANAESTHETIC_KINDS
    head = verdict.capitalize()
    if not diagnostic:
        head += (f" by the same numbers, but {_NOT_DIAGNOSTIC.get(block.kind, block.kind)} "
                 "is not a diagnostic block")
    if verdict == "uninterpretable":
        why = _join_and([r.text for r in reasons])
        tail = f"; {pain}" if pain else ""
        if any(r.code == "technical_success_not_shown" for r in reasons):
            return f"{head} because {why}{tail}."
        return f"{head} because {why}{tail}; {technical.summary}."
    detail = {r.code: r.text for r in reasons}
    if verdict == "positive":
        middle = f"held on {peak.held} readings"
    elif verdict == "partial":
        middle = detail["short_of_positive"]
    else:
        middle = detail["below_partial"]
    return f"{head}: {pain}, {middle}; {technical.summary}."


def _pain_words(b0: int | None, peak: PeakRelief, s: Settings) -> str | None:
    if peak.n_entries == 0:
        return None
    within = f"within {s.window_hours} h"
    if peak.relief_pct is None:
        return f"lowest pain {peak.lowest_pain} {within}"
    if peak.points > 0:
        return f"pain fell from {b0} to {peak.lowest_pain} ({fmt_pct(peak.relief_pct)} %) {within}"
    return f"pain did not fall below {b0} {within} (lowest {peak.lowest_pain})"
