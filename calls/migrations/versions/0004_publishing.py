"""send ledger, approvals, editor controls and the digest archive

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23
"""
import sqlalchemy as sa
from alembic import op

from calls.store import UTCDateTime

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sends",
        sa.Column("digest", sa.String(128), nullable=False),
        sa.Column("recipient", sa.String(320), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("message_id", sa.String(255)),
        sa.Column("error", sa.Text),
        sa.Column("updated_at", UTCDateTime, nullable=False),
        sa.Column("sent_at", UTCDateTime),
        sa.PrimaryKeyConstraint("digest", "recipient", name="pk_sends"),
    )
    op.create_index("ix_sends_state", "sends", ["state"])
    op.create_table(
        "approvals",
        sa.Column("week", sa.String(10), nullable=False),
        sa.Column("region", sa.String(64), nullable=False),
        sa.Column("approved_by", sa.String(255), nullable=False),
        sa.Column("approved_at", UTCDateTime, nullable=False),
        sa.Column("note", sa.Text),
        sa.PrimaryKeyConstraint("week", "region", name="pk_approvals"),
    )
    op.create_table(
        "editorial",
        sa.Column("id", sa.Integer, autoincrement=True, nullable=False),
        sa.Column("action", sa.String(16), nullable=False),
        sa.Column("target", sa.String(512), nullable=False),
        sa.Column("region", sa.String(64), nullable=False),
        sa.Column("lang", sa.String(16)),
        sa.Column("text", sa.Text),
        sa.Column("created_by", sa.String(255)),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_editorial"),
    )
    op.create_index("ix_editorial_target", "editorial", ["target"])
    op.create_table(
        "digests",
        sa.Column("week", sa.String(10), nullable=False),
        sa.Column("region", sa.String(64), nullable=False),
        sa.Column("built_at", UTCDateTime, nullable=False),
        sa.Column("document", sa.Text, nullable=False),
        sa.PrimaryKeyConstraint("week", "region", name="pk_digests"),
    )


def downgrade() -> None:
    op.drop_table("digests")
    op.drop_table("editorial")
    op.drop_table("approvals")
    op.drop_table("sends")
