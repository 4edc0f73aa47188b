"""Local wall times typed by people, read in the patient's time zone.

One parser for the entry form, the block form and the CSV importer:
- ASCII digits only (`strptime` would read other scripts' digits as numbers);
- a time that does not exist (the hour skipped when the clocks go forward) is refused;
- a time that happens twice (the hour repeated when the clocks go back) is taken as the
  first of the two, and the result says so, so the saved entry can tell the patient.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timezone
from zoneinfo import ZoneInfo, available_timezones

LOCAL_FORMAT = "%Y-%m-%dT%H:%M"
TIMEZONES = sorted(available_timezones() - {"localtime", "Factory"})
NOT_A_TIME = "Please give a date and time."
SKIPPED = "That time doesn't exist on this date — the clocks went forward. Please check the time."


@dataclass(frozen=True)
class LocalTime:
    when: datetime | None          # aware, in the patient's zone; None when refused
    error: str | None = None
    twice: str | None = None       # set when the wall time happened twice: which one was taken


def offset_minutes(when: datetime) -> int:
    """The UTC offset of an aware time, in whole minutes (what the patient's clock showed)."""
    return int(when.utcoffset().total_seconds() // 60)


def resolve(naive: datetime, tz: str) -> LocalTime:
    """A naive wall time in zone `tz`: refused if it never happened, the first if twice."""
    zone = ZoneInfo(tz)
    first = naive.replace(tzinfo=zone, fold=0)
    if first.astimezone(UTC).astimezone(zone).replace(tzinfo=None) != naive:
        return LocalTime(None, SKIPPED)
    # A fixed offset, not the zone: Python never finds a zone's repeated-hour time equal to
    # the same moment in another zone (PEP 495), which would break comparisons with stored rows.
    fixed = first.astimezone(timezone(first.utcoffset()))
    second = naive.replace(tzinfo=zone, fold=1)
    if second.utcoffset() != first.utcoffset():
        return LocalTime(fixed, twice=twice_note(first))
    return LocalTime(fixed)


def twice_note(when: datetime) -> str:
    """Words for a wall time that happened twice, naming the one taken."""
    return (f"{when:%H:%M} happened twice on {when.day} {when:%b %Y} (the clocks went back): "
            f"this is the first {when:%H:%M}, {when.tzname()} (UTC{_offset_text(when)}).")


def parse_local(text: str | None, tz: str) -> LocalTime:
    """A time typed as 2025-06-15T11:30 (the browser's datetime-local value)."""
    text = (text or "").strip()
    if not text.isascii():
        return LocalTime(None, NOT_A_TIME)
    try:
        naive = datetime.strptime(text, LOCAL_FORMAT)
    except ValueError:
        return LocalTime(None, NOT_A_TIME)
    return resolve(naive, tz)


def _offset_text(when: datetime) -> str:
    minutes = offset_minutes(when)
    sign = "+" if minutes >= 0 else "-"
    hours, mins = divmod(abs(minutes), 60)
    return f"{sign}{hours:02d}:{mins:02d}"
