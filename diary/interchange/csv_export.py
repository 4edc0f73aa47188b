"""CSV exports: lines from plain rows, for spreadsheets, pandas and the medical record.

Plain Python. The column names and their order are a contract (docs/export.md): new columns
only ever go at the end (before the optional deleted_at, which stays last). Every cell
function returns the cell as it goes into the file, already quoted where CSV needs it
(RFC 4180, CRLF line ends) and neutralised where a spreadsheet would run it as a formula: a
text cell starting with = + - @ tab or CR gets a leading apostrophe.
Numbers are written as numbers (a negative relief is not text). `restore_text` undoes the
apostrophe on import, so export -> import -> export gives back the same cells.

Entries are the only export that can run to millions of rows, so `entry_batches` builds each
line in one f-string (about three times faster than the csv module with a formatter per cell);
a test checks it against `entry_cells` for arbitrary rows.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import NamedTuple

from diary.clinical import vocab
from diary.clinical.followup import CHECKPOINT_DAYS

# A checkpoint's figures in the block summary, each as cp<day>_<figure>.
CHECKPOINT_FIGURES = ("diary_days", "relief_pct", "temp_gain_c", "walk_pain_free_gain_min",
                      "walk_max_gain_min", "rest_pain_nights", "wound", "pgic")

BOM = "\ufeff"  # lets Excel open the file as UTF-8
CHUNK_CHARS = 64 * 1024

ENTRY_COLUMNS = (
    "entry_id", "patient_record", "observed_at", "pain", "temp_treated_c", "temp_other_c",
    "colour", "feels", "walk_pain_free_min", "walk_max_min", "swelling", "sweating",
    "side_effects", "rescue_medication", "notes", "entered_by", "created_at", "updated_at",
    # added after the first contract:
    "did_not_walk",
    # added with migration 0008 (docs/clinical.md §7, §8):
    "touch_pain", "night_rest_pain", "wound", "pgic",
)
BLOCK_COLUMNS = (
    "block_id", "patient_record", "performed_at", "side", "kind", "level", "agent", "volume_ml",
    "pre_pain", "temp_treated_pre_c", "temp_treated_peak_c", "temp_other_pre_c",
    "temp_other_peak_c", "somatic_spread", "confirmed_other_means", "notes",
    # added after the first contract:
    "long_acting", "sedation",
    *(f"temp_{foot}_{m}_c" for foot in ("treated", "other")
      for m in vocab.CLINIC_TEMP_MINUTES if m),
    "recorded_by", "created_at", "updated_at",
)
DECISION_COLUMNS = ("decision_agrees", "decision_reason", "decision_plan",
                    "decision_planned_on", "decision_note", "decided_by", "decided_at")
SUMMARY_COLUMNS = (
    "block_id", "patient_record", "performed_at", "kind", "baseline_b0", "baseline_b7",
    "baseline_days", "technical_success", "temp_rise_c", "peak_relief_pct", "verdict",
    "verdict_reason", "prolonged", "dur50_days", "dur30_days", "baseline_return_days",
    "repeat_due",
    # added after the first contract:
    "still_relieved", "reason_codes",
    # added with migration 0008 (docs/clinical.md §7, §8): every block, then the checkpoints
    # of a neurolysis / RF block (empty for other blocks and for checkpoints not begun)
    "touch_pain_before", "touch_pain_after", "pgic_answers", "pgic_disagreement",
    "follow_up_flags",
    *(f"cp{day}_{figure}" for day in CHECKPOINT_DAYS for figure in CHECKPOINT_FIGURES),
    # added with the consultant's decision per block: all empty for a block not reviewed
    *DECISION_COLUMNS,
)
DELETED_COLUMN = "deleted_at"  # appended to entries and blocks when deleted rows are asked for

# The columns an entry is compared on when a file is imported again (not ids or bookkeeping).
ENTRY_CONTENT_COLUMNS = (
    "observed_at", "pain", "temp_treated_c", "temp_other_c", "colour", "feels",
    "walk_pain_free_min", "walk_max_min", "swelling", "sweating", "side_effects",
    "rescue_medication", "notes", "did_not_walk",
    "touch_pain", "night_rest_pain", "wound", "pgic",
)
BLOCK_CONTENT_COLUMNS = (
    "performed_at", "side", "kind", "level", "agent", "volume_ml", "pre_pain",
    "temp_treated_pre_c", "temp_other_pre_c", "somatic_spread", "confirmed_other_means", "notes",
    "long_acting", "sedation",
    *(f"temp_{foot}_{m}_c" for foot in ("treated", "other")
      for m in vocab.CLINIC_TEMP_MINUTES if m),
)


class EntryRow(NamedTuple):
    """One entry as the database layer selects it (plain values, in this order).

    Times are UTC: aware datetimes, naive ones, or SQLite's text for them
    ('YYYY-MM-DD HH:MM:SS[.ffffff]'); booleans may be 0/1. The follow-up answers of migration
    0008 come last, after deleted_at, and default to None (not answered), as on every entry
    saved before them.
    """

    id: str
    patient_id: int
    observed_at: object
    utc_offset_min: int
    pain: int
    temp_treated_c: float | None
    temp_other_c: float | None
    colour: str | None
    feels: str | None
    walk_pain_free_min: int | None
    walk_max_min: int | None
    swelling: str | None
    sweating: str | None
    side_effects: str
    rescue_medication: bool
    notes: str
    entered_by: int
    created_at: object
    updated_at: object
    did_not_walk: bool
    deleted_at: object
    touch_pain: str | None = None        # vocab.TOUCH_PAIN code
    night_rest_pain: bool | None = None  # None: not answered (a cell of its own, not "no")
    wound: str | None = None             # vocab.WOUND code
    pgic: str | None = None              # vocab.PGIC code


class BlockRow(NamedTuple):
    """One block as the database layer selects it (plain values, in this order)."""

    id: int
    patient_id: int
    performed_at: object
    utc_offset_min: int
    side: str
    kind: str
    level: str
    agent: str
    volume_ml: float | None
    pre_pain: int | None
    temp_treated_pre_c: float | None
    temp_treated_5_c: float | None
    temp_treated_10_c: float | None
    temp_treated_15_c: float | None
    temp_treated_20_c: float | None
    temp_treated_30_c: float | None
    temp_other_pre_c: float | None
    temp_other_5_c: float | None
    temp_other_10_c: float | None
    temp_other_15_c: float | None
    temp_other_20_c: float | None
    temp_other_30_c: float | None
    somatic_spread: bool
    confirmed_other_means: bool
    notes: str
    long_acting: bool
    sedation: bool
    recorded_by: int
    created_at: object
    updated_at: object
    deleted_at: object


# ------------------------------------------------------------------------------- cells

FORMULA_START = frozenset("=+-@\t\r")
_CHECK_START = FORMULA_START | {"'"}


def _runs_as_formula(s: str) -> bool:
    # Apostrophes already in front count too, so that restore_text can always undo ours.
    return s.lstrip("'")[:1] in FORMULA_START


def restore_text(s: str) -> str:
    """Undo what `text` did to a formula (on import): the apostrophe it added, only that one."""
    if s[:1] == "'" and _runs_as_formula(s[1:]):
        return s[1:]
    return s


def text(s: str | None) -> str:
    """A text cell: neutralised, then quoted if needed; None is an empty cell."""
    if not s:
        return ""
    if s[0] in _CHECK_START and _runs_as_formula(s):
        s = "'" + s
    if '"' in s or "," in s or "\n" in s or "\r" in s:
        return '"' + s.replace('"', '""') + '"'
    return s


def whole(n: int | None) -> str:
    return "" if n is None else str(int(n))


def one_decimal(x: float | None) -> str:
    """Temperatures, baselines, relief and durations: one decimal, '' when not recorded."""
    return "" if x is None else f"{x:.1f}"


def volume(x: float | None) -> str:
    # Volumes are typed with up to 3 decimals (0.25 ml); repr keeps them and always shows one.
    return "" if x is None else repr(float(round(x, 3)))


YES_NO = ("no", "yes")


def yes_no(b: bool | None) -> str:
    return "" if b is None else YES_NO[bool(b)]


@lru_cache(maxsize=256)
def _offset(minutes: int) -> tuple[timedelta, str]:
    sign = "-" if minutes < 0 else "+"
    h, m = divmod(abs(minutes), 60)
    return timedelta(minutes=minutes), f"{sign}{h:02d}:{m:02d}"


def iso_time(value, offset_min: int = 0) -> str:
    """A UTC time as ISO 8601 to the second, shown with the given UTC offset (minutes)."""
    if value is None:
        return ""
    if value.__class__ is str:
        if offset_min == 0 and len(value) >= 19:
            return value[:10] + "T" + value[11:19] + "+00:00"
        value = datetime.fromisoformat(value[:19])
    elif value.tzinfo is not None:
        value = value.astimezone(UTC).replace(tzinfo=None)
    delta, suffix = _offset(offset_min)
    return (value + delta).isoformat(timespec="seconds") + suffix


def peak(*readings: float | None) -> float | None:
    known = [r for r in readings if r is not None]
    return max(known) if known else None


def line(cells: Iterable[str]) -> str:
    return ",".join(cells) + "\r\n"


def header(columns: Sequence[str]) -> str:
    return line(columns)


def columns_for(columns: Sequence[str], include_deleted: bool) -> tuple[str, ...]:
    return (*columns, DELETED_COLUMN) if include_deleted else tuple(columns)


# ----------------------------------------------------------------------------- entries

def entry_cells(r: EntryRow, labels: Mapping[int, str], users: Mapping[int, str],
                include_deleted: bool = False) -> list[str]:
    """The cells of one entry, in ENTRY_COLUMNS order (the reference for `entry_batches`).

    `labels` maps patient id -> record label; `users` maps user id -> account name.
    """
    cells = [
        text(r.id), text(labels[r.patient_id]), iso_time(r.observed_at, r.utc_offset_min),
        whole(r.pain), one_decimal(r.temp_treated_c), one_decimal(r.temp_other_c),
        text(r.colour), text(r.feels), whole(r.walk_pain_free_min), whole(r.walk_max_min),
        text(r.swelling), text(r.sweating), text(r.side_effects), yes_no(r.rescue_medication),
        text(r.notes), text(users.get(r.entered_by, str(r.entered_by))),
        iso_time(r.created_at), iso_time(r.updated_at), yes_no(r.did_not_walk),
        text(r.touch_pain), yes_no(r.night_rest_pain), text(r.wound), text(r.pgic),
    ]
    if include_deleted:
        cells.append(iso_time(r.deleted_at))
    return cells


_CODE_CELLS = {None: "", "": ""}
for _codes in (vocab.COLOURS, vocab.FEELS, vocab.SWELLING, vocab.SWEATING, vocab.SIDE_EFFECTS,
               vocab.TOUCH_PAIN, vocab.WOUND, vocab.PGIC):
    _CODE_CELLS.update({c: c for c in _codes})


class _CellCache(dict):
    """Cells of values that repeat (codes, side-effect lists), worked out once."""

    def __missing__(self, value):
        cell = text(value)
        if len(self) < 4096:  # codes repeat; anything else is not worth keeping
            self[value] = cell
        return cell


def entry_batches(batches: Iterable[Sequence[Sequence]], labels: Mapping[int, str],
                  users: Mapping[int, str], include_deleted: bool = False) -> Iterator[str]:
    """CSV text for each batch of entry rows (EntryRow order), without the header.

    Each placeholder of the f-string costs about as much as the work in it, so values that
    repeat are looked up as whole runs of cells: colour and feels in one, swelling to rescue
    medication in another, did_not_walk and the four follow-up answers (touch pain to PGIC) in
    a third (so those four cost no placeholder of their own), temperatures by value. Times
    given as text (SQLite's, or PostgreSQL's in UTC) are sliced, not parsed: the local time
    shifts the hour and minute through a table per offset (`_LocalClocks`), and only a reading
    whose local date is not its UTC date goes through `iso_time`. An entry never edited has
    updated_at == created_at, written once. `entry_cells` is the reference; a test compares the
    two on arbitrary rows.
    """
    codes = _CellCache(_CODE_CELLS)
    pairs = _CellRuns(codes)    # (colour, feels) -> 'blue_purple,colder'
    # (swelling, sweating, side_effects, rescue) -> 'mild,,,yes'
    runs = _CellRuns(codes, flags=(3,))
    # (did_not_walk, touch_pain, night_rest_pain, wound, pgic) -> 'no,mild,,healing,'
    tails = _CellRuns(codes, flags=(0, 2))
    temps = _TempCells()
    label_cells = {k: text(v) for k, v in labels.items()}
    user_cells = _UserCells(users)
    clocks = _LocalClocks()
    suffixes = _OffsetSuffixes()
    iso = iso_time
    for rows in batches:
        out = [
            f"{text(i)},{label_cells[p]},"
            f"""{f'{ob[:10]}{local}{ob[16:19]}{suffixes[off]}'
                 if ob.__class__ is str and len(ob) >= 19
                 and (local := clocks[off].get(ob[11:16])) else iso(ob, off)},"""
            f"{pain},{temps[tt]},{temps[to]},{pairs[col, fe]},"
            f"{'' if wpf is None else wpf},{'' if wm is None else wm},"
            f"{runs[sw, swe, se, rm]},{text(notes) if notes else ''},{user_cells[eb]},"
            f"""{(created := f'{ca[:10]}T{ca[11:19]}+00:00'
                  if ca.__class__ is str and len(ca) >= 19 else iso(ca))},"""
            f"""{created if ua == ca else f'{ua[:10]}T{ua[11:19]}+00:00'
                 if ua.__class__ is str and len(ua) >= 19 else iso(ua)},"""
            f"{tails[dnw, tp, nrp, wo, pg]}{f',{iso(de)}' if include_deleted else ''}\r\n"
            for (i, p, ob, off, pain, tt, to, col, fe, wpf, wm, sw, swe, se, rm, notes, eb, ca,
                 ua, dnw, de, tp, nrp, wo, pg) in rows
        ]
        yield "".join(out)


class _CellRuns(dict):
    """Several cells in a row, keyed by their values: one lookup for the run. The values at
    the positions in `flags` are yes/no cells (None, not answered, an empty cell, as
    `yes_no`), the others code cells."""

    def __init__(self, codes: _CellCache, flags: Iterable[int] = ()):
        super().__init__()
        self.codes = codes
        self.flags = frozenset(flags)

    def __missing__(self, values: tuple):
        flags, codes = self.flags, self.codes
        run = ",".join(yes_no(v) if n in flags else codes[v] for n, v in enumerate(values))
        if len(self) < 4096:
            self[values] = run
        return run


class _TempCells(dict):
    """Temperature cells by value (readings repeat: 31.2 °C is typed again and again)."""

    def __init__(self):
        super().__init__({None: ""})

    def __missing__(self, value: float | None) -> str:
        cell = one_decimal(value)
        # 0.0 == -0.0 as keys, but not as cells; no skin temperature is 0 anyway.
        if value and len(self) < 4096:
            self[value] = cell
        return cell


class _LocalClocks(dict):
    """Per UTC offset (minutes): 'HH:MM' in UTC -> 'THH:MM' local on the same date, or None
    when the local time falls on the day before or after (then `iso_time` works it out)."""

    def __missing__(self, minutes: int) -> dict[str, str | None]:
        self[minutes] = table = {}
        for utc in range(24 * 60):
            at = utc + minutes
            table[f"{utc // 60:02d}:{utc % 60:02d}"] = (
                f"T{at // 60:02d}:{at % 60:02d}" if 0 <= at < 24 * 60 else None)
        return table


class _OffsetSuffixes(dict):
    def __missing__(self, minutes: int) -> str:
        self[minutes] = suffix = _offset(minutes)[1]
        return suffix


class _UserCells(dict):
    def __init__(self, users: Mapping[int, str]):
        super().__init__((k, text(v)) for k, v in users.items())

    def __missing__(self, user_id):
        return text(str(user_id))


def entry_content(r: EntryRow) -> tuple[str, ...]:
    """The cells an imported entry is compared on (ENTRY_CONTENT_COLUMNS)."""
    cells = dict(zip(ENTRY_COLUMNS, entry_cells(r, {r.patient_id: ""}, {}), strict=True))
    return tuple(cells[c] for c in ENTRY_CONTENT_COLUMNS)


# ------------------------------------------------------------------------------ blocks

def block_cells(r: BlockRow, labels: Mapping[int, str], users: Mapping[int, str],
                include_deleted: bool = False) -> list[str]:
    post_treated = [getattr(r, f"temp_treated_{m}_c") for m in vocab.CLINIC_TEMP_MINUTES if m]
    post_other = [getattr(r, f"temp_other_{m}_c") for m in vocab.CLINIC_TEMP_MINUTES if m]
    cells = [
        whole(r.id), text(labels[r.patient_id]), iso_time(r.performed_at, r.utc_offset_min),
        text(r.side), text(r.kind), text(r.level), text(r.agent), volume(r.volume_ml),
        whole(r.pre_pain), one_decimal(r.temp_treated_pre_c), one_decimal(peak(*post_treated)),
        one_decimal(r.temp_other_pre_c), one_decimal(peak(*post_other)),
        yes_no(r.somatic_spread), yes_no(r.confirmed_other_means), text(r.notes),
        yes_no(r.long_acting), yes_no(r.sedation),
        *(one_decimal(t) for t in post_treated), *(one_decimal(t) for t in post_other),
        text(users.get(r.recorded_by, str(r.recorded_by))),
        iso_time(r.created_at), iso_time(r.updated_at),
    ]
    if include_deleted:
        cells.append(iso_time(r.deleted_at))
    return cells


def block_batches(batches: Iterable[Sequence[Sequence]], labels: Mapping[int, str],
                  users: Mapping[int, str], include_deleted: bool = False) -> Iterator[str]:
    for rows in batches:
        yield "".join(line(block_cells(BlockRow(*r), labels, users, include_deleted))
                      for r in rows)


def block_content(r: BlockRow) -> tuple[str, ...]:
    cells = dict(zip(BLOCK_COLUMNS, block_cells(r, {r.patient_id: ""}, {}), strict=True))
    return tuple(cells[c] for c in BLOCK_CONTENT_COLUMNS)


# ------------------------------------------------------------------------ block summary

class DecisionRow(NamedTuple):
    """The consultant's decision on a block as the database layer selects it."""

    agrees: bool
    reason: str
    plan: str                 # vocab.DECISION_PLANS code
    planned_on: object        # a date, or None
    note: str
    decided_by: int
    decided_at: object        # UTC, as EntryRow's times


def decision_cells(d: DecisionRow | None, users: Mapping[int, str]) -> list[str]:
    """DECISION_COLUMNS of one block: empty when it has no decision; free text neutralised."""
    if d is None:
        return ["" for _ in DECISION_COLUMNS]
    return [yes_no(d.agrees), text(d.reason), text(d.plan),
            d.planned_on.isoformat() if d.planned_on else "", text(d.note),
            text(users.get(d.decided_by, str(d.decided_by))), iso_time(d.decided_at)]


def summary_cells(patient_analysis, patient_record: str, offsets: Mapping[int, int],
                  decisions: Mapping[int, DecisionRow] | None = None,
                  users: Mapping[int, str] | None = None) -> Iterator[list[str]]:
    """One row per block of an `analysis.PatientAnalysis`, in time order.

    `offsets` maps block id -> the UTC offset (minutes) the patient had when it was done.
    `repeat_due` is the patient's: "yes" only on the latest block done, when a repeat is due.
    `decisions` maps block id -> its decision; `users` user id -> account name (decided_by).
    """
    decisions, users = decisions or {}, users or {}
    pa = patient_analysis
    done = pa.done_blocks
    latest = done[-1].block.id if done else None
    for a in pa.blocks:
        judged = a.verdict is not None
        curve_known = a.duration.days_so_far is not None
        yield [
            whole(a.block.id), text(patient_record),
            iso_time(a.block.performed_at, offsets.get(a.block.id, 0)), text(a.kind),
            whole(a.baseline.b0), one_decimal(a.baseline.b7), whole(a.baseline.b7_days),
            text(a.technical.grade), one_decimal(a.technical.rise_c),
            one_decimal(a.peak.relief_pct), text(a.verdict or ""), text(a.explanation),
            yes_no(a.prolonged.present) if judged and a.prolonged.relief_pct is not None else "",
            one_decimal(a.duration.dur50), one_decimal(a.duration.dur30),
            one_decimal(a.duration.back_to_baseline),
            yes_no(pa.repeat_due and a.block.id == latest),
            yes_no(a.duration.still_relieved) if curve_known else "",
            text(";".join(r.code for r in a.reasons)),
            *follow_up_cells(a),
            *decision_cells(decisions.get(a.block.id), users),
        ]


def follow_up_cells(a) -> list[str]:
    """§7/§8 cells of one `relief.BlockAnalysis`: touch pain, PGIC, flags, checkpoints."""
    touch = a.touch_pain
    cells = [one_decimal(touch.before_mean), one_decimal(touch.after_mean),
             text(";".join(f"{p.day}:{p.answer}" for p in a.pgic)),
             yes_no(any(p.disagreement for p in a.pgic)) if a.pgic else ""]
    fu = a.limb_follow_up
    if fu is None:
        return [*cells, "", *("" for _ in CHECKPOINT_DAYS for _ in CHECKPOINT_FIGURES)]
    cells.append(text(";".join(f.code for f in fu.flags)))
    for c in fu.checkpoints:
        if c.state == "upcoming":
            cells.extend("" for _ in CHECKPOINT_FIGURES)
            continue
        cells += [whole(c.diary_days), one_decimal(c.relief_pct), one_decimal(c.temp_gain_c),
                  one_decimal(c.walk_pain_free_gain_min), one_decimal(c.walk_max_gain_min),
                  whole(c.rest_pain_nights), text(c.wound or ""), text(c.pgic or "")]
    return cells


# ---------------------------------------------------------------------------- documents

def lines(rows: Iterable[Sequence[str]]) -> Iterator[str]:
    for cells in rows:
        yield line(cells)


def document(columns: Sequence[str], parts: Iterable[str]) -> Iterator[bytes]:
    """The file as UTF-8 chunks of about CHUNK_CHARS: BOM and header first, then the parts."""
    yield (BOM + header(columns)).encode()
    pending, size = [], 0
    for part in parts:
        pending.append(part)
        size += len(part)
        if size >= CHUNK_CHARS:
            yield "".join(pending).encode()
            pending, size = [], 0
    if pending:
        yield "".join(pending).encode()
