"""The CSV cells and lines of diary.interchange.csv_export: formulas neutralised, numbers left
as numbers, times with the patient's offset, and the fast entry writer equal to the plain
one."""

import csv
import io
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from diary.clinical import vocab
from diary.clinical.analysis import analyse_patient
from diary.clinical.records import BlockRecord, EntryRecord
from diary.clinical.settings import Settings
from diary.interchange import csv_export as export
from diary.interchange.csv_export import EntryRow


@pytest.mark.parametrize("raw, cell", [
    ("=1+1", "'=1+1"),
    ("+44 7700 900123", "'+44 7700 900123"),
    ("-2 points", "'-2 points"),
    ("@SUM(A1:A9)", "'@SUM(A1:A9)"),
    ("\tindented", "'\tindented"),
    ("\rcarriage", "\"'\rcarriage\""),
    ("'=already quoted", "''=already quoted"),
    ("''@twice", "'''@twice"),
    ("'plain apostrophe", "'plain apostrophe"),
    ("a = b", "a = b"),
    ("calm, then worse", '"calm, then worse"'),
    ('said "ow"', '"said ""ow"""'),
    ('=HYPERLINK("http://x.example","click")', '"\'=HYPERLINK(""http://x.example"",""click"")"'),
    ("", ""),
    (None, ""),
])
def test_text_cells_are_neutralised_and_quoted(raw, cell):
    assert export.text(raw) == cell


@pytest.mark.parametrize("value, cell", [(-25.0, "-25.0"), (-0.04, "-0.0"), (71.43, "71.4"),
                                         (None, "")])
def test_numbers_stay_numbers_even_when_negative(value, cell):
    assert export.one_decimal(value) == cell


@given(st.lists(st.text(), min_size=2, max_size=6))  # a row has many columns
def test_lines_read_back_by_csv_as_the_neutralised_text(values):
    line = export.line(export.text(v) for v in values)
    (cells,) = list(csv.reader(io.StringIO(line, newline="")))
    assert [export.restore_text(c) for c in cells] == values
    assert not any(c[:1] in export.FORMULA_START for c in cells)


@pytest.mark.parametrize("value, offset, iso", [
    ("2025-06-15 09:30:00.000000", 60, "2025-06-15T10:30:00+01:00"),
    ("2025-06-15 09:30:00.000000", 0, "2025-06-15T09:30:00+00:00"),
    ("2025-06-15 02:30:15", -300, "2025-06-14T21:30:15-05:00"),
    ("2025-06-15 20:00:00.123456", 345, "2025-06-16T01:45:00+05:45"),
    (datetime(2025, 1, 1, 23, 0, tzinfo=UTC), 780, "2025-01-02T12:00:00+13:00"),
    (datetime(2025, 1, 1, 12, 0, tzinfo=timezone(timedelta(hours=2))), -210,
     "2025-01-01T06:30:00-03:30"),
    (datetime(2025, 1, 1, 12, 0), 0, "2025-01-01T12:00:00+00:00"),  # naive is UTC
    (None, 60, ""),
])
def test_times_carry_the_offset_the_patient_had(value, offset, iso):
    assert export.iso_time(value, offset) == iso


_text = st.text(alphabet=st.characters(exclude_categories=["Cs"]), max_size=12)
_temp = st.none() | st.floats(15, 40, allow_nan=False)
_utc = st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1))
_time = _utc.map(lambda d: d.replace(tzinfo=UTC)) | _utc.map(
    lambda d: d.strftime("%Y-%m-%d %H:%M:%S.%f"))
_code = st.none() | st.sampled_from(sorted(vocab.COLOURS)) | _text
_answer = st.none() | st.booleans() | st.sampled_from([0, 1])  # SQLite gives 0/1, or NULL

entry_rows = st.builds(
    EntryRow, id=_text, patient_id=st.sampled_from([1, 2]), observed_at=_time,
    utc_offset_min=st.integers(-720, 840), pain=st.integers(0, 10),
    temp_treated_c=_temp, temp_other_c=_temp, colour=_code, feels=_code,
    walk_pain_free_min=st.none() | st.integers(0, 600),
    walk_max_min=st.none() | st.integers(0, 600), swelling=_code, sweating=_code,
    side_effects=st.sampled_from(["", "bruising", "back_soreness;leg_numbness"]) | _text,
    rescue_medication=st.booleans() | st.sampled_from([0, 1]), notes=_text,
    entered_by=st.sampled_from([7, 8, 9]), created_at=_time, updated_at=_time,
    did_not_walk=st.booleans(), deleted_at=st.none() | _time,
    touch_pain=st.none() | st.sampled_from(sorted(vocab.TOUCH_PAIN)) | _text,
    night_rest_pain=_answer,
    wound=st.none() | st.sampled_from(sorted(vocab.WOUND)) | _text,
    pgic=st.none() | st.sampled_from(sorted(vocab.PGIC)) | _text)


@given(st.lists(st.lists(entry_rows, max_size=4), max_size=3), st.booleans())
def test_fast_entry_lines_equal_the_reference_cells(batches, include_deleted):
    labels = {1: "R-1", 2: "=2"}
    users = {7: "pat@home.example", 8: "-dr"}
    fast = "".join(export.entry_batches(batches, labels, users, include_deleted))
    plain = "".join(export.line(export.entry_cells(r, labels, users, include_deleted))
                    for rows in batches for r in rows)
    assert fast == plain


# The entries file's columns before migration 0008: their names and positions are a contract.
CONTRACT_BEFORE_0008 = (
    "entry_id", "patient_record", "observed_at", "pain", "temp_treated_c", "temp_other_c",
    "colour", "feels", "walk_pain_free_min", "walk_max_min", "swelling", "sweating",
    "side_effects", "rescue_medication", "notes", "entered_by", "created_at", "updated_at",
    "did_not_walk")
FOLLOW_UP = ("touch_pain", "night_rest_pain", "wound", "pgic")


def test_the_follow_up_columns_are_appended_and_every_older_column_keeps_its_place():
    assert (*CONTRACT_BEFORE_0008, *FOLLOW_UP) == export.ENTRY_COLUMNS
    assert export.columns_for(export.ENTRY_COLUMNS, True)[-1] == "deleted_at"  # still last
    assert set(FOLLOW_UP) <= set(export.ENTRY_CONTENT_COLUMNS)  # an import compares them


def test_entry_cells_in_column_order():
    row = EntryRow("e1", 1, "2025-06-15 09:30:00.000000", 60, 4, 31.25, None, "blue_purple",
                   None, 0, 12, "none", None, "bruising;leg_numbness", 1, "ok", 7,
                   "2025-06-15 09:31:00.000000", "2025-06-15 09:32:00.000000", 0,
                   "2025-06-16 00:00:00.000000", "marked", 0, "worse", "much_better")
    cells = export.entry_cells(row, {1: "R-1"}, {7: "pat"}, include_deleted=True)
    assert dict(zip((*export.ENTRY_COLUMNS, "deleted_at"), cells, strict=True)) == {
        "entry_id": "e1", "patient_record": "R-1", "observed_at": "2025-06-15T10:30:00+01:00",
        "pain": "4", "temp_treated_c": "31.2", "temp_other_c": "", "colour": "blue_purple",
        "feels": "", "walk_pain_free_min": "0", "walk_max_min": "12", "swelling": "none",
        "sweating": "", "side_effects": "bruising;leg_numbness", "rescue_medication": "yes",
        "notes": "ok", "entered_by": "pat", "created_at": "2025-06-15T09:31:00+00:00",
        "updated_at": "2025-06-15T09:32:00+00:00", "did_not_walk": "no",
        "touch_pain": "marked", "night_rest_pain": "no", "wound": "worse",
        "pgic": "much_better", "deleted_at": "2025-06-16T00:00:00+00:00"}


def _follow_up_cells(include_deleted=False, **answers):
    """The four follow-up cells of one entry, from both writers (which must agree)."""
    row = EntryRow("e1", 1, "2025-06-15 09:30:00.000000", 0, 4, None, None, None, None, None,
                   None, None, None, "", False, "", 7, "2025-06-15 09:31:00.000000",
                   "2025-06-15 09:31:00.000000", False, None, **answers)
    plain = export.entry_cells(row, {1: "R-1"}, {7: "pat"}, include_deleted)
    fast = "".join(export.entry_batches([[row]], {1: "R-1"}, {7: "pat"}, include_deleted))
    assert fast == export.line(plain)
    at = len(CONTRACT_BEFORE_0008)
    return plain[at:at + 4]


@pytest.mark.parametrize("answer, cell", [(None, ""), (False, "no"), (True, "yes"), (0, "no"),
                                          (1, "yes")])
def test_night_rest_pain_not_answered_is_an_empty_cell_not_no(answer, cell):
    assert _follow_up_cells(night_rest_pain=answer) == ["", cell, "", ""]
    assert _follow_up_cells(True, night_rest_pain=answer) == ["", cell, "", ""]


def test_an_entry_from_before_the_follow_up_fields_has_four_empty_cells():
    assert _follow_up_cells() == ["", "", "", ""]
    # Not answered beside answered: the writer's cached runs keep None and False apart.
    rows = [EntryRow("e1", 1, "2025-06-15 09:30:00.000000", 0, 4, None, None, None, None, None,
                     None, None, None, "", False, "", 7, None, None, False, None,
                     night_rest_pain=answer) for answer in (None, False, None, 0, True, None)]
    fast = "".join(export.entry_batches([rows], {1: "R"}, {}))
    assert [line.split(",")[20] for line in fast.split("\r\n")[:-1]] == [
        "", "no", "", "no", "yes", ""]


@pytest.mark.parametrize("field, codes", [("touch_pain", vocab.TOUCH_PAIN),
                                          ("wound", vocab.WOUND), ("pgic", vocab.PGIC)])
def test_follow_up_answers_are_written_as_their_codes_never_their_words(field, codes):
    at = FOLLOW_UP.index(field)
    for code, words in codes.items():
        cell = _follow_up_cells(**{field: code})[at]
        assert cell == code and (cell != words or code == words)


@pytest.mark.parametrize("value, cell", [("=cmd|' /C calc'!A0", "'=cmd|' /C calc'!A0"),
                                         ('=cmd("a,b")', '"\'=cmd(""a,b"")"'),
                                         ("@SUM(A1)", "'@SUM(A1)"), ("+1", "'+1")])
def test_a_stored_follow_up_value_that_is_not_a_code_is_still_neutralised(value, cell):
    # The forms and the import only store codes; should anything else reach the table, it is
    # written as any text cell is.
    assert _follow_up_cells(wound=value, pgic=value) == ["", "", cell, cell]


def _block(**temps):
    fields = {f: None for f in export.BlockRow._fields}
    fields.update(id=3, patient_id=1, performed_at="2025-06-01 09:00:00.000000",
                  utc_offset_min=60, side="left", kind="diagnostic_la", level="", agent="",
                  somatic_spread=0, confirmed_other_means=0, notes="", long_acting=0,
                  sedation=0, recorded_by=7, **temps)
    return export.BlockRow(**fields)


def test_block_peaks_are_the_highest_reading_after_the_block():
    row = _block(temp_treated_pre_c=34.0, temp_treated_5_c=29.0, temp_treated_20_c=30.44,
                 temp_other_pre_c=28.0)
    cells = dict(zip(export.BLOCK_COLUMNS, export.block_cells(row, {1: "R"}, {}), strict=True))
    assert cells["temp_treated_peak_c"] == "30.4"  # not the warmer reading before the block
    assert cells["temp_other_peak_c"] == ""        # no readings after: not recorded, not 0
    assert cells["volume_ml"] == "" and cells["pre_pain"] == ""
    assert cells["performed_at"] == "2025-06-01T10:00:00+01:00"


@pytest.mark.parametrize("ml, cell", [(10, "10.0"), (7.5, "7.5"), (0.25, "0.25")])
def test_volumes_keep_what_was_typed(ml, cell):
    assert export.volume(ml) == cell


def test_document_starts_with_bom_and_header_and_keeps_every_part():
    parts = [f"{i},x\r\n" for i in range(20000)]
    chunks = list(export.document(("a", "b"), parts))
    assert chunks[0] == "\ufeffa,b\r\n".encode()
    assert len(chunks) > 2  # streamed in pieces, not one string
    assert b"".join(chunks[1:]).decode() == "".join(parts)


def test_summary_leaves_a_pending_block_empty_and_writes_a_negative_relief_as_a_number():
    t0 = datetime(2025, 1, 10, 10, tzinfo=UTC)
    warm = {0: 28.0, 10: 31.0}
    entries = [EntryRecord(f"b{d}", t0 - timedelta(days=d), 4) for d in range(1, 8)]
    entries += [EntryRecord("w1", t0 + timedelta(minutes=30), 6),
                EntryRecord("w2", t0 + timedelta(minutes=90), 5)]
    blocks = [BlockRecord(1, t0, "diagnostic_la", pre_pain=4, temps_treated=warm),
              BlockRecord(2, t0 + timedelta(days=20), "diagnostic_la", pre_pain=5,
                          temps_treated=warm)]
    now = t0 + timedelta(days=20, hours=1)  # the second block's window is still open
    result = analyse_patient(entries, blocks, Settings(), "Europe/London", now)
    rows = [dict(zip(export.SUMMARY_COLUMNS, cells, strict=True))
            for cells in export.summary_cells(result, "R-1", {1: 0, 2: 0})]
    first, second = rows
    # Pain 4 before, 5 at best in the window: (4 - 5) / 4 = -25 %, a number.
    assert first["peak_relief_pct"] == "-25.0"
    assert first["verdict"] == "negative"
    assert second["verdict"] == "" and second["prolonged"] == ""
    assert second["verdict_reason"].startswith("Pending")
    assert first["repeat_due"] == second["repeat_due"] == "no"


def test_summary_carries_the_follow_up_figures_of_a_neurolysis_and_leaves_them_empty_otherwise():
    """A neurolysis on 10 Jan 2025 (London = UTC) after a week at pain 8 with touch pain
    marked; pain 4 on days 4-10 with touch pain mild, a PGIC answer on day 7 and a wound
    answer; nothing yet around day 30 ("no diary days"); days 83-97 not begun."""
    t0 = datetime(2025, 1, 10, 10, tzinfo=UTC)
    day = lambda n: datetime(2025, 1, 10, 18, tzinfo=UTC) + timedelta(days=n)  # noqa: E731
    entries = [EntryRecord(f"b{n}", day(-n), 8, touch_pain="marked") for n in range(1, 8)]
    entries += [EntryRecord(f"a{n}", day(n), 4, touch_pain="mild", night_rest_pain=n == 5)
                for n in range(4, 11)]
    entries += [EntryRecord("p7", day(7) + timedelta(minutes=5), 4, pgic="much_better",
                            wound="healing")]
    blocks = [BlockRecord(1, t0, "neurolysis", pre_pain=8),
              BlockRecord(2, t0 - timedelta(days=60), "diagnostic_la", pre_pain=8)]
    result = analyse_patient(entries, blocks, Settings(), "Europe/London", day(40))
    rows = {r["block_id"]: r for r in (
        dict(zip(export.SUMMARY_COLUMNS, cells, strict=True))
        for cells in export.summary_cells(result, "R-1", {1: 0, 2: 0}))}
    neuro, la = rows["1"], rows["2"]
    # Touch pain: marked (2) on the 7 days before; mild (1) on days 4-7 (days 1-7 only).
    assert (neuro["touch_pain_before"], neuro["touch_pain_after"]) == ("2.0", "1.0")
    assert neuro["pgic_answers"] == "7:much_better" and neuro["pgic_disagreement"] == "no"
    # Day 7: 8 entries on 7 days, all pain 4 against B7 8 = 50 % relief; one night of pain.
    assert neuro["cp7_diary_days"] == "7" and neuro["cp7_relief_pct"] == "50.0"
    assert neuro["cp7_rest_pain_nights"] == "1" and neuro["cp7_wound"] == "healing"
    assert neuro["cp7_pgic"] == "much_better" and neuro["cp7_temp_gain_c"] == ""
    # Day 30: the span (27-33) is over with no diary: 0 days, no figures (not zero relief).
    assert neuro["cp30_diary_days"] == "0" and neuro["cp30_relief_pct"] == ""
    assert neuro["cp30_wound"] == "healing"
    assert all(neuro[f"cp90_{f}"] == "" for f in export.CHECKPOINT_FIGURES)
    assert neuro["follow_up_flags"] == ""
    # The local-anaesthetic block: no checkpoints, and no PGIC asked.
    assert all(la[c] == "" for c in export.SUMMARY_COLUMNS if c.startswith("cp"))
    assert la["follow_up_flags"] == la["pgic_answers"] == la["pgic_disagreement"] == ""
