"""The clinic list's summary holds, with no new data, until the moment it names (hypothesis)."""

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from hypothesis import example, given
from hypothesis import strategies as st

from diary.clinical.analysis import analyse_patient
from diary.clinical.records import BlockRecord, EntryRecord
from diary.clinical.settings import Settings
from diary.clinical.summary import (
    FOLLOW_UP,
    PENDING,
    REVIEWED,
    STATUS_PRIORITY,
    Reviews,
    summarise,
)
from tests.unit.test_analysis_props import FAST, SPAN_MIN, START, diaries

SETTINGS = [Settings(), Settings(window_hours=8, no_recent_entries_days=3, repeat_min_days=14)]


@FAST
@given(diary=diaries, settings=st.sampled_from(SETTINGS),
       fractions=st.lists(st.floats(0, 1, exclude_max=True), min_size=1, max_size=4))
@example(diary={"entries": [], "blocks": [], "tz": "UTC", "now": START},
         settings=Settings(), fractions=[0.5])
def test_the_summary_holds_until_it_says(diary, settings, fractions):
    """At any moment before `valid_until` a fresh analysis gives the very same line; so a
    stored summary is as good as recomputing it, until then."""
    entries, blocks, tz, now = diary["entries"], diary["blocks"], diary["tz"], diary["now"]
    summary, until = summarise(entries, blocks, settings, tz, now)
    assert until > now
    assert until - now <= timedelta(days=1, hours=1)  # at most to the next local midnight
    last = until - timedelta(microseconds=1)  # a product rounded up to `until` is not before it
    moments = [min(now + (until - now) * f, last) for f in fractions] + [last]
    for moment in moments:
        assert summarise(entries, blocks, settings, tz, moment)[0] == summary, moment


@FAST
@given(diary=diaries)
def test_the_summary_says_what_the_analysis_says(diary):
    entries, blocks, tz, now = diary["entries"], diary["blocks"], diary["tz"], diary["now"]
    summary, _ = summarise(entries, blocks, None, tz, now)
    result = analyse_patient(entries, blocks, None, tz, now)
    assert set(summary.statuses) == set(result.statuses)
    assert summary.last_entry_at == result.last_entry_at
    done = result.done_blocks
    if done and done[-1].limb_follow_up is not None:  # a treatment followed up, not judged
        assert summary.last_verdict == FOLLOW_UP
    elif done:
        assert summary.last_verdict == (PENDING if done[-1].pending else done[-1].verdict)
    else:
        assert summary.last_verdict is None and summary.last_block_date is None
    ranks = [STATUS_PRIORITY.index(c) for c in summary.statuses]
    assert ranks == sorted(ranks)


# ------------------------------------------------------------------ the consultant's decision

def _reviews_of(blocks, data):
    """Random decisions on some blocks, at random moments, and a random latest recording."""
    moment = st.integers(0, SPAN_MIN + 60 * 24 * 30).map(lambda m: START + timedelta(minutes=m))
    decided = data.draw(st.dictionaries(st.sampled_from([b.id for b in blocks]), moment)
                        if blocks else st.just({}))
    return Reviews(decided, data.draw(st.one_of(st.none(), moment)))


@FAST
@given(diary=diaries, data=st.data(), fractions=st.lists(st.floats(0, 1, exclude_max=True),
                                                         min_size=1, max_size=4))
def test_a_reviewed_summary_holds_until_it_says(diary, data, fractions):
    """A decision reads the data, not the clock: the line still holds until `valid_until`."""
    entries, blocks, tz, now = diary["entries"], diary["blocks"], diary["tz"], diary["now"]
    reviews = _reviews_of(blocks, data)
    summary, until = summarise(entries, blocks, None, tz, now, reviews)
    last = until - timedelta(microseconds=1)
    for f in fractions:
        moment = min(now + (until - now) * f, last)
        assert summarise(entries, blocks, None, tz, moment, reviews)[0] == summary, moment


@FAST
@given(diary=diaries, data=st.data())
def test_a_decision_takes_off_only_the_reviewed_block_s_statuses(diary, data):
    entries, blocks, tz, now = diary["entries"], diary["blocks"], diary["tz"], diary["now"]
    reviews = _reviews_of(blocks, data)
    plain, _ = summarise(entries, blocks, None, tz, now)
    reviewed, _ = summarise(entries, blocks, None, tz, now, reviews)
    assert set(reviewed.statuses) <= set(plain.statuses)
    assert set(plain.statuses) - set(reviewed.statuses) <= REVIEWED
    assert replace(reviewed, statuses=plain.statuses) == plain  # the rest of the line stays
    if reviewed.statuses != plain.statuses:  # only ever for a decision on the last block
        result = analyse_patient(entries, blocks, None, tz, now)
        last = result.done_blocks[-1].block.id
        assert last in reviews.decided
        news = [t for t in (result.last_entry_at, reviews.recorded_at) if t is not None]
        assert all(t <= reviews.decided[last] for t in news)


# A positive block on 10 Jan 2025 whose relief waned on day 7: on the 25th a repeat is due and
# the diary has been quiet since the 19th (tests/unit/test_analysis.py, by hand).
B = datetime(2025, 1, 10, 10, tzinfo=UTC)
NOW_25 = datetime(2025, 1, 25, 12, tzinfo=UTC)
LAST_ENTRY = datetime(2025, 1, 19, 18, tzinfo=UTC)
WARM = {0: 28.0, 5: 29.0, 10: 30.4, 20: 30.1}


def _waned():
    entries = [EntryRecord(f"b{n}", B.replace(hour=18) - timedelta(days=n), 8)
               for n in range(1, 8)]
    entries += [EntryRecord(f"w{m}", B + timedelta(minutes=m), p)
                for m, p in ((30, 4), (60, 3), (120, 3), (240, 5))]
    entries += [EntryRecord(f"a{n}", B.replace(hour=18) + timedelta(days=n), p)
                for n, p in enumerate([2, 2, 2, 4, 6, 6, 8, 8, 8], 1)]
    return entries, [BlockRecord(1, B, "diagnostic_la", pre_pain=8, temps_treated=WARM)]


def test_a_decision_on_the_last_block_answers_its_repeat_until_something_new():
    entries, blocks = _waned()
    plain, _ = summarise(entries, blocks, None, "Europe/London", NOW_25)
    assert plain.statuses == ("repeat_due", "no_recent_entries")
    decided = NOW_25 - timedelta(hours=1)
    reviews = Reviews({1: decided}, recorded_at=LAST_ENTRY)
    reviewed, _ = summarise(entries, blocks, None, "Europe/London", NOW_25, reviews)
    # The quiet diary is not about the verdict: it stays. The verdict column stays as it was.
    assert reviewed.statuses == ("no_recent_entries",)
    assert reviewed.last_verdict == plain.last_verdict == "positive"
    assert reviewed.urgency < plain.urgency

    # Something new after the decision brings the statuses back: an entry observed after it,
    # an entry or block recorded after it (even one dated before), or a decision on another
    # block only.
    later = entries + [EntryRecord("new", NOW_25 - timedelta(minutes=30), 8)]
    assert summarise(later, blocks, None, "Europe/London", NOW_25, reviews)[0].statuses == (
        "repeat_due",)  # and no longer quiet
    for news in (
            summarise(later, blocks, None, "Europe/London", NOW_25, reviews)[0],
            summarise(entries, blocks, None, "Europe/London", NOW_25,
                      Reviews({1: decided}, recorded_at=NOW_25 - timedelta(minutes=1)))[0],
            summarise(entries, blocks, None, "Europe/London", NOW_25,
                      Reviews({2: decided}, recorded_at=LAST_ENTRY))[0]):
        assert "repeat_due" in news.statuses


def test_a_reviewed_block_keeps_the_thin_baseline_of_the_block_booked_next():
    entries, blocks = _waned()
    booked = BlockRecord(2, NOW_25 + timedelta(days=2), "diagnostic_la", pre_pain=8)
    reviews = Reviews({1: NOW_25}, recorded_at=LAST_ENTRY)
    plain, _ = summarise(entries, [*blocks, booked], None, "Europe/London", NOW_25)
    reviewed, _ = summarise(entries, [*blocks, booked], None, "Europe/London", NOW_25, reviews)
    assert "thin_baseline" in plain.statuses  # the booked block's baseline: no diary lately
    assert "thin_baseline" in reviewed.statuses


def test_a_wound_is_never_answered_by_a_decision():
    entries, blocks = _waned()
    entries.append(EntryRecord("wound", LAST_ENTRY - timedelta(hours=1), 8, wound="new"))
    reviews = Reviews({1: NOW_25}, recorded_at=LAST_ENTRY)
    reviewed, _ = summarise(entries, blocks, None, "Europe/London", NOW_25, reviews)
    assert reviewed.statuses == ("wound", "no_recent_entries")
