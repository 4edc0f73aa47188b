"""CSV out and in, for clinicians: one patient's records, or the whole clinic's.

Exports are POSTs: each writes an audit event, so it must not be triggered from another site
(CSRF) and takes the write transaction properly on SQLite. The file then streams from a
connection of its own (diary.data.exports), so a million rows never sit in memory.
"""

import re
from datetime import timedelta

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

from diary.data import fhir_export
from diary.data.clock import now
from diary.data.db import db
from diary.data.exports import WHATS, chunks, prepare
from diary.data.models import Patient
from diary.interchange import csv_export
from diary.services import imports as imports_db
from diary.services.exports import audited
from diary.web.forms.common import ConfirmForm
from diary.web.forms.records import WHAT_LABELS, ClinicExportForm, ExportForm, ImportForm
from diary.web.security import patient_or_404, patients_of, staff_required

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
                           fhir_form=ConfirmForm(), outcome=outcome), status


@bp.get("/patients/<int:patient_id>/records")
@staff_required("export")
def patient_records(patient_id: int):
    return _page(patient_or_404(patient_id, "export"))


@bp.post("/patients/<int:patient_id>/export")
@staff_required("export")
def export_patient(patient_id: int):
    patient = patient_or_404(patient_id, "export")
    form = ExportForm()
    what = request.form.get("what", "")
    if not form.validate_on_submit() or what not in WHATS:
        abort(400)
    job = prepare(what, [patient], current_user.id, include_deleted=form.include_deleted.data)
    return _csv_response(job, f"{_safe(job.labels[patient.id])}-{what}.csv", [patient])


@bp.post("/patients/<int:patient_id>/import")
@staff_required("import")
def import_patient(patient_id: int):
    patient = patient_or_404(patient_id, "import")
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
@staff_required("export")
def export_clinic():
    form = ClinicExportForm()
    if form.validate_on_submit() and (dates := form.dates()) is not None:
        patients = list(db.session.scalars(
            sa.select(Patient).where(patients_of(current_user, "export")).order_by(Patient.id)))
        job = prepare(form.what.data, patients, current_user.id,
                      include_deleted=form.include_deleted.data, dates=dates)
        span = "".join(f"-{word}-{d.isoformat()}" for word, d in
                       (("from", dates.first), ("to", dates.last)) if d is not None)
        return _csv_response(job, f"clinic-{form.what.data}{span}.csv", patients, dates=dates,
                             clinic=True)
    status = 400 if request.method == "POST" else 200
    return render_template("records/clinic.html", form=form, fhir_form=ConfirmForm()), status


# ---------------------------------------------------------------------- FHIR R4 (docs/fhir.md)

FHIR_JSON = "application/fhir+json"
FHIR_WHAT = "fhir"   # audited as export.fhir / export.clinic.fhir


def _download(body, content_type: str, filename: str) -> Response:
    response = Response(stream_with_context(body), content_type=content_type)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/patients/<int:patient_id>/export-fhir")
@staff_required("export")
def export_patient_fhir(patient_id: int):
    """The patient's FHIR R4 `collection` Bundle, audited like the CSV files."""
    patient = patient_or_404(patient_id, "export")
    if not ConfirmForm().validate_on_submit():
        abort(400)
    job = fhir_export.prepare([patient], current_user.id)
    body = audited(fhir_export.bundle_chunks(job, now()), FHIR_WHAT,
                   current_user._get_current_object(), [patient])
    return _download(body, f"{FHIR_JSON}; charset=utf-8",
                     f"{_safe(patient.record_label)}-fhir.json")


@bp.post("/export-fhir")
@staff_required("export")
def export_clinic_fhir():
    """Every patient's resources as NDJSON, one file per resource type, in one zip."""
    if not ConfirmForm().validate_on_submit():
        abort(400)
    patients = list(db.session.scalars(
        sa.select(Patient).where(patients_of(current_user, "export")).order_by(Patient.id)))
    job = fhir_export.prepare(patients, current_user.id)
    body = audited(fhir_export.ndjson_zip(job, now()), FHIR_WHAT,
                   current_user._get_current_object(), patients, clinic=True)
    return _download(body, "application/zip", "clinic-fhir-ndjson.zip")


# ----------------------------------------------------------------- the CSV template for import

TEMPLATE_NOTE = "Example row: replace it with your own readings"


def template_row(today) -> dict[str, str]:
    """One plausible entry, by column: yesterday at 09:00 in the patient's own zone (no
    offset), so the row is never in the future nor too old for a patient's record."""
    when = (today - timedelta(days=1)).isoformat() + "T09:00"
    return {"observed_at": when, "pain": "6", "temp_treated_c": "29.5", "temp_other_c": "31.0",
            "colour": "pale_white", "feels": "colder", "walk_pain_free_min": "10",
            "walk_max_min": "25", "swelling": "mild", "sweating": "less",
            "side_effects": "back_soreness;bruising", "rescue_medication": "no",
            "notes": TEMPLATE_NOTE, "did_not_walk": "no", "touch_pain": "mild",
            "night_rest_pain": "no", "wound": "none", "pgic": "no_change"}


def entries_template(today) -> bytes:
    """The entries file's header (`csv_export.ENTRY_COLUMNS`) and one example row, with the
    export's BOM and CRLF. The ids, patient record and bookkeeping columns are left empty:
    the import does not read them (an empty entry_id is a new entry)."""
    row = template_row(today)
    cells = [csv_export.text(row.get(name, "")) for name in csv_export.ENTRY_COLUMNS]
    return b"".join(csv_export.document(csv_export.ENTRY_COLUMNS, [csv_export.line(cells)]))


@bp.get("/records/entries-template.csv")
@staff_required("import")
def entries_template_csv():
    body = entries_template(now().date())
    response = Response(body, content_type="text/csv; charset=utf-8")
    response.headers["Content-Disposition"] = 'attachment; filename="entries-template.csv"'
    response.headers["Cache-Control"] = "no-store"
    return response
