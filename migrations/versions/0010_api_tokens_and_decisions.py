"""Staff personal access tokens for the API, and the consultant's decision per block.

Revision ID: 0010
Revises: 0009
"""
import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

TZ = sa.DateTime(timezone=True)


def upgrade():
    op.create_table(
        "access_token",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("name", sa.String(80), nullable=False),
        sa.Column("scopes", sa.String(40), nullable=False),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("expires_at", TZ, nullable=False),
        sa.Column("last_used_at", TZ, nullable=True),
        sa.Column("revoked_at", TZ, nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["user.id"], name=op.f("fk_access_token_user_id_user")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_access_token")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_access_token_token_hash")),
    )
    with op.batch_alter_table("access_token") as batch_op:
        batch_op.create_index(batch_op.f("ix_access_token_user_id"), ["user_id"])
    op.create_table(
        "block_decision",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("block_id", sa.Integer(), nullable=False),
        sa.Column("agrees", sa.Boolean(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("plan", sa.String(20), nullable=False),
        sa.Column("planned_on", sa.Date(), nullable=True),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("decided_by", sa.Integer(), nullable=False),
        sa.Column("decided_at", TZ, nullable=False),
        sa.ForeignKeyConstraint(["block_id"], ["block.id"],
                                name=op.f("fk_block_decision_block_id_block")),
        sa.ForeignKeyConstraint(["decided_by"], ["user.id"],
                                name=op.f("fk_block_decision_decided_by_user")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_block_decision")),
        sa.UniqueConstraint("block_id", name=op.f("uq_block_decision_block_id")),
    )


def downgrade():
    op.drop_table("block_decision")
    op.drop_table("access_token")
