"""Reading CSV files into entries and blocks (diary.interchange.csv_import): every refusal,
with its line, and the values the rows turn into."""

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from diary.clinical import limits, vocab
from diary.interchange import csv_export as export
from diary.interchange import csv_import as importer
from diary.interchange.csv_import import Context

NOW = datetime(2025, 6, 15, 10, 30, tzinfo=UTC)
CTX = Context("Europe/London", NOW, datetime(2025, 1, 1, tzinfo=UTC), "R-1")
HEADER = "observed_at,pain,temp_treated_c,temp_other_c,colour,side_effects,notes"


def entries(*rows: str, header: str = HEADER, ctx: Context = CTX) -> importer.Parsed:
    return importer.parse_entries("\r\n".join([header, *rows]) + "\r\n", ctx)


def only_error(parsed) -> str:
    (problem,) = parsed.errors
    return str(problem)


def test_a_good_row_becomes_stored_values():
    parsed = entries("2025-06-14T11:30:00+01:00,6,31.25,29.0,blue_purple,"
                     "leg_numbness;back_soreness,\"'=ask, later\"")
    assert parsed.ok and not parsed.warnings
    (row,) = parsed.rows
    v = row.values
    assert v["observed_at"] == datetime(2025, 6, 14, 10, 30, tzinfo=UTC)
    assert v["utc_offset_min"] == 60
    assert (v["pain"], v["temp_treated_c"], v["temp_other_c"]) == (6, 31.25, 29.0)
    assert v["side_effects"] == "back_soreness;leg_numbness"  # the order the form stores
    assert v["notes"] == "=ask, later"                        # our apostrophe taken off
    assert v["walk_max_min"] is None and v["rescue_medication"] is False
    assert row.entry_id is None and row.line == 2


def test_a_time_without_offset_is_read_in_the_patients_zone():
    (row,) = entries("2025-01-14 08:00,3", header="observed_at,pain").rows
    assert row.values["observed_at"] == datetime(2025, 1, 14, 8, 0, tzinfo=UTC)
    nz = Context("Pacific/Auckland", NOW, CTX.record_created)
    (row,) = entries("2025-01-14 08:00,3", header="observed_at,pain", ctx=nz).rows
    assert row.values["utc_offset_min"] == 13 * 60
    assert row.values["observed_at"] == datetime(2025, 1, 13, 19, 0, tzinfo=UTC)


@pytest.mark.parametrize("cells, message", [
    (",5", "observed_at: missing"),
    ("15/06/2025 10:00,5", "is not a date and time like 2025-06-15T11:30:00+01:00"),
    ("2025-02-30T10:00,5", "is not a real date and time"),
    ("２025-06-01T10:00,5", "is not a date and time"),
    ("2025-06-01T10:00+15:00,5", "impossible UTC offset"),
    ("2025-06-16T10:00:00+01:00,5", "in the future"),
    ("2023-12-01T10:00:00+00:00,5", "more than a year before your diary started"),
    ("2025-06-01T10:00,", "pain: missing"),
    ("2025-06-01T10:00,11", "pain: '11' is not a whole number from 0 to 10"),
    ("2025-06-01T10:00,4.5", "pain: '4.5' is not a whole number"),
    ("2025-06-01T10:00,١٠", "pain: '١٠' is not a whole number"),
    ("2025-06-01T10:00,5,14.9", "temp_treated_c: 14.9 °C is outside 15–40 °C"),
    ("2025-06-01T10:00,5,,88", "temp_other_c: 88 looks like °F; the file must give °C"),
    ("2025-06-01T10:00,5,warm", "temp_treated_c: 'warm' is not a temperature in °C"),
    ("2025-06-01T10:00,5,,,purple", "colour: 'purple' is not one of same, red_flushed"),
    ("2025-06-01T10:00,5,,,,bruising;hiccups", "side_effects: 'hiccups' not among"),
    ("2025-06-01T10:00,5,,,,,\"bad \x07 bell\"", "notes: contains special (control)"),
    ("2025-06-01T10:00,5,,,,," + "x" * (limits.NOTES_MAX + 1), "notes: longer than 1,000"),
])
def test_each_bad_cell_is_refused_with_its_line_and_reason(cells, message):
    parsed = entries("2025-06-01T10:00,5", cells)
    assert message in only_error(parsed)
    assert only_error(parsed).startswith("line 3: ")
    assert len(parsed.rows) == 1  # the good row parsed, but the file as a whole is refused


@pytest.mark.parametrize("cells, message", [
    ("5,3,no,maybe", "rescue_medication: 'maybe' is not yes or no"),
    ("5,,yes,no", "did_not_walk: yes, but walking minutes are given"),
    ("12,8,no,no", "walk_pain_free_min: Pain-free minutes cannot be more than"),
    ("601,,no,no", "walk_pain_free_min: '601' is not a whole number from 0 to 600"),
])
def test_walking_and_yes_no_rules_are_the_forms(cells, message):
    parsed = entries(f"2025-06-01T10:00,5,{cells}",
                     header="observed_at,pain,walk_pain_free_min,walk_max_min,did_not_walk,"
                            "rescue_medication")
    assert message in only_error(parsed)


FOLLOW_UP_HEADER = "observed_at,pain,touch_pain,night_rest_pain,wound,pgic"


def test_the_follow_up_answers_become_stored_values():
    parsed = entries("2025-06-01T10:00,5,mild,yes,healing,much_better",
                     "2025-06-01T11:00,5,Marked,No,NEW,very_much_worse",
                     "2025-06-01T12:00,5,,,,", header=FOLLOW_UP_HEADER)
    assert parsed.ok and not parsed.warnings, parsed.errors
    assert [tuple(r.values[f] for f in ("touch_pain", "night_rest_pain", "wound", "pgic"))
            for r in parsed.rows] == [("mild", True, "healing", "much_better"),
                                      ("marked", False, "new", "very_much_worse"),
                                      (None, None, None, None)]  # blank: not answered


def test_a_file_from_before_the_follow_up_columns_imports_as_before():
    parsed = entries("2025-06-01T10:00,5,31.0,30.0,same,,")
    assert parsed.ok and not parsed.warnings  # no "missing column", nothing unknown
    (row,) = parsed.rows
    for field in ("touch_pain", "night_rest_pain", "wound", "pgic"):
        assert row.values[field] is None, field  # NULL: not asked, never "no" or "none"
    old_export = ",".join(c for c in export.ENTRY_COLUMNS
                          if c not in ("touch_pain", "night_rest_pain", "wound", "pgic"))
    parsed = importer.parse_entries(
        f"{old_export}\r\n,R-1,2025-06-01T10:00:00+01:00,5,,,,,,,,,,no,,pat,,,no\r\n", CTX)
    assert parsed.ok and not parsed.warnings, parsed.errors
    assert parsed.rows[0].values["night_rest_pain"] is None


@pytest.mark.parametrize("spelling, answer", [
    ("yes", True), ("Y", True), ("true", True), ("1", True),
    ("no", False), ("N", False), ("FALSE", False), ("0", False), ("", None), ("  ", None)])
def test_night_rest_pain_takes_the_yes_no_spellings_and_blank_is_not_answered(spelling, answer):
    parsed = entries(f"2025-06-01T10:00,5,,{spelling},,", header=FOLLOW_UP_HEADER)
    assert parsed.ok, parsed.errors
    assert parsed.rows[0].values["night_rest_pain"] is answer


@pytest.mark.parametrize("cells, message", [
    ("severe,,,", "touch_pain: 'severe' is not one of none, mild, marked."),
    (",maybe,,", "night_rest_pain: 'maybe' is not yes or no."),
    (",,infected,", "wound: 'infected' is not one of none, healing, unchanged, worse, new."),
    (",,,better", "pgic: 'better' is not one of very_much_better, much_better, "
                  "a_little_better, no_change, a_little_worse, much_worse, very_much_worse."),
    (",,,Much better", "pgic: 'Much better' is not one of"),  # the words, not the code
    (",,=cmd|' /C calc'!A0,", "wound: \"=cmd|' /C calc'!A0\" is not one of"),
    (",,'=cmd,", "wound: \"'=cmd\" is not one of"),
    ("@SUM(A1),,,", "touch_pain: '@SUM(A1)' is not one of"),
    (",,,+much_better", "pgic: '+much_better' is not one of"),
])
def test_a_bad_follow_up_answer_is_refused_with_its_line(cells, message):
    parsed = entries("2025-06-01T10:00,5,none,no,none,no_change", f"2025-06-01T11:00,5,{cells}",
                     header=FOLLOW_UP_HEADER)
    assert only_error(parsed).startswith(f"line 3: {message}")
    assert not parsed.ok  # the whole file is refused: nothing of it is imported
    # What did parse holds codes only: formula text can never reach the diary, or an export.
    for row in parsed.rows:
        assert row.values["touch_pain"] in (None, *vocab.TOUCH_PAIN)
        assert row.values["night_rest_pain"] in (None, True, False)
        assert row.values["wound"] in (None, *vocab.WOUND)
        assert row.values["pgic"] in (None, *vocab.PGIC)


def test_every_bad_row_is_reported_not_only_the_first():
    parsed = entries("2025-06-01T10:00,5", "2025-06-01T11:00,x", "2025-06-01T12:00,4",
                     "2025-06-01T13:00,99,60")
    assert [p.line for p in parsed.errors] == [3, 5]
    assert "temp_treated_c" in str(parsed.errors[1]) and "pain" in str(parsed.errors[1])


def test_line_numbers_count_the_lines_of_a_note_over_several_lines():
    parsed = entries('2025-06-01T10:00,5,,,,,"first\r\nsecond\r\nthird"', "2025-06-01T11:00,x")
    assert [p.line for p in parsed.errors] == [5]


def test_unusual_but_possible_temperatures_are_imported_with_a_warning():
    parsed = entries("2025-06-01T10:00,5,18.5,38.0")
    assert parsed.ok
    assert [str(w) for w in parsed.warnings] == [
        "line 2: temp_treated_c: 18.5 °C is unusually cold for skin; imported as given.",
        "line 2: temp_other_c: 38 °C is unusually warm for skin; imported as given."]


@pytest.mark.parametrize("data, message", [
    (b"", "The file is empty."),
    (b"observed_at,pain\r\n", "a header but no rows"),
    (b"pain,notes\r\n5,x\r\n", "Missing column: observed_at"),
    (b"observed_at,pain,pain\r\n", "Columns named twice: pain"),
    ("observed_at,pain\r\n2025-06-01T10:00,5\r\n".encode("utf-16"), "not UTF-8"),
    (b"observed_at,pain\r\n2025-06-01T10:00,5,oops\r\n", "3 cells but the header has 2"),
    (b'observed_at,pain\r\n2025-06-01T10:00,"5"x\r\n', "not readable as CSV (line 2"),
])
def test_files_that_are_not_diaries_are_refused_whole(data, message):
    parsed = importer.parse_entries(data, CTX)
    assert not parsed.ok and message in " ".join(str(p) for p in parsed.errors)


def test_extra_columns_are_ignored_with_a_warning_and_a_bom_is_fine():
    data = "\ufeffObserved_At ,pain,mood,\r\n2025-06-01T10:00,5,good,\r\n".encode()
    parsed = importer.parse_entries(data, CTX)
    assert parsed.ok and len(parsed.rows) == 1
    assert [str(w) for w in parsed.warnings] == [
        "line 1: Columns not imported (not in the export's format): mood, (no name)."]


def test_entry_ids_are_checked_and_repeats_in_one_file_resolved():
    a, b = "0f8fad5b-d9cb-469f-a165-70867728950e", "7c9e6679-7425-40de-944b-e07fc1f90ae7"
    parsed = entries(f"{a.upper()},2025-06-01T10:00,5", f"{a},2025-06-01T10:00,5",
                     f"{b},2025-06-01T11:00,5", f"{b},2025-06-01T11:00,6",
                     "nope,2025-06-01T12:00,5", header="entry_id,observed_at,pain")
    assert [r.entry_id for r in parsed.rows] == [a, b]
    assert parsed.skipped == 1 and "The same as line 2" in str(parsed.warnings[0])
    assert [str(p) for p in parsed.errors] == [
        "line 5: entry_id is also on line 4, with different values.",
        "line 6: entry_id: 'nope' is not an entry id (a UUID); leave it blank for a new entry."]


def test_rows_without_ids_that_repeat_exactly_are_imported_once():
    parsed = entries("2025-06-01T10:00,5", "2025-06-01T10:00:00+01:00,5", "2025-06-01T10:00,6")
    assert len(parsed.rows) == 2 and parsed.skipped == 1


def test_deleted_rows_are_left_out_with_a_warning():
    parsed = entries("2025-06-01T10:00,5,", "2025-06-01T11:00,x,2025-06-02T00:00:00+00:00",
                     header="observed_at,pain,deleted_at")
    assert parsed.ok and len(parsed.rows) == 1 and parsed.skipped == 1
    assert "Deleted in the diary it came from" in str(parsed.warnings[0])


def test_one_patient_per_file():
    parsed = entries("R-1,2025-06-01T10:00,5", "R-2,2025-06-01T11:00,5",
                     header="patient_record,observed_at,pain")
    assert "more than one patient (R-1, R-2)" in only_error(parsed)
    parsed = entries("R-9,2025-06-01T10:00,5", header="patient_record,observed_at,pain")
    assert parsed.ok
    assert "exported for record R-9; they are imported into record R-1" in \
        str(parsed.warnings[0])


# ------------------------------------------------------------- caps and bounded problems

def _wide(columns: int, *rows: str, first: str = "observed_at,pain") -> bytes:
    """A header of `columns` names: `first`, then made-up ones."""
    fixed = first.split(",")
    names = fixed + [f"extra{i}" for i in range(columns - len(fixed))]
    return "\r\n".join([",".join(names), *rows, ""]).encode()


def test_a_60000_column_header_is_refused_before_any_column_is_read(monkeypatch):
    def never(*args):
        raise AssertionError("the header's names were looked at")

    monkeypatch.setattr(importer, "_check_header", never)
    # Every name twice, so a header check that ran would also complain of doubles.
    data = _wide(60_000, "2025-06-01T10:00,5", first="observed_at,pain,pain")
    parsed = importer.parse_entries(data, CTX)
    assert only_error(parsed) == (
        "line 1: The first line names 60,000 columns; an import takes at most 200 (an export "
        f"has {len(export.ENTRY_COLUMNS)}). Is this a diary file?")
    assert not parsed.rows and not parsed.warnings


def test_the_column_cap_is_exactly_max_columns():
    parsed = importer.parse_entries(_wide(importer.MAX_COLUMNS, "2025-06-01T10:00,5"), CTX)
    assert parsed.ok and len(parsed.rows) == 1
    parsed = importer.parse_entries(_wide(importer.MAX_COLUMNS + 1, "2025-06-01T10:00,5"), CTX)
    assert "names 201 columns; an import takes at most 200" in only_error(parsed)


class _CountedName(str):
    """A column name that counts how often it is compared for equality."""

    compared = 0
    __hash__ = str.__hash__

    def __eq__(self, other):
        type(self).compared += 1
        return str.__eq__(self, other)


def test_the_header_check_compares_each_name_a_bounded_number_of_times(monkeypatch):
    # Linear, proved by counting rather than timing: comparing each name with every other
    # (as names.count(name) per name did) would be 4,000,000 comparisons for 2,000 names.
    names = [_CountedName(f"col{i % 1000}") for i in range(2000)] + ["observed_at", "pain"]
    monkeypatch.setattr(_CountedName, "compared", 0)
    out = importer.Parsed("entries")
    assert not importer._check_header(names, export.ENTRY_COLUMNS, ("observed_at", "pain"), out)
    assert _CountedName.compared <= 10 * len(names)
    assert str(out.errors[0]).startswith("line 1: Columns named twice: col0, col1, col10, ")
    assert str(out.errors[0]).endswith(" and 990 more.")


def test_doubled_and_unknown_columns_below_the_cap_are_named_in_short_messages():
    names = ["observed_at", "pain", "pain"] + [f"mood{i}" for i in range(150)] + ["x" * 500]
    parsed = importer.parse_entries(",".join(names).encode() + b"\r\n", CTX)
    assert only_error(parsed) == "line 1: Columns named twice: pain."
    (warning,) = parsed.warnings
    assert str(warning) == ("line 1: Columns not imported (not in the export's format): "
                            + ", ".join(f"mood{i}" for i in range(10)) + " and 141 more.")
    parsed = importer.parse_entries(b"observed_at,pain,notes,notes,pain\r\n", CTX)
    assert only_error(parsed) == "line 1: Columns named twice: notes, pain."


def test_too_many_cells_are_refused_as_they_are_read():
    columns = 200
    rows = importer.MAX_CELLS // columns  # exactly the cap: blank rows count too
    data = _wide(columns, *[("," * (columns - 1))] * (rows + 5))
    assert len(data) < importer.MAX_FILE_BYTES
    parsed = importer.parse_entries(data, CTX)
    assert only_error(parsed) == (f"line {rows + 2}: More than 2,000,000 cells (rows × "
                                  "columns): please split the file.")
    parsed = importer.parse_entries(_wide(columns, *[("," * (columns - 1))] * rows), CTX)
    assert only_error(parsed) == "The file has a header but no rows."


@pytest.mark.parametrize("length", [importer.MAX_FIELD_CHARS + 1, 200_000])
def test_an_over_long_cell_refuses_the_file_at_its_line(length):
    # 200,000 is past the csv module's own field limit: the same plain message.
    message = ("a cell is longer than 10,000 characters, and no cell of a diary is (notes take "
               "up to 1,000). Is this a diary file?")
    parsed = entries("2025-06-01T10:00,5", "2025-06-01T11:00,5,,,,,\"" + "n" * length + "\"",
                     "2025-06-01T12:00,x")
    assert only_error(parsed) == f"line 3: {message}"  # and line 4 is never read
    assert len(parsed.rows) == 1
    parsed = importer.parse_entries(b"observed_at,pain," + b"h" * length + b"\r\n", CTX)
    assert only_error(parsed) == f"line 1: {message}"


def test_a_long_note_below_the_field_cap_is_that_rows_problem():
    parsed = entries("2025-06-01T10:00,5,,,,," + "n" * importer.MAX_FIELD_CHARS,
                     "2025-06-01T11:00,x")
    assert [str(p)[:28] for p in parsed.errors] == ["line 2: notes: longer than 1",
                                                    "line 3: pain: 'x' is not a w"]


def test_a_file_over_the_size_cap_is_refused_before_it_is_read():
    # Not UTF-8 either: the size is checked first, before any decoding.
    data = b"observed_at,pain\r\n" + b"\xff" * importer.MAX_FILE_BYTES
    assert only_error(importer.parse_entries(data, CTX)) == (
        "The file is larger than 5 MB: please split it into smaller files.")
    assert importer.parse_entries(data.decode("latin-1"), CTX).errors.total == 1


def test_100000_bad_rows_keep_100_problems_and_count_the_rest():
    data = b"observed_at,pain\r\n" + b"x,1\r\n" * 100_000
    parsed = importer.parse_entries(data, CTX)
    assert (len(parsed.errors), parsed.errors.total, parsed.errors.more) == (100, 100_000,
                                                                            99_900)
    assert [p.line for p in parsed.errors] == list(range(2, 102))  # the first, in order
    assert not parsed.ok


def test_warnings_are_bounded_the_same_way():
    rows = [f"2025-06-01T10:{m:02d},5,2025-06-02T00:00:00+00:00" for m in range(60)] * 3
    parsed = entries(*rows, header="observed_at,pain,deleted_at")
    assert parsed.skipped == 180
    assert (len(parsed.warnings), parsed.warnings.total) == (importer.SHOWN_PROBLEMS, 180)


def test_a_row_of_many_unknown_codes_makes_a_short_message():
    parsed = entries("2025-06-01T10:00,5,,,," + ";".join(f"odd{i}" for i in range(1000)))
    assert "'odd0', 'odd1', 'odd2', 'odd3', 'odd4' and 995 more not among" in \
        only_error(parsed)
    assert len(only_error(parsed)) < 400


# ------------------------------------------------------------------------------ blocks

BLOCK_HEADER = ("performed_at,side,kind,volume_ml,pre_pain,temp_treated_pre_c,"
                "temp_treated_peak_c,temp_treated_10_c,temp_treated_20_c,notes")


def blocks(*rows: str, header: str = BLOCK_HEADER) -> importer.Parsed:
    return importer.parse_blocks("\r\n".join([header, *rows]) + "\r\n", CTX)


def test_a_good_block_row():
    parsed = blocks("2025-06-01T10:00:00+01:00,LEFT,diagnostic_la,7.5,8,28.0,30.4,30.4,29.9,"
                    "'@ward")
    assert parsed.ok, parsed.errors
    v = parsed.rows[0].values
    assert v["performed_at"] == datetime(2025, 6, 1, 9, tzinfo=UTC)
    assert (v["side"], v["kind"], v["volume_ml"], v["pre_pain"]) == ("left", "diagnostic_la",
                                                                      7.5, 8)
    assert (v["temp_treated_10_c"], v["temp_treated_20_c"], v["temp_treated_30_c"]) == \
        (30.4, 29.9, None)
    assert v["notes"] == "@ward" and v["sedation"] is False


def test_a_peak_alone_is_kept_as_the_30_minute_reading():
    parsed = blocks("2025-06-01T10:00,left,neurolysis,,,28.0,31.0,,,")
    assert parsed.ok
    assert parsed.rows[0].values["temp_treated_30_c"] == 31.0
    assert "kept as the 30-minute reading" in str(parsed.warnings[0])


@pytest.mark.parametrize("cells, message", [
    ("2025-06-01T10:00,,diagnostic_la,,,,,,,", "side: missing (one of left, right, both)"),
    ("2025-06-01T10:00,left,nerve_block,,,,,,,", "kind: 'nerve_block' is not one of"),
    ("2025-06-15T12:00:00+01:00,left,diagnostic_la,,,,,,,", "performed_at: in the future"),
    ("2014-06-01T10:00,left,diagnostic_la,,,,,,,", "more than ten years before"),
    ("2025-06-01T10:00,left,diagnostic_la,51,,,,,,", "volume_ml: '51' is not a number from 0 "
                                                     "to 50"),
    ("2025-06-01T10:00,left,diagnostic_la,,,,31.0,30.4,29.9,", "temp_treated_peak_c: 31 is "
                                                              "not the highest"),
    ("2025-06-01T10:00,left,diagnostic_la,,11,,,,,", "pre_pain: '11' is not a whole number"),
])
def test_bad_block_rows(cells, message):
    parsed = blocks(cells)
    assert message in only_error(parsed)


def test_two_rows_for_one_block_time():
    parsed = blocks("2025-06-01T10:00,left,diagnostic_la,,,,,,,",
                    "2025-06-01T10:00:00+01:00,left,diagnostic_la,,,,,,,",
                    "2025-06-01T10:00,right,diagnostic_la,,,,,,,")
    assert len(parsed.rows) == 1 and parsed.skipped == 1
    assert "performed_at is also on line 2, with different values" in only_error(parsed)


def test_an_exported_entry_parses_back_to_the_same_content():
    row = export.EntryRow("0f8fad5b-d9cb-469f-a165-70867728950e", 1,
                          datetime(2025, 6, 1, 9, tzinfo=UTC), 60, 3, 30.0, 31.5, "pale_white",
                          "colder", None, None, "marked", "more", "bruising;groin_thigh_burning",
                          True, "-worse\nat night", 1, None, None, True, None, "mild", False,
                          "unchanged", "a_little_worse")
    line = export.line(export.entry_cells(row, {1: "R-1"}, {1: "dr"}))
    parsed = importer.parse_entries(export.header(export.ENTRY_COLUMNS) + line,
                                    Context("Europe/London", NOW + timedelta(days=1),
                                            CTX.record_created, "R-1"))
    assert parsed.ok, parsed.errors
    assert parsed.rows[0].content == export.entry_content(row)
    v = parsed.rows[0].values
    assert (v["touch_pain"], v["night_rest_pain"], v["wound"], v["pgic"]) == (
        "mild", False, "unchanged", "a_little_worse")


_valid_text = st.text(st.characters(exclude_categories=["Cs", "Cc"]) | st.sampled_from(
    ["\t", "\n", "\r", "=", "+", "-", "@", "'", '"', ","]), max_size=60)
_codes = {name: st.none() | st.sampled_from(sorted(codes)) for name, codes in
          (("colour", vocab.COLOURS), ("feels", vocab.FEELS), ("swelling", vocab.SWELLING),
           ("sweating", vocab.SWEATING), ("touch_pain", vocab.TOUCH_PAIN),
           ("wound", vocab.WOUND), ("pgic", vocab.PGIC))}


@st.composite
def valid_entries(draw):
    walked = not draw(st.booleans())
    pain_free = draw(st.none() | st.integers(0, 600)) if walked else None
    most = draw(st.none() | st.integers(pain_free or 0, 600)) if walked else None
    when = draw(st.datetimes(min_value=datetime(2024, 1, 2), max_value=datetime(2025, 6, 15)))
    effects = draw(st.sets(st.sampled_from(sorted(vocab.SIDE_EFFECTS))))
    return export.EntryRow(
        id=str(draw(st.uuids(version=4))), patient_id=1, observed_at=when.replace(tzinfo=UTC),
        utc_offset_min=draw(st.sampled_from([0, 60, -300, 330, 780])),
        pain=draw(st.integers(0, 10)),
        temp_treated_c=draw(st.none() | st.floats(15, 40)),
        temp_other_c=draw(st.none() | st.floats(15, 40)),
        walk_pain_free_min=pain_free, walk_max_min=most, did_not_walk=not walked,
        side_effects=";".join(c for c in vocab.SIDE_EFFECTS if c in effects),  # form's order
        rescue_medication=draw(st.booleans()), notes=draw(_valid_text), entered_by=1,
        created_at=None, updated_at=None, deleted_at=None,
        night_rest_pain=draw(st.none() | st.booleans()),
        **{name: draw(strategy) for name, strategy in _codes.items()})


@given(st.lists(valid_entries(), min_size=1, max_size=5, unique_by=lambda r: r.id))
def test_any_valid_entry_survives_export_then_import(rows):
    text = export.header(export.ENTRY_COLUMNS) + "".join(
        export.line(export.entry_cells(r, {1: "R-1"}, {1: "pat"})) for r in rows)
    parsed = importer.parse_entries(text.encode("utf-8-sig"), CTX)
    assert parsed.ok, parsed.errors
    assert [r.content for r in parsed.rows] == [export.entry_content(r) for r in rows]
    assert [r.entry_id for r in parsed.rows] == [r.id for r in rows]
    for got, row in zip(parsed.rows, rows, strict=True):  # the values themselves, None kept
        assert [got.values[f] for f in ("touch_pain", "night_rest_pain", "wound", "pgic")] == \
            [row.touch_pain, row.night_rest_pain, row.wound, row.pgic]
