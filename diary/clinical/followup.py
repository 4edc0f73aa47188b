"""Follow-up after neurolysis or RF in limb ischaemia, PGIC and touch pain (docs/clinical.md
§7, §8). Plain Python, reading the `DiaryIndex` by bisection like relief.py and signs.py.

The result dataclasses are an interface: the web pages, the CSV export and the demo read these
names. Choices where the sources are silent:

- Checkpoint spans are local calendar days: day N ± checkpoint_near_days (days 7 and 30) or
  ± checkpoint_far_days (90, 180), never before day 1 (the block day is judged by its window)
  and stopping the day before the next block's day, as relief.py does. A span the next block
  cuts off entirely is "done", has no figures and says so.
- State, in the patient's calendar: "upcoming" before the span's first day (no figures at all,
  not even the wound), "open" to its last day (figures on the days so far), then "done".
- No diary days in the span: every figure from them is None, never 0, and the note says
  "No diary days in days X–Y." Relief is `verdict.relief_pct` against B7 (floored at -100 %).
- Temperature gain: the mean over days of each day's mean (treated - other), readings with both
  feet, in the span, minus the same over B7's days; None when either has no such reading.
- Walking gain: the mean of the daily walking means of every span day with a time, against
  §3.12's "before" (signs.walking); meaningful as there (a gain above 0 of >= walk_gain_min or
  >= walk_gain_pct in either time).
- Nights with rest pain: the rest_pain_nights_days (7) local days ending on the checkpoint day,
  from day 1 and before the next block's day. A day counts if any entry says yes, is answered if
  any says yes or no; None when no day is answered.
- A checkpoint's wound is the latest answer from the block to the span's last day (so far,
  while open). Its PGIC is the answer in the span whose day is nearest the checkpoint
  day; a tie goes to the earlier answer.
- Flags: the wound flag reads the latest answer from the block to the next block. "Two
  successive checkpoints" are two in a row among those with a relief value; the sentence names
  the latest such pair. Groin/thigh burning "appears after" the block when no entry from the
  first of B7's days to the block reported it. Urgent flags first, then in the order above.
- Touch pain: every answer counts (several a day may be given); before = B7's days, after =
  days 1 to touch_after_days, before the next block's day. Mean: none 0, mild 1, marked 2, over
  the answers (so it matches the counts shown). "less" / "more" when the means differ by
  touch_change_points (0.5) or more, else "same".
- PGIC: every answer from the block to the next block. Its relief is the relief curve's value
  on that day, else on the latest diary day before (None on the block day or without B7). A
  disagreement: relief >= pgic_high_relief_pct with "no change" or worse, or relief below
  pgic_low_relief_pct with "much better" or better.
- Fontaine: visits with a stage, by date (ties by id). One visit gives no trend (change None).
- An answer code the vocabulary does not know is refused (ValueError), as the analysis
  refuses other bad input rather than guess.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING

from diary.clinical import vocab
from diary.clinical.records import VisitRecord
from diary.clinical.settings import EPS
from diary.clinical.verdict import relief_pct
from diary.clinical.wording import fmt_date, fmt_pct

if TYPE_CHECKING:
    from diary.clinical.diary_index import DiaryIndex
    from diary.clinical.records import BlockRecord, EntryRecord
    from diary.clinical.settings import Settings
    from diary.clinical.signs import Walking

# §7: the checkpoints, in days after the block, judged on the diary days within ± the span.
CHECKPOINT_DAYS = (7, 30, 90, 180)
NEAR_CHECKPOINTS = frozenset({7, 30})   # ± checkpoint_near_days; the others ± checkpoint_far_days

ONE_DAY = timedelta(days=1)
TOUCH_SCORE = {code: i for i, code in enumerate(vocab.TOUCH_PAIN)}   # none 0, mild 1, marked 2
NO_STAGE = "No Fontaine stage recorded."


@dataclass(frozen=True)
class Checkpoint:
    day: int                          # 7, 30, 90 or 180
    first: date                       # local dates of the span judged, inclusive
    last: date
    state: str                        # "upcoming" (span not begun), "open" (now in it), "done"
    diary_days: int                   # days with entries in the span (0: "no diary days")
    mean_pain: float | None           # mean of the span's daily means
    relief_pct: float | None          # rest-pain relief against B7; None: no days or no B7
    temp_gain_c: float | None         # mean (treated - other) of the span minus B7 days' mean
    walk_pain_free_gain_min: float | None
    walk_max_gain_min: float | None
    walking_meaningful: bool | None   # as §3.12, against the walking before the block
    rest_pain_nights: int | None      # days with "pain woke me" in the 7 days to the checkpoint
    rest_pain_answered: int           # days answered (yes or no) in those 7 days
    wound: str | None                 # latest vocab.WOUND answer from the block to the span end
    wound_at: datetime | None
    pgic: str | None                  # vocab.PGIC answer nearest the checkpoint day
    pgic_at: datetime | None
    note: str                         # plain words: "No diary days in days 83–97." etc.


@dataclass(frozen=True)
class Flag:
    code: str                         # "wound", "pain_above_baseline", "groin_thigh_burning"
    urgent: bool
    text: str                         # plain sentence for the clinician


@dataclass(frozen=True)
class LimbFollowUp:
    """§7 for one neurolysis/RF block (BlockAnalysis.limb_follow_up; None for LA blocks)."""
    checkpoints: list[Checkpoint]     # in CHECKPOINT_DAYS order
    flags: list[Flag]                 # urgent first


@dataclass(frozen=True)
class TouchPain:
    """§8: touch pain before the block (its baseline days) against days 1-7 after."""
    before: dict[str, int]            # vocab.TOUCH_PAIN code -> answers, every code present
    after: dict[str, int]
    before_mean: float | None         # none 0, mild 1, marked 2; None: no answers
    after_mean: float | None
    change: str | None                # "less", "same", "more"; None when either side is empty
    note: str


@dataclass(frozen=True)
class PgicAnswer:
    """§8: one PGIC answer after a block, beside the relief computed for that day."""
    entry_id: str
    at: datetime
    day: int                          # local days after the block day
    answer: str                       # vocab.PGIC code
    relief_pct: float | None          # relief curve value on that day (else the latest before)
    disagreement: str | None          # plain note when the answer and relief disagree


@dataclass(frozen=True)
class FontaineTrend:
    visits: list[VisitRecord]         # with a stage, oldest first
    change: str | None                # "better", "same", "worse" (first against latest)
    text: str                         # "IIb (3 Mar) → III (9 Jun): worse"


# ------------------------------------------------------------------------------ helpers

@dataclass(frozen=True)
class _Block:
    """One block's place in the diary: its local day, its last day and the entries after it."""
    block: BlockRecord
    day0: date                        # the block's local day
    last_day: date | None             # the day before the next block's day (None: no next)
    after: list[EntryRecord]          # from the block to the next one, in time order
    index: DiaryIndex


def _place(block: BlockRecord, next_at: datetime | None, index: DiaryIndex) -> _Block:
    last_day = index.local_date(next_at) - ONE_DAY if next_at is not None else None
    return _Block(block, index.local_date(block.performed_at), last_day,
                  index.between(block.performed_at, next_at), index)


def _clip(last: date, last_day: date | None) -> date:
    return last if last_day is None else min(last, last_day)


def _on_days(index: DiaryIndex, first: date, last: date, temps: bool = False) -> list[EntryRecord]:
    """Entries on local days first..last (only those with both feet if `temps`). Bisected with
    a day's margin and then filtered: a clock change at midnight can step the local date back."""
    if first > last:
        return []
    times, items = (index.temp_times, index.temp_entries) if temps else (index.times,
                                                                          index.entries)
    lo = bisect_left(times, datetime.combine(first - ONE_DAY, time(), index.zone))
    hi = bisect_left(times, datetime.combine(last + 2 * ONE_DAY, time(), index.zone))
    return [e for e in items[lo:hi] if first <= index.local_date(e.observed_at) <= last]


def _mean(values: list[float]) -> float | None:
    return sum(values) / len(values) if values else None


def _temp_diff(index: DiaryIndex, first: date, last: date) -> float | None:
    """Mean over days of each day's mean (treated - other), readings with both feet."""
    per_day: dict[date, list[float]] = {}
    for e in _on_days(index, first, last, temps=True):
        per_day.setdefault(index.local_date(e.observed_at), []).append(
            e.temp_treated_c - e.temp_other_c)
    return _mean([sum(v) / len(v) for v in per_day.values()])


def _minus(after: float | None, before: float | None) -> float | None:
    return None if after is None or before is None else after - before


def _days_text(first: int, last: int) -> str:
    return f"day {first}" if first == last else f"days {first}–{last}"


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def _code(table: dict, code: str, e: EntryRecord, what: str):
    try:
        return table[code]
    except KeyError:
        raise ValueError(f"entry {e.id}: unknown {what} answer {code!r}") from None


# ------------------------------------------------------------------- §7 limb follow-up

def limb_follow_up(block: BlockRecord, next_at: datetime | None, b7: float | None,
                   walk: Walking, index: DiaryIndex, s: Settings,
                   now: datetime) -> LimbFollowUp:
    """Checkpoints at days 7, 30, 90 and 180 and the flags, for a neurolysis or RF block.

    `b7` and `walk` are the block's baseline and walking (relief.py, signs.walking)."""
    c = _place(block, next_at, index)
    base_temp = _temp_diff(index, c.day0 - timedelta(days=s.baseline_days), c.day0 - ONE_DAY)
    wounds = [e for e in c.after if e.wound is not None]
    pgics = [e for e in c.after if e.pgic is not None]
    today = index.local_date(now)
    points = [_checkpoint(c, n, b7, base_temp, walk, wounds, pgics, s, today)
              for n in CHECKPOINT_DAYS]
    return LimbFollowUp(points, _flags(c, points, wounds, s))


def _checkpoint(c: _Block, n: int, b7: float | None, base_temp: float | None, walk: Walking,
                wounds: list[EntryRecord], pgics: list[EntryRecord], s: Settings,
                today: date) -> Checkpoint:
    half = timedelta(days=s.checkpoint_near_days if n in NEAR_CHECKPOINTS
                     else s.checkpoint_far_days)
    on = c.day0 + timedelta(days=n)
    first, last = max(on - half, c.day0 + ONE_DAY), on + half
    span = _days_text((first - c.day0).days, (last - c.day0).days)
    if c.last_day is not None and c.last_day < first:
        next_day = fmt_date(c.last_day + ONE_DAY)
        return _blank(n, first, last, "done",
                      f"Not reached: the next block, on {next_day}, comes before {span}.")
    cut = _clip(last, c.last_day) < last
    last = _clip(last, c.last_day)
    span = _days_text((first - c.day0).days, (last - c.day0).days)
    if today < first:
        return _blank(n, first, last, "upcoming",
                      f"Upcoming: {span}, {fmt_date(first)} to {fmt_date(last)}.")
    state = "open" if today <= last else "done"

    days = c.index.days(first, last)
    mean = _mean([d.mean for _, d in days])
    relief = relief_pct(b7, mean)
    temp = _temp_diff(c.index, first, last)
    temp_gain = _minus(temp, base_temp)
    pf_gain = _minus(_mean([d.pf_total / d.pf_n for _, d in days if d.pf_n]),
                     walk.pain_free_before)
    mx_gain = _minus(_mean([d.mx_total / d.mx_n for _, d in days if d.mx_n]), walk.max_before)
    meaningful = _walk_meaningful([(pf_gain, walk.pain_free_before),
                                   (mx_gain, walk.max_before)], s)
    nights, answered = _rest_pain(c, on, s)
    wound = next((e for e in reversed(wounds)
                  if c.index.local_date(e.observed_at) <= last), None)
    near = [(abs((c.index.local_date(e.observed_at) - on).days), e.observed_at, e) for e in pgics
            if first <= c.index.local_date(e.observed_at) <= last]
    pgic = min(near, key=lambda x: x[:2])[2] if near else None

    if not days:
        note = f"No diary days in {span}."
    else:
        against = (f"relief {fmt_pct(relief)} % against B7 {b7:.1f}" if relief is not None
                   else "no B7 to measure relief against")
        note = f"{_plural(len(days), 'diary day')} in {span}: mean pain {mean:.1f}, {against}."
    if state == "open":
        note += f" Open until {fmt_date(last)}."
    if cut:
        note += f" Cut short by the next block on {fmt_date(c.last_day + ONE_DAY)}."
    return Checkpoint(
        n, first, last, state, len(days), mean, relief, temp_gain, pf_gain, mx_gain, meaningful,
        nights, answered, wound.wound if wound else None, wound.observed_at if wound else None,
        pgic.pgic if pgic else None, pgic.observed_at if pgic else None, note)


def _blank(n: int, first: date, last: date, state: str, note: str) -> Checkpoint:
    """A checkpoint not begun, or never reached: no figures at all."""
    return Checkpoint(n, first, last, state, 0, None, None, None, None, None, None, None, 0,
                      None, None, None, None, note)


def _walk_meaningful(gains: list[tuple[float | None, float | None]], s: Settings) -> bool | None:
    """As signs.walking: a gain above 0 of at least walk_gain_min or walk_gain_pct."""
    judged = [(g, 100 * g / before if before > 0 else None)
              for g, before in gains if g is not None]
    if not judged:
        return None
    return any(m > 0 and (m >= s.walk_gain_min - EPS or (p is not None
                                                        and p >= s.walk_gain_pct - EPS))
               for m, p in judged)


def _rest_pain(c: _Block, on: date, s: Settings) -> tuple[int | None, int]:
    """Days with rest pain at night and days answered, in the days ending on the checkpoint."""
    first = max(on - timedelta(days=s.rest_pain_nights_days - 1), c.day0 + ONE_DAY)
    said: dict[date, bool] = {}
    for e in _on_days(c.index, first, _clip(on, c.last_day)):
        if e.night_rest_pain is not None:
            d = c.index.local_date(e.observed_at)
            said[d] = said.get(d, False) or e.night_rest_pain
    return (sum(said.values()) if said else None), len(said)


def _flags(c: _Block, points: list[Checkpoint], wounds: list[EntryRecord],
           s: Settings) -> list[Flag]:
    flags = []
    latest = wounds[-1] if wounds else None
    if latest is not None and latest.wound in vocab.URGENT_WOUNDS:
        what = "A new wound" if latest.wound == "new" else "The wound is worse"
        d = c.index.local_date(latest.observed_at)
        flags.append(Flag("wound", True,
                          f"{what}: reported on {fmt_date(d)} (day {(d - c.day0).days}). "
                          "Urgent: tell the vascular team."))
    valued = [p for p in points if p.relief_pct is not None]
    above = [(a, b) for a, b in zip(valued, valued[1:], strict=False)
             if a.relief_pct < -EPS and b.relief_pct < -EPS]
    if above:
        a, b = above[-1]
        flags.append(Flag("pain_above_baseline", False,
                          f"Pain above baseline at the day-{a.day} and day-{b.day} checkpoints "
                          f"(relief {fmt_pct(a.relief_pct)} % and {fmt_pct(b.relief_pct)} %)."))
    burning = next((e for e in c.after if "groin_thigh_burning" in e.side_effects), None)
    if burning is not None:
        first = c.day0 - timedelta(days=s.baseline_days)
        before = [e for e in _on_days(c.index, first, c.day0)
                  if e.observed_at < c.block.performed_at
                  and "groin_thigh_burning" in e.side_effects]
        if not before:
            d = c.index.local_date(burning.observed_at)
            flags.append(Flag(
                "groin_thigh_burning", False,
                f"Groin or thigh burning first reported on {fmt_date(d)} (day "
                f"{(d - c.day0).days}), not in the {s.baseline_days} days before the block: "
                "possible post-sympathectomy neuralgia (19–50 % after neurolysis or "
                "radiofrequency; it usually settles within weeks)."))
    return sorted(flags, key=lambda f: not f.urgent)


# ---------------------------------------------------------------------- §8 touch pain

def touch_pain(block: BlockRecord, next_at: datetime | None, index: DiaryIndex,
               s: Settings) -> TouchPain:
    """Touch-pain answers in B7's days against days 1 to touch_after_days after the block."""
    c = _place(block, next_at, index)
    last = _clip(c.day0 + timedelta(days=s.touch_after_days), c.last_day)
    before = _touch_counts(_on_days(index, c.day0 - timedelta(days=s.baseline_days),
                                    c.day0 - ONE_DAY))
    after = _touch_counts(_on_days(index, c.day0 + ONE_DAY, last))
    b_mean, a_mean = _touch_mean(before), _touch_mean(after)
    change = None
    if b_mean is not None and a_mean is not None:
        step = s.touch_change_points - EPS
        change = "less" if a_mean <= b_mean - step else "more" if a_mean >= b_mean + step \
            else "same"
    days = (last - c.day0).days
    after_days = f"on {_days_text(1, days)}" if days >= 1 else "before the next block"
    before_text = f"in the {s.baseline_days} days before the block"

    def side(counts: dict[str, int], mean: float | None, where: str) -> str:
        n = sum(counts.values())
        return f"mean {mean:.1f} {where} ({_plural(n, 'answer')})" if n else f"none {where}"

    if b_mean is None and a_mean is None:
        note = f"No touch-pain answers {before_text} or {after_days} after it."
    else:
        note = (f"Touch pain (none 0, mild 1, marked 2): {side(before, b_mean, before_text)}; "
                f"{side(after, a_mean, after_days)}")
        words = {"less": "less", "same": "about the same", "more": "more"}
        note += f": {words[change]}." if change else "."
    return TouchPain(before, after, b_mean, a_mean, change, note)


def _touch_counts(entries: list[EntryRecord]) -> dict[str, int]:
    counts = dict.fromkeys(vocab.TOUCH_PAIN, 0)
    for e in entries:
        if e.touch_pain is not None:
            _code(TOUCH_SCORE, e.touch_pain, e, "touch pain")
            counts[e.touch_pain] += 1
    return counts


def _touch_mean(counts: dict[str, int]) -> float | None:
    n = sum(counts.values())
    return sum(TOUCH_SCORE[c] * k for c, k in counts.items()) / n if n else None


# --------------------------------------------------------------------------- §8 PGIC

def pgic_answers(block: BlockRecord, next_at: datetime | None,
                 curve: Sequence[tuple[int, float | None]], index: DiaryIndex,
                 s: Settings) -> list[PgicAnswer]:
    """Every PGIC answer from the block to the next, beside the relief curve (relief.py)."""
    day0 = index.local_date(block.performed_at)
    curve_days = [p[0] for p in curve]
    out = []
    for e in index.between(block.performed_at, next_at):
        if e.pgic is None:
            continue
        score = _code(vocab.PGIC_SCORE, e.pgic, e, "PGIC")
        n = (index.local_date(e.observed_at) - day0).days
        i = bisect_right(curve_days, n) - 1
        pct = curve[i][1] if i >= 0 else None
        out.append(PgicAnswer(e.id, e.observed_at, n, e.pgic, pct,
                              _disagreement(e.pgic, score, pct, n, s)))
    return out


def _disagreement(answer: str, score: int, pct: float | None, day: int,
                  s: Settings) -> str | None:
    if pct is None:
        return None
    said = f"The patient says \"{vocab.PGIC[answer]}\" on day {day}"
    if pct >= s.pgic_high_relief_pct - EPS and score <= vocab.PGIC_SCORE["no_change"]:
        return (f"{said}, yet relief is {fmt_pct(pct)} % "
                f"({s.pgic_high_relief_pct} % or more).")
    if pct < s.pgic_low_relief_pct - EPS and score >= vocab.PGIC_SCORE["much_better"]:
        return f"{said}, yet relief is only {fmt_pct(pct)} % (below {s.pgic_low_relief_pct} %)."
    return None


# ----------------------------------------------------------- §7 Fontaine stage, wound

def fontaine_trend(visits: Iterable[VisitRecord]) -> FontaineTrend:
    """The Fontaine stage at the first visit against the latest (higher rank is worse)."""
    staged = sorted((v for v in visits if v.fontaine is not None),
                    key=lambda v: (v.visited_on, v.id))
    for v in staged:
        if v.fontaine not in vocab.FONTAINE_RANK:
            raise ValueError(f"visit {v.id}: unknown Fontaine stage {v.fontaine!r}")
    if not staged:
        return FontaineTrend([], None, NO_STAGE)
    first, latest = staged[0], staged[-1]
    if len(staged) == 1:
        return FontaineTrend(staged, None, f"{_stage(first)}: one stage recorded, no trend yet.")
    step = vocab.FONTAINE_RANK[latest.fontaine] - vocab.FONTAINE_RANK[first.fontaine]
    change = "worse" if step > 0 else "better" if step < 0 else "same"
    return FontaineTrend(staged, change, f"{_stage(first)} → {_stage(latest)}: {change}")


def _stage(v: VisitRecord) -> str:
    return f"{vocab.FONTAINE[v.fontaine].split(' — ')[0]} ({fmt_date(v.visited_on)})"


def latest_wound(index: DiaryIndex) -> EntryRecord | None:
    """The latest entry in the whole diary that answered the wound question."""
    return next((e for e in reversed(index.entries) if e.wound is not None), None)
