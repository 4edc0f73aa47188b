"""Jinja filters: times in the patient's zone, temperatures in their unit, words for codes."""

from datetime import datetime
from zoneinfo import ZoneInfo

from diary.clinical import units
from diary.clinical.wording import fmt_pct


def local(value: datetime | None, tz, fmt: str = "%d %b %Y %H:%M") -> str:
    if value is None:
        return ""
    zone = tz if isinstance(tz, ZoneInfo) else ZoneInfo(tz)
    return value.astimezone(zone).strftime(fmt)


def temp(value_c: float | None, unit: str) -> str:
    return units.show_temp(value_c, unit)


def label(code: str | None, mapping: dict) -> str:
    return mapping.get(code, code or "")


def pct(value: float | None) -> str:
    """A percentage as the explanations write it (rounded down), or a dash."""
    return "—" if value is None else f"{fmt_pct(value)} %"


def register(app) -> None:
    app.add_template_filter(local)
    app.add_template_filter(temp)
    app.add_template_filter(label)
    app.add_template_filter(pct)
    from diary.web.security import can  # the one access rule, for showing a page's actions
    app.add_template_global(can)
