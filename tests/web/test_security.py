"""Headers, cookies, production start-up rules and the append-only, hash-chained audit."""

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import DatabaseError

from diary.data.db import db
from diary.data.models import AuditEvent
from diary.services.audit import verify_chain
from diary.web import create_app
from tests.conftest import PG_URL, sign_in


def test_strict_csp_and_headers_on_every_page(client):
    response = client.get("/sign-in")
    csp = response.headers["Content-Security-Policy"]
    for directive in ("object-src 'none'", "base-uri 'none'", "frame-ancestors 'none'",
                      "default-src 'self'", "connect-src 'self'"):
        assert directive in csp
    # Nothing goes to a third party: every source list names our own origin only.
    for part in csp.split(";"):
        assert "http" not in part and "*" not in part, part
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert "'nonce-" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert response.headers["Cache-Control"] == "no-store"
    # A nonce is per request, never reused.
    assert client.get("/sign-in").headers["Content-Security-Policy"] != csp


def test_signed_in_pages_are_not_stored(as_patient):
    for url in ("/diary/", "/diary/history", "/diary/account"):
        assert as_patient.get(url).headers["Cache-Control"] == "no-store"


def test_session_cookie_flags(client, world):
    world.clinician()
    response = sign_in(client, "dr@clinic.example")
    cookie = next(c for c in response.headers.getlist("Set-Cookie") if c.startswith("session="))
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


@pytest.mark.parametrize("key", [None, "", "dev", "short-key"])
def test_production_refuses_a_missing_or_weak_secret_key(monkeypatch, key, tmp_path):
    monkeypatch.setenv("DIARY_ENV", "production")
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'x.sqlite'}")
    if key is None:
        monkeypatch.delenv("SECRET_KEY", raising=False)
    else:
        monkeypatch.setenv("SECRET_KEY", key)
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app()


def test_production_is_secure_by_default(monkeypatch, tmp_path):
    monkeypatch.setenv("DIARY_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", "k" * 16 + "0123456789abcdef0123")
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'x.sqlite'}")
    monkeypatch.setenv("DIARY_TRUSTED_HOSTS", "diary.example")
    monkeypatch.setenv("DIARY_AUDIT_KEY", "a" * 16 + "fedcba9876543210fedc")
    app = create_app()
    assert not app.debug
    assert app.config["SESSION_COOKIE_SECURE"] and app.config["REMEMBER_COOKIE_SECURE"]
    assert not app.config["DEMO_ALLOWED"]
    response = app.test_client().get("/sign-in", base_url="https://diary.example")
    assert "max-age=" in response.headers["Strict-Transport-Security"]
    plain = app.test_client().get("/sign-in", base_url="http://diary.example")
    assert plain.status_code in (301, 302) and plain.location.startswith("https://")


def _audited(app, world):
    world.clinician()
    with app.test_client() as c:
        sign_in(c, "dr@clinic.example")
    with app.app_context():
        return db.session.scalar(sa.select(AuditEvent.id).order_by(AuditEvent.id.desc()))


@pytest.mark.parametrize("statement", [
    "UPDATE audit_event SET action = 'nothing' WHERE id = :id",
    "DELETE FROM audit_event WHERE id = :id",
])
def test_database_refuses_to_change_the_audit_trail(app, world, statement):
    event_id = _audited(app, world)
    with app.app_context():
        with pytest.raises(DatabaseError, match="append-only"):
            db.session.execute(sa.text(statement), {"id": event_id})
            db.session.commit()
        db.session.rollback()
        assert db.session.get(AuditEvent, event_id).action == "auth.sign_in"


def test_verify_audit_finds_a_hand_edited_row(app, world, runner):
    event_id = _audited(app, world)
    assert "intact" in runner.invoke(args=["diary", "verify-audit"]).output
    with app.app_context():
        # Someone with raw database access gets round the trigger...
        with db.engine.begin() as conn:
            if PG_URL:
                conn.exec_driver_sql("SET LOCAL session_replication_role = replica")
            else:
                conn.exec_driver_sql("DROP TRIGGER audit_event_no_update")
            conn.execute(sa.text("UPDATE audit_event SET remote_addr = '10.9.9.9' WHERE id = :id"),
                         {"id": event_id})
        assert verify_chain()[1] == event_id
    result = runner.invoke(args=["diary", "verify-audit"])
    assert result.exit_code != 0 and f"broken at event {event_id}" in result.output


@pytest.mark.parametrize("app_config", [{"PROPAGATE_EXCEPTIONS": False}])
def test_error_pages_leak_nothing(app, client):
    @app.get("/boom-for-test")
    def boom():
        raise RuntimeError("secret detail: SELECT * FROM entry")

    response = client.get("/boom-for-test")
    body = response.get_data(as_text=True)
    assert response.status_code == 500 and "Something went wrong on our side" in body
    assert "secret detail" not in body and "Traceback" not in body
    missing = client.get("/no/such/page")
    assert missing.status_code == 404 and "Page not found" in missing.get_data(as_text=True)
    assert client.get("/sign-out").status_code == 405


def test_unknown_accounts_cost_a_password_check_too(client, monkeypatch):
    """Otherwise a fast answer would tell an attacker which accounts exist."""
    from diary.web.views import auth

    calls = []
    real = auth.check_password_hash
    monkeypatch.setattr(auth, "check_password_hash", lambda h, p: calls.append(h) or real(h, p))
    response = sign_in(client, "nobody@nowhere.example", "whatever password")
    assert response.status_code == 200 and len(calls) == 1
