"""The consultant records, corrects and deletes the blocks of their own patients."""

from zoneinfo import ZoneInfo

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user

from diary.clinical import vocab
from diary.clinical.localtime import LOCAL_FORMAT
from diary.data.clock import now
from diary.services import blocks
from diary.web.forms.blocks import FEET, TEMP_ROWS, BlockForm, temp_field_name
from diary.web.forms.common import ConfirmForm
from diary.web.security import block_or_404, patient_or_404, staff_required

bp = Blueprint("blocks", __name__, url_prefix="/clinic")


def _back(patient_id: int):
    return redirect(url_for("clinic.patient", patient_id=patient_id, _anchor="blocks"))


def _page(form, patient, block=None):
    return render_template("clinic/block_form.html", form=form, patient=patient, block=block,
                           vocab=vocab, feet=FEET, rows=TEMP_ROWS, name=temp_field_name)


@bp.route("/patients/<int:patient_id>/blocks/new", methods=["GET", "POST"])
@staff_required("record_block")
def new_block(patient_id: int):
    patient = patient_or_404(patient_id, "record_block")
    form = BlockForm()
    if request.method == "GET":
        form.performed_at.data = now().astimezone(ZoneInfo(patient.timezone)).strftime(
            LOCAL_FORMAT)
        form.side.data = patient.treated_side
        form.temp_unit.data = patient.temp_unit
    elif form.check(patient.timezone, now(), patient.created_at):
        blocks.create(patient, form.values(patient.timezone), current_user)
        flash("The block is recorded.")
        if form.twice:
            flash(form.twice)
        return _back(patient.id)
    return _page(form, patient)


@bp.route("/blocks/<int:block_id>/edit", methods=["GET", "POST"])
@staff_required("record_block")
def edit_block(block_id: int):
    block = block_or_404(block_id)
    patient = block.patient
    form = BlockForm()
    if request.method == "GET":
        form.fill_from(block, patient.timezone, patient.temp_unit)
    elif form.check(patient.timezone, now(), patient.created_at):
        changed = blocks.update(block, form.values(patient.timezone), current_user)
        flash("The block is changed." if changed else "Nothing was changed.")
        if form.twice:
            flash(form.twice)
        return _back(patient.id)
    return _page(form, patient, block)


@bp.route("/blocks/<int:block_id>/delete", methods=["GET", "POST"])
@staff_required("record_block")
def delete_block(block_id: int):
    block = block_or_404(block_id)
    form = ConfirmForm()
    if form.validate_on_submit():
        blocks.soft_delete(block, current_user)
        flash("The block is deleted.")
        return _back(block.patient_id)
    return render_template("clinic/block_delete.html", form=form, block=block,
                           patient=block.patient, vocab=vocab)
