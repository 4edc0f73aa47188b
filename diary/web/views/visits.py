"""The consultant records, corrects and deletes the clinic visits of their own patients, with
the Fontaine stage seen at each (docs/clinical.md §7)."""

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from diary.clinical import limits, vocab
from diary.data.clock import now
from diary.data.db import db
from diary.data.models import ClinicVisit
from diary.services import visits
from diary.web.forms.common import ConfirmForm
from diary.web.forms.visits import VisitForm
from diary.web.security import patient_or_404, patients_of, staff_required

bp = Blueprint("visits", __name__, url_prefix="/clinic")


def visit_or_404(visit_id: int) -> ClinicVisit:
    """A live visit of a patient the current user may see (the one rule, `patients_of`)."""
    visit = db.session.scalar(
        sa.select(ClinicVisit).join(ClinicVisit.patient)
        .where(ClinicVisit.id == visit_id, ClinicVisit.deleted_at.is_(None),
               patients_of(current_user, "record_visit")))
    if visit is None:
        abort(404)
    return visit


def _back(patient_id: int):
    return redirect(url_for("clinic.patient", patient_id=patient_id, _anchor="visits"))


def _page(form, patient, visit=None, deleting=False):
    return render_template("clinic/visit_form.html", form=form, patient=patient, visit=visit,
                           deleting=deleting, vocab=vocab, today=visits.today_for(patient, now()),
                           first=limits.FIRST_DATE)


@bp.route("/patients/<int:patient_id>/visits/new", methods=["GET", "POST"])
@staff_required("record_visit")
def new_visit(patient_id: int):
    patient = patient_or_404(patient_id, "record_visit")
    form = VisitForm()
    if request.method == "GET":
        form.visited_on.data = visits.today_for(patient, now()).isoformat()
    elif form.check(patient, now()):
        visits.create(patient, form.values(), current_user, now())
        flash("The clinic visit is recorded.")
        return _back(patient.id)
    return _page(form, patient)


@bp.route("/visits/<int:visit_id>/edit", methods=["GET", "POST"])
@staff_required("record_visit")
def edit_visit(visit_id: int):
    visit = visit_or_404(visit_id)
    patient = visit.patient
    form = VisitForm()
    if request.method == "GET":
        form.fill_from(visit)
    elif form.check(patient, now()):
        changed = visits.update(visit, form.values(), current_user, now())
        flash("The clinic visit is changed." if changed else "Nothing was changed.")
        return _back(patient.id)
    return _page(form, patient, visit)


@bp.route("/visits/<int:visit_id>/delete", methods=["GET", "POST"])
@staff_required("record_visit")
def delete_visit(visit_id: int):
    visit = visit_or_404(visit_id)
    form = ConfirmForm()
    if form.validate_on_submit():
        visits.soft_delete(visit, current_user)
        flash("The clinic visit is deleted.")
        return _back(visit.patient_id)
    return _page(form, visit.patient, visit, deleting=True)
