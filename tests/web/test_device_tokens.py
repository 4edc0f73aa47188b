"""Device tokens: made for a signed-in patient's phone, stored hashed, listed and removed on the
account page, revoked by "sign out everywhere" and by the clinic; a revoked one is refused."""

import hashlib
import json
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
import sqlalchemy as sa

from diary.data.db import db
from diary.data.models import AuditEvent, DeviceToken, Patient, User
from diary.services import devices
from tests.conftest import csrf_token, input_value, sign_in
from tests.web.device_helpers import (
    ANDROID_CHROME,
    MINT,
    device_rows,
    entry_body,
    mint,
    mint_token,
    send,
)
from tests.web.helpers import NOW, audit_rows, every_table

pytestmark = pytest.mark.usefixtures("fixed_now")

PATIENT, OTHER, CLINICIAN = "pat@home.example", "other@home.example", "dr@clinic.example"


@pytest.fixture
def people(world):
    world.clinician_id = world.clinician()
    world.patient_id = world.patient(world.clinician_id, email=PATIENT)
    world.other_id = world.patient(world.clinician_id, name="Other", email=OTHER)
    return world


def signed_in(app, email):
    client = app.test_client()
    assert sign_in(client, email).status_code == 302
    return client


def accepted(app, token) -> int:
    """The status of a queued entry sent with `token` from a phone with no cookies."""
    return send(app.test_client(), token, entry_body()).status_code


# ------------------------------------------------------------------ minting a token

def test_a_signed_in_patient_gets_a_token_stored_only_as_its_hash(app, people):
    phone = signed_in(app, PATIENT)
    response = mint(phone, name="My phone")
    assert response.status_code == 201
    body = response.get_json()
    assert set(body) == {"token", "id", "name"}
    assert body["name"] == "My phone"
    assert len(body["token"]) >= 43  # secrets.token_urlsafe(32)
    [row] = device_rows(app)
    assert row.id == body["id"]
    assert row.token_hash == hashlib.sha256(body["token"].encode()).hexdigest()
    assert row.patient_id == people.patient_id and row.revoked_at is None
    assert row.created_at == NOW and row.last_used_at is None
    # The raw token is nowhere in the database, the audit trail included.
    assert body["token"] not in repr(every_table(app))
    [event] = audit_rows(app, AuditEvent.action == "device.create")
    assert event.object_id == str(row.id) and event.patient_id == people.patient_id
    assert body["token"] not in json.dumps([event.before, event.after])
    assert accepted(app, body["token"]) == 201
    # Each request makes a new token.
    assert mint_token(phone) != body["token"]


@pytest.mark.parametrize("bad_token", [None, "", "not-a-token", "other-session"])
def test_minting_needs_the_page_s_csrf_token(app, people, bad_token):
    phone = signed_in(app, PATIENT)
    headers = {}
    if bad_token == "other-session":
        headers["X-CSRFToken"] = csrf_token(app.test_client(), "/sign-in")
    elif bad_token is not None:
        headers["X-CSRFToken"] = bad_token
    before = every_table(app)
    response = phone.post(MINT, json={"name": "x"}, headers=headers)
    assert response.status_code == 400
    assert response.mimetype == "application/problem+json"
    assert "token" not in response.get_json()
    assert every_table(app) == before


def test_minting_takes_the_token_from_a_form_field_too(app, people):
    phone = signed_in(app, PATIENT)
    response = phone.post(MINT, data={"csrf_token": csrf_token(phone, "/diary/account")},
                          headers={"User-Agent": ANDROID_CHROME})
    assert response.status_code == 201
    assert response.get_json()["name"] == "Android phone, Chrome"


def test_minting_needs_a_signed_in_patient(app, people):
    anonymous = app.test_client()
    response = anonymous.post(MINT, json={}, headers={
        "X-CSRFToken": csrf_token(anonymous, "/sign-in")})
    assert response.status_code == 401
    assert response.get_json()["title"] == "Please sign in again"
    clinician = signed_in(app, CLINICIAN)
    response = clinician.post(MINT, json={}, headers={
        "X-CSRFToken": csrf_token(clinician, "/clinic/")})
    assert response.status_code == 403
    assert response.mimetype == "application/problem+json"
    assert "token" not in response.get_json()
    assert device_rows(app) == []
    assert audit_rows(app, AuditEvent.action.like("device.%")) == []


def test_an_archived_diary_gets_no_token(app, people):
    with app.app_context():
        db.session.get(Patient, people.patient_id).archived_at = NOW
        db.session.commit()
    phone = signed_in(app, PATIENT)
    assert mint(phone).status_code == 403
    assert device_rows(app) == []


@pytest.mark.parametrize(("user_agent", "name"), [
    (ANDROID_CHROME, "Android phone, Chrome"),
    ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, "
     "like Gecko) Version/17.5 Mobile/15E148 Safari/604.1", "iPhone, Safari"),
    ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, "
     "like Gecko) CriOS/126.0 Mobile/15E148 Safari/604.1", "iPhone, Chrome"),
    ("Mozilla/5.0 (Linux; Android 13; SM-X200) AppleWebKit/537.36 (KHTML, like Gecko) "
     "SamsungBrowser/25.0 Chrome/121.0 Safari/537.36", "Android tablet, Samsung Internet"),
    ("Mozilla/5.0 (Android 14; Mobile; rv:127.0) Gecko/127.0 Firefox/127.0",
     "Android phone, Firefox"),
    ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
     "Chrome/126.0 Safari/537.36 Edg/126.0", "Windows computer, Edge"),
    ("Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) "
     "Version/17.5 Safari/605.1.15", "Mac, Safari"),
    ("", "Phone or computer"),
    ("curl/8.5.0", "Phone or computer"),
])
def test_a_token_asked_for_without_a_name_is_named_from_the_browser(app, people, user_agent,
                                                                      name):
    response = mint(signed_in(app, PATIENT), user_agent=user_agent)
    assert response.get_json()["name"] == name
    assert device_rows(app)[0].name == name


@pytest.mark.parametrize(("given", "stored"), [
    ("Kitchen\x00 tablet\n\t(old)\x7f", "Kitchen tablet (old)"),
    ("x" * 500, "x" * 80),
    ("  \u202eevil  ", "evil"),
    ("\x00\x01", "Android phone, Chrome"),   # nothing left: named from the browser
    (42, "Android phone, Chrome"),           # not text: named from the browser
])
def test_a_given_name_is_cleaned_and_capped(app, people, given, stored):
    phone = signed_in(app, PATIENT)
    response = phone.post(MINT, json={"name": given}, headers={
        "X-CSRFToken": csrf_token(phone, "/diary/account"), "User-Agent": ANDROID_CHROME})
    assert response.status_code == 201
    assert response.get_json()["name"] == stored == device_rows(app)[0].name


@pytest.mark.parametrize("app_config", [{"RATELIMIT_ENABLED": True,
                                         "DEVICE_TOKEN_LIMIT": "3 per minute"}])
def test_minting_is_rate_limited_per_person(app, people):
    phone = signed_in(app, PATIENT)
    codes = [mint(phone).status_code for _ in range(4)]
    assert codes == [201, 201, 201, 429]
    refused = mint(phone)
    assert refused.mimetype == "application/problem+json"
    assert refused.get_json()["status"] == 429
    assert len(device_rows(app)) == 3
    assert mint(signed_in(app, OTHER)).status_code == 201  # someone else is not held up


def test_a_person_keeps_at_most_ten_live_tokens_the_least_used_go(app, people, clock):
    from datetime import timedelta

    tokens = []
    for n in range(devices.LIVE_MAX):  # ten phones, each signed in once
        clock.now = NOW + timedelta(minutes=n)
        tokens.append(mint_token(signed_in(app, PATIENT)))
    clock.now = NOW + timedelta(hours=1)
    assert accepted(app, tokens[0]) == 201  # the first is in use: it stays
    tokens.append(mint_token(signed_in(app, PATIENT)))
    live = [d.id for d in device_rows(app, DeviceToken.revoked_at.is_(None))]
    assert len(live) == devices.LIVE_MAX
    assert accepted(app, tokens[0]) == 201
    assert accepted(app, tokens[1]) == 401  # the least recently used went
    assert len(audit_rows(app, AuditEvent.action == "device.revoke")) == 1


# ------------------------------------------------------------------ the pages

def _body_tag(html: str) -> str:
    return html[html.index("<body"):html.index(">", html.index("<body")) + 1]


def test_the_first_page_after_a_patient_signs_in_asks_the_phone_for_a_token(app, people):
    phone = app.test_client()
    response = sign_in(phone, PATIENT)
    first = _body_tag(phone.get(response.headers["Location"]).get_data(as_text=True))
    user_id = _user_id(app, PATIENT)
    assert f'data-user="{user_id}"' in first
    assert 'data-device-token-url="/diary/device-token"' in first
    assert 'data-fresh-sign-in="1"' in first
    later = _body_tag(phone.get("/diary/history").get_data(as_text=True))
    assert f'data-user="{user_id}"' in later and 'data-device-token-url=' in later
    assert "data-fresh-sign-in" not in later  # once only


def test_a_clinician_s_pages_carry_no_device_hooks(app, people):
    clinic = app.test_client()
    response = sign_in(clinic, CLINICIAN)
    body = _body_tag(clinic.get(response.headers["Location"]).get_data(as_text=True))
    assert "data-user" not in body and "data-fresh-sign-in" not in body
    assert "data-device-token-url" not in body
    assert "data-user" not in _body_tag(app.test_client().get("/sign-in").get_data(
        as_text=True))


def test_accepting_an_invite_asks_the_phone_for_a_token(app, people):
    newcomer = people.patient(people.clinician_id, name="New")
    clinic = signed_in(app, CLINICIAN)
    page = clinic.get(f"/clinic/patients/{newcomer}").get_data(as_text=True)
    html = clinic.post(f"/clinic/patients/{newcomer}/invite", follow_redirects=True,
                       data={"csrf_token": input_value(page, "csrf_token")}).get_data(
        as_text=True)
    link = "/invite/" + html.split("http://localhost/invite/")[1].split("<")[0]
    phone = app.test_client()
    response = phone.post(link, data={"csrf_token": csrf_token(phone, link),
                                      "email": "new@home.example", "password": "x" * 12,
                                      "confirm": "x" * 12})
    assert response.status_code == 302
    first = _body_tag(phone.get(response.headers["Location"]).get_data(as_text=True))
    assert 'data-fresh-sign-in="1"' in first
    assert f'data-user="{_user_id(app, "new@home.example")}"' in first
    assert mint(phone).status_code == 201


def _user_id(app, email) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(User.id).where(User.email == email))


# ------------------------------------------------------------------ revoking

def test_the_patient_sees_their_phones_and_removes_one(app, people, clock):
    phone = signed_in(app, PATIENT)
    kept = mint_token(signed_in(app, PATIENT), name="Kitchen tablet")
    removed = mint_token(phone, name="Old phone")
    other = mint_token(signed_in(app, OTHER), name="Other's phone")
    page = phone.get("/diary/account").get_data(as_text=True)
    assert "<strong>Kitchen tablet</strong>" in page and "<strong>Old phone</strong>" in page
    assert "Other&#39;s phone" not in page and "Other's phone" not in page
    assert "15 Jun 2025" in page and "not used yet" in page
    [old] = device_rows(app, DeviceToken.name == "Old phone")
    response = phone.post(f"/diary/devices/{old.id}/remove",
                          data={"csrf_token": input_value(page, "csrf_token")})
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/diary/account")
    page = phone.get("/diary/account").get_data(as_text=True)
    assert "“Old phone” can no longer send entries and is signed out." in page
    assert "<strong>Old phone</strong>" not in page and "<strong>Kitchen tablet</strong>" in page
    [old] = device_rows(app, DeviceToken.name == "Old phone")
    assert old.revoked_at == NOW
    [event] = audit_rows(app, AuditEvent.action == "device.revoke")
    assert event.object_id == str(old.id) and event.actor_id == _user_id(app, PATIENT)
    assert accepted(app, removed) == 401
    assert accepted(app, kept) == 201 and accepted(app, other) == 201
    # Removing it again, or someone else's phone: 404, nothing written.
    before = every_table(app)
    for device_id in (old.id, device_rows(app, DeviceToken.name == "Other's phone")[0].id):
        response = phone.post(f"/diary/devices/{device_id}/remove",
                              data={"csrf_token": input_value(page, "csrf_token")})
        assert response.status_code == 404
    assert every_table(app) == before


def test_removing_a_lost_phone_signs_it_out_so_it_cannot_ask_for_a_new_token(app, people):
    lost, computer = signed_in(app, PATIENT), signed_in(app, PATIENT)
    mint_token(lost, name="Lost phone")
    [device] = device_rows(app, DeviceToken.name == "Lost phone")
    page = computer.get("/diary/account").get_data(as_text=True)
    response = computer.post(f"/diary/devices/{device.id}/remove",
                             data={"csrf_token": input_value(page, "csrf_token")})
    assert response.status_code == 302
    # The lost phone's sign-in has ended: no page, and no new token for it.
    assert lost.get("/diary/account").status_code == 302
    assert lost.post(MINT, json={}, headers={"X-CSRFToken": "x"}).status_code in (400, 401)
    assert computer.get("/diary/account").status_code == 200  # the one removing stays in


def test_a_phone_removed_twice_at_once_is_revoked_and_audited_once(app, people):
    phone = signed_in(app, PATIENT)
    mint_token(phone)
    [device] = device_rows(app)
    with app.app_context():
        user = db.session.get(User, device.user_id)
        # Two requests loaded the live row; one revokes it first.
        first = db.session.get(DeviceToken, device.id)
        assert devices.revoke(first, user, NOW) is True
        stale = DeviceToken(id=device.id, user_id=device.user_id, patient_id=device.patient_id,
                            token_hash=device.token_hash, name=device.name)
        assert devices.revoke(stale, user, NOW) is False
    assert len(audit_rows(app, AuditEvent.action == "device.revoke")) == 1
    # And through the page: eight removes at once, one revocation. (Removing the first ended
    # the sign-in that asked for it, so the phone signs in again.)
    phone = signed_in(app, PATIENT)
    mint_token(phone)
    [_, second] = device_rows(app)
    clients = [signed_in(app, PATIENT) for _ in range(8)]
    tokens = [csrf_token(c, "/diary/account") for c in clients]
    barrier = threading.Barrier(8)

    def remove(pair):
        client, csrf = pair
        barrier.wait()
        return client.post(f"/diary/devices/{second.id}/remove",
                           data={"csrf_token": csrf}).status_code

    with ThreadPoolExecutor(8) as pool:
        codes = sorted(pool.map(remove, zip(clients, tokens, strict=True)))
    assert codes.count(302) >= 1 and set(codes) <= {302, 404}
    assert len(audit_rows(app, AuditEvent.action == "device.revoke",
                          AuditEvent.object_id == str(second.id))) == 1


def test_sign_out_everywhere_revokes_every_device_token_of_that_person(app, people):
    phone, tablet = signed_in(app, PATIENT), signed_in(app, PATIENT)
    tokens = [mint_token(phone), mint_token(tablet)]
    other = mint_token(signed_in(app, OTHER))
    page = phone.get("/diary/account").get_data(as_text=True)
    response = phone.post("/sign-out-everywhere",
                          data={"csrf_token": input_value(page, "csrf_token")})
    assert response.status_code == 302
    assert [accepted(app, t) for t in tokens] == [401, 401]
    assert accepted(app, other) == 201  # someone else's phone is untouched
    mine = device_rows(app, DeviceToken.user_id == _user_id(app, PATIENT))
    assert [d.revoked_at for d in mine] == [NOW, NOW]
    events = audit_rows(app, AuditEvent.action == "device.revoke")
    assert sorted(e.object_id for e in events) == sorted(str(d.id) for d in mine)


def test_the_clinic_disconnects_a_patient_s_phones(app, people, world):
    phone = signed_in(app, PATIENT)
    tokens = [mint_token(phone), mint_token(signed_in(app, PATIENT))]
    other = mint_token(signed_in(app, OTHER))
    clinic = signed_in(app, CLINICIAN)
    page = clinic.get(f"/clinic/patients/{people.patient_id}").get_data(as_text=True)
    assert f'action="/clinic/patients/{people.patient_id}/devices/revoke"' in page
    response = clinic.post(f"/clinic/patients/{people.patient_id}/devices/revoke",
                           data={"csrf_token": input_value(page, "csrf_token")})
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/clinic/patients/{people.patient_id}")
    assert "disconnected (2)" in clinic.get(response.headers["Location"]).get_data(
        as_text=True)
    assert [accepted(app, t) for t in tokens] == [401, 401]
    assert accepted(app, other) == 201
    events = audit_rows(app, AuditEvent.action == "device.revoke")
    assert len(events) == 2
    assert {e.actor_id for e in events} == {people.clinician_id}
    assert {e.patient_id for e in events} == {people.patient_id}
    # The phone was signed out too (else it would just ask again); signed in, it gets one.
    assert phone.get("/diary/account").status_code == 302
    assert accepted(app, mint_token(signed_in(app, PATIENT))) == 201


def test_another_clinic_cannot_disconnect_a_patient_s_phones(app, people, world):
    token = mint_token(signed_in(app, PATIENT))
    world.clinician("y@clinic.example", "Dr Y")
    stranger = signed_in(app, "y@clinic.example")
    before = every_table(app)
    response = stranger.post(f"/clinic/patients/{people.patient_id}/devices/revoke",
                             data={"csrf_token": csrf_token(stranger, "/clinic/")})
    assert response.status_code == 404
    assert every_table(app) == before
    assert accepted(app, token) == 201


def test_a_token_whose_person_or_diary_is_gone_is_refused(app, people):
    phone = signed_in(app, PATIENT)
    archived, inactive = mint_token(phone), None
    with app.app_context():
        db.session.get(Patient, people.patient_id).archived_at = NOW
        db.session.commit()
    assert accepted(app, archived) == 410  # the diary closed: sign-in again would not help
    inactive = mint_token(signed_in(app, OTHER))
    with app.app_context():
        db.session.get(User, _user_id(app, OTHER)).active = False
        db.session.commit()
    assert accepted(app, inactive) == 401


def test_asking_again_in_the_same_sign_in_replaces_the_token(app, people):
    """A page reloaded before the first answer came asks again: one phone, one live token."""
    phone = signed_in(app, PATIENT)
    first, second = mint_token(phone), mint_token(phone)
    live = device_rows(app, DeviceToken.revoked_at.is_(None))
    assert len(live) == 1
    assert accepted(app, first) == 401 and accepted(app, second) == 201
    other_phone = signed_in(app, PATIENT)  # another sign-in keeps its own
    mint_token(other_phone)
    assert len(device_rows(app, DeviceToken.revoked_at.is_(None))) == 2
