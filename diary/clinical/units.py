"""Temperature units and the validation ranges of docs/clinical.md §4. Plain Python."""

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

SKIN_MIN_C, SKIN_MAX_C = 15.0, 40.0
SKIN_WARN_LOW_C, SKIN_WARN_HIGH_C = 20.0, 37.0
FAHRENHEIT_LOOKING = (59.0, 104.0)  # a number here typed as °C is probably °F
WALK_MAX_MIN = 600
FUTURE_GRACE = timedelta(minutes=5)
HISTORY_LIMIT = timedelta(days=365)

# ASCII only: Python's int() and \d also accept other scripts' digits ("١٠" -> 10).
_INT = re.compile(r"[0-9]{1,6}")
_DECIMAL = re.compile(r"-?[0-9]{1,4}(?:[.,][0-9]{1,3})?")


def c_to_f(c: float) -> float:
    return c * 9 / 5 + 32


def f_to_c(f: float) -> float:
    return (f - 32) * 5 / 9


def to_celsius(value: float, unit: str) -> float:
    return f_to_c(value) if unit == "F" else value


def from_celsius(value_c: float, unit: str) -> float:
    return c_to_f(value_c) if unit == "F" else value_c


def show_temp(value_c: float | None, unit: str) -> str:
    if value_c is None:
        return ""
    return f"{from_celsius(value_c, unit):.1f} °{unit}"


def parse_int(text: str) -> int | None:
    """A whole number written with ASCII digits, or None."""
    text = (text or "").strip()
    return int(text) if _INT.fullmatch(text) else None


def parse_decimal(text: str) -> float | None:
    """A decimal written with ASCII digits (comma or point), or None."""
    text = (text or "").strip()
    return float(text.replace(",", ".")) if _DECIMAL.fullmatch(text) else None


@dataclass(frozen=True)
class TempCheck:
    celsius: float | None = None
    error: str | None = None
    warning: str | None = None


def check_skin_temp(value: float, unit: str) -> TempCheck:
    """Validate one skin temperature typed in `unit`; give back °C, an error or a warning."""
    lo, hi = FAHRENHEIT_LOOKING
    if unit == "C" and lo <= value <= hi:
        return TempCheck(error=(
            f"{value:g} °C is too hot for skin. Did you mean °F? "
            "If so, choose °F above; otherwise check the number."))
    c = to_celsius(value, unit)
    if not SKIN_MIN_C <= c <= SKIN_MAX_C:
        return TempCheck(error=(
            f"Skin temperature must be between {show_temp(SKIN_MIN_C, unit)} and "
            f"{show_temp(SKIN_MAX_C, unit)}."))
    c = round(c, 2)
    if c < SKIN_WARN_LOW_C:
        return TempCheck(c, warning=(
            "That is cold for a foot. Please re-measure after 15 minutes indoors, barefoot."))
    if c > SKIN_WARN_HIGH_C:
        return TempCheck(c, warning=(
            "That is warmer than skin usually is. Please check the thermometer and re-measure."))
    return TempCheck(c)


def check_observed_at(when: datetime, now: datetime, record_created: datetime) -> str | None:
    """Error message for an impossible reading time, or None."""
    if when > now + FUTURE_GRACE:
        return "That time is in the future. Please give the time you took the reading."
    if when < record_created - HISTORY_LIMIT:
        return "That is more than a year before your diary started. Please check the date."
    return None


def check_walking(pain_free: int | None, maximal: int | None) -> dict[str, str]:
    """Errors by field name for the two walking times (minutes)."""
    errors = {}
    for name, value in (("walk_pain_free_min", pain_free), ("walk_max_min", maximal)):
        if value is not None and not 0 <= value <= WALK_MAX_MIN:
            errors[name] = f"Please give minutes between 0 and {WALK_MAX_MIN}."
    if not errors and pain_free is not None and maximal is not None and pain_free > maximal:
        errors["walk_pain_free_min"] = (
            "Pain-free minutes cannot be more than the minutes you could walk in all.")
    return errors
