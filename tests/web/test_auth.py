"""Signing in and out: generic errors, who is remembered, revocable sessions, time limits."""

from datetime import timedelta
from urllib.parse import quote, urlsplit

import pytest
import sqlalchemy as sa
from werkzeug.security import generate_password_hash

from diary.data import models
from diary.data.db import db
from diary.data.models import AuditEvent, LoginSession, User
from tests.conftest import PASSWORD, input_value, post_form, sign_in
from tests.web.helpers import NOW, audit_rows

pytestmark = pytest.mark.usefixtures("fixed_now")

PATIENT = "pat@home.example"
CLINICIAN = "dr@clinic.example"


@pytest.fixture
def people(world):
    world.clinician_id = world.clinician()
    world.patient_id = world.patient(world.clinician_id, email=PATIENT)
    return world


def cookies(client) -> dict[str, str]:
    return {name: client.get_cookie(name).value for name in ("session", "remember_token")
            if client.get_cookie(name) is not None}


def replay(app, jar: dict[str, str]):
    """A new browser holding copies of someone's cookies."""
    thief = app.test_client()
    for name, value in jar.items():
        thief.set_cookie(name, value)
    return thief


def sign_out(client):
    page = client.get("/diary/history" if client.get("/").headers["Location"].endswith(
        "/diary/") else "/clinic/").get_data(as_text=True)
    return client.post("/sign-out", data={"csrf_token": input_value(page, "csrf_token")})


def test_passwords_are_hashed_with_scrypt(app, monkeypatch):
    # The web suite swaps in a cheaper hash for speed; the app's own default is scrypt.
    monkeypatch.setattr(models, "generate_password_hash", generate_password_hash)
    user = User(email="x@example", name="X", role="patient")
    user.set_password(PASSWORD)
    assert user.password_hash.startswith("scrypt:")
    assert PASSWORD not in user.password_hash
    assert user.check_password(PASSWORD) and not user.check_password(PASSWORD + "x")


@pytest.mark.parametrize(("email", "home"), [(CLINICIAN, "/clinic/"), (PATIENT, "/diary/")])
def test_sign_in_goes_home(client, people, email, home):
    response = sign_in(client, email)
    assert response.status_code == 302 and response.headers["Location"] == home
    assert client.get("/").headers["Location"] == home
    assert client.get("/sign-in").headers["Location"] == home


def test_sign_in_is_case_and_space_tolerant_for_the_name(client, people):
    assert sign_in(client, "  PAT@Home.Example ").status_code == 302


def test_anonymous_home_goes_to_sign_in(client):
    assert client.get("/").headers["Location"] == "/sign-in"


@pytest.mark.parametrize(("email", "password"), [
    (PATIENT, "wrong password"), (CLINICIAN, PASSWORD + " "), ("nobody@home.example", PASSWORD),
    ("inactive@home.example", PASSWORD),
])
def test_failed_sign_in_says_the_same_whatever_was_wrong(client, app, people, email, password):
    with app.app_context():
        user = User(email="inactive@home.example", name="Gone", role="patient", active=False)
        user.set_password(PASSWORD)
        db.session.add(user)
        db.session.commit()
    response = sign_in(client, email, password)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "That email and password do not match an account." in html
    for hint in ("not found", "no account", "disabled", "wrong password", "unknown"):
        assert hint not in html.lower()
    assert client.get("/diary/").status_code == 302
    assert [ev.action for ev in audit_rows(app)] == ["auth.sign_in_failed"]


@pytest.mark.parametrize(("data", "field"), [
    ({"email": "", "password": PASSWORD}, "email"),
    ({"email": PATIENT, "password": ""}, "password"),
    ({"email": "pat\x00@home.example", "password": PASSWORD}, "email"),
    ({"email": "x" * 10_000, "password": PASSWORD}, "email"),
])
def test_incomplete_sign_in_is_refused_beside_the_field(client, people, data, field):
    response = post_form(client, "/sign-in", data)
    assert response.status_code == 200
    assert f'id="{field}-error"' in response.get_data(as_text=True)


def test_successful_sign_in_is_audited(client, app, people):
    sign_in(client, PATIENT)
    [ev] = audit_rows(app)
    assert (ev.action, ev.object_type) == ("auth.sign_in", "user")
    assert ev.actor_id == int(ev.object_id)
    with app.app_context():
        assert db.session.get(User, ev.actor_id).last_login_at == NOW


@pytest.mark.parametrize(("email", "remember", "kept"), [
    (PATIENT, True, True), (PATIENT, False, False), (CLINICIAN, True, False),
    (CLINICIAN, False, False),
])
def test_only_patients_are_remembered(client, app, people, email, remember, kept):
    assert sign_in(client, email, remember=remember).status_code == 302
    assert (client.get_cookie("remember_token") is not None) is kept
    with app.app_context():
        assert db.session.scalar(sa.select(LoginSession.remember)) is kept


def test_remember_cookie_is_http_only(client, people):
    sign_in(client, PATIENT)
    cookie = client.get_cookie("remember_token")
    assert cookie.http_only and cookie.same_site == "Lax"


@pytest.mark.parametrize("email", [PATIENT, CLINICIAN])
def test_sign_out_ends_the_sign_in_for_every_copy_of_its_cookies(client, app, people, email):
    sign_in(client, email)
    stolen = cookies(client)
    page = "/diary/" if email == PATIENT else "/clinic/"
    assert replay(app, stolen).get(page).status_code == 200  # copies work while signed in

    response = sign_out(client)
    assert response.status_code == 302 and response.headers["Location"] == "/sign-in"
    assert client.get(page).status_code == 302
    assert replay(app, stolen).get(page).status_code == 302
    if "remember_token" in stolen:
        assert replay(app, {"remember_token": stolen["remember_token"]}).get(
            page).status_code == 302
    with app.app_context():
        assert db.session.scalar(sa.select(LoginSession.ended_at)) == NOW
    assert audit_rows(app)[-1].action == "auth.sign_out"


def test_sign_out_also_drops_the_remember_cookie_from_the_phone(client, people):
    sign_in(client, PATIENT)
    assert client.get_cookie("remember_token") is not None
    sign_out(client)
    assert client.get_cookie("remember_token") is None


def test_signing_in_again_after_sign_out_works(client, people):
    sign_in(client, PATIENT)
    sign_out(client)
    assert sign_in(client, PATIENT).status_code == 302
    assert client.get("/diary/").status_code == 200


def test_sign_out_everywhere_ends_every_sign_in_of_that_person_only(client, app, people):
    phone, tablet = app.test_client(), app.test_client()
    for device in (phone, tablet):
        sign_in(device, PATIENT)
    tablet_cookies = cookies(tablet)
    clinic = app.test_client()
    sign_in(clinic, CLINICIAN)

    page = phone.get("/diary/account").get_data(as_text=True)
    assert "Sign out everywhere" in page
    response = phone.post("/sign-out-everywhere",
                          data={"csrf_token": input_value(page, "csrf_token")})
    assert response.status_code == 302
    assert phone.get("/diary/").status_code == 302
    assert tablet.get("/diary/").status_code == 302
    assert replay(app, {"remember_token": tablet_cookies["remember_token"]}).get(
        "/diary/").status_code == 302
    assert clinic.get("/clinic/").status_code == 200  # someone else's sign-in is untouched
    with app.app_context():
        open_ = db.session.scalars(sa.select(LoginSession.user_id).where(
            LoginSession.ended_at.is_(None))).all()
        assert open_ == [people.clinician_id]
    [ev] = audit_rows(app, AuditEvent.action == "auth.sign_out_everywhere")
    assert ev.after is not None  # the number of sessions ended, as a digest


def _clinician_at(client, clock, minutes) -> int:
    clock.now = NOW + timedelta(minutes=minutes)
    return client.get("/clinic/").status_code


def test_clinician_signed_out_after_15_idle_minutes(client, clock, people, app):
    sign_in(client, CLINICIAN)
    assert _clinician_at(client, clock, 14) == 200
    assert _clinician_at(client, clock, 28) == 200  # idle time counts from the last request
    assert _clinician_at(client, clock, 43) == 200  # 15 minutes exactly is still in
    assert _clinician_at(client, clock, 59) == 302
    assert client.get("/clinic/").headers["Location"].startswith("/sign-in")
    clock.now = NOW + timedelta(minutes=44)  # even if the clock were to go back
    assert client.get("/clinic/").status_code == 302
    with app.app_context():
        assert db.session.scalar(sa.select(LoginSession.ended_at)) is not None


def test_clinician_signed_out_after_12_hours_however_busy(client, clock, people):
    sign_in(client, CLINICIAN)
    for minutes in range(10, 12 * 60, 10):
        assert _clinician_at(client, clock, minutes) == 200, minutes
    assert _clinician_at(client, clock, 12 * 60 + 1) == 302


def test_patients_are_not_timed_out(client, clock, people):
    sign_in(client, PATIENT)
    clock.now = NOW + timedelta(days=30)
    assert client.get("/diary/").status_code == 200
    client.delete_cookie("session")
    clock.now = NOW + timedelta(days=60)
    assert client.get("/diary/").status_code == 200  # by the remember cookie alone


def test_signing_in_again_after_a_timeout_works(client, clock, people):
    sign_in(client, CLINICIAN)
    clock.now = NOW + timedelta(hours=1)
    assert client.get("/clinic/").status_code == 302
    assert sign_in(client, CLINICIAN).status_code == 302
    assert client.get("/clinic/").status_code == 200


def test_next_brings_you_back_where_you_were_going(client, people):
    response = client.get("/diary/history")
    assert response.status_code == 302
    target = response.headers["Location"]
    assert target == "/sign-in?next=%2Fdiary%2Fhistory"
    data = {"email": PATIENT, "password": PASSWORD,
            "csrf_token": input_value(client.get(target).get_data(as_text=True), "csrf_token")}
    after = client.post(target, data=data)
    assert after.headers["Location"] == "/diary/history"


@pytest.mark.parametrize("target", [
    "http://evil.example/", "https://evil.example/diary/", "//evil.example/",
    "///evil.example/", "/\\evil.example", "\\\\evil.example", "/\t/evil.example",
    "/\n/evil.example", " //evil.example", "javascript:alert(1)", "https:evil.example",
    "evil.example", "/%2F%2Fevil.example", "/\x00/evil.example",
])
def test_next_never_leaves_the_site(client, people, target):
    url = "/sign-in?next=" + quote(target, safe="")
    data = {"email": PATIENT, "password": PASSWORD,
            "csrf_token": input_value(client.get(url).get_data(as_text=True), "csrf_token")}
    response = client.post(url, data=data)
    assert response.status_code == 302
    location = response.headers["Location"]
    parts = urlsplit(location)
    assert parts.scheme == "" and parts.netloc == ""
    assert location.startswith("/") and not location.startswith("//")
    assert not location.startswith("/\\") and "\t" not in location and "\n" not in location
