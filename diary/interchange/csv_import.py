"""Reading diaries from CSV files with the export's columns into plain values. Plain Python.

Every row is checked by the rules of the forms (docs/clinical.md §4, via `units` and
`vocab`), and every problem is found, with the line it starts on (the first SHOWN_PROBLEMS
kept, the rest counted), so that a file with any bad row is refused whole in one attempt that
says what is wrong. Nothing here touches the database:
`diary.services.imports` checks the parsed rows against what is already stored and writes them.

Choices (documented for users in docs/export.md):
- Times are ISO 8601 ('2025-06-15T11:30:00+01:00', or '2025-06-15 11:30'); without an offset
  the time is read in the patient's time zone, as the forms do.
- Temperatures are °C: a value that looks like °F is refused, as on the form; a reading the
  form would ask to confirm (cold or very warm) is taken, with a warning.
- Blank ids are allowed; blank cells are "not recorded"; blank yes/no cells are "no",
  except night_rest_pain, a question the patient may leave unanswered: blank is "not
  answered" (None), kept apart from "no".
- The follow-up answers of migration 0008 (touch_pain, night_rest_pain, wound, pgic) are
  optional columns: a file made before them imports as before, with those values empty.
- Rows with a `deleted_at` are not imported (a warning says how many).
- `patient_record`, `entered_by`, `recorded_by`, `created_at`, `updated_at` and `block_id`
  are read but not imported: the rows belong to the patient imported into and are entered by
  the importing clinician. A file whose rows name more than one patient record is refused.
- A block file with only peak temperatures (no minute-by-minute columns) keeps each peak as
  the 30-minute reading, with a warning.
- The caps below are checked before the work they bound: the file's size before decoding, the
  header's width before any column is looked at, and the cells and field lengths as each record
  is read, so a hostile file costs no more than a real one of the same size. Every step is
  linear in rows and columns. Only the first SHOWN_PROBLEMS problems of a list are kept (the
  rest are counted), so 100,000 bad rows make 100 messages and a number.
"""

from __future__ import annotations

import csv
import io
import re
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from diary.clinical import limits, units, vocab
from diary.clinical.localtime import offset_minutes, resolve
from diary.interchange import csv_export as export

# Caps on one imported file (docs/export.md, docs/security.md). The real exports are far
# inside them: entries have 23 columns (24 with deleted_at), blocks 37 (38), and no cell
# longer than a 1,000-character note plus the apostrophe the export may add.
MAX_FILE_BYTES = 5 * 1024 * 1024   # the web's MAX_CONTENT_LENGTH; the CLI has no other limit
MAX_ROWS = 100_000
MAX_COLUMNS = 200                  # 5x the widest export; checked before any column is read
MAX_CELLS = 2_000_000              # rows x columns: 83,000 rows of the 24-column entries
#                                    export; the 5 MB cap stops a real export far sooner
MAX_FIELD_CHARS = 10_000           # 10x the longest note, so a long note gets its own message
SHOWN_PROBLEMS = 100               # problems kept (and listed) per list; the rest are counted
# ASCII digits only (see units): 2025-06-15T11:30, seconds and fraction optional, offset optional.
_TIME = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}(?::[0-9]{2}(?:\.[0-9]{1,6})?)?"
                   r"(?:Z|[+-][0-9]{2}:?[0-9]{2})?")
_YES = {"yes", "y", "true", "1"}
_NO = {"no", "n", "false", "0", ""}

POST_MINUTES = tuple(m for m in vocab.CLINIC_TEMP_MINUTES if m)


@dataclass(frozen=True)
class Problem:
    line: int | None   # where the row starts in the file (the header is line 1); None: file
    message: str

    def __str__(self) -> str:
        return self.message if self.line is None else f"line {self.line}: {self.message}"


class Problems:
    """Problems in the order found: the first SHOWN_PROBLEMS kept, the rest only counted,
    so that memory and the error page stay small however many rows are bad."""

    def __init__(self) -> None:
        self.kept: list[Problem] = []
        self.total = 0

    def append(self, problem: Problem) -> None:
        self.total += 1
        if len(self.kept) < SHOWN_PROBLEMS:
            self.kept.append(problem)

    def extend(self, problems: Iterable[Problem]) -> None:
        for problem in problems:
            self.append(problem)

    @property
    def more(self) -> int:
        """How many were counted but not kept."""
        return self.total - len(self.kept)

    def __iter__(self) -> Iterator[Problem]:
        return iter(self.kept)

    def __getitem__(self, index: int) -> Problem:
        return self.kept[index]

    def __len__(self) -> int:
        return len(self.kept)

    def __repr__(self) -> str:
        return f"Problems({self.kept!r}, total={self.total})"


@dataclass
class ParsedRow:
    line: int
    values: dict              # the model's columns, in stored units (°C, aware UTC datetimes)
    content: tuple[str, ...]  # the cells it is compared on, as the export writes them
    entry_id: str | None = None


@dataclass
class Parsed:
    kind: str                 # "entries" or "blocks"
    rows: list[ParsedRow] = field(default_factory=list)
    errors: Problems = field(default_factory=Problems)
    warnings: Problems = field(default_factory=Problems)
    skipped: int = 0          # rows left out on purpose (deleted, repeated in the file)
    patient_records: set[str] = field(default_factory=set)

    @property
    def ok(self) -> bool:
        return not self.errors


@dataclass(frozen=True)
class Context:
    """What the rules need to know about the patient and the clock."""

    tz: str
    now: datetime
    record_created: datetime
    record_label: str = ""


# ---------------------------------------------------------------------------- the files

def decode(data: bytes | str) -> str:
    """The file's text; UnicodeDecodeError is left to the caller to report."""
    if isinstance(data, str):
        return data.removeprefix(export.BOM)
    return data.decode("utf-8-sig")


def parse_entries(data: bytes | str, ctx: Context) -> Parsed:
    return _parse("entries", data, ctx)


def parse_blocks(data: bytes | str, ctx: Context) -> Parsed:
    return _parse("blocks", data, ctx)


def _parse(kind: str, data: bytes | str, ctx: Context) -> Parsed:
    out = Parsed(kind)
    if len(data) > MAX_FILE_BYTES:  # characters for text: at least as many bytes
        out.errors.append(Problem(None, f"The file is larger than {MAX_FILE_BYTES // 2**20} MB: "
                                        "please split it into smaller files."))
        return out
    try:
        text = decode(data)
    except UnicodeDecodeError:
        out.errors.append(Problem(None, "The file is not UTF-8 text. In a spreadsheet, save it "
                                        "as 'CSV UTF-8 (comma delimited)'."))
        return out
    known = export.ENTRY_COLUMNS if kind == "entries" else export.BLOCK_COLUMNS
    required = ("observed_at", "pain") if kind == "entries" else ("performed_at", "side", "kind")
    reader = _records(text)
    try:
        first = next(reader, None)
        if first is None:
            out.errors.append(Problem(None, "The file is empty."))
            return out
        if len(first[1]) > MAX_COLUMNS:  # before any per-column work
            out.errors.append(Problem(1, f"The first line names {len(first[1]):,} columns; an "
                                         f"import takes at most {MAX_COLUMNS} (an export has "
                                         f"{len(known)}). Is this a diary file?"))
            return out
        if _too_long(1, first[1], out):
            return out
        names = [n.strip().lower() for n in first[1]]
        if not _check_header(names, known, required, out):
            return out
        seen: dict = {}
        cells_read, rows_read = 0, 0  # the rows' cells: 83,000 x 24 of an export fit
        for line, cells in reader:
            cells_read += len(cells)  # every cell the reader made, blank rows and wide ones too
            if cells_read > MAX_CELLS:
                out.errors.append(Problem(line, f"More than {MAX_CELLS:,} cells (rows × "
                                                "columns): please split the file."))
                return out
            if _too_long(line, cells, out):
                return out
            if not any(c.strip() for c in cells):
                continue
            rows_read += 1
            if rows_read > MAX_ROWS:
                out.errors.append(Problem(line, f"More than {MAX_ROWS:,} rows: please split "
                                                "the file."))
                return out
            if len(cells) > len(names):
                out.errors.append(Problem(line, f"{len(cells)} cells but the header has "
                                                f"{len(names)} columns (a comma in a note that "
                                                "is not in quotes?)."))
                continue
            row = dict(zip(names, cells, strict=False))
            _one_row(kind, line, row, ctx, out, seen)
    except _TooLong as exc:
        out.errors.append(Problem(exc.line, _FIELD_TOO_LONG))
        return out
    except csv.Error as exc:
        out.errors.append(Problem(None, f"The file is not readable as CSV ({exc})."))
        return out
    if not out.rows and not out.errors and not out.skipped:
        out.errors.append(Problem(None, "The file has a header but no rows."))
    if len(out.patient_records) > 1:
        shown = _listed(sorted(out.patient_records), most=5)
        out.errors.append(Problem(None, f"The rows are for more than one patient ({shown}): "
                                        "please import one patient's rows at a time."))
    elif out.patient_records and ctx.record_label not in out.patient_records:
        (other,) = out.patient_records
        out.warnings.append(Problem(None, f"The rows were exported for record {_short(other)}; "
                                          f"they are imported into record {ctx.record_label}."))
    return out


class _TooLong(Exception):
    """A cell past the csv module's own limit, which is far above MAX_FIELD_CHARS."""

    def __init__(self, line: int):
        self.line = line


def _too_long(line: int, cells: list[str], out: Parsed) -> bool:
    """Refuses the file at a cell longer than any diary cell can be."""
    if cells and max(map(len, cells)) > MAX_FIELD_CHARS:
        out.errors.append(Problem(line, _FIELD_TOO_LONG))
        return True
    return False


_FIELD_TOO_LONG = (f"a cell is longer than {MAX_FIELD_CHARS:,} characters, and no cell of a "
                   f"diary is (notes take up to {limits.NOTES_MAX:,}). Is this a diary file?")


def _short(text: str, most: int = 40) -> str:
    """A name or value from the file, cut short for a message."""
    return text if len(text) <= most else text[:most - 3] + "..."


def _listed(items: list[str], most: int = 10) -> str:
    """'a, b, c', or the first `most` and how many more: a message stays short."""
    shown = ", ".join(_short(i) for i in items[:most])
    return shown if len(items) <= most else f"{shown} and {len(items) - most:,} more"


def _records(text: str) -> Iterator[tuple[int, list[str]]]:
    """(line the record starts on, cells); a quoted note may span several lines."""
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    start = 1
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            if "field larger than field limit" in str(exc):  # the csv module's own cap (128 kB)
                raise _TooLong(start) from exc
            raise csv.Error(f"line {reader.line_num}: {exc}") from exc
        yield start, cells
        start = reader.line_num + 1


def _check_header(names: list[str], known, required, out: Parsed) -> bool:
    # One count and set lookups: linear in the columns (names.count per name was quadratic).
    counts = Counter(names)
    doubled = sorted(n for n, k in counts.items() if k > 1 and n)
    if doubled:
        out.errors.append(Problem(1, f"Columns named twice: {_listed(doubled)}."))
    missing = [c for c in required if c not in counts]
    if missing:
        out.errors.append(Problem(1, f"Missing column{'s' if len(missing) > 1 else ''}: "
                                     f"{', '.join(missing)} (the first line must name the "
                                     "columns, as in an export)."))
    imported = {*known, export.DELETED_COLUMN}
    extra = [n or "(no name)" for n in names if n not in imported]
    if extra:
        out.warnings.append(Problem(1, f"Columns not imported (not in the export's format): "
                                       f"{_listed(extra)}."))
    return not out.errors


def _one_row(kind: str, line: int, row: dict[str, str], ctx: Context, out: Parsed,
             seen: dict) -> None:
    record = row.get("patient_record", "").strip()
    if record:
        out.patient_records.add(export.restore_text(record))
    if row.get(export.DELETED_COLUMN, "").strip():
        out.skipped += 1
        out.warnings.append(Problem(line, "Deleted in the diary it came from: not imported."))
        return
    cells = _Cells(row)
    if kind == "entries":
        values, entry_id = _entry_values(cells, ctx)
        content = entry_content(values) if not cells.errors else ()
        key = entry_id or content
    else:
        values, entry_id = _block_values(cells, ctx), None
        content = block_content(values) if not cells.errors else ()
        key = values.get("performed_at")
    out.warnings.extend(Problem(line, w) for w in cells.warnings)
    if cells.errors:
        out.errors.append(Problem(line, "; ".join(cells.errors)))
        return
    earlier = seen.get(key)
    if earlier is not None:
        if earlier.content == content:
            out.skipped += 1
            out.warnings.append(Problem(line, f"The same as line {earlier.line}: imported once."))
        else:
            what = "entry_id" if kind == "entries" else "performed_at"
            out.errors.append(Problem(line, f"{what} is also on line {earlier.line}, with "
                                            "different values."))
        return
    parsed = ParsedRow(line, values, content, entry_id)
    seen[key] = parsed
    out.rows.append(parsed)


# ------------------------------------------------------------------------------- cells

class _Cells:
    """One row's cells, read column by column; problems are collected, not raised."""

    def __init__(self, row: Mapping[str, str]):
        self.row = row
        self.errors: list[str] = []
        self.warnings: list[str] = []

    def raw(self, name: str) -> str:
        return (self.row.get(name) or "").strip()

    def bad(self, name: str, message: str) -> None:
        self.errors.append(f"{name}: {message}")

    def shown(self, name: str) -> str:
        value = self.raw(name)
        return repr(value if len(value) <= 40 else value[:37] + "...")

    def time(self, name: str, tz: str) -> datetime | None:
        text = self.raw(name)
        if not text:
            self.bad(name, "missing (give a date and time like 2025-06-15T11:30:00+01:00).")
            return None
        if not _TIME.fullmatch(text):
            self.bad(name, f"{self.shown(name)} is not a date and time like "
                           "2025-06-15T11:30:00+01:00.")
            return None
        try:
            when = datetime.fromisoformat(text)
        except ValueError:
            self.bad(name, f"{self.shown(name)} is not a real date and time.")
            return None
        if when.tzinfo is None:  # the patient's wall clock, read as the forms read it
            local = resolve(when, tz)
            if local.error:
                self.bad(name, f"{self.shown(name)}: {local.error}")
            elif local.twice:
                self.warnings.append(f"{name}: {local.twice}")
            return local.when
        if not timedelta(hours=-14) <= when.utcoffset() <= timedelta(hours=14):
            self.bad(name, f"{self.shown(name)} has an impossible UTC offset.")
            return None
        return when

    def whole(self, name: str, lo: int, hi: int, required: bool = False) -> int | None:
        text = self.raw(name)
        if not text:
            if required:
                self.bad(name, f"missing (give a whole number from {lo} to {hi}).")
            return None
        value = units.parse_int(text)
        if value is None or not lo <= value <= hi:
            self.bad(name, f"{self.shown(name)} is not a whole number from {lo} to {hi}.")
            return None
        return value

    def decimal(self, name: str, lo: float, hi: float) -> float | None:
        text = self.raw(name)
        if not text:
            return None
        value = units.parse_decimal(text)
        if value is None or not lo <= value <= hi:
            self.bad(name, f"{self.shown(name)} is not a number from {lo:g} to {hi:g}.")
            return None
        return value

    def skin_temp(self, name: str) -> float | None:
        text = self.raw(name)
        if not text:
            return None
        value = units.parse_decimal(text)
        if value is None:
            self.bad(name, f"{self.shown(name)} is not a temperature in °C, like 31.5.")
            return None
        check = units.check_skin_temp(value, "C")
        if check.error:
            lo, hi = units.FAHRENHEIT_LOOKING
            if lo <= value <= hi:
                self.bad(name, f"{value:g} looks like °F; the file must give °C.")
            else:
                self.bad(name, f"{value:g} °C is outside {units.SKIN_MIN_C:g}–"
                               f"{units.SKIN_MAX_C:g} °C.")
            return None
        if check.warning:
            low = check.celsius < units.SKIN_WARN_LOW_C
            self.warnings.append(f"{name}: {value:g} °C is unusually {'cold' if low else 'warm'} "
                                 "for skin; imported as given.")
        return check.celsius

    def code(self, name: str, allowed: Mapping[str, str], required: bool = False) -> str | None:
        text = self.raw(name).lower()
        if not text:
            if required:
                self.bad(name, f"missing (one of {', '.join(allowed)}).")
            return None
        if text not in allowed:
            self.bad(name, f"{self.shown(name)} is not one of {', '.join(allowed)}.")
            return None
        return text

    def codes(self, name: str, allowed: Mapping[str, str]) -> str:
        parts = [p.strip().lower() for p in self.raw(name).split(";") if p.strip()]
        unknown = [p for p in parts if p not in allowed]
        if unknown:
            self.bad(name, f"{_listed([repr(u) for u in unknown], most=5)} not among "
                           f"{', '.join(allowed)} (several are joined with ;).")
            return ""
        return ";".join(c for c in allowed if c in parts)  # the order the form stores

    def yes_no(self, name: str) -> bool:
        text = self.raw(name).lower()
        if text in _YES:
            return True
        if text not in _NO:
            self.bad(name, f"{self.shown(name)} is not yes or no.")
        return False

    def answer(self, name: str) -> bool | None:
        """A yes/no question the patient may leave unanswered: blank (or no column) is None,
        kept apart from "no"; otherwise the spellings `yes_no` takes."""
        if not self.raw(name):
            return None
        return self.yes_no(name)

    def free_text(self, name: str, limit: int, strip: bool = False) -> str:
        value = self.row.get(name) or ""
        value = export.restore_text(value.strip() if strip else value)
        if limits.has_control(value):
            self.bad(name, "contains special (control) characters.")
        if len(value) > limit:
            self.bad(name, f"longer than {limit:,} characters.")
        return value


# ----------------------------------------------------------------------------- entries

def _entry_values(c: _Cells, ctx: Context) -> tuple[dict, str | None]:
    entry_id = c.raw("entry_id").lower() or None
    if entry_id is not None and not limits.UUID.fullmatch(entry_id):
        c.bad("entry_id", f"{c.shown('entry_id')} is not an entry id (a UUID); leave it blank "
                          "for a new entry.")
    when = c.time("observed_at", ctx.tz)
    if when is not None and (msg := units.check_observed_at(when, ctx.now, ctx.record_created)):
        c.bad("observed_at", msg)
    did_not_walk = c.yes_no("did_not_walk")
    pain_free = c.whole("walk_pain_free_min", 0, units.WALK_MAX_MIN)
    maximal = c.whole("walk_max_min", 0, units.WALK_MAX_MIN)
    if did_not_walk and (pain_free or maximal):
        c.bad("did_not_walk", "yes, but walking minutes are given: keep one or the other.")
    for name, msg in units.check_walking(pain_free, maximal).items():
        c.bad(name, msg)
    values = {
        "observed_at": when,
        "utc_offset_min": offset_minutes(when) if when is not None else 0,
        "pain": c.whole("pain", 0, 10, required=True),
        "temp_treated_c": c.skin_temp("temp_treated_c"),
        "temp_other_c": c.skin_temp("temp_other_c"),
        "colour": c.code("colour", vocab.COLOURS),
        "feels": c.code("feels", vocab.FEELS),
        "walk_pain_free_min": None if did_not_walk else pain_free,
        "walk_max_min": None if did_not_walk else maximal,
        "did_not_walk": did_not_walk,
        "swelling": c.code("swelling", vocab.SWELLING),
        "sweating": c.code("sweating", vocab.SWEATING),
        "side_effects": c.codes("side_effects", vocab.SIDE_EFFECTS),
        "rescue_medication": c.yes_no("rescue_medication"),
        "notes": c.free_text("notes", limits.NOTES_MAX),
        # docs/clinical.md §7, §8 (migration 0008): optional columns, blank = not answered
        "touch_pain": c.code("touch_pain", vocab.TOUCH_PAIN),
        "night_rest_pain": c.answer("night_rest_pain"),
        "wound": c.code("wound", vocab.WOUND),
        "pgic": c.code("pgic", vocab.PGIC),
    }
    return values, entry_id


def entry_content(values: Mapping) -> tuple[str, ...]:
    """The export's content cells for entry values (a parsed row or a stored entry)."""
    row = export.EntryRow(**{f: values.get(f) for f in export.EntryRow._fields
                             if f not in ("id", "patient_id", "entered_by")},
                          id="", patient_id=0, entered_by=0)
    return export.entry_content(row)


# ------------------------------------------------------------------------------ blocks

def _block_values(c: _Cells, ctx: Context) -> dict:
    when = c.time("performed_at", ctx.tz)
    if when is not None:
        if when > ctx.now + units.FUTURE_GRACE:
            c.bad("performed_at", "in the future: blocks are recorded once they are done.")
        elif when < ctx.record_created - limits.BLOCK_HISTORY_LIMIT:
            c.bad("performed_at", "more than ten years before the patient's record was made.")
    values = {
        "performed_at": when,
        "utc_offset_min": offset_minutes(when) if when is not None else 0,
        "side": c.code("side", vocab.SIDES, required=True),
        "kind": c.code("kind", vocab.BLOCK_KINDS, required=True),
        "level": c.free_text("level", limits.LEVEL_MAX, strip=True),
        "agent": c.free_text("agent", limits.AGENT_MAX, strip=True),
        "volume_ml": c.decimal("volume_ml", 0, limits.VOLUME_MAX_ML),
        "long_acting": c.yes_no("long_acting"),
        "pre_pain": c.whole("pre_pain", 0, 10),
        "somatic_spread": c.yes_no("somatic_spread"),
        "sedation": c.yes_no("sedation"),
        "confirmed_other_means": c.yes_no("confirmed_other_means"),
        "notes": c.free_text("notes", limits.NOTES_MAX),
    }
    for foot in ("treated", "other"):
        values[f"temp_{foot}_pre_c"] = c.skin_temp(f"temp_{foot}_pre_c")
        posts = {m: c.skin_temp(f"temp_{foot}_{m}_c") for m in POST_MINUTES}
        peak = c.skin_temp(f"temp_{foot}_peak_c")
        known = [t for t in posts.values() if t is not None]
        if peak is not None and not known:
            posts[30] = peak
            c.warnings.append(f"temp_{foot}_peak_c: no minute-by-minute readings, so the peak "
                              "is kept as the 30-minute reading.")
        elif peak is not None and export.one_decimal(peak) != export.one_decimal(max(known)):
            c.bad(f"temp_{foot}_peak_c", f"{peak:g} is not the highest of the readings after "
                                         f"the block ({max(known):g}).")
        for m, t in posts.items():
            values[f"temp_{foot}_{m}_c"] = t
    return values


def block_content(values: Mapping) -> tuple[str, ...]:
    row = export.BlockRow(**{f: values.get(f) for f in export.BlockRow._fields
                             if f not in ("id", "patient_id", "recorded_by")},
                          id=0, patient_id=0, recorded_by=0)
    return export.block_content(row)
