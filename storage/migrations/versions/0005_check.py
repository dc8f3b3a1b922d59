"""Pre-call check verdicts: device class, verdict, group and month only.

Revision ID: 0005_check
Revises: 0002_policy, 0003_feedback
"""

import sqlalchemy as sa
from alembic import op

revision = "0005_check"
down_revision = ("0002_policy", "0003_feedback")
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "check_verdicts",
        sa.Column("id", sa.String(36), primary_key=True, autoincrement=False),
        sa.Column("device_class", sa.String(16), nullable=False),
        sa.Column("verdict", sa.String(16), nullable=False),
        sa.Column("benefit_group", sa.String(8), nullable=True),
        sa.Column("month", sa.String(7), nullable=False),
        sqlite_with_rowid=False,
    )
    op.create_index("ix_check_verdicts_benefit_group", "check_verdicts", ["benefit_group"])


def downgrade() -> None:
    op.drop_index("ix_check_verdicts_benefit_group", table_name="check_verdicts")
    op.drop_table("check_verdicts")
