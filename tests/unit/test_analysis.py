"""Hand-worked diaries for every rule of docs/clinical.md §3.

The expected numbers are worked out by hand in the comments, never recomputed with the code
under test. Unless a test says otherwise the patient lives in Europe/London and the dates are
in January 2025, when London time is UTC: a local clock time is the UTC time.
"""

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from diary.clinical import vocab
from diary.clinical.analysis import STATUS_LABELS, analyse_patient
from diary.clinical.records import BlockRecord, EntryRecord
from diary.clinical.schedule import full_schedule
from diary.clinical.settings import SETTING_LIMITS, Settings, SettingsError

LON = "Europe/London"
WARM = {0: 28.0, 5: 29.0, 10: 30.4, 20: 30.1}   # pre 28.0, peak 30.4: rose 2.4 °C


def t(day: int, hh: int = 12, mm: int = 0, month: int = 1) -> datetime:
    return datetime(2025, month, day, hh, mm, tzinfo=UTC)


def on_day(block_at: datetime, n: int, hh: int = 18, mm: int = 0) -> datetime:
    """hh:mm UTC on the n-th calendar day after the block's (UTC) day."""
    d = block_at.date() + timedelta(days=n)
    return datetime(d.year, d.month, d.day, hh, mm, tzinfo=UTC)


def block(id: int = 1, when: datetime | None = None, kind: str = "diagnostic_la",
          pre_pain: int | None = 8, temps_treated: dict | None = None, **kw) -> BlockRecord:
    return BlockRecord(id, when or t(10, 10), kind, pre_pain=pre_pain,
                       temps_treated=WARM if temps_treated is None else temps_treated, **kw)


def baseline(block_at: datetime, pain: int = 8, days: int = 7, tag: str = "") -> list[EntryRecord]:
    """One entry at 18:00 on each of the `days` days before the block day."""
    return [EntryRecord(f"b{tag}{n}", on_day(block_at, -n), pain) for n in range(1, days + 1)]


def daily(block_at: datetime, pains: list[int], tag: str = "") -> list[EntryRecord]:
    """One entry at 18:00 on days 1, 2, ... after the block."""
    return [EntryRecord(f"a{tag}{n}", on_day(block_at, n), p) for n, p in enumerate(pains, 1)]


def in_window(block_at: datetime, *readings: tuple[int, int], tag: str = "", **kw):
    """(minutes after the block, pain) pairs."""
    return [EntryRecord(f"w{tag}{m}", block_at + timedelta(minutes=m), p, **kw)
            for m, p in readings]


def run(entries, blocks, now=None, settings=None, tz=LON):
    return analyse_patient(entries, blocks, settings or Settings(), tz, now or t(28))


B = t(10, 10)   # the usual block: Friday 10 Jan 2025, 10:00
GOOD_WINDOW = ((30, 4), (60, 3), (120, 3), (240, 5))


def one(entries, blk=None, **kw):
    result = run(entries, [blk or block()], **kw)
    return result.blocks[0]


# ------------------------------------------------------------------------------ verdicts

def test_positive_with_the_numbers_in_the_sentence():
    # B0 = 8 (clinic). Lowest 3 at 11:00: (8 - 3) / 8 = 62.5 %, 5 points.
    # At >= 50 % and >= 2 points: 4 (50 %), 3, 3 -> 3 in a row; 5 (37.5 %) breaks the run.
    a = one(baseline(B, 7) + in_window(B, *GOOD_WINDOW))
    assert a.verdict == "positive"
    assert a.peak.relief_pct == pytest.approx(62.5)
    assert a.peak.points == 5
    assert a.peak.lowest_pain == 3
    assert a.peak.lowest_at == t(10, 11)
    assert a.peak.held == 3
    assert a.peak.n_entries == 4
    assert [r.code for r in a.reasons] == ["relief", "held", "technical"]
    assert a.explanation == ("Positive: pain fell from 8 to 3 (62 %) within 6 h, held on 3 "
                             "readings; foot warmed 2.4 °C.")
    assert a.diagnostic and not a.pending and not a.planned


def test_partial_below_fifty_percent():
    # Lowest 5: (8 - 5) / 8 = 37.5 % -> partial (30-49 %).
    a = one(baseline(B) + in_window(B, (30, 6), (90, 5), (180, 5)))
    assert a.verdict == "partial"
    assert a.peak.relief_pct == pytest.approx(37.5)
    assert a.explanation == ("Partial: pain fell from 8 to 5 (37 %) within 6 h, below the 50 % "
                             "of a positive block; foot warmed 2.4 °C.")


def test_partial_when_fifty_percent_is_not_held_on_two_readings():
    # 3 at 10:30 is 62.5 %, but 6 and 6 after it are 25 %: held on 1 reading only.
    a = one(baseline(B) + in_window(B, (30, 3), (60, 6), (120, 6)))
    assert a.verdict == "partial"
    assert a.peak.held == 1
    assert "held on 1 consecutive reading only (a positive block needs 2)" in a.explanation


def test_partial_when_fifty_percent_is_only_one_point():
    # B0 = 2, lowest 1: 50 % but 1 point (a positive needs 2). Also a low baseline.
    a = one(baseline(B, 2) + in_window(B, (30, 1), (60, 1)), block(pre_pain=2))
    assert a.verdict == "partial"
    assert a.peak.relief_pct == pytest.approx(50.0)
    assert a.peak.points == 1
    assert "only 1 point (a positive block needs 2)" in a.explanation
    assert a.baseline.low


def test_negative():
    # Lowest 6: (8 - 6) / 8 = 25 % < 30 %.
    a = one(baseline(B) + in_window(B, (30, 7), (60, 6), (300, 7)))
    assert a.verdict == "negative"
    assert a.peak.relief_pct == pytest.approx(25.0)
    assert a.explanation == ("Negative: pain fell from 8 to 6 (25 %) within 6 h, less than 30 %; "
                             "foot warmed 2.4 °C.")


def test_negative_when_pain_does_not_fall():
    a = one(baseline(B) + in_window(B, (30, 8), (60, 9)))
    assert a.verdict == "negative"
    assert a.peak.relief_pct == pytest.approx(0.0)
    assert "pain did not fall below 8 within 6 h (lowest 8)" in a.explanation


def test_thirty_percent_exactly_is_partial_and_fifty_exactly_is_positive():
    # B0 = 10: lowest 7 is exactly 30 %; lowest 5 held twice is exactly 50 % and 5 points.
    assert one(in_window(B, (30, 7), (60, 7)), block(pre_pain=10)).verdict == "partial"
    assert one(in_window(B, (30, 5), (60, 5)), block(pre_pain=10)).verdict == "positive"


def test_uninterpretable_somatic_spread_seen_in_clinic():
    a = one(baseline(B) + in_window(B, *GOOD_WINDOW), block(somatic_spread=True))
    assert a.verdict == "uninterpretable"
    assert [r.code for r in a.reasons] == ["somatic_spread"]
    assert a.explanation == ("Uninterpretable because there may have been somatic spread (seen in "
                             "clinic); pain fell from 8 to 3 (62 %) within 6 h; foot warmed "
                             "2.4 °C.")


def test_uninterpretable_numbness_reported_in_the_window():
    entries = baseline(B) + in_window(B, *GOOD_WINDOW)
    entries.append(EntryRecord("numb", t(10, 11, 30), 3, side_effects=frozenset({"leg_numbness"})))
    a = one(entries)
    assert a.verdict == "uninterpretable"
    assert [r.code for r in a.reasons] == ["somatic_spread"]
    assert "leg numbness reported at 11:30" in a.reasons[0].text


def test_weakness_after_the_window_does_not_count():
    entries = baseline(B) + in_window(B, *GOOD_WINDOW)
    entries.append(EntryRecord("late", t(10, 17), 4, side_effects=frozenset({"leg_weakness"})))
    assert one(entries).verdict == "positive"


def test_uninterpretable_rescue_medication_in_the_window():
    entries = baseline(B) + in_window(B, *GOOD_WINDOW)
    entries.append(EntryRecord("pill", t(10, 13), 3, rescue_medication=True))
    a = one(entries)
    assert a.verdict == "uninterpretable"
    assert a.reasons[0].code == "rescue_medication"
    assert "extra pain medicine was taken (reported at 13:00)" in a.explanation


def test_uninterpretable_no_entries_in_the_window():
    a = one(baseline(B) + daily(B, [3, 3]))
    assert a.verdict == "uninterpretable"
    assert [r.code for r in a.reasons] == ["no_entries_in_window"]
    assert a.peak.n_entries == 0 and a.peak.relief_pct is None
    assert a.explanation == ("Uninterpretable because there are no diary readings from 15 min to "
                             "6 h after the block; foot warmed 2.4 °C.")


def test_uninterpretable_technical_success_not_shown():
    # 28.0 -> 29.2: rose 1.2 °C, equivocal.
    a = one(baseline(B) + in_window(B, *GOOD_WINDOW), block(temps_treated={0: 28.0, 15: 29.2}))
    assert a.verdict == "uninterpretable"
    assert [r.code for r in a.reasons] == ["technical_success_not_shown"]
    assert a.explanation == ("Uninterpretable because the block was not shown to have taken (foot "
                             "warmed only 1.2 °C, equivocal); pain fell from 8 to 3 (62 %) within "
                             "6 h.")


def test_uninterpretable_lists_every_reason():
    # Clinic saw spread; extra medicine reported at 10:05 (before the window opens, still
    # counted); nothing in the window; no clinic temperatures.
    entries = baseline(B) + [EntryRecord("early", t(10, 10, 5), 6, rescue_medication=True)]
    a = one(entries, block(somatic_spread=True, temps_treated={}))
    assert a.verdict == "uninterpretable"
    assert [r.code for r in a.reasons] == ["somatic_spread", "rescue_medication",
                                           "no_entries_in_window", "technical_success_not_shown"]
    assert a.explanation == (
        "Uninterpretable because there may have been somatic spread (seen in clinic), extra pain "
        "medicine was taken (reported at 10:05), there are no diary readings from 15 min to 6 h "
        "after the block and the block was not shown to have taken (no clinic foot "
        "temperatures).")
    assert any("first 15 min" in n for n in a.notes)


def test_uninterpretable_without_pre_block_pain():
    a = one(in_window(B, *GOOD_WINDOW), block(pre_pain=None))
    assert a.verdict == "uninterpretable"
    assert [r.code for r in a.reasons] == ["no_pre_block_pain"]
    assert a.baseline.b0 is None
    assert "lowest pain 3 within 6 h" in a.explanation


def test_uninterpretable_when_pain_before_was_zero():
    a = one(in_window(B, (30, 0), (60, 0)), block(pre_pain=0))
    assert [r.code for r in a.reasons] == ["no_pain_to_relieve"]


def test_window_edges():
    # 10:14 is before the window; 16:00 is its last moment; 16:01 is after it.
    entries = in_window(B, (14, 0), (360, 2), (361, 0))
    a = one(entries, block(pre_pain=10))
    assert a.peak.n_entries == 1
    assert a.peak.lowest_pain == 2
    assert a.window_start == t(10, 10, 15) and a.window_end == t(10, 16)


def test_window_hours_setting():
    # With a 4-h window the reading at 5 h (pain 2) is out; the lowest left is 6.
    entries = baseline(B) + in_window(B, (30, 6), (300, 2))
    assert one(entries).peak.lowest_pain == 2
    assert one(entries, settings=Settings(window_hours=4)).peak.lowest_pain == 6


def test_neurolysis_is_judged_by_the_numbers_but_said_not_diagnostic():
    a = one(baseline(B) + in_window(B, *GOOD_WINDOW), block(kind="neurolysis"))
    assert a.verdict == "positive"
    assert not a.diagnostic
    assert a.explanation == (
        "Positive by the same numbers, but a chemical neurolysis is not a diagnostic block: pain "
        "fell from 8 to 3 (62 %) within 6 h, held on 3 readings; foot warmed 2.4 °C.")
    rf = one(baseline(B) + in_window(B, (30, 7)), block(kind="radiofrequency"))
    assert rf.explanation.startswith("Negative by the same numbers, but a radiofrequency lesion is "
                                     "not a diagnostic block: ")


def test_therapeutic_local_anaesthetic_is_diagnostic():
    a = one(baseline(B) + in_window(B, *GOOD_WINDOW), block(kind="therapeutic_la"))
    assert a.diagnostic and a.explanation.startswith("Positive: ")


def test_pending_while_the_window_is_open():
    a = one(baseline(B) + in_window(B, (30, 3)), now=t(10, 11))
    assert a.pending and a.verdict is None
    assert a.explanation == ("Pending until 16:00: 1 of 8 readings so far; so far pain fell "
                             "from 8 to 3 (62 %) within 6 h; foot warmed 2.4 °C.")
    # Asked for in W: 15 and 30 min, then hourly 1-6 h = 8 readings.
    assert a.window_so_far.text == "Readings so far: 1 of 8 — window open until 16:00"
    assert (a.window_so_far.readings, a.window_so_far.asked) == (1, 8)


def test_an_open_window_with_no_readings_yet_is_not_a_fault_yet():
    a = one(baseline(B), now=t(10, 10, 20))
    assert a.pending and a.verdict is None and a.reasons == []
    assert a.explanation == "Pending until 16:00: 0 of 8 readings so far; foot warmed 2.4 °C."
    assert a.window_so_far.text == "Readings so far: 0 of 8 — window open until 16:00"
    # The reasons found so far are still listed while the window is open.
    pill = one(baseline(B) + [EntryRecord("p", t(10, 10, 20), 6, rescue_medication=True)],
               now=t(10, 10, 30))
    assert [r.code for r in pill.reasons] == ["rescue_medication"]


def test_once_the_window_closes_the_usual_words_return():
    a = one(baseline(B) + in_window(B, (30, 3), (60, 3)), now=t(10, 16, 1))
    assert not a.pending and a.window_so_far is None
    assert a.verdict == "positive" and a.explanation.startswith("Positive: ")
    empty = one(baseline(B), now=t(10, 16, 1))
    assert empty.window_so_far is None
    assert [r.code for r in empty.reasons] == ["no_entries_in_window"]


def test_the_window_closes_at_the_patients_local_time():
    # 09:00 UTC on 10 Jun 2025 is 10:00 in London (BST): W ends 16:00 BST.
    june = datetime(2025, 6, 10, 9, tzinfo=UTC)
    a = one(baseline(june), block(when=june), now=june + timedelta(hours=2))
    assert a.window_so_far.text.endswith("window open until 16:00")
    auckland = one(baseline(june), block(when=june), now=june + timedelta(hours=2),
                   tz="Pacific/Auckland")
    assert auckland.window_so_far.text.endswith("window open until 03:00")  # NZST, UTC+12


@pytest.mark.parametrize("hours, start_min, long_acting", [
    (6, 15, False), (4, 15, False), (8, 15, False), (6, 0, False), (6, 45, False),
    (6, 15, True), (4, 60, True)])
def test_the_readings_asked_for_are_the_schedules_in_the_window(hours, start_min, long_acting):
    s = Settings(window_hours=hours, window_start_min=start_min)
    blk = block(long_acting=long_acting)
    a = one(baseline(B), blk, now=B + timedelta(minutes=1), settings=s)
    prompts = [p for p in full_schedule([blk], [], LON, B + timedelta(minutes=1), s)
               if p.kind == "block_day" and a.window_start <= p.due_at <= a.window_end]
    assert a.window_so_far.asked == len(prompts) > 0


def test_a_window_cut_short_by_the_next_block_asks_for_fewer():
    second = block(id=2, when=B + timedelta(hours=3))
    result = run(baseline(B), [block(), second], now=B + timedelta(hours=2))
    first = result.blocks[0]
    # W ends at the next block, 13:00: 15, 30 min, 1, 2 and 3 h.
    assert first.window_so_far.text == "Readings so far: 0 of 5 — window open until 13:00"


def test_planned_block_is_not_judged():
    result = run(baseline(t(20, 10)), [block(when=t(20, 10))], now=t(15))
    a = result.blocks[0]
    assert a.planned and a.verdict is None and a.reasons == []
    assert a.explanation == "Planned for 20 Jan 2025 at 10:00; nothing to judge yet."
    # Baseline: the 7 days before 20 Jan are 13-19 Jan. Entries after `now` are counted too:
    # nothing is silently ignored.
    assert a.baseline.b7_days == 7


def test_a_block_with_no_diary_at_all():
    result = run([], [block()], now=t(20))
    a = result.blocks[0]
    assert a.verdict == "uninterpretable"
    assert [r.code for r in a.reasons] == ["no_entries_in_window"]
    assert a.baseline.b7 is None and a.baseline.b7_days == 0 and a.baseline.thin
    assert a.relief_curve == []
    assert a.duration.dur30 is None and not a.duration.still_relieved and not a.duration.waned
    assert a.duration.note == "No diary entries after the block day yet."
    assert not a.prolonged.present and a.prolonged.note.startswith("Not known: no baseline")
    assert a.walking.meaningful is None
    assert result.daily_means == []
    # The block was 10 days ago, inside the 4 weeks of follow-up: its thin baseline still shows.
    assert result.statuses == ["no_recent_entries", "thin_baseline"]
    assert run([], [block()], now=t(8, month=2)).statuses == ["no_recent_entries"]
    assert not result.repeat_due


# ---------------------------------------------------------------------- technical success

def tech(temps, other=None, settings=None, **kw):
    entries = in_window(B, *GOOD_WINDOW)
    blk = block(temps_treated=temps, temps_other=other or {}, **kw)
    return one(entries, blk, settings=settings).technical


def test_technical_confirmed_by_a_rise_of_two_degrees():
    # 28.4 -> 30.4 is 2.0 °C (1.9999... in binary): confirmed, as the screen shows 2.0.
    ts = tech({0: 28.4, 30: 30.4})
    assert ts.grade == "confirmed" and ts.rise_c == 2.0 and ts.peak_c == 30.4
    assert ts.rule == "the treated foot warmed 2.0 °C within 30 min (confirmed at 2.0 °C or more)"


def test_technical_equivocal_and_not_confirmed():
    assert tech({0: 28.0, 15: 29.0}).grade == "equivocal"        # 1.0
    assert tech({0: 28.0, 15: 29.9}).grade == "equivocal"        # 1.9
    ts = tech({0: 28.0, 15: 28.9})                               # 0.9
    assert ts.grade == "not_confirmed" and ts.summary == "foot warmed only 0.9 °C"
    ts = tech({0: 28.0, 10: 27.6})
    assert ts.grade == "not_confirmed" and ts.summary == "foot did not warm (-0.4 °C)"


def test_technical_confirmed_by_reaching_33_degrees():
    # Rose only 1.1 °C, but reached 33.1 °C.
    ts = tech({0: 32.0, 10: 33.1})
    assert ts.grade == "confirmed" and ts.rise_c == 1.1
    assert ts.summary == "foot reached 33.1 °C"
    assert "33.0 °C or warmer" in ts.rule
    assert tech({0: 32.0, 10: 32.9}).grade == "not_confirmed"


def test_technical_only_looks_within_the_rule_minutes():
    # The 30-min reading is outside a 20-min rule: nothing left after the block.
    ts = tech({0: 28.0, 30: 31.0}, settings=Settings(temp_rise_within_min=20))
    assert ts.grade == "unknown"
    assert ts.summary == "no clinic foot temperature within 20 min after the block"
    assert tech({30: 31.0}).summary == "no clinic foot temperature before the block"


def test_technical_unknown_without_temperatures():
    ts = tech({})
    assert ts.grade == "unknown" and ts.rise_c is None
    assert ts.summary == "no clinic foot temperatures"


def test_technical_override():
    ts = tech({0: 28.0, 10: 28.5}, confirmed_other_means=True)
    assert ts.grade == "overridden"
    assert ts.summary == "block confirmed by other means (foot warmed 0.5 °C)"
    assert tech({}, confirmed_other_means=True).grade == "overridden"
    # The override makes the window readable: the block is positive.
    a = one(baseline(B) + in_window(B, *GOOD_WINDOW),
            block(temps_treated={}, confirmed_other_means=True))
    assert a.verdict == "positive"
    assert a.explanation.endswith("; block confirmed by other means.")


def test_differential_rule_only_when_switched_on():
    # Treated 28.0 -> 29.8 (+1.8, equivocal); other 28.0 -> 28.1 (+0.1): difference 1.7.
    treated, other = {0: 28.0, 10: 29.8}, {0: 28.0, 10: 28.1}
    assert tech(treated, other).grade == "equivocal"
    ts = tech(treated, other, settings=Settings(use_differential_rise=True))
    assert ts.grade == "confirmed" and ts.differential_c == 1.7
    assert ts.summary == "treated foot warmed 1.7 °C more than the other"
    # Both feet warmed alike: difference 0.2, still equivocal.
    ts = tech(treated, {0: 28.0, 10: 29.6}, settings=Settings(use_differential_rise=True))
    assert ts.grade == "equivocal" and ts.differential_c == 0.2


# ------------------------------------------------------------------------------ baseline

def test_b7_is_the_mean_of_daily_means():
    # 9 Jan: 6 and 8 (mean 7); 7 Jan: 4; 5 Jan: 3, 5, 7 (mean 5); 2 Jan (8 days before): ignored.
    entries = [EntryRecord("a", t(9, 8), 6), EntryRecord("b", t(9, 20), 8),
               EntryRecord("c", t(7), 4),
               EntryRecord("d", t(5, 8), 3), EntryRecord("e", t(5, 12), 5),
               EntryRecord("f", t(5, 16), 7),
               EntryRecord("g", t(2), 10)]
    bl = one(entries).baseline
    assert bl.b7 == pytest.approx((7 + 4 + 5) / 3)   # 5.333
    assert bl.b7_days == 3 and not bl.thin
    assert bl.b0 == 8 and bl.b0_source == "clinic"


def test_thin_baseline():
    bl = one(baseline(B, 8, days=2)).baseline
    assert bl.thin and bl.b7_days == 2 and bl.b7 == 8
    assert ("Baseline thin: 2 days of diary in the 7 days before the block (at least 3 needed)."
            in bl.warnings)


def test_low_baseline():
    bl = one(baseline(B, 3), block(pre_pain=3)).baseline
    assert bl.low
    assert ("Baseline low: pre-block pain 3/10 and B7 3.0/10 (below 4/10), so relief is hard to "
            "show." in bl.warnings)
    assert not one(baseline(B, 4), block(pre_pain=4)).baseline.low


def test_b0_from_the_last_diary_entry_within_two_hours():
    entries = [EntryRecord("old", t(10, 7, 59), 9), EntryRecord("x", t(10, 8, 30), 7),
               EntryRecord("y", t(10, 9, 40), 6)]
    bl = one(entries, block(pre_pain=None)).baseline
    assert bl.b0 == 6 and bl.b0_source == "diary entry at 09:40" and bl.b0_entry_id == "y"
    # Only the 07:59 entry: more than 2 h before, so no B0.
    bl = one(entries[:1], block(pre_pain=None)).baseline
    assert bl.b0 is None and bl.warnings[0].startswith("No pre-block pain")


# --------------------------------------------------------------------- curve and duration

# Baseline 8 on each of 7 days: B7 = 8. Days 1-9 after the block, one entry a day:
#   pain     2    2    2    4      6     6      8      8      8
#   rolling  2    2    2    8/3    4     16/3   20/3   22/3   8      (last 3 diary days)
#   relief  75   75   75   66.67  50.0  33.33  16.67  8.33   0
# dur50: first 2 diary days in a row below 50 % start on day 6 (day 5 is exactly 50).
# dur30: days 7 and 8 -> 7. Back to baseline (< 10 %): days 8 and 9 -> 8.
WANING = [2, 2, 2, 4, 6, 6, 8, 8, 8]


def test_relief_curve_and_durations():
    a = one(baseline(B) + in_window(B, *GOOD_WINDOW) + daily(B, WANING))
    days = [p.day for p in a.relief_curve]
    relief = [p.relief_pct for p in a.relief_curve]
    assert days == list(range(1, 10))
    assert relief == pytest.approx([75, 75, 75, 66.6667, 50, 33.3333, 16.6667, 8.3333, 0],
                                   abs=1e-3)
    d = a.duration
    assert (d.dur50, d.dur30, d.back_to_baseline) == (6, 7, 8)
    assert d.waned and not d.still_relieved and d.days_so_far == 9
    assert d.note == "Relief waned on day 7 (below 30 % on 2 diary days in a row)."


def test_days_without_entries_are_skipped_not_zero():
    # Diary days 1, 2, 3, 5, 6, 9 with pain 2, 2, 2, 8, 8, 8:
    #   day 5: (2+2+8)/3 = 4 -> 50 %; day 6: (2+8+8)/3 = 6 -> 25 %; day 9: 8 -> 0 %.
    # Days 6 and 9 are consecutive diary days below 50 % and 30 %: dur50 = dur30 = 6.
    # Below 10 % only on day 9: not back to baseline yet.
    entries = baseline(B) + [EntryRecord(f"x{n}", on_day(B, n), p)
                             for n, p in ((1, 2), (2, 2), (3, 2), (5, 8), (6, 8), (9, 8))]
    a = one(entries)
    assert [p.day for p in a.relief_curve] == [1, 2, 3, 5, 6, 9]
    assert [p.relief_pct for p in a.relief_curve] == pytest.approx([75, 75, 75, 50, 25, 0])
    assert (a.duration.dur50, a.duration.dur30, a.duration.back_to_baseline) == (6, 6, None)


def test_block_day_never_mixes_into_the_curve():
    # Pain 0 on the block day (in the window) and 8 on day 1: day 1 relief is 0, not better.
    a = one(baseline(B) + in_window(B, (30, 0), (60, 0)) + daily(B, [8]))
    assert a.relief_curve == [(1, 0.0)]


def test_still_relieved():
    a = one(baseline(B) + daily(B, [2, 2, 2, 2, 2]))
    d = a.duration
    assert d.dur50 is None and d.dur30 is None and d.back_to_baseline is None
    assert d.still_relieved and not d.waned and d.days_so_far == 5
    assert d.note == "Still relieved on day 5 (75 %)."


def test_one_day_below_is_not_yet_waned():
    # Day 1: 2 -> 75 %; day 2: (2+8)/2 = 5 -> 37.5 %; day 3: 6 -> 25 %: one day below 30 %.
    d = one(baseline(B) + daily(B, [2, 8, 8])).duration
    assert d.dur30 is None and not d.still_relieved and not d.waned
    assert d.note.startswith("Relief below 30 % on day 3 (25 %)")


def test_curve_without_baseline_has_no_values():
    a = one(daily(B, [2, 2, 8]))
    assert a.relief_curve == [(1, None), (2, None), (3, None)]
    assert a.duration.note == "No baseline (B7) to measure relief against."


def test_relief_is_floored_at_minus_100():
    # B7 = 2, day 1 pain 10: (2 - 10) / 2 = -400 % -> shown as -100 %.
    a = one(baseline(B, 2) + daily(B, [10]), block(pre_pain=2))
    assert a.relief_curve == [(1, -100.0)]


def test_curve_stops_at_the_next_block():
    # Second block on 15 Jan: block 1 has days 1-4 (11-14 Jan); 15 Jan onwards belong to block 2.
    second = block(2, t(15, 10))
    entries = baseline(B) + daily(B, [2, 2, 2, 2, 2, 2, 2, 2])
    result = run(entries, [block(), second])
    first, then = result.blocks
    assert [p.day for p in first.relief_curve] == [1, 2, 3, 4]
    assert first.duration.still_relieved
    assert first.duration.note == ("Still relieved on day 4 (75 %). The next block followed on "
                                   "15 Jan 2025.")
    assert [p.day for p in then.relief_curve] == [1, 2, 3]


def test_window_cut_short_by_a_next_block_the_same_day():
    # A second block at 13:00: the 14:00 reading (pain 1) is the second block's.
    second = block(2, t(10, 13))
    entries = in_window(B, (30, 4), (60, 4)) + [EntryRecord("later", t(10, 14), 1)]
    first, then = run(entries, [block(), second]).blocks
    assert first.window_end == t(10, 13)
    assert first.peak.lowest_pain == 4 and first.peak.n_entries == 2
    assert then.peak.lowest_pain == 1
    assert "The window was cut short at 13:00 by the next block." in first.notes


# ------------------------------------------------------------------------------ prolonged

def test_prolonged_response():
    # Window ends 16:00 on 10 Jan; 24 h later is 11 Jan 16:00, day 1. Day 1 mean 2 vs B7 8: 75 %.
    p = one(baseline(B) + daily(B, [2, 8])).prolonged
    assert p.present and p.day == 1 and p.date == date(2025, 1, 11)
    assert p.relief_pct == pytest.approx(75)
    assert p.note == ("Prolonged: mean pain 2.0 on day 1 (11 Jan 2025) against B7 8.0 is 75 % "
                      "relief (prolonged at 50 % or more).")
    # Day 1 mean 5: 37.5 %.
    p = one(baseline(B) + daily(B, [5])).prolonged
    assert not p.present and p.relief_pct == pytest.approx(37.5)


def test_prolonged_checks_the_day_24_h_after_the_window():
    # A block at 20:00: the window ends 02:00 on 11 Jan, so the check is on 12 Jan, day 2.
    late = t(10, 20)
    p = one(baseline(late) + daily(late, [8, 2]), block(when=late)).prolonged
    assert p.present and p.day == 2
    p = one(baseline(late) + daily(late, [2]), block(when=late)).prolonged
    assert not p.present and p.note == "Not known: no diary entries on day 2 (12 Jan 2025)."


def test_prolonged_makes_a_repeat_possible_after_an_uninterpretable_block():
    entries = baseline(B) + daily(B, [2, 2, 2, 4, 6, 6, 8, 8, 8])  # nothing in the window
    result = run(entries, [block()], now=t(25))
    assert result.blocks[0].verdict == "uninterpretable" and result.blocks[0].prolonged.present
    assert result.repeat_due
    assert "followed by prolonged relief" in result.repeat_reason


# ------------------------------------------------------------------- repeat and projection

def test_repeat_due_after_a_positive_block_has_waned():
    # WANING: dur30 = 7. Now 25 Jan: 15 days since 10 Jan.
    result = run(baseline(B) + in_window(B, *GOOD_WINDOW) + daily(B, WANING), [block()],
                 now=t(25))
    assert result.repeat_due
    assert result.repeat_reason == ("Repeat due: the block on 10 Jan 2025 was positive, relief "
                                    "waned on day 7 and 15 days have passed (at least 7).")
    assert "repeat_due" in result.statuses


def test_repeat_not_due_before_seven_days():
    # Day 1: 2 -> 75 %; day 2: 5 -> 37.5 %; day 3: 6 -> 25 %; day 4: 8 -> 0 %: dur30 = 3.
    entries = baseline(B) + in_window(B, *GOOD_WINDOW) + daily(B, [2, 8, 8, 8, 8, 8])
    early = run(entries, [block()], now=t(16, 9))
    assert early.blocks[0].duration.dur30 == 3
    assert not early.repeat_due
    assert early.repeat_reason == ("Not due yet: relief from the block on 10 Jan 2025 waned on "
                                   "day 3, but only 6 days have passed (at least 7).")
    assert run(entries, [block()], now=t(17, 9)).repeat_due


def test_repeat_not_due_when_not_positive_or_still_relieved_or_booked():
    # Day 1: 5 -> 37.5 % (not prolonged); day 2: 6.5 -> 18.75 %; day 3: 7 -> 12.5 %: waned.
    negative = run(baseline(B) + in_window(B, (30, 7)) + daily(B, [5, 8, 8]), [block()],
                   now=t(25))
    assert negative.blocks[0].duration.dur30 == 2
    assert not negative.repeat_due
    assert negative.repeat_reason == ("Not due: the block on 10 Jan 2025 was negative, not "
                                      "positive, and gave no prolonged relief.")
    relieved = run(baseline(B) + in_window(B, *GOOD_WINDOW) + daily(B, [2] * 12), [block()],
                   now=t(25))
    assert not relieved.repeat_due
    assert relieved.repeat_reason == ("Not due: relief from the block on 10 Jan 2025 has not "
                                      "waned yet (still relieved on day 12).")
    booked = run(baseline(B) + in_window(B, *GOOD_WINDOW) + daily(B, WANING),
                 [block(), block(2, t(30, 10))], now=t(25))
    assert not booked.repeat_due
    assert booked.repeat_reason == "Not due: the next block is already booked for 30 Jan 2025."
    assert not run([], [], now=t(25)).repeat_due


def episode(at: datetime, days_of_two: int, tag: str, pains_after=(4, 6, 6, 8, 8, 8)):
    """Baseline 8, a positive window, then `days_of_two` days at 2 and a fall back.

    With the default tail the waning day (dur30) is days_of_two + 4 (see WANING: 3 -> 7).
    """
    return (baseline(at, tag=tag) + in_window(at, *GOOD_WINDOW, tag=tag)
            + daily(at, [2] * days_of_two + list(pains_after), tag=tag))


def test_projected_repeat_date_is_the_median_earlier_duration():
    # Earlier blocks (same kind) waned on days 7 and 10: median 8.5, rounded down to 8.
    # The last block is on 10 Mar: projected 18 Mar.
    b1, b2, b3 = t(10, 10), t(10, 10, month=2), t(10, 10, month=3)
    entries = episode(b1, 3, "x") + episode(b2, 6, "y") + episode(b3, 1, "z")
    blocks = [block(1, b1), block(2, b2), block(3, b3)]
    result = run(entries, blocks, now=t(12, month=3))
    assert [a.duration.dur30 for a in result.blocks[:2]] == [7, 10]
    assert result.projected_repeat_date == date(2025, 3, 18)
    assert result.projected_repeat_reason == (
        "18 Mar 2025: the block on 10 Mar 2025 plus the median time until relief waned (8.5 "
        "days) of 2 earlier diagnostic local anaesthetic blocks.")


def test_no_projected_date_without_earlier_blocks_of_the_same_kind():
    b1, b2 = t(10, 10), t(10, 10, month=2)
    entries = episode(b1, 3, "x")
    result = run(entries, [block(1, b1, kind="therapeutic_la"), block(2, b2)],
                 now=t(12, month=2))
    assert result.projected_repeat_date is None
    assert result.projected_repeat_reason == (
        "No earlier diagnostic local anaesthetic block with a known time until relief waned, "
        "so no date can be projected.")


# ---------------------------------------------------------------------------- series review

def test_series_review_when_relief_does_not_lengthen_over_two_blocks():
    # dur30: 10, 7, 7 -> neither the second nor the third lasted longer than the one before.
    b1, b2, b3 = t(10, 10), t(10, 10, month=2), t(10, 10, month=3)
    entries = episode(b1, 6, "x") + episode(b2, 3, "y") + episode(b3, 3, "z")
    blocks = [block(1, b1), block(2, b2), block(3, b3)]
    result = run(entries, blocks, now=t(28, month=3))
    assert [a.duration.dur30 for a in result.blocks] == [10, 7, 7]
    assert result.series_review
    assert result.series_review_reasons == [
        "Relief did not last longer over 2 successive blocks (days until relief waned: "
        "10 → 7 → 7)."]
    assert "series_review" in result.statuses


def test_no_series_review_when_relief_lengthened():
    # dur30: 7, 10, 7: the second block lasted longer, so only one block did not lengthen.
    b1, b2, b3 = t(10, 10), t(10, 10, month=2), t(10, 10, month=3)
    entries = episode(b1, 3, "x") + episode(b2, 6, "y") + episode(b3, 3, "z")
    result = run(entries, [block(1, b1), block(2, b2), block(3, b3)], now=t(28, month=3))
    assert not result.series_review


def test_a_running_block_that_already_outlasted_the_last_one_counts_as_longer():
    # dur30 10, 7; the third is still relieved on day 12 (> 7): it has lengthened.
    b1, b2, b3 = t(10, 10), t(10, 10, month=2), t(10, 10, month=3)
    entries = episode(b1, 6, "x") + episode(b2, 3, "y") + episode(b3, 12, "z", pains_after=())
    result = run(entries, [block(1, b1), block(2, b2), block(3, b3)], now=t(28, month=3))
    assert result.blocks[2].duration.still_relieved
    assert not result.series_review


def test_series_review_after_three_blocks_without_a_positive_response():
    # No diary at all: each block is uninterpretable, so none was positive.
    blocks = [block(1, t(10, 10)), block(2, t(10, 10, month=2)), block(3, t(10, 10, month=3))]
    result = run([], blocks, now=t(20, month=3))
    assert result.series_review_reasons == [
        "3 local-anaesthetic blocks in a row without a positive response (10 Jan 2025 "
        "uninterpretable, 10 Feb 2025 uninterpretable, 10 Mar 2025 uninterpretable)."]
    assert not run([], blocks[:2], now=t(20, month=3)).series_review


def test_frequency_cap():
    # Seven local-anaesthetic blocks a month apart: 7 in 12 months (more than 6).
    blocks = [block(i, t(10, 10, month=i)) for i in range(1, 8)]
    result = run([], blocks, now=t(20, month=7))
    assert result.frequency_warning and result.la_blocks_12m == 7
    assert result.frequency_reason == ("7 local-anaesthetic blocks in the 12 months to 10 Jul "
                                       "2025 (more than 6).")
    six = run([], blocks[:6], now=t(20, month=7))
    assert not six.frequency_warning and six.la_blocks_12m == 6
    # A neurolysis is not a local-anaesthetic block.
    mixed = blocks[:6] + [block(7, t(10, 10, month=7), kind="neurolysis")]
    assert not run([], mixed, now=t(20, month=7)).frequency_warning


def test_frequency_cap_counts_a_365_day_span():
    # Blocks 61 days apart: 0, 61, ... 366. Any 365 days hold at most 6 of the 7.
    start = t(1, 10)
    blocks = [block(i, start + timedelta(days=61 * i)) for i in range(7)]
    result = run([], blocks, now=start + timedelta(days=370))
    assert result.la_blocks_12m == 6 and not result.frequency_warning


def test_booked_blocks_count_towards_the_frequency_cap():
    blocks = [block(i, t(10, 10, month=i)) for i in range(1, 8)]
    assert run([], blocks, now=t(20, month=6)).frequency_warning  # the 7th is booked for July


# ------------------------------------------------------------------------ asymmetry, walking

def temps(id, when, treated, other):
    return EntryRecord(id, when, 5, temp_treated_c=treated, temp_other_c=other)


def test_asymmetry_outside_the_first_day_after_a_block():
    entries = [temps("pre", t(8), 30.0, 28.8),           # +1.2, before the block: patient only
               temps("in24", t(10, 12), 32.0, 30.0),     # +2.0 within 24 h: not flagged
               temps("flag1", t(12), 30.0, 28.5),        # +1.5
               temps("edge", t(13), 30.0, 29.0),         # 1.0 exactly: not over 1.0
               temps("flag2", t(14), 28.0, 29.3)]        # -1.3
    result = run(entries, [block()])
    a = result.blocks[0].asymmetry
    assert (a.count, a.readings, a.excluded) == (2, 3, 1)
    assert a.latest_entry_id == "flag2" and a.latest_diff_c == pytest.approx(-1.3)
    assert a.latest_at == t(14)
    p = result.asymmetry
    assert (p.count, p.readings, p.excluded) == (3, 4, 1)


def walk(id, when, pain_free=None, maximal=None, did_not_walk=False):
    return EntryRecord(id, when, 5, walk_pain_free_min=pain_free, walk_max_min=maximal,
                       did_not_walk=did_not_walk)


def test_walking_gain_is_meaningful():
    # Before: last 3 walking days of 3-9 Jan: 7, 8, 9 Jan: pain-free 2, 2, 3 (mean 7/3), max 10.
    # 6 Jan (pain-free 20) is a fourth day back: left out. After: 11-13 Jan: 4, 4, 4.
    # Gain 4 - 7/3 = 1.667 min (>= 1 min): meaningful. Max 10 -> 10: no gain.
    entries = [walk("b6", t(6), 20, 30), walk("b7", t(7), 2, 10), walk("b8", t(8), 2, 10),
               walk("b9", t(9), 3, 10), walk("nw", t(9, 20), did_not_walk=True),
               walk("a1", t(11), 4, 10), walk("a2", t(12), 4, 10), walk("a3", t(13), 4, 10),
               walk("a4", t(14), 30, 60)]
    w = one(entries).walking
    assert w.pain_free_before == pytest.approx(7 / 3) and w.pain_free_after == 4
    assert w.pain_free_gain_min == pytest.approx(5 / 3)
    assert w.pain_free_gain_pct == pytest.approx(71.4286, abs=1e-3)   # (5/3) / (7/3)
    assert w.max_before == 10 and w.max_after == 10 and w.max_gain_min == 0
    assert w.meaningful is True


def test_walking_gain_too_small_or_meaningful_by_percent():
    # 10 -> 10.5 min: +0.5 min, +5 %: not meaningful.
    small = [walk("b", t(9), 10), walk("a", t(11), 10), walk("a2", t(12), 11)]
    w = one(small).walking
    assert w.pain_free_gain_min == pytest.approx(0.5) and w.meaningful is False
    # 1 -> 1.5 min: +0.5 min but +50 % (>= 30 %): meaningful.
    pct = [walk("b", t(9), 1), walk("a", t(11), 1), walk("a2", t(12), 2)]
    w = one(pct).walking
    assert w.pain_free_gain_pct == pytest.approx(50) and w.meaningful is True


# ------------------------------------------------------------------------------ time zones

def test_new_york_local_days_differ_from_utc_days():
    # New York is UTC-5 in January. Block 10 Jan 23:30 local = 11 Jan 04:30 UTC.
    ny = "America/New_York"
    blk = block(when=datetime(2025, 1, 11, 4, 30, tzinfo=UTC), pre_pain=None)
    entries = [
        EntryRecord("outside", datetime(2025, 1, 3, 3, tzinfo=UTC), 10),  # 2 Jan 22:00: 8 days back
        EntryRecord("d3", datetime(2025, 1, 3, 6, tzinfo=UTC), 6),        # 3 Jan 01:00
        EntryRecord("d9", datetime(2025, 1, 10, 2, tzinfo=UTC), 8),       # 9 Jan 21:00
        EntryRecord("d9b", datetime(2025, 1, 9, 15, tzinfo=UTC), 7),      # 9 Jan 10:00
        EntryRecord("pre", datetime(2025, 1, 11, 3, tzinfo=UTC), 8),      # 10 Jan 22:00: B0
        EntryRecord("w1", datetime(2025, 1, 11, 5, 30, tzinfo=UTC), 3),   # 11 Jan 00:30 local
        EntryRecord("w2", datetime(2025, 1, 11, 6, 30, tzinfo=UTC), 3),   # 01:30 local
        EntryRecord("day1", datetime(2025, 1, 12, 3, tzinfo=UTC), 4),     # 11 Jan 22:00 local
    ]
    result = run(entries, [blk], tz=ny, now=t(20))
    a = result.blocks[0]
    assert a.local_date == date(2025, 1, 10)
    # B7 days: 3 Jan (6) and 9 Jan (8 and 7 -> 7.5): (6 + 7.5) / 2 = 6.75, 2 days: thin.
    assert a.baseline.b7 == pytest.approx(6.75) and a.baseline.b7_days == 2 and a.baseline.thin
    assert a.baseline.b0 == 8 and a.baseline.b0_source == "diary entry at 22:00"
    # Both window readings are after local midnight, still in the window.
    assert a.peak.n_entries == 2 and a.verdict == "positive"
    # Day 1 is 11 Jan local: the two window readings and 22:00: (3 + 3 + 4) / 3 = 10/3.
    assert a.relief_curve == [(1, pytest.approx(100 * (6.75 - 10 / 3) / 6.75))]
    by_day = {d.date: d for d in result.daily_means}
    assert by_day[date(2025, 1, 9)] == (date(2025, 1, 9), 7.5, 7, 8, 2)
    assert by_day[date(2025, 1, 11)].n == 3


def test_auckland_local_day_is_ahead_of_utc():
    # Auckland is UTC+13 in January. Block 10 Jan 09:00 local = 9 Jan 20:00 UTC.
    akl = "Pacific/Auckland"
    blk = block(when=datetime(2025, 1, 9, 20, tzinfo=UTC))
    entries = [
        EntryRecord("base", datetime(2025, 1, 9, 10, tzinfo=UTC), 8),     # 9 Jan 23:00: baseline
        EntryRecord("same", datetime(2025, 1, 9, 11, tzinfo=UTC), 1),     # 10 Jan 00:00: block day
        EntryRecord("w1", datetime(2025, 1, 9, 21, tzinfo=UTC), 2),       # 10:00 local
        EntryRecord("w2", datetime(2025, 1, 9, 22, tzinfo=UTC), 2),
        EntryRecord("d1", datetime(2025, 1, 10, 10, 30, tzinfo=UTC), 4),  # 10 Jan 23:30: block day
        EntryRecord("d1b", datetime(2025, 1, 10, 11, 30, tzinfo=UTC), 4),  # 11 Jan 00:30: day 1
    ]
    result = run(entries, [blk], tz=akl, now=t(20))
    a = result.blocks[0]
    assert a.local_date == date(2025, 1, 10)
    assert a.baseline.b7 == 8 and a.baseline.b7_days == 1
    # Day 1 only holds d1b: (8 - 4) / 8 = 50 %.
    assert a.relief_curve == [(1, 50.0)]
    assert [d.date for d in result.daily_means] == [date(2025, 1, 9), date(2025, 1, 10),
                                                    date(2025, 1, 11)]
    assert result.daily_means[1] == (date(2025, 1, 10), 9 / 4, 1, 4, 4)


# ------------------------------------------------------------------------------- statuses

def test_status_awaiting_block_day_readings():
    result = run(baseline(B), [block()], now=t(10, 12))
    assert result.blocks[0].pending
    assert result.statuses == ["awaiting_block_day_readings"]
    enough = run(baseline(B) + in_window(B, (30, 4), (60, 4)), [block()], now=t(10, 12))
    assert "awaiting_block_day_readings" not in enough.statuses


def test_status_relief_waning():
    # Days 1-7: 2 2 2 4 6 6 6 -> relief 75 75 75 66.7 50 33.3 25: below 50 % on days 6 and 7
    # (dur50 = 6) but below 30 % on day 7 only: wearing off, not waned.
    entries = baseline(B) + in_window(B, *GOOD_WINDOW) + daily(B, [2, 2, 2, 4, 6, 6, 6])
    result = run(entries, [block()], now=t(18, 9))
    d = result.blocks[0].duration
    assert (d.dur50, d.dur30) == (6, None)
    assert result.statuses == ["relief_waning"]


def test_status_no_recent_entries_and_thin_baseline():
    # A block booked for 20 Jan, two baseline days so far, last entry on 14 Jan.
    entries = [EntryRecord("a", t(13), 7), EntryRecord("b", t(14), 7)]
    result = run(entries, [block(when=t(20, 10))], now=t(17, 12, 1))
    assert result.statuses == ["no_recent_entries", "thin_baseline"]
    recent = run(entries, [block(when=t(20, 10))], now=t(17, 11, 59))
    assert recent.statuses == ["thin_baseline"]


def test_status_labels_cover_the_codes():
    assert set(STATUS_LABELS) == {"wound", "repeat_due", "relief_waning",
                                  "awaiting_block_day_readings", "no_recent_entries",
                                  "thin_baseline", "series_review"}
    assert all(STATUS_LABELS.values())


# ----------------------------------------------------------------------- daily means, input

def test_daily_means():
    entries = [EntryRecord("a", t(5, 8), 3), EntryRecord("b", t(5, 20), 6),
               EntryRecord("c", t(5, 23, 59), 9), EntryRecord("d", t(6, 0, 0), 1)]
    result = run(entries, [])
    assert result.daily_means == [(date(2025, 1, 5), 6.0, 3, 9, 3),
                                  (date(2025, 1, 6), 1.0, 1, 1, 1)]
    assert result.blocks == [] and result.last_entry_at == t(6, 0)


def test_input_in_any_order_gives_the_same_result():
    entries = baseline(B) + in_window(B, *GOOD_WINDOW) + daily(B, WANING)
    blocks = [block(1), block(2, t(10, 10, month=2))]
    forward = run(entries, blocks)
    assert run(list(reversed(entries)), list(reversed(blocks))) == forward


def test_bad_input_is_refused_not_ignored():
    naive = datetime(2025, 1, 5, 12)
    with pytest.raises(ValueError, match="timezone-aware"):
        run([EntryRecord("a", naive, 3)], [])
    with pytest.raises(ValueError, match="pain must be"):
        run([EntryRecord("a", t(5), 11)], [])
    with pytest.raises(ValueError, match="unknown kind"):
        run([], [block(kind="acupuncture")])
    with pytest.raises(ValueError, match="timezone-aware"):
        analyse_patient([], [], Settings(), LON, naive)


# ------------------------------------------------------------------------------- settings

def test_settings_defaults_match_clinical_md():
    expected = {
        "temp_rise_confirmed_c": 2.0, "temp_rise_equivocal_c": 1.0, "temp_absolute_c": 33.0,
        "temp_rise_within_min": 30, "use_differential_rise": False, "differential_rise_c": 1.5,
        "baseline_days": 7, "baseline_min_days": 3, "low_baseline": 4, "b0_lookback_hours": 2,
        "window_start_min": 15, "window_hours": 6, "positive_pct": 50, "positive_points": 2,
        "positive_consecutive": 2, "partial_pct": 30, "prolonged_pct": 50,
        "prolonged_hours_after_window": 24, "rolling_days": 3, "dur50_pct": 50, "dur30_pct": 30,
        "consecutive_days_below": 2, "back_to_baseline_pct": 10, "repeat_min_days": 7,
        "series_blocks_without_positive": 3, "series_no_lengthening": 2, "max_la_blocks_12m": 6,
        "asymmetry_c": 1.0, "asymmetry_exclude_hours": 24, "walk_days": 3, "walk_gain_min": 1.0,
        "walk_gain_pct": 30, "no_recent_entries_days": 3,
        "checkpoint_near_days": 3, "checkpoint_far_days": 7, "rest_pain_nights_days": 7,
        "pgic_high_relief_pct": 50, "pgic_low_relief_pct": 30, "touch_after_days": 7,
        "touch_change_points": 0.5,
    }
    assert Settings().as_dict() == expected


def test_every_setting_has_limits_a_label_and_a_default_inside_them():
    s = Settings()
    assert set(SETTING_LIMITS) == set(s.as_dict())
    for name, (lo, hi, label, unit, source) in SETTING_LIMITS.items():
        assert label and isinstance(unit, str) and source, name
        assert lo <= getattr(s, name) <= hi, name
        assert type(lo) is type(hi), name


def test_the_settings_table_in_clinical_md_matches_the_code():
    """docs/clinical.md, "Settings": one row per setting with its default, range, unit and the
    same source the settings page shows."""
    text = (Path(__file__).resolve().parents[2] / "docs" / "clinical.md").read_text()
    rows = {}
    for line in text.splitlines():
        cells = [c.strip() for c in line.strip("|").split("|")]
        if line.startswith("| `") and len(cells) == 6:
            rows[cells[0].strip("`")] = cells

    def shown(v):
        return ("on" if v else "off") if isinstance(v, bool) else (
            f"{v:.1f}" if isinstance(v, float) else str(v))

    assert set(rows) == set(SETTING_LIMITS)
    for name, limit in SETTING_LIMITS.items():
        _name, _meaning, default, allowed, unit, source = rows[name]
        assert default == shown(getattr(Settings(), name)), name
        span = "on / off" if isinstance(limit.lo, bool) else f"{shown(limit.lo)}–{shown(limit.hi)}"
        assert allowed == span, name
        assert unit == (limit.unit or "—"), name
        assert source == limit.source, name


def test_percentages_are_1_to_99_and_window_4_to_8_hours():
    for name in ("positive_pct", "partial_pct", "dur50_pct", "dur30_pct", "back_to_baseline_pct",
                 "walk_gain_pct", "prolonged_pct", "pgic_high_relief_pct",
                 "pgic_low_relief_pct"):
        assert SETTING_LIMITS[name][:2] == (1, 99)
    assert SETTING_LIMITS["window_hours"][:2] == (4, 8)


def test_settings_from_mapping():
    s = Settings.from_mapping({"window_hours": "8", "asymmetry_c": "1.5", "positive_pct": 60,
                               "use_differential_rise": "on", "nonsense": 3, "partial_pct": None,
                               "low_baseline": ""})
    assert s.window_hours == 8 and s.asymmetry_c == 1.5 and s.positive_pct == 60
    assert s.use_differential_rise is True and s.partial_pct == 30 and s.low_baseline == 4
    assert Settings.from_mapping(s.as_dict()) == s
    assert Settings.from_mapping({}) == Settings()


def test_settings_out_of_range_are_refused():
    with pytest.raises(SettingsError) as err:
        Settings.from_mapping({"window_hours": 12, "positive_pct": "abc", "asymmetry_c": "nan"})
    assert set(err.value.errors) == {"window_hours", "positive_pct", "asymmetry_c"}
    assert err.value.errors["window_hours"] == "must be between 4 and 8"
    with pytest.raises(SettingsError):
        Settings.from_mapping({"window_hours": "6.5"})     # whole hours only
    with pytest.raises(SettingsError):
        Settings(positive_points=True)
    with pytest.raises(SettingsError) as err:
        Settings(partial_pct=60)                           # above the positive threshold
    assert "partial_pct" in err.value.errors


def test_a_changed_setting_changes_the_verdict():
    # 37.5 % relief: partial by default, positive when 35 % is enough.
    entries = baseline(B) + in_window(B, (30, 5), (90, 5))
    assert one(entries).verdict == "partial"
    assert one(entries, settings=Settings(positive_pct=35, partial_pct=20)).verdict == "positive"


def test_vocabularies_are_used():
    a = one(baseline(B) + in_window(B, *GOOD_WINDOW))
    assert a.verdict in vocab.VERDICTS and a.technical.grade in vocab.TECHNICAL_SUCCESS


def test_zero_baseline_does_not_break_the_analysis():
    """Found by the property tests: B7 = 0 and a reading the day after must not crash."""
    from datetime import UTC, datetime, timedelta

    from diary.clinical.analysis import analyse_patient
    from diary.clinical.records import BlockRecord, EntryRecord

    block_at = datetime(2026, 3, 10, 10, 0, tzinfo=UTC)
    entries = [EntryRecord(f"b{i}", block_at - timedelta(days=i), 0) for i in range(1, 6)]
    entries.append(EntryRecord("after", block_at + timedelta(hours=30), 0))
    result = analyse_patient(entries, [BlockRecord(1, block_at, "diagnostic_la", pre_pain=0)],
                             None, "Europe/London", block_at + timedelta(days=3))
    block = result.blocks[0]
    assert block.baseline.b7 == 0 and not block.prolonged.present
    assert block.verdict == "uninterpretable"
