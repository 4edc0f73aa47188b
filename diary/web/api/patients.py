"""Patients through the API (docs/api.md): `GET /api/v1/patients` (a page at a time, by id)
and `GET /api/v1/patients/{id}`.

A staff member's token lists their patients (`patients_of`; archived ones are left out of the
list, as on the clinic's list, and still open by id), each with the clinic list's line: the
statuses, the last entry, the last block's verdict and the next reading due, brought up to
date first as the list does (`summaries.refresh_stale`). A device token lists its own diary
only, without the clinic's line (`summary` is null): that is the clinic's reading of it.
"""

import marshmallow as ma
import sqlalchemy as sa

from diary.clinical import vocab
from diary.clinical.analysis import STATUS_LABELS
from diary.clinical.patient_list import URGENT, VERDICT_LABELS
from diary.clinical.summary import rank
from diary.data.clock import now
from diary.data.db import db
from diary.data.models import Patient, PatientSummary
from diary.services import summaries
from diary.web.api import common
from diary.web.api.auth import bearer_required, caller, limited, note_patient
from diary.web.security import ApiCaller, api_patient_or_404, api_patients

blp = common.blueprint("api_patients", "Patients: the clinic's list and each patient's "
                                       "details.")


class StatusOut(ma.Schema):
    code = ma.fields.String(metadata={"enum": list(STATUS_LABELS)})
    label = ma.fields.String()
    urgent = ma.fields.Boolean()


class SummaryOut(ma.Schema):
    statuses = ma.fields.List(ma.fields.Nested(StatusOut),
                              metadata={"description": "Most urgent first"})
    last_entry_at = ma.fields.String(allow_none=True, metadata=common.TIME)
    last_verdict = ma.fields.String(allow_none=True, metadata={
        "description": "The latest block done: a verdict code, \"pending\", \"follow_up\" "
                       "(neurolysis or RF) or null", "enum": [*VERDICT_LABELS, None]})
    last_verdict_label = ma.fields.String(allow_none=True)
    last_block_date = ma.fields.String(allow_none=True, metadata={"format": "date"})
    next_due_at = ma.fields.String(allow_none=True, metadata=common.TIME)
    failed = ma.fields.Boolean(metadata={"description": "The analysis could not read this "
                                                        "diary"})


class PatientOut(ma.Schema):
    id = ma.fields.Integer()
    display_name = ma.fields.String()
    record_number = ma.fields.String(allow_none=True)
    treated_side = ma.fields.String(metadata={"enum": list(vocab.SIDES)})
    condition = ma.fields.String(metadata={"enum": list(vocab.CONDITIONS)})
    temp_unit = ma.fields.String(metadata={
        "enum": list(vocab.TEMP_UNITS),
        "description": "The unit the patient reads; the API always gives °C"})
    timezone = ma.fields.String(metadata={"example": "Europe/London"})
    created_at = ma.fields.String(metadata=common.TIME)
    archived = ma.fields.Boolean()
    summary = ma.fields.Nested(SummaryOut, allow_none=True, metadata={
        "description": "The clinic list's line; null for a device token"})


PatientPage = common.page_of("PatientPage", PatientOut)


def summary_json(patient: Patient, line: PatientSummary | None) -> dict | None:
    if line is None:
        return None
    codes = sorted((c for c in (line.statuses or "").split(",") if c), key=rank)
    verdict = line.last_verdict if line.last_block_date is not None else None
    return {"statuses": [{"code": c, "label": STATUS_LABELS.get(c, c), "urgent": c in URGENT}
                         for c in codes],
            "last_entry_at": common.local(line.last_entry_at, patient.timezone),
            "last_verdict": verdict,
            "last_verdict_label": (VERDICT_LABELS.get(verdict, verdict or "Not judged")
                                   if line.last_block_date is not None else None),
            "last_block_date": (line.last_block_date.isoformat()
                                if line.last_block_date else None),
            "next_due_at": common.local(line.next_due_at, patient.timezone),
            "failed": bool(line.failed)}


def patient_json(patient: Patient, line: PatientSummary | None, who: ApiCaller) -> dict:
    return {"id": patient.id, "display_name": patient.display_name,
            "record_number": patient.record_number, "treated_side": patient.treated_side,
            "condition": patient.condition, "temp_unit": patient.temp_unit,
            "timezone": patient.timezone,
            "created_at": common.local(patient.created_at, patient.timezone),
            "archived": patient.archived_at is not None,
            "summary": summary_json(patient, line) if who.staff else None}


def _lines(ids: list[int]) -> dict[int, PatientSummary]:
    """The clinic list's lines of these patients, computed again where stale."""
    if not ids:
        return {}
    summaries.refresh_stale(sa.select(Patient.id).where(Patient.id.in_(ids)), now())
    rows = db.session.scalars(sa.select(PatientSummary).where(
        PatientSummary.patient_id.in_(ids)).execution_options(populate_existing=True))
    return {row.patient_id: row for row in rows}


@blp.route("/patients", methods=["GET"])
@blp.doc(summary="The patients the token opens, by id, a page at a time",
         description="Staff: their patients (not archived), each with the clinic list's "
                     "statuses. A device token: its own patient only, with `summary` null.",
         security=common.BOTH, parameters=common.PAGE_PARAMETERS)
@blp.response(200, PatientPage, description="One page of patients, by id.")
@common.document(blp, paged=True)
@limited
@bearer_required()
def list_patients():
    who = caller()
    try:
        limit, after = common.page_args()
        query = (sa.select(Patient).where(api_patients(who), Patient.archived_at.is_(None))
                 .order_by(Patient.id).limit(limit + 1))
        if after is not None:
            if len(after) != 1:
                raise common.BadPage("cursor", common.BAD_CURSOR)
            query = query.where(Patient.id > common.cursor_int(after[0]))
    except common.BadPage as error:
        return common.bad_page(error)
    rows = list(db.session.scalars(query))
    more = len(rows) > limit
    rows = rows[:limit]
    lines = _lines([p.id for p in rows]) if who.staff else {}
    if not who.staff and rows:
        note_patient(rows[0].id)
    return {"items": [patient_json(p, lines.get(p.id), who) for p in rows],
            "next_cursor": common.cursor_of(rows[-1].id) if more else None}


@blp.route("/patients/<int:patient_id>", methods=["GET"])
@blp.doc(summary="One patient's details", security=common.BOTH)
@blp.response(200, PatientOut, description="The patient, with the clinic list's line for "
                                           "staff.")
@common.document(blp)
@limited
@bearer_required()
def get_patient(patient_id: int):
    who = caller()
    patient = api_patient_or_404(who, patient_id)
    note_patient(patient.id)
    line = _lines([patient.id]).get(patient.id) if who.staff else None
    return patient_json(patient, line, who)
