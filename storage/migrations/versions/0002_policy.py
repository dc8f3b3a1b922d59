"""Retention: consent records outlive their session; indexes for the purge.

Consent records have their own retention period (3 years) and are proof on their own
(pseudonymous ids, time, text hash), so the cascade from participants is dropped: the
purge deletes a session and its participants after 90 days, and the consent records
when their own period ends.

Revision ID: 0002_policy
Revises: 0001
"""

from __future__ import annotations

from alembic import op

revision = "0002_policy"
down_revision = "0001"
branch_labels = None
depends_on = None

# SQLite's reflected foreign key has no name; batch mode names it with this convention.
_NAMING = {"fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s"}


def _fk_name() -> str:
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        return "fk_consent_records_participant_id_participants"
    return "consent_records_participant_id_fkey"  # PostgreSQL's default name


def upgrade() -> None:
    with op.batch_alter_table("consent_records", naming_convention=_NAMING) as batch:
        batch.drop_constraint(_fk_name(), type_="foreignkey")
    op.create_index("ix_consent_records_given_at", "consent_records", ["given_at"])
    op.create_index("ix_counsel_sessions_ended_at", "counsel_sessions", ["ended_at"])


def downgrade() -> None:
    op.drop_index("ix_counsel_sessions_ended_at", "counsel_sessions")
    op.drop_index("ix_consent_records_given_at", "consent_records")
    with op.batch_alter_table("consent_records", naming_convention=_NAMING) as batch:
        batch.create_foreign_key(_fk_name(), "participants", ["participant_id"], ["id"], ondelete="CASCADE")
