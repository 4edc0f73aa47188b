"""The consultant's side: patients, invites and each patient's diary."""

from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user

from .. import audit, invites, patient_list, vocab
from ..extensions import db
from ..follow_up import follow_up
from ..forms import ConfirmForm, PatientForm
from ..models import Entry, Patient
from ..qr import qr_svg
from ..records import load_clinic_records, settings_for
from ..security import clinician_required, now, patient_or_404, patients_of

bp = Blueprint("clinic", __name__, url_prefix="/clinic")
ENTRY_PAGE = 500


@bp.get("/")
@clinician_required
def patients():
    order = patient_list.Order.parse(request.args.get("sort"), request.args.get("dir"))
    query = patient_list.clean_query(request.args.get("q"))
    everyone = list(db.session.scalars(
        sa.select(Patient).where(patients_of(current_user), Patient.archived_at.is_(None))))
    # Searched in Python (casefold, any script): the text typed never reaches the SQL.
    found = [p for p in everyone if patient_list.matches(p, query)]
    records = load_clinic_records(p.id for p in found)
    rows = patient_list.build_rows(found, records, settings_for(current_user.id), now())
    return render_template("clinic/patients.html", rows=patient_list.sort_rows(rows, order),
                           total=len(everyone), q=query, order=order, vocab=vocab)


@bp.route("/patients/new", methods=["GET", "POST"])
@clinician_required
def new_patient():
    form = PatientForm()
    if form.validate_on_submit():
        if _record_taken(form.record_number.data):
            form.record_number.errors = ["You already have a patient with this record number."]
        else:
            patient = Patient(clinician_id=current_user.id, created_at=now(),
                              **_patient_values(form))
            db.session.add(patient)
            db.session.flush()
            audit.record("patient.create", "patient", patient.id, patient_id=patient.id,
                         after=_patient_values(form))
            db.session.commit()
            flash(f"{patient.display_name} is added. Now give them their invite.")
            return redirect(url_for("clinic.patient", patient_id=patient.id))
    return render_template("clinic/patient_form.html", form=form)


def _patient_values(form: PatientForm) -> dict:
    return {"display_name": form.display_name.data,
            "record_number": form.record_number.data or None,
            "treated_side": form.treated_side.data, "condition": form.condition.data,
            "temp_unit": form.temp_unit.data, "timezone": form.timezone.data}


def _record_taken(record: str | None) -> bool:
    return bool(record) and db.session.scalar(sa.select(Patient.id).where(
        Patient.clinician_id == current_user.id, Patient.record_number == record)) is not None


@bp.get("/patients/<int:patient_id>")
@clinician_required
def patient(patient_id: int):
    patient = patient_or_404(patient_id)
    fu = follow_up(patient, now())
    rows = list(db.session.scalars(
        sa.select(Entry).where(Entry.patient_id == patient.id, Entry.deleted_at.is_(None))
        .order_by(Entry.observed_at.desc()).limit(ENTRY_PAGE)))
    blocks = sorted(fu.blocks.values(), key=lambda b: b.performed_at, reverse=True)
    audit.record_view("patient.view", "patient", patient.id, patient_id=patient.id)
    return render_template("clinic/patient.html", patient=patient, entries=rows, blocks=blocks,
                           fu=fu, tz=ZoneInfo(patient.timezone), vocab=vocab, form=ConfirmForm())


@bp.get("/patients/<int:patient_id>/summary")
@clinician_required
def summary(patient_id: int):
    """The follow-up summary to print and file: verdict cards, charts, key numbers."""
    patient = patient_or_404(patient_id)
    fu = follow_up(patient, now())
    audit.record_view("patient.summary", "patient", patient.id, patient_id=patient.id)
    return render_template("clinic/summary.html", patient=patient, fu=fu,
                           tz=ZoneInfo(patient.timezone), vocab=vocab, printed_at=now())


@bp.post("/patients/<int:patient_id>/invite")
@clinician_required
def invite(patient_id: int):
    patient = patient_or_404(patient_id)
    if not ConfirmForm().validate_on_submit():
        return redirect(url_for("clinic.patient", patient_id=patient.id))
    token = invites.issue(patient, current_user, now(), current_app.config["INVITE_DAYS"])
    db.session.commit()
    link = url_for("auth.accept_invite", token=token, _external=True)
    return render_template("clinic/invite.html", patient=patient, link=link,
                           qr=qr_svg(link), days=current_app.config["INVITE_DAYS"])
