"""Source health from run history: ok, degraded, failing, never; the alert email."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from calls.config import SourceConfig
from calls.store import Outcome, Store
from digest.health import STATES, alert_message, source_health, unhealthy

T0 = datetime(2026, 11, 2, 6, tzinfo=UTC)
SOURCES = {slug: SourceConfig(slug=slug, spider=slug, title=f"The {slug} portal", enabled=slug != "off")
           for slug in ("eu-ftp", "gurt", "grants-gov", "new", "off", "stuck")}


@pytest.fixture
def store(tmp_path):
    store = Store.open(f"sqlite:///{tmp_path / 'health.db'}")
    yield store
    store.close()


def record(store, source, day, items, outcome, reason=None, *, invalid=0, errors=0):
    run = store.start_run(source, T0 + timedelta(days=day))
    store.finish_run(run, items=items, invalid=invalid, errors=errors, outcome=outcome, reason=reason,
                     finished_at=T0 + timedelta(days=day, minutes=5))
    return run


def by_slug(store, now):
    return {h.slug: h for h in source_health(store, SOURCES, now)}


def test_states_from_history(store):
    for day, n in enumerate([40, 42, 38, 41]):
        record(store, "eu-ftp", day, n, Outcome.OK)
        record(store, "gurt", day, n, Outcome.OK)
        record(store, "grants-gov", day, 12, Outcome.OK)
    record(store, "eu-ftp", 4, 39, Outcome.OK)
    record(store, "gurt", 4, 0, Outcome.FAILED, "no calls found; the last successful run found 41")
    record(store, "grants-gov", 4, 3, Outcome.DEGRADED,
           "only 3 call(s) found; the median of the last 4 successful runs is 12")
    store.start_run("stuck", T0 + timedelta(days=3))
    health = by_slug(store, T0 + timedelta(days=5))

    assert [h.slug for h in source_health(store, SOURCES, T0 + timedelta(days=5))] == sorted(SOURCES)
    ok = health["eu-ftp"]
    assert (ok.state, ok.reason, ok.items, ok.median_items) == ("ok", None, 39, 40.5)
    assert ok.last_run == T0 + timedelta(days=4) and ok.title == "The eu-ftp portal"
    assert [r.items for r in ok.history] == [39, 41, 38, 42, 40] and ok.history[0].state == "ok"

    failing = health["gurt"]
    assert failing.state == "failing" and "last successful run found 41" in failing.reason and failing.items == 0
    assert failing.history[0].outcome == "failed" and failing.history[0].state == "failing"
    degraded = health["grants-gov"]
    assert degraded.state == "degraded" and degraded.median_items == 12.0 and "median" in degraded.reason

    assert health["new"].state == "never" and health["new"].last_run is None and health["new"].history == ()
    stuck = health["stuck"]
    assert stuck.state == "failing" and "never finished" in stuck.reason
    assert health["off"].enabled is False
    assert {h.state for h in health.values()} <= set(STATES)
    assert [h.slug for h in unhealthy(health.values())] == ["grants-gov", "gurt", "stuck"]


def test_a_run_in_progress_is_not_judged_yet(store):
    record(store, "eu-ftp", 0, 40, Outcome.OK)
    store.start_run("eu-ftp", T0 + timedelta(days=1))
    store.start_run("new", T0 + timedelta(days=1))
    health = by_slug(store, T0 + timedelta(days=1, hours=1))
    assert health["eu-ftp"].state == "ok" and health["eu-ftp"].items == 40
    assert health["eu-ftp"].history[0].outcome == "running"
    assert health["new"].state == "never"


def test_runs_after_now_are_ignored(store):
    record(store, "eu-ftp", 0, 40, Outcome.OK)
    record(store, "eu-ftp", 2, 0, Outcome.FAILED, "HTTP 500")
    assert by_slug(store, T0 + timedelta(days=1))["eu-ftp"].state == "ok"
    assert by_slug(store, T0 + timedelta(days=3))["eu-ftp"].state == "failing"


def test_a_degraded_run_without_reason_still_says_why(store):
    record(store, "eu-ftp", 0, 5, Outcome.DEGRADED)
    assert by_slug(store, T0 + timedelta(days=1))["eu-ftp"].reason == "degraded"


def test_naive_now_is_refused(store):
    with pytest.raises(ValueError, match="timezone-aware"):
        source_health(store, SOURCES, datetime(2026, 11, 2))


def test_alert_message(store):
    record(store, "eu-ftp", 0, 40, Outcome.OK)
    record(store, "gurt", 0, 0, Outcome.FAILED, "no calls, 2 error(s):\nHTTP 503")
    now = T0 + timedelta(days=1)
    problems = unhealthy(source_health(store, SOURCES, now))
    message = alert_message(problems, sender="grantdigest@example.org", recipient="editor@example.org", now=now)
    assert message["To"] == "editor@example.org" and message["From"] == "grantdigest@example.org"
    assert message["Subject"] == "[grantdigest] 1 source(s) need attention (1 failing)"
    body = message.get_content()
    assert "gurt (The gurt portal): FAILING — no calls, 2 error(s): HTTP 503" in body
    assert "eu-ftp" not in body
    assert alert_message([], sender="a@example.org", recipient="b@example.org", now=now) is None
