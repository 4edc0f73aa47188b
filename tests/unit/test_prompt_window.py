"""The reading prompts need only the recent entries: `schedule.entries_from` says from when, and
the prompts computed from the entries since then equal those from the whole diary (hypothesis),
with the analysis run at most once."""

from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st

from diary.clinical import patient_prompts, schedule, vocab
from diary.clinical.records import BlockRecord, EntryRecord
from diary.clinical.schedule import entries_from, next_reading, reading_prompts
from diary.clinical.settings import Settings

START = datetime(2025, 3, 1, tzinfo=UTC)   # the March/April DST changes of both hemispheres
DAY = 24 * 60
DIARY_DAYS = 150
# Havana and Santiago change their clocks at midnight: a local day may start at 01:00.
ZONES = ["UTC", "Europe/London", "America/New_York", "Pacific/Auckland", "Asia/Kolkata",
         "America/Havana", "America/Santiago"]
KINDS = sorted(vocab.BLOCK_KINDS)
ANSWERS = [{}, {}, {}, {"pgic": "much_better"}, {"night_rest_pain": False},
           {"wound": "healing"}, {"pgic": "no_change", "night_rest_pain": True}]
RUNS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def entry(i: int, minute: int, pain: int) -> EntryRecord:
    return EntryRecord(id=f"e{i:04d}", observed_at=START + timedelta(minutes=minute), pain=pain)


def block(i: int, minute: int, kind: str, pre_pain: int | None, long_acting: bool
          ) -> BlockRecord:
    return BlockRecord(id=i + 1, performed_at=START + timedelta(minutes=minute), kind=kind,
                       pre_pain=pre_pain, long_acting=long_acting)


# About one reading a day, mostly at the level of its stretch of days (so relief curves cross
# their thresholds for days in a row), some days with several, some with none; and readings
# around each block.
day_rows = st.lists(st.tuples(st.integers(0, DIARY_DAYS), st.integers(0, DAY - 1),
                              st.integers(0, 10)), min_size=10, max_size=220)
levels = st.lists(st.integers(0, 10), min_size=1, max_size=8)
block_rows = st.lists(st.tuples(st.integers(0, DIARY_DAYS * DAY), st.sampled_from(KINDS),
                                st.one_of(st.none(), st.integers(0, 10)), st.booleans()),
                      min_size=1, max_size=4)
around_block = st.lists(st.tuples(st.integers(-180, 9 * 60), st.integers(0, 10)), max_size=12)
tunings = st.fixed_dictionaries({
    "baseline_days": st.integers(3, 14), "window_hours": st.integers(4, 8),
    "window_start_min": st.integers(0, 60), "b0_lookback_hours": st.integers(1, 12),
    "rolling_days": st.integers(1, 14), "consecutive_days_below": st.integers(1, 14),
    "back_to_baseline_pct": st.integers(1, 30)})


@st.composite
def diaries(draw):
    blocks = [block(i, *row) for i, row in enumerate(draw(block_rows))]
    rows = draw(day_rows)
    for b in blocks:
        at = int((b.performed_at - START).total_seconds() // 60)
        rows += [(0, at + off, pain) for off, pain in draw(around_block)]
    stretch = draw(levels)

    def pain(minute: int, noise: int) -> int:
        if noise > 6:
            return noise
        return stretch[max(0, min(minute // DAY, DIARY_DAYS)) * len(stretch) // (DIARY_DAYS + 1)]

    entries = [entry(i, d * DAY + m, pain(d * DAY + m, p)) for i, (d, m, p) in enumerate(rows)]
    # Some entries answer the prompts' extra questions (PGIC, the leg at night and the foot).
    answers = draw(st.lists(st.sampled_from(ANSWERS), min_size=len(entries),
                            max_size=len(entries)))
    entries = [replace(e, **a) for e, a in zip(entries, answers, strict=True)]
    # The order the loaders give: by time, ties by id.
    entries.sort(key=lambda e: (e.observed_at, e.id))
    # Any moment from before the diary to well past a year after it (weekly prompts stop at
    # week 52), or mostly one from a block on: its block day, first weeks, weekly follow-up.
    anchor = draw(st.sampled_from([None, *(b.performed_at for b in blocks)]))
    if anchor is None:
        now = START + timedelta(minutes=draw(st.integers(-10 * DAY, (DIARY_DAYS + 420) * DAY)))
    else:
        now = anchor + timedelta(minutes=draw(st.one_of(
            st.integers(-2 * DAY, 2 * DAY), st.integers(0, 30 * DAY),
            st.integers(30 * DAY, 380 * DAY))))
    return {"entries": entries, "blocks": blocks, "tz": draw(st.sampled_from(ZONES)),
            "now": now, "settings": Settings(**draw(tunings))}


def window(d) -> list[EntryRecord]:
    since = entries_from(d["blocks"], d["tz"], d["now"], d["settings"])
    return [e for e in d["entries"] if e.observed_at >= since]


def daily(first_day: int, days: int, pain_of) -> list[EntryRecord]:
    return [entry(n, (first_day + n) * DAY + 9 * 60, pain_of(n)) for n in range(days)]


@RUNS
@given(diaries())
@example({"entries": daily(0, 150, lambda n: 8 if n < 20 else 2 if n < 45 else 8),
          "blocks": [block(0, 20 * DAY + 600, "diagnostic_la", 8, False)],
          "tz": "Europe/London", "now": START + timedelta(days=100), "settings": Settings()})
def test_prompts_from_the_window_equal_those_from_the_whole_diary(d):
    args = (d["tz"], d["now"], d["settings"])
    recent = window(d)
    event(f"window left out {'some' if len(recent) < len(d['entries']) else 'no'} entries")
    upcoming = next_reading(d["blocks"], d["entries"], *args)
    event(f"next prompt: {upcoming.kind if upcoming else None}")
    assert next_reading(d["blocks"], recent, *args) == next_reading(d["blocks"], d["entries"],
                                                                     *args)
    assert reading_prompts(d["blocks"], recent, *args) == reading_prompts(
        d["blocks"], d["entries"], *args)
    assert patient_prompts.prompts(recent, d["blocks"], *args) == patient_prompts.prompts(
        d["entries"], d["blocks"], *args)


def test_the_window_leaves_out_the_old_diary():
    """Two years of daily entries: the prompts read the last week, or, within 52 weeks of a
    local-anaesthetic block, from its baseline on; and still say the same."""
    entries = daily(0, 730, lambda n: 8 if n < 689 else 2)
    now = START + timedelta(days=729, hours=12)
    la = block(0, (729 - 40) * DAY + 600, "therapeutic_la", 7, False)
    cases = [  # blocks, days of diary read
        ([], 7), ([block(0, 300 * DAY, "neurolysis", 7, False)], 7),
        ([la], 40 + 7 + 1), ([block(0, 300 * DAY, "diagnostic_la", 7, False)], 7),
    ]
    for blocks, days in cases:
        d = {"entries": entries, "blocks": list(blocks), "tz": "Europe/London", "now": now,
             "settings": Settings()}
        recent = window(d)
        assert len(recent) == days, blocks
        assert patient_prompts.prompts(recent, d["blocks"], "Europe/London", now, None) \
            == patient_prompts.prompts(entries, d["blocks"], "Europe/London", now, None)
    d["blocks"] = [la]
    assert patient_prompts.prompts(window(d), [la], "Europe/London", now, None).next


def test_the_prompts_run_the_analysis_once(monkeypatch):
    calls = []
    real = schedule.analyse_patient

    def counted(*args, **kwargs):
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(schedule, "analyse_patient", counted)
    entries = daily(0, 60, lambda n: 7 if n < 10 else 2)
    la = block(0, 10 * DAY + 600, "diagnostic_la", 7, False)
    now = START + timedelta(days=50)
    assert patient_prompts.prompts(entries, [la], "UTC", now, None).next
    assert len(calls) == 1
    calls.clear()
    patient_prompts.prompts(entries, [block(0, 10 * DAY, "neurolysis", 7, False)], "UTC", now,
                            None)
    assert calls == []  # the weekly prompts after neurolysis need no analysis


# ------------------------------------------------------------- each edge of the window, exactly

def local(tz: str, day: date, hour: int = 9, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=ZoneInfo(tz)).astimezone(UTC)


def every_day(tz: str, first: date, last: date, pain_of, hour: int = 9) -> list[EntryRecord]:
    days = (last - first).days + 1
    return [EntryRecord(id=f"d{n:04d}", observed_at=local(tz, first + timedelta(days=n), hour),
                        pain=pain_of(first + timedelta(days=n))) for n in range(days)]


def both(entries, blocks, tz, now):
    return (next_reading(blocks, entries, tz, now), reading_prompts(blocks, entries, tz, now))


def test_a_weekly_window_reaches_back_to_midnight_six_days_before_today():
    """The only reading in a weekly prompt's 7-day window, at its first moment, covers it."""
    tz = "Pacific/Auckland"
    blocks = [BlockRecord(id=1, performed_at=local(tz, date(2025, 1, 10), 10), kind="neurolysis")]
    now = local(tz, date(2025, 3, 14), 12)              # week 9 is due today, by 20:00
    edge = local(tz, date(2025, 3, 8), 0)
    entries = [*every_day(tz, date(2025, 1, 11), date(2025, 2, 20), lambda d: 5),
               EntryRecord(id="edge", observed_at=edge, pain=4)]
    since = entries_from(blocks, tz, now)
    assert since == edge
    today = reading_prompts(blocks, entries, tz, now)
    assert [(p.kind, p.covered_by) for p in today] == [("weekly", "edge")]
    assert both([e for e in entries if e.observed_at >= since], blocks, tz, now) \
        == both(entries, blocks, tz, now)
    later = [e for e in entries if e.observed_at > since]
    assert reading_prompts(blocks, later, tz, now)[0].covered is False


def test_back_to_baseline_needs_the_first_day_of_the_blocks_baseline():
    """One reading on the first of the 7 days before the block moves B7, and with it whether
    the patient is back to baseline, so whether the weekly prompts go on."""
    tz = "Europe/London"
    day0 = date(2025, 1, 20)
    blocks = [BlockRecord(id=1, performed_at=local(tz, day0, 10), kind="therapeutic_la",
                          pre_pain=6)]
    entries = every_day(tz, date(2024, 12, 1), date(2025, 2, 28),
                        lambda d: 10 if d == day0 - timedelta(days=7) else 4)
    now = local(tz, date(2025, 3, 1), 12)               # day 40: week 6's window is open
    since = entries_from(blocks, tz, now)
    assert since == local(tz, day0 - timedelta(days=7), 0)
    full = both(entries, blocks, tz, now)
    assert [p.kind for p in full[1]] == ["weekly"]     # B7 4.9, pain 4: 18 % relief holds
    assert both([e for e in entries if e.observed_at >= since], blocks, tz, now) == full
    short = [e for e in entries if e.observed_at >= since + timedelta(days=1)]
    assert reading_prompts(blocks, short, tz, now) == []   # B7 4: back to baseline on day 1


def test_the_blocks_baseline_is_read_until_week_52_is_past():
    tz = "America/New_York"
    day0 = date(2024, 3, 1)
    blocks = [BlockRecord(id=1, performed_at=local(tz, day0, 10), kind="diagnostic_la",
                          pre_pain=8)]
    entries = every_day(tz, date(2024, 2, 1), date(2025, 3, 5),
                        lambda d: 2 if day0 < d <= date(2024, 3, 31) else 8)
    for days, reads_baseline in ((364, True), (365, False)):
        now = local(tz, day0 + timedelta(days=days), 12)
        since = entries_from(blocks, tz, now)
        last_week = local(tz, now.astimezone(ZoneInfo(tz)).date() - timedelta(days=6), 0)
        assert since == (local(tz, day0 - timedelta(days=7), 0) if reads_baseline
                         else last_week)
        full = both(entries, blocks, tz, now)
        assert full == (None, [])                       # back to baseline on day 33: done
        assert both([e for e in entries if e.observed_at >= since], blocks, tz, now) == full
        recent = [e for e in entries if e.observed_at >= last_week]
        # Without the baseline, week 52 (due on day 364) would still be asked for.
        assert bool(reading_prompts(blocks, recent, tz, now)) is reads_baseline


def test_an_ask_is_answered_from_the_first_moment_of_its_day():
    """Day 7's questions sit on its 20:00 reading (window 18:00-midnight), and an answer from
    that day's first moment on answers them; one a minute earlier does not. On the day New York
    springs forward, too."""
    tz = "America/New_York"
    day0 = date(2025, 3, 2)
    blocks = [BlockRecord(id=1, performed_at=local(tz, day0, 10), kind="neurolysis")]
    day7 = day0 + timedelta(days=7)                     # 9 Mar: 23 hours long
    now = local(tz, day7, 12)
    first = local(tz, day7, 0)
    entries = [EntryRecord(id="late", observed_at=first - timedelta(minutes=1), pain=5,
                           pgic="much_better", wound="none"),
               EntryRecord(id="edge", observed_at=first, pain=5, pgic="no_change")]
    [asking] = [p for p in reading_prompts(blocks, entries, tz, now) if p.asks]
    assert (asking.label, asking.asks, asking.answered) == ("20:00", ("pgic", "limb"), ("pgic",))
    assert asking.text.endswith("Also: your leg at night and your foot.")
    since = entries_from(blocks, tz, now)
    assert since <= first
    assert both([e for e in entries if e.observed_at >= since], blocks, tz, now) \
        == both(entries, blocks, tz, now)
    [alone] = [p for p in reading_prompts(blocks, entries[:1], tz, now) if p.asks]
    assert alone.answered == ()
