"""Merge the branches of the hardening round: security, ballots, administration, attempt log.

Revision ID: 0014_merge
"""

revision = "0014_merge"
down_revision = ("0007_security", "0008_ballot", "0010_admin", "0012_attempts")
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
