"""The patient's reading prompts (docs/clinical.md §5), worked by hand.

London in January is UTC, so local clock times equal UTC times unless a test says otherwise.
"""

from datetime import UTC, date, datetime, timedelta

from diary.clinical.records import BlockRecord, EntryRecord
from diary.clinical.schedule import full_schedule, next_reading, reading_prompts
from diary.clinical.settings import Settings

LON = "Europe/London"


def t(day: int, hh: int = 12, mm: int = 0, month: int = 1) -> datetime:
    return datetime(2025, month, day, hh, mm, tzinfo=UTC)


def la(when: datetime, id: int = 1, kind: str = "diagnostic_la", **kw) -> BlockRecord:
    return BlockRecord(id, when, kind, pre_pain=8, **kw)


def e(id: str, when: datetime, pain: int = 5) -> EntryRecord:
    return EntryRecord(id, when, pain)


B = t(10, 10)   # block on Friday 10 Jan 2025 at 10:00


def assert_windows_do_not_overlap(prompts):
    for a, b in zip(prompts, prompts[1:], strict=False):
        assert a.window_end <= b.window_start, (a, b)
        assert a.window_start < a.window_end


def test_block_day_prompts():
    prompts = reading_prompts([la(B)], [], LON, t(10, 9))
    assert [(p.kind, p.label) for p in prompts] == [
        ("pre_block", "09:00"), ("block_day", "10:15"), ("block_day", "10:30"),
        ("block_day", "11:00"), ("block_day", "12:00"), ("block_day", "13:00"),
        ("block_day", "14:00"), ("block_day", "15:00"), ("block_day", "16:00")]
    assert prompts[0].text == "Reading due 09:00 — before your block at 10:00"
    assert prompts[0].window_start == t(10, 8) and prompts[0].window_end == B
    assert prompts[1].text == "Reading due 10:15 — 15 minutes after your block"
    assert prompts[4].text == "Reading due 12:00 — 2 hours after your block"
    assert prompts[8].text == "Reading due 16:00 — 6 hours after your block"
    for p in prompts[1:]:
        assert "extra pain medicine" in p.note and "numbness or weakness" in p.note
        assert p.block_id == 1 and p.due_at.tzinfo is not None
    assert prompts[0].note is None
    assert_windows_do_not_overlap(prompts)


def test_long_acting_agent_is_followed_to_8_hours():
    prompts = reading_prompts([la(B, long_acting=True)], [], LON, t(10, 9))
    assert [p.label for p in prompts][-3:] == ["16:00", "17:00", "18:00"]
    assert prompts[-1].reason == "8 hours after your block"


def test_a_longer_analysis_window_is_followed():
    prompts = reading_prompts([la(B)], [], LON, t(10, 9), Settings(window_hours=7))
    assert prompts[-1].label == "17:00"


def test_block_day_tolerance_and_next_reading():
    # Windows: 10:15 [10:15, 10:22:30), 10:30 [10:22:30, 10:45), 11:00 [10:45, 11:30),
    # 12:00 [11:30, 12:30). A reading at 10:10 is before the analysis window: covers nothing.
    entries = [e("early", t(10, 10, 10)), e("a", t(10, 10, 20)), e("b", t(10, 10, 24)),
               e("c", t(10, 11, 20))]
    prompts = {p.label: p for p in reading_prompts([la(B)], entries, LON, t(10, 11, 40))}
    assert not prompts["09:00"].covered
    assert prompts["10:15"].covered_by == "a"
    assert prompts["10:30"].covered_by == "b"
    assert prompts["11:00"].covered_by == "c"
    assert not prompts["12:00"].covered
    nxt = next_reading([la(B)], entries, LON, t(10, 11, 40))
    assert nxt.label == "12:00"
    assert nxt.text == "Next reading due 12:00 — 2 hours after your block"


def test_a_missed_prompt_whose_window_is_still_open_is_next():
    # 12:00 not covered; at 12:20 its window [11:30, 12:30) is still open.
    nxt = next_reading([la(B)], [], LON, t(10, 12, 20))
    assert nxt.label == "12:00"
    # At 12:31 it has closed: 13:00 is next.
    assert next_reading([la(B)], [], LON, t(10, 12, 31)).label == "13:00"


def test_first_week_four_slots_a_day():
    # Day 3 after the block is 13 Jan. Windows split the day at 10:00, 14:00 and 18:00.
    entries = [e("m", t(13, 9, 30)), e("n", t(13, 13, 59))]
    prompts = reading_prompts([la(B)], entries, LON, t(13, 15))
    assert [p.label for p in prompts] == ["08:00", "12:00", "16:00", "20:00"]
    assert [p.covered_by for p in prompts] == ["m", "n", None, None]
    assert prompts[2].text == ("Reading due 16:00 — day 3 after your block (2 to 4 readings a "
                               "day this week)")
    assert prompts[0].window_start == t(13, 0) and prompts[3].window_end == t(14, 0)
    assert next_reading([la(B)], entries, LON, t(13, 15)).label == "16:00"


def test_days_8_to_28_once_a_day():
    # Day 10 is 20 Jan: one prompt, covered by any reading that day.
    prompts = reading_prompts([la(B)], [e("x", t(20, 7))], LON, t(20, 9))
    assert len(prompts) == 1
    p = prompts[0]
    assert p.kind == "daily" and p.covered_by == "x" and p.label == "20:00"
    assert p.text == ("Daily reading due by 20:00 — day 10 after your block (once a day until "
                      "week 4)")
    assert (p.window_start, p.window_end) == (t(20, 0), t(21, 0))
    # Day 28 (7 Feb) is the last daily one.
    assert [p.kind for p in reading_prompts([la(B)], [], LON, t(7, month=2))] == ["daily"]


def test_then_weekly_until_back_to_baseline():
    # No diary, so never back to baseline: weekly from week 5 (14 Feb) to week 52 (9 Jan 2026).
    schedule = full_schedule([la(B)], [], LON, t(1, month=3))
    weekly = [p for p in schedule if p.kind == "weekly"]
    assert weekly[0].due_at == t(14, 20, month=2)
    assert weekly[-1].due_at == datetime(2026, 1, 9, 20, tzinfo=UTC)
    assert len(weekly) == 48
    # The week-5 prompt is covered by a reading anywhere from 8 to 14 Feb.
    covered = full_schedule([la(B)], [e("w", t(9, 8, month=2))], LON, t(1, month=3))
    assert [p for p in covered if p.kind == "weekly"][0].covered_by == "w"
    nxt = next_reading([la(B)], [], LON, t(11, month=2))
    assert nxt.text == ("Next reading due by 20:00 on Fri 14 Feb — week 5 after your block")
    assert_windows_do_not_overlap(schedule)


def test_weekly_prompts_stop_once_back_to_baseline():
    # Baseline 8; days 1-9: 2 2 2 4 6 6 8 8 8 -> back to baseline on day 8 (see test_analysis).
    entries = [e(f"b{n}", B - timedelta(days=n), 8) for n in range(1, 8)]
    entries += [e(f"a{n}", B + timedelta(days=n, hours=8), p)
                for n, p in enumerate([2, 2, 2, 4, 6, 6, 8, 8, 8], 1)]
    schedule = full_schedule([la(B)], entries, LON, t(1, month=3))
    assert not [p for p in schedule if p.kind == "weekly"]
    assert [p for p in schedule if p.kind == "daily"]  # days 8-28 are still asked for


def test_monthly_to_12_months_after_neurolysis():
    # Block on 31 Jan: months 2-12, the 31st becoming the last day of shorter months.
    blk = la(t(31, 10), kind="neurolysis")
    monthly = [p for p in full_schedule([blk], [], LON, t(1, month=2)) if p.kind == "monthly"]
    assert [p.due_at.date() for p in monthly[:3]] == [date(2025, 3, 31), date(2025, 4, 30),
                                                      date(2025, 5, 31)]
    assert len(monthly) == 11 and monthly[-1].due_at.date() == date(2026, 1, 31)
    assert monthly[0].reason == "month 2 after your block"


def test_before_a_booked_block_once_a_day_for_7_days():
    # Block booked for 20 Jan: 13-19 Jan daily, then the block day.
    prompts = reading_prompts([la(t(20, 10))], [], LON, t(14, 9))
    assert len(prompts) == 1
    p = prompts[0]
    assert p.kind == "pre_block_daily"
    assert p.text == ("Daily reading due by 20:00 — 6 days before your block (this records your "
                      "usual pain)")
    schedule = full_schedule([la(t(20, 10))], [], LON, t(14, 9))
    days = [x.due_at.date() for x in schedule if x.kind == "pre_block_daily"]
    assert days == [date(2025, 1, d) for d in range(13, 20)]
    assert [x.kind for x in schedule].count("block_day") == 8   # 15, 30 min, 1-6 h
    assert next_reading([la(t(20, 10))], [], LON, t(11)).day_label == "Mon 13 Jan"


def test_the_current_block_takes_precedence_over_the_next_blocks_baseline_days():
    # Block on 10 Jan, next booked on 15 Jan: 11-14 Jan keep their four slots a day and no
    # once-a-day baseline prompt is added; the prompts stop at the next block.
    schedule = full_schedule([la(B), la(t(15, 10), id=2)], [], LON, t(12))
    kinds = [p.kind for p in schedule]
    assert "pre_block_daily" not in kinds
    assert kinds.count("early") == 16
    assert [p.block_id for p in schedule if p.kind == "block_day"] == [1] * 8 + [2] * 8
    assert_windows_do_not_overlap(schedule)


def test_weekly_prompts_give_way_to_the_next_blocks_baseline_week():
    # Next block on 20 Feb: baseline days 13-19 Feb; the week-5 prompt (14 Feb) is dropped.
    schedule = full_schedule([la(B), la(t(20, 10, month=2), id=2)], [], LON, t(1, month=2))
    assert "weekly" not in [p.kind for p in schedule]
    days = [p.due_at.date() for p in schedule if p.kind == "pre_block_daily"]
    assert days == [date(2025, 2, d) for d in range(13, 20)]
    assert_windows_do_not_overlap(schedule)


def test_late_evening_block_runs_past_midnight():
    # Block at 22:00: hourly to 04:00 (window to 04:30); the day-1 08:00 window then starts at
    # 06:00, half-way between 04:00 and 08:00, instead of midnight.
    late = t(10, 22)
    schedule = full_schedule([la(late)], [], LON, t(10, 22, 30))
    block_day = [p for p in schedule if p.kind == "block_day"]
    assert block_day[-1].due_at == t(11, 4) and block_day[-1].window_end == t(11, 4, 30)
    first_morning = next(p for p in schedule if p.kind == "early")
    assert first_morning.due_at == t(11, 8) and first_morning.window_start == t(11, 6)
    assert_windows_do_not_overlap(schedule)
    # Today's prompts at 23:00 include the block-day ones after midnight, not tomorrow's others.
    today = reading_prompts([la(late)], [], LON, t(10, 23))
    assert today[-1].label == "04:00" and today[-1].day_label == "Sat 11 Jan"
    assert {p.kind for p in today} == {"pre_block", "block_day"}


def test_auckland_labels_are_local():
    # Auckland is UTC+13 in January: a block at 09:00 local on 10 Jan is 20:00 UTC on 9 Jan.
    blk = la(datetime(2025, 1, 9, 20, tzinfo=UTC))
    prompts = reading_prompts([blk], [], "Pacific/Auckland", datetime(2025, 1, 9, 19, tzinfo=UTC))
    assert prompts[1].label == "09:15" and prompts[1].day_label == "Fri 10 Jan"
    # Day 1 is 11 Jan local: 08:00 there is 19:00 UTC on 10 Jan.
    schedule = full_schedule([blk], [], "Pacific/Auckland", datetime(2025, 1, 10, tzinfo=UTC))
    first = next(p for p in schedule if p.kind == "early")
    assert first.due_at == datetime(2025, 1, 10, 19, tzinfo=UTC) and first.label == "08:00"


def test_daylight_saving_change_keeps_local_clock_times():
    # New York springs forward on 9 Mar 2025: 08:00 EDT is 12:00 UTC (13:00 UTC the day before).
    blk = la(datetime(2025, 3, 8, 15, tzinfo=UTC))   # 10:00 EST on 8 Mar
    schedule = full_schedule([blk], [], "America/New_York", datetime(2025, 3, 8, 16, tzinfo=UTC))
    early = [p for p in schedule if p.kind == "early"]
    assert early[0].label == "08:00" and early[0].due_at == datetime(2025, 3, 9, 12, tzinfo=UTC)
    # That day is 23 hours long: its windows still meet end to end.
    assert early[0].window_start == datetime(2025, 3, 9, 5, tzinfo=UTC)
    assert early[3].window_end == datetime(2025, 3, 10, 4, tzinfo=UTC)
    assert_windows_do_not_overlap(schedule)


def test_no_block_no_prompts():
    assert reading_prompts([], [e("x", t(5))], LON, t(5)) == []
    assert next_reading([], [], LON, t(5)) is None
    assert full_schedule([], [], LON, t(5)) == []


def test_nothing_left_a_year_later():
    assert next_reading([la(B)], [], LON, t(1, month=3) + timedelta(days=365)) is None
