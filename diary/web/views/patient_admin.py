"""Patient management: edit details, discharge and reopen, hand over to another consultant."""

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_login import current_user

from diary.clinical import vocab
from diary.data.clock import now
from diary.services import patients, staff
from diary.services.accounts import Refused
from diary.web.forms.common import ConfirmForm
from diary.web.forms.patients import HandoverForm, PatientForm
from diary.web.security import can, patient_or_404, staff_required

bp = Blueprint("patient_admin", __name__, url_prefix="/clinic")


def _actor():
    return current_user._get_current_object()


def _back(patient):
    return redirect(url_for("clinic.patient", patient_id=patient.id))


@bp.route("/patients/<int:patient_id>/edit", methods=["GET", "POST"])
@staff_required("manage_patient")
def edit(patient_id: int):
    patient = patient_or_404(patient_id, "manage_patient")
    form = PatientForm(obj=patient)  # a field left out of a post stays as it is
    if form.validate_on_submit():
        if patients.record_taken(patient.clinic_id, form.record_number.data or None,
                                 but=patient.id):
            form.record_number.errors = [patients.RECORD_TAKEN]
        else:
            try:
                changed = patients.update_details(_actor(), patient, form.data)
            except Refused as refused:  # the form's rules and the service's are the same
                form.form_errors.append(str(refused))
            else:
                flash("The patient's details are saved." if changed else "Nothing was changed.")
                return _back(patient)
    return render_template("clinic/patient_edit.html", form=form, patient=patient)


@bp.route("/patients/<int:patient_id>/discharge", methods=["GET", "POST"])
@staff_required("discharge")
def discharge(patient_id: int):
    patient = patient_or_404(patient_id, "discharge")
    form = ConfirmForm()
    if form.validate_on_submit():
        if patients.discharge(_actor(), patient, now()):
            flash(f"{patient.display_name} is discharged: the diary is closed to new entries. "
                  "Find them under “Discharged patients”.")
        else:
            flash(f"{patient.display_name} was already discharged.")
        return _back(patient)
    return render_template("clinic/discharge.html", form=form, patient=patient)


@bp.post("/patients/<int:patient_id>/reopen")
@staff_required("discharge")
def reopen(patient_id: int):
    patient = patient_or_404(patient_id, "discharge")
    if ConfirmForm().validate_on_submit():
        if patients.reopen(_actor(), patient):
            flash(f"{patient.display_name}'s diary is open again and back on the patient list.")
        else:
            flash(f"{patient.display_name}'s diary was already open.")
    return _back(patient)


@bp.route("/patients/<int:patient_id>/handover", methods=["GET", "POST"])
@staff_required("discharge")
def handover(patient_id: int):
    patient = patient_or_404(patient_id, "discharge")
    consultants = staff.consultants(patient.clinic_id)
    form = HandoverForm.for_patient(consultants, patient.clinician_id)
    if form.validate_on_submit():
        try:
            chosen = patients.hand_over(_actor(), patient, form.consultant_id)
        except Refused as refused:
            form.consultant.errors = [str(refused)]
        else:
            flash(f"{patient.display_name} is now in the care of {chosen.name}.")
            if can("see", patient):
                return _back(patient)
            return redirect(url_for("clinic.patients"))  # a list of one's own patients only
    return render_template("clinic/handover.html", form=form, patient=patient,
                           others=len(form.consultant.choices) > 1, vocab=vocab)
