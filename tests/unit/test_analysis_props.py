"""Properties of analyse_patient over arbitrary valid diaries (hypothesis)."""

import random
from datetime import UTC, datetime, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from diary.clinical import vocab
from diary.clinical.analysis import STATUS_LABELS, analyse_patient
from diary.clinical.records import BlockRecord, EntryRecord
from diary.clinical.settings import Settings

START = datetime(2025, 3, 1, tzinfo=UTC)   # spans the March/April DST changes of both hemispheres
ZONES = ["UTC", "Europe/London", "America/New_York", "Pacific/Auckland", "Asia/Kolkata"]
SPAN_MIN = 60 * 24 * 50
# Moderate counts: the whole file should run in a few seconds on a busy two-core machine.
FAST = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])

COLOURS, EFFECTS = sorted(vocab.COLOURS), sorted(vocab.SIDE_EFFECTS)


def _entry(i: int, minute: int, pain: int, bits: int) -> EntryRecord:
    """One entry from three numbers: `bits` picks the optional fields (few draws keep
    hypothesis fast; every combination is still reachable)."""
    def pick(width: int) -> int:
        nonlocal bits
        bits, value = divmod(bits, width)
        return value

    treated, other = pick(120), pick(120)       # 0-99: 25.0-34.9 °C; 100-119: not taken
    walk_free, walk_max = pick(80), pick(160)   # over 60 / 120: not taken
    return EntryRecord(
        id=f"e{i}", observed_at=START + timedelta(minutes=minute), pain=pain,
        temp_treated_c=25 + treated / 10 if treated < 100 else None,
        temp_other_c=25 + other / 10 if other < 100 else None,
        colour=COLOURS[pick(len(COLOURS) + 1) - 1] if pick(2) else None,
        walk_pain_free_min=walk_free if walk_free <= 60 else None,
        walk_max_min=walk_max if walk_max <= 120 else None,
        did_not_walk=pick(4) == 0,
        side_effects=frozenset(e for e in EFFECTS if pick(8) == 0),
        rescue_medication=pick(10) == 0)


def entries(n_max=25):
    row = st.tuples(st.integers(0, SPAN_MIN), st.integers(0, 10), st.integers(0, 2**63))
    return st.lists(row, max_size=n_max).map(
        lambda rows: [_entry(i, *r) for i, r in enumerate(rows)])


@st.composite
def blocks(draw, n_max=4):
    n = draw(st.integers(0, n_max))
    minutes = vocab.CLINIC_TEMP_MINUTES
    out = []
    for i in range(n):
        treated = draw(st.dictionaries(st.sampled_from(minutes), st.integers(250, 360)
                                       .map(lambda x: x / 10), max_size=4))
        other = draw(st.dictionaries(st.sampled_from(minutes), st.integers(250, 360)
                                     .map(lambda x: x / 10), max_size=4))
        out.append(BlockRecord(
            id=i + 1,
            performed_at=START + timedelta(minutes=draw(st.integers(0, SPAN_MIN))),
            kind=draw(st.sampled_from(sorted(vocab.BLOCK_KINDS))),
            pre_pain=draw(st.one_of(st.none(), st.integers(0, 10))),
            temps_treated=treated, temps_other=other,
            somatic_spread=draw(st.integers(0, 5)) == 0,
            confirmed_other_means=draw(st.booleans()),
            long_acting=draw(st.booleans()),
        ))
    return out


diaries = st.fixed_dictionaries({
    "entries": entries(),
    "blocks": blocks(),
    "tz": st.sampled_from(ZONES),
    "now": st.integers(0, SPAN_MIN + 60 * 24 * 30).map(lambda m: START + timedelta(minutes=m)),
})


def analyse(d, **changes):
    d = {**d, **changes}
    return analyse_patient(d["entries"], d["blocks"], Settings(), d["tz"], d["now"])


def all_relief(result):
    for a in result.blocks:
        yield a.peak.relief_pct
        yield a.prolonged.relief_pct
        yield from (p.relief_pct for p in a.relief_curve)


@FAST
@given(diaries)
def test_never_raises_and_gives_known_codes(d):
    result = analyse(d)
    assert len(result.blocks) == len(d["blocks"])
    assert set(result.statuses) <= set(STATUS_LABELS)
    assert sum(day.n for day in result.daily_means) == len(d["entries"])
    for a in result.blocks:
        assert a.verdict is None or a.verdict in vocab.VERDICTS
        assert a.technical.grade in vocab.TECHNICAL_SUCCESS
        assert a.explanation.endswith(".")
        if a.verdict == "uninterpretable":
            assert a.reasons
    times = [a.block.performed_at for a in result.blocks]
    assert times == sorted(times)


@FAST
@given(diaries)
def test_relief_stays_between_minus_100_and_100_percent(d):
    for pct in all_relief(analyse(d)):
        assert pct is None or -100.0 <= pct <= 100.0


@FAST
@given(diaries, st.randoms(use_true_random=False))
def test_input_order_changes_nothing(d, rnd: random.Random):
    shuffled_entries, shuffled_blocks = list(d["entries"]), list(d["blocks"])
    rnd.shuffle(shuffled_entries)
    rnd.shuffle(shuffled_blocks)
    assert analyse(d, entries=shuffled_entries, blocks=shuffled_blocks) == analyse(d)


@FAST
@given(diaries, st.data())
def test_a_lower_reading_in_the_window_never_lowers_peak_relief(d, data):
    before = analyse(d)
    candidates = [a for a in before.blocks if a.window_start < a.window_end]
    if not candidates:
        return
    a = data.draw(st.sampled_from(candidates))
    span = int((a.window_end - a.window_start).total_seconds()) - 1
    when = a.window_start + timedelta(seconds=data.draw(st.integers(0, max(span, 0))))
    lowest = a.peak.lowest_pain if a.peak.lowest_pain is not None else 10
    pain = data.draw(st.integers(0, lowest))
    extra = EntryRecord("added", when, pain)
    after = analyse(d, entries=[*d["entries"], extra])
    new = next(b for b in after.blocks if b.block == a.block)
    assert new.peak.n_entries == a.peak.n_entries + 1
    if a.peak.relief_pct is not None:
        assert new.peak.relief_pct >= a.peak.relief_pct
    assert new.peak.lowest_pain == pain


@settings(max_examples=25, deadline=None)
@given(diaries, st.integers(0, 10))
def test_a_clinic_pain_never_changes_what_the_diary_says_about_other_days(d, pre):
    # B0 only feeds the window verdict: the relief curve is measured against B7 alone.
    if not d["blocks"]:
        return
    changed = [BlockRecord(**{**b.__dict__, "pre_pain": pre}) for b in d["blocks"]]
    original, other = analyse(d), analyse(d, blocks=changed)
    for a, b in zip(original.blocks, other.blocks, strict=True):
        assert a.relief_curve == b.relief_curve
        assert a.duration == b.duration
