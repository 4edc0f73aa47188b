"""FHIR R4 through the API (docs/fhir.md): `GET /api/v1/patients/{id}/fhir`, the patient's
`collection` Bundle, and `GET /api/v1/fhir/{type}.ndjson`, every resource of one type of the
token's staff member's patients (the Bulk Data file layout, one file per resource type).

Staff only (`bearer_required(staff=True)`: a personal access token; a phone's device token
gets 404 as for anything not its own). Each download is audited like the records pages'
(`export.fhir`, `export.clinic.fhir-<type>`, via "api"), besides the token's own use event.
"""

import sqlalchemy as sa
from flask import Response, stream_with_context

from diary.data import fhir_export
from diary.data.clock import now
from diary.data.db import db
from diary.data.models import Patient
from diary.interchange import fhir
from diary.services.exports import audited
from diary.web.api import common
from diary.web.api.auth import bearer_required, caller, limited, note_patient
from diary.web.api.problems import problem
from diary.web.security import api_patient_or_404, api_patients

blp = common.blueprint("api_fhir", "FHIR R4 exports: a patient's Bundle, the clinic's NDJSON "
                                   "files (docs/fhir.md).")

FHIR_JSON = "application/fhir+json"
NDJSON = "application/fhir+ndjson"
WHAT = "fhir"


def _stream(body, content_type: str) -> Response:
    response = Response(stream_with_context(body), content_type=content_type)
    response.headers["Cache-Control"] = "no-store"
    return response


@blp.route("/patients/<int:patient_id>/fhir", methods=["GET"])
@blp.doc(summary="The patient's FHIR R4 collection Bundle", security=common.STAFF,
         description="Patient, Procedure (blocks) and Observation (readings, answers, "
                     "verdicts) resources; references resolve within the Bundle.")
@blp.response(200, description="A FHIR R4 Bundle of type collection.",
              content_type=FHIR_JSON)
@common.document(blp, staff=True)
@limited
@bearer_required(staff=True)
def patient_bundle(patient_id: int):
    who = caller()
    patient = api_patient_or_404(who, patient_id, "export")
    note_patient(patient.id)
    job = fhir_export.prepare([patient], who.user.id)
    body = audited(fhir_export.bundle_chunks(job, now()), WHAT, who.user, [patient], via="api")
    return _stream(body, f"{FHIR_JSON}; charset=utf-8")


@blp.route("/fhir/<string:resource_type>.ndjson", methods=["GET"])
@blp.doc(summary="Every resource of one type of the token's patients, as NDJSON",
         security=common.STAFF,
         description="One resource a line; `resource_type` is one of "
                     f"{', '.join(fhir.RESOURCE_TYPES)} (the Bulk Data file names).",
         parameters=[{"in": "path", "name": "resource_type", "required": True,
                      "schema": {"type": "string", "enum": list(fhir.RESOURCE_TYPES)}}])
@blp.response(200, description="NDJSON: one FHIR resource a line.", content_type=NDJSON)
@common.document(blp, staff=True)
@limited
@bearer_required(staff=True)
def clinic_ndjson(resource_type: str):
    if resource_type not in fhir.RESOURCE_TYPES:
        return problem(404)
    who = caller()
    patients = list(db.session.scalars(
        sa.select(Patient).where(api_patients(who, "export")).order_by(Patient.id)))
    job = fhir_export.prepare(patients, who.user.id)
    body = audited(fhir_export.ndjson_chunks(job, resource_type, now()),
                   f"{WHAT}-{resource_type.lower()}", who.user, patients, clinic=True,
                   via="api")
    return _stream(body, f"{NDJSON}; charset=utf-8")
