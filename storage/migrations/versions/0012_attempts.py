"""The attempt log: pseudonymous connection events per session participant.

Revision ID: 0012_attempts
Revises: 0006_merge
"""

import sqlalchemy as sa
from alembic import op

revision = "0012_attempts"
down_revision = "0006_merge"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "attempt_events",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column(
            "session_id",
            sa.String(36),
            sa.ForeignKey("counsel_sessions.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column(
            "participant_id",
            sa.String(36),
            sa.ForeignKey("participants.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("detail", sa.String(32), nullable=False),
    )
    op.create_index("ix_attempt_events_session_id", "attempt_events", ["session_id"])
    op.create_index("ix_attempt_events_participant_id", "attempt_events", ["participant_id"])
    op.create_index("ix_attempt_events_at", "attempt_events", ["at"])


def downgrade() -> None:
    op.drop_index("ix_attempt_events_at", table_name="attempt_events")
    op.drop_index("ix_attempt_events_participant_id", table_name="attempt_events")
    op.drop_index("ix_attempt_events_session_id", table_name="attempt_events")
    op.drop_table("attempt_events")
