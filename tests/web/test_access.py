"""Who may open what: patient A vs B, clinician X vs Y, anonymous. Not yours is 404."""

from datetime import UTC, date, datetime

import pytest
import sqlalchemy as sa

from diary.data.db import db
from diary.data.models import AccessToken, Block, ClinicVisit, DeviceToken, Patient
from tests.conftest import input_value, sign_in
from tests.web.helpers import FULL_ENTRY, add_entry, every_table

pytestmark = pytest.mark.usefixtures("fixed_now")

A, B, C = "a@home.example", "b@home.example", "c@home.example"
X, Y = "x@clinic.example", "y@clinic.example"
HOME = {A: "/diary/history", B: "/diary/history", C: "/diary/history", X: "/clinic/",
        Y: "/clinic/", None: "/sign-in"}


@pytest.fixture
def town(app, world):
    """Clinician X has patients A and B; clinician Y has patient C. Each has an entry; A and C
    have a block, a clinic visit and a phone's device token each."""
    x = world.clinician(X, "Dr X")
    y = world.clinician(Y, "Dr Y")
    ids = {"pA": world.patient(x, "Alice", A), "pB": world.patient(x, "Bob", B),
           "pC": world.patient(y, "Carol", C)}
    when = datetime(2025, 6, 15, 9, 0, tzinfo=UTC)
    for p in ("A", "B", "C"):
        ids["e" + p] = add_entry(app, ids["p" + p], when, notes=f"entry of {p}")
    with app.app_context():
        for p, clinician in (("A", x), ("C", y)):
            block = Block(patient_id=ids["p" + p], performed_at=when, side="left",
                          kind="diagnostic_la", recorded_by=clinician)
            db.session.add(block)
            db.session.flush()
            ids["b" + p] = block.id
            visit = ClinicVisit(patient_id=ids["p" + p], visited_on=date(2025, 6, 10),
                                fontaine="iii", note=f"visit of {p}", recorded_by=clinician)
            db.session.add(visit)
            patient = db.session.get(Patient, ids["p" + p])
            device = DeviceToken(user_id=patient.user_id, patient_id=patient.id,
                                 token_hash=p * 64, name=f"phone of {p}")
            db.session.add(device)
            db.session.flush()
            ids["v" + p] = visit.id
            ids["d" + p] = device.id
        for name, clinician in (("tX", x), ("tY", y)):  # each clinician's API token
            token = AccessToken(user_id=clinician, token_hash=name * 32, name=name,
                                expires_at=datetime(2026, 1, 1, tzinfo=UTC))
            db.session.add(token)
            db.session.flush()
            ids[name] = token.id
        db.session.commit()
    return ids


def client_for(app, who):
    client = app.test_client()
    if who is not None:
        assert sign_in(client, who).status_code == 302
    return client


def token_of(client, who) -> str:
    return input_value(client.get(HOME[who]).get_data(as_text=True), "csrf_token")


VISIT = {"visited_on": "2025-06-12", "fontaine": "iv", "note": "changed"}  # a valid visit

# (who, method, url, expected status) — every route that takes an id, every kind of visitor.
MATRIX = [
    (A, "GET", "/diary/entries/{eA}/edit", 200),
    (A, "GET", "/diary/entries/{eA}/delete", 200),
    (A, "GET", "/diary/entries/{eB}/edit", 404),
    (A, "GET", "/diary/entries/{eB}/delete", 404),
    (A, "POST", "/diary/entries/{eB}/edit", 404),
    (A, "POST", "/diary/entries/{eB}/delete", 404),
    (A, "GET", "/diary/entries/{eC}/edit", 404),
    (A, "POST", "/diary/entries/{eC}/delete", 404),
    (B, "GET", "/diary/entries/{eA}/edit", 404),
    (B, "POST", "/diary/entries/{eA}/edit", 404),
    (B, "POST", "/diary/entries/{eA}/delete", 404),
    (X, "GET", "/diary/entries/{eA}/edit", 404),  # the owning clinician: not a diary page
    (X, "POST", "/diary/entries/{eA}/edit", 404),
    (X, "POST", "/diary/entries/{eA}/delete", 404),
    (None, "GET", "/diary/entries/{eA}/edit", 302),
    (None, "GET", "/diary/entries/{eA}/delete", 302),
    (None, "POST", "/diary/entries/{eA}/edit", 302),
    (None, "POST", "/diary/entries/{eA}/delete", 302),
    (X, "GET", "/clinic/patients/{pA}", 200),
    (X, "GET", "/clinic/patients/{pB}", 200),
    (X, "GET", "/clinic/patients/{pC}", 404),
    (Y, "GET", "/clinic/patients/{pA}", 404),
    (Y, "GET", "/clinic/patients/{pC}", 200),
    (A, "GET", "/clinic/patients/{pA}", 404),  # patients never see clinic pages
    (None, "GET", "/clinic/patients/{pA}", 302),
    (X, "POST", "/clinic/patients/{pA}/invite", 302),  # a new invite, then the page showing it
    (X, "POST", "/clinic/patients/{pC}/invite", 404),
    (Y, "POST", "/clinic/patients/{pA}/invite", 404),
    (A, "POST", "/clinic/patients/{pA}/invite", 404),
    (None, "POST", "/clinic/patients/{pA}/invite", 302),
    # Clinic visits (the Fontaine stage): the owning clinician only.
    (X, "GET", "/clinic/patients/{pA}/visits/new", 200),
    (X, "GET", "/clinic/visits/{vA}/edit", 200),
    (X, "GET", "/clinic/visits/{vA}/delete", 200),
    (X, "GET", "/clinic/patients/{pC}/visits/new", 404),
    (X, "POST", "/clinic/patients/{pC}/visits/new", 404),
    (X, "GET", "/clinic/visits/{vC}/edit", 404),
    (X, "POST", "/clinic/visits/{vC}/edit", 404),
    (X, "GET", "/clinic/visits/{vC}/delete", 404),
    (X, "POST", "/clinic/visits/{vC}/delete", 404),
    (Y, "GET", "/clinic/patients/{pA}/visits/new", 404),
    (Y, "POST", "/clinic/patients/{pA}/visits/new", 404),
    (Y, "GET", "/clinic/visits/{vA}/edit", 404),
    (Y, "POST", "/clinic/visits/{vA}/edit", 404),
    (Y, "POST", "/clinic/visits/{vA}/delete", 404),
    (A, "GET", "/clinic/patients/{pA}/visits/new", 404),  # the patient: not a diary page
    (A, "POST", "/clinic/patients/{pA}/visits/new", 404),
    (A, "GET", "/clinic/visits/{vA}/edit", 404),
    (A, "POST", "/clinic/visits/{vA}/edit", 404),
    (A, "POST", "/clinic/visits/{vA}/delete", 404),
    (None, "GET", "/clinic/patients/{pA}/visits/new", 302),
    (None, "POST", "/clinic/patients/{pA}/visits/new", 302),
    (None, "GET", "/clinic/visits/{vA}/edit", 302),
    (None, "POST", "/clinic/visits/{vA}/edit", 302),
    (None, "GET", "/clinic/visits/{vA}/delete", 302),
    (None, "POST", "/clinic/visits/{vA}/delete", 302),
    # Device tokens: a patient removes only their own phones; the owning clinician
    # disconnects a patient's phones; only a signed-in patient gets a token.
    (B, "POST", "/diary/devices/{dA}/remove", 404),
    (C, "POST", "/diary/devices/{dA}/remove", 404),
    (X, "POST", "/diary/devices/{dA}/remove", 404),  # the owning clinician: not a diary page
    (None, "POST", "/diary/devices/{dA}/remove", 302),
    (X, "POST", "/clinic/patients/{pC}/devices/revoke", 404),
    (Y, "POST", "/clinic/patients/{pA}/devices/revoke", 404),
    (A, "POST", "/clinic/patients/{pA}/devices/revoke", 404),
    (None, "POST", "/clinic/patients/{pA}/devices/revoke", 302),
    (X, "POST", "/diary/device-token", 403),
    (None, "POST", "/diary/device-token", 401),
    # The API takes no cookie: a signed-in browser without a device token is refused.
    (A, "POST", "/api/v1/entries", 401),
    (X, "POST", "/api/v1/entries", 401),
    (None, "POST", "/api/v1/entries", 401),
    # Staff's API tokens (views/access_tokens.py): staff only, each revokes only their own;
    # making one needs two-factor sign-in (none here: 403). The API's own matrix:
    # tests/web/test_api_access.py.
    (X, "GET", "/clinic/api-tokens", 200),
    (Y, "GET", "/clinic/api-tokens", 200),
    (A, "GET", "/clinic/api-tokens", 404),
    (None, "GET", "/clinic/api-tokens", 302),
    (X, "POST", "/clinic/api-tokens", 403),
    (A, "POST", "/clinic/api-tokens", 404),
    (None, "POST", "/clinic/api-tokens", 302),
    (X, "POST", "/clinic/api-tokens/{tY}/revoke", 404),
    (Y, "POST", "/clinic/api-tokens/{tX}/revoke", 404),
    (A, "POST", "/clinic/api-tokens/{tX}/revoke", 404),
    (None, "POST", "/clinic/api-tokens/{tX}/revoke", 302),
    (X, "GET", "/clinic/api-tokens/{tX}/revoke", 405),
    # Reminders (views/reminders.py): no id to guess, each acts on the signed-in patient's
    # own diary; a clinician has none. (/calendar/<token>.ics: tests/web/test_reminders.py.)
    (A, "GET", "/diary/reminders.ics", 200),
    (X, "GET", "/diary/reminders.ics", 404),
    (None, "GET", "/diary/reminders.ics", 302),
    (A, "POST", "/diary/calendar-link", 200),
    (X, "POST", "/diary/calendar-link", 404),
    (None, "POST", "/diary/calendar-link", 302),
    (X, "POST", "/diary/calendar-link/revoke", 404),
    (None, "POST", "/diary/calendar-link/revoke", 302),
    (A, "POST", "/diary/push/subscribe", 400),  # a form is not a browser's subscription
    (X, "POST", "/diary/push/subscribe", 404),
    (None, "POST", "/diary/push/subscribe", 302),
    (X, "POST", "/diary/push/unsubscribe", 404),
    (None, "POST", "/diary/push/unsubscribe", 302),
    # FHIR exports and the CSV template (views/records.py, docs/fhir.md).
    (X, "POST", "/clinic/patients/{pA}/export-fhir", 200),
    (Y, "POST", "/clinic/patients/{pA}/export-fhir", 404),
    (A, "POST", "/clinic/patients/{pA}/export-fhir", 404),
    (None, "POST", "/clinic/patients/{pA}/export-fhir", 302),
    (A, "POST", "/clinic/export-fhir", 404),
    (None, "POST", "/clinic/export-fhir", 302),
    (X, "GET", "/clinic/records/entries-template.csv", 200),
    (A, "GET", "/clinic/records/entries-template.csv", 404),
    (None, "GET", "/clinic/records/entries-template.csv", 302),
]


@pytest.mark.parametrize(("who", "method", "url", "status"), MATRIX,
                         ids=[f"{w and w[0]}-{m}-{u}" for w, m, u, _ in MATRIX])
def test_access_matrix(app, town, who, method, url, status):
    client = client_for(app, who)
    url = url.format(**town)
    # The token first: the page it comes from may bring the clinic list's lines up to date.
    token = token_of(client, who) if method == "POST" else None
    before = every_table(app)
    if method == "GET":
        response = client.get(url)
    else:
        data = {**FULL_ENTRY, "client_id": town["eA"], "observed_at": "2025-06-15T10:00",
                **VISIT, "csrf_token": token}
        response = client.post(url, data=data)
    assert response.status_code == status
    if status == 302:
        assert response.headers["Location"].startswith(
            "/sign-in?next=" if who is None else url.removesuffix("/invite"))
    if status == 404:
        assert "There is nothing here, or it is not yours to see." in response.get_data(
            as_text=True)
    if status != 200 and not (status == 302 and who is not None):
        assert every_table(app) == before


@pytest.mark.parametrize(("who", "mine", "theirs", "missing"), [
    (A, "/diary/entries/{eA}/edit", "/diary/entries/{eB}/edit",
     "/diary/entries/00000000-0000-4000-8000-000000000000/edit"),
    (X, "/clinic/patients/{pA}", "/clinic/patients/{pC}", "/clinic/patients/987654"),
])
def test_not_yours_looks_exactly_like_not_there(app, town, who, mine, theirs, missing):
    client = client_for(app, who)
    assert client.get(mine.format(**town)).status_code == 200
    a = client.get(theirs.format(**town))
    b = client.get(missing)
    assert a.status_code == b.status_code == 404
    assert a.get_data() == b.get_data()


@pytest.mark.parametrize("url", ["/clinic/", "/clinic/patients/new"])
def test_patients_cannot_open_clinic_pages(app, town, url):
    assert client_for(app, A).get(url).status_code == 404


@pytest.mark.parametrize("url", ["/diary/", "/diary/history", "/diary/account"])
def test_clinicians_cannot_open_diary_pages(app, town, url):
    assert client_for(app, X).get(url).status_code == 404


@pytest.mark.parametrize("url", ["/clinic/", "/clinic/patients/new", "/diary/",
                                 "/diary/history", "/diary/account"])
def test_anonymous_is_sent_to_sign_in(app, town, url):
    response = client_for(app, None).get(url)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/sign-in?next=")


def test_clinicians_list_only_their_own_patients(app, town):
    listing = client_for(app, X).get("/clinic/").get_data(as_text=True)
    assert "Alice" in listing and "Bob" in listing and "Carol" not in listing
    listing = client_for(app, Y).get("/clinic/").get_data(as_text=True)
    assert "Carol" in listing and "Alice" not in listing


def test_a_patients_history_holds_only_their_entries(app, town):
    html = client_for(app, B).get("/diary/history").get_data(as_text=True)
    assert "entry of B" in html and "entry of A" not in html and "entry of C" not in html


ID_ARGS = {"patient_id": ("pA", "pC"), "entry_id": ("eA", "eC"), "block_id": ("bA", "bC"),
           "visit_id": ("vA", "vC"), "device_id": ("dA", "dC")}


def test_every_route_with_an_id_is_guarded(app, town):
    """Routes added later that take a patient, entry, block or visit id answer 404 to
    strangers."""
    stranger = {"entry_id": client_for(app, B), "patient_id": client_for(app, Y),
                "block_id": client_for(app, Y)}
    stranger["visit_id"] = stranger["block_id"]
    stranger["device_id"] = stranger["entry_id"]  # another patient
    anonymous = client_for(app, None)
    token_of(stranger["patient_id"], Y)  # the clinic list brings its lines up to date once
    before = every_table(app)
    checked = []
    for rule in app.url_map.iter_rules():
        args = rule.arguments & set(ID_ARGS)
        if not args or rule.arguments - set(ID_ARGS):
            continue
        values = {arg: town[ID_ARGS[arg][0]] for arg in args}
        with app.test_request_context():
            url = app.url_for(rule.endpoint, **values)
        client = stranger[sorted(args)[0]]
        who = B if client is stranger["entry_id"] else Y
        if rule.rule.startswith("/api/v1/"):
            # The API takes no cookie: signed in or not, 401 without a bearer token (its own
            # matrix of tokens: tests/web/test_api_access.py).
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                for caller in (client, anonymous):
                    response = caller.open(url, method=method)
                    assert response.status_code == 401, (rule.rule, method)
                    assert response.mimetype == "application/problem+json"
            continue
        for method in sorted(rule.methods & {"GET", "POST"}):
            if method == "GET":
                response = client.get(url)
            else:
                response = client.post(url, data={"csrf_token": token_of(client, who)})
            assert response.status_code == 404, (rule.rule, method, response.status_code)
            anon = anonymous.get(url) if method == "GET" else anonymous.post(
                url, data={"csrf_token": token_of(anonymous, None)})
            assert anon.status_code == 302, (rule.rule, method, anon.status_code)
            checked.append((rule.rule, method))
    assert len(checked) >= 6
    visit_routes = {rule for rule, _ in checked if "visit" in rule}
    assert visit_routes == {"/clinic/patients/<int:patient_id>/visits/new",
                            "/clinic/visits/<int:visit_id>/edit",
                            "/clinic/visits/<int:visit_id>/delete"}
    device_routes = {rule for rule, _ in checked if "device" in rule}
    assert device_routes == {"/diary/devices/<int:device_id>/remove",
                             "/clinic/patients/<int:patient_id>/devices/revoke"}
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Block.id))) == 2
        assert db.session.scalar(sa.select(sa.func.count(ClinicVisit.id)).where(
            ClinicVisit.deleted_at.is_(None))) == 2
    assert every_table(app) == before
