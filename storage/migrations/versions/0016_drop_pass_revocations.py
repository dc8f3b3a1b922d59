"""The signalling passes are gone: their revocation table with them.

A connect reads its grant in one indexed query (storage/grants.py): the login by its
primary key (``login_sessions.token_hash``), the session and the participant by theirs,
the caseworker participant by ``ix_participants_session_id`` and the consent by
``ix_consent_records_participant_id``; those indexes exist since the first migrations, so none
is added here (tests/test_grants.py checks them).

Revision ID: 0016_drop_pass_revocations
Revises: 0015_pass_revocations
"""

import sqlalchemy as sa
from alembic import op

revision = "0016_drop_pass_revocations"
down_revision = "0015_pass_revocations"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_index("ix_pass_revocations_at", table_name="pass_revocations")
    op.drop_table("pass_revocations")


def downgrade() -> None:
    op.create_table(
        "pass_revocations",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("at", sa.Float(), nullable=False),
        sa.Column("keys", sa.Text(), nullable=False),
    )
    op.create_index("ix_pass_revocations_at", "pass_revocations", ["at"])
