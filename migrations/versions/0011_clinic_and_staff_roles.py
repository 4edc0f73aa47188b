"""The clinic as a team: clinics, staff memberships with roles, patients in a clinic, staff
invites, and invites that can be shown again.

Every existing clinician joins one clinic as a consultant (an admin as consultant and
administrator) and their patients join it too; a record number is now unique in the clinic.

Revision ID: 0011
Revises: 0010
"""
import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

TZ = sa.DateTime(timezone=True)


def upgrade():
    op.create_table(
        "clinic",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(120), nullable=False),
        sa.Column("own_patients_only", sa.Boolean(), nullable=False),
        sa.Column("timezone", sa.String(64), nullable=False),
        sa.Column("created_at", TZ, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_clinic")),
    )
    op.create_table(
        "membership",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("clinic_id", sa.Integer(), nullable=False),
        sa.Column("roles", sa.String(60), nullable=False),
        sa.Column("created_at", TZ, nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["user.id"], name=op.f("fk_membership_user_id_user")),
        sa.ForeignKeyConstraint(["clinic_id"], ["clinic.id"],
                                name=op.f("fk_membership_clinic_id_clinic")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_membership")),
        sa.UniqueConstraint("user_id", "clinic_id", name="user_clinic"),
    )
    with op.batch_alter_table("membership") as batch_op:
        batch_op.create_index(batch_op.f("ix_membership_user_id"), ["user_id"])
        batch_op.create_index(batch_op.f("ix_membership_clinic_id"), ["clinic_id"])

    conn = op.get_bind()
    staff = conn.execute(sa.text(
        "SELECT id, role FROM \"user\" WHERE role IN ('clinician', 'admin') ORDER BY id")).all()
    has_patients = conn.execute(sa.text("SELECT count(*) FROM patient")).scalar()
    clinic_id = None
    if staff or has_patients:
        conn.execute(sa.text(
            "INSERT INTO clinic (name, own_patients_only, timezone, created_at) "
            "VALUES ('The clinic', :no, 'Europe/London', CURRENT_TIMESTAMP)"), {"no": False})
        clinic_id = conn.execute(sa.text("SELECT max(id) FROM clinic")).scalar()
        for user_id, role in staff:
            conn.execute(sa.text(
                "INSERT INTO membership (user_id, clinic_id, roles, created_at) "
                "VALUES (:u, :c, :r, CURRENT_TIMESTAMP)"),
                {"u": user_id, "c": clinic_id,
                 "r": "consultant,admin" if role == "admin" else "consultant"})
        conn.execute(sa.text(
            "UPDATE \"user\" SET role = 'staff' WHERE role IN ('clinician', 'admin')"))

    with op.batch_alter_table("patient") as batch_op:
        batch_op.add_column(sa.Column("clinic_id", sa.Integer(), nullable=True))
    if clinic_id is not None:
        conn.execute(sa.text("UPDATE patient SET clinic_id = :c"), {"c": clinic_id})
    with op.batch_alter_table("patient") as batch_op:
        batch_op.alter_column("clinic_id", existing_type=sa.Integer(), nullable=False)
        batch_op.create_foreign_key(batch_op.f("fk_patient_clinic_id_clinic"), "clinic",
                                    ["clinic_id"], ["id"])
        batch_op.create_index(batch_op.f("ix_patient_clinic_id"), ["clinic_id"])
        batch_op.drop_constraint("clinician_record", type_="unique")
        batch_op.create_unique_constraint("clinic_record", ["clinic_id", "record_number"])

    with op.batch_alter_table("invite") as batch_op:
        batch_op.alter_column("patient_id", existing_type=sa.Integer(), nullable=True)
        batch_op.add_column(sa.Column("user_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("sealed_token", sa.String(255), nullable=True))
        batch_op.create_foreign_key(batch_op.f("fk_invite_user_id_user"), "user",
                                    ["user_id"], ["id"])
        batch_op.create_index(batch_op.f("ix_invite_user_id"), ["user_id"])


def downgrade():
    conn = op.get_bind()
    conn.execute(sa.text("DELETE FROM invite WHERE patient_id IS NULL"))
    with op.batch_alter_table("invite") as batch_op:
        batch_op.drop_index(batch_op.f("ix_invite_user_id"))
        batch_op.drop_constraint(batch_op.f("fk_invite_user_id_user"), type_="foreignkey")
        batch_op.drop_column("sealed_token")
        batch_op.drop_column("user_id")
        batch_op.alter_column("patient_id", existing_type=sa.Integer(), nullable=False)
    with op.batch_alter_table("patient") as batch_op:
        batch_op.drop_constraint("clinic_record", type_="unique")
        batch_op.create_unique_constraint("clinician_record", ["clinician_id", "record_number"])
        batch_op.drop_index(batch_op.f("ix_patient_clinic_id"))
        batch_op.drop_constraint(batch_op.f("fk_patient_clinic_id_clinic"), type_="foreignkey")
        batch_op.drop_column("clinic_id")
    conn.execute(sa.text(
        "UPDATE \"user\" SET role = CASE WHEN EXISTS (SELECT 1 FROM membership m WHERE "
        "m.user_id = \"user\".id AND m.roles LIKE '%admin%') THEN 'admin' ELSE 'clinician' END "
        "WHERE role = 'staff'"))
    op.drop_table("membership")
    op.drop_table("clinic")
