"""Properties of analyse_patient over arbitrary valid diaries (hypothesis)."""

import random
from datetime import UTC, datetime, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from diary.clinical import vocab
from diary.clinical.analysis import STATUS_LABELS, analyse_patient
from diary.clinical.followup import CHECKPOINT_DAYS
from diary.clinical.records import BlockRecord, EntryRecord, VisitRecord
from diary.clinical.settings import Settings

START = datetime(2025, 3, 1, tzinfo=UTC)   # spans the March/April DST changes of both hemispheres
ZONES = ["UTC", "Europe/London", "America/New_York", "Pacific/Auckland", "Asia/Kolkata"]
SPAN_MIN = 60 * 24 * 50
# Moderate counts: the whole file should run in a few seconds on a busy two-core machine.
FAST = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])

COLOURS, EFFECTS = sorted(vocab.COLOURS), sorted(vocab.SIDE_EFFECTS)
TOUCH, WOUNDS, PGIC = [None, *vocab.TOUCH_PAIN], [None, *vocab.WOUND], [None, *vocab.PGIC]
NIGHTS = [None, False, True]
FOLLOW_UP_ANSWERS = len(TOUCH) * len(NIGHTS) * len(WOUNDS) * len(PGIC)


def _entry(i: int, minute: int, pain: int, bits: int, answers: int = 0) -> EntryRecord:
    """One entry from a few numbers: `bits` picks the optional fields, `answers` the §7/§8
    follow-up answers (few draws keep hypothesis fast; every combination is still reachable)."""
    def pick(width: int) -> int:
        nonlocal bits
        bits, value = divmod(bits, width)
        return value

    answers, touch = divmod(answers, len(TOUCH))
    answers, night = divmod(answers, len(NIGHTS))
    pgic, wound = divmod(answers, len(WOUNDS))

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
        rescue_medication=pick(10) == 0,
        touch_pain=TOUCH[touch], night_rest_pain=NIGHTS[night], wound=WOUNDS[wound],
        pgic=PGIC[pgic])


def entries(n_max=25):
    row = st.tuples(st.integers(0, SPAN_MIN), st.integers(0, 10), st.integers(0, 2**63),
                    st.integers(0, FOLLOW_UP_ANSWERS - 1))
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


visits = st.lists(st.builds(
    VisitRecord, id=st.integers(1, 50),
    visited_on=st.integers(-30, 90).map(lambda d: (START + timedelta(days=d)).date()),
    fontaine=st.sampled_from([None, *vocab.FONTAINE])), max_size=4, unique_by=lambda v: v.id)

diaries = st.fixed_dictionaries({
    "entries": entries(),
    "blocks": blocks(),
    "visits": visits,
    "tz": st.sampled_from(ZONES),
    "now": st.integers(0, SPAN_MIN + 60 * 24 * 30).map(lambda m: START + timedelta(minutes=m)),
})


def analyse(d, **changes):
    d = {**d, **changes}
    return analyse_patient(d["entries"], d["blocks"], Settings(), d["tz"], d["now"],
                           visits=d["visits"])


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
    shuffled_visits = list(d["visits"])
    rnd.shuffle(shuffled_entries)
    rnd.shuffle(shuffled_blocks)
    rnd.shuffle(shuffled_visits)
    assert analyse(d, entries=shuffled_entries, blocks=shuffled_blocks,
                   visits=shuffled_visits) == analyse(d)


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


# ---------------------------------------------------- §7 / §8: follow-up, PGIC, touch pain

def _neurolytic(d):
    """The drawn blocks with every other one made a neurolysis or RF, so both are common."""
    kinds = sorted(vocab.NEUROLYTIC_KINDS)
    return [BlockRecord(**{**b.__dict__, "kind": kinds[i % 2]}) if i % 2 == 0 else b
            for i, b in enumerate(d["blocks"])]


@FAST
@given(diaries, st.sampled_from([Settings(), Settings(
    checkpoint_near_days=7, checkpoint_far_days=1, rest_pain_nights_days=14,
    touch_after_days=1, pgic_high_relief_pct=30, pgic_low_relief_pct=30,
    touch_change_points=0.1)]))
def test_follow_up_never_raises_and_holds_together(d, s):
    blocks = _neurolytic(d)
    result = analyse_patient(d["entries"], blocks, s, d["tz"], d["now"], visits=d["visits"])
    by_time = sorted(d["entries"], key=lambda e: (e.observed_at, e.id))
    wounds = [e.wound for e in by_time if e.wound is not None]
    assert result.latest_wound == (wounds[-1] if wounds else None)
    assert ("wound" in result.statuses) == bool(wounds and wounds[-1] in vocab.URGENT_WOUNDS)
    staged = [v for v in d["visits"] if v.fontaine is not None]
    assert len(result.fontaine.visits) == len(staged)
    assert (result.fontaine.change is None) == (len(staged) < 2)
    for i, a in enumerate(result.blocks):
        later = result.blocks[i + 1:]
        next_at = later[0].block.performed_at if later else None
        answered = [e for e in by_time if e.pgic is not None
                    and a.block.performed_at <= e.observed_at
                    and (next_at is None or e.observed_at < next_at)]
        assert [p.entry_id for p in a.pgic] == [e.id for e in answered]
        for p in a.pgic:
            assert p.relief_pct is None or -100.0 <= p.relief_pct <= 100.0
            assert p.disagreement is None or p.relief_pct is not None
        tp = a.touch_pain
        assert list(tp.before) == list(tp.after) == list(vocab.TOUCH_PAIN)
        assert (tp.before_mean is None) == (sum(tp.before.values()) == 0)
        assert (tp.change is None) == (tp.before_mean is None or tp.after_mean is None)
        assert tp.note.endswith(".")
        fu = a.limb_follow_up
        if a.kind not in vocab.NEUROLYTIC_KINDS:
            assert fu is None
            continue
        assert [c.day for c in fu.checkpoints] == list(CHECKPOINT_DAYS)
        assert [f.urgent for f in fu.flags] == sorted((f.urgent for f in fu.flags), reverse=True)
        for c in fu.checkpoints:
            assert c.state in ("upcoming", "open", "done") and c.note.endswith(".")
            assert c.first > a.local_date
            if c.diary_days == 0:
                assert (c.mean_pain, c.relief_pct, c.temp_gain_c, c.walk_pain_free_gain_min,
                        c.walk_max_gain_min, c.walking_meaningful) == (None,) * 6
            else:
                assert 0 <= c.mean_pain <= 10
            assert c.relief_pct is None or -100.0 <= c.relief_pct <= 100.0
            assert c.rest_pain_nights is None or 0 <= c.rest_pain_nights <= c.rest_pain_answered
            assert c.rest_pain_answered <= s.rest_pain_nights_days
            assert c.wound is None or c.wound in vocab.WOUND
            assert c.pgic is None or c.pgic in vocab.PGIC
