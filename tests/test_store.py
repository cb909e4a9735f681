"""The store: upsert by uid, first/last seen, run records, migrations."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory

from calls.migrations import alembic_config
from calls.schema import Call, Deadline
from calls.store import Outcome, Store, UpsertResult, metadata

T0 = datetime(2026, 11, 2, 6, 0, tzinfo=UTC)


def call(n: int = 1, **fields) -> Call:
    return Call(uid=f"src:{n}", source="src", native_id=str(n), title=f"Call {n}", url=f"https://example.org/{n}",
                **fields)


def store_urls():
    """SQLite always; PostgreSQL where a server is given (.ci/run starts one), so the schema stays portable."""
    urls = ["sqlite"]
    if os.environ.get("GRANTDIGEST_TEST_POSTGRES_URL"):
        urls.append("postgresql")
    elif os.environ.get("CI"):
        raise RuntimeError("CI must provide GRANTDIGEST_TEST_POSTGRES_URL (see .ci/run)")
    return urls


@pytest.fixture(params=store_urls())
def store(request, tmp_path):
    if request.param == "sqlite":
        opened = Store.open(f"sqlite:///{tmp_path / 'db' / 'g.db'}")
    else:
        url = os.environ["GRANTDIGEST_TEST_POSTGRES_URL"]
        engine = sa.create_engine(url)
        existing = sa.MetaData()
        existing.reflect(engine)  # every table a previous run left, whatever migrations it knew
        existing.drop_all(engine)
        engine.dispose()
        opened = Store.open(url)
    yield opened
    opened.close()


def test_upsert_new_unchanged_changed(store):
    assert store.upsert(call(), T0).result == UpsertResult.NEW
    assert store.upsert(call(), T0 + timedelta(days=1)).result == UpsertResult.UNCHANGED
    moved = call(deadlines=[Deadline(at=datetime(2027, 1, 1, 17, tzinfo=UTC), raw="2027-01-01")])
    upserted = store.upsert(moved, T0 + timedelta(days=2))
    assert upserted.result == UpsertResult.CHANGED
    assert upserted.previous.deadlines == []
    stored = upserted.stored
    assert stored.first_seen == T0 and stored.last_seen == T0 + timedelta(days=2)
    again = store.get("src:1")
    assert again.first_seen == T0 and again.last_seen == T0 + timedelta(days=2)
    assert again.deadlines[0].at == datetime(2027, 1, 1, 17, tzinfo=UTC)
    assert store.count_calls() == 1


def test_iteration_and_filter(store):
    store.upsert_many([call(2), call(1), call(3)], T0)
    assert [c.uid for c in store.iter_calls()] == ["src:1", "src:2", "src:3"]
    assert store.count_calls(source="src") == 3 and store.count_calls(source="other") == 0


def test_datetimes_come_back_aware(store):
    store.upsert(call(), T0)
    got = store.get("src:1")
    assert got.first_seen.tzinfo is not None and got.first_seen == T0


def test_run_records(store):
    first = store.start_run("eu-ftp", T0)
    store.finish_run(first, items=5, invalid=1, errors=0, outcome=Outcome.OK, stats={"x": 1},
                     finished_at=T0 + timedelta(minutes=1))
    second = store.start_run("eu-ftp", T0 + timedelta(days=1))
    store.finish_run(second, items=0, invalid=0, errors=3, outcome=Outcome.FAILED, reason="HTTP 500")
    other = store.start_run("gurt", T0)
    last = store.last_runs()
    assert (last["eu-ftp"].id == second and last["eu-ftp"].outcome == Outcome.FAILED
            and last["eu-ftp"].reason == "HTTP 500")
    assert last["gurt"].id == other and last["gurt"].outcome == Outcome.RUNNING
    runs = store.runs("eu-ftp")
    assert [r.id for r in runs] == [second, first]
    assert runs[1].stats == {"x": 1} and runs[1].items == 5 and runs[1].invalid == 1


def test_runs_of_dead_processes_are_closed_as_interrupted_and_live_ones_stay(store, tmp_path):
    import json
    import socket
    import subprocess
    import sys

    from calls.store import INTERRUPTED_REASON, this_process

    ours = store.start_run("eu-ftp", T0)
    assert store.runs("eu-ftp")[0].stats == {"owner": this_process()}
    done = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True,
                          check=True)
    dead_pid = int(done.stdout)  # a process that has ended (and was reaped)
    owners = {"dead": {"host": socket.gethostname(), "pid": dead_pid, "start": None},
              "reused": {**this_process(), "start": -1},  # our pid, but another process's start time
              "elsewhere": {"host": "another-machine.invalid", "pid": dead_pid, "start": None},
              "legacy": None}
    ids = {}
    for source, owner in owners.items():
        ids[source] = store.start_run(source, T0)
        with store.engine.begin() as conn:
            conn.execute(sa.text("UPDATE runs SET stats = :s WHERE id = :i"),
                         {"s": json.dumps({"owner": owner}) if owner else None, "i": ids[source]})
    closed = store.close_interrupted_runs(at=T0 + timedelta(hours=1))
    assert sorted(r.source for r in closed) == ["dead", "reused"]
    last = store.last_runs()
    for source in ("dead", "reused"):
        assert last[source].outcome == Outcome.INTERRUPTED and last[source].reason == INTERRUPTED_REASON
        assert last[source].finished_at == T0 + timedelta(hours=1)
    for source in ("eu-ftp", "elsewhere", "legacy"):
        assert last[source].outcome == Outcome.RUNNING, source
    assert store.close_interrupted_runs() == []
    store.finish_run(ours, items=1, invalid=0, errors=0, outcome=Outcome.OK)
    assert store.runs("eu-ftp")[0].outcome == Outcome.OK


def test_migrations_match_the_tables(store):
    with store.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), metadata)
    assert diff == []


def test_reopening_does_not_migrate_again(tmp_path):
    url = f"sqlite:///{tmp_path / 'g.db'}"
    Store.open(url).upsert(call(), T0)
    reopened = Store.open(url)
    assert reopened.count_calls() == 1
    with reopened.engine.connect() as conn:
        version = conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()
    assert version == ScriptDirectory.from_config(alembic_config()).get_current_head()


def test_change_hook_writes_events_in_the_same_transaction(store):
    from pipelines.changes import diff

    def hook(previous, current, gone_since):
        return diff(previous, current)

    store.upsert(call(deadlines=[Deadline(at=datetime(2027, 1, 1, 17, tzinfo=UTC), raw="a")]), T0, on_change=hook)
    store.upsert(call(deadlines=[Deadline(at=datetime(2027, 1, 1, 17, tzinfo=UTC), raw="a")]), T0 + timedelta(days=1),
                 on_change=hook)
    store.upsert(call(deadlines=[Deadline(at=datetime(2027, 2, 1, 17, tzinfo=UTC), raw="b")]), T0 + timedelta(days=2),
                 on_change=hook)
    kinds = [(e.kind, e.at) for e in store.events("src:1")]
    assert kinds == [("new", T0), ("deadline-extended", T0 + timedelta(days=2))]
    assert store.events("src:1")[1].old == "2027-01-01T17:00:00+00:00"


def test_vanished_once_then_reappears(store):
    store.upsert_many([call(1), call(2)], T0)
    store.upsert(call(1), T0 + timedelta(days=1))
    assert store.mark_gone("src", T0 + timedelta(days=1), T0 + timedelta(days=1)) == ["src:2"]
    assert store.mark_gone("src", T0 + timedelta(days=1), T0 + timedelta(days=1)) == []  # once
    seen_again = []
    store.upsert(call(2), T0 + timedelta(days=3), on_change=lambda p, c, gone: seen_again.append(gone) or [])
    assert seen_again == [T0 + timedelta(days=1)]
    assert [e.kind for e in store.events("src:2")] == ["vanished"]


def test_naive_datetime_is_never_stored(store):
    with pytest.raises(sa.exc.StatementError):
        store.start_run("x", datetime(2026, 1, 1))
