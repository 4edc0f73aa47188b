"""Entries through the API (docs/api.md): the phone's outbox sends an entry it queued
(`POST /api/v1/entries`), and a caller reads, changes and deletes entries of the diaries its
token opens (`GET /api/v1/patients/{id}/entries`, `GET`, `PUT`, `DELETE
/api/v1/entries/{id}`).

The JSON holds the entry form's own fields, as the HTML form would post them, and is checked
by that very form (`EntryForm.check`: one rule set, the same plain messages), then saved by
the same service as the pages (`entries.create_once`, once per client UUID; `entries.update`;
`entries.soft_delete`) and audited like any entry.

A staff member's write token may send an entry on a patient's behalf: the body then names the
diary (`patient_id`), and the entry is entered by that staff member.
"""

from functools import cache

import marshmallow as ma
import sqlalchemy as sa
from flask import request
from werkzeug.datastructures import MultiDict
from wtforms import BooleanField, SelectMultipleField
from wtforms.fields.core import UnboundField
from wtforms.validators import InputRequired, Length, Regexp

from diary.clinical import limits
from diary.data.clock import now
from diary.data.models import Entry
from diary.services import entries
from diary.web.api import common, problems
from diary.web.api.auth import bearer_required, caller, limited, note_patient
from diary.web.api.common import Problem, problem_doc
from diary.web.forms.entry import EntryForm
from diary.web.forms.fields import DecimalTextField, WholeNumberField
from diary.web.security import api_patient_or_404, api_row_or_404

blp = common.blueprint("api", "Diary entries: the phone's outbox, and reading, changing and "
                              "deleting entries.")

BODY_MAX = 64 * 1024  # an entry is under 2 kB; a 10 kB note still reaches the form's check
NOT_SAVED = "The entry was not saved"
TYPE_MESSAGE = "Please send this answer as text or a number."
LIST_MESSAGE = "Please send these answers as a list of texts."
NOT_AN_OBJECT = "Please send the entry as a JSON object of the form's fields."
FIX_ERRORS = "Please look at the marked questions. What you typed is kept."
CONFIRM = ("Please check the reading marked, then tick the box to save it "
           "(send confirm_unusual: true).")
# The form's own words for a UUID sent before with other answers (views/patient.py).
CONFLICT = ("This form was already sent with different answers. Nothing new was saved: "
            "please check your history, then start a new entry.")


class Saved(ma.Schema):
    id = ma.fields.String(metadata={"description": "The entry's id: the client_id sent.",
                                    "format": "uuid"})
    status = ma.fields.String(metadata={"enum": ["created", "already saved"]})


class EntryProblem(Problem):
    errors = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.List(ma.fields.String()),
                            metadata={"description": "The form's messages, by field name."})
    warnings = ma.fields.Dict(
        keys=ma.fields.String(), values=ma.fields.List(ma.fields.String()),
        metadata={"description": "Readings to check: send confirm_unusual: true to save "
                                 "them as they are."})


_problem_doc = problem_doc


SAVED = "Saved: `status` is \"created\"."
PATIENT_ID = "Please give the patient_id of the diary this entry is for."
ENTRY_BODY = {"required": True, "content": {"application/json": {
    "schema": {"$ref": "#/components/schemas/EntryFields"}}}}


class EntryOut(ma.Schema):
    id = ma.fields.String(metadata={"format": "uuid"})
    patient_id = ma.fields.Integer()
    observed_at = ma.fields.String(metadata=common.TIME)
    pain = ma.fields.Integer(metadata={"minimum": 0, "maximum": 10})
    temp_treated_c = ma.fields.Float(allow_none=True, metadata={
        "description": "Treated foot, °C (as stored; the patient may read °F)"})
    temp_other_c = ma.fields.Float(allow_none=True, metadata={"description": "Other foot, °C"})
    colour = ma.fields.String(allow_none=True)
    feels = ma.fields.String(allow_none=True)
    walk_pain_free_min = ma.fields.Integer(allow_none=True)
    walk_max_min = ma.fields.Integer(allow_none=True)
    did_not_walk = ma.fields.Boolean()
    swelling = ma.fields.String(allow_none=True)
    sweating = ma.fields.String(allow_none=True)
    side_effects = ma.fields.List(ma.fields.String())
    rescue_medication = ma.fields.Boolean()
    touch_pain = ma.fields.String(allow_none=True)
    night_rest_pain = ma.fields.Boolean(allow_none=True)
    wound = ma.fields.String(allow_none=True)
    pgic = ma.fields.String(allow_none=True)
    notes = ma.fields.String()
    entered_by = ma.fields.Integer(metadata={"description": "The user id who entered it: the "
                                             "patient, or a staff member on their behalf"})
    created_at = ma.fields.String(metadata=common.TIME)
    updated_at = ma.fields.String(metadata=common.TIME)


class Changed(ma.Schema):
    changed = ma.fields.Boolean(metadata={"description": "false: the answers were the same, "
                                                         "nothing was written"})
    entry = ma.fields.Nested(EntryOut)


EntryPage = common.page_of("EntryPage", EntryOut)


def entry_json(entry: Entry, tz: str) -> dict:
    data = {name: getattr(entry, name) for name in entries.CONTENT
            if name not in ("observed_at", "utc_offset_min", "side_effects")}
    return {"id": entry.id, "patient_id": entry.patient_id,
            "observed_at": common.local(entry.observed_at, tz), **data,
            "side_effects": entry.side_effect_codes, "entered_by": entry.entered_by,
            "created_at": common.local(entry.created_at, tz),
            "updated_at": common.local(entry.updated_at, tz)}


def _read_form(body, patient, entry_id: str | None = None):
    """The JSON read into the entry form and checked as the page checks it: (form, None), or
    (None, the 422 problem)."""
    if not isinstance(body, dict):
        return None, problems.problem(422, NOT_SAVED, NOT_AN_OBJECT, errors={}, warnings={})
    data, wrong = formdata(body)
    if entry_id is not None:
        data["client_id"] = entry_id  # as the edit page does: the entry keeps its id
    form = EntryForm(formdata=data, meta={"csrf": False})
    ok = form.check(patient.timezone, now(), patient.created_at) and not wrong
    if not ok:
        errors = {f.name: list(f.errors) for f in form if f.errors} | wrong
        warnings = {name: [text] for name, text in form.warnings.items()}
        return None, problems.problem(422, NOT_SAVED, FIX_ERRORS if errors else CONFIRM,
                                      errors=errors, warnings=warnings)
    return form, None


def _json_body():
    request.max_content_length = BODY_MAX
    return request.get_json()  # 400 (not JSON), 413 (too long), 415 (not sent as JSON)


@blp.route("/entries", methods=["POST"])
@blp.doc(summary="Send an entry (the phone's outbox, or staff on a patient's behalf)",
         description="The body holds the entry form's fields, as the form posts them. "
                     "Sending the same client_id again saves nothing new. With a staff "
                     "member's write token the body also names the diary (`patient_id`, an "
                     "integer) and the entry is entered by that staff member; a device token "
                     "always writes its own diary.",
         security=common.BOTH, requestBody=ENTRY_BODY)
@blp.response(201, Saved, description=SAVED)
@blp.alt_response(200, schema=Saved, success=True,
                  description="This client_id was saved before with the same answers: "
                              "`status` is \"already saved\" and nothing new is written.")
@blp.alt_response(400, **_problem_doc("The body is not JSON."))
@common.document(blp, writes=True)
@blp.alt_response(409, **_problem_doc("This client_id was saved before with other answers."))
@blp.alt_response(413, **_problem_doc(f"The body is over {BODY_MAX // 1024} kB."))
@blp.alt_response(415, **_problem_doc("The body is not sent as application/json."))
@blp.alt_response(422, **_problem_doc(
    "The form's checks refused the entry: its messages in `errors`, and readings to confirm "
    "in `warnings`. Nothing was saved.", schema=EntryProblem))
@limited
@bearer_required()
def create_entry():
    body = _json_body()
    who = caller()
    if who.staff:
        pid = body.get("patient_id") if isinstance(body, dict) else None
        if type(pid) is not int or not 0 < pid <= limits.ID_MAX:
            return problems.problem(422, NOT_SAVED, FIX_ERRORS,
                                    errors={"patient_id": [PATIENT_ID]}, warnings={})
        patient = api_patient_or_404(who, pid, "enter_reading")
    else:
        patient = who.patient
    note_patient(patient.id)
    if patient.archived_at is not None:
        return _closed()
    form, refused = _read_form(body, patient)
    if refused is not None:
        return refused
    try:
        entry, created = entries.create_once(patient, form.client_id.data,
                                             form.values(patient.timezone), who.user)
    except entries.DuplicateConflict:
        return problems.problem(409, NOT_SAVED, CONFLICT)
    if created:
        return {"id": entry.id, "status": "created"}, 201
    return {"id": entry.id, "status": "already saved"}, 200


@blp.route("/patients/<int:patient_id>/entries", methods=["GET"])
@blp.doc(summary="A patient's entries, oldest first, a page at a time",
         description="Deleted entries are left out. Times are in the patient's own zone, "
                     "with its offset; temperatures in °C.",
         security=common.BOTH, parameters=common.PAGE_PARAMETERS)
@blp.response(200, EntryPage, description="One page of entries, oldest first.")
@common.document(blp, paged=True)
@limited
@bearer_required()
def list_entries(patient_id: int):
    patient = api_patient_or_404(caller(), patient_id)
    note_patient(patient.id)
    try:
        rows, next_cursor = common.time_page(
            sa.select(Entry).where(Entry.patient_id == patient.id, Entry.deleted_at.is_(None)),
            Entry.observed_at, Entry.id, common.cursor_uuid)
    except common.BadPage as error:
        return common.bad_page(error)
    return {"items": [entry_json(e, patient.timezone) for e in rows], "next_cursor": next_cursor}


@blp.route("/entries/<entry_id>", methods=["GET"])
@blp.doc(summary="One entry", security=common.BOTH)
@blp.response(200, EntryOut, description="The entry (times in the patient's zone, °C).")
@common.document(blp)
@limited
@bearer_required()
def get_entry(entry_id: str):
    entry = api_row_or_404(caller(), Entry, entry_id)
    note_patient(entry.patient_id)
    return entry_json(entry, entry.patient.timezone)


@blp.route("/entries/<entry_id>", methods=["PUT"])
@blp.doc(summary="Change an entry",
         description="The body is the whole entry, as the edit page posts it (the same form, "
                     "the same rules and messages; `client_id` may be left out: the entry "
                     "keeps its id). The change is audited `entry.update`.",
         security=common.BOTH, requestBody=ENTRY_BODY)
@blp.response(200, Changed, description="Saved (`changed`: false when nothing differed).")
@blp.alt_response(400, **_problem_doc("The body is not JSON."))
@common.document(blp, writes=True)
@blp.alt_response(413, **_problem_doc(f"The body is over {BODY_MAX // 1024} kB."))
@blp.alt_response(415, **_problem_doc("The body is not sent as application/json."))
@blp.alt_response(422, **_problem_doc(
    "The form's checks refused the change: its messages in `errors`, readings to confirm in "
    "`warnings`. Nothing was saved.", schema=EntryProblem))
@limited
@bearer_required()
def update_entry(entry_id: str):
    entry = api_row_or_404(caller(), Entry, entry_id, "enter_reading")
    patient = entry.patient
    note_patient(patient.id)
    if patient.archived_at is not None:
        return _closed()
    form, refused = _read_form(_json_body(), patient, entry.id)
    if refused is not None:
        return refused
    changed = entries.update(entry, form.values(patient.timezone), caller().user)
    return {"changed": changed, "entry": entry_json(entry, patient.timezone)}


@blp.route("/entries/<entry_id>", methods=["DELETE"])
@blp.doc(summary="Delete an entry",
         description="A soft delete, as on the page: the entry is left out everywhere and "
                     "kept for the record (audited `entry.delete`).",
         security=common.BOTH)
@blp.response(204, description="Deleted.")
@common.document(blp, writes=True)
@limited
@bearer_required()
def delete_entry(entry_id: str):
    entry = api_row_or_404(caller(), Entry, entry_id, "enter_reading")
    note_patient(entry.patient_id)
    if entry.patient.archived_at is not None:
        return _closed()
    entries.soft_delete(entry, caller().user)
    return "", 204


def _closed():
    """410: the patient is discharged, their diary closed to changes (a staff token; a
    phone's token for a closed diary is answered at the door, api/auth.py)."""
    return problems.problem(410, "The diary is closed",
                            "This patient is discharged: their diary takes no new or changed "
                            "entries. Reopen it on their page first.")


@cache
def _fields() -> tuple[tuple[str, UnboundField], ...]:
    """The entry form's fields, in the form's order, as declared on its class."""
    found = [(name, value) for name, value in vars(EntryForm).items()
             if isinstance(value, UnboundField)]
    return tuple(sorted(found, key=lambda pair: pair[1].creation_counter))


def _kind(unbound: UnboundField) -> str:
    """How a field takes its answer: "multi" (check boxes that share a name), "bool" (one
    check box) or "one" (every other answer)."""
    if issubclass(unbound.field_class, SelectMultipleField):
        return "multi"
    return "bool" if issubclass(unbound.field_class, BooleanField) else "one"


def body_schema() -> dict:
    """The request body's JSON Schema, read from the entry form itself (its fields, choices,
    lengths and required answers), so the document cannot drift from the checks."""
    properties, required = {}, []
    for name, unbound in _fields():
        label = unbound.args[0] if unbound.args else unbound.kwargs.get("label", name)
        validators = unbound.kwargs.get("validators", [])
        choices = [c.value for c in unbound.kwargs.get("choices", [])]
        kind, cls = _kind(unbound), unbound.field_class
        if kind == "multi":
            prop = {"type": "array", "items": {"type": "string", "enum": choices}}
        elif kind == "bool":
            prop = {"type": ["boolean", "string"], "description": f"{label} (true to tick)"}
        elif choices:
            numbers = [int(c) for c in choices if c.isascii() and c.isdigit()]
            prop = ({"type": ["string", "integer"], "enum": [*choices, *numbers]} if numbers
                    else {"type": "string", "enum": choices})
        elif issubclass(cls, DecimalTextField | WholeNumberField):
            prop = {"type": ["string", "number"]}
        else:
            prop = {"type": "string"}
        prop.setdefault("description", str(label) if name != "client_id" else
                        "The entry's UUID, made by the phone (lower-case hex)")
        for v in validators:
            if isinstance(v, Length) and v.max and v.max > 0:
                prop["maxLength"] = v.max
            if isinstance(v, InputRequired | Regexp):
                required.append(name)
        if name == "observed_at":
            prop["description"] += (" (the patient's local time, YYYY-MM-DDTHH:MM, "
                                    "in their time zone)")
        properties[name] = prop
    return {"type": "object", "properties": properties, "required": required,
            "description": "The entry form's fields as the form posts them. A number is "
                           "also taken where the form posts text; null is not answered."}


def _scalar(value) -> bool:
    return isinstance(value, str) or (isinstance(value, int | float)
                                      and not isinstance(value, bool))


def formdata(body: dict) -> tuple[MultiDict, dict[str, list[str]]]:
    """The JSON as the HTML form would post it, and the fields whose JSON type no form could
    post (an object, a list for one answer, true for a number), each with its message.

    Text is taken as it is; a number as its text; null as not answered; true for a check
    box as ticked ("y"), false as not; a list for the check boxes (side effects). Names the
    form does not have are ignored, as the form ignores them."""
    data, wrong = MultiDict(), {}
    for name, unbound in _fields():
        kind, value = _kind(unbound), body.get(name)
        if value is None or (kind == "bool" and value is False):
            continue
        if kind == "bool" and value is True:
            data[name] = "y"
        elif kind == "multi":
            items = value if isinstance(value, list) else [value]
            if all(_scalar(item) for item in items):
                data.setlist(name, [str(item) for item in items])
            else:
                wrong[name] = [LIST_MESSAGE]
        elif _scalar(value):
            data[name] = str(value)
        else:
            wrong[name] = [TYPE_MESSAGE]
    return data, wrong
