"""Join the booking and pre-call check branches into one head.

Revision ID: 0006_merge
Revises: 0004_booking, 0005_check
"""

revision = "0006_merge"
down_revision = ("0004_booking", "0005_check")
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
