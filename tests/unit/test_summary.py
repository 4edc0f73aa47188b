"""The clinic list's summary holds, with no new data, until the moment it names (hypothesis)."""

from datetime import timedelta

from hypothesis import example, given
from hypothesis import strategies as st

from diary.clinical.settings import Settings
from diary.clinical.summary import FOLLOW_UP, PENDING, STATUS_PRIORITY, summarise
from tests.unit.test_analysis_props import FAST, START, diaries

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
    from diary.clinical.analysis import analyse_patient

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
