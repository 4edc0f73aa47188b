"""The consultant's timeline: every measure on one shared time axis, blocks marked."""

from __future__ import annotations

import math
from collections.abc import Iterable
from datetime import datetime, time, timedelta
from operator import itemgetter
from zoneinfo import ZoneInfo

from diary.clinical import vocab
from diary.clinical.analysis import PatientAnalysis
from diary.clinical.charts.binning import SIDE_EFFECT_GROUPS, _Diary, _prepare, _side_effect_groups
from diary.clinical.charts.common import (
    BUTTONS_PER_ROW,
    COLOUR_SWATCHES,
    DAY_MS,
    EXTREME_PAIN,
    INK,
    LINE_GAP,
    MAX_BINS,
    MUTED,
    OTHER,
    PAIN,
    RAW_LIMIT,
    RECENT_DETAIL_DAYS,
    SEGMENT_DAYS,
    TREATED,
    VERDICT_COLOURS,
    ZOOM_HOURS,
    ZOOM_LEAD,
    _base_layout,
    _block_label,
    _iso,
    _local,
    _r,
    _short_date,
)
from diary.clinical.records import EntryRecord
from diary.clinical.relief import BlockAnalysis
from diary.clinical.wording import fmt_date, fmt_pct

_ROWS = {  # id -> (axis title, height in px)
    "pain": ("Pain (0–10)", 250),
    "pgic": ("Since the block<br>(PGIC)", 110),
    "touch": ("Touch pain", 80),
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
        "pgic": _pgic_traces(analysis, diary),
        "touch": _touch_traces(diary),
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
    # PGIC_SCORE: +3 very much better .. -3 very much worse; room above for the answers' words.
    "pgic": {"range": [-3.9, 4.6], "tickvals": [-3, 0, 3], "showgrid": False,
             "ticktext": ["worse", "no change", "better"], "zeroline": True,
             "zerolinecolor": "#e1e6eb"},
    "touch": {"range": [-0.6, 2.6], "tickvals": [0, 1, 2], "showgrid": False,
              "ticktext": list(vocab.TOUCH_PAIN.values())},
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


# Touch pain (docs/clinical.md §8): one marker per reading at its level (0 none .. 2 marked).
_TOUCH_LEVEL = {code: i for i, code in enumerate(vocab.TOUCH_PAIN)}
TOUCH_COLOURS = {"none": "#8795a1", "mild": "#b26b00", "marked": "#b3261e"}


def _bin_centre(diary: _Diary, i: int) -> datetime:
    start = datetime.combine(diary.first_day, time(), diary.zone)
    return start + timedelta(days=(i + 0.5) * diary.width)


def _touch_traces(diary: _Diary) -> list[dict]:
    """Touch pain (allodynia) at each reading; in a binned diary, away from the detail days,
    one marker per bin at the worst level answered in it."""
    if diary.first_day is None:
        return []
    detail_ords = {day.toordinal() for day in diary.detail_days}
    first_ord, width, binned = diary.first_day.toordinal(), diary.width, diary.binned
    readings: list[tuple[datetime, int]] = []
    worst: dict[int, int] = {}
    for t, e in diary.entries:
        code = e.touch_pain
        if code is None or code not in _TOUCH_LEVEL:
            continue
        level = _TOUCH_LEVEL[code]
        o = t.toordinal()
        if binned and o not in detail_ords:
            i = (o - first_ord) // width
            worst[i] = max(worst.get(i, -1), level)
        else:
            readings.append((t, level))
    items = readings + [(_bin_centre(diary, i), level) for i, level in worst.items()]
    items.sort(key=itemgetter(0))
    by_level: dict[int, list[str]] = {}
    for t, level in items:
        by_level.setdefault(level, []).append(_iso(t))
    when = "%{x|%-d %b %Y %H:%M}"
    if worst:
        when += f" (or the worst of {width} day{'s' if width != 1 else ''} around it)"
    traces = []
    for code, label in vocab.TOUCH_PAIN.items():
        xs = by_level.get(_TOUCH_LEVEL[code])
        if xs:
            words = label.lower()
            traces.append(_points(xs, [_TOUCH_LEVEL[code]] * len(xs), f"Touch pain: {words}",
                                  mode="markers", legendgroup="touch",
                                  marker={"symbol": "circle", "size": 7,
                                          "color": TOUCH_COLOURS[code],
                                          "line": {"color": "#fff", "width": 0.5}},
                                  hovertemplate=f"{when}: light touch hurts: {words}"
                                                f"<extra>Touch pain</extra>"))
    return traces


# PGIC (docs/clinical.md §8): better answers green and pointing up, worse red and down.
PGIC_COLOURS = {3: "#1e6b35", 2: "#2e8b57", 1: "#7fb08f", 0: "#6b7280", -1: "#d08b6b",
                -2: "#c0502e", -3: "#b3261e"}


def _after_block(analysis: PatientAnalysis, at: datetime, zone: ZoneInfo) -> str:
    """ "day 28 after B2" for an answer given after a block, else ""."""
    done = [b for b in analysis.blocks if not b.planned and b.block.performed_at <= at]
    if not done:
        return ""
    b = done[-1]
    day = (at.astimezone(zone).date() - b.local_date).days
    return f", day {day} after B{b.number}"


def _pgic_traces(analysis: PatientAnalysis, diary: _Diary) -> list[dict]:
    """The patient's impression of change, one marker per answer at its place on the 7-point
    scale, labelled with the answer; in a binned diary, away from the detail days, only the
    latest answer of each bin."""
    if diary.first_day is None:
        return []
    detail_ords = {day.toordinal() for day in diary.detail_days}
    first_ord, width, binned = diary.first_day.toordinal(), diary.width, diary.binned
    answers: dict[object, tuple[datetime, datetime, str]] = {}   # key -> (drawn at, at, code)
    for t, e in diary.entries:
        code = e.pgic
        if code is None or code not in vocab.PGIC_SCORE:
            continue
        o = t.toordinal()
        if binned and o not in detail_ords:
            i = (o - first_ord) // width
            kept = answers.get(("bin", i))
            if kept is None or t >= kept[1]:
                answers[("bin", i)] = (_bin_centre(diary, i), t, code)
        else:
            answers[(t, e.id)] = (t, t, code)
    by_code: dict[str, list[tuple[str, str]]] = {}
    for drawn, t, code in sorted(answers.values(), key=itemgetter(0)):
        by_code.setdefault(code, []).append((_iso(drawn), _after_block(analysis, t,
                                                                      diary.zone)))
    traces = []
    for code, label in vocab.PGIC.items():
        if code not in by_code:
            continue
        score = vocab.PGIC_SCORE[code]
        xs = [x for x, _ in by_code[code]]
        words = label.lower()
        traces.append(_points(
            xs, [score] * len(xs), f"PGIC: {words}", mode="markers+text",
            legendgroup="pgic", text=[after for _, after in by_code[code]],
            texttemplate=words, textposition="top center",
            textfont={"size": 11, "color": PGIC_COLOURS[score]}, cliponaxis=False,
            marker={"symbol": "triangle-up" if score > 0 else "triangle-down" if score < 0
                    else "circle", "size": 10, "color": PGIC_COLOURS[score],
                    "line": {"color": "#fff", "width": 0.5}},
            hovertemplate=f"%{{x|%-d %b %Y %H:%M}}%{{text}}: PGIC “{words}”"
                          f"<extra>Since the block, my leg pain is…</extra>"))
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
        ("extra medicine", lambda e: e.rescue_medication),
        ("touch pain", lambda e: e.touch_pain),
        ("the patient's impression of change since the block", lambda e: e.pgic))
        if any(map(present, entries))]
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


