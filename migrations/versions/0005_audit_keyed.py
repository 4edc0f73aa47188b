"""SQLite refuses REPLACE INTO / INSERT OR REPLACE / upserts on audit_event.

The audit chain becomes keyed (HMAC-SHA-256, diary/services/audit.py) in this release; the
schema needs no change for that. What it needs is to close a hole in 0002's triggers:

- SQLite: `REPLACE INTO audit_event` (and `INSERT OR REPLACE`) deletes the row it conflicts
  with and inserts a new one. That implicit delete fires no DELETE trigger (unless
  recursive_triggers is on), so the row was rewritten despite 0002. A BEFORE INSERT trigger now
  aborts any insert whose id or hash is already there: REPLACE, INSERT OR REPLACE and
  `INSERT ... ON CONFLICT DO UPDATE` are refused before their conflict is resolved.
- PostgreSQL: nothing to add. `INSERT ... ON CONFLICT DO UPDATE` runs the row's BEFORE UPDATE
  trigger (0002's audit_event_no_change), and there is no REPLACE
  (tests/web/test_audit_chain.py proves both).

Revision ID: 0005
Revises: 0004
"""
from alembic import op

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade():
    if op.get_bind().dialect.name == "sqlite":
        op.execute(
            "CREATE TRIGGER audit_event_no_replace BEFORE INSERT ON audit_event "
            "WHEN EXISTS (SELECT 1 FROM audit_event WHERE id = NEW.id) "
            "OR EXISTS (SELECT 1 FROM audit_event WHERE hash = NEW.hash) "
            "BEGIN SELECT RAISE(ABORT, 'audit_event is append-only: REPLACE or upsert refused'); END")


def downgrade():
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TRIGGER audit_event_no_replace")
