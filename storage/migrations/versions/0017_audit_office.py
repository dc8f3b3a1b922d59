"""Audit entries carry the office they concern, so an office's admin reads only its own.

Entries written before stay without an office: only an admin without an office (who
manages every office) sees them.

Revision ID: 0017_audit_office
Revises: 0016_drop_pass_revocations
"""

import sqlalchemy as sa
from alembic import op

revision = "0017_audit_office"
down_revision = "0016_drop_pass_revocations"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("audit_log") as batch:
        batch.add_column(sa.Column("office_id", sa.Integer(), nullable=True))
    op.create_index("ix_audit_log_office_id", "audit_log", ["office_id", "id"])


def downgrade() -> None:
    op.drop_index("ix_audit_log_office_id", table_name="audit_log")
    with op.batch_alter_table("audit_log") as batch:
        batch.drop_column("office_id")
