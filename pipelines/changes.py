"""Change tracking: typed events from comparing a call with its previous normalised version.

Only normalised fields are compared (deadlines by their instants, reported as published; budget as Decimal,
status), so re-crawling an unchanged page — or one whose markup, wording or
bookkeeping changed without changing those fields — yields no event.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from calls import deadlines
from calls.schema import Call


class EventKind(StrEnum):
    NEW = "new"
    DEADLINE_EXTENDED = "deadline-extended"
    DEADLINE_BROUGHT_FORWARD = "deadline-brought-forward"
    BUDGET_CHANGED = "budget-changed"
    STATUS_CHANGED = "status-changed"
    VANISHED = "vanished"
    REAPPEARED = "reappeared"


@dataclass(frozen=True)
class Event:
    """One change of one call; ``old``/``new`` are the values as text (a deadline as published,
    :func:`calls.deadlines.iso`)."""

    kind: EventKind
    old: str | None = None
    new: str | None = None

    def describe(self) -> str:
        if self.kind == EventKind.NEW:
            return "new call"
        if self.kind in (EventKind.VANISHED, EventKind.REAPPEARED):
            return f"{self.kind.value.replace('-', ' ')} from its source"
        return f"{self.kind.value.replace('-', ' ')}: {self.old or '—'} → {self.new or '—'}"


def diff(old: Call | None, new: Call) -> list[Event]:
    """The events that turn ``old`` (None: never seen) into ``new``."""
    if old is None:
        return [Event(EventKind.NEW, None, _deadline_text(new))]
    events: list[Event] = []
    before, after = deadlines.latest(old.deadlines), deadlines.latest(new.deadlines)
    if before and after and before.at != after.at:
        kind = EventKind.DEADLINE_EXTENDED if after.at > before.at else EventKind.DEADLINE_BROUGHT_FORWARD  # type: ignore[operator]
        events.append(Event(kind, deadlines.iso(before), deadlines.iso(after)))
    if old.budget != new.budget or (old.budget is not None and old.currency != new.currency):
        if old.budget is not None or new.budget is not None:
            events.append(Event(EventKind.BUDGET_CHANGED, _money(old), _money(new)))
    if old.status and new.status and old.status != new.status:
        events.append(Event(EventKind.STATUS_CHANGED, old.status.value, new.status.value))
    return events


def _deadline_text(call: Call) -> str | None:
    deadline = deadlines.latest(call.deadlines)
    return deadlines.iso(deadline) if deadline else None


def _money(call: Call) -> str | None:
    return f"{call.budget} {call.currency or ''}".strip() if call.budget is not None else None


def events_for(previous: Call | None, current: Call, gone_since=None) -> list[Event]:
    """The store's change hook: :func:`diff`, plus "reappeared" for a call seen again after it vanished."""
    if gone_since is not None and previous is not None:
        return [Event(EventKind.REAPPEARED), *diff(previous, current)]
    return diff(previous, current)
