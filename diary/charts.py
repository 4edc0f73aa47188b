"""Plotly figures for the consultant's patient page and the patient's phone. Plain Python.

The view gives the entries it analysed and `analysis.analyse_patient`'s result.
`patient_figures` and `phone_figure` return the JSON the page puts in
`<script type="application/json" class="chart-data">` (drawn by static/js/charts.js); the
`*_caption` functions say in words what each chart shows. Each chart is built as a plain
figure dict (`*_spec`); `*_figure` wraps it in a validated `plotly.graph_objects.Figure`.

Years of diary stay small and fast to send:
- once a diary holds more than RAW_LIMIT readings, readings are drawn one by one only on
  detail days (each block day and the day after it, and the last RECENT_DETAIL_DAYS);
- everything else is drawn in equal bins of whole days (one day each until the diary spans
  MAX_BINS days, then wider), placed with x0/dx so no dates are sent; pain is drawn as each
  bin's lowest-to-highest range plus a marker wherever the highest reached EXTREME_PAIN, so no
  extreme reading is hidden by an average;
- numbers are rounded to what the diary records, times are local ISO strings to the minute,
  and hover text comes from per-trace templates, never per-point arrays.

The time axis shows the patient's wall-clock time: plotly's date axes have no time zone.
All trace types are scatter, which the basic plotly.js bundle draws (it has no heatmap).
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from operator import itemgetter
from zoneinfo import ZoneInfo

import plotly.graph_objects as go
import plotly.io as pio

from diary import vocab
from diary.analysis import EntryRecord, PatientAnalysis
from diary.relief import BlockAnalysis
from diary.verdict import fmt_date, fmt_pct

RAW_LIMIT = 1500            # readings drawn one by one before long ranges are binned
MAX_BINS = 1000             # about one per pixel of a wide screen: more would not be seen
RECENT_DETAIL_DAYS = 14
EXTREME_PAIN = 8
ZOOM_HOURS = 8
ZOOM_LEAD = timedelta(hours=1)   # the zoom starts a little before the block, to show B0
SEGMENT_DAYS = 28           # how far after a block its baseline and relief lines run
COMPARE_MAX_DAYS = 365
PHONE_DAYS = 90
CAPTION_BLOCKS = 6          # the comparison caption spells out the latest blocks only
BUTTONS_PER_ROW = 8
LINE_GAP = timedelta(days=2)     # readings further apart than this are not joined by a line
DAY_MS = 86_400_000

VERDICT_COLOURS = {"positive": "#1e6b35", "partial": "#b26b00", "negative": "#b3261e",
                   "uninterpretable": "#6b7280", None: "#6b7280"}
COLOUR_SWATCHES = {"same": "#c9d1da", "red_flushed": "#d62728", "pale_white": "#f1ead8",
                   "blue_purple": "#6a3d9a", "mottled": "#8c564b", "other": "#4f5863"}
INK, MUTED, PAIN, TREATED, OTHER = "#1b1f24", "#4f5863", "#0b5cab", "#d62728", "#1f77b4"
FONT = "system-ui, -apple-system, Segoe UI, Roboto, sans-serif"

TIMELINE_CONFIG = {"displaylogo": False, "responsive": True,
                   "modeBarButtonsToRemove": ["select2d", "lasso2d", "autoScale2d"]}
COMPARISON_CONFIG = TIMELINE_CONFIG
PHONE_CONFIG = {"displayModeBar": False, "responsive": True, "scrollZoom": False}


# ------------------------------------------------------------------------- the public API

def patient_figures(analysis: PatientAnalysis, entries: Iterable[EntryRecord],
                    unit: str = "C") -> dict[str, str]:
    """JSON for the consultant's charts, by element id, in page order."""
    return {"timeline": to_json(timeline_spec(analysis, entries, unit), TIMELINE_CONFIG),
            "relief-comparison": to_json(comparison_spec(analysis), COMPARISON_CONFIG)}


def patient_captions(analysis: PatientAnalysis, entries: Iterable[EntryRecord]) -> dict[str, str]:
    """What each of `patient_figures`' charts shows, in words, by the same ids."""
    return {"timeline": timeline_caption(analysis, list(entries)),
            "relief-comparison": comparison_caption(analysis)}


def phone_figure(analysis: PatientAnalysis) -> str:
    """JSON for the patient's own progress chart."""
    return to_json(progress_spec(analysis), PHONE_CONFIG)


def timeline_figure(analysis: PatientAnalysis, entries: Iterable[EntryRecord],
                    unit: str = "C") -> go.Figure:
    return go.Figure(timeline_spec(analysis, entries, unit))


def comparison_figure(analysis: PatientAnalysis) -> go.Figure:
    return go.Figure(comparison_spec(analysis))


def progress_figure(analysis: PatientAnalysis) -> go.Figure:
    return go.Figure(progress_spec(analysis))


def to_json(fig: go.Figure | dict, config: dict | None = None) -> str:
    """The figure as compact JSON, with plotly.js's config added for charts.js.

    The page is sent the builders' plain dicts: a go.Figure deep-copies and walks every point
    twice on the way to JSON, which on a long diary costs more than the analysis.
    plotly.io escapes <, > and / inside strings, so the text is safe inside a <script> tag.
    """
    text = pio.to_json(fig, validate=False)
    if config:
        text = text[:-1] + ',"config":' + json.dumps(config, separators=(",", ":")) + "}"
    return text


# ---------------------------------------------------------------------------- shared bits

def _iso(dt: datetime) -> str:
    """Wall-clock time to the minute, without any UTC offset (plotly has no time zones)."""
    return dt.isoformat(timespec="minutes")[:16]


def _local(dt: datetime, zone: ZoneInfo) -> datetime:
    return dt.astimezone(zone)


def _r(x: float | None, digits: int = 1) -> float | int | None:
    if x is None:
        return None
    value = round(x, digits)
    return int(value) if value == int(value) else value


def _short_date(d: date, with_year: bool = True) -> str:
    return f"{d.day} {d:%b %y}" if with_year else f"{d.day} {d:%b}"


def _base_layout(**extra) -> dict:
    layout = {"template": {}, "font": {"family": FONT, "size": 13, "color": INK},
              "paper_bgcolor": "#fff", "plot_bgcolor": "#fff", "hovermode": "closest",
              "margin": {"l": 64, "r": 16, "t": 24, "b": 40}}
    layout.update(extra)
    return layout


def _block_state(b: BlockAnalysis) -> str:
    if b.planned:
        return "planned"
    if b.pending:
        return "pending"
    return b.verdict or "not judged"


def _block_label(b: BlockAnalysis) -> str:
    kind = vocab.BLOCK_KINDS.get(b.kind, b.kind)
    return f"Block {b.number}, {fmt_date(b.local_date)}: {kind}, {_block_state(b)}"


# ------------------------------------------------------------------------------- binning

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


# ------------------------------------------------------------------------------ timeline

_ROWS = {  # id -> (axis title, height in px)
    "pain": ("Pain (0–10)", 250),
    "temp": ("Foot °{unit}", 150),
    "diff": ("Treated − other", 90),
    "walk": ("Walking (min)", 120),
    "events": ("", 90),
}
_ROW_GAP = 26
_LABEL_PX = 22          # the block labels just above the plot
_BUTTON_ROW_PX = 32


def timeline_spec(analysis: PatientAnalysis, entries: Iterable[EntryRecord],
                  unit: str = "C") -> dict:
    """Pain, feet, walking, colour and events on one time axis, with every block marked."""
    diary = _prepare(analysis, list(entries), unit)
    rows: dict[str, list[dict]] = {
        "pain": _pain_traces(analysis, diary),
        "temp": _temp_traces(diary, unit),
        "diff": _diff_traces(diary, unit),
        "walk": _walk_traces(diary),
        "events": _event_traces(diary),
    }
    rows = {k: v for k, v in rows.items() if v or k == "pain"}
    axes = {k: ("y" if i == 0 else f"y{i + 1}") for i, k in enumerate(rows)}
    for key, traces in rows.items():
        for trace in traces:
            trace["yaxis"] = axes[key]

    done = [b for b in analysis.blocks if not b.planned]
    button_rows = math.ceil((len(done) + 1) / BUTTONS_PER_ROW) if done else 0
    top = _LABEL_PX + _BUTTON_ROW_PX * button_rows + 6
    bottom = 110  # room for the horizontal legend under the plot
    plot_px = sum(_ROWS[k][1] for k in rows) + _ROW_GAP * (len(rows) - 1)
    height = top + plot_px + bottom

    layout = _base_layout(
        height=height, margin={"l": 104, "r": 16, "t": top, "b": bottom},
        legend={"orientation": "h", "y": -0.04, "yanchor": "top", "x": 0,
                "font": {"size": 12}},
        xaxis={"type": "date", "anchor": axes[list(rows)[-1]], "showgrid": True,
               "gridcolor": "#eef1f4", "linecolor": "#c9d1da", "ticks": "outside"},
        shapes=[], annotations=[], updatemenus=_zoom_menus(done, diary.zone, plot_px),
    )
    y_top = 1.0
    for key in rows:
        span = _ROWS[key][1] / plot_px
        axis = {"domain": [round(max(0.0, y_top - span), 4), round(y_top, 4)], "anchor": "x",
                "fixedrange": True, "gridcolor": "#eef1f4", "zeroline": False,
                "title": {"text": _ROWS[key][0].format(unit=unit), "font": {"size": 12}}}
        axis.update(_AXIS_EXTRA.get(key, {}))
        layout["yaxis" if axes[key] == "y" else f"yaxis{axes[key][1:]}"] = axis
        y_top -= span + _ROW_GAP / plot_px
    if "diff" in rows:
        limit = analysis.settings.asymmetry_c * (9 / 5 if unit == "F" else 1)
        for y in (limit, -limit):
            layout["shapes"].append({"type": "line", "xref": "paper", "x0": 0, "x1": 1,
                                     "yref": axes["diff"], "y0": _r(y, 2), "y1": _r(y, 2),
                                     "line": {"color": MUTED, "width": 1, "dash": "dot"}})
    _mark_blocks(layout, analysis.blocks, diary.zone, axes["pain"])
    data = [t for traces in rows.values() for t in traces]
    return {"data": data, "layout": layout}


_AXIS_EXTRA = {
    "pain": {"range": [-0.3, 10.5], "tickvals": [0, 2, 4, 6, 8, 10]},
    "diff": {"zeroline": True, "zerolinecolor": "#c9d1da"},
    "walk": {"rangemode": "tozero"},
    "events": {"range": [-0.7, 2.7], "tickvals": [0, 1, 2], "showgrid": False,
               "ticktext": ["Extra medicine", "Side effects", "Colour"]},
}


def _binned(diary: _Diary, name: str, values: list, **style) -> dict:
    """A trace of one value per bin, placed by x0/dx so that no dates are sent."""
    return {"type": "scatter", "name": name, "x0": diary.x0(), "dx": diary.width * DAY_MS,
            "y": values, **style}


def _points(xs: list, ys: list, name: str, **style) -> dict:
    return {"type": "scatter", "name": name, "x": xs, "y": ys, **style}


def _period(diary: _Diary) -> str:
    return "%{x|%-d %b %Y}" + ("" if diary.width == 1 else f" ± {diary.width / 2:g} days")


def _pain_traces(analysis: PatientAnalysis, diary: _Diary) -> list[dict]:
    traces = []
    if diary.first_day is None:
        return traces
    period = _period(diary)
    if diary.binned:
        lows, highs = diary.pain_lo, diary.pain_hi
        traces.append(_binned(diary, "Lowest pain", lows, mode="lines", connectgaps=True,
                              line={"width": 0}, legendgroup="range", showlegend=False,
                              hovertemplate=f"{period}: lowest %{{y}}<extra></extra>"))
        traces.append(_binned(diary, "Pain range (lowest–highest)", highs, mode="lines",
                              connectgaps=True, line={"width": 0}, fill="tonexty",
                              fillcolor="rgba(11,92,171,0.16)", legendgroup="range",
                              hovertemplate=f"{period}: highest %{{y}}<extra></extra>"))
        traces.append(_binned(diary, f"Pain {EXTREME_PAIN} or more",
                              [h if h is not None and h >= EXTREME_PAIN else None for h in highs],
                              mode="markers", marker={"color": "#b3261e", "size": 4},
                              hovertemplate=f"{period}: highest %{{y}}<extra></extra>"))
    name = "Daily mean pain" if diary.width == 1 else f"Mean pain ({diary.width}-day)"
    traces.append(_binned(diary, name, diary.pain_mean, mode="lines", connectgaps=True,
                          line={"color": PAIN, "width": 1.5},
                          hovertemplate=f"{period}: mean %{{y}}<extra></extra>"))
    detail = diary.detail
    if detail:
        traces.append(_points([_iso(t) for t, _ in detail], [e.pain for _, e in detail],
                              "Pain readings", mode="markers",
                              marker={"color": PAIN, "size": 6,
                                      "line": {"color": "#fff", "width": 0.5}},
                              hovertemplate="%{x|%-d %b %Y %H:%M}: pain %{y}<extra></extra>"))
    traces.extend(_relief_lines(analysis, diary.zone))
    return traces


def _relief_lines(analysis: PatientAnalysis, zone: ZoneInfo) -> list[dict]:
    """Per block, B7 and the pain that would be 50 % / 30 % relief, for a while after it."""
    s = analysis.settings
    levels = [("B7 baseline", 0, {"color": INK, "width": 1.5}),
              (f"{s.dur50_pct} % relief", s.dur50_pct, {"color": "#1e6b35", "width": 1.5,
                                                        "dash": "dash"}),
              (f"{s.dur30_pct} % relief", s.dur30_pct, {"color": "#b26b00", "width": 1.5,
                                                        "dash": "dot"})]
    blocks = analysis.blocks
    xs, spans = [], []
    for i, b in enumerate(blocks):
        if b.planned or b.baseline.b7 is None:
            continue
        start = b.block.performed_at
        end = start + timedelta(days=SEGMENT_DAYS)
        if i + 1 < len(blocks):
            end = min(end, blocks[i + 1].block.performed_at)
        xs += [_iso(_local(start, zone)), _iso(_local(end, zone)), None]
        spans.append(b.baseline.b7)
    if not spans:
        return []
    traces = []
    for name, pct, line in levels:
        ys = []
        for b7 in spans:
            y = _r(b7 * (1 - pct / 100), 2)
            ys += [y, y, None]
        traces.append(_points(xs, ys, name, mode="lines", line=line,
                              hovertemplate=f"{name}: pain %{{y:.1f}}<extra></extra>"))
    return traces


def _detail_lines(diary: _Diary, pick) -> tuple[list, list]:
    """Detail readings of one measure, with a gap wherever readings are far apart."""
    xs, ys, last = [], [], None
    for t, e in diary.detail:
        value = pick(e)
        if value is None:
            continue
        if last is not None and t - last > LINE_GAP:
            xs.append(None)
            ys.append(None)
        xs.append(_iso(t))
        ys.append(value)
        last = t
    return xs, ys


def _measure(diary: _Diary, key: str, name: str, pick, colour: str, digits: int,
             unit_text: str) -> list[dict]:
    traces = []
    if diary.binned:
        values = [_r(diary.mean(key, i), digits) for i in range(diary.n_bins)]
        if any(v is not None for v in values):
            traces.append(_binned(diary, name, values, mode="lines", connectgaps=True,
                                  legendgroup=key, line={"color": colour, "width": 1.2},
                                  hovertemplate=f"{_period(diary)}: mean %{{y}}{unit_text}"
                                                f"<extra>{name}</extra>"))
    xs, ys = _detail_lines(diary, pick)
    if xs:
        traces.append(_points(xs, ys, name, mode="lines+markers", legendgroup=key,
                              showlegend=not traces, line={"color": colour, "width": 1},
                              marker={"color": colour, "size": 5},
                              hovertemplate=f"%{{x|%-d %b %Y %H:%M}}: %{{y}}{unit_text}"
                                            f"<extra>{name}</extra>"))
    return traces


def _temp_traces(diary: _Diary, unit: str) -> list[dict]:
    def show(c):
        return None if c is None else _r(c * 9 / 5 + 32 if unit == "F" else c, 1)

    return (_measure(diary, "treated", "Treated foot", lambda e: show(e.temp_treated_c),
                     TREATED, 1, f" °{unit}")
            + _measure(diary, "other", "Other foot", lambda e: show(e.temp_other_c),
                       OTHER, 1, f" °{unit}"))


def _diff_traces(diary: _Diary, unit: str) -> list[dict]:
    factor = 9 / 5 if unit == "F" else 1.0

    def diff(e):
        if e.temp_treated_c is None or e.temp_other_c is None:
            return None
        return _r((e.temp_treated_c - e.temp_other_c) * factor, 1)

    return _measure(diary, "diff", "Treated − other foot", diff, "#7a4a00", 1, f" °{unit}")


def _walk_traces(diary: _Diary) -> list[dict]:
    def walked(attr):
        return lambda e: None if e.did_not_walk else getattr(e, attr)

    return (_measure(diary, "walk_pf", "Pain-free walking", walked("walk_pain_free_min"),
                     "#1e6b35", 1, " min")
            + _measure(diary, "walk_max", "Maximal walking", walked("walk_max_min"),
                       "#6a3d9a", 1, " min"))


def _event_traces(diary: _Diary) -> list[dict]:
    """Colour (y 2), side effects (y 1) and extra medicine (y 0): one marker per reading on
    detail days, one per bin elsewhere."""
    colour_x: dict[str, list] = {}
    effect_x: dict[str, list] = {}
    effect_text: dict[str, list] = {}
    rescue_x: list = []
    items = [(t, e, None) for t, e in diary.detail]
    if diary.binned:
        start = datetime.combine(diary.first_day, time(), diary.zone)
        items += [(start + timedelta(days=(i + 0.5) * diary.width), None, i)
                  for i in range(diary.n_bins)
                  if diary.colours[i] or diary.effects[i] or diary.rescue[i]]
        # Bins and detail readings merged in time order, so each trace's x stays sorted.
        items.sort(key=itemgetter(0))
    for t, e, i in items:
        x = _iso(t)
        if e is not None:
            colour = e.colour
            effects = _side_effect_groups(e.side_effects) if e.side_effects else {}
            rescue = e.rescue_medication
        else:
            colour = _most_telling(diary.colours[i])
            effects = diary.effects[i] or {}
            rescue = diary.rescue[i] > 0
        if colour:
            colour_x.setdefault(colour, []).append(x)
        for group, codes in effects.items():
            effect_x.setdefault(group, []).append(x)
            effect_text.setdefault(group, []).append(
                ", ".join(vocab.SIDE_EFFECTS.get(c, c) for c in sorted(codes)))
        if rescue:
            rescue_x.append(x)
    traces = []
    when = "%{x|%-d %b %Y %H:%M}"
    for code, label in vocab.COLOURS.items():
        if code in colour_x:
            xs = colour_x[code]
            traces.append(_points(xs, [2] * len(xs), f"Colour: {label}", mode="markers",
                                  marker={"symbol": "square", "size": 9,
                                          "color": COLOUR_SWATCHES[code],
                                          "line": {"color": MUTED, "width": 0.5}},
                                  hovertemplate=f"{when}<extra>{label}</extra>"))
    for group, label in SIDE_EFFECT_GROUPS.items():
        if group in effect_x:
            xs = effect_x[group]
            traces.append(_points(xs, [1] * len(xs), label, mode="markers",
                                  text=effect_text[group],
                                  marker={"symbol": "triangle-up", "size": 9,
                                          "color": "#b3261e" if group == "somatic" else "#b26b00"},
                                  hovertemplate=f"{when}: %{{text}}<extra></extra>"))
    if rescue_x:
        traces.append(_points(rescue_x, [0] * len(rescue_x), "Extra pain medicine",
                              mode="markers", marker={"symbol": "diamond", "size": 8,
                                                      "color": INK},
                              hovertemplate=f"{when}<extra>Extra pain medicine</extra>"))
    return traces


def _most_telling(colours: dict[str, int] | None) -> str | None:
    """The commonest colour other than "same as the other foot" (which is the normal state)."""
    if not colours:
        return None
    changed = [(n, code) for code, n in colours.items() if code != "same"]
    return max(changed)[1] if changed else "same"


def _mark_blocks(layout: dict, blocks: list[BlockAnalysis], zone: ZoneInfo, pain_axis: str):
    for b in blocks:
        x = _iso(_local(b.block.performed_at, zone))
        colour = VERDICT_COLOURS.get(b.verdict, MUTED)
        layout["shapes"].append({"type": "line", "xref": "x", "x0": x, "x1": x, "yref": "paper",
                                 "y0": 0, "y1": 1,
                                 "line": {"color": colour, "width": 1.5,
                                          "dash": "dash" if b.planned else "solid"}})
        if not b.planned:
            layout["shapes"].append({
                "type": "rect", "xref": "x", "x0": _iso(_local(b.window_start, zone)),
                "x1": _iso(_local(b.window_end, zone)), "yref": f"{pain_axis} domain",
                "y0": 0, "y1": 1, "fillcolor": colour, "opacity": 0.08, "line": {"width": 0},
                "layer": "below"})
        layout["annotations"].append({
            "xref": "x", "x": x, "yref": "paper", "y": 1, "yanchor": "bottom",
            "text": f"B{b.number}", "showarrow": False, "font": {"color": colour, "size": 12},
            "hovertext": _block_label(b)})


def _zoom_menus(done: list[BlockAnalysis], zone: ZoneInfo, plot_px: int) -> list:
    """Rows of buttons above the plot: "All", then each block's first ZOOM_HOURS hours."""
    if not done:
        return []
    with_year = len({b.local_date.year for b in done}) > 1
    buttons = [{"label": "All", "method": "relayout", "args": [{"xaxis.autorange": True}]}]
    for b in done:
        start = _local(b.block.performed_at, zone)
        buttons.append({
            "label": f"B{b.number} {_short_date(b.local_date, with_year)}", "method": "relayout",
            "args": [{"xaxis.range": [_iso(start - ZOOM_LEAD),
                                      _iso(start + timedelta(hours=ZOOM_HOURS))]}]})
    rows = [buttons[i:i + BUTTONS_PER_ROW] for i in range(0, len(buttons), BUTTONS_PER_ROW)]
    return [{"type": "buttons", "direction": "right", "showactive": False,
             "x": 0, "xanchor": "left", "yanchor": "bottom",
             # Above the block labels, first row on top; paper y is a fraction of the plot.
             "y": round(1 + (_LABEL_PX + _BUTTON_ROW_PX * (len(rows) - 1 - r)) / plot_px, 4),
             "pad": {"t": 0, "b": 0, "l": 0, "r": 0}, "font": {"size": 12},
             "bgcolor": "#f4f6f8", "bordercolor": "#c9d1da", "buttons": row}
            for r, row in enumerate(rows)]


def timeline_caption(analysis: PatientAnalysis, entries: list[EntryRecord]) -> str:
    n_blocks = len(analysis.blocks)
    marked = f"{n_blocks} block{'s' if n_blocks != 1 else ''} marked"
    days = analysis.daily_means
    if not days:
        return f"No diary entries yet{'; ' + marked if n_blocks else ''}."
    readings = sum(d.n for d in days)
    shown = ["pain"] + [words for words, present in (
        ("foot temperatures", lambda e: e.temp_treated_c is not None or e.temp_other_c is not None),
        ("walking", lambda e: e.walk_pain_free_min is not None or e.walk_max_min is not None),
        ("foot colour", lambda e: e.colour),
        ("side effects", lambda e: e.side_effects),
        ("extra medicine", lambda e: e.rescue_medication)) if any(map(present, entries))]
    listed = ", ".join(shown[:-1]) + " and " + shown[-1] if len(shown) > 1 else shown[0]
    parts = [f"{listed.capitalize()} from {fmt_date(days[0].date)} to "
             f"{fmt_date(days[-1].date)}: {readings:,} readings on {len(days):,} days, "
             f"with {marked}."]
    done = [b for b in analysis.done_blocks if not b.pending]
    if done:
        b = done[-1]
        parts.append(f"After the last block, on {fmt_date(b.local_date)}: {b.explanation}")
        held = _held_words(b, analysis)
        if held:
            parts.append(held)
    if readings > RAW_LIMIT:
        width = max(1, math.ceil(((days[-1].date - days[0].date).days + 1) / MAX_BINS))
        span = "day" if width == 1 else f"{width} days"
        parts.append(f"Readings on block days and in the last {RECENT_DETAIL_DAYS} days are "
                     f"shown one by one; other days as the mean, lowest and highest pain per "
                     f"{span}, with every {EXTREME_PAIN}/10 or worse marked.")
    return " ".join(parts)


def _held_words(b: BlockAnalysis, analysis: PatientAnalysis) -> str | None:
    """How long pain stayed at or below half (dur50_pct) of the baseline, in words."""
    s, d, b7 = analysis.settings, b.duration, b.baseline.b7
    if b7 is None or d.days_so_far is None:
        return None
    half = "half of" if s.dur50_pct == 50 else f"{100 - s.dur50_pct} % of"
    base = f"the baseline (B7 {b7:.1f})"
    if d.dur50 is not None:
        if d.dur50 <= 1:
            return f"Pain was above {half} {base} from the first day after it."
        days = d.dur50 - 1
        return (f"Pain stayed at or below {half} {base} for {days} "
                f"day{'s' if days != 1 else ''}.")
    last = next(p for p in reversed(b.relief_curve) if p.relief_pct is not None)
    if last.relief_pct >= s.dur50_pct:
        return f"Pain is still at or below {half} {base} on day {last.day}."
    return (f"Pain was above {half} {base} on day {last.day} "
            f"({fmt_pct(last.relief_pct)} % relief).")


# ---------------------------------------------------------------------- block comparison

def comparison_spec(analysis: PatientAnalysis) -> dict:
    """Relief against days since each block, one line per block with a relief curve."""
    s = analysis.settings
    shown = [b for b in analysis.done_blocks
             if any(p.relief_pct is not None for p in b.relief_curve)]
    traces = []
    for i, b in enumerate(shown):
        points = [p for p in b.relief_curve
                  if p.relief_pct is not None and p.day <= COMPARE_MAX_DAYS]
        colour = _shade(i, len(shown))
        name = f"B{b.number} {_short_date(b.local_date)} ({_block_state(b)})"
        traces.append({"type": "scatter", "name": name, "mode": "lines+markers",
                       "x": [p.day for p in points], "y": [_r(p.relief_pct, 0) for p in points],
                       "line": {"color": colour, "width": 2}, "marker": {"size": 4},
                       "hovertemplate": f"Block {b.number}, day %{{x}}: %{{y}} % relief"
                                        "<extra></extra>"})
    shapes = [{"type": "line", "xref": "paper", "x0": 0, "x1": 1, "yref": "y", "y0": pct,
               "y1": pct, "line": {"color": colour, "width": 1, "dash": "dash"}}
              for pct, colour in ((s.dur50_pct, "#1e6b35"), (s.dur30_pct, "#b26b00"))]
    legend_rows = math.ceil(len(traces) / 3)
    layout = _base_layout(
        height=360 + 22 * legend_rows, shapes=shapes,
        xaxis={"title": {"text": "Days since the block"}, "rangemode": "tozero",
               "gridcolor": "#eef1f4", "zeroline": False},
        yaxis={"title": {"text": "Relief from baseline (%)"}, "ticksuffix": " %",
               "range": [max(-100, min([-10] + [min(t["y"], default=0) for t in traces]) - 5),
                         105],
               "gridcolor": "#eef1f4", "zerolinecolor": "#c9d1da"},
        legend={"orientation": "h", "y": -0.2, "yanchor": "top", "x": 0},
        annotations=[{"xref": "paper", "x": 1, "yref": "y", "y": pct, "xanchor": "right",
                      "yanchor": "bottom", "showarrow": False, "text": f"{pct} %",
                      "font": {"size": 11, "color": MUTED}}
                     for pct in (s.dur50_pct, s.dur30_pct)])
    return {"data": traces, "layout": layout}


def _shade(i: int, n: int) -> str:
    """Later blocks darker, so repeats read as a sequence."""
    light, dark = (158, 202, 225), (8, 48, 107)
    f = 1.0 if n <= 1 else i / (n - 1)
    red, green, blue = (round(a + (b - a) * f) for a, b in zip(light, dark, strict=True))
    return f"#{red:02x}{green:02x}{blue:02x}"


def comparison_caption(analysis: PatientAnalysis) -> str:
    s = analysis.settings
    done = analysis.done_blocks
    if not done:
        return "No block has been done yet, so there is no relief to compare."
    shown, parts, lasting = [], [], []
    for b in done:
        if not any(p.relief_pct is not None for p in b.relief_curve):
            continue
        shown.append(b)
        d = b.duration
        if d.dur30 is not None:
            parts.append(f"block {b.number} ({fmt_date(b.local_date)}) waned on day {d.dur30}")
            lasting.append(d.dur30)
        elif d.days_so_far is not None:
            parts.append(f"block {b.number} ({fmt_date(b.local_date)}) had not waned by day "
                         f"{d.days_so_far}")
    missing = len(done) - len(shown)
    if not shown:
        return ("Relief cannot be compared: no block has a diary baseline (B7) and diary "
                "days after it.")
    earlier = len(parts) - CAPTION_BLOCKS
    listed = "; ".join(parts[-CAPTION_BLOCKS:])
    text = (f"Relief from the baseline against days since each block, one line per block "
            f"({len(shown)} of {len(done)}). Relief waned when it stayed below "
            f"{s.dur30_pct} % for {s.consecutive_days_below} diary days: "
            + (f"{earlier} earlier block{'s' if earlier != 1 else ''} shown in the chart; "
               if earlier > 0 else "") + listed + ".")
    if len(lasting) >= 2:
        if all(b > a for a, b in zip(lasting, lasting[1:], strict=False)):
            text += " Relief lasted longer with each repeat."
        elif lasting[-1] <= lasting[-2]:
            text += " The last relief did not last longer than the one before."
    if missing:
        text += (f" {missing} block{'s' if missing != 1 else ''} without a baseline or diary "
                 "after it not shown.")
    return text


# --------------------------------------------------------------------------- the phone

def _phone_days(analysis: PatientAnalysis) -> tuple[date, date]:
    today = analysis.now.astimezone(ZoneInfo(analysis.tz)).date()
    first = today - timedelta(days=PHONE_DAYS - 1)
    # A young diary fills the phone's width instead of sitting at its right-hand end.
    if analysis.daily_means and analysis.daily_means[0].date > first:
        first = min(analysis.daily_means[0].date, today)
    return first, today


def progress_spec(analysis: PatientAnalysis) -> dict:
    """The patient's daily mean pain over the last PHONE_DAYS days, blocks marked."""
    first, last = _phone_days(analysis)
    days = [d for d in analysis.daily_means if first <= d.date <= last]
    trace = {"type": "scatter", "name": "Your average pain", "mode": "lines+markers",
             "x": [d.date.isoformat() for d in days], "y": [_r(d.mean, 1) for d in days],
             "line": {"color": PAIN, "width": 3}, "marker": {"size": 7},
             "hovertemplate": "%{x|%-d %b}: %{y}<extra></extra>"}
    shapes, annotations = [], []
    for b in analysis.blocks:
        if first <= b.local_date <= last:
            x = b.local_date.isoformat()
            shapes.append({"type": "line", "xref": "x", "x0": x, "x1": x, "yref": "paper",
                           "y0": 0, "y1": 1, "line": {"color": INK, "width": 2,
                                                      "dash": "dash" if b.planned else "solid"}})
            annotations.append({"xref": "x", "x": x, "yref": "paper", "y": 1,
                                "yanchor": "bottom", "showarrow": False, "text": "Block",
                                "font": {"size": 15}})
    layout = _base_layout(
        height=320, showlegend=False, dragmode=False, font={"family": FONT, "size": 16,
                                                            "color": INK},
        margin={"l": 44, "r": 12, "t": 30, "b": 44}, shapes=shapes, annotations=annotations,
        # Half a day of room each side, so the first and last days' dots are not cut.
        xaxis={"type": "date", "range": [f"{first - timedelta(days=1)} 12:00", f"{last} 12:00"],
               "fixedrange": True, "tickformat": "%-d %b", "nticks": 4, "gridcolor": "#eef1f4"},
        yaxis={"range": [-0.3, 10.3], "tickvals": [0, 5, 10], "fixedrange": True,
               "title": {"text": "Pain"}, "gridcolor": "#eef1f4", "zeroline": False})
    return {"data": [trace], "layout": layout}


def phone_caption(analysis: PatientAnalysis) -> str:
    first, last = _phone_days(analysis)
    days = [d for d in analysis.daily_means if first <= d.date <= last]
    if not days:
        return f"Your average pain each day will show here once you have diary entries " \
               f"(the chart covers the last {PHONE_DAYS} days)."
    text = (f"Your average pain each day from {fmt_date(first)} to {fmt_date(last)}, "
            f"on the 0 to 10 scale.")
    start = [d.mean for d in days if d.date < days[0].date + timedelta(days=7)]
    end = [d.mean for d in days if d.date > days[-1].date - timedelta(days=7)]
    if days[-1].date - days[0].date >= timedelta(days=13):
        text += (f" On average it was about {_r(sum(start) / len(start), 1)} in the first "
                 f"week with entries and about {_r(sum(end) / len(end), 1)} in the last week.")
    else:
        text += f" It was about {_r(sum(end) / len(end), 1)} on average."
    blocks = [b for b in analysis.blocks if first <= b.local_date <= last]
    if blocks:
        text += " Blocks are marked with a line: " + ", ".join(
            f"{fmt_date(b.local_date)}{' (planned)' if b.planned else ''}" for b in blocks) + "."
    return text
