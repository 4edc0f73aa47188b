"""Time the CSV import's parser on hostile files against a normal file, side by side.

    python bench/import_header.py [--repeat 3] [--module PATH]

Parses, in this one process and in turn (best of `--repeat`, CPU time):
- normal: an exported entries file of 1,000 real rows (the reference);
- wide: a header of 60,000 column names and one row (about 470 kB), refused by the column cap;
- bad rows: 100,000 rows that are each wrong (about 500 kB), every one read and counted;
- cells: 200 columns and 10,001 blank rows, refused by the cell cap as it is read.
It prints each one's time, its ratio to the normal file's, its time per kB (equal orders of
magnitude: linear), and what the parser kept: problems kept / found and the characters of
those kept (what an error page or the CLI shows).

`--module` times another copy of `csv_import.py` (e.g. the one before a change, from
`git show REV:diary/interchange/csv_import.py > /tmp/old.py`), so before and after can be
compared on one machine. Target: each hostile file's time per kB within 10x of the normal
file's, and the problems kept under 100 kB of text.
"""

import argparse
import importlib.util
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from diary.interchange import csv_export as export  # noqa: E402

NOW = datetime(2025, 6, 15, 10, 30, tzinfo=UTC)


def load(path: str | None):
    if path is None:
        from diary.interchange import csv_import
        return csv_import
    spec = importlib.util.spec_from_file_location("csv_import_under_test", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up here
    spec.loader.exec_module(module)
    return module


def normal_file(rows: int = 1000) -> bytes:
    """An entries export of `rows` entries, every six hours, with notes and codes."""
    first = NOW - timedelta(hours=6 * rows)
    out = [export.header(export.ENTRY_COLUMNS)]
    for i in range(rows):
        row = export.EntryRow(
            id=f"{i:08x}-0000-4000-8000-000000000000", patient_id=1,
            observed_at=first + timedelta(hours=6 * i), utc_offset_min=60, pain=i % 11,
            temp_treated_c=25.0 + i % 90 / 10, temp_other_c=None if i % 3 else 29.5,
            colour="blue_purple" if i % 5 == 0 else None, feels="colder" if i % 4 else None,
            walk_pain_free_min=i % 20, walk_max_min=20 + i % 20, swelling="mild",
            sweating=None, side_effects="back_soreness;bruising" if i % 11 == 0 else "",
            rescue_medication=i % 13 == 0, notes="Walked to the shop, then sat down." if i % 20
            == 0 else "", entered_by=1, created_at=NOW, updated_at=NOW, did_not_walk=False,
            deleted_at=None, touch_pain=("none", "mild", "marked", None)[i % 4],
            night_rest_pain=(True, False, None, None, None, None, None)[i % 7],
            wound="healing" if i % 7 == 0 else None, pgic="much_better" if i % 28 == 0 else None)
        out.append(export.line(export.entry_cells(row, {1: "R-1"}, {1: "pat"})))
    return "".join(out).encode("utf-8-sig")


def wide_file(columns: int = 60_000) -> bytes:
    names = ["observed_at", "pain"] + [f"c{i}" for i in range(columns - 2)]
    return (",".join(names) + "\r\n2025-06-01T10:00,5" + "," * (columns - 2) + "\r\n").encode()


def bad_rows_file(rows: int = 100_000) -> bytes:
    return b"observed_at,pain\r\n" + b"x,1\r\n" * rows


def cells_file(columns: int = 200, rows: int = 10_001) -> bytes:
    names = ["observed_at", "pain"] + [f"c{i}" for i in range(columns - 2)]
    return (",".join(names) + "\r\n" + ("," * (columns - 1) + "\r\n") * rows).encode()


def best(parse, data: bytes, ctx, repeat: int) -> tuple[float, object]:
    times, parsed = [], None
    for _ in range(repeat):
        started = time.process_time()
        parsed = parse(data, ctx)
        times.append(time.process_time() - started)
    return min(times), parsed


def kept(parsed) -> tuple[int, int, int]:
    """(problems kept, problems found, characters of the kept ones)."""
    problems = list(parsed.errors) + list(parsed.warnings)
    found = sum(getattr(p, "total", len(p)) for p in (parsed.errors, parsed.warnings))
    return len(problems), found, sum(len(str(p)) for p in problems)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=3, help="best of this many runs each")
    parser.add_argument("--module", default=None, help="another csv_import.py to time")
    args = parser.parse_args()
    importer = load(args.module)
    ctx = importer.Context("Europe/London", NOW, NOW - timedelta(days=360), "R-1")
    files = {"normal 1,000 rows": normal_file(), "wide 60,000 columns": wide_file(),
             "bad 100,000 rows": bad_rows_file(), "cells 200 x 10,001": cells_file()}
    print(f"module: {args.module or 'diary/interchange/csv_import.py'}")
    print(f"{'file':<20} {'kB':>5} {'CPU s':>8} {'ratio':>7} {'ms/kB':>6} {'kept':>6} "
          f"{'found':>8} {'kept chars':>10}")
    reference = None
    for name, data in files.items():
        seconds, parsed = best(importer.parse_entries, data, ctx, args.repeat)
        reference = reference or seconds
        shown, found, chars = kept(parsed)
        kb = len(data) / 1000
        print(f"{name:<20} {kb:>5.0f} {seconds:>8.3f} {seconds / reference:>7.1f} "
              f"{seconds * 1000 / kb:>6.2f} {shown:>6,} {found:>8,} {chars:>10,}")


if __name__ == "__main__":
    main()
