"""POST /api/v1/entries: the phone's outbox, authenticated by a device token (never a cookie),
checked by the entry form itself, saved once per client id, audited, rate limited; errors as
problem+json; the OpenAPI document."""

import html as htmllib
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest

from diary.data.models import AuditEvent
from diary.web.api import entries as api_entries
from diary.web.forms.entry import EntryForm
from tests.conftest import csrf_token, sign_in
from tests.web.device_helpers import API, device_rows, entry_body, mint_token, send
from tests.web.helpers import (
    FULL_ENTRY,
    NOW,
    audit_rows,
    entries,
    error_after,
    every_table,
    new_entry_data,
    user_id,
)

pytestmark = pytest.mark.usefixtures("fixed_now")

PATIENT = "pat@home.example"
PROBLEM = "application/problem+json"


@pytest.fixture
def phone(app, world):
    """A patient, signed in on their phone, which holds a device token."""
    world.clinician_id = world.clinician()
    world.patient_id = world.patient(world.clinician_id, email=PATIENT)
    client = app.test_client()
    assert sign_in(client, PATIENT).status_code == 302
    client.token = mint_token(client)
    return client


@pytest.fixture
def outbox(app):
    """The outbox sending from a phone whose cookies are gone (session expired)."""
    return app.test_client()


def _problem(response, status):
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == PROBLEM
    body = response.get_json()
    assert body["type"] == "about:blank" and body["status"] == status and body["title"]
    return body


# ------------------------------------------------------------------ saved once

def test_a_queued_entry_is_saved_once_however_often_it_is_sent(app, phone, outbox, world):
    body = entry_body(**FULL_ENTRY)
    first = send(outbox, phone.token, body)
    assert first.status_code == 201
    assert first.get_json() == {"id": body["client_id"], "status": "created"}
    for _ in range(3):
        again = send(outbox, phone.token, body)
        assert again.status_code == 200
        assert again.get_json() == {"id": body["client_id"], "status": "already saved"}
    [entry] = entries(app)
    assert entry.id == body["client_id"] and entry.patient_id == world.patient_id
    assert entry.entered_by == user_id(app, PATIENT)
    assert entry.pain == 6 and entry.temp_treated_c == 28.4
    assert entry.side_effects == "back_soreness;leg_numbness" and entry.rescue_medication
    [event] = audit_rows(app, AuditEvent.action == "entry.create")
    assert event.object_id == body["client_id"] and event.actor_id == user_id(app, PATIENT)
    assert event.patient_id == world.patient_id
    assert "Walked to the shop" not in repr([event.before, event.after])  # no diary content


def test_the_same_client_id_with_other_answers_is_a_conflict(app, phone, outbox):
    body = entry_body()
    assert send(outbox, phone.token, body).status_code == 201
    problem = _problem(send(outbox, phone.token, {**body, "pain": "9"}), 409)
    assert problem["title"] == "The entry was not saved"
    assert "already sent with different answers" in problem["detail"]
    [entry] = entries(app)
    assert entry.pain == 5


def test_an_entry_sent_by_the_form_then_by_the_outbox_is_saved_once(app, phone, outbox):
    data = new_entry_data(phone, pain="4")
    assert phone.post("/diary/", data=data).status_code == 302
    body = {k: v for k, v in data.items() if k != "csrf_token"}
    assert send(outbox, phone.token, body).get_json()["status"] == "already saved"
    assert len(entries(app)) == 1


def test_eight_sends_of_one_entry_at_once_store_it_once(app, phone):
    body = entry_body(pain="3")
    clients = [app.test_client() for _ in range(8)]
    barrier = threading.Barrier(8)

    def post(client):
        barrier.wait()
        return send(client, phone.token, body).status_code

    with ThreadPoolExecutor(8) as pool:
        codes = sorted(pool.map(post, clients))
    assert codes == [200] * 7 + [201]
    assert len(entries(app)) == 1
    assert len(audit_rows(app, AuditEvent.action == "entry.create")) == 1


def test_numbers_and_true_are_read_as_the_form_posts_them(app, phone, outbox):
    """The same answers through the page and as JSON numbers and booleans: equal rows."""
    form = {**FULL_ENTRY, "observed_at": "2025-06-15T09:15", "did_not_walk": None}
    assert phone.post("/diary/", data=new_entry_data(phone, **form)).status_code == 302
    body = entry_body(observed_at="2025-06-15T09:15", pain=6, temp_unit="C", temp_treated=28.4,
                      temp_other=30.1, colour="blue_purple", feels="colder",
                      walk_pain_free_min=12, walk_max_min=25, swelling="mild", sweating="less",
                      side_effects=["back_soreness", "leg_numbness"], rescue_medication=True,
                      did_not_walk=False, notes=FULL_ENTRY["notes"], pgic=None)
    assert send(outbox, phone.token, body).status_code == 201
    by_page, by_api = entries(app)
    for column in ("observed_at", "utc_offset_min", "pain", "temp_treated_c", "temp_other_c",
                   "colour", "feels", "walk_pain_free_min", "walk_max_min", "did_not_walk",
                   "swelling", "sweating", "side_effects", "rescue_medication", "notes",
                   "pgic"):
        assert getattr(by_page, column) == getattr(by_api, column), column


# ------------------------------------------------------------------ one rule set

BAD = {
    "pain missing": {"pain": ...},
    "pain out of range": {"pain": "11"},
    "temperature 12 °C": {"temp_treated": "12"},
    "°F typed as °C": {"temp_other": "95"},
    "other scripts' digits": {"temp_treated": "٣٠"},
    "not a number": {"walk_max_min": "ten"},
    "control characters": {"notes": "fine\x00\x1b[31m"},
    "too long notes": {"notes": "x" * 1001},
    "10 kB notes": {"notes": "9" * 10_000},
    "in the future": {"observed_at": "2025-06-16T11:00"},
    "not a time": {"observed_at": "yesterday"},
    "no client id": {"client_id": ...},
    "upper-case client id": {"client_id": str(uuid.uuid4()).upper()},
    "walked and did not": {"did_not_walk": "y", "walk_max_min": "5"},
    "hostile choice": {"colour": "<script>alert(1)</script>"},
    "hostile side effect": {"side_effects": ["back_soreness", "'; DROP TABLE entry;--"]},
}


@pytest.mark.parametrize("fields", BAD.values(), ids=BAD.keys())
def test_refused_with_the_form_s_own_messages(app, phone, outbox, fields):
    """The same bad input through the page and through the API: the same messages, by field,
    and nothing saved either way."""
    before = every_table(app)
    page_data = new_entry_data(phone, **{"pain": "5", "observed_at": "2025-06-15T11:00",
                                         **fields})
    page_data = {k: v for k, v in page_data.items() if v is not ...}
    page = phone.post("/diary/", data=page_data).get_data(as_text=True)
    body = entry_body(**fields)
    problem = _problem(send(outbox, phone.token, body), 422)
    assert problem["title"] == "The entry was not saved"
    assert problem["errors"], problem
    for name, messages in problem["errors"].items():
        shown = error_after(page, name)
        assert shown is not None, (name, messages)
        assert htmllib.unescape(shown) == " | ".join(messages)
    assert set(problem) >= {"type", "title", "status", "detail", "errors", "warnings"}
    after = every_table(app)
    after.pop("device_token"), before.pop("device_token")  # last used: now
    assert after == before


@pytest.mark.parametrize(("body", "field", "message"), [
    ({"pain": {"x": 1}}, "pain", api_entries.TYPE_MESSAGE),
    ({"pain": []}, "pain", api_entries.TYPE_MESSAGE),
    ({"pain": ["5"]}, "pain", api_entries.TYPE_MESSAGE),
    ({"pain": True}, "pain", api_entries.TYPE_MESSAGE),
    ({"pain": None}, "pain", "Please tap a number from 0 to 10."),  # null: not answered
    ({"notes": {"text": "hi"}}, "notes", api_entries.TYPE_MESSAGE),
    ({"temp_treated": [30]}, "temp_treated", api_entries.TYPE_MESSAGE),
    ({"side_effects": [{"a": 1}]}, "side_effects", api_entries.LIST_MESSAGE),
    ({"side_effects": [True]}, "side_effects", api_entries.LIST_MESSAGE),
    ({"rescue_medication": {"y": 1}}, "rescue_medication", api_entries.TYPE_MESSAGE),
    ({"client_id": 12345}, "client_id", "Please reload the page."),
    ({"temp_treated": float("nan")}, "temp_treated", "Please type a number, like 31.5."),
    ({"temp_treated": 1e400}, "temp_treated", "Please type a number, like 31.5."),
])
def test_wrong_json_types_are_a_clear_422_and_save_nothing(app, phone, outbox, body, field,
                                                           message):
    problem = _problem(send(outbox, phone.token, entry_body(**body)), 422)
    assert problem["errors"][field] == [message]
    assert entries(app) == []


@pytest.mark.parametrize("raw", ["[]", "null", '"an entry"', "5", "true", "[{}]"])
def test_a_body_that_is_not_an_object_is_a_clear_422(app, phone, outbox, raw):
    response = outbox.post(API, data=raw, content_type="application/json",
                           headers={"Authorization": f"Bearer {phone.token}"})
    problem = _problem(response, 422)
    assert problem["detail"] == api_entries.NOT_AN_OBJECT
    assert problem["errors"] == {} and problem["warnings"] == {}
    assert entries(app) == []


def test_names_the_form_does_not_have_are_ignored_as_the_form_ignores_them(app, phone, outbox):
    body = entry_body(csrf_token="whatever", patient_id=999, entered_by=1, id="x")
    assert send(outbox, phone.token, body).status_code == 201
    [entry] = entries(app)
    assert entry.entered_by == user_id(app, PATIENT)


def test_an_unusual_reading_needs_the_confirm_tick_as_on_the_page(app, phone, outbox):
    body = entry_body(temp_treated="19")
    problem = _problem(send(outbox, phone.token, body), 422)
    assert problem["errors"] == {}
    assert problem["warnings"] == {"temp_treated": [
        "That is cold for a foot. Please re-measure after 15 minutes indoors, barefoot."]}
    assert "confirm_unusual" in problem["detail"]
    page = phone.post("/diary/", data=new_entry_data(phone, pain="5", temp_treated="19"))
    assert "That is cold for a foot." in page.get_data(as_text=True)  # the page's own warning
    assert entries(app) == []
    assert send(outbox, phone.token, {**body, "confirm_unusual": True}).status_code == 201
    [entry] = entries(app)
    assert entry.temp_treated_c == 19.0


# ------------------------------------------------------------------ who may send

def test_a_session_cookie_alone_is_refused(app, phone):
    """Signed in, cookies sent, even the page's CSRF token: without the bearer token, 401."""
    token = csrf_token(phone, "/diary/")
    before = every_table(app)
    for headers in ({}, {"X-CSRFToken": token}):
        problem = _problem(phone.post(API, json=entry_body(), headers=headers), 401)
        assert problem["title"] == "Please sign in again"
    response = phone.post(API, data={**entry_body(), "csrf_token": token})
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == "Bearer"
    assert every_table(app) == before


@pytest.mark.parametrize("authorization", [
    None, "", "Bearer", "Bearer ", "Bearer not-a-real-token", "bearer " + "A" * 43,
    "Basic cGF0QGhvbWUuZXhhbXBsZTpjb3JyZWN0IGhvcnNlIGJhdHRlcnk=", "Token abc",
    "Bearer " + "x" * 5000, "Bearer \x00",
])
def test_a_missing_or_unknown_token_is_refused(app, phone, outbox, authorization):
    headers = {} if authorization is None else {"Authorization": authorization}
    before = every_table(app)
    response = outbox.post(API, json=entry_body(), headers=headers)
    problem = _problem(response, 401)
    assert problem["title"] == "Please sign in again"
    assert response.headers["WWW-Authenticate"] == "Bearer"
    assert every_table(app) == before


def test_a_revoked_token_is_refused_and_its_entry_not_saved(app, phone, outbox):
    page = phone.get("/diary/account").get_data(as_text=True)
    [device] = device_rows(app)
    phone.post(f"/diary/devices/{device.id}/remove",
               data={"csrf_token": csrf_token(phone, "/diary/account")})
    assert "Remove" in page
    response = send(outbox, phone.token, entry_body())
    _problem(response, 401)
    assert response.headers["WWW-Authenticate"] == "Bearer"
    assert entries(app) == []


def test_a_token_opens_only_its_own_diary(app, phone, outbox, world):
    """Another patient's token saves into that patient's diary, never this one's; a client id
    of one diary cannot be taken over from another."""
    world.patient(world.clinician_id, name="B", email="b@home.example")
    other = app.test_client()
    sign_in(other, "b@home.example")
    theirs = mint_token(other)
    body = entry_body()
    assert send(outbox, phone.token, body).status_code == 201
    _problem(send(outbox, theirs, body), 409)
    assert send(outbox, theirs, entry_body()).status_code == 201
    mine, theirs_entry = entries(app)
    assert mine.patient_id == world.patient_id
    assert theirs_entry.patient_id != world.patient_id


def test_a_send_notes_the_token_s_last_use(app, phone, outbox, clock):
    from datetime import timedelta

    [device] = device_rows(app)
    assert device.last_used_at is None
    clock.now = NOW + timedelta(hours=2)
    assert send(outbox, phone.token, entry_body(observed_at="2025-06-15T12:00")).status_code \
        == 201
    [device] = device_rows(app)
    assert device.last_used_at == NOW + timedelta(hours=2)
    assert "last used 15 Jun 2025 13:30" in phone.get("/diary/account").get_data(as_text=True)


@pytest.mark.parametrize("app_config", [{"RATELIMIT_ENABLED": True,
                                         "API_ENTRY_LIMIT": "3 per minute"}])
def test_sends_are_rate_limited_per_token(app, phone, outbox):
    codes = [send(outbox, phone.token, entry_body()).status_code for _ in range(4)]
    assert codes == [201, 201, 201, 429]
    problem = _problem(send(outbox, phone.token, entry_body()), 429)
    assert problem["title"] == "Please wait a moment"
    assert len(entries(app)) == 3
    second = mint_token(phone)  # another phone of the same patient has its own count
    assert send(outbox, second, entry_body()).status_code == 201


@pytest.mark.parametrize("app_config", [{"RATELIMIT_ENABLED": True,
                                         "API_REFUSED_LIMIT": "3 per minute"}])
def test_refused_tokens_are_rate_limited_per_address(app, phone, outbox):
    env = {"REMOTE_ADDR": "203.0.113.7"}
    codes = [send(outbox, f"guess-{n}", entry_body(), environ_base=env).status_code
             for n in range(4)]
    assert codes == [401, 401, 401, 429]
    assert send(outbox, phone.token, entry_body(),
                environ_base={"REMOTE_ADDR": "198.51.100.2"}).status_code == 201


# ------------------------------------------------------------------ errors and the document

@pytest.mark.parametrize(("method", "path", "kwargs", "status"), [
    ("GET", "/api/v1/nothing-here", {}, 404),
    ("POST", "/api/v1/entries/", {}, 404),
    ("GET", "/api/v1/", {}, 404),
    ("GET", "/api/v1/entries", {}, 405),
    ("DELETE", "/api/v1/entries", {}, 405),
    ("POST", "/api/v1/openapi.json", {}, 405),
    ("POST", API, {"data": "{not json", "content_type": "application/json"}, 400),
    ("POST", API, {"data": "", "content_type": "application/json"}, 400),
    ("POST", API, {"data": "pain=5", "content_type": "application/x-www-form-urlencoded"},
     415),
    ("POST", API, {"data": '{"notes": "' + "x" * 70_000 + '"}',
                   "content_type": "application/json"}, 413),
])
def test_errors_under_the_api_are_problem_json_never_html(app, phone, outbox, method, path,
                                                          kwargs, status):
    before = every_table(app)
    response = outbox.open(path, method=method, headers={
        "Authorization": f"Bearer {phone.token}"}, **kwargs)
    problem = _problem(response, status)
    assert "<" not in response.get_data(as_text=True)
    if status == 405:
        assert "Allow" in response.headers and problem["title"] == "Not allowed"
    after = every_table(app)
    after.pop("device_token"), before.pop("device_token")  # last used: now
    assert after == before


def test_the_pages_keep_their_html_error_pages(client):
    response = client.get("/no-such-page")
    assert response.status_code == 404 and response.mimetype == "text/html"
    assert client.get("/api/v1-not-the-api").mimetype == "text/html"


def test_the_openapi_document_describes_the_endpoint(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200 and response.mimetype == "application/json"
    doc = response.get_json()
    assert doc["openapi"] == "3.1.0"
    assert doc["info"]["title"] == "Block Diary API" and doc["info"]["version"]
    operation = doc["paths"]["/api/v1/entries"]["post"]
    responses = operation["responses"]
    assert {"200", "201", "401", "409", "422", "429"} <= set(responses)
    for code in ("200", "201"):
        assert responses[code]["content"]["application/json"]["schema"]["$ref"] \
            == "#/components/schemas/Saved"
    for code in ("400", "401", "409", "413", "415", "422", "429"):
        assert set(responses[code]["content"]) == {PROBLEM}, code
        assert responses[code]["description"]
    assert "WWW-Authenticate" in responses["401"]["headers"]
    assert responses["422"]["content"][PROBLEM]["schema"]["$ref"] \
        == "#/components/schemas/EntryProblem"
    assert operation["security"] == [{"accessToken": []}, {"deviceToken": []}]
    schemes = doc["components"]["securitySchemes"]
    for scheme in ("deviceToken", "accessToken"):
        assert schemes[scheme] == {**schemes[scheme], "type": "http", "scheme": "bearer"}
    schemas = doc["components"]["schemas"]
    assert {"Saved", "Problem", "EntryProblem", "EntryFields"} <= set(schemas)
    assert set(schemas["EntryProblem"]["properties"]) == {"type", "title", "status", "detail",
                                                          "errors", "warnings"}
    body = operation["requestBody"]["content"]["application/json"]["schema"]
    assert body == {"$ref": "#/components/schemas/EntryFields"}
    # The request body is read from the entry form: every field of it, and nothing else.
    fields = schemas["EntryFields"]["properties"]
    with client.application.test_request_context():
        names = [f.name for f in EntryForm(meta={"csrf": False})]
    assert list(fields) == names
    assert {"client_id", "observed_at", "pain", "temp_unit"} <= set(
        schemas["EntryFields"]["required"])
    assert fields["notes"]["maxLength"] == 1000
    assert fields["side_effects"]["type"] == "array"
    assert "0" in fields["pain"]["enum"] and 10 in fields["pain"]["enum"]
    # Every $ref points at something in the document; no docs UI is served.
    text = response.get_data(as_text=True)
    for ref in set(__import__("re").findall(r'"\$ref": ?"#/components/(\w+)/(\w+)"', text)):
        assert ref[1] in doc["components"][ref[0]], ref
    for ui in ("/api/v1/swagger-ui", "/api/v1/redoc", "/api/v1/rapidoc", "/api/v1/docs"):
        assert client.get(ui).status_code == 404


def test_the_openapi_document_validates(client):
    from openapi_spec_validator import validate

    validate(client.get("/api/v1/openapi.json").get_json())


def test_the_entry_form_s_fields_are_what_the_api_reads():
    """The API reads exactly the form's fields (and so the document lists them)."""
    names = [name for name, _ in api_entries._fields()]
    assert names[:4] == ["client_id", "observed_at", "pain", "temp_unit"]
    assert {"notes", "side_effects", "confirm_unusual", "rescue_medication"} <= set(names)
    assert "csrf_token" not in names


def test_a_path_no_route_takes_is_404_whatever_the_method(app, phone, outbox, world):
    """Found by schemathesis (tests/api): an id past the column's range, which no route's
    converter takes, was 405 "use GET" for the other methods, though that GET is 404. It is
    404 for every method now; a path that is a route keeps its 405 and Allow."""
    from diary.clinical.limits import ID_MAX

    headers = {"Authorization": f"Bearer {phone.token}"}
    for method in ("GET", "PUT", "POST", "DELETE"):
        response = outbox.open(f"/api/v1/patients/{ID_MAX + 1}/entries", method=method,
                               headers=headers)
        _problem(response, 404)
        assert "Allow" not in response.headers
    response = outbox.put(f"/api/v1/patients/{world.patient_id}/entries", headers=headers)
    _problem(response, 405)
    assert "GET" in response.headers["Allow"]
