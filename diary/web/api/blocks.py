"""Blocks, their analysis and the consultant's decision through the API (docs/api.md). Staff
only: a device token gets 404 here, as for anything not its own.

- `GET /api/v1/patients/{id}/blocks` (a page at a time, oldest first), `GET /api/v1/blocks/{id}`:
  the block as recorded, clinic temperatures in °C, times with the patient's offset.
- `GET /api/v1/blocks/{id}/analysis`: the block's analysis as the consultant's page computes
  it (`analyse_patient` over the same loaders and settings, `diary/web/follow_up.py`).
- `GET` / `PUT /api/v1/blocks/{id}/decision`: the consultant's decision, checked and saved by
  `diary/services/decisions.py` (one rule set; audited `decision.create` / `decision.update`).
"""

from dataclasses import fields, is_dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

import marshmallow as ma
import sqlalchemy as sa
from flask import request

from diary.clinical import vocab
from diary.clinical.analysis import analyse_patient
from diary.clinical.patient_list import VERDICT_LABELS
from diary.data import loaders
from diary.data.clinic_settings import settings_for
from diary.data.clock import now
from diary.data.models import Block, BlockDecision
from diary.services import decisions
from diary.web.api import common, problems
from diary.web.api.auth import bearer_required, caller, limited, note_patient
from diary.web.api.common import FieldsProblem, problem_doc
from diary.web.security import api_patient_or_404, api_row_or_404

blp = common.blueprint("api_blocks", "Blocks, their analysis and the consultant's decision "
                                     "(staff only).")
MINUTES = (0, 5, 10, 15, 20, 30)
BODY_MAX = 16 * 1024
NOT_SAVED = "The decision was not saved"
FIX = "Please look at the marked answers."
NOT_AN_OBJECT = "Please send the decision as a JSON object."
NOT_JSON = "Please send the decision as application/json."
TEXT = "Please send this answer as text."
NO_DECISION = "No decision has been recorded on this block yet."


# ------------------------------------------------------------------ blocks

class ClinicTemperature(ma.Schema):
    minute = ma.fields.Integer(metadata={"enum": list(MINUTES),
                                         "description": "Minutes after the block; 0 is before"})
    treated_c = ma.fields.Float(allow_none=True)
    other_c = ma.fields.Float(allow_none=True)


class BlockOut(ma.Schema):
    id = ma.fields.Integer()
    patient_id = ma.fields.Integer()
    performed_at = ma.fields.String(metadata=common.TIME)
    side = ma.fields.String(metadata={"enum": list(vocab.SIDES)})
    kind = ma.fields.String(metadata={"enum": list(vocab.BLOCK_KINDS)})
    kind_label = ma.fields.String()
    level = ma.fields.String()
    agent = ma.fields.String()
    volume_ml = ma.fields.Float(allow_none=True)
    long_acting = ma.fields.Boolean()
    pre_pain = ma.fields.Integer(allow_none=True)
    clinic_temperatures = ma.fields.List(ma.fields.Nested(ClinicTemperature), metadata={
        "description": "The clinic's skin temperatures (°C) before and after the block, "
                       "the minutes measured only"})
    somatic_spread = ma.fields.Boolean()
    sedation = ma.fields.Boolean()
    confirmed_other_means = ma.fields.Boolean()
    notes = ma.fields.String()
    recorded_by = ma.fields.Integer()
    created_at = ma.fields.String(metadata=common.TIME)
    updated_at = ma.fields.String(metadata=common.TIME)


BlockPage = common.page_of("BlockPage", BlockOut)


def block_json(block: Block, tz: str) -> dict:
    treated, other = block.clinic_temps("treated"), block.clinic_temps("other")
    temps = [{"minute": m, "treated_c": treated.get(m), "other_c": other.get(m)}
             for m in MINUTES if m in treated or m in other]
    plain = ("id", "patient_id", "side", "kind", "level", "agent", "volume_ml", "long_acting",
             "pre_pain", "somatic_spread", "sedation", "confirmed_other_means", "notes",
             "recorded_by")
    return {**{name: getattr(block, name) for name in plain},
            "kind_label": vocab.BLOCK_KINDS.get(block.kind, block.kind),
            "performed_at": common.local(block.performed_at, tz),
            "clinic_temperatures": temps,
            "created_at": common.local(block.created_at, tz),
            "updated_at": common.local(block.updated_at, tz)}


@blp.route("/patients/<int:patient_id>/blocks", methods=["GET"])
@blp.doc(summary="A patient's blocks, oldest first, a page at a time",
         description="Deleted blocks are left out.", security=common.STAFF,
         parameters=common.PAGE_PARAMETERS)
@blp.response(200, BlockPage, description="One page of blocks, oldest first.")
@common.document(blp, paged=True)
@limited
@bearer_required(staff=True)
def list_blocks(patient_id: int):
    patient = api_patient_or_404(caller(), patient_id)
    note_patient(patient.id)
    try:
        rows, next_cursor = common.time_page(
            sa.select(Block).where(Block.patient_id == patient.id, Block.deleted_at.is_(None)),
            Block.performed_at, Block.id, common.cursor_int)
    except common.BadPage as error:
        return common.bad_page(error)
    return {"items": [block_json(b, patient.timezone) for b in rows], "next_cursor": next_cursor}


@blp.route("/blocks/<int:block_id>", methods=["GET"])
@blp.doc(summary="One block", security=common.STAFF)
@blp.response(200, BlockOut, description="The block as recorded (°C, the patient's offset).")
@common.document(blp)
@limited
@bearer_required(staff=True)
def get_block(block_id: int):
    block = api_row_or_404(caller(), Block, block_id)
    note_patient(block.patient_id)
    return block_json(block, block.patient.timezone)


# ------------------------------------------------------------------ the analysis

def plain(value, tz: ZoneInfo):
    """An analysis result as JSON values: dataclasses and named tuples as objects, times in
    the patient's zone, dates as YYYY-MM-DD."""
    if is_dataclass(value):
        return {f.name: plain(getattr(value, f.name), tz) for f in fields(value)}
    if isinstance(value, tuple) and hasattr(value, "_fields"):
        return {name: plain(getattr(value, name), tz) for name in value._fields}
    if isinstance(value, datetime):
        return value.astimezone(tz).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, list | tuple | frozenset | set):
        return [plain(v, tz) for v in value]
    if isinstance(value, dict):
        return {str(k): plain(v, tz) for k, v in value.items()}
    return value


def _nullable(field_class, **kwargs):
    return field_class(allow_none=True, **kwargs)


class TechnicalOut(ma.Schema):
    grade = ma.fields.String(metadata={"enum": list(vocab.TECHNICAL_SUCCESS)})
    rise_c = _nullable(ma.fields.Float)
    peak_c = _nullable(ma.fields.Float)
    pre_c = _nullable(ma.fields.Float)
    differential_c = _nullable(ma.fields.Float)
    summary = ma.fields.String()
    rule = ma.fields.String()


class BaselineOut(ma.Schema):
    b0 = _nullable(ma.fields.Integer, metadata={"description": "Pre-block pain"})
    b0_source = _nullable(ma.fields.String)
    b0_entry_id = _nullable(ma.fields.String, metadata={"description": "The diary entry used"})
    b7 = _nullable(ma.fields.Float, metadata={
        "description": "Mean of the daily means over the days before the block day"})
    b7_days = ma.fields.Integer()
    thin = ma.fields.Boolean()
    low = ma.fields.Boolean()
    warnings = ma.fields.List(ma.fields.String())


class PeakOut(ma.Schema):
    relief_pct = _nullable(ma.fields.Float)
    points = _nullable(ma.fields.Integer)
    lowest_pain = _nullable(ma.fields.Integer)
    lowest_at = _nullable(ma.fields.String, metadata=common.TIME)
    lowest_entry_id = _nullable(ma.fields.String)
    held = ma.fields.Integer()
    n_entries = ma.fields.Integer()


class DurationOut(ma.Schema):
    dur50 = _nullable(ma.fields.Integer)
    dur30 = _nullable(ma.fields.Integer)
    back_to_baseline = _nullable(ma.fields.Integer)
    still_relieved = ma.fields.Boolean()
    days_so_far = _nullable(ma.fields.Integer)
    waned = ma.fields.Boolean()
    note = ma.fields.String()


class ProlongedOut(ma.Schema):
    present = ma.fields.Boolean()
    relief_pct = _nullable(ma.fields.Float)
    day = _nullable(ma.fields.Integer)
    date = _nullable(ma.fields.String, metadata={"format": "date"})
    note = ma.fields.String()


class WindowSoFarOut(ma.Schema):
    readings = ma.fields.Integer(metadata={"description": "Readings in the window so far"})
    asked = ma.fields.Integer(metadata={"description": "Readings the schedule asks for in it"})
    closes_at = ma.fields.String(metadata=common.TIME)
    text = ma.fields.String(metadata={
        "description": "Readings so far: 2 of 8 — window open until 10:30"})


class ReasonOut(ma.Schema):
    code = ma.fields.String()
    text = ma.fields.String()


class CheckpointOut(ma.Schema):
    day = ma.fields.Integer(metadata={"enum": [7, 30, 90, 180]})
    first = ma.fields.String(metadata={"format": "date"})
    last = ma.fields.String(metadata={"format": "date"})
    state = ma.fields.String(metadata={"enum": ["upcoming", "open", "done"]})
    diary_days = ma.fields.Integer()
    mean_pain = _nullable(ma.fields.Float)
    relief_pct = _nullable(ma.fields.Float)
    temp_gain_c = _nullable(ma.fields.Float)
    walk_pain_free_gain_min = _nullable(ma.fields.Float)
    walk_max_gain_min = _nullable(ma.fields.Float)
    walking_meaningful = _nullable(ma.fields.Boolean)
    rest_pain_nights = _nullable(ma.fields.Integer)
    rest_pain_answered = ma.fields.Integer()
    wound = _nullable(ma.fields.String)
    wound_at = _nullable(ma.fields.String, metadata=common.TIME)
    pgic = _nullable(ma.fields.String)
    pgic_at = _nullable(ma.fields.String, metadata=common.TIME)
    note = ma.fields.String()


class FlagOut(ma.Schema):
    code = ma.fields.String()
    urgent = ma.fields.Boolean()
    text = ma.fields.String()


class LimbFollowUpOut(ma.Schema):
    checkpoints = ma.fields.List(ma.fields.Nested(CheckpointOut))
    flags = ma.fields.List(ma.fields.Nested(FlagOut), metadata={"description": "Urgent first"})


class ReliefPointOut(ma.Schema):
    day = ma.fields.Integer(metadata={"description": "1 = the first local day after the block"})
    relief_pct = _nullable(ma.fields.Float)


class AsymmetryOut(ma.Schema):
    count = ma.fields.Integer()
    readings = ma.fields.Integer()
    excluded = ma.fields.Integer()
    latest_at = _nullable(ma.fields.String, metadata=common.TIME)
    latest_diff_c = _nullable(ma.fields.Float, metadata={"description": "Treated minus other"})
    latest_entry_id = _nullable(ma.fields.String)


class WalkingOut(ma.Schema):
    pain_free_before = _nullable(ma.fields.Float)
    pain_free_after = _nullable(ma.fields.Float)
    max_before = _nullable(ma.fields.Float)
    max_after = _nullable(ma.fields.Float)
    pain_free_gain_min = _nullable(ma.fields.Float)
    pain_free_gain_pct = _nullable(ma.fields.Float)
    max_gain_min = _nullable(ma.fields.Float)
    max_gain_pct = _nullable(ma.fields.Float)
    meaningful = _nullable(ma.fields.Boolean)
    note = ma.fields.String()


class TouchPainOut(ma.Schema):
    before = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.Integer(), metadata={
        "description": "Answers on the baseline days, by code (none, mild, marked)"})
    after = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.Integer(), metadata={
        "description": "Answers on days 1-7 after the block, by code"})
    before_mean = _nullable(ma.fields.Float)
    after_mean = _nullable(ma.fields.Float)
    change = _nullable(ma.fields.String, metadata={"enum": ["less", "same", "more", None]})
    note = ma.fields.String()


class PgicOut(ma.Schema):
    entry_id = ma.fields.String()
    at = ma.fields.String(metadata=common.TIME)
    day = ma.fields.Integer()
    answer = ma.fields.String(metadata={"enum": list(vocab.PGIC)})
    relief_pct = _nullable(ma.fields.Float)
    disagreement = _nullable(ma.fields.String)


class AnalysisOut(ma.Schema):
    block_id = ma.fields.Integer()
    number = ma.fields.Integer(metadata={"description": "1-based, among the patient's blocks"})
    kind = ma.fields.String(metadata={"enum": list(vocab.BLOCK_KINDS)})
    diagnostic = ma.fields.Boolean()
    local_date = ma.fields.String(metadata={"format": "date"})
    planned = ma.fields.Boolean(metadata={"description": "After now: nothing judged yet"})
    pending = ma.fields.Boolean(metadata={"description": "The window is still open"})
    window_start = ma.fields.String(metadata=common.TIME)
    window_end = ma.fields.String(metadata=common.TIME)
    verdict = _nullable(ma.fields.String, metadata={"enum": [*vocab.VERDICTS, None]})
    verdict_label = _nullable(ma.fields.String)
    technical = ma.fields.Nested(TechnicalOut, metadata={"description": "Technical success"})
    baseline = ma.fields.Nested(BaselineOut, metadata={"description": "B0 and B7"})
    peak = ma.fields.Nested(PeakOut, metadata={"description": "Peak relief in the window"})
    duration = ma.fields.Nested(DurationOut)
    prolonged = ma.fields.Nested(ProlongedOut)
    window_so_far = ma.fields.Nested(WindowSoFarOut, allow_none=True, metadata={
        "description": "While the window is open: its readings so far; else null"})
    explanation = ma.fields.String()
    reasons = ma.fields.List(ma.fields.Nested(ReasonOut))
    notes = ma.fields.List(ma.fields.String())
    relief_curve = ma.fields.List(ma.fields.Nested(ReliefPointOut))
    asymmetry = ma.fields.Nested(AsymmetryOut, metadata={
        "description": "Readings from this block until the next one"})
    walking = ma.fields.Nested(WalkingOut)
    touch_pain = ma.fields.Nested(TouchPainOut, metadata={"description": "Before against days 1-7"})
    pgic = ma.fields.List(ma.fields.Nested(PgicOut), metadata={
        "description": "The patient's impression of change, beside the computed relief"})
    limb_follow_up = ma.fields.Nested(LimbFollowUpOut, allow_none=True, metadata={
        "description": "Neurolysis and radiofrequency blocks: the checkpoints (days 7, 30, "
                       "90, 180) and flags; null for a local-anaesthetic block"})


@blp.route("/blocks/<int:block_id>/analysis", methods=["GET"])
@blp.doc(summary="The block's analysis",
         description="Computed now, as the consultant's page computes it, with the "
                     "clinician's own thresholds.", security=common.STAFF)
@blp.response(200, AnalysisOut, description="The verdict, its numbers and explanation.")
@common.document(blp)
@limited
@bearer_required(staff=True)
def get_analysis(block_id: int):
    block = api_row_or_404(caller(), Block, block_id)
    patient = block.patient
    note_patient(patient.id)
    entries, blocks = loaders.load_patient_records(patient)
    analysis = analyse_patient(entries, blocks, settings_for(patient.clinician_id),
                               patient.timezone, now(),
                               visits=loaders.load_visit_records(patient))
    [found] = [b for b in analysis.blocks if b.block.id == block.id]
    data = plain(found, ZoneInfo(patient.timezone))
    data.pop("block")
    data["block_id"] = block.id
    data["verdict_label"] = VERDICT_LABELS.get(found.verdict) if found.verdict else None
    return data


# ------------------------------------------------------------------ the decision

class DecisionOut(ma.Schema):
    block_id = ma.fields.Integer()
    agrees = ma.fields.Boolean(metadata={"description": "Agrees with the computed verdict"})
    reason = ma.fields.String(metadata={"description": "Why not (when agrees is false)"})
    plan = ma.fields.String(metadata={"enum": list(vocab.DECISION_PLANS)})
    plan_label = ma.fields.String()
    planned_on = ma.fields.String(allow_none=True, metadata={"format": "date"})
    note = ma.fields.String()
    decided_by = ma.fields.Integer()
    decided_at = ma.fields.String(metadata=common.TIME)


class DecisionSaved(DecisionOut):
    status = ma.fields.String(metadata={"enum": ["created", "updated", "unchanged"]})


DECISION_BODY = {
    "type": "object", "required": ["agrees", "plan"],
    "properties": {
        "agrees": {"type": "boolean",
                   "description": "Do you agree with the computed verdict?"},
        "reason": {"type": "string", "maxLength": decisions.TEXT_MAX,
                   "description": "Required when agrees is false"},
        "plan": {"type": "string", "enum": list(vocab.DECISION_PLANS)},
        "planned_on": {"type": ["string", "null"], "format": "date",
                       "description": "YYYY-MM-DD, not before the patient's today; required "
                                      "for the plan \"repeat\""},
        "note": {"type": "string", "maxLength": decisions.TEXT_MAX}}}


def decision_json(decision: BlockDecision, tz: str) -> dict:
    return {"block_id": decision.block_id, "agrees": decision.agrees,
            "reason": decision.reason, "plan": decision.plan,
            "plan_label": vocab.DECISION_PLANS.get(decision.plan, decision.plan),
            "planned_on": decision.planned_on.isoformat() if decision.planned_on else None,
            "note": decision.note, "decided_by": decision.decided_by,
            "decided_at": common.local(decision.decided_at, tz)}


@blp.route("/blocks/<int:block_id>/decision", methods=["GET"])
@blp.doc(summary="The consultant's decision on the block", security=common.STAFF)
@blp.response(200, DecisionOut, description="The decision recorded.")
@common.document(blp)
@limited
@bearer_required(staff=True)
def get_decision(block_id: int):
    block = api_row_or_404(caller(), Block, block_id)
    note_patient(block.patient_id)
    decision = decisions.current(block)
    if decision is None:
        return problems.problem(404, detail=NO_DECISION)
    return decision_json(decision, block.patient.timezone)


def read_decision(body: dict) -> tuple[dict, dict[str, list[str]]]:
    """The JSON as the service's values, and the answers of a JSON type it cannot take."""
    values, wrong = {}, {}
    if "agrees" in body:
        values["agrees"] = body["agrees"]  # the service says what a non-boolean is
    for name in ("reason", "plan", "note"):
        value = body.get(name)
        if value is None:
            values[name] = ""
        elif isinstance(value, str):
            values[name] = value
        else:
            wrong[name] = [TEXT]
    day = body.get("planned_on")
    if day is None or day == "":
        values["planned_on"] = None
    elif (parsed := decisions.parse_date(day)) is None:
        wrong["planned_on"] = [decisions.DATE_FORMAT]
    else:
        values["planned_on"] = parsed
    return values, wrong


@blp.route("/blocks/<int:block_id>/decision", methods=["PUT"])
@blp.doc(summary="Record or change the decision on the block",
         description="Needs a write token. A reason is required when you do not agree with "
                     "the verdict; the plan \"repeat\" needs its date, which cannot be in the "
                     "past. Audited `decision.create` or `decision.update` (the fields "
                     "changed).", security=common.STAFF,
         requestBody={"required": True, "content": {"application/json": {
             "schema": DECISION_BODY}}})
@blp.response(200, DecisionSaved, description="Saved (`status` created, updated or "
                                              "unchanged).")
@blp.alt_response(400, **problem_doc("The body is not JSON, or not a JSON object."))
@common.document(blp, writes=True)
@blp.alt_response(413, **problem_doc(f"The body is over {BODY_MAX // 1024} kB."))
@blp.alt_response(415, **problem_doc("The body is not sent as application/json."))
@blp.alt_response(422, **problem_doc("Refused: the message for each field in `errors`. "
                                     "Nothing was saved.", schema=FieldsProblem))
@limited
@bearer_required(staff=True)
def put_decision(block_id: int):
    block = api_row_or_404(caller(), Block, block_id, "decide")
    patient = block.patient
    note_patient(patient.id)
    request.max_content_length = BODY_MAX
    if not request.is_json:
        return problems.problem(415, detail=NOT_JSON)
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        return problems.problem(400, detail=NOT_AN_OBJECT)
    values, wrong = read_decision(body)
    today = now().astimezone(ZoneInfo(patient.timezone)).date()
    errors = {k: [v] for k, v in decisions.check(values, today).items() if k not in wrong}
    errors |= wrong
    if errors:
        return problems.problem(422, NOT_SAVED, FIX, errors=errors)
    decision, outcome = decisions.decide(block, values, caller().user, now(), today)
    return {**decision_json(decision, patient.timezone), "status": outcome}
