"""Security: one active booking per participant and per session, one recipient per link.

Revision ID: 0007_security
Revises: 0006_merge

Both are partial unique indexes, so the database refuses a second one whatever the code
races. Bookings that already break them (made before this revision) are settled first:
the later duplicates are cancelled (and lose their phone number). Participants made
before this revision are not marked ``via_link``; the next open of the link without a
cookie offers "continue on this device" only once a marked one exists.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007_security"
down_revision = "0006_merge"
branch_labels = None
depends_on = None

_BOOKED = "status = 'booked'"


def _settle_duplicate_bookings(column: str) -> None:
    op.execute(
        sa.text(
            f"""
            UPDATE bookings SET status = 'cancelled', phone = NULL
            WHERE status = 'booked' AND {column} IS NOT NULL AND EXISTS (
                SELECT 1 FROM bookings AS earlier
                WHERE earlier.{column} = bookings.{column} AND earlier.status = 'booked'
                  AND (earlier.created_at < bookings.created_at
                       OR (earlier.created_at = bookings.created_at AND earlier.id < bookings.id))
            )
            """
        )
    )


def upgrade() -> None:
    _settle_duplicate_bookings("participant_id")
    _settle_duplicate_bookings("session_id")
    for column in ("participant_id", "session_id"):
        where = sa.text(f"{_BOOKED} AND {column} IS NOT NULL")
        op.create_index(
            f"uq_bookings_active_{column.removesuffix('_id')}",
            "bookings",
            [column],
            unique=True,
            sqlite_where=where,
            postgresql_where=where,
        )
    # The participant an invitation link made: one per session (a second device moves it).
    op.add_column("participants", sa.Column("via_link", sa.Boolean, nullable=False, server_default=sa.false()))
    op.add_column("participants", sa.Column("moved_at", sa.DateTime(timezone=True), nullable=True))
    op.create_index(
        "uq_participants_link",
        "participants",
        ["session_id"],
        unique=True,
        sqlite_where=sa.text("via_link"),
        postgresql_where=sa.text("via_link"),
    )


def downgrade() -> None:
    op.drop_index("uq_participants_link", table_name="participants")
    with op.batch_alter_table("participants") as batch:
        batch.drop_column("moved_at")
        batch.drop_column("via_link")
    op.drop_index("uq_bookings_active_session", table_name="bookings")
    op.drop_index("uq_bookings_active_participant", table_name="bookings")
