"""The patient's own progress chart, for a phone."""

from __future__ import annotations

from datetime import date, timedelta
from zoneinfo import ZoneInfo

from diary.clinical.analysis import PatientAnalysis
from diary.clinical.charts.common import FONT, INK, PAIN, PHONE_DAYS, _base_layout, _r
from diary.clinical.wording import fmt_date


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

