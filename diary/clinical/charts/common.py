"""Settings, colours and small helpers shared by the charts."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import plotly.graph_objects as go
import plotly.io as pio

from diary.clinical import vocab
from diary.clinical.relief import BlockAnalysis
from diary.clinical.wording import fmt_date

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

# Zoom and reset only: no "send to cloud" (it would upload patient data to Plotly's servers)
# and no image download (a copy outside the audited export).
TIMELINE_CONFIG = {"displaylogo": False, "responsive": True, "showSendToCloud": False,
                   "showEditInChartStudio": False, "showLink": False,
                   "modeBarButtons": [["zoom2d", "pan2d", "zoomIn2d", "zoomOut2d",
                                       "resetScale2d"]]}
COMPARISON_CONFIG = TIMELINE_CONFIG
PHONE_CONFIG = {"displayModeBar": False, "responsive": True, "scrollZoom": False}



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


