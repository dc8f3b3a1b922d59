"""Feedback ballot box: deleted tokens, answers moved in shuffled batches, offer counters.

- ``feedback_tokens`` loses ``used``: a spent token is deleted, never flagged; expiries are
  whole days (no longer derived from a session's end).
- ``feedback_ballots``: the durable ballot box where answers and caseworker ratings wait
  until the mover carries them into the results in shuffled batches.
- ``feedback_responses``: questionnaire version 2 (``satisfaction`` may be "keine Angabe",
  the follow-ups ``why_not_video`` and ``why_not_recommend``).
- ``feedback_booking_offers``: marks that a phone or in-person appointment got its link.
- ``feedback_offer_counts``: offers per group x channel x office x month (never per person).

Revision ID: 0008_ballot
Revises: 0006_merge
"""

from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0008_ballot"
down_revision = "0006_merge"
branch_labels = None
depends_on = None


def _context() -> list[sa.Column[Any]]:
    return [
        sa.Column("benefit_group", sa.String(8), nullable=False),
        sa.Column("office_id", sa.Integer, nullable=True),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("month", sa.String(7), nullable=False),
    ]


_RESPONSE_COLUMNS = (
    "id, benefit_group, office_id, channel, month, questionnaire_version, recommend, next_by_video, "
    "satisfaction, technical_quality, device, setup_help, comment"
)


def upgrade() -> None:
    # Tokens: rebuilt without ``used``; only unused tokens survive (with their old expiry,
    # at most 14 days away); new ones expire at midnight.
    op.create_table(
        "feedback_tokens_new",
        sa.Column("token_hash", sa.String(64), primary_key=True),
        *_context(),
        sa.Column("valid_until", sa.DateTime(timezone=True), nullable=False),
        sqlite_with_rowid=False,
    )
    op.execute(
        "INSERT INTO feedback_tokens_new (token_hash, benefit_group, office_id, channel, month, valid_until) "
        "SELECT token_hash, benefit_group, office_id, channel, month, valid_until FROM feedback_tokens "
        "WHERE used = false"
    )
    op.drop_table("feedback_tokens")
    op.rename_table("feedback_tokens_new", "feedback_tokens")
    op.create_index("ix_feedback_tokens_valid_until", "feedback_tokens", ["valid_until"])

    # Responses: version 2 answers (keine Angabe on the scales, the follow-up question).
    op.create_table(
        "feedback_responses_new",
        sa.Column("id", sa.String(36), primary_key=True, autoincrement=False),
        *_context(),
        sa.Column("questionnaire_version", sa.String(8), nullable=False),
        sa.Column("recommend", sa.String(16), nullable=False),
        sa.Column("next_by_video", sa.String(16), nullable=False),
        sa.Column("satisfaction", sa.Integer, nullable=True),
        sa.Column("technical_quality", sa.Integer, nullable=True),
        sa.Column("device", sa.String(16), nullable=False),
        sa.Column("setup_help", sa.String(16), nullable=False),
        sa.Column("comment", sa.Text, nullable=True),
        sa.Column("why_not_video", sa.String(24), nullable=True),
        sa.Column("why_not_recommend", sa.String(24), nullable=True),
        sqlite_with_rowid=False,
    )
    op.execute(
        f"INSERT INTO feedback_responses_new ({_RESPONSE_COLUMNS}) SELECT {_RESPONSE_COLUMNS} FROM feedback_responses"
    )
    op.drop_table("feedback_responses")
    op.rename_table("feedback_responses_new", "feedback_responses")
    op.create_index("ix_feedback_responses_benefit_group", "feedback_responses", ["benefit_group"])

    op.create_table(
        "feedback_ballots",
        sa.Column("id", sa.String(36), primary_key=True, autoincrement=False),
        sa.Column("kind", sa.String(8), nullable=False),
        sa.Column("payload", sa.Text, nullable=False),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "feedback_booking_offers",
        sa.Column(
            "booking_id",
            sa.String(36),
            sa.ForeignKey("bookings.id", ondelete="CASCADE"),
            primary_key=True,
        ),
    )
    op.create_table(
        "feedback_offer_counts",
        sa.Column("benefit_group", sa.String(8), primary_key=True),
        sa.Column("channel", sa.String(16), primary_key=True),
        # 0 stands for "no office" (a primary key column cannot be NULL).
        sa.Column("office_key", sa.Integer, primary_key=True),
        sa.Column("month", sa.String(7), primary_key=True),
        sa.Column("offers", sa.Integer, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("feedback_offer_counts")
    op.drop_table("feedback_booking_offers")
    op.drop_table("feedback_ballots")
    op.drop_column("feedback_responses", "why_not_recommend")
    op.drop_column("feedback_responses", "why_not_video")
    op.add_column("feedback_tokens", sa.Column("used", sa.Boolean, nullable=False, server_default=sa.false()))
