"""Production settings that keep the promises of docs/security.md behind a proxy."""

import pytest

from diary.web import create_app
from tests.conftest import PASSWORD, csrf_token

STRONG_KEY = "k" * 16 + "0123456789abcdef0123"


@pytest.fixture
def production(monkeypatch, tmp_path):
    monkeypatch.setenv("DIARY_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", STRONG_KEY)
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'x.sqlite'}")
    monkeypatch.setenv("DIARY_TRUSTED_HOSTS", "diary.example")
    monkeypatch.delenv("GUNICORN_WORKERS", raising=False)
    monkeypatch.delenv("DIARY_RATELIMIT_STORAGE_URI", raising=False)
    monkeypatch.setenv("DIARY_AUDIT_KEY", "a" * 64)
    return monkeypatch


def test_production_needs_its_host_names(production):
    production.delenv("DIARY_TRUSTED_HOSTS")
    with pytest.raises(RuntimeError, match="DIARY_TRUSTED_HOSTS"):
        create_app()


def test_a_forged_host_is_refused_not_reflected(production):
    app = create_app()
    forged = app.test_client().get("/sign-in", base_url="http://evil.example")
    assert forged.status_code == 400
    assert "evil.example" not in (forged.location or "")
    assert "evil.example" not in forged.get_data(as_text=True)
    good = app.test_client().get("/sign-in", base_url="http://diary.example")
    assert good.status_code in (301, 302) and good.location.startswith("https://diary.example/")


@pytest.mark.parametrize("storage, workers, refused", [
    (None, "2", True),                       # memory counters, two workers: refused
    (None, "1", False),                      # one worker may count in memory
    ("redis://127.0.0.1:6379", "4", False),  # shared counters: any number of workers
])
def test_several_workers_need_shared_counters(production, storage, workers, refused):
    production.setenv("GUNICORN_WORKERS", workers)
    if storage:
        production.setenv("DIARY_RATELIMIT_STORAGE_URI", storage)
    if refused:
        with pytest.raises(RuntimeError, match="DIARY_RATELIMIT_STORAGE_URI"):
            create_app()
    else:
        assert create_app().config["RATELIMIT_STORAGE_URI"] == (storage or "memory://")


def _wrong(app, client, forwarded_for, peer="10.0.0.2"):
    token = csrf_token(client, "/sign-in")
    return client.post("/sign-in", data={"csrf_token": token, "email": "dr@clinic.example",
                                         "password": "wrong password"},
                       headers={"X-Forwarded-For": forwarded_for},
                       environ_base={"REMOTE_ADDR": peer})


@pytest.mark.parametrize("app_config", [{"RATELIMIT_ENABLED": True, "PROXY_HOPS": 1}])
def test_behind_a_proxy_each_client_counts_for_itself(app, world):
    """One proxy hop: the address the proxy saw is the client's, so a spray through the proxy
    does not stop a user at another address."""
    world.clinician()
    attacker = app.test_client()
    codes = [_wrong(app, attacker, "203.0.113.9").status_code for _ in range(6)]
    assert codes == [200] * 5 + [429]
    real = app.test_client()
    token = csrf_token(real, "/sign-in")
    response = real.post("/sign-in", data={"csrf_token": token, "email": "dr@clinic.example",
                                           "password": PASSWORD},
                         headers={"X-Forwarded-For": "198.51.100.7"},
                         environ_base={"REMOTE_ADDR": "10.0.0.2"})
    assert response.status_code == 302


@pytest.mark.parametrize("app_config", [{"RATELIMIT_ENABLED": True, "PROXY_HOPS": 0}])
def test_without_a_trusted_proxy_a_forged_header_changes_nothing(app, world):
    """No proxy configured: X-Forwarded-For is the client's own claim and is ignored."""
    world.clinician()
    attacker = app.test_client()
    codes = [_wrong(app, attacker, f"192.0.2.{n}", peer="203.0.113.9").status_code
             for n in range(6)]
    assert codes == [200] * 5 + [429]


@pytest.mark.parametrize("app_config", [{"PROPAGATE_EXCEPTIONS": False}])
def test_a_failed_write_still_gets_the_plain_error_page(app, world, client):
    """A database error mid-request leaves the session needing a rollback; the 500 page,
    which reads the signed-in user, must still render."""
    import sqlalchemy as sa

    from diary.data.db import db
    from diary.data.models import User

    @app.get("/fail-a-write-for-test")
    def fail_a_write():
        db.session.add(User(email="dr@clinic.example", name="Twin", role="clinician",
                            password_hash="x"))
        db.session.flush()  # a second account with the same email: refused by the database

    from tests.conftest import sign_in

    world.clinician()
    assert sign_in(client, "dr@clinic.example").status_code == 302
    response = client.get("/fail-a-write-for-test")
    assert response.status_code == 500
    assert "Something went wrong on our side" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) == 1
