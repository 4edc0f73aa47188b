"""Hand-worked diaries for docs/clinical.md §7 (follow-up after neurolysis or RF) and §8 (PGIC,
touch pain). The expected numbers are worked out in the comments, not with the code under test.

London in January to March 2025 is UTC, so a clock time here is the local time. The block is
a chemical neurolysis on Friday 10 Jan 2025 at 10:00; day n is 10 Jan + n days.
"""

from datetime import UTC, date, datetime, timedelta

import pytest

from diary.clinical import vocab
from diary.clinical.analysis import analyse_patient
from diary.clinical.records import BlockRecord, EntryRecord, VisitRecord
from diary.clinical.settings import Settings
from diary.clinical.summary import summarise

LON = "Europe/London"
B = datetime(2025, 1, 10, 10, 0, tzinfo=UTC)


def at(n: int, hh: int = 18, mm: int = 0) -> datetime:
    """hh:mm on day n after the block day (negative: before it)."""
    return datetime(2025, 1, 10, hh, mm, tzinfo=UTC) + timedelta(days=n)


def e(id: str, n: int, pain: int = 5, hh: int = 18, **kw) -> EntryRecord:
    return EntryRecord(id, at(n, hh), pain, **kw)


def baseline(pain: int = 8, **kw) -> list[EntryRecord]:
    """One entry on each of the 7 days before the block day: B7 = pain."""
    return [e(f"b{n}", -n, pain, **kw) for n in range(1, 8)]


def neurolysis(when: datetime = B, id: int = 1, kind: str = "neurolysis") -> BlockRecord:
    return BlockRecord(id, when, kind, pre_pain=8)


def run(entries, blocks=None, now=None, settings=None, visits=()):
    blocks = [neurolysis()] if blocks is None else blocks
    return analyse_patient(entries, blocks, settings or Settings(), LON, now or at(60),
                           visits=visits)


def follow_up(entries, **kw):
    return run(entries, **kw).blocks[0].limb_follow_up


# --------------------------------------------------------------------------- checkpoints

def test_day_7_checkpoint_figures_worked_by_hand():
    # Before: B7 = 8; both feet every day, treated - other = 28.0 - 29.0 = -1.0; walking
    # 4 min pain-free and 10 min maximal (the last 3 days with times: 4 and 10).
    before = baseline(8, temp_treated_c=28.0, temp_other_c=29.0, walk_pain_free_min=4,
                      walk_max_min=10)
    span = [  # days 4-10 (day 7 +/- 3)
        e("d4a", 4, 4, hh=9, temp_treated_c=30.0, temp_other_c=29.0, walk_pain_free_min=6,
          walk_max_min=15),
        e("d4b", 4, 4, hh=20, temp_treated_c=31.0, temp_other_c=29.0, pgic="a_little_better"),
        e("d5", 5, 5, temp_treated_c=29.5, temp_other_c=29.0, walk_pain_free_min=8,
          walk_max_min=11, wound="unchanged"),
        e("d6", 6, 6, did_not_walk=True, night_rest_pain=False),
        e("d9", 9, 5, hh=8, wound="healing", pgic="much_better"),
        e("d10", 10, 5, pgic="very_much_better"),
    ]
    nights = [e("n1", 1, 7, night_rest_pain=True), e("n2", 2, 7, night_rest_pain=False),
              e("n3a", 3, 7, hh=7, night_rest_pain=True),
              e("n3b", 3, 7, hh=21, night_rest_pain=False),
              e("n8", 8, 5, night_rest_pain=True), e("w11", 11, 5, wound="worse")]
    cp = follow_up(before + span + nights, now=at(20)).checkpoints[0]
    assert (cp.day, cp.first, cp.last, cp.state) == (7, date(2025, 1, 14), date(2025, 1, 20),
                                                     "done")
    # Days 4, 5, 6, 8, 9, 10 have entries; daily means 4, 5, 6, 5, 5, 5 -> 30 / 6 = 5.0.
    assert cp.diary_days == 6 and cp.mean_pain == pytest.approx(5.0)
    # (8 - 5) / 8 = 37.5 %.
    assert cp.relief_pct == pytest.approx(37.5)
    # Day 4: +1.0 and +2.0 -> 1.5; day 5: +0.5. Mean of days 1.0, minus B7 days' -1.0: 2.0.
    assert cp.temp_gain_c == pytest.approx(2.0)
    # Pain-free: days 4 (6) and 5 (8) -> 7, against 4: +3. Maximal: (15 + 11) / 2 = 13, +3.
    assert cp.walk_pain_free_gain_min == pytest.approx(3.0)
    assert cp.walk_max_gain_min == pytest.approx(3.0)
    assert cp.walking_meaningful is True
    # Days 1-7: yes on day 1, no on 2, yes and no on 3 (a yes), no on 6; day 8 is outside.
    assert (cp.rest_pain_nights, cp.rest_pain_answered) == (2, 4)
    # Latest wound up to day 10 is day 9's; day 11's "worse" is after the span.
    assert (cp.wound, cp.wound_at) == ("healing", at(9, 8))
    # PGIC on days 4, 9 and 10: days 4 and 10 are both 3 from day 7, day 9 is 2: day 9.
    assert (cp.pgic, cp.pgic_at) == ("much_better", at(9, 8))
    assert cp.note == "6 diary days in days 4–10: mean pain 5.0, relief 37 % against B7 8.0."


def test_pgic_ties_go_to_the_earlier_answer_and_must_be_in_the_span():
    entries = baseline() + [e("p5", 5, 4, pgic="no_change"), e("p9", 9, 4, pgic="much_better"),
                            e("p20", 20, 4, pgic="very_much_better")]
    day7, day30 = follow_up(entries, now=at(40)).checkpoints[:2]
    assert day7.pgic == "no_change"           # days 5 and 9 are both 2 from day 7
    assert day30.pgic is None                 # day 20 is outside days 27-33


def test_walking_gain_too_small_is_not_meaningful():
    before = baseline(walk_pain_free_min=4)
    # 4.5 against 4: +0.5 min and 12.5 %, under both 1 min and 30 %. No maximal times.
    cp = follow_up(before + [e("d7", 7, 5, walk_pain_free_min=4.5)], now=at(20)).checkpoints[0]
    assert cp.walk_pain_free_gain_min == pytest.approx(0.5)
    assert cp.walk_max_gain_min is None and cp.walking_meaningful is False


def test_a_checkpoint_without_diary_days_says_so_and_has_none_not_zero():
    before = baseline(temp_treated_c=28.0, temp_other_c=29.0, walk_pain_free_min=4,
                      walk_max_min=10)
    entries = before + [e("d7", 7, 4, temp_treated_c=30.0, temp_other_c=29.0)]
    # 8 Feb is day 29, inside days 27-33 (6-12 Feb).
    day30 = follow_up(entries, now=at(29)).checkpoints[1]
    assert (day30.first, day30.last, day30.state) == (date(2025, 2, 6), date(2025, 2, 12),
                                                      "open")
    assert day30.diary_days == 0
    assert day30.note == "No diary days in days 27–33. Open until 12 Feb 2025."
    figures = (day30.mean_pain, day30.relief_pct, day30.temp_gain_c,
               day30.walk_pain_free_gain_min, day30.walk_max_gain_min, day30.walking_meaningful,
               day30.rest_pain_nights)
    assert figures == (None,) * 7
    done = follow_up(entries, now=at(40)).checkpoints[1]
    assert done.state == "done" and done.note == "No diary days in days 27–33."


def test_checkpoint_states_and_an_upcoming_one_has_no_figures():
    entries = baseline() + [e("d2", 2, 4, wound="healing", night_rest_pain=True)]
    points = follow_up(entries, now=at(2)).checkpoints
    assert [p.state for p in points] == ["upcoming"] * 4
    assert points[0].note == "Upcoming: days 4–10, 14 Jan 2025 to 20 Jan 2025."
    assert (points[0].wound, points[0].rest_pain_nights, points[0].rest_pain_answered) == (
        None, None, 0)
    # 90 +/- 7 and 180 +/- 7.
    assert [(p.first, p.last) for p in points[2:]] == [
        (date(2025, 4, 3), date(2025, 4, 17)), (date(2025, 7, 2), date(2025, 7, 16))]
    assert [p.state for p in follow_up(entries, now=at(4, 0, 1)).checkpoints] == [
        "open", "upcoming", "upcoming", "upcoming"]
    assert follow_up(entries, now=at(4)).checkpoints[0].wound == "healing"


def test_spans_stop_before_the_next_blocks_day_and_never_reach_the_block_day():
    entries = baseline() + [e("d28", 28, 6), e("d31", 31, 2), e("d32", 32, 2, hh=8)]
    blocks = [neurolysis(), neurolysis(at(32, 10), id=2, kind="radiofrequency")]
    first = run(entries, blocks, now=at(60)).blocks[0].limb_follow_up.checkpoints
    # Day 30: days 27-33 cut at day 31 (the next block is on day 32): days 28 and 31, mean 4.
    assert first[1].last == date(2025, 2, 10) and first[1].diary_days == 2
    assert first[1].mean_pain == pytest.approx(4.0)
    assert first[1].note.endswith("Cut short by the next block on 11 Feb 2025.")
    for cp in first[2:]:
        assert cp.state == "done" and cp.diary_days == 0 and cp.mean_pain is None
    assert first[2].note == "Not reached: the next block, on 11 Feb 2025, comes before days 83–97."
    # With +/- 7 days the day-7 span would start on the block day: it starts on day 1.
    wide = run(entries, blocks, settings=Settings(checkpoint_near_days=7)).blocks[0]
    assert wide.limb_follow_up.checkpoints[0].first == date(2025, 1, 11)


def test_only_neurolysis_and_radiofrequency_are_followed_up_as_limb_treatment():
    entries = baseline()
    assert run(entries, [BlockRecord(1, B, "diagnostic_la", pre_pain=8)]).blocks[0] \
        .limb_follow_up is None
    assert run(entries, [BlockRecord(1, B, "therapeutic_la", pre_pain=8)]).blocks[0] \
        .limb_follow_up is None
    rf = run(entries, [neurolysis(kind="radiofrequency")]).blocks[0].limb_follow_up
    assert [p.day for p in rf.checkpoints] == [7, 30, 90, 180]


# --------------------------------------------------------------------------------- flags

def codes(fu) -> list[str]:
    return [f.code for f in fu.flags]


def test_wound_worse_or_new_after_the_block_is_an_urgent_flag():
    fu = follow_up(baseline() + [e("w2", 2, wound="healing"), e("w9", 9, wound="new")])
    [flag] = fu.flags
    assert flag.code == "wound" and flag.urgent
    assert flag.text == ("A new wound: reported on 19 Jan 2025 (day 9). Urgent: tell the "
                         "vascular team.")
    worse = follow_up(baseline() + [e("w3", 3, wound="worse")]).flags[0]
    assert worse.text.startswith("The wound is worse: reported on 13 Jan 2025 (day 3).")


def test_a_wound_that_is_healing_again_or_was_worse_only_before_the_block_is_not_flagged():
    assert codes(follow_up(baseline() + [e("w2", 2, wound="worse"),
                                         e("w5", 5, wound="healing")])) == []
    assert codes(follow_up(baseline(wound="worse"))) == []
    # After the next block the answer belongs to that block.
    blocks = [neurolysis(), neurolysis(at(20, 10), id=2)]
    result = run(baseline() + [e("w25", 25, wound="new")], blocks)
    assert codes(result.blocks[0].limb_follow_up) == []
    assert codes(result.blocks[1].limb_follow_up) == ["wound"]


def test_pain_above_baseline_at_two_successive_checkpoints_with_values():
    # B7 = 4. Day 7: 10 -> (4 - 10) / 4 = -150 %, floored at -100 %. Day 30: no diary days.
    # Day 90: 5 -> -25 %. The checkpoints with values are 7 and 90: both below 0.
    entries = baseline(4) + [e("d7", 7, 10), e("d90", 90, 5)]
    fu = follow_up(entries, now=at(200))
    assert [p.relief_pct for p in fu.checkpoints] == [-100.0, None, -25.0, None]
    [flag] = fu.flags
    assert flag.code == "pain_above_baseline" and not flag.urgent
    assert flag.text == ("Pain above baseline at the day-7 and day-90 checkpoints (relief -100 % "
                         "and -25 %).")


def test_pain_above_baseline_once_or_back_to_baseline_is_not_flagged():
    once = baseline(4) + [e("d7", 7, 5), e("d30", 30, 3)]           # -25 %, then +25 %
    assert codes(follow_up(once, now=at(200))) == []
    level = baseline(4) + [e("d7", 7, 4), e("d30", 30, 4)]          # 0 % is not above
    assert codes(follow_up(level, now=at(200))) == []
    alone = baseline(4) + [e("d90", 90, 6)]                         # one value only
    assert codes(follow_up(alone, now=at(200))) == []


def test_groin_thigh_burning_appearing_after_the_block_is_flagged():
    burning = frozenset({"groin_thigh_burning"})
    fu = follow_up(baseline() + [e("s3", 3, side_effects=burning),
                                 e("s4", 4, side_effects=burning)])
    [flag] = fu.flags
    assert flag.code == "groin_thigh_burning" and not flag.urgent
    assert flag.text.startswith("Groin or thigh burning first reported on 13 Jan 2025 (day 3), "
                                "not in the 7 days before the block: possible "
                                "post-sympathectomy neuralgia")
    # Already there in the baseline days (or earlier on the block day): not new.
    had = [e("s-2", -2, side_effects=burning), e("s3", 3, side_effects=burning)]
    assert codes(follow_up(baseline() + had)) == []
    same_day = [e("s0", 0, hh=8, side_effects=burning), e("s3", 3, side_effects=burning)]
    assert codes(follow_up(baseline() + same_day)) == []
    # On the block day but after the block: appearing after it.
    later = follow_up(baseline() + [e("s0", 0, hh=12, side_effects=burning)]).flags
    assert [f.code for f in later] == ["groin_thigh_burning"]
    assert "first reported on 10 Jan 2025 (day 0)" in later[0].text
    # Reported 20 days before the block, outside its baseline days: it counts as appearing.
    long_ago = [e("s-20", -20, side_effects=burning), e("s3", 3, side_effects=burning)]
    assert codes(follow_up(baseline() + long_ago)) == ["groin_thigh_burning"]


def test_urgent_flags_come_first():
    burning = frozenset({"groin_thigh_burning"})
    entries = baseline(4) + [e("d2", 2, side_effects=burning), e("d7", 7, 6),
                             e("d30", 30, 6, wound="worse")]
    assert codes(follow_up(entries)) == ["wound", "pain_above_baseline", "groin_thigh_burning"]


# ---------------------------------------------------------------------------- touch pain

def la_block() -> BlockRecord:
    return BlockRecord(1, B, "diagnostic_la", pre_pain=8)


def touch(entries, **kw):
    return run(entries, [la_block()], **kw).blocks[0].touch_pain


def test_touch_pain_before_against_days_1_to_7():
    before = [e("t-1", -1, touch_pain="marked"), e("t-2", -2, touch_pain="marked"),
              e("t-3", -3, touch_pain="marked"), e("t-4", -4, touch_pain="mild"),
              e("t-9", -9, touch_pain="none"),                  # outside the 7 days
              e("t0", 0, hh=8, touch_pain="none")]              # the block day: neither
    after = [e("t1", 1, touch_pain="none"), e("t2", 2, touch_pain="none"),
             e("t3", 3, touch_pain="mild"), e("t7", 7, touch_pain="mild"),
             e("t8", 8, touch_pain="marked")]                  # day 8: outside
    tp = touch(before + after)
    assert tp.before == {"none": 0, "mild": 1, "marked": 3}
    assert tp.after == {"none": 2, "mild": 2, "marked": 0}
    # (1 + 3 * 2) / 4 = 1.75; (0 + 0 + 1 + 1) / 4 = 0.5.
    assert (tp.before_mean, tp.after_mean, tp.change) == (1.75, 0.5, "less")
    assert tp.note == ("Touch pain (none 0, mild 1, marked 2): mean 1.8 in the 7 days before the "
                       "block (4 answers); mean 0.5 on days 1–7 (4 answers): less.")


def test_touch_pain_change_is_same_under_half_a_point_and_more_from_it():
    # Before: mild (1.0). After: mild x4 and none -> 0.8, 0.2 less: the same.
    after = [e(f"a{n}", n, touch_pain="mild") for n in range(1, 5)] + [
        e("a5", 5, touch_pain="none")]
    assert touch([e("b", -1, touch_pain="mild")] + after).change == "same"
    # Mild then mild and none: 1.0 against 0.5, exactly half a point: less.
    assert touch([e("b", -1, touch_pain="mild"), e("a1", 1, touch_pain="mild"),
                  e("a2", 2, touch_pain="none")]).change == "less"
    assert touch([e("b", -1, touch_pain="none"), e("a1", 1, touch_pain="mild"),
                  e("a2", 2, touch_pain="none")]).change == "more"
    wider = Settings(touch_change_points=1.0)
    assert touch([e("b", -1, touch_pain="none"), e("a1", 1, touch_pain="mild"),
                  e("a2", 2, touch_pain="none")], settings=wider).change == "same"


def test_touch_pain_with_no_answers():
    tp = touch(baseline())
    assert tp.before == tp.after == {"none": 0, "mild": 0, "marked": 0}
    assert (tp.before_mean, tp.after_mean, tp.change) == (None, None, None)
    assert tp.note == ("No touch-pain answers in the 7 days before the block or on days 1–7 "
                       "after it.")
    one_side = touch([e("b", -1, touch_pain="marked")])
    assert one_side.change is None and one_side.note.endswith("; none on days 1–7.")


# ---------------------------------------------------------------------------------- PGIC

def test_pgic_beside_relief_with_disagreements_both_ways_and_agreement():
    # B7 = 8. Days 1-5: pain 2, 2, 8, 8, 8. Relief (rolling 3 days): day 1 (8-2)/8 = 75 %;
    # day 2 75 %; day 3 mean(2,2,8) = 4 -> 50 %; day 4 mean(2,8,8) = 6 -> 25 %; day 5 0 %.
    answers = ["no_change", "a_little_better", "much_better", "very_much_better",
               "a_little_better"]
    entries = baseline(8) + [e(f"d{n}", n, p, pgic=a)
                             for n, (p, a) in enumerate(zip([2, 2, 8, 8, 8], answers,
                                                            strict=True), 1)]
    entries.append(e("d0", 0, 3, hh=11, pgic="much_better"))       # the block day
    blocks = [la_block(), BlockRecord(2, at(6, 10), "diagnostic_la", pre_pain=8)]
    entries.append(e("d6", 6, 8, hh=8, pgic="much_worse"))          # before the next block
    entries.append(e("d6b", 6, 8, hh=12, pgic="much_worse"))        # after it: not this one
    answers_ = run(entries, blocks).blocks[0].pgic
    got = [(a.entry_id, a.day, a.answer, a.relief_pct) for a in answers_]
    assert got == [("d0", 0, "much_better", None), ("d1", 1, "no_change", 75.0),
                   ("d2", 2, "a_little_better", 75.0), ("d3", 3, "much_better", 50.0),
                   ("d4", 4, "very_much_better", 25.0), ("d5", 5, "a_little_better", 0.0),
                   # Day 6 is the next block's day, off this block's curve: day 5's relief.
                   ("d6", 6, "much_worse", 0.0)]
    notes = {a.entry_id: a.disagreement for a in answers_}
    assert notes["d1"] == ('The patient says "No change" on day 1, yet relief is 75 % '
                           "(50 % or more).")
    assert notes["d4"] == ('The patient says "Very much better" on day 4, yet relief is only 25 % '
                           "(below 30 %).")
    assert [k for k, v in notes.items() if v] == ["d1", "d4"]
    assert answers_[0].at == at(0, 11)


def test_pgic_without_b7_has_no_relief_and_no_disagreement():
    [answer] = run([e("d1", 1, 1, pgic="no_change")], [la_block()]).blocks[0].pgic
    assert (answer.relief_pct, answer.disagreement) == (None, None)


# ------------------------------------------------------------------- Fontaine and wound

def test_fontaine_trend_first_against_latest():
    visits = [VisitRecord(2, date(2026, 6, 9), "iii"), VisitRecord(1, date(2026, 3, 3), "iib"),
              VisitRecord(3, date(2026, 4, 1), None, "no stage taken")]
    trend = run([], [], visits=visits).fontaine
    assert [v.id for v in trend.visits] == [1, 2]
    assert (trend.change, trend.text) == ("worse", "IIb (3 Mar 2026) → III (9 Jun 2026): worse")
    better = run([], [], visits=[VisitRecord(1, date(2026, 1, 5), "iv"),
                                 VisitRecord(2, date(2026, 2, 5), "iib")]).fontaine
    assert (better.change, better.text) == ("better", "IV (5 Jan 2026) → IIb (5 Feb 2026): better")
    same = run([], [], visits=[VisitRecord(1, date(2026, 1, 5), "iia"),
                               VisitRecord(2, date(2026, 2, 5), "iv"),
                               VisitRecord(3, date(2026, 3, 5), "iia")]).fontaine
    assert same.change == "same"


def test_fontaine_with_no_stage_or_one_visit():
    assert run([], []).fontaine.text == "No Fontaine stage recorded."
    none = run([], [], visits=[VisitRecord(1, date(2026, 1, 5))]).fontaine
    assert (none.visits, none.change, none.text) == ([], None, "No Fontaine stage recorded.")
    one = run([], [], visits=[VisitRecord(1, date(2026, 1, 5), "iii")]).fontaine
    assert (one.change, one.text) == (None, "III (5 Jan 2026): one stage recorded, no trend yet.")
    with pytest.raises(ValueError, match="Fontaine"):
        run([], [], visits=[VisitRecord(1, date(2026, 1, 5), "v")])


def test_the_wound_status_reads_the_latest_answer_in_the_whole_diary():
    # No block at all: a worse wound still puts the patient at the top of the list.
    worse = [e("a", 1, wound="healing"), e("b", 2, wound="worse"), e("c", 3)]
    result = run(worse, [], now=at(3, 19))
    assert result.statuses == ["wound"]
    assert (result.latest_wound, result.latest_wound_at) == ("worse", at(2))
    healed = run(worse + [e("d", 4, wound="healing")], [], now=at(4, 19))
    assert healed.statuses == [] and healed.latest_wound == "healing"
    assert run([e("a", 1)], [], now=at(1, 19)).latest_wound is None
    # A local-anaesthetic block's patient too.
    assert "wound" in run(baseline() + [e("n", 2, wound="new")], [la_block()],
                          now=at(2, 19)).statuses


def test_the_wound_status_is_the_most_urgent_line_on_the_list():
    entries = [e("a", 1, wound="new")]
    summary, _ = summarise(entries, [], Settings(), LON, at(9))
    assert summary.statuses == ("wound", "no_recent_entries")
    other, _ = summarise([e("a", 1)], [neurolysis(at(9, 8))], Settings(), LON, at(9))
    assert other.statuses[0] == "awaiting_block_day_readings"
    assert summary.urgency > other.urgency


def test_the_list_calls_a_neurolysis_a_treatment_followed_up_not_a_verdict():
    summary, _ = summarise(baseline() + [e("a", 1, 4)], [neurolysis()], Settings(), LON, at(9))
    assert summary.last_verdict == "follow_up"
    la, _ = summarise(baseline() + [e("a", 1, 4)], [la_block()], Settings(), LON, at(9))
    assert la.last_verdict in vocab.VERDICTS


def test_unknown_answer_codes_are_refused():
    with pytest.raises(ValueError, match="PGIC"):
        run([e("a", 1, pgic="great")], [la_block()])
    with pytest.raises(ValueError, match="touch pain"):
        run([e("a", 1, touch_pain="agony")], [la_block()])


def test_every_code_the_vocabulary_has_is_read():
    entries = [e(f"p{i}", 1 + i, 5, pgic=c) for i, c in enumerate(vocab.PGIC)]
    entries += [e(f"t{i}", 1 + i, 5, touch_pain=c) for i, c in enumerate(vocab.TOUCH_PAIN)]
    a = run(baseline() + entries, [la_block()]).blocks[0]
    assert [p.answer for p in a.pgic] == list(vocab.PGIC)
    assert a.touch_pain.after == {"none": 1, "mild": 1, "marked": 1}


def test_a_repeat_is_never_due_after_a_neurolysis_whatever_its_window_figures():
    """Relief that fell from 8 to 2 in the window and has since waned would make a local
    anaesthetic block "repeat due"; after a neurolysis the follow-up is §7's, not a repeat."""
    window = [EntryRecord(f"w{h}", B + timedelta(hours=h), 2) for h in (1, 2, 3)]
    waned = [e(f"a{n}", n, 8) for n in range(1, 20)]
    for kind, due in (("diagnostic_la", True), ("neurolysis", False)):
        block = BlockRecord(1, B, kind, pre_pain=8, temps_treated={0: 28.0, 10: 31.0})
        result = run(baseline() + window + waned, [block], now=at(20))
        assert result.repeat_due is due, (kind, result.repeat_reason)
    assert result.repeat_reason.startswith("Not judged: the block on")
    assert "treatment followed up at its checkpoints" in result.repeat_reason
