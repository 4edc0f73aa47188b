"""What a typed value may be: lengths, ranges and patterns, written once.

The web forms, the CSV importer and the command line all import these, so a rule cannot
drift between them. Numbers are read with ASCII digits only (`diary.clinical.units`).
"""

import re
from datetime import date, timedelta

# Control characters other than tab and line ends are refused in every text (PostgreSQL
# refuses NUL; the rest is hostile).
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# An entry's id, made by the phone: lower-case hex UUID (use fullmatch).
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")

NOTES_MAX = 1000
NAME_MAX = 120
EMAIL_MAX = 254
PASSWORD_MIN, PASSWORD_MAX = 10, 200
RECORD_MAX = 40
RECORD_NUMBER = re.compile(r"[A-Za-z0-9][A-Za-z0-9 /_.-]*")
RECORD_NUMBER_HELP = "Use letters, numbers, spaces and / _ . - only."
EMAIL = re.compile(r"[^\s@]+@[^\s@]+")
SIGN_IN_NAME = re.compile(r"[A-Za-z0-9._%+@-]+")   # what a patient may choose to sign in with

# Blocks
LEVEL_MAX, AGENT_MAX = 40, 120
VOLUME_MAX_ML = 50.0
# Consultants may record blocks given long before the diary began, but not from another era.
BLOCK_HISTORY_LIMIT = timedelta(days=10 * 365)
BLOCK_TOO_OLD = ("That is more than ten years before the patient's record was made. "
                 "Please check the date.")


# Ids and dates typed into a URL (a path, a page's cursor, an export's range). A row id fits
# PostgreSQL's `integer`; a date lies within these years, so that widening it by a day or a
# UTC offset always gives a time Python and both databases can hold. Past them is "not there"
# (an id: 404) or a bad request (a cursor or a date: 400), never a server error.
ID_MAX = 2**31 - 1
FIRST_DATE, LAST_DATE = date(1900, 1, 1), date(2200, 12, 31)
DATE_RANGE_HELP = "Please give a date between 1900 and 2200."


def parse_id(text: str) -> int | None:
    """A row id written in ASCII digits (1 to ID_MAX), else None."""
    if not (text.isascii() and text.isdigit()) or len(text.lstrip("0")) > len(str(ID_MAX)):
        return None
    number = int(text)
    return number if 0 < number <= ID_MAX else None


def date_in_range(day: date) -> bool:
    return FIRST_DATE <= day <= LAST_DATE


ISO_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
DAY_HELP = "Please give a date like 2025-06-30."


def parse_day(text: str) -> tuple[date | None, str | None]:
    """A typed YYYY-MM-DD date in range, or the words to show when it is not."""
    try:
        if not ISO_DAY.fullmatch(text):
            raise ValueError(text)
        day = date.fromisoformat(text)
    except ValueError:
        return None, DAY_HELP
    if not date_in_range(day):  # year 1 or 9999 would overflow as a UTC bound
        return None, DATE_RANGE_HELP
    return day, None


def has_control(text: str | None) -> bool:
    return bool(text) and CONTROL.search(text) is not None
