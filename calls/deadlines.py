"""The deadline policy (DESIGN §3): what a published deadline means, decided once for every stage.

A :class:`~calls.schema.Deadline` keeps what the publisher wrote — a calendar day,
the time of day when one was given, the publisher's zone — apart from the instant
derived from it (``at``), which only sorts and counts down. The rules:

- a **date-only** deadline is a date: it is shown as that day in every output and
  zone, never moved across zones; its instant is the end of that day in the
  publisher's zone (:data:`END_OF_DAY`), or the source's documented convention
  (the EU portal: 17:00 Europe/Brussels);
- a **timed** deadline is a wall-clock time in the publisher's zone; readers
  elsewhere see their local time beside it (:mod:`digest.deadlines` says it);
- **days left** are calendar days in the publisher's zone from the reader's
  "now" to the deadline's day: 0 on the day itself, negative once it passed.

Sites, emails, feeds, ICS, CSV, JSON and the classifier all go through here; how a
deadline is worded in a UI language is :mod:`digest.deadlines`.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime, time, tzinfo

from calls.schema import Deadline
from calls.zones import zone, zone_name

END_OF_DAY = time(23, 59, 59)
"""When a date-only deadline ends, in the publisher's zone, unless the source documents another time."""

def on_day(day: date, tz: tzinfo | str, raw: str, label: str | None = None, *, ends: time = END_OF_DAY) -> Deadline:
    """A date-only deadline: ``day`` as published, ending at ``ends`` (the source's convention) in ``tz``."""
    where = zone(tz) if isinstance(tz, str) else tz
    return Deadline(at=datetime.combine(day, ends, where), raw=raw, label=label, day=day, zone=zone_name(where))


def at_time(moment: datetime, tz: tzinfo | str, raw: str, label: str | None = None) -> Deadline:
    """A timed deadline: ``moment`` (aware) as the publisher's wall clock in ``tz``."""
    if moment.utcoffset() is None:
        raise ValueError(f"a deadline instant must be timezone-aware, got naive {moment.isoformat()}")
    where = zone(tz) if isinstance(tz, str) else tz
    local = moment.astimezone(where)
    return Deadline(at=local, raw=raw, label=label, day=local.date(), clock=local.time(), zone=zone_name(where))


def published(day: date | None, clock: time | None, tz: tzinfo, raw: str, label: str | None = None) -> Deadline:
    """What a text said: a day with or without a time in ``tz``; no day (a yearless date) → unparsed."""
    if day is None:
        return Deadline(raw=raw, label=label)
    if clock is None:
        return on_day(day, tz, raw, label)
    return at_time(datetime.combine(day, clock, tz), tz, raw, label)


def publisher_zone(deadline: Deadline) -> tzinfo | None:
    """The publisher's zone; for a deadline stored before zones were kept, its instant's own offset."""
    if deadline.zone:
        return zone(deadline.zone)
    return deadline.at.tzinfo if deadline.at else None


def is_date_only(deadline: Deadline) -> bool:
    """Published as a day without a time of day."""
    return deadline.day is not None and deadline.clock is None


def day_of(deadline: Deadline) -> date | None:
    """The deadline's calendar day as published (None when unparsed)."""
    if deadline.day is not None:
        return deadline.day
    return deadline.at.date() if deadline.at else None


def local(deadline: Deadline) -> datetime | None:
    """The instant on the publisher's wall clock."""
    where = publisher_zone(deadline)
    return deadline.at.astimezone(where) if deadline.at and where else None


def publisher_today(deadline: Deadline | None, now: datetime) -> date | None:
    """The day ``now`` falls on in the deadline publisher's calendar (what days left count from); None without one."""
    where = publisher_zone(deadline) if deadline is not None else None
    return now.astimezone(where).date() if where else None


def days_left(deadline: Deadline, now: datetime) -> int | None:
    """Calendar days from ``now`` to the deadline's day, in the publisher's zone; 0 = the day itself."""
    day, today = day_of(deadline), publisher_today(deadline, now)
    if day is None or today is None:
        return None
    return (day - today).days


def upcoming(deadlines: Iterable[Deadline], now: datetime) -> Deadline | None:
    """The earliest parsed deadline not yet past at ``now``."""
    ahead = [d for d in deadlines if d.at is not None and d.at >= now]
    return min(ahead, key=lambda d: d.at) if ahead else None  # type: ignore[arg-type,return-value]


def earliest(deadlines: Iterable[Deadline]) -> Deadline | None:
    parsed = [d for d in deadlines if d.at is not None]
    return min(parsed, key=lambda d: d.at) if parsed else None  # type: ignore[arg-type,return-value]


def latest(deadlines: Iterable[Deadline]) -> Deadline | None:
    parsed = [d for d in deadlines if d.at is not None]
    return max(parsed, key=lambda d: d.at) if parsed else None  # type: ignore[arg-type,return-value]


def iso(deadline: Deadline) -> str | None:
    """The published form for machines: ``2028-04-30`` (a date) or ``2028-04-30T17:00:00+02:00`` (publisher's clock)."""
    if is_date_only(deadline):
        return deadline.day.isoformat()  # type: ignore[union-attr]
    moment = local(deadline)
    return moment.isoformat() if moment else None


def from_iso(text: str) -> date | datetime | None:
    """Read back what :func:`iso` (or an older store's instant) wrote; None for anything else."""
    try:
        return date.fromisoformat(text) if len(text) == 10 else datetime.fromisoformat(text)
    except ValueError:
        return None


def calendar_start(deadline: Deadline) -> date | datetime | None:
    """An iCalendar DTSTART: the day itself for a date-only deadline (``VALUE=DATE``), else the instant in UTC."""
    if is_date_only(deadline):
        return deadline.day
    return deadline.at.astimezone(UTC) if deadline.at else None
