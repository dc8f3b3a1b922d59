"""Feedback: one-time tokens, offer and rating markers, unlinkable responses and ratings.

Revision ID: 0003_feedback
Revises: 0001
"""

from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0003_feedback"
down_revision = "0001"
branch_labels = None
depends_on = None


def _context() -> list[sa.Column[Any]]:
    return [
        sa.Column("benefit_group", sa.String(8), nullable=False),
        sa.Column("office_id", sa.Integer, nullable=True),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("month", sa.String(7), nullable=False),
    ]


def upgrade() -> None:
    op.create_table(
        "feedback_tokens",
        sa.Column("token_hash", sa.String(64), primary_key=True),
        *_context(),
        sa.Column("valid_until", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used", sa.Boolean, nullable=False, server_default=sa.false()),
        sqlite_with_rowid=False,
    )
    op.create_index("ix_feedback_tokens_valid_until", "feedback_tokens", ["valid_until"])
    op.create_table(
        "feedback_offers",
        sa.Column(
            "participant_id",
            sa.String(36),
            sa.ForeignKey("participants.id", ondelete="CASCADE"),
            primary_key=True,
        ),
    )
    op.create_table(
        "feedback_responses",
        sa.Column("id", sa.String(36), primary_key=True, autoincrement=False),
        *_context(),
        sa.Column("questionnaire_version", sa.String(8), nullable=False),
        sa.Column("recommend", sa.String(16), nullable=False),
        sa.Column("next_by_video", sa.String(16), nullable=False),
        sa.Column("satisfaction", sa.Integer, nullable=False),
        sa.Column("technical_quality", sa.Integer, nullable=True),
        sa.Column("device", sa.String(16), nullable=False),
        sa.Column("setup_help", sa.String(16), nullable=False),
        sa.Column("comment", sa.Text, nullable=True),
        # No hidden rowid on SQLite: storage order follows the random id, not arrival.
        sqlite_with_rowid=False,
    )
    op.create_index("ix_feedback_responses_benefit_group", "feedback_responses", ["benefit_group"])
    op.create_table(
        "caseworker_ratings",
        sa.Column("id", sa.String(36), primary_key=True, autoincrement=False),
        *_context(),
        sa.Column("effort", sa.Integer, nullable=False),
        sa.Column("technical_quality", sa.Integer, nullable=False),
        sqlite_with_rowid=False,
    )
    op.create_index("ix_caseworker_ratings_benefit_group", "caseworker_ratings", ["benefit_group"])
    op.create_table(
        "caseworker_rating_markers",
        sa.Column(
            "session_id",
            sa.String(36),
            sa.ForeignKey("counsel_sessions.id", ondelete="CASCADE"),
            primary_key=True,
        ),
    )


def downgrade() -> None:
    for table in (
        "caseworker_rating_markers",
        "caseworker_ratings",
        "feedback_responses",
        "feedback_offers",
        "feedback_tokens",
    ):
        op.drop_table(table)
