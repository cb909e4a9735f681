"""The store: the contract between crawling and publishing (DESIGN §2).

SQLAlchemy 2.x Core over a portable schema: an SQLite file by default,
PostgreSQL by URL. A call is kept as its schema JSON (``document``) plus the
columns queries need. The schema is created and upgraded by Alembic
(``calls/migrations``) whenever a store is opened.
"""

from __future__ import annotations

import json
import os
import socket
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Any, Protocol

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from calls import deadlines, reasons
from calls.schema import Call
from calls.tables import UTCDateTime as UTCDateTime
from calls.tables import approvals_table as approvals_table
from calls.tables import calls_table, classifications_table, events_table, merged_table, runs_table
from calls.tables import digests_table as digests_table
from calls.tables import editorial_table as editorial_table
from calls.tables import metadata as metadata
from calls.tables import sends_table as sends_table


class Outcome(StrEnum):
    """How a source's run ended."""

    RUNNING = "running"
    OK = "ok"
    DEGRADED = "degraded"
    FAILED = "failed"
    INTERRUPTED = "interrupted"
    """The crawl's process died (killed, crashed) before it finished the run: closed by the next start."""


INTERRUPTED_REASON = "the crawl was interrupted before it finished (its process ended)"


class UpsertResult(StrEnum):
    NEW = "new"
    CHANGED = "changed"
    UNCHANGED = "unchanged"


@dataclass(frozen=True)
class Upserted:
    """What an upsert did: ``result``, the call as ``stored``, and the ``previous`` version when it changed."""

    result: UpsertResult
    stored: Call
    previous: Call | None


@dataclass(frozen=True)
class StoredEvent:
    """A change of a call, as stored."""

    id: int
    uid: str
    kind: str
    at: datetime
    old: str | None
    new: str | None


class EventLike(Protocol):
    kind: str
    old: str | None
    new: str | None


ChangeHook = Callable[[Call | None, Call, datetime | None], Iterable[EventLike]]


@dataclass(frozen=True)
class StoredClassification:
    """How one merged call fits one region, as stored."""

    uid: str
    region: str
    score: int
    tier: str
    eligibility: str
    reasons: tuple[str, ...]
    themes: tuple[str, ...]


@dataclass(frozen=True)
class Run:
    """One crawl of one source."""

    id: int
    source: str
    started_at: datetime
    finished_at: datetime | None
    items: int
    invalid: int
    errors: int
    outcome: Outcome
    reason: str | None
    stats: dict[str, Any]


class Store:
    """Calls and run records in one database."""

    def __init__(self, engine: Engine):
        self.engine = engine

    @classmethod
    def open(cls, url: str, *, migrate: bool = True) -> Store:
        """Connect to ``url`` (creating an SQLite file's folder) and bring the schema to head."""
        if url.startswith("sqlite:///") and not url.endswith(":memory:"):
            Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
        engine = sa.create_engine(url, future=True)
        if engine.dialect.name == "sqlite":
            sa.event.listen(engine, "connect", _sqlite_pragmas)
        store = cls(engine)
        if migrate:
            from calls.migrations import upgrade

            upgrade(engine)
        return store

    def close(self) -> None:
        self.engine.dispose()

    # -- calls -------------------------------------------------------------

    def upsert(self, call: Call, seen_at: datetime | None = None, *, on_change: ChangeHook | None = None) -> Upserted:
        """Insert or update one call by uid; keeps first_seen, moves last_seen (see :meth:`upsert_many`)."""
        return self.upsert_many([call], seen_at, on_change=on_change)[0]

    def upsert_many(
        self, calls: Iterable[Call], seen_at: datetime | None = None, *, on_change: ChangeHook | None = None,
    ) -> list[Upserted]:
        """Insert or update calls by uid, in one transaction.

        Each result says whether the call was new, changed (its content hash
        moved) or unchanged, with the stored call and the previous version.
        ``on_change(previous, current, gone_since)`` is called for new and
        changed calls, and for calls seen again after they vanished; the events
        it returns (objects with ``kind``, ``old``, ``new``) are written in the
        same transaction, so a crash never keeps a change without its event.
        """
        seen_at = seen_at or datetime.now(UTC)
        out: list[Upserted] = []
        with self.engine.begin() as conn:
            for call in calls:
                content_hash = call.compute_hash()
                row = conn.execute(
                    sa.select(calls_table.c.first_seen, calls_table.c.content_hash, calls_table.c.gone_since,
                              calls_table.c.document).where(calls_table.c.uid == call.uid)
                ).first()
                first_seen = row.first_seen if row else seen_at
                stored = call.model_copy(
                    update={"first_seen": first_seen, "last_seen": seen_at, "content_hash": content_hash}
                )
                values = {**_row_values(stored), "gone_since": None}
                if row is None:
                    conn.execute(calls_table.insert().values(uid=call.uid, **values))
                    result, previous = UpsertResult.NEW, None
                else:
                    conn.execute(calls_table.update().where(calls_table.c.uid == call.uid).values(**values))
                    changed = row.content_hash != content_hash
                    result = UpsertResult.CHANGED if changed else UpsertResult.UNCHANGED
                    previous = Call.from_json_salvaging(row.document) if changed or row.gone_since else None
                gone_since = row.gone_since if row else None
                if on_change is not None and (result != UpsertResult.UNCHANGED or gone_since):
                    _insert_events(conn, call.uid, on_change(previous, stored, gone_since), seen_at)
                out.append(Upserted(result, stored, previous))
        return out

    def mark_gone(
        self, source: str, not_seen_since: datetime, at: datetime | None = None, *, kind: str = "vanished"
    ) -> list[str]:
        """Mark the source's calls not seen since ``not_seen_since`` as gone, once, with an event each; their uids."""
        at = at or datetime.now(UTC)
        with self.engine.begin() as conn:
            uids = list(conn.execute(
                sa.select(calls_table.c.uid).where(
                    calls_table.c.source == source,
                    calls_table.c.last_seen < not_seen_since,
                    calls_table.c.gone_since.is_(None),
                )
            ).scalars())
            if uids:
                conn.execute(calls_table.update().where(calls_table.c.uid.in_(uids)).values(gone_since=at))
                conn.execute(
                    events_table.insert(),
                    [{"uid": u, "kind": kind, "at": at, "old": None, "new": None} for u in uids],
                )
        return uids

    def events(self, uid: str | None = None, *, since: datetime | None = None) -> list[StoredEvent]:
        """Events, oldest first, of one call or of all; optionally only those at or after ``since``."""
        query = sa.select(events_table).order_by(events_table.c.at, events_table.c.id)
        if uid:
            query = query.where(events_table.c.uid == uid)
        if since:
            query = query.where(events_table.c.at >= since)
        with self.engine.connect() as conn:
            return [StoredEvent(r.id, r.uid, r.kind, r.at, r.old, r.new) for r in conn.execute(query)]

    def get(self, uid: str) -> Call | None:
        with self.engine.connect() as conn:
            doc = conn.execute(sa.select(calls_table.c.document).where(calls_table.c.uid == uid)).scalar()
        return Call.from_json_salvaging(doc) if doc else None

    def iter_calls(self, *, source: str | None = None) -> Iterator[Call]:
        """Every stored call, ordered by uid."""
        query = sa.select(calls_table.c.document).order_by(calls_table.c.uid)
        if source:
            query = query.where(calls_table.c.source == source)
        with self.engine.connect() as conn:
            for (doc,) in conn.execute(query):
                yield Call.from_json_salvaging(doc)

    def count_calls(self, *, source: str | None = None) -> int:
        query = sa.select(sa.func.count()).select_from(calls_table)
        if source:
            query = query.where(calls_table.c.source == source)
        with self.engine.connect() as conn:
            return conn.execute(query).scalar_one()

    def iter_live_calls(self) -> Iterator[Call]:
        """Calls still on their sources (not vanished), ordered by uid: the input of merging."""
        query = sa.select(calls_table.c.document).where(calls_table.c.gone_since.is_(None)).order_by(calls_table.c.uid)
        with self.engine.connect() as conn:
            for (doc,) in conn.execute(query):
                yield Call.from_json_salvaging(doc)

    # -- the digest's view: merged calls and their classification ---------------

    def replace_digest(
        self, merged: Iterable[tuple[Call, list[str]]], classifications: Iterable[Any], built_at: datetime
    ) -> int:
        """Replace every merged call (with its member uids) and every classification, in one transaction.

        ``classifications`` are ``(uid, c)`` pairs where ``c`` has ``region``,
        ``score``, ``tier``, ``eligibility``, ``reasons`` and ``matched_themes``.
        """
        merged_rows = [
            {"uid": call.uid, "members": json.dumps(members), "status": call.status.value if call.status else None,
             "next_deadline": _earliest_at(call), "document": call.to_json(), "built_at": built_at}
            for call, members in merged
        ]
        class_rows = [
            {"uid": uid, "region": c.region, "score": int(c.score), "tier": str(c.tier),
             "eligibility": str(c.eligibility),
             "reasons": json.dumps([reasons.encode(r) for r in c.reasons], ensure_ascii=False),
             "themes": json.dumps(list(c.matched_themes)), "computed_at": built_at}
            for uid, c in classifications
        ]
        with self.engine.begin() as conn:
            conn.execute(classifications_table.delete())
            conn.execute(merged_table.delete())
            for start in range(0, len(merged_rows), 1000):
                conn.execute(merged_table.insert(), merged_rows[start:start + 1000])
            for start in range(0, len(class_rows), 1000):
                conn.execute(classifications_table.insert(), class_rows[start:start + 1000])
        return len(merged_rows)

    def iter_merged(self) -> Iterator[tuple[Call, list[str]]]:
        """Merged calls with their member uids, ordered by uid."""
        query = sa.select(merged_table.c.document, merged_table.c.members).order_by(merged_table.c.uid)
        with self.engine.connect() as conn:
            for doc, members in conn.execute(query):
                yield Call.from_json_salvaging(doc), json.loads(members)

    def classifications(self, region: str | None = None) -> dict[str, list[StoredClassification]]:
        """Classifications by merged uid (each list ordered by region)."""
        query = sa.select(classifications_table).order_by(classifications_table.c.uid, classifications_table.c.region)
        if region:
            query = query.where(classifications_table.c.region == region)
        out: dict[str, list[StoredClassification]] = {}
        with self.engine.connect() as conn:
            for r in conn.execute(query):
                out.setdefault(r.uid, []).append(StoredClassification(
                    r.uid, r.region, r.score, r.tier, r.eligibility,
                    tuple(reasons.decode(x) for x in json.loads(r.reasons)), tuple(json.loads(r.themes))))
        return out

    # -- runs --------------------------------------------------------------

    def start_run(self, source: str, started_at: datetime | None = None) -> int:
        """Record a run starting in this process (its owner, in ``stats``, until it is finished)."""
        with self.engine.begin() as conn:
            result = conn.execute(
                runs_table.insert().values(
                    source=source, started_at=started_at or datetime.now(UTC), items=0, invalid=0,
                    errors=0, outcome=Outcome.RUNNING.value, stats=json.dumps({"owner": this_process()}),
                )
            )
            return result.inserted_primary_key[0]

    def close_interrupted_runs(self, at: datetime | None = None) -> list[Run]:
        """Close as :attr:`Outcome.INTERRUPTED` every run still "running" whose owner process on this machine is
        gone (a killed crawl); the runs closed. Runs of live processes, other machines and unknown owners stay."""
        closed = [r for r in self._running() if _owner_gone(r.stats.get("owner"))]
        at = at or datetime.now(UTC)
        with self.engine.begin() as conn:
            for run in closed:
                conn.execute(runs_table.update().where(
                    runs_table.c.id == run.id, runs_table.c.outcome == Outcome.RUNNING.value
                ).values(finished_at=at, outcome=Outcome.INTERRUPTED.value, reason=INTERRUPTED_REASON))
        return [r for r in self.runs() if r.id in {c.id for c in closed}]

    def _running(self) -> list[Run]:
        query = sa.select(runs_table).where(runs_table.c.outcome == Outcome.RUNNING.value)
        with self.engine.connect() as conn:
            return [_run(row) for row in conn.execute(query)]

    def finish_run(
        self, run_id: int, *, items: int, invalid: int, errors: int, outcome: Outcome,
        reason: str | None = None, stats: dict[str, Any] | None = None, finished_at: datetime | None = None,
    ) -> None:
        with self.engine.begin() as conn:
            conn.execute(
                runs_table.update().where(runs_table.c.id == run_id).values(
                    finished_at=finished_at or datetime.now(UTC), items=items, invalid=invalid, errors=errors,
                    outcome=Outcome(outcome).value, reason=reason,
                    stats=json.dumps(stats or {}, default=str, sort_keys=True),
                )
            )

    def runs(self, source: str | None = None, *, limit: int | None = None) -> list[Run]:
        """Run records, newest first."""
        query = sa.select(runs_table).order_by(runs_table.c.started_at.desc(), runs_table.c.id.desc())
        if source:
            query = query.where(runs_table.c.source == source)
        if limit:
            query = query.limit(limit)
        with self.engine.connect() as conn:
            return [_run(row) for row in conn.execute(query)]

    def last_runs(self) -> dict[str, Run]:
        """The newest run of every source that ever ran."""
        latest = (
            sa.select(runs_table.c.source, sa.func.max(runs_table.c.id).label("id"))
            .group_by(runs_table.c.source).subquery()
        )
        query = sa.select(runs_table).join(latest, runs_table.c.id == latest.c.id)
        with self.engine.connect() as conn:
            return {row.source: _run(row) for row in conn.execute(query)}


def _insert_events(conn, uid: str, events: Iterable[EventLike], at: datetime) -> None:
    rows = [{"uid": uid, "kind": str(e.kind), "at": at, "old": e.old, "new": e.new} for e in events]
    if rows:
        conn.execute(events_table.insert(), rows)


def _row_values(call: Call) -> dict[str, Any]:
    return {
        "source": call.source,
        "native_id": call.native_id,
        "call_id": call.call_id,
        "title": call.title,
        "status": call.status.value if call.status else None,
        "next_deadline": _earliest_at(call),
        "content_hash": call.content_hash,
        "first_seen": call.first_seen,
        "last_seen": call.last_seen,
        "document": call.to_json(),
    }


def _run(row) -> Run:
    return Run(
        id=row.id, source=row.source, started_at=row.started_at, finished_at=row.finished_at,
        items=row.items, invalid=row.invalid, errors=row.errors, outcome=Outcome(row.outcome),
        reason=row.reason, stats=json.loads(row.stats) if row.stats else {},
    )


def this_process() -> dict[str, Any]:
    """Who owns a run: host name, pid and (Linux) the process's start time, which a reused pid does not share."""
    return {"host": socket.gethostname(), "pid": os.getpid(), "start": _start_time(os.getpid())}


def _owner_gone(owner: Any) -> bool:
    """Whether the process that started a run has ended (False when that cannot be known here)."""
    if not isinstance(owner, dict) or not isinstance(owner.get("pid"), int):
        return False
    if owner.get("host") != socket.gethostname():
        return False
    pid = owner["pid"]
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        pass  # alive, another user's
    stat = _proc_stat(pid)
    if stat is None:
        return False
    state, start = stat
    return state in ("Z", "X") or (owner.get("start") is not None and start != owner["start"])


def _start_time(pid: int) -> int | None:
    stat = _proc_stat(pid)
    return stat[1] if stat else None


def _proc_stat(pid: int) -> tuple[str, int] | None:
    """(state, start time in clock ticks since boot) from Linux's /proc/PID/stat; None elsewhere."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = text.rpartition(")")[2].split()  # after the command name, which may hold spaces
    return fields[0], int(fields[19])


def _sqlite_pragmas(dbapi_conn, _record) -> None:
    cursor = dbapi_conn.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def _earliest_at(call: Call):
    """The instant of the call's earliest parsed deadline (the indexed ``next_deadline`` column), or None."""
    first = deadlines.earliest(call.deadlines)
    return first.at if first else None
