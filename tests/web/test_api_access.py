"""The access matrix of the API: every route × every kind of caller, the status each gets.

Clinician X has patients A and B; clinician Y (another clinic) has none of them. Callers: no
token, a signed-in browser's cookie only, A's phone (device token), B's phone, X's read token,
X's write token, Y's write token, X's revoked token, X's expired token. Patient A's token
cannot reach B; a device token gets 404 on staff-only resources; a read token cannot write;
a revoked or expired token is refused; nothing refused writes anything but the audit of a
staff token's use; every write is audited.
"""

import re
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from diary.data.db import db
from diary.data.models import AccessToken, AuditEvent, Block, BlockDecision, DeviceToken, Patient
from diary.data.tokens import token_hash
from diary.services import access_tokens
from tests.conftest import sign_in
from tests.web.device_helpers import call, entry_body, issue_pat
from tests.web.helpers import NOW, add_entry, audit_rows, every_table

pytestmark = pytest.mark.usefixtures("fixed_now")

X, Y = "x@clinic.example", "y@clinic.example"
A, B = "a@home.example", "b@home.example"
CALLERS = ("none", "cookie", "device_a", "device_b", "read", "write", "other_clinic",
           "revoked", "expired")


@pytest.fixture
def town(app, world):
    x, y = world.clinician(X, "Dr X"), world.clinician(Y, "Dr Y")
    ids = {"x": x, "y": y, "pA": world.patient(x, "Alice", A), "pB": world.patient(x, "Bob", B)}
    when = datetime(2025, 6, 15, 8, 0, tzinfo=UTC)
    ids["eA"] = add_entry(app, ids["pA"], when, notes="entry of A")
    ids["eB"] = add_entry(app, ids["pB"], when, notes="entry of B")
    tokens = {}
    with app.app_context():
        for p in ("A", "B"):
            block = Block(patient_id=ids["p" + p], performed_at=when - timedelta(days=3),
                          side="left", kind="diagnostic_la", recorded_by=x)
            db.session.add(block)
            patient = db.session.get(Patient, ids["p" + p])
            tokens["device_" + p.lower()] = raw = f"device-token-of-{p}-" + "x" * 24
            db.session.add(DeviceToken(user_id=patient.user_id, patient_id=patient.id,
                                       token_hash=token_hash(raw), name=f"phone of {p}"))
            db.session.flush()
            ids["b" + p] = block.id
        db.session.add(BlockDecision(block_id=ids["bA"], agrees=True, plan="discharge",
                                     decided_by=x, decided_at=NOW))
        db.session.commit()
    tokens["read"] = issue_pat(app, x, "read")
    tokens["write"] = issue_pat(app, x, "read write")
    tokens["other_clinic"] = issue_pat(app, y, "read write")
    tokens["revoked"] = issue_pat(app, x, "read write")
    tokens["expired"] = issue_pat(app, x, "read write", days=1, at=NOW - timedelta(days=2))
    with app.test_request_context():
        from diary.data.models import User

        revoked = db.session.scalar(sa.select(AccessToken).where(
            AccessToken.token_hash == token_hash(tokens["revoked"])))
        access_tokens.revoke(revoked, db.session.get(User, x), NOW)
    ids["tokens"] = tokens
    ids["what"] = "entries"
    return ids


ENTRY_EDIT = {"observed_at": "2025-06-15T10:00", "pain": 2, "temp_unit": "C"}
DECISION = {"agrees": False, "reason": "Too short", "plan": "other_treatment"}

# (method, path, body, the write it makes when allowed)
ROUTES = {
    "list patients": ("GET", "/api/v1/patients", None, None),
    "patient": ("GET", "/api/v1/patients/{pA}", None, None),
    "entries": ("GET", "/api/v1/patients/{pA}/entries", None, None),
    "send entry": ("POST", "/api/v1/entries", "entry", "entry.create"),
    "entry": ("GET", "/api/v1/entries/{eA}", None, None),
    "change entry": ("PUT", "/api/v1/entries/{eA}", ENTRY_EDIT, "entry.update"),
    "delete entry": ("DELETE", "/api/v1/entries/{eA}", None, "entry.delete"),
    "blocks": ("GET", "/api/v1/patients/{pA}/blocks", None, None),
    "block": ("GET", "/api/v1/blocks/{bA}", None, None),
    "analysis": ("GET", "/api/v1/blocks/{bA}/analysis", None, None),
    "decision": ("GET", "/api/v1/blocks/{bA}/decision", None, None),
    "decide": ("PUT", "/api/v1/blocks/{bA}/decision", DECISION, "decision.update"),
    "export": ("GET", "/api/v1/patients/{pA}/exports/{what}", None, None),
}
OWN = {"list patients", "patient", "entries", "send entry", "entry", "change entry",
       "delete entry"}  # what a phone may do in its own diary
OK = {"GET": 200, "POST": 201, "PUT": 200, "DELETE": 204}


def expected(route: str, who: str) -> int:
    method = ROUTES[route][0]
    if who in ("none", "cookie", "revoked", "expired"):
        return 401
    if who == "device_a":
        return OK[method] if route in OWN else 404
    if who == "device_b":  # B's phone: its own list, its own diary for a new entry; not A's
        return OK[method] if route in ("list patients", "send entry") else 404
    if who == "read":
        return OK[method] if method == "GET" else 403
    if who == "write":
        return OK[method]
    # Another clinic's staff: their own (empty) list; A is not theirs to reach.
    return 200 if route == "list patients" else 404


MATRIX = [(route, who, expected(route, who)) for route in ROUTES for who in CALLERS]


def client_for(app, who):
    client = app.test_client()
    if who == "cookie":  # signed in as the owning clinician, cookies only
        assert sign_in(client, X).status_code == 302
    return client


@pytest.mark.parametrize(("route", "who", "status"), MATRIX,
                         ids=[f"{r}-{w}-{s}" for r, w, s in MATRIX])
def test_api_access_matrix(app, town, route, who, status):
    method, path, body, write = ROUTES[route]
    client = client_for(app, who)
    token = town["tokens"].get(who)
    kwargs = {}
    if body == "entry":
        kwargs["json"] = entry_body(patient_id=town["pA"])
    elif body is not None:
        kwargs["json"] = body
    before = every_table(app)
    uses = len(audit_rows(app, AuditEvent.action.like("api.%")))

    response = call(client, method, path.format(**town), token, **kwargs)

    assert response.status_code == status, response.get_data(as_text=True)[:300]
    if status >= 400:
        assert response.mimetype == "application/problem+json"
        assert "<" not in response.get_data(as_text=True)
        after = every_table(app)
        changed = {t for t in after if after[t] != before[t]}
        if who in ("read", "write", "other_clinic"):  # a live staff token: its use audited
            assert changed <= {"access_token", "audit_event"}
            assert len(audit_rows(app, AuditEvent.action.like("api.%"))) == uses + 1
        elif who.startswith("device"):
            assert changed <= {"device_token"}  # its last use, nothing else
        else:
            assert changed == set()
    if status == 401:
        assert response.headers["WWW-Authenticate"] == "Bearer"
    if write is not None and status < 400:  # every write through the API is audited
        [event] = audit_rows(app, AuditEvent.action == write)
        assert event.patient_id in (town["pA"], town["pB"])
    if token is not None and who in ("read", "write", "other_clinic"):
        action = "api.read" if method == "GET" else "api.write"
        assert audit_rows(app, AuditEvent.action == action)[-1].actor_id == (
            town["y"] if who == "other_clinic" else town["x"])


def _shape(path: str) -> str:
    return re.sub(r"<[^>]+>|\{[^}]+\}", "{}", path)


def test_the_matrix_covers_every_api_route(app):
    """A route added to the API must be added to the matrix too (the FHIR exports have their
    own matrix in tests/api/)."""
    covered = {(method, _shape(path)) for method, path, *_ in ROUTES.values()}
    seen = 0
    for rule in app.url_map.iter_rules():
        if (not rule.rule.startswith("/api/v1/") or rule.endpoint.startswith("api-docs")
                or "fhir" in rule.rule):
            continue
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            assert (method, _shape(rule.rule)) in covered, (method, rule.rule)
            seen += 1
    assert seen == len(ROUTES)


def test_patient_a_s_phone_cannot_read_b_s_entry_which_looks_like_nothing_there(app, town):
    api = app.test_client()
    theirs = call(api, "GET", f"/api/v1/entries/{town['eB']}", town["tokens"]["device_a"])
    missing = call(api, "GET", "/api/v1/entries/00000000-0000-4000-8000-000000000000",
                   town["tokens"]["device_a"])
    assert theirs.status_code == missing.status_code == 404
    assert theirs.get_data() == missing.get_data()
    mine = call(api, "GET", f"/api/v1/entries/{town['eA']}", town["tokens"]["device_a"])
    assert mine.status_code == 200 and mine.get_json()["notes"] == "entry of A"


def test_a_phone_s_entry_goes_into_its_own_diary_whatever_patient_id_says(app, town):
    body = entry_body(patient_id=town["pA"])
    response = call(app.test_client(), "POST", "/api/v1/entries", town["tokens"]["device_b"],
                    json=body)
    assert response.status_code == 201
    with app.app_context():
        from diary.data.models import Entry

        assert db.session.get(Entry, body["client_id"]).patient_id == town["pB"]
