"""calls and runs

Revision ID: 0001
Revises:
Create Date: 2026-11-23
"""
import sqlalchemy as sa
from alembic import op

from calls.store import UTCDateTime

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "calls",
        sa.Column("uid", sa.String(512), nullable=False),
        sa.Column("source", sa.String(64), nullable=False),
        sa.Column("native_id", sa.String(512), nullable=False),
        sa.Column("call_id", sa.String(255)),
        sa.Column("title", sa.Text, nullable=False),
        sa.Column("status", sa.String(16)),
        sa.Column("next_deadline", UTCDateTime),
        sa.Column("content_hash", sa.String(64), nullable=False),
        sa.Column("first_seen", UTCDateTime, nullable=False),
        sa.Column("last_seen", UTCDateTime, nullable=False),
        sa.Column("document", sa.Text, nullable=False),
        sa.PrimaryKeyConstraint("uid", name="pk_calls"),
    )
    for column in ("source", "call_id", "status", "next_deadline"):
        op.create_index(f"ix_calls_{column}", "calls", [column])
    op.create_table(
        "runs",
        sa.Column("id", sa.Integer, autoincrement=True, nullable=False),
        sa.Column("source", sa.String(64), nullable=False),
        sa.Column("started_at", UTCDateTime, nullable=False),
        sa.Column("finished_at", UTCDateTime),
        sa.Column("items", sa.Integer, nullable=False),
        sa.Column("invalid", sa.Integer, nullable=False),
        sa.Column("errors", sa.Integer, nullable=False),
        sa.Column("outcome", sa.String(16), nullable=False),
        sa.Column("reason", sa.Text),
        sa.Column("stats", sa.Text),
        sa.PrimaryKeyConstraint("id", name="pk_runs"),
    )
    op.create_index("ix_runs_source", "runs", ["source"])


def downgrade() -> None:
    op.drop_table("runs")
    op.drop_table("calls")
