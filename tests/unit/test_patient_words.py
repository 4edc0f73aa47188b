"""What the patient reads: a next-reading prompt that is never in the past, today's readings
marked done, missed, now or later (docs/clinical.md §5), their feet named from the treated side
(§1), and block kinds and time zones in plain words. Worked by hand at the boundary times.

London in January is UTC, so local clock times equal UTC times.
"""

from datetime import UTC, datetime, timedelta

import pytest

from diary.clinical import vocab, wording
from diary.clinical.patient_prompts import prompts
from diary.clinical.records import BlockRecord, EntryRecord

LON = "Europe/London"
# A block at 00:30 on Friday 10 January: hourly readings at 01:30, 02:30, ... 06:30, each
# window running half-way to its neighbours (05:30's from 05:00 to 06:00).
BLOCK = BlockRecord(1, datetime(2025, 1, 10, 0, 30, tzinfo=UTC), "diagnostic_la", pre_pain=8)
READ_AT_0440 = [EntryRecord("a", datetime(2025, 1, 10, 4, 40, tzinfo=UTC), 5)]


def at(hh: int, mm: int = 0, day: int = 10) -> datetime:
    return datetime(2025, 1, day, hh, mm, tzinfo=UTC)


def next_text(now: datetime, entries=READ_AT_0440) -> str:
    return prompts(entries, [BLOCK], LON, now, None).next.text


@pytest.mark.parametrize(("now", "text"), [
    (at(5, 0), "Next reading due 05:30 — 5 hours after your block"),      # window opens
    (at(5, 29), "Next reading due 05:30 — 5 hours after your block"),
    (at(5, 30), "Reading due now (since 05:30) — 5 hours after your block"),
    (at(5, 47), "Reading due now (since 05:30) — 5 hours after your block"),  # the issue's
    (at(5, 59), "Reading due now (since 05:30) — 5 hours after your block"),
    (at(6, 0), "Next reading due 06:30 — 6 hours after your block"),      # window closed
    (at(6, 45), "Reading due now (since 06:30) — 6 hours after your block"),
    (at(7, 0), "Next reading due 08:00 on Sat 11 Jan — day 1 after your block "
               "(2 to 4 readings a day this week)"),
])
def test_the_next_reading_is_never_said_to_be_due_in_the_past(now, text):
    assert next_text(now) == text


@pytest.mark.parametrize(("now", "text"), [
    (at(19, 59, day=20), "Next reading due by 20:00 — day 10 after your block (once a day "
                         "until week 4)"),
    (at(20, 0, day=20), "Daily reading due now (since 20:00) — day 10 after your block (once "
                        "a day until week 4)"),
    (at(23, 59, day=20), "Daily reading due now (since 20:00) — day 10 after your block (once "
                         "a day until week 4)"),
    (at(0, 0, day=21), "Next reading due by 20:00 — day 11 after your block (once a day until "
                       "week 4)"),
])
def test_a_daily_reading_after_its_time_is_due_now_until_midnight(now, text):
    assert next_text(now, entries=[]) == text


def test_a_reading_in_the_window_moves_the_prompt_on_even_before_its_time():
    # A reading at 05:10 answers the 05:30 prompt: the next one is 06:30's.
    read = [*READ_AT_0440, EntryRecord("b", at(5, 10), 4)]
    assert next_text(at(5, 20), read) == "Next reading due 06:30 — 6 hours after your block"


def test_todays_readings_are_marked_done_missed_now_or_later():
    today = prompts(READ_AT_0440, [BLOCK], LON, at(5, 47), None).today
    assert [(p.word, p.text) for p in today] == [
        ("Missed", "23:30 on Thu 9 Jan — before your block at 00:30"),
        ("Missed", "00:45 — 15 minutes after your block"),
        ("Missed", "01:00 — 30 minutes after your block"),
        ("Missed", "01:30 — 1 hour after your block"),
        ("Missed", "02:30 — 2 hours after your block"),
        ("Missed", "03:30 — 3 hours after your block"),
        ("Done", "04:30 — 4 hours after your block"),
        ("Now", "05:30 — 5 hours after your block"),
        ("Later", "06:30 — 6 hours after your block"),
    ]
    # At the very end of a window the reading is missed, and the next one is open.
    states = {p.text[:5]: p.state for p in prompts(READ_AT_0440, [BLOCK], LON, at(6, 0),
                                                   None).today}
    assert (states["05:30"], states["06:30"]) == ("missed", "now")


def test_a_daily_reading_in_todays_list_says_by_when():
    today = prompts([], [BLOCK], LON, at(12, 0, day=20), None).today
    assert [(p.word, p.text) for p in today] == [
        ("Now", "by 20:00 — day 10 after your block (once a day until week 4)")]


# ------------------------------------------------------------------------- which foot

@pytest.mark.parametrize(("side", "treated", "other", "leg"), [
    ("left", "Left foot (treated)", "Right foot", "your left leg"),
    ("right", "Right foot (treated)", "Left foot", "your right leg"),
    # Both treated: the left foot's reading is stored as the treated one (clinical.md §1).
    ("both", "Left foot", "Right foot", "your legs"),
])
def test_the_feet_are_named_from_the_treated_side(side, treated, other, leg):
    feet = wording.feet(side)
    assert (feet.treated, feet.other, feet.leg) == (treated, other, leg)
    assert "treated" in feet.told


def test_an_unknown_side_keeps_the_general_words():
    feet = wording.feet(None)
    assert (feet.treated, feet.other, feet.told) == ("Treated foot", "Other foot", "")


# -------------------------------------------------------------- plain words: kinds, zones

def test_every_block_kind_has_plain_words_without_jargon():
    assert set(vocab.PATIENT_BLOCK_KINDS) == set(vocab.BLOCK_KINDS)
    for words in vocab.PATIENT_BLOCK_KINDS.values():
        assert "anaesthetic" not in words and "±" not in words and "neurolysis" not in words
    assert vocab.PATIENT_BLOCK_KINDS["therapeutic_la"] == (
        "A numbing injection (with or without a steroid)")


@pytest.mark.parametrize(("tz", "when", "words"), [
    ("Europe/London", at(12), "UK time"),
    ("Europe/London", datetime(2025, 7, 1, tzinfo=UTC), "UK time"),
    ("America/New_York", at(12), "New York time (UTC−5)"),
    ("America/New_York", datetime(2025, 7, 1, tzinfo=UTC), "New York time (UTC−4)"),
    ("Asia/Kolkata", at(12), "Kolkata time (UTC+5:30)"),
    ("Asia/Kathmandu", at(12), "Kathmandu time (UTC+5:45)"),
    ("Pacific/Auckland", at(12), "Auckland time (UTC+13)"),
    ("Africa/Abidjan", at(12), "Abidjan time (UTC)"),
    ("UTC", at(12), "UTC (world time)"),
])
def test_time_zones_read_as_a_place_and_its_offset_now(tz, when, words):
    assert wording.zone_words(tz, when) == words
    assert wording.zone_words(tz, when + timedelta(seconds=1)) == words
