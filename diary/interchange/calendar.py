"""The reading schedule as an iCalendar file (RFC 5545): reminders in the patient's own calendar.

Plain Python (the `icalendar` library; no Flask, no database). The caller hands in the whole
schedule (`diary.clinical.schedule.full_schedule`) and gets the file's bytes:

- one VEVENT per reading still to be taken: every prompt due from the start of the patient's
  local today on (so the rest of today shows too) that no entry covers yet;
- each with one VALARM (DISPLAY) at the due time. Our choice: no second, earlier alarm, as
  block-day readings are 15 minutes apart and two alarms each would ring every few minutes;
  the reading's window opens before it is due, so the one alarm is never late;
- in the patient's zone: DTSTART/DTEND carry its TZID and the file carries a VTIMEZONE built
  here from the zone's own transitions over the events' span. (icalendar's
  `add_missing_timezones` writes a spring-forward onset in the wall time after the gap, an
  hour late read by RFC 5545's rule "DTSTART is local time in TZOFFSETFROM".) A wall time that
  occurs twice (the hour repeated in autumn) is read as its first occurrence by RFC 5545, and
  not by every app, so an event at such a time is written in UTC instead;
- stable UIDs: a reading is named by a key of the patient (`uid_key`), its block, its kind and
  its place among that block's readings of that kind, never by its time. A re-imported file
  or a refreshed subscription updates each event (moved with its block, if the block moved)
  rather than adding a copy;
- no health details, as a lock screen shows them: the title is only "Block Diary reading",
  the description only says to open the diary, and the URL is the diary's entry form.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from icalendar import (
    Alarm,
    Calendar,
    Event,
    Timezone,
    TimezoneDaylight,
    TimezoneStandard,
    vDuration,
)
from icalendar.prop import vInline

from diary.clinical.schedule import Prompt

TITLE = "Block Diary reading"
DESCRIPTION = "Open Block Diary to add your reading."
CALENDAR_NAME = "Block Diary readings"
PRODID = "-//Block Diary//Reading reminders//EN"
UID_DOMAIN = "block-diary"
LENGTH = timedelta(minutes=15)      # an event's length in the calendar
REFRESH = timedelta(hours=1)        # how often a subscribed calendar should look again
MIME_TYPE = "text/calendar; charset=utf-8"


@dataclass(frozen=True)
class Reading:
    """One event of the file: a prompt still to be answered."""

    uid: str
    due_at: datetime            # UTC


def readings(schedule: Iterable[Prompt], tz: str, now: datetime, uid_key: str) -> list[Reading]:
    """The prompts that get an event (due from local midnight today, not covered), in time
    order, each with its stable UID. `schedule` is the whole schedule: a reading's UID counts
    its place among its block's readings of its kind, past ones included."""
    zone = ZoneInfo(tz)
    today = datetime.combine(now.astimezone(zone).date(), time(0), tzinfo=zone).astimezone(UTC)
    seen: dict[tuple[int | None, str], int] = defaultdict(int)
    out = []
    for p in sorted(schedule, key=lambda p: p.due_at):
        seen[p.block_id, p.kind] += 1
        if p.covered or p.due_at < today:
            continue
        out.append(Reading(_uid(uid_key, p.block_id, p.kind, seen[p.block_id, p.kind]),
                           p.due_at.astimezone(UTC)))
    return out


def calendar(schedule: Iterable[Prompt], tz: str, now: datetime, *, url: str,
             uid_key: str) -> bytes:
    """The iCalendar file of the readings to come (`readings`), with an alarm on each."""
    zone = ZoneInfo(tz)
    stamp = now.astimezone(UTC)
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", CALENDAR_NAME)
    cal.add("x-wr-timezone", tz)
    cal.add("refresh-interval", REFRESH, parameters={"VALUE": "DURATION"})
    cal.add("x-published-ttl", vDuration(REFRESH))
    chosen = readings(schedule, tz, now, uid_key)
    if chosen:
        cal.add_component(vtimezone(tz, chosen[0].due_at, chosen[-1].due_at + LENGTH))
    for r in chosen:
        event = Event()
        event.add("uid", r.uid)
        event.add("dtstamp", stamp)
        event.add("dtstart", _when(r.due_at, zone))
        event.add("dtend", _when(r.due_at + LENGTH, zone))
        event.add("summary", TITLE)
        event.add("description", DESCRIPTION)
        event.add("url", url)
        event.add("class", "PRIVATE")
        event.add("transp", "TRANSPARENT")
        alarm = Alarm()
        alarm.add("action", "DISPLAY")
        alarm.add("description", TITLE)
        alarm.add("trigger", vInline("PT0S"))  # at the due time (icalendar writes P0D)
        event.add_component(alarm)
        cal.add_component(event)
    return cal.to_ical()


def vtimezone(tz: str, first: datetime, last: datetime) -> Timezone:
    """The zone's VTIMEZONE from a day before `first` to a day after `last`: one observance
    for the offset in force at the start, then one per change of offset, each starting at the
    local time of the change as the clock read before it (RFC 5545, 3.6.5)."""
    zone = ZoneInfo(tz)
    start = first.astimezone(UTC) - timedelta(days=1)
    end = last.astimezone(UTC) + timedelta(days=1)
    comp = Timezone()
    comp.add("tzid", tz)
    offset = _offset(start, zone)
    comp.add_component(_observance(start, offset, offset, zone))
    t = start
    while t < end:
        step = min(t + timedelta(days=1), end)
        if _offset(step, zone) != offset:
            change = _change(t, step, zone)
            new = _offset(change, zone)
            comp.add_component(_observance(change, offset, new, zone))
            offset = new
        t = step
    return comp


# ------------------------------------------------------------------------------- helpers

def _uid(key: str, block_id: int | None, kind: str, n: int) -> str:
    digest = hashlib.sha256(f"{key}|{block_id}|{kind}|{n}".encode()).hexdigest()[:32]
    return f"{digest}@{UID_DOMAIN}"


def _when(at: datetime, zone: ZoneInfo) -> datetime:
    """The local time with its zone (TZID), or UTC where that wall time occurs twice (either
    time: apps differ on which of the two they take)."""
    local = at.astimezone(zone)
    other = local.replace(fold=1 - local.fold)
    return at.astimezone(UTC) if other.utcoffset() != local.utcoffset() else local


def _offset(at: datetime, zone: ZoneInfo) -> timedelta:
    return at.astimezone(zone).utcoffset()


def _change(lo: datetime, hi: datetime, zone: ZoneInfo) -> datetime:
    """The first second in (lo, hi] with the offset of `hi` (the offset changes once)."""
    target = _offset(hi, zone)
    while hi - lo > timedelta(seconds=1):
        mid = lo + (hi - lo) / 2
        mid = mid.replace(microsecond=0)
        if mid <= lo:
            break
        if _offset(mid, zone) == target:
            hi = mid
        else:
            lo = mid
    return hi


def _observance(at: datetime, before: timedelta, after: timedelta, zone: ZoneInfo):
    local = at.astimezone(zone)
    part = TimezoneDaylight() if local.dst() else TimezoneStandard()
    part.add("dtstart", (at.astimezone(UTC) + before).replace(tzinfo=None))
    part.add("tzoffsetfrom", before)
    part.add("tzoffsetto", after)
    part.add("tzname", local.tzname())
    return part
