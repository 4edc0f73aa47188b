"""The migrations build exactly the schema the models describe (what `flask db check` checks)."""

import pytest
from flask_migrate import check, downgrade, upgrade


def test_migrations_match_the_models(app):
    with app.app_context():
        check()  # exits (SystemExit) on drift, as `flask db check` does


def test_check_would_notice_drift(app):
    import sqlalchemy as sa

    from diary.data.db import db

    extra = sa.Table("not_migrated", db.metadata, sa.Column("id", sa.Integer, primary_key=True))
    try:
        with app.app_context(), pytest.raises(SystemExit):
            check()
    finally:
        db.metadata.remove(extra)


def test_migrations_go_down_and_up_again(app):
    with app.app_context():
        downgrade(revision="base")
        upgrade()
        check()


def test_upgrading_a_database_with_data_keeps_it(app):
    """SQLite rebuilds a table to alter it: that must work with rows that refer to it."""
    import sqlalchemy as sa

    from diary.data.db import db

    with app.app_context():
        downgrade(revision="0003")
        with db.engine.begin() as conn:
            conn.execute(sa.text(
                'INSERT INTO "user" (id, email, password_hash, role, name, active, created_at)'
                " VALUES (99, 'kept@clinic.example', 'x', 'clinician', 'Kept', true, "
                "'2026-01-01 00:00:00')"))
            conn.execute(sa.text(
                "INSERT INTO patient (id, clinician_id, display_name, treated_side, condition,"
                " temp_unit, timezone, is_demo, created_at) VALUES (99, 99, 'Kept', 'left',"
                " 'crps', 'C', 'UTC', false, '2026-01-01 00:00:00')"))
        upgrade()
        check()
        assert db.session.scalar(sa.text("SELECT clinician_id FROM patient WHERE id = 99")) == 99
