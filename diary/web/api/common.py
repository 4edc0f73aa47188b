"""What the API's resources share: the problem schemas and how the document names them, the
blueprint factory, cursor pages and how times are written.

Cursor pages (docs/api.md, *Pagination*): `?limit=` (1-100, default 50) and `?cursor=`, the
opaque `next_cursor` of the page before; the answer is `{"items": [...], "next_cursor": …}`,
`null` on the last page. A cursor is the sort key of the last item given (base64url JSON):
a page costs the same however deep it is, and an item added or removed meanwhile moves no
other item to another page (each item is given exactly once).
"""

import base64
import binascii
import json
from datetime import datetime
from zoneinfo import ZoneInfo

import marshmallow as ma
import sqlalchemy as sa
from flask import request
from flask_smorest import Blueprint
from werkzeug.exceptions import HTTPException

from diary.clinical import limits
from diary.data.db import db
from diary.web.api import problems

LIMIT_DEFAULT, LIMIT_MAX = 50, 100
CURSOR_MAX = 400
BAD_LIMIT = f"Please give a limit from 1 to {LIMIT_MAX}."
BAD_CURSOR = "This cursor was not made by this API: start again without one."


def blueprint(name: str, description: str) -> Blueprint:
    """A blueprint under /api/v1 whose errors are all problem+json."""
    blp = Blueprint(name, __name__, url_prefix="/api/v1", description=description)
    for code in problems.CODES:
        blp.register_error_handler(code, problems.from_exception)
    blp.register_error_handler(HTTPException, problems.from_exception)
    return blp


class Problem(ma.Schema):
    type = ma.fields.String(metadata={"example": "about:blank"})
    title = ma.fields.String()
    status = ma.fields.Integer()
    detail = ma.fields.String()


class FieldsProblem(Problem):
    errors = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.List(ma.fields.String()),
                            metadata={"description": "The messages, by field name."})


def problem_doc(description: str, schema=Problem, **kwargs) -> dict:
    return {"schema": schema, "content_type": problems.MIMETYPE, "description": description,
            **kwargs}


UNAUTHORIZED = problem_doc(
    "No token, or one that is unknown, revoked or expired (or its person can no longer sign "
    "in). A session cookie is never taken.",
    headers={"WWW-Authenticate": {"description": "Bearer", "schema": {"type": "string"}}})
GONE = problem_doc("The diary is closed (the patient is discharged): a phone's device token "
                   "for it opens nothing, and a staff token can change no entry of it. "
                   "Nothing is taken; signing in again would not help.")
FORBIDDEN = problem_doc("A read-only access token on a method that changes something.")
NOT_FOUND = problem_doc("Not there, or not the token's to see (another clinic's patient, "
                        "another patient's diary, or a staff-only resource for a device "
                        "token): the two look the same.")
TOO_MANY = problem_doc("Too many requests from this token: wait and try again "
                       "(`Retry-After`).")
BAD_PAGE = problem_doc("A `limit` outside 1-100, or a cursor this API did not make.",
                       schema=FieldsProblem)
PAGE_PARAMETERS = [
    {"in": "query", "name": "limit", "required": False,
     "schema": {"type": "integer", "minimum": 1, "maximum": LIMIT_MAX,
                "default": LIMIT_DEFAULT}, "description": "Items a page."},
    {"in": "query", "name": "cursor", "required": False,
     "schema": {"type": "string", "maxLength": CURSOR_MAX},
     "description": "The `next_cursor` of the page before; none for the first page."},
]
BOTH = [{"accessToken": []}, {"deviceToken": []}]
STAFF = [{"accessToken": []}]


def document(blp: Blueprint, *, staff: bool = False, writes: bool = False,
             paged: bool = False):
    """The answers every authenticated operation may give (401, 404, 429; 410 for a
    closed diary's device token; 403 for a read-only token where it `writes`; 400 for a page's
    parameters). `staff` (a staff-only
    resource) changes nothing in the answers: a device token's 404 is the 404 above."""
    def decorator(view):
        view = blp.alt_response(401, **UNAUTHORIZED)(view)
        view = blp.alt_response(410, **GONE)(view)
        if writes:
            view = blp.alt_response(403, **FORBIDDEN)(view)
        view = blp.alt_response(404, **NOT_FOUND)(view)
        view = blp.alt_response(429, **TOO_MANY)(view)
        if paged:
            view = blp.alt_response(400, **BAD_PAGE)(view)
        return view
    return decorator


def page_of(schema_name: str, item: type[ma.Schema]) -> type[ma.Schema]:
    """The page schema of a kind of item: `items` and `next_cursor`."""
    return ma.Schema.from_dict({
        "items": ma.fields.List(ma.fields.Nested(item)),
        "next_cursor": ma.fields.String(allow_none=True, metadata={
            "description": "Give it as `cursor` for the next page; null on the last page."}),
    }, name=schema_name)


class BadPage(Exception):
    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field, self.message = field, message


def page_args() -> tuple[int, list | None]:
    """(limit, the decoded cursor or None) from the query; BadPage when either is wrong."""
    text = request.args.get("limit", "")
    if text == "":
        limit = LIMIT_DEFAULT
    elif text.isascii() and text.isdigit() and len(text) <= 3 and 1 <= int(text) <= LIMIT_MAX:
        limit = int(text)
    else:
        raise BadPage("limit", BAD_LIMIT)
    raw = request.args.get("cursor", "")
    if not raw:
        return limit, None
    try:
        if len(raw) > CURSOR_MAX:
            raise ValueError(raw)
        value = json.loads(base64.urlsafe_b64decode(raw.encode("ascii") + b"=="))
        if not isinstance(value, list) or not value:
            raise ValueError(raw)
    except (ValueError, UnicodeError, binascii.Error):
        raise BadPage("cursor", BAD_CURSOR) from None
    return limit, value


def bad_page(error: BadPage):
    return problems.problem(400, "The request could not be read", error.message,
                            errors={error.field: [error.message]})


def time_page(query, time_col, id_col, read_id) -> tuple[list, str | None]:
    """One page of `query`'s rows ordered by (time, id), oldest first, after the request's
    cursor: (rows, next cursor or None). Raises BadPage for a bad limit or cursor."""
    limit, after = page_args()
    query = query.order_by(time_col, id_col).limit(limit + 1)
    if after is not None:
        if len(after) != 2:
            raise BadPage("cursor", BAD_CURSOR)
        at, after_id = cursor_time(after[0]), read_id(after[1])
        query = query.where(sa.or_(time_col > at, sa.and_(time_col == at, id_col > after_id)))
    rows = list(db.session.scalars(query))
    if len(rows) <= limit:
        return rows, None
    rows = rows[:limit]
    last = rows[-1]
    return rows, cursor_of(getattr(last, time_col.key).isoformat(), getattr(last, id_col.key))


def cursor_of(*key) -> str:
    text = json.dumps(list(key), separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(text).decode("ascii").rstrip("=")


def cursor_time(value) -> datetime:
    """A cursor's time (made by `cursor_of` from `isoformat`), else BadPage."""
    try:
        at = datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        at = None
    # An aware time from 1900 to 2200 only: year 1 with an offset overflows on its way to UTC.
    if at is None or at.tzinfo is None or not limits.date_in_range(at.date()):
        raise BadPage("cursor", BAD_CURSOR)
    return at


def cursor_uuid(value) -> str:
    """An entry id in a cursor (PostgreSQL refuses a NUL in text: never a 500)."""
    if not isinstance(value, str) or not limits.UUID.fullmatch(value):
        raise BadPage("cursor", BAD_CURSOR)
    return value


def cursor_int(value) -> int:
    if type(value) is not int or not 0 <= value < 2**31:
        raise BadPage("cursor", BAD_CURSOR)
    return value


def local(at: datetime | None, tz: str) -> str | None:
    """ISO 8601 in the patient's own zone, with its offset: 2025-06-15T11:00:00+01:00."""
    return None if at is None else at.astimezone(ZoneInfo(tz)).isoformat()


TIME = {"format": "date-time",
        "description": "ISO 8601 with the offset of the patient's time zone at that moment"}
