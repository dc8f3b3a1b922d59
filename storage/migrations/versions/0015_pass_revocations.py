"""What changed behind the signalling passes, for every node to read (storage.revocations).

Revision ID: 0015_pass_revocations
Revises: 0014_merge
"""

import sqlalchemy as sa
from alembic import op

revision = "0015_pass_revocations"
down_revision = "0014_merge"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "pass_revocations",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("at", sa.Float, nullable=False),
        sa.Column("keys", sa.Text, nullable=False),
    )
    op.create_index("ix_pass_revocations_at", "pass_revocations", ["at"])


def downgrade() -> None:
    op.drop_index("ix_pass_revocations_at", table_name="pass_revocations")
    op.drop_table("pass_revocations")
