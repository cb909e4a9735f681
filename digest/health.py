"""Source health: is each configured source still yielding what it used to?

A source's health is read from its run history (the ``runs`` table). Each run's
outcome was judged when it was recorded (:func:`pipelines.runs.judge`: errors,
nothing found, far fewer calls than the recent median, many invalid items);
the health of a source is the judgement of its newest finished run:

- ``ok``: the newest run was clean;
- ``degraded``: it found calls but something is off (the reason says what);
- ``failing``: it failed, or a crawl never finished;
- ``never``: the source has no finished run yet.

One function, :func:`source_health`, feeds ``grantdigest sources``, the site's
status page and the editor's alert email (:func:`alert_message`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from typing import Protocol

from calls.store import Outcome, Run, Store
from pipelines.runs import usual_items

STATES = ("ok", "degraded", "failing", "never")
HISTORY_RUNS = 10
"""Recent runs kept in :attr:`SourceHealth.history`."""
STUCK_AFTER = timedelta(hours=6)
"""A run still marked running this long after it started is taken for a crawl that died."""

_STATE_OF = {Outcome.OK: "ok", Outcome.DEGRADED: "degraded", Outcome.FAILED: "failing",
             Outcome.INTERRUPTED: "degraded"}
"""An interrupted crawl (its process was killed) needs a look, but says nothing against the source."""


class SourceLike(Protocol):
    slug: str
    title: str
    enabled: bool


@dataclass(frozen=True)
class RunOutcome:
    """One past run of a source, as health reports it."""

    started_at: datetime
    outcome: str
    """``ok``, ``degraded``, ``failed``, ``interrupted`` or ``running``."""
    items: int
    invalid: int
    errors: int
    reason: str | None

    @property
    def state(self) -> str:
        """The run's outcome in health words (``failed`` is ``failing``; a run still going is ``never``)."""
        return _STATE_OF.get(Outcome(self.outcome), "never")


@dataclass(frozen=True)
class SourceHealth:
    """How one source is doing."""

    slug: str
    title: str
    state: str
    """One of :data:`STATES`."""
    reason: str | None
    """Why the state is not ``ok``."""
    last_run: datetime | None
    """Start of the newest finished run (UTC)."""
    items: int | None
    """Calls the newest finished run found."""
    median_items: float | None
    """The usual yield: median of the ok runs before the newest (None with too little history)."""
    history: tuple[RunOutcome, ...] = ()
    """Up to :data:`HISTORY_RUNS` recent runs, newest first."""
    enabled: bool = True

    @property
    def healthy(self) -> bool:
        return self.state in ("ok", "never")


def source_health(
    store: Store, sources: Mapping[str, SourceLike] | Iterable[SourceLike], now: datetime
) -> list[SourceHealth]:
    """Health of every source in ``sources`` (the config's ``Config.sources``) as of ``now``, sorted by slug.

    Runs started after ``now`` are ignored, so a pinned clock sees the history as it was.
    """
    if now.tzinfo is None:
        raise ValueError(f"a timezone-aware datetime is needed, got naive {now.isoformat()}")
    configured = list(sources.values()) if isinstance(sources, Mapping) else list(sources)
    by_source: dict[str, list[Run]] = {}
    for run in store.runs():  # newest first
        if run.started_at <= now:
            by_source.setdefault(run.source, []).append(run)
    return [_health(source, by_source.get(source.slug, []), now) for source in sorted(configured, key=lambda s: s.slug)]


def _health(source: SourceLike, runs: list[Run], now: datetime) -> SourceHealth:
    history = tuple(RunOutcome(r.started_at, r.outcome.value, r.items, r.invalid, r.errors, r.reason)
                    for r in runs[:HISTORY_RUNS])
    common = {"slug": source.slug, "title": source.title or source.slug, "history": history, "enabled": source.enabled}
    if runs and runs[0].outcome == Outcome.RUNNING and now - runs[0].started_at > STUCK_AFTER:
        stuck = runs[0]
        return SourceHealth(**common, state="failing", last_run=stuck.started_at, items=None, median_items=None,
                            reason=f"the crawl started {stuck.started_at:%Y-%m-%d %H:%M} UTC never finished")
    finished = [r for r in runs if r.outcome != Outcome.RUNNING]
    if not finished:
        return SourceHealth(
            **common, state="never", reason="never crawled", last_run=None, items=None, median_items=None
        )
    last = finished[0]
    usual = usual_items([r.items for r in finished[1:] if r.outcome == Outcome.OK])
    state = _STATE_OF[last.outcome]
    reason = None if state == "ok" else (last.reason or last.outcome.value)
    return SourceHealth(
        **common, state=state, reason=reason, last_run=last.started_at, items=last.items, median_items=usual
    )


def unhealthy(health: Iterable[SourceHealth], *, enabled_only: bool = True) -> list[SourceHealth]:
    """The degraded and failing sources (by default only those still enabled)."""
    return [h for h in health if h.state in ("degraded", "failing") and (h.enabled or not enabled_only)]


def alert_message(problems: list[SourceHealth], *, sender: str, recipient: str, now: datetime) -> EmailMessage | None:
    """A plain-text email telling the editor which sources are degraded or failing; None when none are."""
    if not problems:
        return None
    message = EmailMessage()
    failing = sum(1 for h in problems if h.state == "failing")
    message["Subject"] = (f"[grantdigest] {len(problems)} source(s) need attention"
                          + (f" ({failing} failing)" if failing else ""))
    message["From"] = sender
    message["To"] = recipient
    message["Date"] = format_datetime(now)
    message["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2] or None)
    lines = ["These sources did not crawl cleanly; the digest goes out with the others.", ""]
    for h in problems:
        when = f"{h.last_run:%Y-%m-%d %H:%M} UTC" if h.last_run else "never"
        lines.append(f"- {h.slug} ({h.title}): {h.state.upper()} — {_oneline(h.reason or '')}")
        lines.append(f"  last run {when}; calls found {h.items if h.items is not None else '-'}"
                     + (f", usually {h.median_items:g}" if h.median_items is not None else ""))
    lines += ["", "Details: grantdigest sources (and the crawl log)."]
    message.set_content("\n".join(lines) + "\n")
    return message


def _oneline(text: str) -> str:
    """Scraped error text may carry newlines; an email line must not."""
    return " ".join(text.split())[:300]
