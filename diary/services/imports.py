"""Writing an import: every row of every file, or nothing, in one transaction.

The files are parsed and checked by `diary.interchange.csv_import`; here each row is compared
  with what the patient's diary already holds:
- an entry whose id is already in this diary with the same values is left as it is, so the same
  file imported twice adds nothing; with other values it is an error for that row;
- an entry id from another patient's diary is an error (the file is probably the wrong
  patient's; blank the ids to copy the entries on purpose);
- an entry without an id is left out when this diary has one with the same values;
- a block is matched on its time: the same values are left as they are, others are an error.

One audit event per file (counts and a digest of the file, no content). Per-entry events would
each take the audit chain's lock and hash in turn, so a year of diary would write thousands of
events in one transaction; the imported rows carry the importing clinician and the import's
time (entered_by / created_at), which with the one event say who brought them in and when.
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from itertools import islice

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from diary.data.db import db
from diary.data.models import Block, Entry, Patient
from diary.interchange import csv_export as export
from diary.interchange import csv_import as importer
from diary.interchange.csv_import import SHOWN_PROBLEMS, Parsed, Problem, Problems
from diary.services import audit, summaries

ID_CHUNK = 500


@dataclass
class FileResult:
    name: str                   # "entries file" / "blocks file"
    parsed: Parsed
    digest: str
    created: int = 0
    unchanged: int = 0
    errors: Problems = field(default_factory=Problems)     # from the database checks
    new_rows: list[dict] = field(default_factory=list)

    @property
    def all_errors(self) -> list[Problem]:
        """The kept ones: at most SHOWN_PROBLEMS of each list."""
        return [*self.parsed.errors, *self.errors]

    @property
    def error_count(self) -> int:
        return self.parsed.errors.total + self.errors.total

    @property
    def skipped(self) -> int:
        return self.parsed.skipped


@dataclass
class Outcome:
    files: list[FileResult]

    @property
    def ok(self) -> bool:
        return all(not f.error_count for f in self.files)

    # The first SHOWN_PROBLEMS of all the files, in order, and how many more there were: each
    # list keeps its first SHOWN_PROBLEMS, so the first of the lists joined are all kept.
    def errors(self) -> list[str]:
        return list(islice((_where(f, p) for f in self.files for p in f.all_errors),
                           SHOWN_PROBLEMS))

    @property
    def error_count(self) -> int:
        return sum(f.error_count for f in self.files)

    @property
    def more_errors(self) -> int:
        return self.error_count - len(self.errors())

    def warnings(self) -> list[str]:
        return list(islice((_where(f, p) for f in self.files for p in f.parsed.warnings),
                           SHOWN_PROBLEMS))

    @property
    def warning_count(self) -> int:
        return sum(f.parsed.warnings.total for f in self.files)

    @property
    def more_warnings(self) -> int:
        return self.warning_count - len(self.warnings())


def _where(f: FileResult, p: Problem) -> str:
    return f"{f.name}, {p}" if p.line is not None else f"{f.name}: {p}"


def import_files(patient: Patient, user, now: datetime, entries: bytes | None = None,
                 blocks: bytes | None = None, via: str = "web") -> Outcome:
    """Check both files and write them together, or write nothing; commits on success."""
    ctx = importer.Context(patient.timezone, now, patient.created_at, patient.record_label)
    files = []
    if entries is not None:
        files.append(FileResult("entries file", importer.parse_entries(entries, ctx),
                                _digest(entries)))
    if blocks is not None:
        files.append(FileResult("blocks file", importer.parse_blocks(blocks, ctx),
                                _digest(blocks)))
    outcome = Outcome(files)
    # Rows that parsed are checked against the diary even when others did not, so that one
    # attempt lists every problem.
    for f in files:
        (_match_entries if f.parsed.kind == "entries" else _match_blocks)(patient, f)
    if not outcome.ok:
        db.session.rollback()
        return outcome
    try:
        for f in files:
            _write(patient, user, now, f, via)
        summaries.invalidate(patient)
        db.session.commit()
    except IntegrityError:
        # Another import or the patient saved one of these ids at the same moment.
        db.session.rollback()
        files[0].errors.append(Problem(None, "The diary changed while importing; nothing was "
                                             "imported. Please try again."))
    return outcome


def _digest(data: bytes | str) -> str:
    raw = data.encode() if isinstance(data, str) else data
    return hashlib.sha256(raw).hexdigest()


def _stored_content(entry: Entry) -> tuple[str, ...]:
    return importer.entry_content({f: getattr(entry, f) for f in export.EntryRow._fields})


def _match_entries(patient: Patient, f: FileResult) -> None:
    rows = f.parsed.rows
    ids = [r.entry_id for r in rows if r.entry_id]
    stored: dict[str, Entry] = {}
    for i in range(0, len(ids), ID_CHUNK):
        stored.update((e.id, e) for e in db.session.scalars(
            sa.select(Entry).where(Entry.id.in_(ids[i:i + ID_CHUNK]))))
    unnamed = [r for r in rows if not r.entry_id]
    same_values: set[tuple[str, ...]] = set()
    if unnamed:
        first = min(r.values["observed_at"] for r in unnamed)
        last = max(r.values["observed_at"] for r in unnamed)
        same_values = {_stored_content(e) for e in db.session.scalars(
            sa.select(Entry).where(Entry.patient_id == patient.id, Entry.deleted_at.is_(None),
                                   Entry.observed_at.between(first, last)))}
    for r in rows:
        if r.entry_id is None:
            if r.content in same_values:
                f.unchanged += 1
            else:
                f.new_rows.append({**r.values, "id": str(uuid.uuid4())})
            continue
        entry = stored.get(r.entry_id)
        if entry is None:
            f.new_rows.append({**r.values, "id": r.entry_id})
        elif entry.patient_id != patient.id:
            f.errors.append(Problem(r.line, "entry_id belongs to another patient's diary (is "
                                            "this the right patient's file?). To copy the "
                                            "entries on purpose, leave entry_id blank."))
        elif entry.deleted_at is not None:
            f.parsed.skipped += 1
            f.parsed.warnings.append(Problem(r.line, "This entry was deleted from the diary: "
                                                     "not imported again."))
        elif _stored_content(entry) == r.content:
            f.unchanged += 1
        else:
            f.errors.append(Problem(r.line, "entry_id is already in this diary with different "
                                            "values (changed since it was exported?)."))


def _match_blocks(patient: Patient, f: FileResult) -> None:
    stored = {b.performed_at: b for b in db.session.scalars(
        sa.select(Block).where(Block.patient_id == patient.id, Block.deleted_at.is_(None)))}
    for r in f.parsed.rows:
        block = stored.get(r.values["performed_at"])
        if block is None:
            f.new_rows.append(r.values)
        elif _stored_block_content(block) == r.content:
            f.unchanged += 1
        else:
            f.errors.append(Problem(r.line, "a different block is already recorded at this "
                                            "time; change it in the diary, not by import."))


def _stored_block_content(block: Block) -> tuple[str, ...]:
    return importer.block_content({f: getattr(block, f) for f in export.BlockRow._fields})


def _write(patient: Patient, user, now: datetime, f: FileResult, via: str) -> None:
    model = Entry if f.parsed.kind == "entries" else Block
    who = "entered_by" if model is Entry else "recorded_by"
    if f.new_rows:
        db.session.execute(sa.insert(model), [
            {**values, "patient_id": patient.id, who: user.id, "created_at": now,
             "updated_at": now} for values in f.new_rows])
    f.created = len(f.new_rows)
    audit.record(f"import.{f.parsed.kind}", "patient", patient.id, patient_id=patient.id,
                 actor=user, after={"created": f.created, "unchanged": f.unchanged,
                                    "skipped": f.skipped, "sha256": f.digest, "via": via})
