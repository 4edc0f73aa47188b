"""Touch pain, night rest pain, wound and PGIC on entries; clinic visits with the Fontaine
stage (docs/clinical.md §7, §8). Existing entries keep NULL: not asked. Every patient's line in
the list is marked stale, so the new wound status and the follow-up label are computed.

Revision ID: 0008
Revises: 0007
"""
import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("entry") as batch_op:
        batch_op.add_column(sa.Column("touch_pain", sa.String(8), nullable=True))
        batch_op.add_column(sa.Column("night_rest_pain", sa.Boolean(), nullable=True))
        batch_op.add_column(sa.Column("wound", sa.String(12), nullable=True))
        batch_op.add_column(sa.Column("pgic", sa.String(20), nullable=True))
    op.create_table(
        "clinic_visit",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("visited_on", sa.Date(), nullable=False),
        sa.Column("fontaine", sa.String(4), nullable=True),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("recorded_by", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["patient_id"], ["patient.id"],
                                name=op.f("fk_clinic_visit_patient_id_patient")),
        sa.ForeignKeyConstraint(["recorded_by"], ["user.id"],
                                name=op.f("fk_clinic_visit_recorded_by_user")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_clinic_visit")),
    )
    with op.batch_alter_table("clinic_visit") as batch_op:
        batch_op.create_index(batch_op.f("ix_clinic_visit_patient_id"), ["patient_id"])
    op.execute("UPDATE patient_summary SET valid_until = NULL, version = version + 1")


def downgrade():
    op.drop_table("clinic_visit")
    with op.batch_alter_table("entry") as batch_op:
        for name in ("pgic", "wound", "night_rest_pain", "touch_pain"):
            batch_op.drop_column(name)
