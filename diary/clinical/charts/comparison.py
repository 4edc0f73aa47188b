"""Relief against days since each block, one line per block."""

from __future__ import annotations

import math

from diary.clinical.analysis import PatientAnalysis
from diary.clinical.charts.common import (
    CAPTION_BLOCKS,
    COMPARE_MAX_DAYS,
    MUTED,
    _base_layout,
    _block_state,
    _r,
    _short_date,
)
from diary.clinical.wording import fmt_date


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


