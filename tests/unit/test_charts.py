"""The chart builders (diary/clinical/charts/): the right traces, block markers, zoom buttons,
captions, downsampling that hides no extreme reading, and the payload budget of a 10-year diary.

The diary below is worked by hand. The patient lives in Europe/London and everything before
the end of March 2025 is in winter time, so a local clock time is the UTC time.
- 3 Jan - 9 Feb: pain 6 every day at 09:00, except 2 on 11-15 Jan (the relief after block 1).
- Block 1, 10 Jan 10:00, pre-block pain 6; readings 2, 2, 3 at 10:30, 11:00 and 13:00.
  B7 = 6.0. Rolling 3-day relief: days 1-5 67 %; day 6 (2, 2, 6) 44 %; day 7 (2, 6, 6) 22 %;
  day 8 on 0 %. So dur50 = 6 (days 6 and 7 below 50 %) and dur30 = 7 (days 7 and 8).
- Block 2, 10 Feb 10:00, pre-block pain 6; readings 1, 1, 2. B7 = 6.0 (3-9 Feb). Pain 2 on
  11-24 Feb (days 1-14), 6 on 25 Feb - 1 Mar: day 15 44 %, day 16 22 %, day 17 0 %, so
  dur50 = 15 and dur30 = 16: relief lasted longer than after block 1 (7 days).
- Block 3 is booked for 20 Mar 10:00 (planned). "Now" is 2 Mar 12:00.
"""

import gzip
import importlib.util
import json
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from unittest import mock

import plotly.graph_objects as go
from hypothesis import given, settings
from hypothesis import strategies as st

from diary.clinical import charts
from diary.clinical.analysis import analyse_patient
from diary.clinical.charts import binning
from diary.clinical.records import BlockRecord, EntryRecord
from diary.clinical.settings import Settings

LON = "Europe/London"
NOW = datetime(2025, 3, 2, 12, 0, tzinfo=UTC)
WARM = {0: 28.0, 15: 31.0}
# What the basic plotly.js bundle (plotly.js-basic-dist-min) can draw.
BASIC_BUNDLE_TYPES = {"scatter", "bar", "pie"}


def at(month: int, day: int, hh: int = 9, mm: int = 0) -> datetime:
    return datetime(2025, month, day, hh, mm, tzinfo=UTC)


def days(first: date, last: date):
    d = first
    while d <= last:
        yield d
        d += timedelta(days=1)


def hand_diary() -> tuple[list[EntryRecord], list[BlockRecord]]:
    entries = []
    for d in days(date(2025, 1, 3), date(2025, 2, 9)):
        relieved = date(2025, 1, 11) <= d <= date(2025, 1, 15)
        entries.append(EntryRecord(
            f"d{d}", at(d.month, d.day), 2 if relieved else 6,
            temp_treated_c=28.0, temp_other_c=28.5, colour="pale_white",
            walk_pain_free_min=5, walk_max_min=20))
    for d in days(date(2025, 2, 11), date(2025, 3, 1)):
        entries.append(EntryRecord(f"d{d}", at(d.month, d.day),
                                   2 if d <= date(2025, 2, 24) else 6))
    for block_day, pains in ((10, (2, 2, 3)), (None, (1, 1, 2))):
        month, day = (1, block_day) if block_day else (2, 10)
        for minutes, pain in zip((30, 60, 180), pains, strict=True):
            entries.append(EntryRecord(f"w{month}-{minutes}",
                                       at(month, day, 10) + timedelta(minutes=minutes), pain))
    # Events away from the windows, so the verdicts stay positive.
    entries += [
        EntryRecord("warm", at(1, 10, 18), 2, temp_treated_c=32.0, temp_other_c=28.4,
                    colour="red_flushed", side_effects=frozenset({"back_soreness"})),
        EntryRecord("rescue", at(1, 12, 20), 2, rescue_medication=True),
        EntryRecord("numb", at(1, 13, 20), 2, side_effects=frozenset({"leg_numbness"})),
    ]
    blocks = [BlockRecord(1, at(1, 10, 10), "diagnostic_la", pre_pain=6, temps_treated=WARM),
              BlockRecord(2, at(2, 10, 10), "diagnostic_la", pre_pain=6, temps_treated=WARM),
              BlockRecord(3, at(3, 20, 10), "diagnostic_la", pre_pain=6)]
    return entries, blocks


def analysed(entries=None, blocks=None, now=NOW, tz=LON):
    if entries is None:
        entries, blocks = hand_diary()
    return analyse_patient(entries, blocks, Settings(), tz, now), entries


def traces(spec: dict) -> dict[str, dict]:
    return {t["name"]: t for t in spec["data"]}


# ------------------------------------------------------------------------------ timeline

def test_timeline_draws_every_measure_as_scatter_traces():
    analysis, entries = analysed()
    by_name = traces(charts.timeline_spec(analysis, entries))
    assert {"Pain readings", "Daily mean pain", "B7 baseline", "50 % relief", "30 % relief",
            "Treated foot", "Other foot", "Treated − other foot", "Pain-free walking",
            "Maximal walking", "Colour: Pale / white", "Colour: Red / flushed",
            "Other side effects", "Leg numbness or weakness",
            "Extra pain medicine"} <= set(by_name)
    assert {t["type"] for t in by_name.values()} == {"scatter"}
    # A small diary is drawn reading by reading: every entry is a pain point.
    assert len(by_name["Pain readings"]["y"]) == len(entries)
    assert by_name["Treated − other foot"]["y"][0] == -0.5


def test_timeline_rows_share_one_time_axis():
    analysis, entries = analysed()
    spec = charts.timeline_spec(analysis, entries)
    layout = spec["layout"]
    assert "xaxis2" not in layout and layout["xaxis"]["type"] == "date"
    assert all("xaxis" not in t for t in spec["data"])
    axes = sorted({t["yaxis"] for t in spec["data"]})
    assert axes == ["y", "y2", "y3", "y4", "y5"]  # pain, feet, difference, walking, events
    domains = [layout["yaxis" if a == "y" else f"yaxis{a[1:]}"]["domain"] for a in axes]
    for upper, lower in zip(domains, domains[1:], strict=False):
        assert lower[1] < upper[0]  # stacked top to bottom without overlapping


def test_rows_without_data_are_left_out():
    entries = [EntryRecord(f"e{d}", at(1, d), 5) for d in range(1, 8)]
    analysis, _ = analysed(entries, [])
    spec = charts.timeline_spec(analysis, entries)
    assert {t["yaxis"] for t in spec["data"]} == {"y"}
    assert "yaxis2" not in spec["layout"]


def test_each_block_is_a_labelled_vertical_line():
    analysis, entries = analysed()
    layout = charts.timeline_spec(analysis, entries)["layout"]
    lines = [s for s in layout["shapes"] if s["type"] == "line" and s["yref"] == "paper"]
    assert [(s["x0"], s["x1"]) for s in lines] == [
        ("2025-01-10T10:00", "2025-01-10T10:00"), ("2025-02-10T10:00", "2025-02-10T10:00"),
        ("2025-03-20T10:00", "2025-03-20T10:00")]
    assert [s["line"].get("dash") for s in lines] == ["solid", "solid", "dash"]  # 3 planned
    labels = [(a["x"], a["text"]) for a in layout["annotations"]]
    assert labels == [("2025-01-10T10:00", "B1"), ("2025-02-10T10:00", "B2"),
                      ("2025-03-20T10:00", "B3")]
    assert "positive" in layout["annotations"][0]["hovertext"]
    assert "planned" in layout["annotations"][2]["hovertext"]


def test_zoom_buttons_show_each_blocks_first_eight_hours():
    analysis, entries = analysed()
    menus = charts.timeline_spec(analysis, entries)["layout"]["updatemenus"]
    buttons = [b for menu in menus for b in menu["buttons"]]
    assert [b["label"] for b in buttons] == ["All", "B1 10 Jan", "B2 10 Feb"]  # none for B3
    assert buttons[0]["args"] == [{"xaxis.autorange": True}]
    for button, block_at in zip(buttons[1:], ("2025-01-10T10:00", "2025-02-10T10:00"),
                                strict=True):
        assert button["method"] == "relayout"
        start, end = (datetime.fromisoformat(x) for x in button["args"][0]["xaxis.range"])
        block = datetime.fromisoformat(block_at)
        assert start <= block and end - block == timedelta(hours=8)


def test_zoom_buttons_wrap_into_rows():
    entries = [EntryRecord(f"e{d}", at(1, 1) + timedelta(days=d), 5) for d in range(60)]
    blocks = [BlockRecord(i, at(1, 2) + timedelta(days=3 * i), "diagnostic_la", pre_pain=6)
              for i in range(1, 11)]
    analysis, _ = analysed(entries, blocks)
    menus = charts.timeline_spec(analysis, entries)["layout"]["updatemenus"]
    assert [len(m["buttons"]) for m in menus] == [8, 3]
    assert menus[0]["y"] > menus[1]["y"]  # first row on top


def test_relief_lines_start_at_each_block():
    analysis, entries = analysed()
    by_name = traces(charts.timeline_spec(analysis, entries))
    # Block 1's lines run until block 2 would, but stop at 28 days; block 2's too.
    assert by_name["B7 baseline"]["x"] == ["2025-01-10T10:00", "2025-02-07T10:00", None,
                                           "2025-02-10T10:00", "2025-03-10T10:00", None]
    assert by_name["B7 baseline"]["y"] == [6, 6, None, 6, 6, None]
    assert by_name["50 % relief"]["y"][:2] == [3, 3]
    assert by_name["30 % relief"]["y"][:2] == [4.2, 4.2]


def test_relief_lines_stop_at_the_next_block():
    entries, blocks = hand_diary()
    blocks[1] = BlockRecord(2, at(1, 20, 10), "diagnostic_la", pre_pain=6, temps_treated=WARM)
    analysis, _ = analysed(entries, blocks)
    x = traces(charts.timeline_spec(analysis, entries))["B7 baseline"]["x"]
    assert x[:2] == ["2025-01-10T10:00", "2025-01-20T10:00"]


def test_times_are_the_patients_wall_clock():
    # 1 July is summer time in London: 09:00 UTC is 10:00 there; 09:00 in New York is 05:00.
    entries = [EntryRecord("a", datetime(2025, 7, 1, 9, tzinfo=UTC), 4)]
    for tz, shown in ((LON, "2025-07-01T10:00"), ("America/New_York", "2025-07-01T05:00")):
        analysis, _ = analysed(entries, [], now=datetime(2025, 7, 2, tzinfo=UTC), tz=tz)
        assert traces(charts.timeline_spec(analysis, entries))["Pain readings"]["x"] == [shown]


def test_temperatures_in_fahrenheit():
    analysis, entries = analysed()
    by_name = traces(charts.timeline_spec(analysis, entries, "F"))
    assert by_name["Treated foot"]["y"][0] == 82.4      # 28.0 °C
    assert by_name["Other foot"]["y"][0] == 83.3        # 28.5 °C
    assert by_name["Treated − other foot"]["y"][0] == -0.9  # -0.5 °C is -0.9 °F
    layout = charts.timeline_spec(analysis, entries, "F")["layout"]
    assert layout["yaxis2"]["title"]["text"] == "Foot °F"


def test_side_effects_extra_medicine_and_colour_are_markers_at_their_time():
    analysis, entries = analysed()
    by_name = traces(charts.timeline_spec(analysis, entries))
    assert by_name["Extra pain medicine"]["x"] == ["2025-01-12T20:00"]
    assert by_name["Leg numbness or weakness"]["x"] == ["2025-01-13T20:00"]
    assert by_name["Leg numbness or weakness"]["text"] == ["Leg numbness"]
    assert by_name["Other side effects"]["text"] == ["Back soreness"]
    assert by_name["Colour: Red / flushed"]["x"] == ["2025-01-10T18:00"]
    assert len(by_name["Colour: Pale / white"]["x"]) == 38   # 3 Jan - 9 Feb
    assert {by_name["Extra pain medicine"]["y"][0], by_name["Other side effects"]["y"][0],
            by_name["Colour: Red / flushed"]["y"][0]} == {0, 1, 2}


def test_timeline_without_entries_still_marks_blocks():
    blocks = [BlockRecord(1, at(1, 10, 10), "diagnostic_la", pre_pain=6)]
    analysis, _ = analysed([], blocks)
    spec = charts.timeline_spec(analysis, [])
    assert spec["data"] == []
    assert [a["text"] for a in spec["layout"]["annotations"]] == ["B1"]
    assert charts.timeline_caption(analysis, []) == "No diary entries yet; 1 block marked."


def test_timeline_caption_says_what_the_last_block_did():
    analysis, entries = analysed()
    caption = charts.timeline_caption(analysis, entries)
    assert caption.startswith("Pain, foot temperatures, walking, foot colour, side effects and "
                              "extra medicine from 3 Jan 2025 to 1 Mar 2025")
    assert "3 blocks marked" in caption
    assert "After the last block, on 10 Feb 2025: Positive: pain fell from 6 to 1" in caption
    assert "Pain stayed at or below half of the baseline (B7 6.0) for 14 days." in caption


def _with_touch_and_pgic():
    """The hand diary with touch pain every morning (marked before block 1, none from 11 Jan
    on) and PGIC answers on days 7 and 28 after block 1 and day 7 after block 2."""
    entries, blocks = hand_diary()
    out = []
    for e in entries:
        if e.id.startswith("d"):
            code = "marked" if e.observed_at < at(1, 10) else (
                "mild" if e.observed_at < at(1, 11) else "none")
            e = replace(e, touch_pain=code)
        out.append(e)
    out += [EntryRecord("pgic7", at(1, 17, 12), 2, pgic="much_better"),
            EntryRecord("pgic28", at(2, 7, 12), 6, pgic="no_change"),
            EntryRecord("pgic7b", at(2, 17, 12), 2, pgic="very_much_better")]
    return out, blocks


def test_touch_pain_is_a_row_of_markers_at_its_level():
    entries, blocks = _with_touch_and_pgic()
    analysis, _ = analysed(entries, blocks)
    spec = charts.timeline_spec(analysis, entries)
    by_name = traces(spec)
    marked, mild, none = (by_name[f"Touch pain: {w}"] for w in ("marked", "mild", "none"))
    assert marked["x"][:2] == ["2025-01-03T09:00", "2025-01-04T09:00"]
    assert len(marked["x"]) == 7 and set(marked["y"]) == {2}      # 3-9 Jan
    assert mild["x"] == ["2025-01-10T09:00"] and mild["y"] == [1]
    assert len(none["x"]) == 30 + 19 and set(none["y"]) == {0}    # 11 Jan - 1 Mar, not 10 Feb
    assert "light touch hurts: marked" in marked["hovertemplate"]
    axis = spec["layout"]["yaxis" + marked["yaxis"][1:]]
    assert axis["title"]["text"] == "Touch pain"
    assert axis["ticktext"] == ["None", "Mild", "Marked"] and axis["tickvals"] == [0, 1, 2]


def test_pgic_answers_are_labelled_markers_on_their_own_row():
    entries, blocks = _with_touch_and_pgic()
    analysis, _ = analysed(entries, blocks)
    spec = charts.timeline_spec(analysis, entries)
    by_name = traces(spec)
    much = by_name["PGIC: much better"]
    assert much["x"] == ["2025-01-17T12:00"] and much["y"] == [2]
    assert much["texttemplate"] == "much better" and "markers" in much["mode"]
    assert much["text"] == [", day 7 after B1"]
    assert "PGIC “much better”" in much["hovertemplate"]
    assert by_name["PGIC: no change"]["y"] == [0]
    assert by_name["PGIC: no change"]["text"] == [", day 28 after B1"]
    assert by_name["PGIC: very much better"]["text"] == [", day 7 after B2"]
    assert much["marker"]["symbol"] == "triangle-up"
    assert by_name["PGIC: no change"]["marker"]["symbol"] == "circle"
    # Its own row, just under pain, on the PGIC scale.
    assert much["yaxis"] == "y2" and by_name["Touch pain: none"]["yaxis"] == "y3"
    assert spec["layout"]["yaxis2"]["ticktext"] == ["worse", "no change", "better"]
    assert go.Figure(spec)  # plotly knows every property used
    caption = charts.timeline_caption(analysis, entries)
    assert "touch pain and the patient's impression of change since the block from" in caption


def test_no_touch_pain_or_pgic_row_without_answers():
    analysis, entries = analysed()
    names = set(traces(charts.timeline_spec(analysis, entries)))
    assert not any(n.startswith(("Touch pain", "PGIC")) for n in names)
    assert "touch pain" not in charts.timeline_caption(analysis, entries)


def test_binned_touch_pain_and_pgic_keep_the_worst_and_the_latest():
    entries, blocks = _with_touch_and_pgic()
    entries += [EntryRecord("worse", at(1, 20, 18), 3, touch_pain="marked"),
                EntryRecord("late", at(1, 21, 12), 2, pgic="a_little_better"),
                EntryRecord("later", at(1, 22, 12), 2, pgic="much_worse")]
    analysis, _ = analysed(entries, blocks)
    with mock.patch.object(binning, "RAW_LIMIT", 5), mock.patch.object(binning, "MAX_BINS", 10):
        by_name = traces(charts.timeline_spec(analysis, entries))
    # 58 days in 10 bins of 6 days from 3 Jan, drawn at their middle (midnight). Block days
    # and their next days, and the last 14 days, are drawn reading by reading (at 09:00).
    marked = by_name["Touch pain: marked"]["x"]
    none = by_name["Touch pain: none"]["x"]
    mild = by_name["Touch pain: mild"]["x"]
    assert mild == ["2025-01-10T09:00"]  # the block day: one by one
    assert "2025-01-11T09:00" in none and "2025-02-11T09:00" in none
    binned = [x for x in marked + none if x.endswith("T00:00")]
    assert len(binned) == len(set(binned)) <= 10  # one marker per bin
    assert [x for x in marked + none if not x.endswith(("T00:00", "T09:00"))] == []
    # The bin of 15-20 Jan answered "none" every morning but "marked" once: it shows "marked".
    assert "2025-01-18T00:00" in marked and "2025-01-18T00:00" not in none
    assert "2025-01-06T00:00" in marked  # 3-8 Jan: marked before the block
    # 21 and 22 Jan share a bin: only the latest answer is drawn there; 17 Jan has its own.
    assert by_name["PGIC: much worse"]["x"] == ["2025-01-24T00:00"]
    assert by_name["PGIC: much better"]["x"] == ["2025-01-18T00:00"]
    assert "PGIC: a little better" not in by_name
    assert by_name["PGIC: much worse"]["marker"]["symbol"] == "triangle-down"
    assert "or the worst of 6 days" in by_name["Touch pain: none"]["hovertemplate"]


# ---------------------------------------------------------------------- block comparison

def test_comparison_has_one_relief_line_per_block():
    analysis, _ = analysed()
    spec = charts.comparison_spec(analysis)
    assert [t["name"] for t in spec["data"]] == ["B1 10 Jan 25 (positive)",
                                                 "B2 10 Feb 25 (positive)"]
    first, second = spec["data"]
    assert first["x"][:8] == [1, 2, 3, 4, 5, 6, 7, 8]
    assert first["y"][:8] == [67, 67, 67, 67, 67, 44, 22, 0]
    assert second["x"][-1] == 19 and second["y"][14:17] == [44, 22, 0]
    assert {s["y0"] for s in spec["layout"]["shapes"]} == {50, 30}


def test_comparison_caption_says_relief_lengthened():
    analysis, _ = analysed()
    caption = charts.comparison_caption(analysis)
    assert "block 1 (10 Jan 2025) waned on day 7; block 2 (10 Feb 2025) waned on day 16" in caption
    assert "Relief lasted longer with each repeat." in caption


def test_comparison_without_blocks():
    entries = [EntryRecord("a", at(1, 3), 5)]
    analysis, _ = analysed(entries, [])
    assert charts.comparison_spec(analysis)["data"] == []
    assert "No block has been done yet" in charts.comparison_caption(analysis)


# ----------------------------------------------------------------------------- the phone

def test_phone_chart_is_simple_and_large():
    analysis, _ = analysed()
    fig = json.loads(charts.phone_figure(analysis))
    assert fig["config"]["displayModeBar"] is False
    layout = fig["layout"]
    assert layout["font"]["size"] >= 16 and layout["dragmode"] is False
    assert layout["xaxis"]["fixedrange"] and layout["yaxis"]["fixedrange"]
    (trace,) = fig["data"]
    assert trace["x"][0] == "2025-01-03" and trace["x"][-1] == "2025-03-01"
    assert trace["y"][trace["x"].index("2025-01-12")] == 2
    # The planned block on 20 Mar is after today, outside the chart.
    assert [s["x0"] for s in layout["shapes"]] == ["2025-01-10", "2025-02-10"]
    caption = charts.phone_caption(analysis)
    assert caption.startswith("Your average pain each day from 3 Jan 2025 to 2 Mar 2025")
    # First week with entries 3-9 Jan: all 6. Last week 23 Feb - 1 Mar: (2 + 2 + 5 x 6) / 7.
    assert "about 6 in the first week with entries and about 4.9 in the last week" in caption
    assert "10 Jan 2025, 10 Feb 2025" in caption


# ------------------------------------------------------------------------ page payloads

def test_page_json_is_valid_plotly_drawn_by_the_basic_bundle():
    analysis, entries = analysed()
    pages = {**charts.patient_figures(analysis, entries, "C"),
             "progress": charts.phone_figure(analysis)}
    assert list(pages) == ["timeline", "relief-comparison", "progress"]
    for text in pages.values():
        figure = json.loads(text)
        go.Figure(figure)  # raises on anything plotly's schema does not know
        assert {t["type"] for t in figure["data"]} <= BASIC_BUNDLE_TYPES
        assert figure["layout"]["template"] == {}  # not plotly.py's 7 KB default template
    assert set(charts.patient_captions(analysis, entries)) == {"timeline", "relief-comparison"}


def test_json_cannot_end_its_script_tag():
    text = charts.to_json({"data": [{"type": "scatter", "name": "</script><b>"}], "layout": {}},
                          {"displayModeBar": False})
    assert "<" not in text and ">" not in text
    figure = json.loads(text)
    assert figure["data"][0]["name"] == "</script><b>"
    assert figure["config"] == {"displayModeBar": False}


def test_every_figure_spec_passes_plotlys_own_validation():
    analysis, entries = analysed()
    for spec in (charts.timeline_spec(analysis, entries, "C"), charts.comparison_spec(analysis),
                 charts.progress_spec(analysis)):
        assert isinstance(go.Figure(spec), go.Figure)  # raises on any property plotly lacks


def _bench():
    path = Path(__file__).resolve().parents[2] / "bench" / "bench_charts.py"
    spec = importlib.util.spec_from_file_location("bench_charts", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_ten_year_diary_fits_the_payload_budget():
    bench = _bench()
    entries, blocks = bench.build(10)
    analysis = analyse_patient(entries, blocks, Settings(), bench.TZ, bench.now_for(10))
    pages = charts.patient_figures(analysis, entries, "C")
    packed = sum(len(gzip.compress(text.encode(), 6)) for text in pages.values())
    assert packed <= 60 * 1024
    timeline = json.loads(pages["timeline"])
    assert max(len(t.get("x") or t["y"]) for t in timeline["data"]) <= charts.MAX_BINS
    # Readings on the block days are still there one by one, for the 8-hour zoom.
    readings = traces(timeline)["Pain readings"]["x"]
    block_day = analysis.blocks[0].local_date.isoformat()
    assert sum(x.startswith(block_day) for x in readings) >= 10  # 15 min to 8 h, hourly


# ----------------------------------------------------------------- downsampling property

def _bin_of(day: date, x0: str, dx: int) -> int:
    """Which x0/dx point covers a local day, worked out from the trace alone."""
    noon = datetime.combine(day, datetime.min.time()) + timedelta(hours=12)
    return round((noon - datetime.fromisoformat(x0)) / timedelta(milliseconds=dx))


readings = st.lists(st.tuples(st.integers(0, 59), st.integers(0, 1439), st.integers(0, 10)),
                    min_size=1, max_size=80)


@settings(max_examples=60, deadline=None)
@given(readings=readings, block_day=st.one_of(st.none(), st.integers(0, 59)),
       now_day=st.integers(50, 70), max_bins=st.integers(3, 70))
def test_downsampling_hides_no_extreme_reading(readings, block_day, now_day, max_bins):
    start = datetime(2025, 1, 1, tzinfo=UTC)
    entries = [EntryRecord(f"e{i}", start + timedelta(days=d, minutes=m), pain)
               for i, (d, m, pain) in enumerate(readings)]
    blocks = ([BlockRecord(1, start + timedelta(days=block_day, hours=10), "diagnostic_la",
                           pre_pain=7)] if block_day is not None else [])
    analysis = analyse_patient(entries, blocks, Settings(), LON, start + timedelta(days=now_day))
    with mock.patch.object(binning, "RAW_LIMIT", 5), mock.patch.object(binning, "MAX_BINS",
                                                                        max_bins):
        by_name = traces(charts.timeline_spec(analysis, entries))
    shown = set(zip(by_name["Pain readings"]["x"], by_name["Pain readings"]["y"],
                    strict=True)) if "Pain readings" in by_name else set()
    if len(entries) <= 5:
        assert len(shown) == len({(e.observed_at.isoformat()[:16], e.pain) for e in entries})
        return
    highest = by_name["Pain range (lowest–highest)"]
    lowest, extreme = by_name["Lowest pain"], by_name[f"Pain {charts.EXTREME_PAIN} or more"]
    by_bin: dict[int, list[int]] = {}
    for e in entries:
        local = e.observed_at  # January and February: London time is UTC
        i = _bin_of(local.date(), highest["x0"], highest["dx"])
        by_bin.setdefault(i, []).append(e.pain)
        if (local.isoformat()[:16], e.pain) in shown:
            continue  # drawn one by one
        assert lowest["y"][i] <= e.pain <= highest["y"][i]
        if e.pain >= charts.EXTREME_PAIN:
            assert extreme["y"][i] >= e.pain
    for i, pains in by_bin.items():
        # Each bin's range is its readings' own extremes: none hidden, none made up.
        assert (lowest["y"][i], highest["y"][i]) == (min(pains), max(pains))
        assert extreme["y"][i] == (max(pains) if max(pains) >= charts.EXTREME_PAIN else None)
    assert len(highest["y"]) <= max_bins


def test_phone_chart_starts_where_a_young_diary_starts():
    from datetime import UTC, datetime, timedelta

    from diary.clinical.analysis import analyse_patient
    from diary.clinical.charts import progress_spec
    from diary.clinical.records import EntryRecord

    now = datetime(2026, 5, 20, 12, 0, tzinfo=UTC)
    entries = [EntryRecord(f"e{i}", now - timedelta(days=i), 5) for i in range(10)]
    spec = progress_spec(analyse_patient(entries, [], None, "UTC", now))
    start = str(spec["layout"]["xaxis"]["range"][0])
    assert start.startswith("2026-05-10") or start.startswith("2026-05-11"), start


def test_the_consultant_charts_offer_no_cloud_and_no_image_download():
    import json

    from diary.clinical.charts.common import COMPARISON_CONFIG, TIMELINE_CONFIG
    for config in (TIMELINE_CONFIG, COMPARISON_CONFIG):
        buttons = [b for group in config["modeBarButtons"] for b in group]
        assert "toImage" not in buttons and "sendDataToCloud" not in buttons
        assert not config["showSendToCloud"] and not config["showEditInChartStudio"]
        assert json.loads(json.dumps(config)) == config  # plain names plotly.js reads
