"""One run record per source per crawl (start, end, items, errors, outcome).

A Scrapy extension: it opens the record when the spider opens and closes it
with the crawl's stats, judging the outcome so that a broken source is visible
(``grantdigest sources``) instead of silently contributing nothing.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from scrapy import signals

from calls.store import Outcome, Store
from pipelines.store import crawl_clock, crawler_store


def judge(stats: dict[str, Any], finish_reason: str, previous_items: int | None) -> tuple[Outcome, str | None]:
    """The outcome of a run from its stats, and the reason when it is not plainly ok.

    ``previous_items`` is what the last successful run of the source found.
    """
    items = stats.get("item_scraped_count", 0)
    errors = stats.get("log_count/ERROR", 0)
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

    @classmethod
    def from_crawler(cls, crawler):
        ext = cls(crawler)
        crawler.signals.connect(ext.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(ext.spider_closed, signal=signals.spider_closed)
        return ext

    def spider_opened(self, spider) -> None:
        self.store = crawler_store(self.crawler)
        self.run_id = self.store.start_run(spider.name, crawl_clock(self.crawler))

    def spider_closed(self, spider, reason: str) -> None:
        if self.store is None or self.run_id is None:
            return
        stats = self.crawler.stats.get_stats()
        previous = next((r.items for r in self.store.runs(spider.name, limit=20) if r.outcome == Outcome.OK), None)
        outcome, why = judge(stats, reason, previous)
        self.store.finish_run(
            self.run_id,
            items=stats.get("item_scraped_count", 0),
            invalid=stats.get("grantdigest/invalid", 0),
            errors=stats.get("log_count/ERROR", 0),
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
