"""Every POST needs the form's CSRF token; without it nothing is written."""

import uuid
from datetime import UTC, date, datetime

import pytest

from diary.data.db import db
from diary.data.models import AccessToken, ClinicVisit, DeviceToken, Patient
from tests.conftest import input_value, sign_in
from tests.web.helpers import FULL_ENTRY, add_entry, every_table

pytestmark = pytest.mark.usefixtures("fixed_now")

# The new-entry form is the one exception: what was typed is kept for the patient to check
# and save again (diary/pending.py), instead of a 400 that would lose it. It saves nothing.
RESCUED = {"patient.new_entry"}
# The JSON API takes no cookie, only a device token in a header: no CSRF surface, so no CSRF
# token either. A browser's cookies alone get 401 there (test_the_api_takes_no_cookie_so_...).
NO_COOKIES = {"api.create_entry"}


@pytest.fixture
def scene(app, client, world):
    """A clinician and a joined patient with an entry and a clinic visit, and a fresh invite
    for a newcomer."""
    world.clinician_id = world.clinician()
    world.patient_id = world.patient(world.clinician_id, email="pat@home.example")
    world.newcomer = world.patient(world.clinician_id, name="New")
    world.entry = add_entry(app, world.patient_id, datetime(2025, 6, 15, 9, 0, tzinfo=UTC))
    with app.app_context():
        visit = ClinicVisit(patient_id=world.patient_id, visited_on=date(2025, 6, 1),
                            fontaine="iv", recorded_by=world.clinician_id)
        db.session.add(visit)
        db.session.commit()
        world.visit = visit.id
        patient = db.session.get(Patient, world.patient_id)
        device = DeviceToken(user_id=patient.user_id, patient_id=patient.id,
                             token_hash="d" * 64, name="phone")
        db.session.add(device)
        db.session.commit()
        world.device = device.id
        pat = AccessToken(user_id=world.clinician_id, token_hash="t" * 64, name="tool",
                          expires_at=datetime(2026, 1, 1, tzinfo=UTC))
        db.session.add(pat)
        db.session.commit()
        world.pat = pat.id
    clinic = app.test_client()
    sign_in(clinic, "dr@clinic.example")
    page = clinic.get(f"/clinic/patients/{world.newcomer}").get_data(as_text=True)
    html = clinic.post(f"/clinic/patients/{world.newcomer}/invite", follow_redirects=True,
                       data={"csrf_token": input_value(page, "csrf_token")}).get_data(as_text=True)
    world.invite = html.split("http://localhost/invite/")[1].split("<")[0]
    return world


def _as(app, who):
    client = app.test_client()
    if who != "anonymous":
        assert sign_in(client, who).status_code == 302
    return client


ROUTES = [  # (who posts, url, form fields a real browser would send)
    ("anonymous", "/sign-in", {"email": "pat@home.example", "password": "correct horse battery"}),
    ("anonymous", "/invite/{invite}", {"email": "new@home.example", "password": "x" * 12,
                                       "confirm": "x" * 12}),
    ("pat@home.example", "/sign-out", {}),
    ("pat@home.example", "/sign-out-everywhere", {}),
    ("pat@home.example", "/diary/entries/{entry}/edit",
     {**FULL_ENTRY, "client_id": "{entry}", "observed_at": "2025-06-15T10:00"}),
    ("pat@home.example", "/diary/entries/{entry}/delete", {}),
    ("dr@clinic.example", "/clinic/patients/new",
     {"display_name": "Sneaky", "treated_side": "left", "condition": "crps", "temp_unit": "C",
      "timezone": "Europe/London"}),
    ("dr@clinic.example", "/clinic/patients/{newcomer}/invite", {}),
    ("dr@clinic.example", "/clinic/patients/{patient}/visits/new",
     {"visited_on": "2025-06-14", "fontaine": "iii", "note": "Seen."}),
    ("dr@clinic.example", "/clinic/visits/{visit}/edit",
     {"visited_on": "2025-06-14", "fontaine": "iii", "note": "Changed."}),
    ("dr@clinic.example", "/clinic/visits/{visit}/delete", {}),
    ("dr@clinic.example", "/sign-out", {}),
    ("pat@home.example", "/diary/devices/{device}/remove", {}),
    ("dr@clinic.example", "/clinic/patients/{patient}/devices/revoke", {}),
    ("pat@home.example", "/diary/calendar-link", {}),
    ("pat@home.example", "/diary/calendar-link/revoke", {}),
    ("pat@home.example", "/diary/push/subscribe",
     {"endpoint": "https://fcm.googleapis.com/fcm/send/x"}),
    ("pat@home.example", "/diary/push/unsubscribe",
     {"endpoint": "https://fcm.googleapis.com/fcm/send/x"}),
    ("dr@clinic.example", "/clinic/patients/{patient}/export-fhir", {}),
    ("dr@clinic.example", "/clinic/export-fhir", {}),
    ("dr@clinic.example", "/clinic/api-tokens", {"name": "Tool", "scopes": "read",
                                                 "days": "30"}),
    ("dr@clinic.example", "/clinic/api-tokens/{pat}/revoke", {}),
]


@pytest.mark.parametrize("bad_token", [None, "", "not-a-token", "other-session"])
@pytest.mark.parametrize(("who", "url", "fields"), ROUTES, ids=[r[1] for r in ROUTES])
def test_post_without_a_valid_token_is_refused_and_writes_nothing(
        app, scene, who, url, fields, bad_token):
    fill = {"invite": scene.invite, "entry": scene.entry, "newcomer": scene.newcomer,
            "patient": scene.patient_id, "visit": scene.visit, "device": scene.device,
            "pat": scene.pat}
    client = _as(app, who)
    data = {k: (v.format(**fill) if isinstance(v, str) else v) for k, v in fields.items()}
    if bad_token == "other-session":  # a real token, but of someone else's session
        other = app.test_client()
        data["csrf_token"] = input_value(other.get("/sign-in").get_data(as_text=True),
                                         "csrf_token")
    elif bad_token is not None:
        data["csrf_token"] = bad_token
    before = every_table(app)

    response = client.post(url.format(**fill), data=data)

    assert response.status_code == 400
    assert "Something went wrong with that request" in response.get_data(as_text=True)
    assert every_table(app) == before
    if who != "anonymous":  # still signed in: the refused sign-out did not happen either
        assert client.get("/").status_code == 302
        assert client.get(client.get("/").headers["Location"]).status_code == 200


def test_new_entry_without_a_token_saves_nothing(app, scene):
    client = _as(app, "pat@home.example")
    page = client.get("/diary/").get_data(as_text=True)
    before = every_table(app)
    response = client.post("/diary/", data={**FULL_ENTRY,
                                            "client_id": input_value(page, "client_id"),
                                            "observed_at": "2025-06-15T11:00"})
    assert response.status_code == 400  # refused; what was typed is kept (test_kept_entry)
    assert every_table(app) == before


def _dummy(rule) -> dict:
    values = {"token": "x" * 20, "entry_id": str(uuid.uuid4())}
    return {arg: values.get(arg, 1) for arg in rule.arguments}


@pytest.mark.parametrize("who", ["anonymous", "pat@home.example", "dr@clinic.example"])
def test_no_post_route_goes_without_a_token(app, scene, who):
    """Every POST route the app has, including ones added later, checks the token first."""
    client = _as(app, who)
    before = every_table(app)
    checked = 0
    for rule in app.url_map.iter_rules():
        if "POST" not in rule.methods or rule.endpoint in RESCUED | NO_COOKIES:
            continue
        with app.test_request_context():
            url = app.url_for(rule.endpoint, **_dummy(rule))
        response = client.post(url, data={"anything": "x"})
        assert response.status_code == 400, (rule.rule, response.status_code)
        checked += 1
    assert checked >= 8
    assert every_table(app) == before


@pytest.mark.parametrize("bad_token", [None, "", "not-a-token", "other-session"])
def test_asking_for_a_device_token_needs_the_page_s_token(app, scene, bad_token):
    """The phone's script sends the page's token in X-CSRFToken; without it, 400 (as JSON,
    for the script) and no token made."""
    client = _as(app, "pat@home.example")
    headers = {}
    if bad_token == "other-session":
        headers["X-CSRFToken"] = input_value(
            app.test_client().get("/sign-in").get_data(as_text=True), "csrf_token")
    elif bad_token is not None:
        headers["X-CSRFToken"] = bad_token
    before = every_table(app)
    response = client.post("/diary/device-token", json={"name": "x"}, headers=headers)
    assert response.status_code == 400
    assert response.mimetype == "application/problem+json"
    assert every_table(app) == before
    page = client.get("/diary/account").get_data(as_text=True)
    response = client.post("/diary/device-token", json={},
                           headers={"X-CSRFToken": input_value(page, "csrf_token")})
    assert response.status_code == 201


@pytest.mark.parametrize("with_page_token", [False, True])
def test_the_api_takes_no_cookie_so_needs_no_csrf_token(app, scene, with_page_token):
    """Exempt from CSRF on purpose: a signed-in browser's cookies (a forged cross-site POST
    carries them at most) open nothing there: 401, nothing written."""
    client = _as(app, "pat@home.example")
    page = client.get("/diary/").get_data(as_text=True)
    data = {**FULL_ENTRY, "client_id": input_value(page, "client_id"),
            "observed_at": "2025-06-15T11:00"}
    if with_page_token:
        data["csrf_token"] = input_value(page, "csrf_token")
    before = every_table(app)
    for response in (client.post("/api/v1/entries", data=data),
                     client.post("/api/v1/entries", json=data)):
        assert response.status_code == 401
        assert response.headers["WWW-Authenticate"] == "Bearer"
    assert every_table(app) == before
