"""Changing a password: needs the current one, ends other sign-ins, is rate limited."""

import pytest

from diary.data.models import AuditEvent
from tests.conftest import PASSWORD, csrf_token, post_form, sign_in

NEW = "a much longer new passphrase"


def _change(client, current, new=NEW, confirm=None, addr="127.0.0.1"):
    token = csrf_token(client, "/account/password")
    return client.post("/account/password", environ_base={"REMOTE_ADDR": addr}, data={
        "csrf_token": token, "current": current, "password": new, "confirm": confirm or new})


def test_change_needs_the_current_password(as_patient, world):
    response = _change(as_patient, "not my password")
    assert response.status_code == 200 and "not your current password" in response.get_data(
        as_text=True)
    assert world.count(AuditEvent, AuditEvent.action == "auth.password_change") == 0


@pytest.mark.parametrize("new, confirm, message", [
    ("short", "short", "at least 10"), (NEW, NEW + "x", "not the same")])
def test_bad_new_passwords_are_refused(as_patient, new, confirm, message):
    response = _change(as_patient, PASSWORD, new, confirm)
    assert message in response.get_data(as_text=True)


def test_change_signs_out_other_devices_and_keeps_this_one(app, as_patient):
    other = app.test_client()
    sign_in(other, "pat@home.example")
    assert _change(as_patient, PASSWORD).status_code == 302
    assert as_patient.get("/diary/").status_code == 200
    assert other.get("/diary/").status_code == 302  # sent to sign in
    fresh = app.test_client()
    assert sign_in(fresh, "pat@home.example", PASSWORD).status_code == 200  # old one refused
    assert sign_in(fresh, "pat@home.example", NEW).status_code == 302


@pytest.mark.parametrize("app_config", [{"RATELIMIT_ENABLED": True}])
def test_guessing_the_current_password_is_limited(as_patient):
    codes = [_change(as_patient, f"guess {n}").status_code for n in range(6)]
    assert codes == [200] * 5 + [429]


def test_anonymous_cannot_change_a_password(client):
    response = post_form(client, "/account/password", {"current": "x"}, token_from="/sign-in")
    assert response.status_code == 302 and "/sign-in" in response.location
