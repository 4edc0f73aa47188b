"""Fixtures: an app on a fresh, migrated database per test (SQLite by default, PostgreSQL
when DIARY_TEST_DATABASE_URL is set), a client, and helpers to sign in and post forms."""

import os
import re
import shutil
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from flask_migrate import upgrade

from diary.data.db import db
from diary.data.models import Clinic, Membership, Patient, User
from diary.web import create_app

PG_URL = os.environ.get("DIARY_TEST_DATABASE_URL")
PASSWORD = "correct horse battery"
BASE_CONFIG = {
    "TESTING": True,
    "SECRET_KEY": "test-secret-key-that-is-long-enough-for-tests",
    "AUDIT_KEY": "test-audit-key-of-the-hash-chain-not-the-secret-key",
    "RATELIMIT_ENABLED": False,
    "SERVER_NAME": "localhost",
}


class Clock:
    """A clock the tests can move; the app reads it through config['CLOCK']."""

    def __init__(self):
        self.now = None

    def __call__(self):
        return self.now or datetime.now(UTC)


def private_pg_database(kind: str = "run"):
    """A database of this test run's own, beside the given one, so runs never collide."""
    from diary.web.config import database_url

    base = sa.make_url(database_url(PG_URL))
    name = f"{base.database}_{kind}{os.getpid()}"
    admin = sa.create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}"')
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    return admin, name, base.set(database=name).render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def template_db(tmp_path_factory):
    """Migrate once per run; each test then starts from a copy (SQLite) or a clean slate."""
    if PG_URL:
        admin, name, url = private_pg_database()
        app = create_app({**BASE_CONFIG, "SQLALCHEMY_DATABASE_URI": url})
        with app.app_context():
            upgrade()
            db.engine.dispose()
        yield url
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()
        return
    path = tmp_path_factory.mktemp("template") / "diary.sqlite"
    app = create_app({**BASE_CONFIG, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}"})
    with app.app_context():
        upgrade()
        db.engine.dispose()
    yield path


def _clean_pg(app):
    with app.app_context():
        tables = ", ".join(f'"{t.name}"' for t in db.metadata.sorted_tables)
        with db.engine.begin() as conn:
            # Replica mode skips the append-only triggers, for cleaning between tests only.
            conn.exec_driver_sql("SET session_replication_role = replica")
            conn.exec_driver_sql(f"TRUNCATE {tables} RESTART IDENTITY CASCADE")
        db.engine.dispose()


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def app_config():
    """Override in a test module to change the app's configuration."""
    return {}


@pytest.fixture
def app(template_db, tmp_path, clock, app_config):
    if PG_URL:
        url = template_db
    else:
        shutil.copy(template_db, tmp_path / "diary.sqlite")
        url = f"sqlite:///{tmp_path / 'diary.sqlite'}"
    app = create_app({**BASE_CONFIG, "SQLALCHEMY_DATABASE_URI": url, "CLOCK": clock,
                      **app_config})
    if PG_URL:
        _clean_pg(app)
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


def input_value(html: str, name: str) -> str | None:
    """The value of the first <input name=...> in a page, whatever the attribute order."""
    for tag in re.findall(r"<input[^>]*>", html):
        if re.search(rf'\bname="{re.escape(name)}"', tag):
            match = re.search(r'\bvalue="([^"]*)"', tag)
            return match.group(1) if match else ""
    return None


def csrf_token(client, url="/sign-in") -> str:
    token = input_value(client.get(url).get_data(as_text=True), "csrf_token")
    assert token, f"no CSRF token on {url}"
    return token


def post_form(client, url, data=None, token_from=None, **kwargs):
    """POST like a browser: with the CSRF token of the page the form is on."""
    data = dict(data or {})
    data.setdefault("csrf_token", csrf_token(client, token_from or url))
    return client.post(url, data=data, **kwargs)


class World:
    """Users and patients made directly in the database, for tests to act as."""

    def __init__(self, app):
        self.app = app

    def clinician(self, email="dr@clinic.example", name="Dr Test", clinic=None):
        """A consultant: of `clinic` (an id) when given, else of a clinic of their own, so two
        clinicians made without one are strangers to each other's patients."""
        return self.staff(email, name, ("consultant",), clinic)

    def staff(self, email, name="Staff Test", roles=("consultant",), clinic=None):
        with self.app.app_context():
            if clinic is None:
                made = Clinic(name=f"Clinic of {name}")
                db.session.add(made)
                db.session.flush()
                clinic = made.id
            user = User(email=email, name=name, role="staff")
            user.set_password(PASSWORD)
            db.session.add(user)
            db.session.flush()
            db.session.add(Membership(user_id=user.id, clinic_id=clinic, roles=",".join(roles)))
            db.session.commit()
            return user.id

    def clinic_of(self, user_id) -> int:
        with self.app.app_context():
            return db.session.scalar(
                sa.select(Membership.clinic_id).where(Membership.user_id == user_id))

    def second_factor(self, user_id, recovery_codes=()) -> str:
        """Turn two-factor sign-in on for a user: the TOTP secret (recovery codes as given)."""
        from diary.services import mfa

        secret = mfa.new_secret()
        with self.app.app_context():
            user = db.session.get(User, user_id)
            user.totp_secret = mfa.seal(secret, self.app.config["SECRET_KEY"])
            user.recovery_codes = [mfa.hash_code(c) for c in recovery_codes]
            user.mfa_enabled_at = datetime(2025, 1, 1, tzinfo=UTC)
            db.session.commit()
        return secret

    def patient(self, clinician_id, name="Pat Test", email=None, record=None, unit="C",
                tz="Europe/London", created_at=None):
        with self.app.app_context():
            user = None
            if email:
                user = User(email=email, name=name, role="patient")
                user.set_password(PASSWORD)
                db.session.add(user)
            clinic = db.session.scalar(
                sa.select(Membership.clinic_id).where(Membership.user_id == clinician_id))
            patient = Patient(clinic_id=clinic, clinician_id=clinician_id, user=user,
                              display_name=name,
                              record_number=record, treated_side="left", condition="crps",
                              temp_unit=unit, timezone=tz,
                              created_at=created_at or datetime(2025, 1, 1, tzinfo=UTC))
            db.session.add(patient)
            db.session.commit()
            return patient.id

    def count(self, model, *where):
        with self.app.app_context():
            return db.session.scalar(sa.select(sa.func.count()).select_from(model).where(*where))


@pytest.fixture
def world(app):
    return World(app)


def sign_in(client, email, password=PASSWORD, remember=True):
    data = {"email": email, "password": password}
    if remember:
        data["remember"] = "y"
    return post_form(client, "/sign-in", data)


@pytest.fixture
def as_clinician(client, world):
    world.clinician_id = world.clinician()
    response = sign_in(client, "dr@clinic.example")
    assert response.status_code == 302
    return client


@pytest.fixture
def as_patient(client, world):
    world.clinician_id = world.clinician()
    world.patient_id = world.patient(world.clinician_id, email="pat@home.example")
    response = sign_in(client, "pat@home.example")
    assert response.status_code == 302
    return client
