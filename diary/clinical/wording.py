"""How dates, times and percentages read on screen and in explanations."""

import math
from datetime import date, datetime
from zoneinfo import ZoneInfo

from diary.clinical.settings import EPS


def fmt_date(d: date) -> str:
    return f"{d.day} {d:%b %Y}"


def fmt_time(dt: datetime, zone: ZoneInfo) -> str:
    return dt.astimezone(zone).strftime("%H:%M")


def fmt_pct(pct: float) -> str:
    # Rounded down, so 49.9 % never reads as the 50 % it did not reach.
    return str(math.floor(pct + EPS))
