"""Plotly figures for the consultant's patient page and the patient's phone. Plain Python.

The view gives the entries it analysed and `analysis.analyse_patient`'s result.
`patient_figures` and `phone_figure` return the JSON the page puts in
`<script type="application/json" class="chart-data">` (drawn by static/js/charts.js); the
`*_caption` functions say in words what each chart shows. Each chart is built as a plain
figure dict (`*_spec`).

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

from collections.abc import Iterable

from diary.clinical.analysis import PatientAnalysis
from diary.clinical.charts.common import (
    COMPARISON_CONFIG,
    EXTREME_PAIN,
    MAX_BINS,
    PHONE_CONFIG,
    RAW_LIMIT,
    TIMELINE_CONFIG,
    to_json,
)
from diary.clinical.charts.comparison import comparison_caption, comparison_spec
from diary.clinical.charts.phone import phone_caption, progress_spec
from diary.clinical.charts.timeline import timeline_caption, timeline_spec
from diary.clinical.records import EntryRecord

__all__ = [
    "EXTREME_PAIN", "MAX_BINS", "RAW_LIMIT", "comparison_caption",
    "comparison_spec", "patient_captions", "patient_figures", "phone_caption", "phone_figure",
    "progress_spec", "timeline_caption", "timeline_spec",
    "to_json",
]


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



