"""`POST /api/v1/entries`: the phone's outbox sends an entry it queued (docs/api.md).

The JSON holds the entry form's own fields, as the HTML form would post them, and is checked
by that very form (`EntryForm.check`: one rule set, the same plain messages), then saved by
the same service (`entries.create_once`, once per client UUID) and audited like any entry.
"""

from functools import cache

import marshmallow as ma
from flask import g, request
from flask_smorest import Blueprint
from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import HTTPException
from wtforms import BooleanField, SelectMultipleField
from wtforms.fields.core import UnboundField
from wtforms.validators import InputRequired, Length, Regexp

from diary.data.clock import now
from diary.services import entries
from diary.web.api import problems
from diary.web.api.auth import device_token_required, limited
from diary.web.forms.entry import EntryForm
from diary.web.forms.fields import DecimalTextField, WholeNumberField

blp = Blueprint("api", __name__, url_prefix="/api/v1",
                description="The phone's outbox: entries queued on the phone, sent later.")
for _code in problems.CODES:
    blp.register_error_handler(_code, problems.from_exception)
blp.register_error_handler(HTTPException, problems.from_exception)

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


class Problem(ma.Schema):
    type = ma.fields.String(metadata={"example": "about:blank"})
    title = ma.fields.String()
    status = ma.fields.Integer()
    detail = ma.fields.String()


class EntryProblem(Problem):
    errors = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.List(ma.fields.String()),
                            metadata={"description": "The form's messages, by field name."})
    warnings = ma.fields.Dict(
        keys=ma.fields.String(), values=ma.fields.List(ma.fields.String()),
        metadata={"description": "Readings to check: send confirm_unusual: true to save "
                                 "them as they are."})


def _problem_doc(description: str, schema=Problem, **kwargs) -> dict:
    return {"schema": schema, "content_type": problems.MIMETYPE, "description": description,
            **kwargs}


@blp.route("/entries", methods=["POST"])
@blp.doc(summary="Send an entry queued on the phone",
         description="The body holds the entry form's fields, as the form posts them. "
                     "Sending the same client_id again saves nothing new.",
         security=[{"deviceToken": []}],
         requestBody={"required": True, "content": {"application/json": {
             "schema": {"$ref": "#/components/schemas/EntryFields"}}}})
@blp.response(201, Saved, description="Saved: `status` is \"created\".")
@blp.alt_response(200, schema=Saved, success=True,
                  description="This client_id was saved before with the same answers: "
                              "`status` is \"already saved\" and nothing new is written.")
@blp.alt_response(400, **_problem_doc("The body is not JSON."))
@blp.alt_response(401, **_problem_doc(
    "No device token, or one that is unknown or revoked (or its person is no longer active, "
    "or the diary is archived): sign in again on the phone.",
    headers={"WWW-Authenticate": {"description": "Bearer",
                                  "schema": {"type": "string"}}}))
@blp.alt_response(409, **_problem_doc("This client_id was saved before with other answers."))
@blp.alt_response(413, **_problem_doc(f"The body is over {BODY_MAX // 1024} kB."))
@blp.alt_response(415, **_problem_doc("The body is not sent as application/json."))
@blp.alt_response(422, **_problem_doc(
    "The form's checks refused the entry: its messages in `errors`, and readings to confirm "
    "in `warnings`. Nothing was saved.", schema=EntryProblem))
@blp.alt_response(429, **_problem_doc("Too many sends from this token: wait and send again."))
@limited
@device_token_required
def create_entry():
    request.max_content_length = BODY_MAX
    body = request.get_json()  # 400 (not JSON), 413 (too long), 415 (not sent as JSON)
    patient = g.patient
    if not isinstance(body, dict):
        return problems.problem(422, NOT_SAVED, NOT_AN_OBJECT, errors={}, warnings={})
    data, wrong = formdata(body)
    form = EntryForm(formdata=data, meta={"csrf": False})
    ok = form.check(patient.timezone, now(), patient.created_at) and not wrong
    if not ok:
        errors = {f.name: list(f.errors) for f in form if f.errors} | wrong
        warnings = {name: [text] for name, text in form.warnings.items()}
        return problems.problem(422, NOT_SAVED, FIX_ERRORS if errors else CONFIRM,
                                errors=errors, warnings=warnings)
    try:
        entry, created = entries.create_once(patient, form.client_id.data,
                                             form.values(patient.timezone), g.user)
    except entries.DuplicateConflict:
        return problems.problem(409, NOT_SAVED, CONFLICT)
    if created:
        return {"id": entry.id, "status": "created"}, 201
    return {"id": entry.id, "status": "already saved"}, 200


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
