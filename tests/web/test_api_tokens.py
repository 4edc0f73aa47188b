"""Staff's personal access tokens: made on the API tokens page by a clinician signed in with
two-factor sign-in (and the page's CSRF token), shown once, stored hashed, expiring, revocable,
scoped, rate limited, and every use audited."""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from diary.data.db import db
from diary.data.models import AccessToken, AuditEvent, User
from diary.data.tokens import token_hash
from diary.services import access_tokens, audit
from tests.conftest import csrf_token, input_value, post_form, sign_in
from tests.web.device_helpers import (
    PAT_PAGE,
    call,
    issue_pat,
    problem_of,
    sign_in_with_code,
)
from tests.web.helpers import NOW, audit_rows, every_table

pytestmark = pytest.mark.usefixtures("fixed_now")

DR = "dr@clinic.example"


@pytest.fixture
def staff(app, world, clock):
    """A clinician with two-factor sign-in, signed in with their code; a patient of theirs."""
    world.clinician_id = world.clinician(DR)
    world.secret = world.second_factor(world.clinician_id)
    world.patient_id = world.patient(world.clinician_id, email="pat@home.example")
    client = app.test_client()
    sign_in_with_code(client, DR, world.secret, clock.now)
    world.client = client
    return world


def tokens(app) -> list[AccessToken]:
    with app.app_context():
        rows = list(db.session.scalars(sa.select(AccessToken).order_by(AccessToken.id)))
        db.session.expunge_all()
        return rows


def make(client, **fields):
    data = {"name": "Research export", "scopes": "read", "days": "90", **fields}
    return post_form(client, PAT_PAGE, data)


def raw_token(html: str) -> str:
    start = html.index("bdp_")
    return html[start:html.index("<", start)]


# ------------------------------------------------------------------ making one

def test_a_token_is_shown_once_and_stored_only_as_its_hash(app, staff):
    page = staff.client.get(PAT_PAGE)
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
    assert input_value(page.get_data(as_text=True), "days") == "90"  # the default expiry
    response = make(staff.client)
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    html = response.get_data(as_text=True)
    raw = raw_token(html)
    assert raw.startswith(access_tokens.PREFIX) and len(raw) == 47
    assert "shown only this once" in html
    [row] = tokens(app)
    assert row.token_hash == token_hash(raw) and row.name == "Research export"
    assert row.scopes == "read" and row.user_id == staff.clinician_id
    assert row.expires_at == NOW + timedelta(days=90)
    assert raw not in repr(every_table(app))  # only the hash is kept, anywhere
    again = staff.client.get(PAT_PAGE).get_data(as_text=True)
    assert raw not in again and "Research export" in again  # listed, never shown again
    [event] = audit_rows(app, AuditEvent.action == "access_token.create")
    assert event.actor_id == staff.clinician_id and event.object_id == str(row.id)
    assert raw not in repr([event.before, event.after])
    assert call(app.test_client(), "GET", "/api/v1/patients", raw).status_code == 200


def test_making_a_token_needs_two_factor_sign_in(app, world):
    world.clinician(DR)
    client = app.test_client()
    assert sign_in(client, DR).status_code == 302
    page = client.get(PAT_PAGE).get_data(as_text=True)
    assert "please turn on two-factor sign-in" in page and "/account/two-factor" in page
    assert 'name="name"' not in page  # no form to fill
    before = every_table(app)
    response = make(client, csrf_token=csrf_token(client, "/clinic/"))
    assert response.status_code == 403
    assert every_table(app) == before


def test_the_page_is_for_signed_in_staff_only(app, world):
    clinician = world.clinician(DR)
    world.patient(clinician, email="pat@home.example")
    assert app.test_client().get(PAT_PAGE).status_code == 302  # to the sign-in page
    patient = app.test_client()
    sign_in(patient, "pat@home.example")
    assert patient.get(PAT_PAGE).status_code == 404
    before = every_table(app)
    assert patient.post(PAT_PAGE, data={"csrf_token": csrf_token(patient, "/diary/account"),
                                        "name": "x", "scopes": "read",
                                        "days": "9"}).status_code == 404
    assert every_table(app) == before


def test_the_clinician_s_menu_links_the_page(app, staff):
    html = staff.client.get("/clinic/").get_data(as_text=True)
    assert f'href="{PAT_PAGE}"' in html and ">API tokens</a>" in html


@pytest.mark.parametrize("bad", [None, "", "not-a-token"])
def test_making_and_revoking_need_the_page_s_csrf_token(app, staff, bad):
    data = {"name": "x", "scopes": "read write", "days": "30"}
    if bad is not None:
        data["csrf_token"] = bad
    before = every_table(app)
    assert staff.client.post(PAT_PAGE, data=data).status_code == 400
    assert every_table(app) == before
    issue_pat(app, staff.clinician_id)
    [row] = tokens(app)
    before = every_table(app)
    revoke = {} if bad is None else {"csrf_token": bad}
    assert staff.client.post(f"{PAT_PAGE}/{row.id}/revoke", data=revoke).status_code == 400
    assert every_table(app) == before


@pytest.mark.parametrize(("fields", "message"), [
    ({"days": "0"}, "Please choose an expiry from 1 to 365 days."),
    ({"days": "366"}, "Please choose an expiry from 1 to 365 days."),
    ({"days": "ninety"}, "Please type a whole number, like 12."),
    ({"days": ""}, "Please choose an expiry from 1 to 365 days."),
    ({"name": ""}, "Please give the token a name, such as the tool that uses it."),
    ({"name": "x" * 81}, "Please keep the name under 80 characters."),
    ({"scopes": "admin"}, "Please choose read only, or read and write."),
])
def test_a_token_outside_the_rules_is_refused_with_a_message(app, staff, fields, message):
    before = every_table(app)
    response = make(staff.client, **fields)
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and message in html and "bdp_" not in html
    assert every_table(app) == before


@pytest.mark.parametrize(("days", "scopes"), [("1", "read"), ("365", "read write")])
def test_expiry_and_scope_are_as_chosen(app, staff, days, scopes):
    assert make(staff.client, days=days, scopes=scopes).status_code == 200
    [row] = tokens(app)
    assert row.expires_at == NOW + timedelta(days=int(days)) and row.scopes == scopes


def test_an_expired_token_is_refused(app, staff, clock):
    raw = issue_pat(app, staff.clinician_id, days=1)
    api = app.test_client()
    url = f"/api/v1/patients/{staff.patient_id}"
    clock.now = NOW + timedelta(days=1) - timedelta(seconds=1)
    assert call(api, "GET", url, raw).status_code == 200
    clock.now = NOW + timedelta(days=1)
    body = problem_of(call(api, "GET", url, raw), 401)
    assert "expired" in body["detail"]
    with app.app_context():  # expired: no longer listed on the page
        user = db.session.get(User, staff.clinician_id)
        assert access_tokens.live(user, clock.now) == []


# ------------------------------------------------------------------ revoking

def test_a_revoked_token_is_refused_at_once_and_the_revocation_audited(app, staff):
    raw = issue_pat(app, staff.clinician_id, scopes="read write")
    api = app.test_client()
    assert call(api, "GET", "/api/v1/patients", raw).status_code == 200
    [row] = tokens(app)
    response = post_form(staff.client, f"{PAT_PAGE}/{row.id}/revoke", {}, token_from=PAT_PAGE)
    assert response.status_code == 302
    [row] = tokens(app)
    assert row.revoked_at == NOW
    [event] = audit_rows(app, AuditEvent.action == "access_token.revoke")
    assert event.object_id == str(row.id) and event.actor_id == staff.clinician_id
    before = every_table(app)
    problem_of(call(api, "GET", "/api/v1/patients", raw), 401)
    problem_of(call(api, "DELETE", "/api/v1/entries/00000000-0000-4000-8000-000000000000",
                    raw), 401)
    assert every_table(app) == before  # a refused token writes nothing, not even its use
    again = post_form(staff.client, f"{PAT_PAGE}/{row.id}/revoke", {}, token_from=PAT_PAGE)
    assert again.status_code == 404  # already revoked: nothing to revoke
    assert len(audit_rows(app, AuditEvent.action == "access_token.revoke")) == 1


def test_a_clinician_cannot_revoke_another_s_token(app, staff):
    other = staff.clinician("other@clinic.example", "Dr Other")
    raw = issue_pat(app, other)
    [row] = tokens(app)
    before = every_table(app)
    response = post_form(staff.client, f"{PAT_PAGE}/{row.id}/revoke", {}, token_from=PAT_PAGE)
    assert response.status_code == 404
    assert every_table(app) == before
    assert call(app.test_client(), "GET", "/api/v1/patients", raw).status_code == 200


def test_a_token_of_someone_no_longer_active_or_no_longer_staff_is_refused(app, staff):
    raw = issue_pat(app, staff.clinician_id)
    api = app.test_client()
    assert call(api, "GET", "/api/v1/patients", raw).status_code == 200
    for change in ({"active": False}, {"active": True, "role": "patient"}):
        with app.app_context():
            db.session.execute(sa.update(User).where(User.id == staff.clinician_id)
                               .values(**change))
            db.session.commit()
        problem_of(call(api, "GET", "/api/v1/patients", raw), 401)


def test_a_device_token_is_not_taken_for_an_access_token_nor_the_other_way(app, staff):
    raw = issue_pat(app, staff.clinician_id)
    api = app.test_client()
    problem_of(call(api, "GET", "/api/v1/patients", raw[len(access_tokens.PREFIX):]), 401)
    problem_of(call(api, "GET", "/api/v1/patients", "bdp_" + "A" * 43), 401)


# ------------------------------------------------------------------ scope and audit

def test_a_read_token_cannot_write(app, staff):
    raw = issue_pat(app, staff.clinician_id, scopes="read")
    api = app.test_client()
    before = every_table(app)
    body = problem_of(call(api, "POST", "/api/v1/entries", raw, json={
        "patient_id": staff.patient_id, "client_id": "0b6e3f5e-3c55-4a53-9a53-51f4b8b1c2d7",
        "observed_at": "2025-06-15T11:00", "pain": 5, "temp_unit": "C"}), 403)
    assert "can only read" in body["detail"]
    after = every_table(app)
    # Only the refused use itself is written: its audit event and the token's last use.
    assert [t for t in after if after[t] != before[t]] == ["access_token", "audit_event"]
    [event] = audit_rows(app, AuditEvent.action == "api.write")
    with app.app_context():
        assert event.after["status"] == audit._digest(403)


def test_every_use_is_audited_with_method_path_and_patient_never_content(app, staff, clock):
    raw = issue_pat(app, staff.clinician_id, scopes="read write")
    [row] = tokens(app)
    api = app.test_client()
    clock.now = NOW + timedelta(minutes=5)
    path = f"/api/v1/patients/{staff.patient_id}"
    assert call(api, "GET", path, raw).status_code == 200
    assert call(api, "GET", "/api/v1/patients/987654", raw).status_code == 404
    body = {"patient_id": staff.patient_id, "client_id": "0b6e3f5e-3c55-4a53-9a53-51f4b8b1c2d7",
            "observed_at": "2025-06-15T11:00", "pain": 5, "temp_unit": "C",
            "notes": "secret words"}
    assert call(api, "POST", "/api/v1/entries", raw, json=body).status_code == 201
    reads = audit_rows(app, AuditEvent.action == "api.read")
    [write] = audit_rows(app, AuditEvent.action == "api.write")
    assert len(reads) == 2
    with app.app_context():
        digest = audit._digest
        first, missing = reads
        assert first.object_type == "access_token" and first.object_id == str(row.id)
        assert first.actor_id == staff.clinician_id and first.patient_id == staff.patient_id
        assert first.after == {"method": digest("GET"), "path": digest(path),
                               "status": digest(200)}
        assert missing.patient_id is None and missing.after["status"] == digest(404)
        assert write.patient_id == staff.patient_id
        assert write.after == {"method": digest("POST"), "path": digest("/api/v1/entries"),
                               "status": digest(201)}
    assert "secret words" not in repr([(e.before, e.after) for e in audit_rows(app)])
    [row] = tokens(app)
    assert row.last_used_at == NOW + timedelta(minutes=5)
    page = staff.client.get(PAT_PAGE).get_data(as_text=True)
    assert "15 Jun 2025 10:35 UTC" in page  # last used, on the page


@pytest.mark.parametrize("app_config", [{"RATELIMIT_ENABLED": True,
                                         "API_TOKEN_LIMIT": "3 per minute"}])
def test_requests_are_rate_limited_per_token(app, staff):
    raw = issue_pat(app, staff.clinician_id)
    api = app.test_client()
    codes = [call(api, "GET", "/api/v1/patients", raw).status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    body = problem_of(call(api, "GET", "/api/v1/patients", raw), 429)
    assert body["title"] == "Please wait a moment"
    other = issue_pat(app, staff.clinician_id)  # another token has its own count
    assert call(api, "GET", "/api/v1/patients", other).status_code == 200
