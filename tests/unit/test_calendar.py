"""The reading schedule as an iCalendar file (diary.interchange.calendar): it parses, holds one
event with an alarm per reading to come in the patient's zone (across daylight-saving changes
too, read through the file's own VTIMEZONE by RFC 5545's rules), says nothing about health,
and names each reading with a UID that does not change."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from icalendar import Calendar

from diary.clinical.records import BlockRecord, EntryRecord
from diary.clinical.schedule import full_schedule
from diary.interchange import calendar

URL = "https://diary.clinic.example/diary/"
KEY = "patient:7"


def block(at: datetime, kind: str = "diagnostic_la", block_id: int = 1) -> BlockRecord:
    return BlockRecord(id=block_id, performed_at=at, kind=kind)


def entry(at: datetime, entry_id: str = "e1") -> EntryRecord:
    return EntryRecord(id=entry_id, observed_at=at, pain=5)


def ics(blocks, tz, now, entries=(), key=KEY):
    schedule = full_schedule(blocks, list(entries), tz, now)
    return schedule, Calendar.from_ical(
        calendar.calendar(schedule, tz, now, url=URL, uid_key=key))


def events(cal):
    return list(cal.walk("VEVENT"))


def wall(event, name="DTSTART"):
    """(the time as written, its TZID or None for UTC)."""
    prop = event[name]
    text = prop.to_ical().decode()
    if text.endswith("Z"):
        return datetime.strptime(text, "%Y%m%dT%H%M%SZ"), None
    return datetime.strptime(text, "%Y%m%dT%H%M%S"), prop.params.get("TZID")


def through_vtimezone(cal, tzid: str, local: datetime) -> datetime:
    """A wall time read by the file's own VTIMEZONE (RFC 5545 3.6.5): each observance starts
    at DTSTART read in TZOFFSETFROM; of the instants the wall time can be, the first whose
    offset is the one in force then."""
    (zone,) = [z for z in cal.walk("VTIMEZONE") if str(z["TZID"]) == tzid]
    onsets = sorted((part.decoded("DTSTART") - part.decoded("TZOFFSETFROM"),
                     part.decoded("TZOFFSETTO")) for part in zone.subcomponents)
    assert onsets[0][0] <= local - timedelta(hours=14)  # the file covers this time

    def in_force(instant):
        return [to for start, to in onsets if start <= instant][-1]

    candidates = sorted(local - off for off in {to for _, to in onsets}
                        if in_force(local - off) == off)
    assert candidates, f"{local} does not exist in {tzid}"
    return candidates[0].replace(tzinfo=UTC)


def expected(schedule, tz, now):
    today = datetime.combine(now.astimezone(ZoneInfo(tz)).date(), datetime.min.time(),
                             tzinfo=ZoneInfo(tz))
    return [p for p in schedule if not p.covered and p.due_at >= today]


# ------------------------------------------------------------------------------ the file

def test_the_file_parses_with_one_event_and_one_alarm_per_reading_to_come():
    now = datetime(2025, 6, 15, 10, 30, tzinfo=UTC)
    tz = "Europe/London"
    schedule, cal = ics([block(datetime(2025, 6, 15, 9, 0, tzinfo=UTC))], tz, now)
    wanted = expected(schedule, tz, now)
    found = events(cal)
    assert len(wanted) > 40 and len(found) == len(wanted)
    assert [e.decoded("DTSTART") for e in found] == [p.due_at for p in wanted]
    for event, prompt in zip(found, wanted, strict=True):
        local, tzid = wall(event)
        assert tzid == tz
        assert local == prompt.due_at.astimezone(ZoneInfo(tz)).replace(tzinfo=None)
        assert event.decoded("DTEND") - event.decoded("DTSTART") == calendar.LENGTH
        (alarm,) = event.walk("VALARM")
        assert str(alarm["ACTION"]) == "DISPLAY"
        assert alarm.decoded("TRIGGER") == timedelta(0)  # at the due time
        assert str(event["URL"]) == URL
    assert str(cal["X-WR-TIMEZONE"]) == tz
    assert len(cal.walk("VTIMEZONE")) == 1


def test_readings_already_covered_or_before_today_are_left_out():
    tz = "Europe/London"
    done = datetime(2025, 6, 10, 9, 0, tzinfo=UTC)
    now = datetime(2025, 6, 15, 10, 30, tzinfo=UTC)             # 11:30 in London
    covering = datetime(2025, 6, 15, 10, 50, tzinfo=UTC)        # covers today's 12:00 reading
    schedule, cal = ics([block(done)], tz, now, [entry(covering)])
    times = [e.decoded("DTSTART") for e in events(cal)]
    assert times[0] == datetime(2025, 6, 15, 7, 0, tzinfo=UTC)  # 08:00 today, missed: shown
    assert datetime(2025, 6, 15, 11, 0, tzinfo=UTC) not in times  # 12:00, covered
    assert datetime(2025, 6, 15, 15, 0, tzinfo=UTC) in times      # 16:00, to come
    assert all(t >= datetime(2025, 6, 14, 23, 0, tzinfo=UTC) for t in times)
    assert len(times) == len(expected(schedule, tz, now))


def test_no_block_no_events():
    cal = Calendar.from_ical(calendar.calendar([], "Europe/London",
                                               datetime(2025, 6, 15, tzinfo=UTC),
                                               url=URL, uid_key=KEY))
    assert events(cal) == [] and cal.walk("VTIMEZONE") == []


# ------------------------------------------------------------------ daylight-saving time

# (zone, block (UTC), a day before the change, a day after it): the 20:00 reading on either
# side of the change stays at 20:00 on the wall, an hour apart in UTC.
CHANGES = [
    ("Europe/London", datetime(2025, 3, 26, 10, 0, tzinfo=UTC), "2025-03-29", "2025-03-30"),
    ("Europe/London", datetime(2025, 10, 21, 10, 0, tzinfo=UTC), "2025-10-25", "2025-10-26"),
    ("America/New_York", datetime(2025, 3, 5, 15, 0, tzinfo=UTC), "2025-03-08", "2025-03-09"),
    ("Australia/Sydney", datetime(2025, 4, 1, 0, 0, tzinfo=UTC), "2025-04-05", "2025-04-06"),
]


@pytest.mark.parametrize(("tz", "done", "before", "after"), CHANGES,
                         ids=[f"{c[0]}-{c[2]}" for c in CHANGES])
def test_wall_times_hold_across_a_daylight_saving_change(tz, done, before, after):
    now = done + timedelta(hours=1)
    schedule, cal = ics([block(done)], tz, now)
    found = events(cal)
    assert len(found) == len(expected(schedule, tz, now))
    evening = {}
    for event in found:
        local, tzid = wall(event)
        due = event.decoded("DTSTART").astimezone(UTC)
        if tzid is not None:
            assert tzid == tz
            assert through_vtimezone(cal, tz, local) == due  # the file's own zone agrees
        if local.hour == 20 and local.minute == 0:
            evening[local.date().isoformat()] = due
    assert before in evening and after in evening
    shift = evening[after] - evening[before]
    assert shift != timedelta(days=1)  # the same wall time, a different length of day
    assert abs(shift - timedelta(days=1)) == timedelta(hours=1)
    # Every event in the schedule's own local time, on either side of the change.
    for event, prompt in zip(found, expected(schedule, tz, now), strict=True):
        assert event.decoded("DTSTART") == prompt.due_at


def test_the_vtimezone_changes_when_the_clocks_do():
    """London, spring 2025: the clocks went forward at 01:00 GMT; autumn: back at 02:00 BST."""
    now = datetime(2025, 3, 20, 9, 0, tzinfo=UTC)
    _, cal = ics([block(datetime(2025, 3, 20, 8, 0, tzinfo=UTC), kind="neurolysis")],
                 "Europe/London", now)
    (zone,) = cal.walk("VTIMEZONE")
    changes = [(p.name, p.decoded("DTSTART"), p.decoded("TZOFFSETFROM"),
                p.decoded("TZOFFSETTO")) for p in zone.subcomponents][1:]
    assert changes[:2] == [
        ("DAYLIGHT", datetime(2025, 3, 30, 1, 0), timedelta(0), timedelta(hours=1)),
        ("STANDARD", datetime(2025, 10, 26, 2, 0), timedelta(hours=1), timedelta(0)),
    ]


def test_a_reading_in_the_repeated_hour_is_written_in_utc():
    """London, 26 October 2025: 01:00-02:00 happens twice. A block at 00:30 BST has its
    1-hour reading at 01:30 BST and its 2-hour reading at 01:30 GMT: both in UTC, not as a
    wall time that a calendar would read as the first (or, in some apps, the second)."""
    tz = "Europe/London"
    done = datetime(2025, 10, 25, 23, 30, tzinfo=UTC)
    _, cal = ics([block(done)], tz, done + timedelta(minutes=5))
    by_due = {e.decoded("DTSTART").astimezone(UTC): e for e in events(cal)}
    first = by_due[datetime(2025, 10, 26, 0, 30, tzinfo=UTC)]    # 01:30 BST
    second = by_due[datetime(2025, 10, 26, 1, 30, tzinfo=UTC)]   # 01:30 GMT
    assert wall(first) == (datetime(2025, 10, 26, 0, 30), None)   # ...Z
    assert wall(second) == (datetime(2025, 10, 26, 1, 30), None)
    before = by_due[datetime(2025, 10, 25, 23, 45, tzinfo=UTC)]  # 00:45 BST: once only
    after = by_due[datetime(2025, 10, 26, 2, 30, tzinfo=UTC)]    # 02:30 GMT: once only
    assert wall(before) == (datetime(2025, 10, 26, 0, 45), tz)
    assert wall(after) == (datetime(2025, 10, 26, 2, 30), tz)
    for event in (before, after):
        assert through_vtimezone(cal, tz, wall(event)[0]) == event.decoded("DTSTART")


# -------------------------------------------------------------------- no health details

HEALTH_WORDS = ("pain", "temperature", "foot", "leg", "neurolysis", "anaesthetic", "crps",
                "after your", "before your", "reading due", "medicine", "numbness",
                "week", "day ")


def test_titles_and_descriptions_say_nothing_about_health():
    now = datetime(2025, 6, 15, 10, 30, tzinfo=UTC)
    schedule, cal = ics([block(datetime(2025, 6, 15, 9, 0, tzinfo=UTC), kind="neurolysis"),
                         block(datetime(2025, 9, 1, 9, 0, tzinfo=UTC), block_id=2)],
                        "Europe/London", now)
    for event in events(cal):
        assert str(event["SUMMARY"]) == "Block Diary reading"
        assert str(event["DESCRIPTION"]) == "Open Block Diary to add your reading."
        (alarm,) = event.walk("VALARM")
        assert str(alarm["DESCRIPTION"]) == "Block Diary reading"
    text = cal.to_ical().decode().lower().replace("block diary", "").replace("block-diary", "")
    assert "block" not in text
    for word in HEALTH_WORDS:
        assert word not in text, word
    for prompt in schedule:
        assert prompt.reason.lower() not in text


# ------------------------------------------------------------------------- stable UIDs

def uids(cal) -> dict[datetime, str]:
    return {e.decoded("DTSTART").astimezone(UTC): str(e["UID"]) for e in events(cal)}


def test_uids_are_unique_and_stay_the_same_as_time_passes():
    done = datetime(2025, 6, 15, 9, 0, tzinfo=UTC)
    _, first = ics([block(done)], "Europe/London", datetime(2025, 6, 15, 10, 30, tzinfo=UTC))
    _, later = ics([block(done)], "Europe/London", datetime(2025, 6, 18, 12, 0, tzinfo=UTC))
    a, b = uids(first), uids(later)
    assert len(set(a.values())) == len(a)
    shared = set(a) & set(b)
    assert len(shared) > 30
    assert all(a[t] == b[t] for t in shared)
    assert all(u.endswith("@block-diary") for u in a.values())


def test_a_moved_block_moves_its_events_rather_than_adding_new_ones():
    now = datetime(2025, 6, 10, 9, 0, tzinfo=UTC)
    _, booked = ics([block(datetime(2025, 6, 20, 9, 0, tzinfo=UTC))], "Europe/London", now)
    _, moved = ics([block(datetime(2025, 6, 20, 11, 30, tzinfo=UTC))], "Europe/London", now)
    assert set(uids(booked).values()) == set(uids(moved).values())
    assert set(uids(booked)) != set(uids(moved))


def test_uids_differ_between_patients():
    done = datetime(2025, 6, 15, 9, 0, tzinfo=UTC)
    now = datetime(2025, 6, 15, 10, 30, tzinfo=UTC)
    _, mine = ics([block(done)], "Europe/London", now, key="patient:1")
    _, theirs = ics([block(done)], "Europe/London", now, key="patient:2")
    assert not set(uids(mine).values()) & set(uids(theirs).values())
