"""docs/security.md, "Run the app as a role that owns nothing": the SQL given there, run as
written, leaves an app that works but cannot change or cut the audit trail (PostgreSQL)."""

import os
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask_migrate import upgrade

from diary.data.db import db
from diary.services import audit, staff
from diary.web import create_app
from tests.conftest import BASE_CONFIG, PG_URL

DOC = Path(__file__).resolve().parents[2] / "docs" / "security.md"

pytestmark = pytest.mark.skipif(not PG_URL, reason="PostgreSQL-only: roles and grants")


def _sql_blocks() -> tuple[str, str]:
    """The doc's two SQL blocks: the superuser's set-up, and the owner's grants."""
    section = DOC.read_text().split("**Run the app as a role that owns nothing**")[1]
    blocks = re.findall(r"```sql\n(.*?)```", section, re.S)
    assert len(blocks) == 2
    return blocks[0], blocks[1]


def _statements(block: str, names: dict[str, str]):
    for line in block.splitlines():
        line = line.split("--")[0].strip()
        for old, new in names.items():
            line = line.replace(old, new)
        if line:
            yield line.rstrip(";").replace("'…'", "'x'")


@pytest.fixture
def roles():
    from diary.web.config import database_url

    base = sa.make_url(database_url(PG_URL))
    tag = f"t{os.getpid()}"
    names = {"diary_owner": f"diary_owner_{tag}", "diary_app": f"diary_app_{tag}",
             "DATABASE diary": f"DATABASE diary_roles_{tag}"}
    db_name = f"diary_roles_{tag}"
    admin = sa.create_engine(base, isolation_level="AUTOCOMMIT")
    setup, grants = _sql_blocks()
    with admin.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{db_name}"')
        for role in (names["diary_owner"], names["diary_app"]):
            conn.exec_driver_sql(f'DROP ROLE IF EXISTS "{role}"')
        for statement in _statements(setup, names):
            if statement.startswith("\\c"):
                break
            conn.exec_driver_sql(statement)
    super_db = sa.create_engine(base.set(database=db_name), isolation_level="AUTOCOMMIT")
    with super_db.connect() as conn:
        after_connect = setup.split("\\c diary", 1)[1]
        for statement in _statements(after_connect, names):
            conn.exec_driver_sql(statement)
    super_db.dispose()
    urls = {who: base.set(database=db_name, username=names[f"diary_{who}"], password=None)
            .render_as_string(hide_password=False) for who in ("owner", "app")}
    yield urls, grants, names
    with admin.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{db_name}" WITH (FORCE)')
        for role in (names["diary_app"], names["diary_owner"]):
            conn.exec_driver_sql(f'DROP ROLE IF EXISTS "{role}"')
    admin.dispose()


def _app(url):
    return create_app({**BASE_CONFIG, "SQLALCHEMY_DATABASE_URI": url})


def test_the_app_role_works_and_cannot_touch_the_trail(roles):
    urls, grants, names = roles
    owner = _app(urls["owner"])
    with owner.app_context():
        upgrade()
        with db.engine.begin() as conn:
            for statement in _statements(grants, names):
                conn.exec_driver_sql(statement)
        db.session.remove()
        db.engine.dispose()

    app = _app(urls["app"])
    with app.app_context():
        staff.create_staff("dr@clinic.example", "Dr Role", ["consultant"], "correct horse battery")
        assert audit.verify().ok
        refused = [
            "UPDATE audit_event SET action = 'x'",
            "DELETE FROM audit_event",
            "TRUNCATE audit_event",
            "ALTER TABLE audit_event DISABLE TRIGGER ALL",
            "SET session_replication_role = replica",
            "UPDATE alembic_version SET version_num = 'x'",
            "CREATE TABLE sneaky (id int)",
        ]
        for statement in refused:
            with (pytest.raises(sa.exc.DBAPIError, match="(?i)permission denied|must be owner"),
                  db.engine.begin() as conn):
                conn.exec_driver_sql(statement)
        assert db.session.scalar(sa.text("SELECT count(*) FROM audit_event")) == 1
        assert db.session.scalar(sa.text("SELECT max(at) FROM audit_event")) <= datetime.now(UTC)
        db.session.remove()
        db.engine.dispose()
