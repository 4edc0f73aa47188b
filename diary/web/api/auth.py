"""The API's door: a bearer token in `Authorization: Bearer …`, never a cookie.

Two kinds of token (docs/api.md):
- a phone's **device token** (`diary/services/devices.py`): its patient's own diary only;
- a staff member's **personal access token** (`bdp_…`, `diary/services/access_tokens.py`):
  their patients, with the scope "read" (GET only) or "read write".
Who a token opens is decided by the one access rule (`diary.web.security.api_caller`,
`api_patients`, on `patients_of`). A request that carries only our session cookie is refused
(401) like one that carries nothing, so no other site can make a browser act through the API:
there is no CSRF surface and the API needs no CSRF token.

- missing, unknown, revoked or expired token, or its person inactive: 401 (with
  `WWW-Authenticate: Bearer`), nothing read or written; a phone's live token for a diary the
  clinic has closed (discharged): 410 with the words the patient sees;
- a read-only access token on a method that writes: 403;
- a device token on a staff-only resource: 404, as for another patient's diary (nothing
  there is theirs to see, and nothing tells them it exists).

Every request made with an access token is audited (`api.read` / `api.write`, with the
method, path, status and the patient where one was named; `access_tokens.record_use`).

Limits (docs/security.md, *Brute force*): requests per token, keyed by its hash, never itself
(`API_ENTRY_LIMIT`, 60 a minute, for a device token: a phone's whole outbox at once;
`API_TOKEN_LIMIT`, 120 a minute, for an access token), and refused tokens per address
(`API_REFUSED_LIMIT`, 30 a minute), over the limiter's shared counters.
"""

from functools import wraps

from flask import current_app, g, request
from werkzeug.exceptions import HTTPException

from diary.data.clock import now
from diary.data.db import db
from diary.data.tokens import token_hash
from diary.services import access_tokens, devices
from diary.services.patients import CLOSED
from diary.web.api.problems import problem
from diary.web.extensions import limiter
from diary.web.security import ApiCaller, api_caller, closed_diary_of

LIMITS = {"API_ENTRY_LIMIT": "60 per minute", "API_TOKEN_LIMIT": "120 per minute",
          "API_REFUSED_LIMIT": "30 per minute"}
READS = ("GET", "HEAD", "OPTIONS")

TOKEN_REFUSED = ("Please sign in again",
                 "This access token is missing, unknown, expired or revoked, or its owner can "
                 "no longer sign in. Make a new one on the API tokens page.")
READ_ONLY = ("Not allowed", "This access token can only read. Make a token with read and "
                            "write scope on the API tokens page to change anything.")


def bearer() -> str | None:
    """The raw token of an `Authorization: Bearer <token>` header, else None."""
    auth = request.authorization
    if auth is None or auth.type != "bearer" or not auth.token:
        return None
    return auth.token


def _address() -> str:
    return request.remote_addr or "unknown"


def _token_key() -> str:
    raw = bearer()
    if raw is None or len(raw) > max(devices.TOKEN_MAX, access_tokens.TOKEN_MAX):
        return f"no-token|{_address()}"
    kind = "pat" if access_tokens.is_access_token(raw) else "device"
    return f"{kind}:{token_hash(raw)}"


def _limit(name: str):
    return lambda: current_app.config.get(name, LIMITS[name])


def _per_token_limit() -> str:
    name = "API_TOKEN_LIMIT" if access_tokens.is_access_token(bearer()) else "API_ENTRY_LIMIT"
    return current_app.config.get(name, LIMITS[name])


def limited(view):
    """Per token, every request; per address, every refused token (401)."""
    view = limiter.shared_limit(_limit("API_REFUSED_LIMIT"), "api-refused",
                                key_func=_address,
                                deduct_when=lambda response: response.status_code == 401)(view)
    return limiter.shared_limit(_per_token_limit, "api-device", key_func=_token_key)(view)


def refused():
    """401: the token does not open anything (its words for the kind of token sent); 410
    for a phone whose diary the clinic has closed (discharged): signing in again would not
    help, and the phone shows the words."""
    raw = bearer()
    if access_tokens.is_access_token(raw):
        return problem(401, *TOKEN_REFUSED)
    if closed_diary_of(raw) is not None:
        return problem(410, "Your diary is closed", CLOSED)
    return problem(401)


def caller() -> ApiCaller:
    return g.caller


def note_patient(patient_id: int | None) -> None:
    """The patient this request is about, for the audit event of an access token's use."""
    g.api_patient_id = patient_id


def bearer_required(staff: bool = False):
    """Open the view only with a live token (see the module's docstring); `g.caller` is
    set, and for a device token also `g.patient`, `g.user` and `g.device`. `staff`: the
    resource is for staff only (a device token gets 404). The body is not read first."""
    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            at = now()
            found = api_caller(bearer(), at)
            if found is None:
                return refused()
            g.caller = found
            if found.device is not None:
                g.patient, g.user, g.device = found.patient, found.user, found.device
                devices.mark_used(found.device, at)
                if staff:
                    return problem(404)
                return view(*args, **kwargs)
            return _audited(found, view, args, kwargs, at)
        return wrapped
    return decorator


def _audited(found: ApiCaller, view, args, kwargs, at):
    """Run the view for an access token, and audit the use whatever the answer."""
    status = 500
    try:
        if request.method not in READS and not found.may_write:
            response = problem(403, *READ_ONLY)
        else:
            response = current_app.make_response(view(*args, **kwargs))
        status = response.status_code
        return response
    except HTTPException as error:
        status = error.code or 500
        raise
    finally:
        if status >= 500:
            db.session.rollback()
        access_tokens.record_use(found.token, request.method, request.path, status,
                                 g.get("api_patient_id"), at)


device_token_required = bearer_required()
