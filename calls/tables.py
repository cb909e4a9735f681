"""The store's tables (DESIGN §2): one :data:`metadata` for Alembic, timestamps as :class:`UTCDateTime`.

:mod:`calls.store` reads and writes them and re-exports every name here.
"""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa

metadata = sa.MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_name)s",
        "pk": "pk_%(table_name)s",
    }
)


class UTCDateTime(sa.TypeDecorator):
    """Timezone-aware datetimes stored as UTC on every backend (SQLite has no time zones)."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value.isoformat()} cannot be stored")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


calls_table = sa.Table(
    "calls",
    metadata,
    sa.Column("uid", sa.String(512), primary_key=True),
    sa.Column("source", sa.String(64), nullable=False, index=True),
    sa.Column("native_id", sa.String(512), nullable=False),
    sa.Column("call_id", sa.String(255), index=True),
    sa.Column("title", sa.Text, nullable=False),
    sa.Column("status", sa.String(16), index=True),
    sa.Column("next_deadline", UTCDateTime, index=True),
    sa.Column("content_hash", sa.String(64), nullable=False),
    sa.Column("first_seen", UTCDateTime, nullable=False),
    sa.Column("last_seen", UTCDateTime, nullable=False),
    sa.Column("document", sa.Text, nullable=False),
    sa.Column("gone_since", UTCDateTime),
)

events_table = sa.Table(
    "events",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("uid", sa.String(512), nullable=False, index=True),
    sa.Column("kind", sa.String(32), nullable=False),
    sa.Column("at", UTCDateTime, nullable=False, index=True),
    sa.Column("old", sa.Text),
    sa.Column("new", sa.Text),
)

merged_table = sa.Table(
    "merged_calls",
    metadata,
    sa.Column("uid", sa.String(512), primary_key=True),
    sa.Column("members", sa.Text, nullable=False),
    sa.Column("status", sa.String(16), index=True),
    sa.Column("next_deadline", UTCDateTime, index=True),
    sa.Column("document", sa.Text, nullable=False),
    sa.Column("built_at", UTCDateTime, nullable=False),
)

classifications_table = sa.Table(
    "classifications",
    metadata,
    sa.Column("uid", sa.String(512), primary_key=True),
    sa.Column("region", sa.String(64), primary_key=True, index=True),
    sa.Column("score", sa.Integer, nullable=False),
    sa.Column("tier", sa.String(16), nullable=False),
    sa.Column("eligibility", sa.String(16), nullable=False),
    sa.Column("reasons", sa.Text, nullable=False),
    sa.Column("themes", sa.Text, nullable=False),
    sa.Column("computed_at", UTCDateTime, nullable=False),
)

runs_table = sa.Table(
    "runs",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("source", sa.String(64), nullable=False, index=True),
    sa.Column("started_at", UTCDateTime, nullable=False),
    sa.Column("finished_at", UTCDateTime),
    sa.Column("items", sa.Integer, nullable=False, default=0),
    sa.Column("invalid", sa.Integer, nullable=False, default=0),
    sa.Column("errors", sa.Integer, nullable=False, default=0),
    sa.Column("outcome", sa.String(16), nullable=False),
    sa.Column("reason", sa.Text),
    sa.Column("stats", sa.Text),
)


sends_table = sa.Table(
    "sends",
    metadata,
    sa.Column("digest", sa.String(128), primary_key=True),
    sa.Column("recipient", sa.String(320), primary_key=True),
    sa.Column("state", sa.String(16), nullable=False, index=True),
    sa.Column("attempts", sa.Integer, nullable=False, default=0),
    sa.Column("message_id", sa.String(255)),
    sa.Column("error", sa.Text),
    sa.Column("updated_at", UTCDateTime, nullable=False),
    sa.Column("sent_at", UTCDateTime),
)
"""The send ledger: one row per (digest, recipient), written before and after each SMTP transaction."""

approvals_table = sa.Table(
    "approvals",
    metadata,
    sa.Column("week", sa.String(10), primary_key=True),
    sa.Column("region", sa.String(64), primary_key=True),
    sa.Column("approved_by", sa.String(255), nullable=False),
    sa.Column("approved_at", UTCDateTime, nullable=False),
    sa.Column("note", sa.Text),
)
"""An editor's approval of a week's digest (ISO week ``2026-W48``) for a region, or ``*`` for all."""

editorial_table = sa.Table(
    "editorial",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("action", sa.String(16), nullable=False),
    sa.Column("target", sa.String(512), nullable=False, index=True),
    sa.Column("region", sa.String(64), nullable=False),
    sa.Column("lang", sa.String(16)),
    sa.Column("text", sa.Text),
    sa.Column("created_by", sa.String(255)),
    sa.Column("created_at", UTCDateTime, nullable=False),
)
"""Editor controls that survive re-crawls: exclude / pin / note a call (by uid or official id) for a region or ``*``."""

digests_table = sa.Table(
    "digests",
    metadata,
    sa.Column("week", sa.String(10), primary_key=True),
    sa.Column("region", sa.String(64), primary_key=True),
    sa.Column("built_at", UTCDateTime, nullable=False),
    sa.Column("document", sa.Text, nullable=False),
)
"""The archive: what each week's digest selected for each region, as JSON, kept as it was published."""
