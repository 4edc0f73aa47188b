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


REDIS_URL = "redis://127.0.0.1:6379"


def _redis_up() -> bool:
    import redis

    try:
        return redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping()
    except redis.exceptions.ConnectionError:
        return False


@pytest.fixture
def redis_prefix():
    """This test's own keys in the shared Redis, removed afterwards."""
    import uuid

    import redis

    if not _redis_up():
        pytest.fail("Redis is not running on 127.0.0.1:6379 (CI machines have it)")
    prefix = f"diary-test-{uuid.uuid4().hex}"
    yield prefix
    client = redis.Redis.from_url(REDIS_URL)
    for key in client.scan_iter(f"*{prefix}*"):
        client.delete(key)


def test_counts_live_in_redis_for_several_workers(app_config, redis_prefix, world, clock):
    """With DIARY_RATELIMIT_STORAGE_URI=redis://… every worker process counts the same
    guesses: the counters are in Redis, not in one process's memory."""
    import redis

    from diary.data.db import db
    from diary.web import create_app
    from tests.conftest import BASE_CONFIG

    world.clinician()
    app = create_app({**BASE_CONFIG, "CLOCK": clock,
                      "SQLALCHEMY_DATABASE_URI": world.app.config["SQLALCHEMY_DATABASE_URI"],
                      "RATELIMIT_ENABLED": True, "RATELIMIT_STORAGE_URI": REDIS_URL,
                      "RATELIMIT_KEY_PREFIX": redis_prefix})
    try:
        codes = [_try(app.test_client(), "dr@clinic.example", f"guess-{n}", "203.0.113.77")
                 .status_code for n in range(6)]
    finally:
        with app.app_context():
            db.engine.dispose()  # this extra app's pool, or its connections outlive the test
    assert codes == [200] * 5 + [429]
    keys = list(redis.Redis.from_url(REDIS_URL).scan_iter(f"*{redis_prefix}*"))
    assert keys, "no rate-limit counters in Redis"


def _code(client, email, code, addr):
    env = {"REMOTE_ADDR": addr}
    token = csrf_token(client, "/sign-in")
    signed = client.post("/sign-in", data={"csrf_token": token, "email": email,
                                           "password": PASSWORD}, environ_base=env)
    assert signed.status_code == 302 and signed.location.endswith("/sign-in/code")
    token = csrf_token(client, "/sign-in/code")
    return client.post("/sign-in/code", data={"csrf_token": token, "code": code},
                       environ_base=env).status_code


def test_code_guesses_have_a_ceiling_per_account_from_any_address(app, world, clock):
    """Six digits are few: ten wrong codes an hour for one account, wherever they come from."""
    import pyotp

    secret = world.second_factor(world.clinician())
    codes = [_code(app.test_client(), "dr@clinic.example", "000000", f"198.51.100.{n}")
             for n in range(11)]
    assert codes == [200] * 10 + [429]
    right = pyotp.TOTP(secret).now()
    assert _code(app.test_client(), "dr@clinic.example", right, "192.0.2.200") == 429


def test_a_colleagues_wrong_codes_do_not_stop_mine(app, world):
    import pyotp

    world.second_factor(world.clinician())
    mine = world.second_factor(world.clinician(email="colleague@clinic.example"))
    for _ in range(6):
        _code(app.test_client(), "dr@clinic.example", "000000", "192.0.2.1")
    assert _code(app.test_client(), "colleague@clinic.example", pyotp.TOTP(mine).now(),
                 "192.0.2.1") == 302


@pytest.mark.parametrize("app_config", [{"RATELIMIT_ENABLED": True,
                                         "RATELIMIT_STORAGE_URI": "redis://127.0.0.1:1"}])
def test_with_redis_down_each_worker_still_counts(app, world):
    """Nothing listens at the counters' address: signing in still works and the limit still
    holds within this process (no 500, and no open door)."""
    world.clinician()
    client = app.test_client()
    codes = [_try(client, "dr@clinic.example", f"guess-{n}", "203.0.113.10").status_code
             for n in range(6)]
    assert codes == [200] * 5 + [429]
    assert _try(app.test_client(), "dr@clinic.example", PASSWORD, "198.51.100.10"
                ).status_code == 302
