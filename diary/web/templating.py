"""Jinja filters: times in the patient's zone, temperatures in their unit, words for codes."""

from datetime import datetime
from zoneinfo import ZoneInfo

from diary.clinical import units


def local(value: datetime | None, tz, fmt: str = "%d %b %Y %H:%M") -> str:
    if value is None:
        return ""
    zone = tz if isinstance(tz, ZoneInfo) else ZoneInfo(tz)
    return value.astimezone(zone).strftime(fmt)


def temp(value_c: float | None, unit: str) -> str:
    return units.show_temp(value_c, unit)


def label(code: str | None, mapping: dict) -> str:
    return mapping.get(code, code or "")


def register(app) -> None:
    app.add_template_filter(local)
    app.add_template_filter(temp)
    app.add_template_filter(label)
