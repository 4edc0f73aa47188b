"""A diary prepared for drawing: readings on detail days, equal day bins elsewhere."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from operator import itemgetter
from zoneinfo import ZoneInfo

from diary.clinical import vocab
from diary.clinical.analysis import PatientAnalysis
from diary.clinical.charts.common import MAX_BINS, RAW_LIMIT, RECENT_DETAIL_DAYS, _r
from diary.clinical.records import EntryRecord

MEASURES = ("treated", "other", "diff", "walk_pf", "walk_max")


@dataclass
class _Diary:
    """The entries in local time, split into detail readings and bins of whole days.

    Bins are kept as parallel lists (one slot per bin): a 10-year diary has thousands of
    entries, and per-bin objects cost more than the rest of the figure.
    """

    zone: ZoneInfo
    entries: list[tuple[datetime, EntryRecord]]      # (aware local time, entry)
    first_day: date | None = None
    width: int = 1                                   # days per bin
    n_bins: int = 0
    binned: bool = False                             # False: every reading is a detail reading
    detail_days: set[date] = field(default_factory=set)
    detail: list[tuple[datetime, EntryRecord]] = field(default_factory=list)
    pain_lo: list = field(default_factory=list)
    pain_hi: list = field(default_factory=list)
    pain_mean: list = field(default_factory=list)
    sums: dict[str, list[float]] = field(default_factory=dict)
    counts: dict[str, list[int]] = field(default_factory=dict)
    colours: list = field(default_factory=list)      # per bin: None or {code: count}
    effects: list = field(default_factory=list)      # per bin: None or {group: {codes}}
    rescue: list = field(default_factory=list)       # per bin: readings with extra medicine

    def x0(self) -> str:
        start = datetime.combine(self.first_day, time()) + timedelta(days=self.width / 2)
        return start.isoformat(sep=" ", timespec="minutes")

    def mean(self, key: str, i: int) -> float | None:
        n = self.counts[key][i]
        return self.sums[key][i] / n if n else None


_TIME = itemgetter(0)


def _prepare(analysis: PatientAnalysis, entries: list[EntryRecord], unit: str) -> _Diary:
    zone = ZoneInfo(analysis.tz)
    # Aware local times compare and subtract like the UTC ones; _iso drops the offset.
    local = [(e.observed_at.astimezone(zone), e) for e in entries]
    if not local:
        return _Diary(zone, [])
    first, last = min(local, key=_TIME)[0].date(), max(local, key=_TIME)[0].date()
    span = (last - first).days + 1
    width = max(1, math.ceil(span / MAX_BINS))
    n = math.ceil(span / width)
    binned = len(local) > RAW_LIMIT
    detail_days = set()
    if binned:
        for b in analysis.blocks:
            detail_days.update({b.local_date, b.local_date + timedelta(days=1)})
        today = analysis.now.astimezone(zone).date()
        detail_days.update(today - timedelta(days=i) for i in range(RECENT_DETAIL_DAYS))
        detail = [p for p in local if p[0].date() in detail_days]
    else:
        detail = local
    # Only the readings drawn one by one need sorting; bins do not care about order.
    detail.sort(key=lambda p: (p[0], p[1].id))
    d = _Diary(zone, local, first_day=first, width=width, n_bins=n, binned=binned,
               detail_days=detail_days, detail=detail,
               pain_lo=[None] * n, pain_hi=[None] * n, pain_mean=[None] * n,
               sums={k: [0.0] * n for k in MEASURES}, counts={k: [0] * n for k in MEASURES},
               colours=[None] * n, effects=[None] * n, rescue=[0] * n)

    first_ord = first.toordinal()
    totals, days = [0.0] * n, [0] * n
    for day in analysis.daily_means:
        i = (day.date.toordinal() - first_ord) // width
        if 0 <= i < n:
            totals[i] += day.mean
            days[i] += 1
            d.pain_lo[i] = day.min if d.pain_lo[i] is None else min(d.pain_lo[i], day.min)
            d.pain_hi[i] = day.max if d.pain_hi[i] is None else max(d.pain_hi[i], day.max)
    d.pain_mean = [_r(t / k, 1) if k else None for t, k in zip(totals, days, strict=True)]

    factor, offset = (9 / 5, 32.0) if unit == "F" else (1.0, 0.0)
    # The loop below runs once per reading of years of diary: locals, not lookups.
    (tr_s, ot_s, df_s, pf_s, mx_s), (tr_n, ot_n, df_n, pf_n, mx_n) = (
        [d.sums[k] for k in MEASURES], [d.counts[k] for k in MEASURES])
    detail_ords = {day.toordinal() for day in detail_days}
    for t, e in local:
        o = t.toordinal()
        i = (o - first_ord) // width
        tt, to = e.temp_treated_c, e.temp_other_c
        if tt is not None:
            tr_s[i] += tt * factor + offset
            tr_n[i] += 1
            if to is not None:
                df_s[i] += (tt - to) * factor
                df_n[i] += 1
        if to is not None:
            ot_s[i] += to * factor + offset
            ot_n[i] += 1
        if not e.did_not_walk:
            if e.walk_pain_free_min is not None:
                pf_s[i] += e.walk_pain_free_min
                pf_n[i] += 1
            if e.walk_max_min is not None:
                mx_s[i] += e.walk_max_min
                mx_n[i] += 1
        if binned and o not in detail_ords:
            # Events and colours on detail days are drawn reading by reading instead.
            if e.colour:
                counts = d.colours[i] if d.colours[i] is not None else {}
                counts[e.colour] = counts.get(e.colour, 0) + 1
                d.colours[i] = counts
            if e.side_effects:
                groups = d.effects[i] if d.effects[i] is not None else {}
                for group, codes in _side_effect_groups(e.side_effects).items():
                    groups.setdefault(group, set()).update(codes)
                d.effects[i] = groups
            if e.rescue_medication:
                d.rescue[i] += 1
    return d


SIDE_EFFECT_GROUPS = {
    "somatic": "Leg numbness or weakness",
    "other": "Other side effects",
}


def _side_effect_groups(codes: frozenset[str]) -> dict[str, set[str]]:
    groups: dict[str, set[str]] = {}
    for code in codes:
        group = "somatic" if code in vocab.SOMATIC_SIDE_EFFECTS else "other"
        groups.setdefault(group, set()).add(code)
    return groups


