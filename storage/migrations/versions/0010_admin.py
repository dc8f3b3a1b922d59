"""Administration: office phone and hours, inactive accounts, one-time password links,
short invitation codes and invitation delivery states.

Revision ID: 0010_admin
Revises: 0006_merge
"""

import sqlalchemy as sa
from alembic import op

revision = "0010_admin"
down_revision = "0006_merge"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("offices") as batch:
        batch.add_column(sa.Column("phone", sa.String(50), nullable=False, server_default=""))
        batch.add_column(sa.Column("opening_hours", sa.Text(), nullable=False, server_default=""))
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("active", sa.Boolean(), nullable=False, server_default=sa.true()))
    op.create_table(
        "password_links",
        sa.Column("token_hash", sa.String(64), primary_key=True),
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False, index=True),
    )
    op.create_table(
        "invitation_codes",
        sa.Column("code_hash", sa.String(64), primary_key=True),
        sa.Column(
            "session_id",
            sa.String(36),
            sa.ForeignKey("counsel_sessions.id", ondelete="CASCADE"),
            nullable=False,
            index=True,
        ),
        sa.Column("jti", sa.String(36), nullable=False),
        sa.Column("not_before", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "invitation_deliveries",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column(
            "session_id",
            sa.String(36),
            sa.ForeignKey("counsel_sessions.id", ondelete="CASCADE"),
            nullable=False,
            index=True,
        ),
        sa.Column("channel", sa.String(8), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("invitation_deliveries")
    op.drop_table("invitation_codes")
    op.drop_table("password_links")
    with op.batch_alter_table("users") as batch:
        batch.drop_column("active")
    with op.batch_alter_table("offices") as batch:
        batch.drop_column("opening_hours")
        batch.drop_column("phone")
