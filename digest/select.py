"""What one region's readers see this week: the digest selection (DESIGN §7), no rendering.

:func:`select_digest` reads the store's digest view (merged calls, their
classification for the region, the change events of their member calls, the
newest run of every source before the week ends) and returns a :class:`Digest` of four sections:

- **new**: first seen during the week (the merged call's ``first_seen``, so an
  aggregator reposting an old call does not make it new again);
- **closing soon**: the next deadline still ahead and within ``closing_days``;
- **updated**: a member's deadline, budget or status moved this week, or it came back;
- **top**: the best scores among the rest.

Only open and forthcoming calls whose tier for the region is top or relevant
are shown, never a call whose every deadline has passed. Each call appears in
one section only, the first it qualifies for in the order above; its
``changes`` travel with it, so any section can flag "deadline extended". Weeks
are ISO weeks in the region's time zone (Monday 00:00 to the next Monday 00:00).
Editor control (DESIGN §8) plugs in through ``exclude`` and ``pinned``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, tzinfo
from zoneinfo import ZoneInfo

from calls import deadlines
from calls.regions import RegionProfile
from calls.schema import Call, Deadline
from calls.store import Outcome, Run, Store, StoredClassification, StoredEvent
from digest.audience import sees

UPDATE_KINDS = ("deadline-extended", "deadline-brought-forward", "budget-changed", "status-changed", "reappeared")
"""Event kinds that put a call in "updated" (``new`` and ``vanished`` do not)."""
FAILED_OUTCOMES = (Outcome.FAILED, Outcome.DEGRADED, Outcome.INTERRUPTED)


class WeekError(ValueError):
    """An ISO week string that is not ``YYYY-Www``."""


@dataclass(frozen=True)
class DigestEntry:
    """One call as the digest lists it, with its classification for the region."""

    call: Call
    classification: StoredClassification
    changes: tuple[StoredEvent, ...] = ()
    """This week's events of the call's member uids, oldest first."""
    as_of: datetime | None = None
    """The selection instant; deadlines before it are past. None: the call's earliest deadline counts."""

    @property
    def uid(self) -> str:
        return self.call.uid

    @property
    def deadline(self) -> Deadline | None:
        """The next deadline not past at :attr:`as_of` (None when none is parsed or all have passed)."""
        return (
            deadlines.upcoming(self.call.deadlines, self.as_of) if self.as_of
            else deadlines.earliest(self.call.deadlines)
        )

    def days_left(self, now: datetime) -> int | None:
        """Calendar days from ``now`` to the next deadline (:func:`calls.deadlines.days_left`); 0 = its day."""
        deadline = deadlines.upcoming(self.call.deadlines, now)
        return deadlines.days_left(deadline, now) if deadline else None

    @property
    def last_change(self) -> datetime | None:
        """Time of the newest change that makes the call "updated" this week."""
        return max((e.at for e in self.changes if e.kind in UPDATE_KINDS), default=None)


@dataclass(frozen=True)
class Digest:
    """One region's digest for one ISO week."""

    region: RegionProfile
    week: str
    """ISO week, e.g. ``2026-W48``."""
    period_start: datetime
    """Monday 00:00 of the week in the region's zone."""
    period_end: datetime
    """The next Monday 00:00 in the region's zone (exclusive)."""
    now: datetime
    new: list[DigestEntry] = field(default_factory=list)
    closing_soon: list[DigestEntry] = field(default_factory=list)
    updated: list[DigestEntry] = field(default_factory=list)
    top: list[DigestEntry] = field(default_factory=list)
    failed_sources: list[tuple[str, str]] = field(default_factory=list)
    """(source slug, reason) of every source whose last run failed or was degraded."""
    total_matching: int = 0
    """Every call shown for the region, listed here or not (the "see all N calls" link)."""

    @property
    def sections(self) -> dict[str, list[DigestEntry]]:
        return {"new": self.new, "closing_soon": self.closing_soon, "updated": self.updated, "top": self.top}

    @property
    def is_empty(self) -> bool:
        return not any(self.sections.values())


def iso_week(moment: datetime, tz: tzinfo | str) -> str:
    """The ISO week (``2026-W48``) that ``moment`` falls in, in zone ``tz``."""
    year, week, _ = _aware(moment).astimezone(_zone(tz)).isocalendar()
    return f"{year}-W{week:02d}"


def week_bounds(week: str, tz: tzinfo | str) -> tuple[datetime, datetime]:
    """Monday 00:00 and the next Monday 00:00 of ISO ``week`` in zone ``tz`` (DST-safe)."""
    try:
        year, number = week.split("-W")
        monday = date.fromisocalendar(int(year), int(number), 1)
    except ValueError as error:
        raise WeekError(f"not an ISO week (YYYY-Www): {week!r}") from error
    zone = _zone(tz)
    return (datetime.combine(monday, time(0), zone), datetime.combine(monday + timedelta(days=7), time(0), zone))


def select_digest(
    store: Store,
    region: RegionProfile,
    now: datetime,
    *,
    week: str | None = None,
    cap: int = 10,
    closing_days: int = 30,
    exclude: Iterable[str] = (),
    pinned: Sequence[str] = (),
) -> Digest:
    """Select ``region``'s digest for ``week`` (default: the week of ``now`` in the region's zone).

    ``exclude`` drops calls by merged or member uid; ``pinned`` puts calls (merged
    uids, in the given order) first in ``top`` even when their tier is low, and
    out of every other section. Each section holds at most ``cap`` entries
    (``top`` more only when more are pinned).
    """
    now = _aware(now)
    week = week or iso_week(now, region.zone)
    start, end = week_bounds(week, region.zone)
    excluded, pins = set(exclude), list(dict.fromkeys(pinned))
    verdicts = {uid: next(iter(found)) for uid, found in store.classifications(region.id).items() if found}
    changes = _changes_by_uid(store.events(since=start), end)

    entries: dict[str, DigestEntry] = {}
    for call, members in store.iter_merged():
        verdict = verdicts.get(call.uid)
        if verdict is None or excluded & {call.uid, *members} or not _shown(call, verdict, now, end, call.uid in pins):
            continue
        events = tuple(sorted((e for m in members for e in changes.get(m, ())), key=lambda e: (e.at, e.id)))
        entries[call.uid] = DigestEntry(call, verdict, events, as_of=now)

    pool = {uid: entry for uid, entry in entries.items() if uid not in pins}
    new = _take(pool, [e for e in pool.values() if _is_new(e, start, end)], _by_score, cap)
    horizon = now + timedelta(days=closing_days)
    closing = _take(pool, [e for e in pool.values() if e.deadline and e.deadline.at <= horizon],
                    lambda e: (e.deadline.at, e.uid), cap)
    updated = _take(pool, [e for e in pool.values() if e.last_change],
                    lambda e: (-e.last_change.timestamp(), e.uid), cap)
    top = [entries[uid] for uid in pins if uid in entries]
    top += _take(pool, list(pool.values()), _by_score, max(cap - len(top), 0))
    return Digest(
        region=region, week=week, period_start=start, period_end=end, now=now, new=new, closing_soon=closing,
        updated=updated, top=top, failed_sources=failed_sources(store, min(end, now)), total_matching=len(entries),
    )


def failed_sources(store: Store, at: datetime) -> list[tuple[str, str]]:
    """(slug, reason) of every source whose newest run started before ``at`` failed or was degraded."""
    latest: dict[str, Run] = {}
    for run in store.runs():  # newest first
        if run.started_at < at:
            latest.setdefault(run.source, run)
    return sorted(
        (slug, run.reason or run.outcome.value) for slug, run in latest.items() if run.outcome in FAILED_OUTCOMES
    )


def _shown(call: Call, verdict: StoredClassification, now: datetime, end: datetime, pinned: bool) -> bool:
    if call.first_seen and call.first_seen >= end:
        return False  # not yet known in the week asked for
    return sees(call, verdict, now, pinned=pinned)


def _is_new(entry: DigestEntry, start: datetime, end: datetime) -> bool:
    first_seen = entry.call.first_seen
    if first_seen is not None:
        return start <= first_seen < end
    return any(e.kind == "new" for e in entry.changes)


def _changes_by_uid(events: Iterable[StoredEvent], end: datetime) -> dict[str, list[StoredEvent]]:
    out: dict[str, list[StoredEvent]] = {}
    for event in events:
        if event.at < end:
            out.setdefault(event.uid, []).append(event)
    return out


def _by_score(entry: DigestEntry) -> tuple:
    return (-entry.classification.score, entry.uid)


def _take(pool: dict[str, DigestEntry], candidates: list[DigestEntry], key, cap: int) -> list[DigestEntry]:
    """The first ``cap`` candidates by ``key``, removed from ``pool`` so no call is listed twice."""
    chosen = sorted(candidates, key=key)[:cap]
    for entry in chosen:
        del pool[entry.uid]
    return chosen


def _zone(tz: tzinfo | str) -> tzinfo:
    return ZoneInfo(tz) if isinstance(tz, str) else tz


def _aware(moment: datetime) -> datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"a timezone-aware datetime is needed, got naive {moment.isoformat()}")
    return moment
