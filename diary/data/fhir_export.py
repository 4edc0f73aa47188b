"""Reading the FHIR R4 exports out of the database (docs/fhir.md), in bounded memory.

One patient's `collection` Bundle, or the clinic's resources as NDJSON, one file per resource
type (the Bulk Data layout: `Patient.ndjson`, `Procedure.ndjson`, `Observation.ndjson`). The
clinic is read a batch of patients at a time (`BATCH_PATIENTS`), each type in a pass of its
own, so only one batch's diaries are in memory, and a file of one type is written whole
before the next begins (a zip member, a file of the command line, an API download).

Each batch is read on a connection of its own marked `txn.READ_ONLY` (a plain BEGIN on SQLite
even within a POST: the download holds no write lock), with the loader's own record builders
(`loaders.entry_records`, `loaders.block_record`) and the same analysis as the patient page,
under the clinician's settings read before the first byte.

Callers decide which patients may be exported (security.py); everything here takes their ids.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import NamedTuple

import sqlalchemy as sa
from flask import current_app, has_app_context
from sqlalchemy import orm

from diary.clinical import analysis
from diary.clinical.records import VisitRecord
from diary.clinical.settings import Settings
from diary.data import loaders
from diary.data.clinic_settings import settings_for
from diary.data.db import db
from diary.data.models import Block, ClinicVisit, Entry, Patient, User
from diary.data.txn import READ_ONLY
from diary.interchange import fhir

BATCH_PATIENTS = 50      # as the block summary: ~37,000 entries for a year of diary each
CHUNK_CHARS = 64 * 1024

_EXTRA_ENTRY_COLUMNS = (Entry.utc_offset_min, Entry.feels, Entry.swelling, Entry.sweating,
                        Entry.entered_by)


class FhirJob(NamedTuple):
    """An export ready to stream: everything read from the request's session before."""

    patient_ids: tuple[int, ...]
    settings: Settings
    record_system: str
    base_url: str


def prepare(patients: Sequence[Patient], clinician_id: int) -> FhirJob:
    config = current_app.config if has_app_context() else {}
    return FhirJob(tuple(p.id for p in patients), settings_for(clinician_id),
                   config.get("FHIR_RECORD_SYSTEM") or fhir.RECORD_SYSTEM,
                   config.get("FHIR_BASE_URL") or fhir.BASE_URL)


class _Diary(NamedTuple):
    details: fhir.PatientDetails
    entries: list
    blocks: list
    visits: list[VisitRecord]
    entry_extras: dict[str, fhir.EntryExtras]
    block_extras: dict[int, fhir.BlockExtras]


def _details(p: Patient) -> fhir.PatientDetails:
    return fhir.PatientDetails(id=p.id, display_name=p.display_name,
                               record_number=p.record_number, treated_side=p.treated_side,
                               timezone=p.timezone, active=p.archived_at is None)


def _batch(patient_ids: Sequence[int], types: set[str]) -> list[_Diary]:
    """The diaries of a batch of patients (in the order asked for), with only what `types`
    need: the Patient rows alone for Patient, the blocks too for Procedure, everything for
    Observation. Not deleted rows only, oldest first."""
    ids = list(patient_ids)
    with (db.engine.connect().execution_options(**{READ_ONLY: True}) as conn,
          orm.Session(conn) as session):
        patients = {p.id: p for p in session.scalars(sa.select(Patient).where(
            Patient.id.in_(ids)))}
        out = {i: _Diary(_details(patients[i]), [], [], [], {}, {}) for i in ids
               if i in patients}
        if types & {"Procedure", "Observation"}:
            for block in session.scalars(
                    sa.select(Block).where(Block.patient_id.in_(ids), Block.deleted_at.is_(None))
                    .order_by(Block.patient_id, Block.performed_at, Block.id)):
                diary = out[block.patient_id]
                diary.blocks.append(loaders.block_record(block))
                diary.block_extras[block.id] = fhir.BlockExtras(
                    utc_offset_min=block.utc_offset_min, side=block.side, level=block.level,
                    agent=block.agent, volume_ml=block.volume_ml)
        if "Observation" in types:
            width = len(loaders._ENTRY_COLUMNS)
            rows = session.execute(
                sa.select(Entry.patient_id, *loaders._ENTRY_COLUMNS, *_EXTRA_ENTRY_COLUMNS)
                .where(Entry.patient_id.in_(ids), Entry.deleted_at.is_(None))
                .order_by(Entry.patient_id, Entry.observed_at, Entry.id))
            by_patient: dict[int, list[tuple]] = {}
            for row in rows:
                by_patient.setdefault(row[0], []).append(tuple(row))
            # Entries not entered by the patient themself name who entered them.
            others = {r[-1] for patient_id, diary_rows in by_patient.items()
                      for r in diary_rows if r[-1] != patients[patient_id].user_id}
            names = dict(session.execute(sa.select(User.id, User.name).where(
                User.id.in_(others))).all()) if others else {}
            for patient_id, diary_rows in by_patient.items():
                diary = out[patient_id]
                own = patients[patient_id].user_id
                diary.entries.extend(loaders.entry_records(r[1:1 + width] for r in diary_rows))
                for r in diary_rows:
                    offset, feels, swelling, sweating, by = r[1 + width:]
                    diary.entry_extras[r[1]] = fhir.EntryExtras(
                        offset, feels, swelling, sweating,
                        None if by == own else names.get(by) or f"user {by}")
            for v in session.scalars(
                    sa.select(ClinicVisit)
                    .where(ClinicVisit.patient_id.in_(ids), ClinicVisit.deleted_at.is_(None))
                    .order_by(ClinicVisit.patient_id, ClinicVisit.visited_on, ClinicVisit.id)):
                out[v.patient_id].visits.append(
                    VisitRecord(id=v.id, visited_on=v.visited_on, fontaine=v.fontaine,
                                note=v.note))
    return [out[i] for i in ids if i in out]


def _resources(job: FhirJob, diary: _Diary, now: datetime, types) -> Iterator[dict]:
    result = None
    if "Observation" in types and diary.blocks:
        result = analysis.analyse_patient(diary.entries, diary.blocks, job.settings,
                                          diary.details.timezone, now, visits=diary.visits)
    return fhir.patient_resources(
        diary.details, diary.entries, diary.blocks, diary.visits, result, now,
        diary.entry_extras, diary.block_extras, job.record_system, types)


def patient_bundle(job: FhirJob, now: datetime) -> dict:
    """One patient's `collection` Bundle (the job names one patient)."""
    (patient_id,) = job.patient_ids
    (diary,) = _batch([patient_id], set(fhir.RESOURCE_TYPES))
    return fhir.bundle(_resources(job, diary, now, fhir.RESOURCE_TYPES),
                       fhir.resource_id("bundle", "patient", patient_id), now, job.base_url)


def bundle_chunks(job: FhirJob, now: datetime) -> Iterator[bytes]:
    """The Bundle as JSON, made when the first chunk is asked for (inside the audit)."""
    yield fhir.bundle_json(patient_bundle(job, now))


def ndjson_chunks(job: FhirJob, resource_type: str, now: datetime) -> Iterator[bytes]:
    """Every resource of one type of the job's patients, one JSON per line, in chunks of
    about CHUNK_CHARS, a batch of patients at a time."""
    if resource_type not in fhir.RESOURCE_TYPES:
        raise ValueError(resource_type)
    types = {resource_type}
    pending: list[str] = []
    size = 0
    ids = job.patient_ids
    for start in range(0, len(ids), BATCH_PATIENTS):
        for diary in _batch(ids[start:start + BATCH_PATIENTS], types):
            for resource in _resources(job, diary, now, types):
                line = fhir.ndjson_line(resource)
                pending.append(line)
                size += len(line)
                if size >= CHUNK_CHARS:
                    yield "".join(pending).encode()
                    pending, size = [], 0
    if pending:
        yield "".join(pending).encode()


def ndjson_files(job: FhirJob, now: datetime) -> Iterator[tuple[str, Iterator[bytes]]]:
    """(file name, chunks) of each resource type, in turn: the Bulk Data layout."""
    for resource_type in fhir.RESOURCE_TYPES:
        yield fhir.ndjson_name(resource_type), ndjson_chunks(job, resource_type, now)


def ndjson_zip(job: FhirJob, now: datetime) -> Iterator[bytes]:
    return fhir.zip_stream(ndjson_files(job, now))
