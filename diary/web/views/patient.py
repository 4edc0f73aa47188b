"""The patient's phone side: log how the leg is, look back, correct or delete an entry, and
the first-run screen that says what to record and when."""

import uuid
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user

from diary.clinical import charts, patient_prompts, vocab, wording
from diary.clinical.analysis import analyse_patient
from diary.clinical.localtime import LOCAL_FORMAT
from diary.clinical.records import BlockRecord
from diary.data.clinic_settings import settings_for
from diary.data.clock import now
from diary.data.db import db
from diary.data.loaders import load_block_records, load_patient_records, load_prompt_records
from diary.data.models import Entry
from diary.services import entries
from diary.services.patients import CLOSED
from diary.web import paging, pending
from diary.web.forms.common import ConfirmForm
from diary.web.forms.entry import ANSWER_WORDS, EntryForm
from diary.web.security import entry_or_404, own_patient, patient_required

bp = Blueprint("patient", __name__, url_prefix="/diary")
HISTORY_PAGE = 60


@bp.app_template_global()
def feet_of(side: str) -> wording.Feet:
    """The patient's feet in words ("Left foot (treated)"), for any page that names them."""
    return wording.feet(side)


@bp.app_template_filter()
def named_for(text: str, side: str | None) -> str:
    """The reading prompts' words with the patient's leg and foot named ("in your left leg")."""
    return wording.name_the_leg(text, side)


@bp.app_template_global()
def zone_words(tz: str) -> str:
    """The patient's time zone in plain words, now ("UK time", "New York time (UTC−4)")."""
    return wording.zone_words(tz, now())


@bp.route("/", methods=["GET", "POST"])
@patient_required
def new_entry():
    patient = own_patient()
    if patient.archived_at is not None:
        return _closed(patient)
    kept = pending.take() if request.method == "GET" else None
    form = EntryForm() if kept is None else EntryForm(formdata=kept)
    if kept is not None:
        form.warnings = {}
    elif request.method == "GET":
        form.client_id.data = str(uuid.uuid4())
        form.observed_at.data = now().astimezone(ZoneInfo(patient.timezone)).strftime(
            LOCAL_FORMAT)
        form.temp_unit.data = patient.temp_unit
    elif form.check(patient.timezone, now(), patient.created_at):
        try:
            _, created = entries.create_once(patient, form.client_id.data,
                                             form.values(patient.timezone), current_user)
        except entries.DuplicateConflict:
            form.client_id.errors = [
                "This form was already sent with different answers. Nothing new was saved: "
                "please check your history, then start a new entry."]
        else:
            flash("Saved. Thank you." if created else "That entry was already saved.")
            if form.twice:
                flash(form.twice)
            return redirect(url_for("patient.history"))
    t = now()
    blocks, prompts = _prompts(patient, t)
    form.offer(patient.treated_side,
               limb=patient_prompts.limb_questions(patient.condition, blocks, t),
               pgic="pgic" in prompts.asks, asked=prompts.asks)
    return render_template("patient/entry_form.html", form=form, patient=patient,
                           vocab=vocab, editing=None, prompts=prompts)


@bp.route("/entries/<entry_id>/edit", methods=["GET", "POST"])
@patient_required
def edit_entry(entry_id: str):
    entry = entry_or_404(entry_id)
    patient = entry.patient
    if patient.archived_at is not None:
        return _closed(patient)
    form = EntryForm()
    if request.method == "GET":
        form.fill_from(entry, patient.timezone, patient.temp_unit)
    else:
        form.client_id.data = entry.id
        if form.check(patient.timezone, now(), patient.created_at):
            changed = entries.update(entry, form.values(patient.timezone), current_user)
            flash("Your changes are saved." if changed else "Nothing was changed.")
            if form.twice:
                flash(form.twice)
            return redirect(url_for("patient.history"))
    # A correction asks nothing new: PGIC is shown only if the entry has (or is sent) one.
    t = now()
    form.offer(patient.treated_side, pgic=False, limb=patient_prompts.limb_questions(
        patient.condition, load_block_records(patient), t))
    return render_template("patient/entry_form.html", form=form, patient=patient,
                           vocab=vocab, editing=entry)


@bp.route("/entries/<entry_id>/delete", methods=["GET", "POST"])
@patient_required
def delete_entry(entry_id: str):
    entry = entry_or_404(entry_id)
    if entry.patient.archived_at is not None:
        return _closed(entry.patient)  # the readings are kept
    form = ConfirmForm()
    if form.validate_on_submit():
        entries.soft_delete(entry, current_user)
        flash("The entry is deleted.")
        return redirect(url_for("patient.history"))
    return render_template("patient/delete_entry.html", form=form, entry=entry,
                           patient=entry.patient, vocab=vocab, answers=ANSWER_WORDS)


@bp.get("/history")
@patient_required
def history():
    patient = own_patient()
    tz = ZoneInfo(patient.timezone)
    query = (sa.select(Entry)
             .where(Entry.patient_id == patient.id, Entry.deleted_at.is_(None))
             .order_by(Entry.observed_at.desc(), Entry.id.desc()).limit(HISTORY_PAGE + 1))
    # The id breaks ties: entries of the same minute may straddle two pages.
    cursor = paging.cursor(request.args.get("before"), request.args.get("before_id", ""))
    before = cursor and cursor[0]
    if cursor is not None:
        query = query.where(paging.older_than(cursor))
    rows = list(db.session.scalars(query))
    last = rows[HISTORY_PAGE - 1] if len(rows) > HISTORY_PAGE else None
    t = now()
    if before is None:  # the newest page shows the prompts: the recent entries they need
        blocks, prompts = _prompts(patient, t)
    else:
        blocks, prompts = load_block_records(patient), None
    shown = patient_prompts.blocks_between(blocks, last and last.observed_at, before, t)
    days = patient_prompts.history_days(rows[:HISTORY_PAGE], shown, tz)
    return render_template("patient/history.html", patient=patient, days=days, tz=tz,
                           older=last and last.observed_at, older_id=last and last.id,
                           prompts=prompts, vocab=vocab, answers=ANSWER_WORDS,
                           form=ConfirmForm())


@bp.get("/progress")
@patient_required
def progress():
    """The patient's own pain chart: the one page that loads the chart library."""
    patient = own_patient()
    records, blocks = load_patient_records(patient)
    analysis = analyse_patient(records, blocks, settings_for(patient.clinician_id),
                               patient.timezone, now())
    return render_template("patient/progress.html", patient=patient,
                           figure=charts.phone_figure(analysis),
                           caption=charts.phone_caption(analysis))


@bp.get("/account")
@patient_required
def account():
    patient = own_patient()
    return render_template("patient/account.html", patient=patient, form=ConfirmForm(),
                           zone=wording.zone_words(patient.timezone, now()))


@bp.get("/welcome")
@patient_required
def welcome():
    """The first-run screen, shown once an invite is accepted (and linked from the history):
    what to record, when, how to measure the temperature of their own feet, and where to
    install the diary and turn on reminders."""
    patient = own_patient()
    t = now()
    blocks = sorted(load_block_records(patient), key=lambda b: b.performed_at)
    booked = next((b for b in blocks if b.performed_at > t), None)
    # The block-day readings run hourly to 6 h, or 8 h for a long-acting agent, or to the
    # analysis window if that is longer (schedule._block_day).
    block = booked or (blocks[-1] if blocks else None)
    hours = 8 if block is not None and block.long_acting else max(
        6, settings_for(patient.clinician_id).window_hours)
    return render_template("patient/welcome.html", patient=patient, booked=booked,
                           hours=hours, tz=ZoneInfo(patient.timezone), vocab=vocab)


def _closed(patient):
    """The clinic has discharged the patient: the diary takes no new entry and no change
    (a POST is refused, nothing saved); the history stays readable."""
    return render_template("patient/entry_form.html", patient=patient, closed=CLOSED,
                           editing=None), 403 if request.method == "POST" else 200


def _prompts(patient, t) -> tuple[list[BlockRecord], patient_prompts.Prompts]:
    """The patient's blocks and reading prompts at `t`, from the blocks and the recent entries
    only (the schedule says which: loaders.load_prompt_records). Three queries, one schedule,
    the analysis at most once."""
    settings = settings_for(patient.clinician_id)
    records, blocks = load_prompt_records(patient, t, settings)
    return blocks, patient_prompts.prompts(records, blocks, patient.timezone, t, settings)
