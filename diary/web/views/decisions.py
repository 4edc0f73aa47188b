"""The consultant's decision on each block: agree or not with the verdict, the plan, a note.

The page checks and saves through `diary/services/decisions.py`, the same rules and audit as
the API's `PUT /api/v1/blocks/{id}/decision`. A date is taken with any plan (the service's
rule, so the page and the API agree): it is required for a repeat block, and for the other
plans it is the day of the referral, treatment or discharge, when there is one.
"""

from typing import NamedTuple
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import Blueprint, flash, g, redirect, render_template, request, url_for
from flask_login import current_user

from diary.clinical import vocab
from diary.clinical.analysis import analyse_patient
from diary.clinical.patient_list import VERDICT_LABELS
from diary.clinical.relief import BlockAnalysis
from diary.clinical.summary import FOLLOW_UP, PENDING
from diary.data import loaders
from diary.data.clinic_settings import settings_for
from diary.data.clock import now
from diary.data.db import db
from diary.data.models import Block, BlockDecision, Patient, User
from diary.services import decisions
from diary.web.forms.decisions import DecisionForm
from diary.web.security import block_or_404, staff_required

bp = Blueprint("decisions", __name__, url_prefix="/clinic")

SAVED = {"created": "The decision is recorded.", "updated": "The decision is changed.",
         "unchanged": "Nothing was changed."}


class Shown(NamedTuple):
    """A decision as the pages show it: the row and the name of who made it."""

    decision: BlockDecision
    by: str


@bp.app_template_global()
def decisions_of(patient: Patient) -> dict[int, Shown]:
    """The decisions on the patient's blocks by block id, read once a request (the patient
    page and the summary, which the view has already let the person see)."""
    if not (current_user.is_authenticated and current_user.is_staff):
        return {}
    cache = g.setdefault("block_decisions", {})
    if patient.id not in cache:
        rows = db.session.execute(
            sa.select(BlockDecision, User.name)
            .join(Block, Block.id == BlockDecision.block_id)
            .join(User, User.id == BlockDecision.decided_by)
            .where(Block.patient_id == patient.id, Block.deleted_at.is_(None)))
        cache[patient.id] = {d.block_id: Shown(d, name) for d, name in rows}
    return cache[patient.id]


def verdict_words(b: BlockAnalysis) -> str:
    """The block's computed verdict as the patient page words it."""
    if b.planned:
        return "Booked: not judged yet"
    if b.limb_follow_up is not None:
        return VERDICT_LABELS[FOLLOW_UP]
    if b.pending:
        return VERDICT_LABELS[PENDING]
    return VERDICT_LABELS.get(b.verdict, "Not judged")


def analysis_of(block: Block) -> BlockAnalysis:
    """The block's analysis now, as the patient page computes it (clinician's settings)."""
    patient = block.patient
    entries, blocks = loaders.load_patient_records(patient)
    result = analyse_patient(entries, blocks, settings_for(patient.clinician_id),
                             patient.timezone, now(), visits=loaders.load_visit_records(patient))
    return next(b for b in result.blocks if b.block.id == block.id)


@bp.route("/blocks/<int:block_id>/decision", methods=["GET", "POST"])
@staff_required("decide")
def decide(block_id: int):
    block = block_or_404(block_id, "decide")
    patient = block.patient
    tz = ZoneInfo(patient.timezone)
    today = now().astimezone(tz).date()
    existing = decisions.current(block)
    form = DecisionForm()
    if request.method == "GET" and existing is not None:
        form.fill_from(existing)
    elif request.method == "POST" and form.check(today):
        try:
            _, outcome = decisions.decide(
                block, form.values(), current_user._get_current_object(), now(), today)
        except decisions.Invalid as refused:  # changed between the check and the save
            form.put(refused.errors)
        else:
            flash(SAVED[outcome])
            return redirect(url_for("clinic.patient", patient_id=patient.id,
                                    _anchor=f"decision-{block.id}"))
    analysis = analysis_of(block)
    return render_template("clinic/decision_form.html", form=form, block=block,
                           patient=patient, existing=existing, analysis=analysis,
                           verdict=verdict_words(analysis), today=today, tz=tz, vocab=vocab)
