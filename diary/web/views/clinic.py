"""The consultant's side: patients, invites and each patient's diary."""

from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user

from diary.clinical import patient_list, vocab
from diary.data import clinic_list
from diary.data.clock import now
from diary.data.models import Invite, Patient
from diary.services import audit, invites, staff, summaries
from diary.services.accounts import Refused
from diary.services.patients import RECORD_TAKEN, create_patient, record_taken
from diary.web import paging
from diary.web.follow_up import follow_up
from diary.web.forms.common import ConfirmForm
from diary.web.forms.patients import NewPatientForm
from diary.web.qr import qr_svg
from diary.web.security import patient_or_404, patients_of, staff_required

bp = Blueprint("clinic", __name__, url_prefix="/clinic")
ENTRY_PAGE = 100  # entries per page of the patient page's table


@bp.get("/")
@staff_required("see")
def patients():
    # ?show=discharged: the closed diaries, by name unless asked otherwise.
    discharged = request.args.get("show") == "discharged"
    order = patient_list.Order.parse(
        request.args.get("sort") or ("name" if discharged else None), request.args.get("dir"))
    query = patient_list.clean_query(request.args.get("q"))
    number = patient_list.page_number(request.args.get("page"))
    if number is None:
        abort(400)
    mine = sa.select(Patient.id).where(patients_of(current_user),
                                       clinic_list.in_view(discharged))
    # Lines gone stale with time (or never made) are computed now; a timer usually has.
    summaries.refresh_stale(mine, now())
    listed = clinic_list.page(patients_of(current_user), query, order, number, discharged)
    return render_template("clinic/patients.html", page=listed, rows=listed.rows,
                           total=listed.total, q=query, order=order, vocab=vocab,
                           show="discharged" if discharged else None,
                           other=clinic_list.count(patients_of(current_user), not discharged))


@bp.route("/patients/new", methods=["GET", "POST"])
@staff_required("manage_patient")
def new_patient():
    clinic = staff.clinic_of(current_user, "manage_patient")
    form = NewPatientForm.for_clinic(staff.consultants(clinic.id), current_user.id)
    if form.validate_on_submit():
        if record_taken(clinic.id, form.record_number.data):
            form.record_number.errors = [RECORD_TAKEN]
        else:
            try:
                patient, _ = create_patient(
                    current_user._get_current_object(), form.data, now(),
                    consultant_id=form.consultant_id, key=current_app.config["SECRET_KEY"],
                    invite_days=current_app.config["INVITE_DAYS"])
            except Refused as refused:
                form.consultant.errors = [str(refused)]
            else:
                flash(f"{patient.display_name} is added. Here is their invite.")
                return redirect(url_for("clinic.invite", patient_id=patient.id))
    return render_template("clinic/patient_form.html", form=form)


@bp.get("/patients/<int:patient_id>")
@staff_required("see")
def patient(patient_id: int):
    patient = patient_or_404(patient_id)
    page = paging.entries_page(patient.id, ENTRY_PAGE)  # first: a bad cursor is a 400
    fu = follow_up(patient, now())
    blocks = sorted(fu.blocks.values(), key=lambda b: b.performed_at, reverse=True)
    # Not joined yet: the page leads with the invite (is one waiting to be shown?).
    invite_live = patient.user_id is None and invites.live(
        Invite.patient_id == patient.id, now()) is not None
    audit.viewed("patient.view", "patient", patient.id, patient_id=patient.id)
    return render_template("clinic/patient.html", patient=patient, page=page, blocks=blocks,
                           entry_count=sum(day.n for day in fu.analysis.daily_means),
                           fu=fu, tz=ZoneInfo(patient.timezone), vocab=vocab, form=ConfirmForm(),
                           invite_live=invite_live)


@bp.get("/patients/<int:patient_id>/summary")
@staff_required("see")
def summary(patient_id: int):
    """The follow-up summary to print and file: verdict cards, charts, key numbers."""
    patient = patient_or_404(patient_id)
    fu = follow_up(patient, now())
    audit.viewed("patient.summary", "patient", patient.id, patient_id=patient.id)
    return render_template("clinic/summary.html", patient=patient, fu=fu,
                           tz=ZoneInfo(patient.timezone), vocab=vocab, printed_at=now())


@bp.route("/patients/<int:patient_id>/invite", methods=["GET", "POST"])
@staff_required("manage_patient")
def invite(patient_id: int):
    """GET: the patient's live invite, its link and QR code, the same on every reload.
    POST ("Issue a new invite"): a new one that replaces it, then back to GET."""
    patient = patient_or_404(patient_id, "manage_patient")
    form = ConfirmForm()
    key, days = current_app.config["SECRET_KEY"], current_app.config["INVITE_DAYS"]
    if request.method == "POST":
        if patient.archived_at is not None:
            flash("The diary is closed. Reopen it before giving the patient an invite.")
        elif form.validate_on_submit():
            invites.issue(patient, current_user, now(), days, key)
            flash("Here is the new invite. Any earlier one no longer works.")
        return redirect(url_for("clinic.invite", patient_id=patient.id))
    live = invites.live(Invite.patient_id == patient.id, now())
    token = invites.shown_again(live, key)
    link = token and url_for("auth.accept_invite", token=token, _external=True)
    if link:
        audit.viewed("invite.view", "invite", live.id, patient_id=patient.id)
    return render_template("clinic/invite.html", patient=patient, form=form, link=link,
                           qr=link and qr_svg(link), live=live, days=days)
