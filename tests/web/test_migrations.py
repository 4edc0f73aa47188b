"""The migrations build exactly the schema the models describe (what `flask db check` checks)."""

import pytest
from flask_migrate import check, downgrade, upgrade


def test_migrations_match_the_models(app):
    with app.app_context():
        check()  # exits (SystemExit) on drift, as `flask db check` does


def test_check_would_notice_drift(app):
    import sqlalchemy as sa

    from diary.extensions import db

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
