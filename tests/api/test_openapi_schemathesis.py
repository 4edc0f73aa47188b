"""schemathesis over the API's own OpenAPI document (issue 13): every operation the document
lists at run time, with the tokens it declares, answers without a server error, with a status
code, content type, headers and body its document allows, and refuses a request that carries
no token (or only a session cookie, or an unknown token) with 401 problem+json.

The document is read from the app itself (`/api/v1/openapi.json`) when the tests are
collected, so an operation added to the API is tested here without a change to this file.
Each test gets a fresh database (tests/conftest.py: SQLite, or PostgreSQL when
DIARY_TEST_DATABASE_URL is set) seeded with a clinic: a clinician with two-factor sign-in,
two patients, entries and a block with its decision. Requests that write are sent too: what
one example deletes, the next finds gone (404), which the document must allow as well.

Generation is reproducible: hypothesis is derandomized and schemathesis's seed is fixed, so a
failure seen in CI is the failure seen on a laptop.
"""

import re
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import pyotp
import pytest
import schemathesis
import sqlalchemy as sa
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.config import SchemathesisConfig
from schemathesis.core.result import Ok
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    ignored_auth,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from diary.data.db import db
from diary.data.models import Block, BlockDecision, Patient, User
from diary.web import create_app
from tests.conftest import BASE_CONFIG, post_form, sign_in
from tests.web.device_helpers import mint_token
from tests.web.helpers import NOW, add_entry

DOC = "/api/v1/openapi.json"
PROBLEM = "application/problem+json"
METHODS = ("get", "put", "post", "delete", "patch", "head", "options", "trace")
CLINICIAN, PATIENT = "dr@clinic.example", "pat@home.example"
DEVICE_SCHEME = "deviceToken"  # diary/web/api/__init__.py; every other bearer scheme is staff's
ENTRY_ID = "5b1f0c3e-8d2a-4c6e-9f1b-2a7d4e8c0b13"         # the patient's latest entry
OTHER_ENTRY_ID = "9e4c2a71-3b5d-4f08-8a6c-1d2e3f405162"   # the other patient's
# What a path parameter may name, as seeded in a fresh database (ids start at 1 on SQLite and,
# after TRUNCATE ... RESTART IDENTITY, on PostgreSQL): the token's own, and another patient's.
SEEDED = {"patient": [1, 2], "entry": [ENTRY_ID, OTHER_ENTRY_ID], "block": [1],
          "decision": [1], "record": ["R-0001", "R-0002"]}

# schemathesis sends requests' default Accept-Encoding (gzip, br, zstd), which Flask-Compress
# honours, but its WSGI transport does not decode the body: ask for it as it is.
PLAIN = {"Accept-Encoding": "identity"}
# Every finding is a bug in the API, never a reason to loosen one of these.
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_headers_conformance, response_schema_conformance, ignored_auth]

# Bounded, reproducible generation (the repo's fuzz tests use the same health-check set).
SEED = 20250615
EXAMPLES = 50
FUZZ = settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture,
                                       HealthCheck.too_slow])


def _load_schema():
    """The document, read from an app of its own: the document does not depend on the data,
    and every test sends its requests to its own app (`call_and_validate(app=...)`)."""
    app = create_app({**BASE_CONFIG, "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    loaded = schemathesis.openapi.from_wsgi(
        DOC, app, config=SchemathesisConfig.from_dict(
            {"seed": SEED, "generation": {"max-examples": EXAMPLES}}))
    with app.app_context():
        db.engine.dispose()
    return loaded


schema = _load_schema()
DOCUMENT = schema.raw_schema


def operations() -> list[tuple[str, str, dict]]:
    """(method, path, operation) for every operation the document lists."""
    found = []
    for path, item in DOCUMENT.get("paths", {}).items():
        for method in METHODS:
            if method in item:
                found.append((method, path, item[method]))
    return found


def security_of(operation: dict) -> list[dict]:
    """The operation's security requirements (its own, else the document's)."""
    return operation.get("security", DOCUMENT.get("security", []))


def schemes_of(operation: dict) -> list[str]:
    """The security schemes that open the operation, in the document's order."""
    names = []
    for requirement in security_of(operation):
        for name in requirement:
            if name not in names:
                names.append(name)
    return names


def is_secured(operation: dict) -> bool:
    """Some token is needed: a requirement, and no empty (anonymous) alternative."""
    requirements = security_of(operation)
    return bool(requirements) and all(requirements)


def staff_schemes() -> list[str]:
    """The document's bearer schemes for staff tokens (every one but the phone's)."""
    schemes = DOCUMENT.get("components", {}).get("securitySchemes", {})
    return [name for name, scheme in schemes.items()
            if name != DEVICE_SCHEME and scheme.get("scheme", "").lower() == "bearer"]


SINGULAR = {"patients": "patient", "entries": "entry", "blocks": "block",
            "decisions": "decision", "exports": "export", "analysis": "block"}


def seeded_kind(path: str, name: str) -> str | None:
    """Which seeded thing a path parameter names: `patient_id` a patient, `{id}` whatever the
    segment before it lists (/patients/{id}: a patient), `record_number` a record number."""
    if name.endswith("_id"):
        return name[:-3]
    if "record" in name:
        return "record"
    segments = path.split("/")
    slot = "{" + name + "}"
    if slot in segments:
        before = segments[segments.index(slot) - 1]
        return SINGULAR.get(before, before)
    return None


# ------------------------------------------------------------------ the seeded clinic


@dataclass
class Clinic:
    """A seeded clinic (ids as in SEEDED) and the tokens that open the API."""

    app: object
    totp_secret: str = ""
    tokens: dict[str, str] = field(default_factory=dict)   # security scheme -> raw token

    def credentials(self, operation: dict) -> list[dict]:
        """The Authorization headers to send: one per scheme the operation accepts (a device
        token and a staff token both, where both open it); none where none is needed."""
        if not is_secured(operation):
            return [dict(PLAIN)]
        unknown = [name for name in schemes_of(operation) if name not in self.tokens]
        assert not unknown, f"no token to test with for the security schemes {unknown}"
        return [{**PLAIN, "Authorization": f"Bearer {self.tokens[name]}"}
                for name in schemes_of(operation)]


def _add_block(app, patient_id: int, performed_at: datetime) -> int:
    with app.app_context():
        patient = db.session.get(Patient, patient_id)
        block = Block(patient_id=patient_id, recorded_by=patient.clinician_id,
                      performed_at=performed_at, utc_offset_min=60, side="left",
                      kind="diagnostic_la", agent="Bupivacaine 0.25%", pre_pain=8,
                      temp_treated_pre_c=28.0, temp_treated_30_c=33.5,
                      temp_other_pre_c=28.2, temp_other_30_c=28.4)
        db.session.add(block)
        db.session.flush()
        db.session.add(BlockDecision(block_id=block.id, agrees=True, plan="repeat",
                                     decided_by=patient.clinician_id, decided_at=NOW))
        db.session.commit()
        return block.id


def _staff_token(app, user_id: int) -> str:
    """A read-and-write personal access token of the clinician, made by the service behind
    the staff's API tokens page."""
    from diary.services import access_tokens

    with app.app_context():
        user = db.session.get(User, user_id)
        _, raw = access_tokens.issue(user, "schemathesis", "read write", 30, NOW)
    return raw


@pytest.fixture
def clinic(app, world, clock) -> Clinic:
    """A clinician with two-factor sign-in; their patient (with a login) with three entries
    and a block with its decision, and a second patient with one entry; a device token from
    the first patient's phone, and a staff token if the document has a scheme for one."""
    clock.now = NOW
    clinician = world.clinician(email=CLINICIAN)
    secret = world.second_factor(clinician)
    patient = world.patient(clinician, email=PATIENT, record="R-0001")
    other = world.patient(clinician, name="Other Patient", record="R-0002")
    for days, pain, entry_id in ((3, 7, None), (2, 5, None), (1, 3, ENTRY_ID)):
        add_entry(app, patient, NOW - timedelta(days=days, hours=2), pain=pain,
                  temp_treated_c=29.5, temp_other_c=30.0,
                  **({"id": entry_id} if entry_id else {}))
    add_entry(app, other, NOW - timedelta(days=1), pain=4, id=OTHER_ENTRY_ID)
    block = _add_block(app, patient, NOW - timedelta(days=4))
    with app.app_context():
        decision = db.session.scalar(sa.select(BlockDecision.id))
    assert [patient, other, block, decision] == [*SEEDED["patient"], *SEEDED["block"],
                                                 *SEEDED["decision"]]

    phone = app.test_client()
    assert sign_in(phone, PATIENT).status_code == 302
    found = Clinic(app=app, totp_secret=secret, tokens={DEVICE_SCHEME: mint_token(phone)})
    if staff_schemes():
        raw = _staff_token(app, clinician)
        for name in staff_schemes():
            found.tokens[name] = raw
    return found


# ------------------------------------------------------------------ schemathesis

@schema.hook
def flatmap_path_parameters(context, path_parameters):
    """Each path parameter as generated, or (as often) the seeded patient, entry or block it
    names, so the examples reach the data behind the routes and not only their 404s."""
    path = context.operation.path
    choices = {}
    for name, value in (path_parameters or {}).items():
        kind = seeded_kind(path, name)
        choices[name] = st.sampled_from([value, *SEEDED.get(kind, [])])
    return st.fixed_dictionaries(choices)


@schema.parametrize()
@FUZZ
def test_every_operation_keeps_to_its_document(case, clinic):
    """No 5xx; the status code, content type, headers and body are the ones documented; an
    operation that answers 2xx with a token refuses the same request without one. Called
    once with each token the operation accepts (the phone's, a staff member's)."""
    for headers in clinic.credentials(case.operation.definition.raw):
        case.call_and_validate(app=clinic.app, headers=headers, checks=CHECKS)


def test_the_whole_document_is_tested():
    """Every operation of the document is one of the parametrized tests above (an operation
    whose definition schemathesis cannot read would be an error there, not a silent gap)."""
    listed = {(method.upper(), path) for method, path, _ in operations()}
    results = list(schema.get_all_operations())
    assert all(isinstance(result, Ok) for result in results), results
    tested = {(result.ok().method.upper(), result.ok().path) for result in results}
    assert listed and listed == tested


# ------------------------------------------------------------------ no token, no entry


def path_parameter_schemas(path: str, operation: dict) -> dict[str, dict]:
    """The schema of each path parameter (the path item's own, then the operation's)."""
    found = {}
    for parameter in [*DOCUMENT["paths"][path].get("parameters", []),
                      *operation.get("parameters", [])]:
        if parameter.get("in") == "path":
            found[parameter["name"]] = parameter.get("schema", {})
    return found


def _path_with_ids(path: str, operation: dict) -> str:
    """The path as the token's own patient would ask for it: the seeded patient's ids, the
    first value a parameter allows (an export's kind), else 1 (so a refusal cannot be put
    down to a path that matches no route)."""
    schemas = path_parameter_schemas(path, operation)

    def fill(match):
        name = match.group(1)
        kind, schema_ = seeded_kind(path, name), schemas.get(name, {})
        if kind in SEEDED:
            return str(SEEDED[kind][0])
        for key in ("enum", "examples"):
            if schema_.get(key):
                return str(schema_[key][0])
        return str(schema_.get("const", schema_.get("example", schema_.get("default", 1))))
    return re.sub(r"\{([^}]+)\}", fill, path)


SECURED = [(method, path) for method, path, op in operations() if is_secured(op)]


REFUSALS = ("nothing", "session cookie", "unknown token", "unknown staff token")


def _signed_in(app, clinic: Clinic, operation: dict):
    """A client signed in on the pages as who the operation is for: the patient where a
    device token opens it, else the clinician (with their second factor)."""
    client = app.test_client()
    if DEVICE_SCHEME in schemes_of(operation):
        assert sign_in(client, PATIENT).status_code == 302
        return client
    assert sign_in(client, CLINICIAN).status_code == 302
    code = pyotp.TOTP(clinic.totp_secret).at(NOW)
    assert post_form(client, "/sign-in/code", {"code": code}).status_code == 302
    return client


@pytest.mark.parametrize(("method", "path"), SECURED, ids=[f"{m.upper()} {p}" for m, p in SECURED])
def test_no_token_is_refused_with_401_problem(app, clinic, method, path):
    """Every operation that declares security answers 401 problem+json, with
    `WWW-Authenticate: Bearer`, to a request without a valid token: with nothing, with only
    a signed-in session's cookie (the API takes no cookie), with a token it never gave."""
    operation = DOCUMENT["paths"][path][method]
    url = _path_with_ids(path, operation)
    for way in REFUSALS:
        client, headers = app.test_client(), {}
        if way == "session cookie":
            client = _signed_in(app, clinic, operation)
        elif way == "unknown token":
            headers["Authorization"] = f"Bearer {secrets.token_urlsafe(32)}"
        elif way == "unknown staff token":
            headers["Authorization"] = f"Bearer bdp_{secrets.token_urlsafe(32)}"
        response = client.open(url, method=method.upper(), json={}, headers=headers)
        said = (way, url, response.status_code, response.get_data(as_text=True)[:300])
        assert response.status_code == 401, said
        assert response.mimetype == PROBLEM, said
        body = response.get_json()
        assert body["status"] == 401 and body["title"] and body["type"], said
        assert response.headers.get("WWW-Authenticate", "").lower().startswith("bearer"), said


def test_the_document_declares_security():
    """The phone's scheme is in the document, and every operation but the document itself
    names its scheme: a new operation cannot be left open by mistake."""
    assert DEVICE_SCHEME in DOCUMENT["components"]["securitySchemes"]
    assert SECURED, "no operation declares security"
    unsecured = [(m, p) for m, p, op in operations() if not is_secured(op)]
    assert unsecured == [], unsecured
