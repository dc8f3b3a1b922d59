"""Booking: published hours, absences, phone / in-person appointments; merges the heads.

Revision ID: 0004_booking
Revises: 0002_policy, 0003_feedback
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004_booking"
down_revision = ("0002_policy", "0003_feedback")
branch_labels = None
depends_on = None

_ACTIVE = sa.text("status <> 'cancelled'")


def upgrade() -> None:
    op.add_column(
        "offices",
        sa.Column("allow_caseworker_choice", sa.Boolean, nullable=False, server_default=sa.true()),
    )
    op.create_table(
        "caseworker_schedules",
        sa.Column("caseworker_id", sa.Integer, sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("slot_minutes", sa.Integer, nullable=False),
        sa.Column("buffer_minutes", sa.Integer, nullable=False),
    )
    op.create_table(
        "availability_hours",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("caseworker_id", sa.Integer, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
        sa.Column("weekday", sa.Integer, nullable=False),
        sa.Column("starts", sa.String(5), nullable=False),
        sa.Column("ends", sa.String(5), nullable=False),
    )
    op.create_index("ix_availability_hours_caseworker_id", "availability_hours", ["caseworker_id"])
    op.create_table(
        "availability_absences",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("caseworker_id", sa.Integer, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=True),
        sa.Column("office_id", sa.Integer, sa.ForeignKey("offices.id", ondelete="CASCADE"), nullable=True),
        sa.Column("first_day", sa.Date, nullable=False),
        sa.Column("last_day", sa.Date, nullable=False),
    )
    op.create_index("ix_availability_absences_last_day", "availability_absences", ["last_day"])
    op.create_table(
        "bookings",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column(
            "session_id", sa.String(36), sa.ForeignKey("counsel_sessions.id", ondelete="SET NULL"), nullable=True
        ),
        sa.Column(
            "participant_id", sa.String(36), sa.ForeignKey("participants.id", ondelete="SET NULL"), nullable=True
        ),
        sa.Column("caseworker_id", sa.Integer, sa.ForeignKey("users.id"), nullable=False),
        sa.Column("office_id", sa.Integer, nullable=True),
        sa.Column("benefit_group", sa.String(8), nullable=True),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("phone", sa.String(20), nullable=True),
        sa.Column("idempotency_key", sa.String(64), nullable=False, unique=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_bookings_session_id", "bookings", ["session_id"])
    op.create_index("ix_bookings_participant_id", "bookings", ["participant_id"])
    op.create_index("ix_bookings_starts_at", "bookings", ["starts_at"])
    # A slot is taken once: enforced by the database for every booking still holding it.
    op.create_index(
        "uq_bookings_active_slot",
        "bookings",
        ["caseworker_id", "starts_at"],
        unique=True,
        sqlite_where=_ACTIVE,
        postgresql_where=_ACTIVE,
    )


def downgrade() -> None:
    for table in ("bookings", "availability_absences", "availability_hours", "caseworker_schedules"):
        op.drop_table(table)
    with op.batch_alter_table("offices") as batch:
        batch.drop_column("allow_caseworker_choice")
