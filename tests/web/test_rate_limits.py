"""Brute force: limits per account *and* address, so an attacker cannot lock a real user out."""

import pytest

from tests.conftest import PASSWORD, csrf_token


@pytest.fixture
def app_config():
    return {"RATELIMIT_ENABLED": True}


def _try(client, email, password, addr):
    env = {"REMOTE_ADDR": addr}
    token = csrf_token(client, "/sign-in")
    return client.post("/sign-in", data={"csrf_token": token, "email": email,
                                         "password": password}, environ_base=env)


def test_sixth_wrong_password_in_a_minute_is_refused(app, world):
    world.clinician()
    attacker = app.test_client()
    codes = [_try(attacker, "dr@clinic.example", f"guess-{n}", "203.0.113.9").status_code
             for n in range(6)]
    assert codes == [200] * 5 + [429]
    # Even the right password is refused from that address for now...
    assert _try(attacker, "dr@clinic.example", PASSWORD, "203.0.113.9").status_code == 429
    # ...but the real user, elsewhere, still signs in.
    real = app.test_client()
    assert _try(real, "dr@clinic.example", PASSWORD, "198.51.100.7").status_code == 302


def test_colleagues_behind_one_address_are_not_locked_out(app, world):
    world.clinician()
    world.clinician(email="colleague@clinic.example")
    typo = app.test_client()
    for n in range(6):
        _try(typo, "dr@clinic.example", f"typo-{n}", "192.0.2.1")
    colleague = app.test_client()
    assert _try(colleague, "colleague@clinic.example", PASSWORD, "192.0.2.1").status_code == 302


def test_invite_guessing_is_limited(app):
    client = app.test_client()
    codes = [client.get(f"/invite/guess{n}", environ_base={"REMOTE_ADDR": "203.0.113.5"})
             .status_code for n in range(11)]
    assert codes == [404] * 10 + [429]
