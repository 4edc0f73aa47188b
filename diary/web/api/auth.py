"""The API's door: a phone's device token in `Authorization: Bearer …`, never a cookie.

A request that carries only our session cookie is refused (401) like one that carries
nothing, so no other site can make a browser write through the API: there is no CSRF surface
and the API needs no CSRF token. Who the token opens is decided by the one access rule
(`diary.web.security.patient_from_device_token`).

Limits (docs/security.md, *Brute force*): sends per token (`API_ENTRY_LIMIT`, 60 a minute:
a phone's whole outbox at once), and refused tokens per address (`API_REFUSED_LIMIT`, 30 a
minute), over the limiter's shared counters; the token is keyed by its hash, never itself.
"""

from functools import wraps

from flask import current_app, g, request

from diary.data.clock import now
from diary.data.tokens import token_hash
from diary.services import devices
from diary.web.api.problems import problem
from diary.web.extensions import limiter
from diary.web.security import patient_from_device_token

LIMITS = {"API_ENTRY_LIMIT": "60 per minute", "API_REFUSED_LIMIT": "30 per minute"}


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
    if raw is None or len(raw) > devices.TOKEN_MAX:
        return f"no-token|{_address()}"
    return f"device:{token_hash(raw)}"


def _limit(name: str):
    return lambda: current_app.config.get(name, LIMITS[name])


def limited(view):
    """Per token, every send; per address, every refused token (401)."""
    view = limiter.shared_limit(_limit("API_REFUSED_LIMIT"), "api-refused",
                                key_func=_address,
                                deduct_when=lambda response: response.status_code == 401)(view)
    return limiter.shared_limit(_limit("API_ENTRY_LIMIT"), "api-device",
                                key_func=_token_key)(view)


def device_token_required(view):
    """Open the view only with a live device token of an active patient's own, unarchived
    diary: `g.patient`, `g.user` and `g.device` are set, and the token's last use noted.
    Anything else is 401 with `WWW-Authenticate: Bearer`; the body is not read."""
    @wraps(view)
    def wrapped(*args, **kwargs):
        found = patient_from_device_token(bearer())
        if found is None:
            return problem(401)
        g.patient, g.user, g.device = found
        devices.mark_used(g.device, now())
        return view(*args, **kwargs)
    return wrapped
