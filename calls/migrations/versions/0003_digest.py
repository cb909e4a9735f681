"""merged calls and their classification per region

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23
"""
import sqlalchemy as sa
from alembic import op

from calls.store import UTCDateTime

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "merged_calls",
        sa.Column("uid", sa.String(512), nullable=False),
        sa.Column("members", sa.Text, nullable=False),
        sa.Column("status", sa.String(16)),
        sa.Column("next_deadline", UTCDateTime),
        sa.Column("document", sa.Text, nullable=False),
        sa.Column("built_at", UTCDateTime, nullable=False),
        sa.PrimaryKeyConstraint("uid", name="pk_merged_calls"),
    )
    op.create_index("ix_merged_calls_status", "merged_calls", ["status"])
    op.create_index("ix_merged_calls_next_deadline", "merged_calls", ["next_deadline"])
    op.create_table(
        "classifications",
        sa.Column("uid", sa.String(512), nullable=False),
        sa.Column("region", sa.String(64), nullable=False),
        sa.Column("score", sa.Integer, nullable=False),
        sa.Column("tier", sa.String(16), nullable=False),
        sa.Column("eligibility", sa.String(16), nullable=False),
        sa.Column("reasons", sa.Text, nullable=False),
        sa.Column("themes", sa.Text, nullable=False),
        sa.Column("computed_at", UTCDateTime, nullable=False),
        sa.PrimaryKeyConstraint("uid", "region", name="pk_classifications"),
    )
    op.create_index("ix_classifications_region", "classifications", ["region"])


def downgrade() -> None:
    op.drop_table("classifications")
    op.drop_table("merged_calls")
