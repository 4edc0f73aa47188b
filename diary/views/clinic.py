"""The consultant's side: patients, invites and each patient's diary."""

from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import Blueprint, current_app, flash, redirect, render_template, url_for
from flask_login import current_user

from .. import audit, invites, vocab
from ..extensions import db
from ..forms import ConfirmForm, PatientForm
from ..models import Block, Entry, Patient
from ..qr import qr_svg
from ..security import clinician_required, now, patient_or_404, patients_of

bp = Blueprint("clinic", __name__, url_prefix="/clinic")
ENTRY_PAGE = 500


@bp.get("/")
@clinician_required
def patients():
    last = (sa.select(Entry.patient_id, sa.func.max(Entry.observed_at).label("last"))
            .where(Entry.deleted_at.is_(None)).group_by(Entry.patient_id).subquery())
    rows = db.session.execute(
        sa.select(Patient, last.c.last).outerjoin(last, last.c.patient_id == Patient.id)
        .where(patients_of(current_user), Patient.archived_at.is_(None))
        .order_by(Patient.display_name)).all()
    return render_template("clinic/patients.html", rows=rows, vocab=vocab)


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
    rows = list(db.session.scalars(
        sa.select(Entry).where(Entry.patient_id == patient.id, Entry.deleted_at.is_(None))
        .order_by(Entry.observed_at.desc()).limit(ENTRY_PAGE)))
    blocks = list(db.session.scalars(
        sa.select(Block).where(Block.patient_id == patient.id, Block.deleted_at.is_(None))
        .order_by(Block.performed_at.desc())))
    return render_template("clinic/patient.html", patient=patient, entries=rows, blocks=blocks,
                           tz=ZoneInfo(patient.timezone), vocab=vocab, form=ConfirmForm())


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
