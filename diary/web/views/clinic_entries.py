"""Readings entered by staff on a patient's behalf (shown as entered by them).

A nurse or consultant types a reading into a patient's diary (a paper diary brought to clinic,
a reading taken on the ward) with the patient's own form: the same fields and checks, the
patient's unit and time zone, saved by the same service (`entries.create_once`, audited) with
the staff member as `entered_by`. Wherever an entry is shown, `entered_by` names whoever
entered it when that was not the patient.
"""

import uuid
from zoneinfo import ZoneInfo

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user

from diary.clinical import patient_prompts, vocab
from diary.clinical.localtime import LOCAL_FORMAT
from diary.data.clock import now
from diary.data.loaders import load_block_records
from diary.services import entries
from diary.web.forms.entry import EntryForm
from diary.web.security import patient_or_404, staff_required

bp = Blueprint("clinic_entries", __name__, url_prefix="/clinic")

CLOSED = ("{name} is discharged: their diary is closed to new readings, so nothing was saved. "
          "Reopen the diary first to enter a reading.")
RESENT = ("This form was already sent with different answers. Nothing new was saved: please "
          "check the patient's entries, then start a new reading.")


@bp.app_template_filter()
def entered_by(entry, patient) -> str | None:
    """The name of whoever entered `entry` when it was not the patient themself, else None."""
    user = entries.enterer(entry, patient)
    if user is None:
        return None
    return user.name or user.email


@bp.route("/patients/<int:patient_id>/entries/new", methods=["GET", "POST"])
@staff_required("enter_reading")
def new_entry(patient_id: int):
    patient = patient_or_404(patient_id, "enter_reading")
    if patient.archived_at is not None:
        status = 409 if request.method == "POST" else 200
        return render_template("clinic/entry_form.html", patient=patient, form=None,
                               closed=CLOSED.format(name=patient.display_name),
                               vocab=vocab), status
    t = now()
    form = EntryForm()
    if request.method == "GET":
        form.client_id.data = str(uuid.uuid4())  # a double submit saves once (create_once)
        form.observed_at.data = t.astimezone(ZoneInfo(patient.timezone)).strftime(LOCAL_FORMAT)
        form.temp_unit.data = patient.temp_unit
    elif form.check(patient.timezone, t, patient.created_at):
        try:
            _, created = entries.create_once(patient, form.client_id.data,
                                             form.values(patient.timezone), current_user)
        except entries.DuplicateConflict:
            form.client_id.errors = [RESENT]
        else:
            flash(f"The reading is saved in {patient.display_name}'s diary, entered by you."
                  if created else "That reading was already saved.")
            if form.twice:
                flash(form.twice)
            return redirect(url_for("clinic.patient", patient_id=patient.id, _anchor="entries"))
    # The questions the patient's form would offer: the limb ones to whom they are for; PGIC
    # ("since your block") once a block is done, since staff may copy a day of any prompt.
    blocks = load_block_records(patient)
    form.offer(patient.treated_side,
               limb=patient_prompts.limb_questions(patient.condition, blocks, t),
               pgic=any(b.performed_at <= t for b in blocks))
    return render_template("clinic/entry_form.html", patient=patient, form=form, closed=None,
                           vocab=vocab)
