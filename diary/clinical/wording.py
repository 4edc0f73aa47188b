"""How dates, times and percentages read on screen and in explanations; which foot and
which time zone, in the patient's words."""

import math
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from diary.clinical.settings import EPS


def fmt_date(d: date) -> str:
    return f"{d.day} {d:%b %Y}"


def fmt_time(dt: datetime, zone: ZoneInfo) -> str:
    return dt.astimezone(zone).strftime("%H:%M")


def fmt_pct(pct: float) -> str:
    # Rounded down, so 49.9 % never reads as the 50 % it did not reach.
    return str(math.floor(pct + EPS))


# ------------------------------------------------------------------ which foot, in words

@dataclass(frozen=True)
class Feet:
    """The patient's feet named from their treated side (docs/clinical.md §1): what the
    patient reads wherever the diary would otherwise say "treated foot", "other foot" or "the
    leg". Words only: the stored fields stay temp_treated_c / temp_other_c. Our choice for a
    bilateral block ("both"): the left foot's reading goes where the treated foot's does and
    the right foot's where the other foot's does, and the page says so."""

    treated: str        # the first temperature's label: "Left foot (treated)"; both: "Left foot"
    other: str          # the second's: "Right foot"
    first: str          # the foot of the first reading: "your left foot"
    second: str         # the foot of the second reading: "your right foot"
    foot: str           # the foot asked about: "your left foot"; both: "your feet"
    either_foot: str    # a sore or wound on it: "your left foot"; both: "either foot"
    leg: str            # "your left leg"; both: "your legs"
    my_leg: str         # "my left leg"; both: "my legs"
    it: str             # the leg as a pronoun: "it"; both: "them"
    how: str            # the entry form's question: "How is your left leg now?"
    told: str           # "Your left foot was treated."; both: "Both feet were treated."
    same_colour: str    # the colour answer "same": "Same as your right foot"


def feet(side: str | None) -> Feet:
    """The words for a patient whose treated side is `side` ("left", "right" or "both"); a
    side not known gets the general words the diary used before."""
    if side in ("left", "right"):
        other = "right" if side == "left" else "left"
        return Feet(
            treated=f"{side.capitalize()} foot (treated)", other=f"{other.capitalize()} foot",
            first=f"your {side} foot", second=f"your {other} foot", foot=f"your {side} foot",
            either_foot=f"your {side} foot", leg=f"your {side} leg", my_leg=f"my {side} leg",
            it="it", how=f"How is your {side} leg now?", told=f"Your {side} foot was treated.",
            same_colour=f"Same as your {other} foot")
    if side == "both":
        return Feet(
            treated="Left foot", other="Right foot", first="your left foot",
            second="your right foot", foot="your feet", either_foot="either foot",
            leg="your legs", my_leg="my legs", it="them", how="How are your legs now?",
            told="Both feet were treated.", same_colour="The same on both feet")
    return Feet(
        treated="Treated foot", other="Other foot", first="the treated foot",
        second="the other foot", foot="the treated foot", either_foot="your foot",
        leg="your leg", my_leg="my leg", it="it", how="How is your leg now?",
        told="", same_colour="Same as the other foot")


def name_the_leg(text: str, side: str | None) -> str:
    """The schedule's general words ("numbness or weakness in your leg", "your leg at night
    and your foot") with the patient's side named ("in your left leg", "your legs at night and
    your feet"); unchanged for a side not known."""
    f = feet(side)
    if not f.told:
        return text
    return text.replace("your leg", f.leg).replace("your foot", f.foot)


# -------------------------------------------------------------------- time zones, in words

# Zones whose plain name is not their city's.
PLAIN_ZONES = {
    "Europe/London": "UK time", "Europe/Belfast": "UK time", "GB": "UK time",
    "Europe/Jersey": "UK time", "Europe/Guernsey": "UK time", "Europe/Isle_of_Man": "UK time",
    "Europe/Dublin": "Irish time",
}


def zone_words(tz: str, at: datetime) -> str:
    """A time zone as a patient reads it: "UK time" for London, otherwise the zone's city and
    its offset from UTC at `at` ("New York time (UTC−4)", "Kolkata time (UTC+5:30)")."""
    if tz in PLAIN_ZONES:
        return PLAIN_ZONES[tz]
    if tz.upper() in ("UTC", "ETC/UTC", "GMT", "ETC/GMT", "UCT", "ZULU"):
        return "UTC (world time)"
    offset = at.astimezone(ZoneInfo(tz)).utcoffset() or timedelta(0)
    minutes = round(offset.total_seconds() / 60)
    city = tz.rsplit("/", 1)[-1].replace("_", " ")
    if not minutes:
        return f"{city} time (UTC)"
    sign = "+" if minutes > 0 else "\u2212"
    hours, rest = divmod(abs(minutes), 60)
    return f"{city} time (UTC{sign}{hours}{f':{rest:02d}' if rest else ''})"
