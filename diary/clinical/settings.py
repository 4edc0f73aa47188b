"""Every threshold of the analysis (docs/clinical.md, "Settings"), its default and its range.

Each setting is listed once, in `SETTING_LIMITS`: its range, plain label, unit and the source
of its default; the `Settings` dataclass holds the published defaults and refuses values out of
range.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from typing import NamedTuple

# Tolerance for comparing computed percentages and °C with thresholds: 100 * 2/3 and
# 30.4 - 28.4 are not exact in binary, and must still land on the side a person would expect.
EPS = 1e-6

# The groups the settings page shows them in, in this order.
TOOK = "Did the block take? (clinic temperatures, treated foot)"
BASELINE = "Baseline pain"
WINDOW = "Diagnostic response in the anaesthetic window"
DURATION = "Duration and waning of relief"
REPEAT = "Repeat timing and series review"
SIGNS = "Foot temperature and walking"
LIMB = "Follow-up after neurolysis or radiofrequency (limb ischaemia)"
JUDGEMENT = "The patient's own judgement (PGIC) and touch pain"
LIST = "Patient list"


class Limit(NamedTuple):
    lo: float | bool
    hi: float | bool
    label: str   # plain words, shown on the settings page and in messages
    unit: str
    # Where the default comes from: a citation, "rule (§n)" (part of the clinical rules, no
    # separate published figure) or "our choice" (docs/clinical.md, "Settings").
    source: str = ""


def _setting(default, lo, hi, label: str, unit: str, group: str, source: str):
    return field(default=default,
                 metadata={"limit": Limit(lo, hi, label, unit, source), "group": group})


class SettingsError(ValueError):
    """Settings out of range; `errors` maps each bad setting to a plain message."""

    def __init__(self, errors: dict[str, str]):
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = errors


@dataclass(frozen=True)
class Settings:
    """Every threshold of docs/clinical.md §3, §7 and §8, with the published default."""

    # Did the block take? (clinic temperatures, treated foot)
    temp_rise_confirmed_c: float = _setting(
        2.0, 0.5, 5.0, 'Foot warming that confirms the block took', '°C', TOOK,
        'Park & Nahm 2010')
    temp_rise_equivocal_c: float = _setting(
        1.0, 0.1, 5.0, 'Foot warming counted as equivocal (below: not confirmed)', '°C', TOOK,
        'rule (grading of §3.3)')
    temp_absolute_c: float = _setting(
        33.0, 28.0, 37.0,
        'Foot temperature that confirms the block however little it rose',
        '°C', TOOK, 'Benzon & Avram 1986; Tran 2000; Frank 2000')
    temp_rise_within_min: int = _setting(
        30, 5, 30, 'Minutes after the block the temperature rules look at', 'min', TOOK,
        'Park & Nahm 2010')
    use_differential_rise: bool = _setting(
        False, False, True,
        'Also confirm when the treated foot warms more than the other foot by the amount below',
        '', TOOK, 'Stevens 1998 (off by default)')
    differential_rise_c: float = _setting(
        1.5, 0.5, 5.0, 'Treated-foot rise minus other-foot rise that confirms', '°C', TOOK,
        'Stevens 1998')

    # Baseline pain
    baseline_days: int = _setting(
        7, 3, 14, 'Days of diary before the block used for the baseline (B7)', 'days', BASELINE,
        'rule (§3.2)')
    baseline_min_days: int = _setting(
        3, 1, 14, 'Fewest diary days behind B7 before it is called thin', 'days', BASELINE,
        'rule (§3.2)')
    low_baseline: int = _setting(
        4, 1, 10, 'Baseline pain below which relief is hard to show', '/10', BASELINE,
        'IMMPACT, Dworkin 2008')
    b0_lookback_hours: int = _setting(
        2, 1, 12, 'Hours before the block a diary entry counts as pre-block pain', 'h', BASELINE,
        'rule (§3.2)')

    # Diagnostic response in the anaesthetic window
    window_start_min: int = _setting(
        15, 0, 60, 'Start of the anaesthetic window after the block', 'min', WINDOW,
        'rule (§3.4)')
    window_hours: int = _setting(
        6, 4, 8, 'End of the anaesthetic window after the block', 'h', WINDOW,
        'rule (§3.4; 4–8 h allowed by the rule)')
    positive_pct: int = _setting(50, 1, 99, 'Peak relief for a positive block', '%', WINDOW,
                                 'IMMPACT, Dworkin 2008')
    positive_points: int = _setting(2, 1, 10, 'Fall in pain for a positive block', 'points', WINDOW,
                                    'Farrar 2001')
    positive_consecutive: int = _setting(
        2, 1, 10, 'Consecutive readings that must hold positive relief', 'readings', WINDOW,
        'rule (§3.5)')
    partial_pct: int = _setting(
        30, 1, 99, 'Peak relief for a partial block (below: negative)', '%', WINDOW,
        'IMMPACT, Dworkin 2008')
    prolonged_pct: int = _setting(
        50, 1, 99, 'Daily relief that counts as a prolonged response', '%', WINDOW, 'rule (§3.6)')
    prolonged_hours_after_window: int = _setting(
        24, 1, 168, 'Hours after the window the prolonged relief must still be there', 'h', WINDOW,
        'rule (§3.6)')

    # Duration and waning of relief
    rolling_days: int = _setting(
        3, 1, 14, 'Diary days in the rolling mean of the relief curve', 'days', DURATION,
        'rule (§3.7)')
    dur50_pct: int = _setting(
        50, 1, 99, 'Relief level for the first duration (dur50)', '%', DURATION, 'rule (§3.7)')
    dur30_pct: int = _setting(
        30, 1, 99, 'Relief level for the duration at which relief has waned (dur30)', '%', DURATION,
        'rule (§3.7)')
    consecutive_days_below: int = _setting(
        2, 1, 14, 'Consecutive diary days below a level before it counts', 'days', DURATION,
        'rule (§3.7)')
    back_to_baseline_pct: int = _setting(
        10, 1, 99, 'Relief below which pain is back to baseline', '%', DURATION, 'Carroll 2009')

    # Repeat timing and series review
    repeat_min_days: int = _setting(
        7, 1, 90, 'Fewest days between blocks before a repeat is due', 'days', REPEAT,
        'clinic protocols (series 1–2 weeks apart)')
    series_blocks_without_positive: int = _setting(
        3, 1, 10,
        'Local-anaesthetic blocks in a row without a positive response before a series review',
        'blocks', REPEAT, 'IASP CRPS algorithm; payer limit of 3 diagnostic blocks')
    series_no_lengthening: int = _setting(
        2, 1, 10,
        'Successive blocks whose relief did not last longer than the one before, before a '
        'series review',
        'blocks', REPEAT, 'IASP CRPS algorithm')
    max_la_blocks_12m: int = _setting(
        6, 1, 24, 'Most local-anaesthetic blocks in 12 months before a warning', 'blocks', REPEAT,
        'rule (§3.10)')

    # Foot temperature and walking
    asymmetry_c: float = _setting(
        1.0, 0.3, 5.0, 'Difference between the feet flagged as asymmetry', '°C', SIGNS,
        'Budapest criteria (Harden 2010); Uematsu 1988')
    asymmetry_exclude_hours: int = _setting(
        24, 0, 168, 'Hours after a block when asymmetry is expected and not flagged', 'h', SIGNS,
        'rule (§3.11)')
    walk_days: int = _setting(
        3, 1, 14, 'Diary days in the walking mean before and after', 'days', SIGNS,
        'rule (§3.12)')
    walk_gain_min: float = _setting(
        1.0, 0.1, 60.0, 'Walking-time gain that is meaningful', 'min', SIGNS,
        'Gardner 2018 (extrapolated)')
    walk_gain_pct: int = _setting(30, 1, 99, 'Walking-time gain that is meaningful', '%', SIGNS,
                                  'Gardner 2018 (extrapolated)')

    # Follow-up after neurolysis or radiofrequency (limb ischaemia)
    checkpoint_near_days: int = _setting(
        3, 1, 7, 'Days either side of the day-7 and day-30 checkpoints', 'days', LIMB,
        'rule (§7)')
    checkpoint_far_days: int = _setting(
        7, 1, 14, 'Days either side of the day-90 and day-180 checkpoints', 'days', LIMB,
        'rule (§7)')
    rest_pain_nights_days: int = _setting(
        7, 3, 14, 'Days up to a checkpoint in which nights with rest pain are counted', 'days',
        LIMB, 'rule (§7)')

    # The patient's own judgement (PGIC) and touch pain
    pgic_high_relief_pct: int = _setting(
        50, 1, 99,
        'Relief at which the patient\'s "no change" or worse is flagged as disagreeing', '%',
        JUDGEMENT, 'IMMPACT, Dworkin 2008')
    pgic_low_relief_pct: int = _setting(
        30, 1, 99,
        'Relief below which the patient\'s "much better" or better is flagged as disagreeing',
        '%', JUDGEMENT, 'Farrar 2001 ("much better" ≈ 30 % fall)')
    touch_after_days: int = _setting(
        7, 1, 14, 'Days after the block whose touch pain is compared with the baseline', 'days',
        JUDGEMENT, 'rule (§8)')
    touch_change_points: float = _setting(
        0.5, 0.1, 2.0, 'Change in mean touch pain (none 0, mild 1, marked 2) counted as less or '
        'more', 'points', JUDGEMENT, 'our choice')

    # Patient list
    no_recent_entries_days: int = _setting(
        3, 1, 30, 'Days without entries before a patient is flagged', 'days', LIST, 'our choice')

    def __post_init__(self):
        errors = {}
        for f in fields(self):
            value = getattr(self, f.name)
            lo, hi = SETTING_LIMITS[f.name][:2]
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
                 ("dur30_pct", "dur50_pct"),
                 ("pgic_low_relief_pct", "pgic_high_relief_pct")]
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


# Derived from the dataclass, so each setting is written down once.
SETTING_LIMITS: dict[str, Limit] = {f.name: f.metadata["limit"] for f in fields(Settings)}
SETTING_GROUPS: dict[str, list[str]] = {}
for _f in fields(Settings):
    SETTING_GROUPS.setdefault(_f.metadata["group"], []).append(_f.name)
