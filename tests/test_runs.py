"""Run judgement against a source's history: the median drop, the invalid ratio, the history a recorder reads."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from calls.store import Outcome, Store
from pipelines.runs import judge, ok_history, usual_items

T0 = datetime(2026, 11, 2, 6, tzinfo=UTC)


@pytest.mark.parametrize(
    ("items", "history", "outcome", "why"),
    [
        (40, [40, 42, 38, 41, 39], Outcome.OK, None),
        (19, [40, 42, 38, 41, 39], Outcome.DEGRADED, "median of the last 5 successful runs is 40"),
        (20, [40, 42, 38, 41, 39], Outcome.OK, None),  # exactly half is not "fewer than half"
        (5, [40, 42], Outcome.OK, None),  # too little history to know what is usual
        (5, [40, 42, 38], Outcome.DEGRADED, "only 5 call(s) found; the median of the last 3 successful runs is 40"),
        (10, [12, 12, 12, 12, 12, 90, 90, 90], Outcome.OK, None),  # only the newest five count
        (0, [40, 42, 38], Outcome.FAILED, "the last successful run found 40"),
    ],
)
def test_judge_against_the_median(items, history, outcome, why):
    got, reason = judge({"item_scraped_count": items}, "finished", history)
    assert got == outcome
    assert (reason is None) if why is None else (why in reason), reason


@pytest.mark.parametrize(
    ("kept", "invalid", "outcome"),
    [(10, 2, Outcome.OK), (10, 3, Outcome.DEGRADED), (8, 2, Outcome.OK), (7, 2, Outcome.DEGRADED),
     (1, 5, Outcome.DEGRADED)],
)
def test_judge_invalid_ratio(kept, invalid, outcome):
    """More than 20% of all items (kept + dropped) invalid is degraded: 2 of 12 is fine, 3 of 13 is not."""
    got, reason = judge({"item_scraped_count": kept, "grantdigest/invalid": invalid}, "finished", None)
    assert got == outcome
    if outcome == Outcome.DEGRADED:
        assert reason == f"{invalid} invalid item(s) dropped against {kept} kept"


def test_a_single_previous_count_still_works():
    assert judge({}, "finished", 7) == (Outcome.FAILED, "no calls found; the last successful run found 7")
    assert judge({"item_scraped_count": 1}, "finished", 7) == (Outcome.OK, None)


def test_usual_items():
    assert usual_items([]) is None and usual_items([3, 4]) is None
    assert usual_items([3, 4, 100]) == 4.0
    assert usual_items([10, 20, 30, 40, 50, 60]) == 30.0


def test_ok_history_reads_ok_runs_before_the_current_one(tmp_path):
    store = Store.open(f"sqlite:///{tmp_path / 'runs.db'}")
    ids = []
    for day, (items, outcome) in enumerate([(30, Outcome.OK), (2, Outcome.DEGRADED), (33, Outcome.OK),
                                            (0, Outcome.FAILED)]):
        run = store.start_run("eu-ftp", T0 + timedelta(days=day))
        store.finish_run(run, items=items, invalid=0, errors=0, outcome=outcome)
        ids.append(run)
    store.finish_run(store.start_run("other", T0), items=99, invalid=0, errors=0, outcome=Outcome.OK)
    current = store.start_run("eu-ftp", T0 + timedelta(days=9))
    assert ok_history(store, "eu-ftp", before=current) == [33, 30]
    assert ok_history(store, "eu-ftp", before=ids[2]) == [30]
    store.close()


@pytest.mark.crawl
def test_a_crawl_far_below_its_median_is_recorded_degraded(tmp_path, replay):
    """Through Scrapy: euinfo-rs usually finds 10 calls; the fixture's 2 are fewer than half, so the run is degraded."""
    from conftest import FIXTURES

    from calls.config import load_config
    from digest.offline import crawl_fixtures, write_config

    config = write_config(tmp_path)
    store = Store.open(load_config(config).database_url)
    for day, items in enumerate([10, 9, 11, 10]):
        run = store.start_run("euinfo-rs", T0 + timedelta(days=day))
        store.finish_run(run, items=items, invalid=0, errors=0, outcome=Outcome.OK)
    server = replay(FIXTURES / "euinfo-rs" / "mirror")
    result = crawl_fixtures(config, server.url, "euinfo-rs")
    assert result.returncode == 0, result.log[-2000:]
    last = store.runs("euinfo-rs")[0]
    assert (last.outcome, last.items) == (Outcome.DEGRADED, 2)
    assert last.reason == "only 2 call(s) found; the median of the last 4 successful runs is 10"
    store.close()
