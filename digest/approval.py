"""An editor's approval of a week's digest, which ``grantdigest email --send`` requires (docs/email.md).

Approvals live in the store's ``approvals`` table, one row per (ISO week, region); region
``*`` approves every region's digest of that week. Approving again replaces the row (who,
when, note), so the table says who approved last.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import sqlalchemy as sa

from calls.store import Store, approvals_table
from digest.select import week_bounds

ALL_REGIONS = "*"


@dataclass(frozen=True)
class Approval:
    week: str
    region: str
    """A region id, or ``*`` for all."""
    approved_by: str
    approved_at: datetime
    note: str | None


def approve(store: Store, week: str, region: str = ALL_REGIONS, *, by: str, note: str | None = None,
            at: datetime | None = None) -> Approval:
    """Record that ``by`` approved ``week``'s digest of ``region`` (``*``: every region); the row written.

    ``week`` must be an ISO week (``2026-W48``), else :class:`digest.select.WeekError`.
    """
    week_bounds(week, UTC)  # validates the week string
    if not by or not by.strip():
        raise ValueError("an approval needs the approver's name")
    if not region or not region.strip():
        raise ValueError("an approval needs a region id or '*'")
    approval = Approval(week, region.strip(), by.strip(), at or datetime.now(UTC), note or None)
    values = {"approved_by": approval.approved_by, "approved_at": approval.approved_at, "note": approval.note}
    with store.engine.begin() as conn:
        key = (approvals_table.c.week == week) & (approvals_table.c.region == approval.region)
        if conn.execute(sa.update(approvals_table).where(key).values(**values)).rowcount == 0:
            conn.execute(sa.insert(approvals_table).values(week=week, region=approval.region, **values))
    return approval


def is_approved(store: Store, week: str, region: str) -> bool:
    """Whether ``week``'s digest of ``region`` is approved, for itself or through ``*``."""
    query = sa.select(sa.func.count()).select_from(approvals_table).where(
        approvals_table.c.week == week, approvals_table.c.region.in_([region, ALL_REGIONS]))
    with store.engine.connect() as conn:
        return conn.execute(query).scalar_one() > 0


def approvals(store: Store, week: str | None = None) -> list[Approval]:
    """Every approval (of ``week`` only, when given), newest week first, then by region."""
    query = sa.select(approvals_table).order_by(approvals_table.c.week.desc(), approvals_table.c.region)
    if week:
        query = query.where(approvals_table.c.week == week)
    with store.engine.connect() as conn:
        return [Approval(r.week, r.region, r.approved_by, r.approved_at, r.note) for r in conn.execute(query)]
