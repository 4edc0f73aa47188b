"""Each patient's line in the clinic's list, kept current (diary/services/summaries.py).

Every existing patient gets a stale line (valid_until NULL); it is computed on the first
look at the list or by `flask diary refresh-summaries`.

Revision ID: 0007
Revises: 0006
"""
import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "patient_summary",
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("statuses", sa.String(200), nullable=False),
        sa.Column("urgency", sa.Integer(), nullable=False),
        sa.Column("last_entry_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_verdict", sa.String(20), nullable=True),
        sa.Column("last_block_date", sa.Date(), nullable=True),
        sa.Column("next_due_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("failed", sa.Boolean(), nullable=False),
        sa.Column("name_key", sa.String(120), nullable=False),
        sa.Column("search_key", sa.String(200), nullable=False),
        sa.Column("computed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("valid_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["patient_id"], ["patient.id"], ondelete="CASCADE",
                                name=op.f("fk_patient_summary_patient_id_patient")),
        sa.PrimaryKeyConstraint("patient_id", name=op.f("pk_patient_summary")),
    )
    with op.batch_alter_table("patient_summary") as batch_op:
        batch_op.create_index(batch_op.f("ix_patient_summary_urgency"), ["urgency"])
        batch_op.create_index(batch_op.f("ix_patient_summary_name_key"), ["name_key"])
        batch_op.create_index(batch_op.f("ix_patient_summary_valid_until"), ["valid_until"])
    # Stale lines for the patients already here: computed when first needed.
    op.execute("INSERT INTO patient_summary (patient_id, statuses, urgency, failed, name_key, "
               "search_key, version) SELECT id, '', 0, false, '', '', 0 FROM patient")


def downgrade():
    op.drop_table("patient_summary")
