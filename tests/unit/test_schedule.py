"""The patient's reading prompts (docs/clinical.md §5), worked by hand.

London in January is UTC, so local clock times equal UTC times unless a test says otherwise.
"""

from datetime import UTC, date, datetime, timedelta

from diary.clinical import patient_prompts
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


def test_weekly_to_12_months_after_neurolysis():
    # Our choice (§5, §7): weekly, not monthly, from day 29: week 5 (7 Mar) to week 52.
    blk = la(t(31, 10), kind="neurolysis")
    schedule = full_schedule([blk], [], LON, t(1, month=2))
    weekly = [p for p in schedule if p.kind == "weekly"]
    assert {p.kind for p in schedule} == {"pre_block", "block_day", "early", "daily", "weekly"}
    assert [p.due_at.date() for p in weekly[:3]] == [date(2025, 3, 7), date(2025, 3, 14),
                                                     date(2025, 3, 21)]
    assert len(weekly) == 48 and weekly[-1].due_at.date() == date(2026, 1, 30)
    assert weekly[0].reason == "week 5 after your block"
    assert weekly[-1].reason == "week 52 after your block"
    # The week-5 window runs from day 29 (1 Mar) to the due day: days 29-35 follow day 28.
    assert weekly[0].window_start == t(1, 0, month=3)
    assert_windows_do_not_overlap(schedule)
    assert next_reading([blk], [], LON, t(1, month=2) + timedelta(days=365)) is None


def test_weekly_after_neurolysis_does_not_stop_at_baseline():
    # The same diary stops a local-anaesthetic block's weekly prompts (back to baseline on
    # day 8) but not those of a neurolysis or RF block: they run to 12 months.
    entries = [e(f"b{n}", B - timedelta(days=n), 8) for n in range(1, 8)]
    entries += [e(f"a{n}", B + timedelta(days=n, hours=8), p)
                for n, p in enumerate([2, 2, 2, 4, 6, 6, 8, 8, 8], 1)]
    for kind in ("neurolysis", "radiofrequency"):
        schedule = full_schedule([la(B, kind=kind)], entries, LON, t(1, month=3))
        assert len([p for p in schedule if p.kind == "weekly"]) == 48, kind


def asks_by_day(schedule, block_at):
    """{days after the block: the asks} of the prompts that ask anything extra."""
    day0 = block_at.date()
    return {(p.due_at.date() - day0).days: p.asks for p in schedule if p.asks}


def test_pgic_on_day_7_and_day_28_after_every_block():
    # Day 7's last slot (20:00 on 17 Jan) and day 28's daily prompt (7 Feb); nothing else.
    for kind in ("diagnostic_la", "therapeutic_la"):
        schedule = full_schedule([la(B, kind=kind)], [], LON, t(10, 11))
        assert asks_by_day(schedule, B) == {7: ("pgic",), 28: ("pgic",)}, kind
        day7 = [p for p in schedule if p.asks][0]
        assert (day7.kind, day7.label, day7.day_label) == ("early", "20:00", "Fri 17 Jan")
        day28 = [p for p in schedule if p.asks][1]
        assert (day28.kind, day28.due_at) == ("daily", t(7, 20, month=2))
    prompts = reading_prompts([la(B)], [], LON, t(17, 9))
    assert [p.asks for p in prompts] == [(), (), (), ("pgic",)]
    assert prompts[3].text == (
        "Reading due 20:00 — day 7 after your block (2 to 4 readings a day this week). "
        "Also: how your pain has changed since the block.")
    assert prompts[0].text == ("Reading due 08:00 — day 7 after your block (2 to 4 readings a "
                               "day this week)")


def test_after_neurolysis_pgic_at_the_checkpoints_and_the_limb_questions_weekly():
    for kind in ("neurolysis", "radiofrequency"):
        blk = la(B, kind=kind)
        schedule = full_schedule([blk], [], LON, t(10, 11))
        asks = asks_by_day(schedule, B)
        # The limb questions every 7 days to week 52; PGIC on days 7 and 28, and on the
        # prompts whose windows hold days 30 (week 5), 90 (week 13) and 180 (week 26).
        assert sorted(asks) == list(range(7, 365, 7)), kind
        assert [n for n, a in asks.items() if "pgic" in a] == [7, 28, 35, 91, 182]
        assert all("limb" in a for a in asks.values())
        assert all(a in (("limb",), ("pgic", "limb")) for a in asks.values())
        for day in (7, 28, 30, 90, 180):   # the prompt whose window holds that day asks PGIC
            d = B.date() + timedelta(days=day)
            at = datetime(d.year, d.month, d.day, 19, tzinfo=UTC)
            [holder] = [p for p in schedule if p.window_start <= at < p.window_end]
            assert "pgic" in holder.asks, (kind, day)
        assert_windows_do_not_overlap(schedule)
    week13 = next(p for p in schedule if p.reason == "week 13 after your block")
    assert week13.text == ("Weekly reading due by 20:00 on Fri 11 Apr — week 13 after your "
                           "block. Also: how your pain has changed since the block; your leg "
                           "at night and your foot.")
    week6 = next(p for p in schedule if p.reason == "week 6 after your block")
    assert week6.text.endswith("week 6 after your block. Also: your leg at night and your foot.")


def test_an_ask_is_answered_by_an_entry_with_the_answer_from_the_start_of_its_day():
    # Day 7 is 17 Jan: the PGIC ask sits on the 20:00 slot (window 18:00-midnight).
    def day7(entries):
        return [p for p in reading_prompts([la(B)], entries, LON, t(17, 19)) if p.asks][0]

    morning = EntryRecord("m", t(17, 9), 4, pgic="much_better")
    answered = day7([morning])
    assert answered.answered == ("pgic",) and not answered.covered
    assert "Also" not in answered.text
    # Without the answer, or the day before, the question is still to be asked.
    assert day7([e("m", t(17, 9))]).answered == ()
    assert day7([EntryRecord("y", t(16, 23), 4, pgic="much_better")]).answered == ()
    # After neurolysis the weekly limb questions are answered by either answer in the week.
    blk = la(B, kind="neurolysis")
    week6 = t(21, 12, month=2)               # day 42: week 6, window 15-21 Feb
    for answer in ({"night_rest_pain": False}, {"wound": "none"}):
        entries = [EntryRecord("w", t(15, 8, month=2), 5, **answer)]
        [p] = reading_prompts([blk], entries, LON, week6)
        assert (p.asks, p.answered, p.covered_by) == (("limb",), ("limb",), "w")
    [p] = reading_prompts([blk], [EntryRecord("w", t(15, 8, month=2), 5, pgic="no_change")],
                          LON, week6)
    assert p.answered == ()


def test_the_asks_stop_with_the_blocks_prompts():
    # A next block on 20 Mar (day 69): the weekly prompts, and their asks, stop at its
    # baseline week (13 Mar on); the next block's own prompts ask nothing before it is done.
    blk = la(B, kind="neurolysis")
    schedule = full_schedule([blk, la(t(20, 10, month=3), id=2)], [], LON, t(12))
    assert [p.kind for p in schedule if p.block_id == 2][0] == "pre_block_daily"
    asks = asks_by_day(schedule, B)
    assert max(asks) == 56 and all(p.block_id == 1 for p in schedule if p.asks)
    assert_windows_do_not_overlap(schedule)


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


def test_the_entry_form_asks_what_todays_open_prompts_ask():
    asked = patient_prompts.prompts([], [la(B)], LON, t(17, 9), None)   # day 7
    assert asked.asks == ("pgic",)
    assert asked.next.label == "08:00" and asked.next.asks == ()
    assert asked.also == "Also today: how your pain has changed since the block."
    morning = [EntryRecord("m", t(17, 8), 4, pgic="no_change")]
    answered = patient_prompts.prompts(morning, [la(B)], LON, t(17, 9), None)
    assert (answered.asks, answered.also) == ((), None)
    assert patient_prompts.prompts([], [la(B)], LON, t(16, 9), None).asks == ()
    # Day 91 after a neurolysis: the week-13 reading asks both, and says so itself.
    weekly = patient_prompts.prompts([], [la(B, kind="neurolysis")], LON, t(11, 9, month=4),
                                     None)
    assert weekly.asks == ("pgic", "limb") and weekly.also is None
    assert weekly.next.asks == ("pgic", "limb")
    # Read (covered) without the answers: asked no more this week.
    read = [e("r", t(6, 9, month=4))]
    assert patient_prompts.prompts(read, [la(B, kind="neurolysis")], LON, t(11, 9, month=4),
                                   None).asks == ()


def test_the_limb_questions_are_offered_for_limb_ischaemia_or_after_neurolysis_or_rf():
    now = t(20)
    assert patient_prompts.limb_questions("pad_clti", [], now)
    assert not patient_prompts.limb_questions("crps", [], now)
    assert not patient_prompts.limb_questions("crps", [la(B), la(B, kind="therapeutic_la")], now)
    for kind in ("neurolysis", "radiofrequency"):
        assert patient_prompts.limb_questions("crps", [la(B, kind=kind)], now)
        assert not patient_prompts.limb_questions("crps", [la(t(25), kind=kind)], now)  # booked
