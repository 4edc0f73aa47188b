"""`GET /api/v1/patients/{id}/exports/{what}`: the same CSV files as the records page
(docs/export.md), streamed from `diary.data.exports` and audited by
`diary.services.exports.audited` exactly as the page's are (`export.<what>`, with
`via: "api"`; `….failed` when the file was cut short). Staff only."""

import re

from flask import Response, request, stream_with_context

from diary.data import txn
from diary.data.clock import now
from diary.data.exports import WHATS, chunks, prepare
from diary.services.exports import audited
from diary.web.api import common, problems
from diary.web.api.auth import bearer_required, caller, limited, note_patient
from diary.web.api.common import problem_doc
from diary.web.security import api_patient_or_404

blp = common.blueprint("api_exports", "The records page's CSV files (staff only).")
BAD_FLAG = "Please give include_deleted as true or false."
FLAGS = {"": False, "false": False, "0": False, "true": True, "1": True}


def _safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", name).strip("._") or "patient"


@blp.route("/patients/<int:patient_id>/exports/<any(entries, blocks, 'block-summary'):what>",
           methods=["GET"])
@blp.doc(summary="A patient's CSV file, as the records page makes it",
         description="`what` is entries, blocks or block-summary; the columns are those of "
                     "the records page (docs/export.md). Audited `export.<what>` as from the "
                     "page.",
         security=common.STAFF,
         parameters=[{"in": "query", "name": "include_deleted", "required": False,
                      "schema": {"type": "boolean", "default": False},
                      "description": "Deleted rows too, marked (not for block-summary)"}])
@blp.response(200, description="The CSV file (UTF-8), streamed.",
              content_type="text/csv", example="patient,observed_at,...\n")
@blp.alt_response(400, **problem_doc("include_deleted is not true or false.",
                                     schema=common.FieldsProblem))
@common.document(blp)
@limited
@bearer_required(staff=True)
def export(patient_id: int, what: str):
    who = caller()
    patient = api_patient_or_404(who, patient_id, "export")
    note_patient(patient.id)
    flag = request.args.get("include_deleted", "").lower()
    if flag not in FLAGS:
        return problems.problem(400, "The request could not be read", BAD_FLAG,
                                errors={"include_deleted": [BAD_FLAG]})
    assert what in WHATS
    job = prepare(what, [patient], who.user.id, include_deleted=FLAGS[flag])
    txn.start_writing()  # the file's audit event is a write, as on the page (a POST there)
    body = audited(chunks(job, now()), job.what, who.user, [patient],
                   include_deleted=job.include_deleted, via="api")
    response = Response(stream_with_context(body), content_type="text/csv; charset=utf-8")
    filename = f"{_safe(job.labels[patient.id])}-{what}.csv"
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "no-store"
    return response
