"""What a patient's diary says about each block (shared/CLINICAL.md §3). Plain Python.

The web layer turns database rows into `EntryRecord` / `BlockRecord`, calls `analyse_patient`
and shows the numbers; nothing here knows about Flask or the database. This module holds the
inputs, the settings, the patient-list statuses and the one entry point; the rules live in

- `diary.relief`: the diary index, baseline (B0, B7), relief curve, durations, prolonged response;
- `diary.verdict`: technical success, peak relief in the window, verdict and its explanation;
- `diary.signs`: temperature asymmetry and walking times;
- `diary.repeat`: repeat timing, projected date, series review, block frequency.

The app flags and charts; the consultant decides. Where CLINICAL.md is silent we chose:

- Verdicts for chemical neurolysis and radiofrequency are computed with exactly the same rules
  and numbers as for local anaesthetic, so the consultant can compare like with like, but the
  block is marked `diagnostic=False` and its explanation says it is not a diagnostic block.
- A block with no pre-block pain (B0) or with B0 = 0 is uninterpretable (relief cannot be
  measured); numbness/weakness or extra medicine reported from the block itself to the end of
  the window counts (the first 15 minutes too), since either confounds the window readings.
- Relief of at least 50 % that fails the points or the two-readings rule is "partial".
- Relief percentages are floored at -100 % (pain more than doubled): below that the number
  says nothing more and would swamp a chart.
- Without B7 (no diary in the 7 days before) the relief curve has no values and durations stay
  empty: we do not fall back on B0, a single moment.
- "Did not lengthen over 2 successive blocks" means two successive blocks of the same kind that
  each lasted no longer (to dur30) than the one before (so three blocks with a known dur30);
  "3 blocks without a positive response" means the last three finished local-anaesthetic
  blocks, in a row, none positive or prolonged.
- The block-frequency warning counts local-anaesthetic blocks in any 365-day span that ends in
  the last 12 months or later (booked blocks count, so the warning comes before the block).
- Blocks later than `now` are "planned": analysed for their baseline so far, never judged.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, fields
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from diary import vocab

# These import this module only for type hints, so importing them here is not circular.
from diary.relief import BlockAnalysis, DailyMean, DiaryIndex, analyse_block
from diary.repeat import frequency, projected, repeat, series_review
from diary.signs import Asymmetry, asymmetry


@dataclass(frozen=True)
class EntryRecord:
    id: str
    observed_at: datetime            # timezone-aware (UTC)
    pain: int                        # 0-10
    temp_treated_c: float | None = None
    temp_other_c: float | None = None
    colour: str | None = None        # vocab.COLOURS code
    walk_pain_free_min: int | None = None
    walk_max_min: int | None = None
    did_not_walk: bool = False
    side_effects: frozenset[str] = frozenset()   # vocab.SIDE_EFFECTS codes
    rescue_medication: bool = False


@dataclass(frozen=True)
class BlockRecord:
    id: int
    performed_at: datetime           # timezone-aware (UTC)
    kind: str                        # vocab.BLOCK_KINDS code
    pre_pain: int | None = None
    # minute after block -> °C; key 0 = before the block; keys from vocab.CLINIC_TEMP_MINUTES
    temps_treated: Mapping[int, float] = field(default_factory=dict)
    temps_other: Mapping[int, float] = field(default_factory=dict)
    somatic_spread: bool = False
    confirmed_other_means: bool = False
    long_acting: bool = False        # long-acting agent: schedule asks hourly to 8 h, not 6 h


# ---------------------------------------------------------------------------------- settings

# name -> (min, max, plain label, unit). Booleans are (False, True, label, "").
SETTING_LIMITS: dict[str, tuple] = {
    "temp_rise_confirmed_c": (0.5, 5.0, "Foot warming that confirms the block took", "°C"),
    "temp_rise_equivocal_c": (0.1, 5.0, "Foot warming counted as equivocal (below: not confirmed)",
                              "°C"),
    "temp_absolute_c": (28.0, 37.0, "Foot temperature that confirms the block however little it "
                        "rose", "°C"),
    "temp_rise_within_min": (5, 30, "Minutes after the block the temperature rules look at", "min"),
    "use_differential_rise": (False, True, "Also confirm when the treated foot warms more than the "
                              "other foot by the amount below", ""),
    "differential_rise_c": (0.5, 5.0, "Treated-foot rise minus other-foot rise that confirms",
                            "°C"),
    "baseline_days": (3, 14, "Days of diary before the block used for the baseline (B7)", "days"),
    "baseline_min_days": (1, 14, "Fewest diary days behind B7 before it is called thin", "days"),
    "low_baseline": (1, 10, "Baseline pain below which relief is hard to show", "/10"),
    "b0_lookback_hours": (1, 12, "Hours before the block a diary entry counts as pre-block pain",
                          "h"),
    "window_start_min": (0, 60, "Start of the anaesthetic window after the block", "min"),
    "window_hours": (4, 8, "End of the anaesthetic window after the block", "h"),
    "positive_pct": (1, 99, "Peak relief for a positive block", "%"),
    "positive_points": (1, 10, "Fall in pain for a positive block", "points"),
    "positive_consecutive": (1, 10, "Consecutive readings that must hold positive relief",
                             "readings"),
    "partial_pct": (1, 99, "Peak relief for a partial block (below: negative)", "%"),
    "prolonged_pct": (1, 99, "Daily relief that counts as a prolonged response", "%"),
    "prolonged_hours_after_window": (1, 168, "Hours after the window the prolonged relief must "
                                     "still be there", "h"),
    "rolling_days": (1, 14, "Diary days in the rolling mean of the relief curve", "days"),
    "dur50_pct": (1, 99, "Relief level for the first duration (dur50)", "%"),
    "dur30_pct": (1, 99, "Relief level for the duration at which relief has waned (dur30)", "%"),
    "consecutive_days_below": (1, 14, "Consecutive diary days below a level before it counts",
                               "days"),
    "back_to_baseline_pct": (1, 99, "Relief below which pain is back to baseline", "%"),
    "repeat_min_days": (1, 90, "Fewest days between blocks before a repeat is due", "days"),
    "series_blocks_without_positive": (1, 10, "Local-anaesthetic blocks in a row without a "
                                       "positive response before a series review", "blocks"),
    "series_no_lengthening": (1, 10, "Successive blocks whose relief did not last longer than "
                              "the one before, before a series review", "blocks"),
    "max_la_blocks_12m": (1, 24, "Most local-anaesthetic blocks in 12 months before a warning",
                          "blocks"),
    "asymmetry_c": (0.3, 5.0, "Difference between the feet flagged as asymmetry", "°C"),
    "asymmetry_exclude_hours": (0, 168, "Hours after a block when asymmetry is expected and not "
                                "flagged", "h"),
    "walk_days": (1, 14, "Diary days in the walking mean before and after", "days"),
    "walk_gain_min": (0.1, 60.0, "Walking-time gain that is meaningful", "min"),
    "walk_gain_pct": (1, 99, "Walking-time gain that is meaningful", "%"),
    "no_recent_entries_days": (1, 30, "Days without entries before a patient is flagged", "days"),
}


class SettingsError(ValueError):
    """Settings out of range; `errors` maps each bad setting to a plain message."""

    def __init__(self, errors: dict[str, str]):
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = errors


@dataclass(frozen=True)
class Settings:
    """Every threshold of shared/CLINICAL.md §3, with the published default."""

    temp_rise_confirmed_c: float = 2.0
    temp_rise_equivocal_c: float = 1.0
    temp_absolute_c: float = 33.0
    temp_rise_within_min: int = 30
    use_differential_rise: bool = False
    differential_rise_c: float = 1.5
    baseline_days: int = 7
    baseline_min_days: int = 3
    low_baseline: int = 4
    b0_lookback_hours: int = 2
    window_start_min: int = 15
    window_hours: int = 6
    positive_pct: int = 50
    positive_points: int = 2
    positive_consecutive: int = 2
    partial_pct: int = 30
    prolonged_pct: int = 50
    prolonged_hours_after_window: int = 24
    rolling_days: int = 3
    dur50_pct: int = 50
    dur30_pct: int = 30
    consecutive_days_below: int = 2
    back_to_baseline_pct: int = 10
    repeat_min_days: int = 7
    series_blocks_without_positive: int = 3
    series_no_lengthening: int = 2
    max_la_blocks_12m: int = 6
    asymmetry_c: float = 1.0
    asymmetry_exclude_hours: int = 24
    walk_days: int = 3
    walk_gain_min: float = 1.0
    walk_gain_pct: int = 30
    no_recent_entries_days: int = 3

    def __post_init__(self):
        errors = {}
        for f in fields(self):
            value = getattr(self, f.name)
            lo, hi, _label, _unit = SETTING_LIMITS[f.name]
            if isinstance(lo, bool):
                if not isinstance(value, bool):
                    errors[f.name] = "must be on or off"
                continue
            whole = isinstance(lo, int)
            if isinstance(value, bool) or not isinstance(value, int if whole else (int, float)):
                errors[f.name] = "must be a whole number" if whole else "must be a number"
            elif not lo <= value <= hi:
                errors[f.name] = f"must be between {lo} and {hi}"
        pairs = [("temp_rise_equivocal_c", "temp_rise_confirmed_c"),
                 ("partial_pct", "positive_pct"),
                 ("baseline_min_days", "baseline_days"),
                 ("back_to_baseline_pct", "dur30_pct"),
                 ("dur30_pct", "dur50_pct")]
        for low, high in pairs:
            both_valid = low not in errors and high not in errors
            if both_valid and getattr(self, low) > getattr(self, high):
                errors[low] = f"must not be more than {SETTING_LIMITS[high][2].lower()}"
        if errors:
            raise SettingsError(errors)

    @classmethod
    def from_mapping(cls, d: Mapping[str, object]) -> Settings:
        """Settings from stored JSON or form data; unknown keys are ignored, absent ones default.

        Strings are accepted ("2.5", "on"); anything out of range raises SettingsError.
        """
        values, errors = {}, {}
        for f in fields(cls):
            if f.name not in d or d[f.name] is None or d[f.name] == "":
                continue
            try:
                values[f.name] = _coerce(d[f.name], type(f.default))
            except (TypeError, ValueError):
                errors[f.name] = "is not a valid value"
        try:
            settings = cls(**values)
        except SettingsError as err:
            raise SettingsError({**err.errors, **errors}) from None
        if errors:
            raise SettingsError(errors)
        return settings

    def as_dict(self) -> dict[str, object]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


def _coerce(value: object, kind: type) -> object:
    if kind is bool:
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text in ("1", "true", "on", "yes", "y"):
            return True
        if text in ("0", "false", "off", "no", "n"):
            return False
        raise ValueError(value)
    if isinstance(value, bool):
        raise TypeError(value)
    number = float(value) if isinstance(value, str) else value
    if not isinstance(number, (int, float)) or not math.isfinite(number):
        raise ValueError(value)
    if kind is int:
        if number != int(number):
            raise ValueError(value)
        return int(number)
    return float(number)


# -------------------------------------------------------------------------- patient results

STATUS_LABELS = {
    "repeat_due": "Repeat block due",
    "relief_waning": "Relief wearing off",
    "awaiting_block_day_readings": "Waiting for block-day readings",
    "no_recent_entries": "No recent diary entries",
    "thin_baseline": "Thin baseline diary",
    "series_review": "Review the block series",
}

# §5: daily follow-up runs to day 28; after that an old block's thin baseline is not news.
FOLLOW_UP_DAYS = 28


@dataclass(frozen=True)
class PatientAnalysis:
    tz: str
    now: datetime
    settings: Settings
    blocks: list[BlockAnalysis]          # chronological, planned blocks last
    daily_means: list[DailyMean]         # (local date, mean, min, max, n), by date
    asymmetry: Asymmetry                 # all readings, outside the first hours after any block
    repeat_due: bool
    repeat_reason: str
    projected_repeat_date: date | None
    projected_repeat_reason: str
    series_review: bool
    series_review_reasons: list[str]
    frequency_warning: bool
    frequency_reason: str
    la_blocks_12m: int                   # most LA blocks in one 365-day span (see module doc)
    last_entry_at: datetime | None
    statuses: list[str]                  # keys of STATUS_LABELS, in that order

    @property
    def done_blocks(self) -> list[BlockAnalysis]:
        return [b for b in self.blocks if not b.planned]

    @property
    def planned_blocks(self) -> list[BlockAnalysis]:
        return [b for b in self.blocks if b.planned]


def analyse_patient(entries: Iterable[EntryRecord], blocks: Iterable[BlockRecord],
                    settings: Settings | None, tz: str, now: datetime) -> PatientAnalysis:
    """Everything the consultant view and the patient list need, for one patient."""
    s = settings or Settings()
    zone = ZoneInfo(tz)
    _require_aware(now, "now")
    entries = list(entries)
    blocks = sorted(blocks, key=lambda b: (b.performed_at, b.id))
    for e in entries:
        # Inlined: this loop runs once per entry of a possibly ten-year diary.
        if e.observed_at.tzinfo is None or type(e.pain) is not int or not 0 <= e.pain <= 10:
            _check_entry(e)
    for b in blocks:
        _check_block(b)

    index = DiaryIndex(entries, zone)
    block_times = [b.performed_at for b in blocks]
    analyses = []
    for i, block in enumerate(blocks):
        next_at = blocks[i + 1].performed_at if i + 1 < len(blocks) else None
        analyses.append(analyse_block(block, i + 1, next_at, index, block_times, s, now))

    done = [a for a in analyses if not a.planned]
    planned = [a for a in analyses if a.planned]
    repeat_due, repeat_reason = repeat(done, planned, index, s, now)
    projected_date, projected_reason = projected(done)
    review_reasons = series_review(done, s)
    la_count, freq_reason = frequency(analyses, s, now)
    last_entry_at = index.times[-1] if index.times else None
    statuses = _statuses(done, planned, repeat_due, bool(review_reasons), last_entry_at,
                         index, s, now)
    return PatientAnalysis(
        tz=tz, now=now, settings=s, blocks=analyses, daily_means=index.daily_means(),
        asymmetry=asymmetry(index, block_times, s),
        repeat_due=repeat_due, repeat_reason=repeat_reason,
        projected_repeat_date=projected_date, projected_repeat_reason=projected_reason,
        series_review=bool(review_reasons), series_review_reasons=review_reasons,
        frequency_warning=la_count > s.max_la_blocks_12m, frequency_reason=freq_reason,
        la_blocks_12m=la_count, last_entry_at=last_entry_at, statuses=statuses)


def _require_aware(dt: datetime, what: str) -> None:
    if not isinstance(dt, datetime) or dt.tzinfo is None or dt.utcoffset() is None:
        raise ValueError(f"{what} must be a timezone-aware datetime, got {dt!r}")


def _check_entry(e: EntryRecord) -> None:
    _require_aware(e.observed_at, f"entry {e.id} observed_at")
    if isinstance(e.pain, bool) or not isinstance(e.pain, int) or not 0 <= e.pain <= 10:
        raise ValueError(f"entry {e.id}: pain must be a whole number 0-10, got {e.pain!r}")


def _check_block(b: BlockRecord) -> None:
    _require_aware(b.performed_at, f"block {b.id} performed_at")
    if b.kind not in vocab.BLOCK_KINDS:
        raise ValueError(f"block {b.id}: unknown kind {b.kind!r}")
    if b.pre_pain is not None and not 0 <= b.pre_pain <= 10:
        raise ValueError(f"block {b.id}: pre_pain must be 0-10, got {b.pre_pain!r}")


def _statuses(done: list[BlockAnalysis], planned: list[BlockAnalysis], repeat_due: bool,
              series_review: bool, last_entry_at: datetime | None, index: DiaryIndex,
              s: Settings, now: datetime) -> list[str]:
    """Short codes for the patient list, in STATUS_LABELS order:

    - repeat_due, series_review: as decided in diary.repeat;
    - relief_waning: the last block gave >= dur50_pct relief on some day, has since fallen
      below it (dur50 reached), is not back to baseline, and no repeat is due yet;
    - awaiting_block_day_readings: the last block's window has opened and holds fewer than
      positive_consecutive readings, until 24 h after the window's end;
    - no_recent_entries: no entry in the last no_recent_entries_days days, or none at all;
    - thin_baseline: the next booked block's baseline is thin so far or, with none booked,
      the last block's, for the 4 weeks of daily follow-up after it.
    """
    found = set()
    if repeat_due:
        found.add("repeat_due")
    if series_review:
        found.add("series_review")
    last = done[-1] if done else None
    if last is not None and not last.pending and not repeat_due:
        d = last.duration
        had_relief = any(p.relief_pct is not None and p.relief_pct >= s.dur50_pct
                         for p in last.relief_curve)
        if had_relief and d.dur50 is not None and d.back_to_baseline is None:
            found.add("relief_waning")
    if last is not None:
        open_until = (last.block.performed_at + timedelta(hours=s.window_hours)
                      + timedelta(hours=s.prolonged_hours_after_window))
        if (last.window_start <= now < open_until
                and last.peak.n_entries < s.positive_consecutive):
            found.add("awaiting_block_day_readings")
    if last_entry_at is None or now - last_entry_at >= timedelta(days=s.no_recent_entries_days):
        found.add("no_recent_entries")
    today = now.astimezone(index.zone).date()
    if planned:
        current = planned[0]
    elif last is not None and (today - last.local_date).days <= FOLLOW_UP_DAYS:
        current = last
    else:
        current = None
    if current is not None and current.baseline.thin:
        found.add("thin_baseline")
    return [code for code in STATUS_LABELS if code in found]
