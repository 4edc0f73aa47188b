"""A patient's diary as the analysis's plain records: one loader for pages, charts and exports.

Deleted entries and blocks are left out; both lists come back in time order.
"""

from collections.abc import Iterable
from datetime import datetime

import sqlalchemy as sa

from diary.clinical import schedule
from diary.clinical.records import BlockRecord, EntryRecord, VisitRecord
from diary.clinical.settings import Settings
from diary.data.db import db
from diary.data.models import Block, ClinicVisit, Entry, Patient

# Only the columns the analysis reads: a year of diary loads without building ORM objects.
# `entry_records` unpacks rows in this order.
_ENTRY_COLUMNS = (Entry.id, Entry.observed_at, Entry.pain, Entry.temp_treated_c,
                  Entry.temp_other_c, Entry.colour, Entry.walk_pain_free_min, Entry.walk_max_min,
                  Entry.did_not_walk, Entry.side_effects, Entry.rescue_medication,
                  Entry.touch_pain, Entry.night_rest_pain, Entry.wound, Entry.pgic)


def entry_record(entry) -> EntryRecord:
    """An `Entry` (or a row with the same attribute names) as the analysis sees it."""
    return EntryRecord(
        id=entry.id, observed_at=entry.observed_at, pain=entry.pain,
        temp_treated_c=entry.temp_treated_c, temp_other_c=entry.temp_other_c,
        colour=entry.colour, walk_pain_free_min=entry.walk_pain_free_min,
        walk_max_min=entry.walk_max_min, did_not_walk=bool(entry.did_not_walk),
        side_effects=frozenset(c for c in (entry.side_effects or "").split(";") if c),
        rescue_medication=bool(entry.rescue_medication), touch_pain=entry.touch_pain,
        night_rest_pain=entry.night_rest_pain, wound=entry.wound, pgic=entry.pgic)


def entry_records(rows: Iterable[tuple]) -> list[EntryRecord]:
    """`entry_record` of each row of `_ENTRY_COLUMNS`, unpacked by position: a Row's
    attributes cost more than its tuple, and a diary repeats a few side-effect strings."""
    effects: dict[str | None, frozenset[str]] = {}
    out = []
    for (id_, observed_at, pain, treated, other, colour, pain_free, walk_max, did_not_walk,
         side_effects, rescue, touch_pain, night_rest_pain, wound, pgic) in rows:
        codes = effects.get(side_effects)
        if codes is None:
            codes = effects[side_effects] = frozenset(
                c for c in (side_effects or "").split(";") if c)
        out.append(EntryRecord(
            id=id_, observed_at=observed_at, pain=pain, temp_treated_c=treated,
            temp_other_c=other, colour=colour, walk_pain_free_min=pain_free,
            walk_max_min=walk_max, did_not_walk=bool(did_not_walk), side_effects=codes,
            rescue_medication=bool(rescue), touch_pain=touch_pain,
            night_rest_pain=night_rest_pain, wound=wound, pgic=pgic))
    return out


def block_record(block: Block) -> BlockRecord:
    return BlockRecord(
        id=block.id, performed_at=block.performed_at, kind=block.kind, pre_pain=block.pre_pain,
        temps_treated=block.clinic_temps("treated"), temps_other=block.clinic_temps("other"),
        somatic_spread=block.somatic_spread, confirmed_other_means=block.confirmed_other_means,
        long_acting=block.long_acting)


def load_patient_records(patient: Patient) -> tuple[list[EntryRecord], list[BlockRecord]]:
    """The patient's entries and blocks that are not deleted, oldest first."""
    entries = db.session.execute(
        sa.select(*_ENTRY_COLUMNS)
        .where(Entry.patient_id == patient.id, Entry.deleted_at.is_(None))
        .order_by(Entry.observed_at, Entry.id))
    blocks = db.session.scalars(
        sa.select(Block).where(Block.patient_id == patient.id, Block.deleted_at.is_(None))
        .order_by(Block.performed_at, Block.id))
    return entry_records(entries), [block_record(b) for b in blocks]


def load_clinic_records(patient_ids: Iterable[int], chunk: int = 500
                        ) -> dict[int, tuple[list[EntryRecord], list[BlockRecord]]]:
    """Entries and blocks (not deleted, oldest first) of many patients, keyed by patient id.

    Two queries per `chunk` patients rather than two per patient, so the patient list costs
    the same few round trips however many patients a clinician has. The caller picks the ids
    through security.patients_of; every id asked for gets a key, if only empty lists.
    """
    ids = list(dict.fromkeys(patient_ids))
    out: dict[int, tuple[list[EntryRecord], list[BlockRecord]]] = {i: ([], []) for i in ids}
    # In chunks: SQLite and drivers cap the number of bound parameters in one statement.
    for start in range(0, len(ids), chunk):
        part = ids[start:start + chunk]
        rows = db.session.execute(
            sa.select(Entry.patient_id, *_ENTRY_COLUMNS)
            .where(Entry.patient_id.in_(part), Entry.deleted_at.is_(None))
            .order_by(Entry.patient_id, Entry.observed_at, Entry.id))
        for row in rows:
            out[row.patient_id][0].append(entry_record(row))
        blocks = db.session.scalars(
            sa.select(Block).where(Block.patient_id.in_(part), Block.deleted_at.is_(None))
            .order_by(Block.patient_id, Block.performed_at, Block.id))
        for block in blocks:
            out[block.patient_id][1].append(block_record(block))
    return out


def load_block_records(patient: Patient) -> list[BlockRecord]:
    """The patient's blocks that are not deleted, oldest first (a diary's few rows)."""
    return [block_record(b) for b in db.session.scalars(
        sa.select(Block).where(Block.patient_id == patient.id, Block.deleted_at.is_(None))
        .order_by(Block.performed_at, Block.id))]


def load_prompt_records(patient: Patient, now: datetime, settings: Settings | None
                        ) -> tuple[list[EntryRecord], list[BlockRecord]]:
    """What the reading prompts at `now` read (diary.clinical.patient_prompts): every block, and
    the entries (not deleted, oldest first) from `schedule.entries_from` on: the last week, or,
    within 52 weeks of a local-anaesthetic block (the latest done), from its baseline days on.
    Two queries whose size does not grow with the diary's length."""
    blocks = load_block_records(patient)
    since = schedule.entries_from(blocks, patient.timezone, now, settings)
    entries = db.session.execute(
        sa.select(*_ENTRY_COLUMNS)
        .where(Entry.patient_id == patient.id, Entry.deleted_at.is_(None),
               Entry.observed_at >= since)
        .order_by(Entry.observed_at, Entry.id))
    return entry_records(entries), blocks


def load_visit_records(patient: Patient) -> list[VisitRecord]:
    """The patient's clinic visits that are not deleted, oldest first."""
    return [VisitRecord(id=v.id, visited_on=v.visited_on, fontaine=v.fontaine, note=v.note)
            for v in db.session.scalars(
                sa.select(ClinicVisit)
                .where(ClinicVisit.patient_id == patient.id, ClinicVisit.deleted_at.is_(None))
                .order_by(ClinicVisit.visited_on, ClinicVisit.id))]
