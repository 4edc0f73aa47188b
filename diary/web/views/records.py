"""CSV out and in, for clinicians: one patient's records, or the whole clinic's.

Exports are POSTs: each writes an audit event, so it must not be triggered from another site
(CSRF) and takes the write transaction properly on SQLite. The file then streams from a
connection of its own (diary.data.exports), so a million rows never sit in memory.
"""

import re

import sqlalchemy as sa
from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    redirect,
    render_template,
    request,
    stream_with_context,
    url_for,
)
from flask_login import current_user

from diary.data.clock import now
from diary.data.db import db
from diary.data.exports import WHATS, chunks, prepare
from diary.data.models import Patient
from diary.services import imports as imports_db
from diary.services.exports import audited
from diary.web.forms.records import WHAT_LABELS, ClinicExportForm, ExportForm, ImportForm
from diary.web.security import clinician_required, patient_or_404, patients_of

bp = Blueprint("records", __name__, url_prefix="/clinic")
SHOWN_WARNINGS = 10


def _csv_response(job, filename: str, patients, **event) -> Response:
    """The file, streamed, and audited by how it ends (`diary.services.exports.audited`)."""
    body = audited(chunks(job, now()), job.what, current_user._get_current_object(), patients,
                   include_deleted=job.include_deleted, **event)
    response = Response(stream_with_context(body), content_type="text/csv; charset=utf-8")
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "no-store"
    return response


def _safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", name).strip("._") or "patient"


def _page(patient, import_form=None, outcome=None, status=200):
    return render_template("records/patient.html", patient=patient, labels=WHAT_LABELS,
                           export_form=ExportForm(), import_form=import_form or ImportForm(),
                           outcome=outcome), status


@bp.get("/patients/<int:patient_id>/records")
@clinician_required
def patient_records(patient_id: int):
    return _page(patient_or_404(patient_id))


@bp.post("/patients/<int:patient_id>/export")
@clinician_required
def export_patient(patient_id: int):
    patient = patient_or_404(patient_id)
    form = ExportForm()
    what = request.form.get("what", "")
    if not form.validate_on_submit() or what not in WHATS:
        abort(400)
    job = prepare(what, [patient], current_user.id, include_deleted=form.include_deleted.data)
    return _csv_response(job, f"{_safe(job.labels[patient.id])}-{what}.csv", [patient])


@bp.post("/patients/<int:patient_id>/import")
@clinician_required
def import_patient(patient_id: int):
    patient = patient_or_404(patient_id)
    form = ImportForm()
    if not form.validate_on_submit():
        abort(400)
    files = {name: form[name].data.read() if form[name].data else None
             for name in ("entries", "blocks")}
    if not any(files.values()):
        form.entries.errors = ["Please choose a file to import."]
        return _page(patient, form, status=400)
    outcome = imports_db.import_files(patient, current_user, now(), via="web", **files)
    if not outcome.ok:
        return _page(patient, form, outcome, status=422)
    parts = []
    for f in outcome.files:
        one, many = ("entry", "entries") if f.parsed.kind == "entries" else ("block", "blocks")
        parts.append(f"{f.created} new {one if f.created == 1 else many} "
                     f"({f.unchanged} already in the diary)")
    flash("Imported: " + "; ".join(parts) + ".")
    warnings = outcome.warnings()
    for w in warnings[:SHOWN_WARNINGS]:
        flash(f"Note: {w}")
    if outcome.warning_count > SHOWN_WARNINGS:  # the count: warnings() keeps only the first
        flash(f"… and {outcome.warning_count - SHOWN_WARNINGS:,} more notes like these.")
    return redirect(url_for("records.patient_records", patient_id=patient.id))


@bp.route("/export", methods=["GET", "POST"])
@clinician_required
def export_clinic():
    form = ClinicExportForm()
    if form.validate_on_submit() and (dates := form.dates()) is not None:
        patients = list(db.session.scalars(
            sa.select(Patient).where(patients_of(current_user)).order_by(Patient.id)))
        job = prepare(form.what.data, patients, current_user.id,
                      include_deleted=form.include_deleted.data, dates=dates)
        span = "".join(f"-{word}-{d.isoformat()}" for word, d in
                       (("from", dates.first), ("to", dates.last)) if d is not None)
        return _csv_response(job, f"clinic-{form.what.data}{span}.csv", patients, dates=dates,
                             clinic=True)
    status = 400 if request.method == "POST" else 200
    return render_template("records/clinic.html", form=form), status
