"""Two-factor sign-in for clinicians: enrolment, the code step, replay, recovery codes."""

import re
from datetime import UTC, datetime, timedelta

import pyotp
import pytest

from diary.data.db import db
from diary.data.models import LoginSession, User
from tests.conftest import PASSWORD, input_value, post_form, sign_in

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def app_config(clock):
    clock.now = T0
    return {}


def _enrol(client, clock):
    page = client.get("/account/two-factor").get_data(as_text=True)
    secret = re.search(r"<code>([A-Z2-7]{16,})</code>", page).group(1)
    assert "<svg" in page  # the QR code to scan
    code = pyotp.TOTP(secret).at(clock.now)
    response = post_form(client, "/account/two-factor", {"password": PASSWORD, "code": code})
    assert response.status_code == 200
    codes = re.findall(r"<code>([0-9a-f]{6}-[0-9a-f]{6})</code>", response.get_data(as_text=True))
    assert len(codes) == 10
    return secret, codes


def _half_signed_in(client):
    response = sign_in(client, "dr@clinic.example")
    assert response.status_code == 302 and response.location.endswith("/sign-in/code")


def test_enrolled_clinician_needs_a_code(app, client, world, clock):
    world.clinician()
    sign_in(client, "dr@clinic.example")
    secret, _ = _enrol(client, clock)
    client.post("/sign-out", data={"csrf_token": input_value(
        client.get("/clinic/").get_data(as_text=True), "csrf_token")})

    _half_signed_in(client)
    # Half signed in is not signed in.
    assert client.get("/clinic/").status_code == 302
    clock.now = T0 + timedelta(minutes=2)
    wrong = post_form(client, "/sign-in/code", {"code": "000000"})
    assert "not right" in wrong.get_data(as_text=True)
    good = post_form(client, "/sign-in/code", {"code": pyotp.TOTP(secret).at(clock.now)})
    assert good.status_code == 302
    assert client.get("/clinic/").status_code == 200


def test_a_code_cannot_be_replayed(app, client, world, clock):
    world.clinician()
    sign_in(client, "dr@clinic.example")
    secret, _ = _enrol(client, clock)
    code = pyotp.TOTP(secret).at(clock.now)  # the very code used to enrol
    other = app.test_client()
    _half_signed_in(other)
    again = post_form(other, "/sign-in/code", {"code": code})
    assert again.status_code == 200 and "not right" in again.get_data(as_text=True)


def test_recovery_code_works_once(app, client, world, clock):
    world.clinician()
    sign_in(client, "dr@clinic.example")
    _, codes = _enrol(client, clock)
    first, second = app.test_client(), app.test_client()
    _half_signed_in(first)
    assert post_form(first, "/sign-in/code", {"code": codes[0]}).status_code == 302
    _half_signed_in(second)
    assert post_form(second, "/sign-in/code", {"code": codes[0]}).status_code == 200
    with app.app_context():
        user = db.session.scalar(db.select(User))
        assert len(user.recovery_codes) == 9
        assert codes[1] not in str(user.recovery_codes)  # stored hashed only


def test_pending_second_step_expires(app, client, world, clock):
    world.clinician()
    sign_in(client, "dr@clinic.example")
    secret, _ = _enrol(client, clock)
    fresh = app.test_client()
    _half_signed_in(fresh)
    clock.now = T0 + timedelta(minutes=6)
    response = post_form(fresh, "/sign-in/code", {"code": pyotp.TOTP(secret).at(clock.now)},
                         token_from="/sign-in")
    assert response.status_code == 302 and response.location.endswith("/sign-in")
    with app.app_context():
        assert db.session.query(LoginSession).count() == 1  # only the enrolling session


@pytest.mark.parametrize("app_config", [{"REQUIRE_MFA": True}])
def test_required_mfa_sends_clinicians_to_enrol(client, world):
    world.clinician()
    sign_in(client, "dr@clinic.example")
    response = client.get("/clinic/")
    assert response.status_code == 302 and response.location.endswith("/account/two-factor")


def test_patients_are_not_asked_for_a_second_factor(as_patient):
    assert as_patient.get("/diary/").status_code == 200


def test_the_secret_is_stored_encrypted(app, client, world, clock):
    world.clinician()
    sign_in(client, "dr@clinic.example")
    secret, _ = _enrol(client, clock)
    with app.app_context():
        stored = db.session.scalar(db.select(User.totp_secret))
    assert stored and secret not in stored
    from diary.services import mfa

    assert mfa.unseal(stored, app.config["SECRET_KEY"]) == secret
    assert mfa.unseal(stored, "another secret key of the same length ok") is None


def _new_secret(client) -> str:
    page = client.get("/account/two-factor").get_data(as_text=True)
    return re.search(r"<code>([A-Z2-7]{16,})</code>", page).group(1)


def test_the_secret_being_set_up_stays_on_the_server(app, client, world, clock):
    world.clinician()
    sign_in(client, "dr@clinic.example")
    secret = _new_secret(client)
    assert _new_secret(client) == secret  # the same until it is turned on
    cookie = client.get_cookie("session").value
    session_data = app.session_interface.get_signing_serializer(app).loads(cookie)
    assert secret not in str(session_data)
    with app.app_context():
        sealed = db.session.scalar(db.select(LoginSession.pending_totp_secret))
    assert sealed and secret not in sealed


def _stored(app):
    with app.app_context():
        user = db.session.scalar(db.select(User))
        return user.totp_secret, list(user.recovery_codes or [])


@pytest.mark.parametrize("change, wrong", [
    ({"password": "not the password"}, "password"),
    ({"current_code": "000000"}, "current_code"),
    ({"current_code": ""}, "current_code"),
    ({"code": "000000"}, "code"),
])
def test_moving_two_factor_needs_the_password_and_a_current_code(app, client, world, clock,
                                                                 change, wrong):
    world.clinician()
    sign_in(client, "dr@clinic.example")
    old_secret, _ = _enrol(client, clock)
    before = _stored(app)
    clock.now = T0 + timedelta(minutes=3)
    new_secret = _new_secret(client)
    assert new_secret != old_secret
    form = {"password": PASSWORD, "current_code": pyotp.TOTP(old_secret).at(clock.now),
            "code": pyotp.TOTP(new_secret).at(clock.now), **change}
    page = post_form(client, "/account/two-factor", form).get_data(as_text=True)
    # The message sits at the answer that was wrong, and only there.
    assert re.findall(r'id="([a-z_]+)-error"', page) == [wrong]
    assert _stored(app) == before  # nothing changed


def test_moving_two_factor_with_everything_right(app, client, world, clock):
    world.clinician()
    sign_in(client, "dr@clinic.example")
    old_secret, old_codes = _enrol(client, clock)
    other = app.test_client()
    _half_signed_in(other)
    clock.now = T0 + timedelta(minutes=1)
    assert post_form(other, "/sign-in/code",
                     {"code": pyotp.TOTP(old_secret).at(clock.now)}).status_code == 302
    clock.now = T0 + timedelta(minutes=3)
    new_secret = _new_secret(client)
    response = post_form(client, "/account/two-factor", {
        "password": PASSWORD, "current_code": old_codes[0],  # a recovery code will do
        "code": pyotp.TOTP(new_secret).at(clock.now)})
    codes = re.findall(r"<code>([0-9a-f]{6}-[0-9a-f]{6})</code>", response.get_data(as_text=True))
    assert len(codes) == 10 and not set(codes) & set(old_codes)
    from diary.services import mfa

    assert mfa.unseal(_stored(app)[0], app.config["SECRET_KEY"]) == new_secret
    assert other.get("/clinic/").status_code == 302  # the other sign-in ended
    assert client.get("/clinic/").status_code == 200
    with app.app_context():
        assert db.session.scalar(db.select(LoginSession.pending_totp_secret)
                                 .where(LoginSession.ended_at.is_(None))) is None


def test_opening_the_code_page_while_signed_in_keeps_the_sign_in(app, client, world):
    world.clinician()
    sign_in(client, "dr@clinic.example")
    response = client.get("/sign-in/code")
    assert response.status_code == 302 and not response.location.endswith("/sign-in")
    assert client.get("/clinic/").status_code == 200
