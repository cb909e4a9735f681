"""One run record per source per crawl (start, end, items, errors, outcome).

A Scrapy extension: it opens the record when the spider opens and closes it
with the crawl's stats, judging the outcome so that a broken source is visible
(``grantdigest sources``) instead of silently contributing nothing.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from scrapy import signals

from calls.store import Outcome, Store
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


def judge(stats: dict[str, Any], finish_reason: str, previous_items: int | None) -> tuple[Outcome, str | None]:
    """The outcome of a run from its stats, and the reason when it is not plainly ok.

    ``previous_items`` is what the last successful run of the source found.
    """
    items = stats.get("item_scraped_count", 0)
    errors = stats.get(ERRORS, 0)
    invalid = stats.get("grantdigest/invalid", 0)
    if finish_reason != "finished":
        return Outcome.FAILED, f"crawl ended early: {finish_reason}"
    if items == 0:
        if errors:
            return Outcome.FAILED, f"no calls, {errors} error(s): {_first_error(stats)}"
        if previous_items:
            return Outcome.FAILED, f"no calls found; the last successful run found {previous_items}"
        return Outcome.DEGRADED, "no calls found"
    if errors:
        return Outcome.DEGRADED, f"{errors} error(s) while crawling: {_first_error(stats)}"
    if invalid and invalid >= items:
        return Outcome.DEGRADED, f"{invalid} invalid item(s) dropped against {items} kept"
    return Outcome.OK, None


def _first_error(stats: dict[str, Any]) -> str:
    statuses = sorted(k.rsplit("/", 1)[-1] for k in stats if k.startswith("downloader/response_status_count/5"))
    exceptions = sorted(k.rsplit("/", 1)[-1] for k in stats if k.startswith(("spider_exceptions/", "downloader/exception_type_count/")))
    parts = []
    if statuses:
        parts.append("HTTP " + ", ".join(statuses))
    parts += exceptions
    return "; ".join(parts) or "see the crawl log"


class RunRecorder:
    """Writes the run record of the crawling spider."""

    def __init__(self, crawler):
        self.crawler = crawler
        self.run_id: int | None = None
        self.store: Store | None = None
        self.counter: SpiderErrorCounter | None = None

    @classmethod
    def from_crawler(cls, crawler):
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
        previous = next((r.items for r in self.store.runs(spider.name, limit=20) if r.outcome == Outcome.OK), None)
        outcome, why = judge(stats, reason, previous)
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
