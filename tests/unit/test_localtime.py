"""The one reader of typed local times: ASCII digits only, the hour the clocks skip refused,
the hour they repeat taken as its first, in the forms' parser and in the CSV importer."""

from datetime import UTC, datetime

import pytest

from diary.clinical.localtime import SKIPPED, offset_minutes, parse_local
from diary.interchange import csv_import as importer
from diary.interchange.csv_import import Context

LONDON = "Europe/London"
NEW_YORK = "America/New_York"


@pytest.mark.parametrize(("text", "tz"), [
    ("2025-03-30T01:30", LONDON),     # 01:00 GMT -> 02:00 BST
    ("2025-03-30T01:00", LONDON),
    ("2025-03-30T01:59", LONDON),
    ("2025-03-09T02:30", NEW_YORK),   # 02:00 EST -> 03:00 EDT
])
def test_a_time_the_clocks_skipped_is_refused(text, tz):
    parsed = parse_local(text, tz)
    assert parsed.when is None
    assert parsed.error == SKIPPED
    assert "doesn't exist on this date — the clocks went forward" in parsed.error


@pytest.mark.parametrize(("text", "tz", "utc"), [
    ("2025-10-26T01:30", LONDON, datetime(2025, 10, 26, 0, 30, tzinfo=UTC)),    # BST, first
    ("2025-10-26T01:00", LONDON, datetime(2025, 10, 26, 0, 0, tzinfo=UTC)),
    ("2025-11-02T01:15", NEW_YORK, datetime(2025, 11, 2, 5, 15, tzinfo=UTC)),   # EDT, first
])
def test_a_time_that_happened_twice_is_the_first_and_says_so(text, tz, utc):
    parsed = parse_local(text, tz)
    assert parsed.error is None and parsed.when == utc
    assert "happened twice" in parsed.twice and "the first" in parsed.twice
    assert parse_local(text.replace("T01", "T03"), tz).twice is None  # an hour later: once


@pytest.mark.parametrize(("text", "tz", "offset"), [
    ("2025-03-30T02:00", LONDON, 60),
    ("2025-03-30T00:59", LONDON, 0),
    ("2025-10-26T02:00", LONDON, 0),
    ("2025-06-15T10:00", NEW_YORK, -240),
    ("2025-06-15T10:00", "Asia/Kolkata", 330),
])
def test_ordinary_times_are_taken_once_with_their_offset(text, tz, offset):
    parsed = parse_local(text, tz)
    assert parsed.error is None and parsed.twice is None
    assert offset_minutes(parsed.when) == offset


@pytest.mark.parametrize("text", [
    "٢٠٢٥-٠٦-١٥T10:00", "2025-06-15T1٠:00", "２０２５-06-15T10:00", "2025-06-15T10:00\x00",
    "", None, "2025-02-30T10:00", "2025-06-15 10:00", "tomorrow",
])
def test_only_a_real_time_in_ascii_digits_is_read(text):
    parsed = parse_local(text, LONDON)
    assert parsed.when is None and parsed.error == "Please give a date and time."


# The importer reads times without an offset in the patient's zone, with the same rules.
AUTUMN = Context(LONDON, datetime(2025, 11, 1, tzinfo=UTC), datetime(2025, 1, 1, tzinfo=UTC),
                 "R-1")


def parse(*rows: str, kind: str = "entries"):
    header = ("observed_at,pain" if kind == "entries" else "performed_at,side,kind")
    text = "\r\n".join([header, *rows]) + "\r\n"
    return (importer.parse_entries if kind == "entries" else importer.parse_blocks)(text, AUTUMN)


@pytest.mark.parametrize(("row", "kind"), [
    ("2025-03-30T01:30,5", "entries"),
    ("2025-03-30 01:30:00,5", "entries"),
    ("2025-03-30T01:30,left,diagnostic_la", "blocks"),
])
def test_import_refuses_a_time_the_clocks_skipped(row, kind):
    parsed = parse(row, kind=kind)
    assert not parsed.rows
    (problem,) = parsed.errors
    assert "clocks went forward" in str(problem) and problem.line == 2


@pytest.mark.parametrize(("row", "kind", "column"), [
    ("2025-10-26T01:30,5", "entries", "observed_at"),
    ("2025-10-26T01:30,left,diagnostic_la", "blocks", "performed_at"),
])
def test_import_takes_the_first_of_a_repeated_time_with_a_warning(row, kind, column):
    parsed = parse(row, kind=kind)
    assert not parsed.errors
    (values,) = [r.values for r in parsed.rows]
    assert values[column] == datetime(2025, 10, 26, 0, 30, tzinfo=UTC)
    assert values["utc_offset_min"] == 60
    assert any("happened twice" in str(w) for w in parsed.warnings)


def test_import_with_an_offset_is_never_ambiguous():
    parsed = parse("2025-10-26T01:30:00+00:00,5")
    assert not parsed.errors and not any("twice" in str(w) for w in parsed.warnings)
    (row,) = parsed.rows
    assert row.values["observed_at"] == datetime(2025, 10, 26, 1, 30, tzinfo=UTC)


@pytest.mark.parametrize("row", ["٢٠٢٥-٠٦-١٥T10:00,5", "2025-06-15T1٠:00,5"])
def test_import_times_take_ascii_digits_only(row):
    (problem,) = parse(row).errors
    assert "is not a date and time" in str(problem)
