"""Store pipeline: upsert every call by uid, record where it was seen and what changed."""

from __future__ import annotations

from datetime import UTC, datetime

from calls.config import load_config
from calls.schema import Call, Provenance
from calls.store import Store, UpsertResult
from pipelines.changes import events_for


def crawler_store(crawler) -> Store:
    """The store of this crawl, opened once and shared by the pipelines and the run recorder."""
    store = getattr(crawler, "_grantdigest_store", None)
    if store is None:
        config = load_config(crawler.settings.get("GRANTDIGEST_CONFIG"))
        store = Store.open(crawler.settings.get("DATABASE_URL") or config.database_url)
        crawler._grantdigest_store = store
    return store


def crawl_clock(crawler) -> datetime:
    """The one "now" of this crawl: every call it stores is seen at this instant, and its run starts then."""
    started = getattr(crawler, "_grantdigest_started", None)
    if started is None:
        started = crawler._grantdigest_started = datetime.now(UTC)
    return started


class StorePipeline:
    """Last pipeline: writes each call, keeping first_seen and moving last_seen."""

    def __init__(self, store: Store, stats=None, seen_at: datetime | None = None):
        self.store = store
        self.stats = stats
        self.seen_at = seen_at or datetime.now(UTC)

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler_store(crawler), crawler.stats, crawl_clock(crawler))

    def process_item(self, item: Call) -> Call:
        if not item.provenance:
            item = item.model_copy(
                update={"provenance": [
                    Provenance(source=item.source, native_id=item.native_id, url=item.url, seen_at=self.seen_at)
                ]}
            )
        upserted = self.store.upsert(item, self.seen_at, on_change=events_for)
        if self.stats is not None:
            self.stats.inc_value(f"grantdigest/stored/{upserted.result.value}")
        return upserted.stored


__all__ = ["StorePipeline", "UpsertResult", "crawler_store"]
