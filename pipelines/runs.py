"""One run record per source per crawl (start, end, items, errors, outcome).

A Scrapy extension: it opens the record when the spider opens and closes it
with the crawl's stats, judging the outcome so that a broken source is visible
(``grantdigest sources``) instead of silently contributing nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import UTC, datetime
from statistics import median
from typing import Any

from calls.store import Outcome, Store
from pipelines import causes
from pipelines.store import crawl_clock, crawler_store

ERRORS = "grantdigest/errors"
"""Stat: errors logged on behalf of this spider. Scrapy's own ``log_count/ERROR`` counts every
crawler's errors in a process that runs several, so one broken source would degrade its neighbours."""


class SpiderErrorCounter(logging.Handler):
    """Counts ERROR records attributed to one spider (Scrapy passes ``extra={"spider": …}``)."""

    def __init__(self, spider, stats):
        super().__init__(level=logging.ERROR)
        self.spider = spider
        self.stats = stats

    def emit(self, record: logging.LogRecord) -> None:
        if getattr(record, "spider", None) is self.spider:
            self.stats.inc_value(ERRORS)


MEDIAN_RUNS = 5
"""How many recent ok runs make a source's usual yield (their median)."""
MIN_HISTORY = 3
"""Ok runs needed before a drop against the median is judged at all."""
DROP_RATIO = 0.5
"""A run finding fewer than this share of the usual yield is degraded."""
INVALID_RATIO = 0.2
"""A run dropping more than this share of its items as invalid is degraded."""


def judge(
    stats: dict[str, Any], finish_reason: str, previous_items: int | Sequence[int] | None,
) -> tuple[Outcome, str | None]:
    """The outcome of a run from its stats, and the reason when it is not plainly ok.

    ``previous_items`` is what the recent successful runs of the source found,
    newest first (a single int: the last one only). A run is

    - **failed** when the crawl ended early, or found nothing while logging
      errors or while earlier runs found calls;
    - **degraded** when it found nothing on a first run, logged errors, dropped
      more than :data:`INVALID_RATIO` of its items as invalid, or found fewer
      than :data:`DROP_RATIO` of the median of the last :data:`MEDIAN_RUNS` ok
      runs (given at least :data:`MIN_HISTORY` of them).
    """
    history = _history(previous_items)
    items = stats.get("item_scraped_count", 0)
    errors = stats.get(ERRORS, 0)
    invalid = stats.get("grantdigest/invalid", 0)
    cause = causes.reason(stats)
    if finish_reason != "finished":
        return Outcome.FAILED, f"crawl ended early: {finish_reason}" + (f"; {cause[1]}" if cause else "")
    if items == 0:
        if cause and cause[0].fails:
            return Outcome.FAILED, cause[1]
        if errors:
            return Outcome.FAILED, f"no calls, {errors} error(s): {_first_error(stats)}"
        quiet = cause[1] if cause else _nothing_kept(stats)
        if history and history[0]:
            return Outcome.FAILED, f"{quiet}; the last successful run found {history[0]}"
        return Outcome.DEGRADED, quiet
    if cause and cause[0].fails:
        return Outcome.DEGRADED, f"{items} call(s) found, but {cause[1]}"
    if errors:
        return Outcome.DEGRADED, f"{errors} error(s) while crawling: {_first_error(stats)}"
    if invalid and invalid > INVALID_RATIO * (items + invalid):
        return Outcome.DEGRADED, f"{invalid} invalid item(s) dropped against {items} kept"
    usual = usual_items(history)
    if usual is not None and items < DROP_RATIO * usual:
        return Outcome.DEGRADED, (
            f"only {items} call(s) found; the median of the last {min(len(history), MEDIAN_RUNS)} "
            f"successful runs is {usual:g}")
    return Outcome.OK, None


def _nothing_kept(stats: dict[str, Any]) -> str:
    """Why a run that read its pages without failing kept no call: filtered out, not calls, or nothing listed."""
    filtered = stats.get("listing/filtered_out", 0)
    not_calls = stats.get("posts/not_a_call", 0) + stats.get("posts/untitled", 0)
    if filtered or not_calls:
        parts = [f"{filtered} left out by the item filter"] if filtered else []
        parts += [f"{not_calls} not read as a call"] if not_calls else []
        return (f"no calls kept: the list was read, {filtered + not_calls} item(s), " + ", ".join(parts)
                + f" — {causes.KINDS['filtered'].advice}")
    return "no calls found"


def usual_items(history: Sequence[int]) -> float | None:
    """The median yield of the newest :data:`MEDIAN_RUNS` ok runs, or None with fewer than :data:`MIN_HISTORY`."""
    recent = list(history)[:MEDIAN_RUNS]
    return float(median(recent)) if len(recent) >= MIN_HISTORY else None


def _history(previous_items: int | Sequence[int] | None) -> list[int]:
    if previous_items is None:
        return []
    if isinstance(previous_items, int):
        return [previous_items]
    return list(previous_items)


def _first_error(stats: dict[str, Any]) -> str:
    statuses = sorted(k.rsplit("/", 1)[-1] for k in stats if k.startswith("downloader/response_status_count/5"))
    exceptions = sorted(
        k.rsplit("/", 1)[-1] for k in stats
        if k.startswith(("spider_exceptions/", "downloader/exception_type_count/")) and not k.endswith("/count")
    )
    parts = []
    if statuses:
        parts.append("HTTP " + ", ".join(statuses))
    parts += exceptions
    return "; ".join(parts) or "see the crawl log"


def ok_history(store: Store, source: str, *, before: int | None = None, limit: int = 50) -> list[int]:
    """Items found by the source's recent ok runs, newest first (runs up to id ``before``, excluded, when given)."""
    runs = store.runs(source, limit=limit)
    return [r.items for r in runs if r.outcome == Outcome.OK and (before is None or r.id < before)]


class RunRecorder:
    """Writes the run record of the crawling spider."""

    def __init__(self, crawler):
        self.crawler = crawler
        self.run_id: int | None = None
        self.store: Store | None = None
        self.counter: SpiderErrorCounter | None = None

    @classmethod
    def from_crawler(cls, crawler):
        from scrapy import signals  # here: the judgement above is also read where Scrapy is not loaded (digest.health)

        ext = cls(crawler)
        crawler.signals.connect(ext.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(ext.spider_closed, signal=signals.spider_closed)
        return ext

    def spider_opened(self, spider) -> None:
        self.counter = SpiderErrorCounter(spider, self.crawler.stats)
        logging.getLogger().addHandler(self.counter)
        self.store = crawler_store(self.crawler)
        self.run_id = self.store.start_run(spider.name, crawl_clock(self.crawler))

    def spider_closed(self, spider, reason: str) -> None:
        if self.counter is not None:
            logging.getLogger().removeHandler(self.counter)
        if self.store is None or self.run_id is None:
            return
        stats = self.crawler.stats.get_stats()
        outcome, why = judge(stats, reason, ok_history(self.store, spider.name, before=self.run_id))
        self.store.finish_run(
            self.run_id,
            items=stats.get("item_scraped_count", 0),
            invalid=stats.get("grantdigest/invalid", 0),
            errors=stats.get(ERRORS, 0),
            outcome=outcome,
            reason=why,
            stats=stats,
            finished_at=datetime.now(UTC),
        )
        spider.logger.info("run of %s: %s%s", spider.name, outcome.value, f" ({why})" if why else "")
        if outcome == Outcome.OK:
            # Only a clean run may say a call is gone: a failing source would make every call "vanish".
            gone = self.store.mark_gone(spider.name, crawl_clock(self.crawler))
            if gone:
                spider.logger.info("%d call(s) of %s vanished from the source", len(gone), spider.name)
