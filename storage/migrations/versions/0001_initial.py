"""Initial schema: offices, users, login sessions, sessions, participants, consent, audit.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def _ts(name: str, nullable: bool = False) -> sa.Column[object]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "offices",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(200), nullable=False, unique=True),
        sa.Column("address", sa.String(500), nullable=False, server_default=""),
    )
    op.create_table(
        "users",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("username", sa.String(100), nullable=False, unique=True),
        sa.Column("display_name", sa.String(200), nullable=False),
        sa.Column("password_hash", sa.String(200), nullable=False),
        sa.Column("role", sa.String(20), nullable=False),
        sa.Column("office_id", sa.Integer, sa.ForeignKey("offices.id"), nullable=True),
        _ts("created_at"),
    )
    op.create_table(
        "login_sessions",
        sa.Column("token_hash", sa.String(64), primary_key=True),
        sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
        sa.Column("csrf_token", sa.String(64), nullable=False),
        _ts("created_at"),
        _ts("expires_at"),
    )
    op.create_index("ix_login_sessions_expires_at", "login_sessions", ["expires_at"])
    op.create_table(
        "login_throttle",
        sa.Column("key_hash", sa.String(64), primary_key=True),
        sa.Column("failures", sa.Integer, nullable=False),
        _ts("window_start"),
        _ts("locked_until", nullable=True),
    )
    op.create_table(
        "counsel_sessions",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("caseworker_id", sa.Integer, sa.ForeignKey("users.id"), nullable=False),
        sa.Column("office_id", sa.Integer, sa.ForeignKey("offices.id"), nullable=True),
        sa.Column("benefit_group", sa.String(8), nullable=False),
        sa.Column("language", sa.String(8), nullable=False),
        _ts("scheduled_at", nullable=True),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("outcome", sa.String(24), nullable=True),
        sa.Column("invitation_jti", sa.String(36), nullable=False, unique=True),
        _ts("created_at"),
        _ts("ended_at", nullable=True),
    )
    op.create_index("ix_counsel_sessions_created_at", "counsel_sessions", ["created_at"])
    op.create_index("ix_counsel_sessions_caseworker", "counsel_sessions", ["caseworker_id", "created_at"])
    op.create_table(
        "participants",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column(
            "session_id",
            sa.String(36),
            sa.ForeignKey("counsel_sessions.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("secret_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("admission", sa.String(16), nullable=False),
        _ts("created_at"),
    )
    op.create_index("ix_participants_session_id", "participants", ["session_id"])
    op.create_table(
        "consent_records",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column(
            "participant_id",
            sa.String(36),
            sa.ForeignKey("participants.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("session_id", sa.String(36), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        _ts("given_at"),
        sa.Column("text_version", sa.String(32), nullable=False),
        sa.Column("text_sha256", sa.String(64), nullable=False),
        sa.Column("language", sa.String(8), nullable=False),
        sa.Column("scopes", sa.String(200), nullable=False),
        _ts("withdrawn_at", nullable=True),
    )
    op.create_index("ix_consent_records_participant_id", "consent_records", ["participant_id"])
    op.create_index("ix_consent_records_session_id", "consent_records", ["session_id"])
    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        _ts("at"),
        sa.Column("event", sa.String(40), nullable=False),
        sa.Column("detail", sa.Text, nullable=False, server_default=""),
    )
    op.create_index("ix_audit_log_at", "audit_log", ["at"])


def downgrade() -> None:
    for table in (
        "audit_log",
        "consent_records",
        "participants",
        "counsel_sessions",
        "login_throttle",
        "login_sessions",
        "users",
        "offices",
    ):
        op.drop_table(table)
