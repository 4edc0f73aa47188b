"""The consultant's side: patients, invites and each patient's diary."""

from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user

from diary.clinical import patient_list, vocab
from diary.data import clinic_list
from diary.data.clock import now
from diary.data.models import Patient
from diary.services import audit, invites, summaries
from diary.services.patients import create_patient, record_taken
from diary.web import paging
from diary.web.follow_up import follow_up
from diary.web.forms.common import ConfirmForm
from diary.web.forms.patients import PatientForm
from diary.web.qr import qr_svg
from diary.web.security import clinician_required, patient_or_404, patients_of

bp = Blueprint("clinic", __name__, url_prefix="/clinic")
ENTRY_PAGE = 100  # entries per page of the patient page's table


@bp.get("/")
@clinician_required
def patients():
    order = patient_list.Order.parse(request.args.get("sort"), request.args.get("dir"))
    query = patient_list.clean_query(request.args.get("q"))
    number = patient_list.page_number(request.args.get("page"))
    if number is None:
        abort(400)
    mine = sa.select(Patient.id).where(patients_of(current_user))
    # Lines gone stale with time (or never made) are computed now; a timer usually has.
    summaries.refresh_stale(mine, now())
    listed = clinic_list.page(patients_of(current_user), query, order, number)
    return render_template("clinic/patients.html", page=listed, rows=listed.rows,
                           total=listed.total, q=query, order=order, vocab=vocab)


@bp.route("/patients/new", methods=["GET", "POST"])
@clinician_required
def new_patient():
    form = PatientForm()
    if form.validate_on_submit():
        if record_taken(current_user, form.record_number.data):
            form.record_number.errors = ["You already have a patient with this record number."]
        else:
            patient, _ = create_patient(current_user._get_current_object(), form.data, now())
            flash(f"{patient.display_name} is added. Now give them their invite.")
            return redirect(url_for("clinic.patient", patient_id=patient.id))
    return render_template("clinic/patient_form.html", form=form)


@bp.get("/patients/<int:patient_id>")
@clinician_required
def patient(patient_id: int):
    patient = patient_or_404(patient_id)
    page = paging.entries_page(patient.id, ENTRY_PAGE)  # first: a bad cursor is a 400
    fu = follow_up(patient, now())
    blocks = sorted(fu.blocks.values(), key=lambda b: b.performed_at, reverse=True)
    audit.viewed("patient.view", "patient", patient.id, patient_id=patient.id)
    return render_template("clinic/patient.html", patient=patient, page=page, blocks=blocks,
                           entry_count=sum(day.n for day in fu.analysis.daily_means),
                           fu=fu, tz=ZoneInfo(patient.timezone), vocab=vocab, form=ConfirmForm())


@bp.get("/patients/<int:patient_id>/summary")
@clinician_required
def summary(patient_id: int):
    """The follow-up summary to print and file: verdict cards, charts, key numbers."""
    patient = patient_or_404(patient_id)
    fu = follow_up(patient, now())
    audit.viewed("patient.summary", "patient", patient.id, patient_id=patient.id)
    return render_template("clinic/summary.html", patient=patient, fu=fu,
                           tz=ZoneInfo(patient.timezone), vocab=vocab, printed_at=now())


@bp.post("/patients/<int:patient_id>/invite")
@clinician_required
def invite(patient_id: int):
    patient = patient_or_404(patient_id)
    if not ConfirmForm().validate_on_submit():
        return redirect(url_for("clinic.patient", patient_id=patient.id))
    token = invites.issue(patient, current_user, now(), current_app.config["INVITE_DAYS"])
    link = url_for("auth.accept_invite", token=token, _external=True)
    return render_template("clinic/invite.html", patient=patient, link=link,
                           qr=qr_svg(link), days=current_app.config["INVITE_DAYS"])
