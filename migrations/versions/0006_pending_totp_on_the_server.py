"""A new TOTP secret waits on the server-side sign-in while it is set up, not in the cookie.

Revision ID: 0006
Revises: 0005
"""
import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("login_session") as batch_op:
        batch_op.add_column(sa.Column("pending_totp_secret", sa.String(255), nullable=True))


def downgrade():
    with op.batch_alter_table("login_session") as batch_op:
        batch_op.drop_column("pending_totp_secret")
