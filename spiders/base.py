"""Base class of every grantdigest spider: its source config and how it builds a call."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import scrapy

from calls.config import Config, SourceConfig, load_config
from calls.schema import TITLE_MAX, Call, clip_title, make_uid, salvage
from pipelines import causes


class SourceFormatError(Exception):
    """A source answered, but not in the structure its spider expects (site redesigned, API changed)."""

    def __init__(self, message: str, url: str, value: Any = None):
        self.url = url
        self.value = value
        shown = repr(value)[:200] if value is not None else ""
        super().__init__(f"{message} at {url}" + (f": {shown}" if shown else ""))


def json_body(response, what: str) -> Any:
    """The response's JSON document, or :class:`SourceFormatError` saying ``what`` answered something else."""
    try:
        return json.loads(response.text)
    except ValueError as exc:
        raise SourceFormatError(
            f"{what} answered with invalid JSON ({exc})", response.url, response.text[:200]
        ) from None


class SourceSpider(scrapy.Spider):
    """A spider bound to one configured source (``self.source``).

    ``generic = True`` marks a configurable spider (feed, wordpress, listing)
    that only runs under the name of a source configured to use it.
    """

    generic = False
    source: SourceConfig
    config: Config | None = None

    @classmethod
    def from_crawler(cls, crawler, *args, **kwargs):
        spider = super().from_crawler(crawler, *args, **kwargs)
        spider.config = config = load_config(crawler.settings.get("GRANTDIGEST_CONFIG"))
        spider.source = config.sources.get(spider.name) or SourceConfig(slug=spider.name, spider=spider.name)
        return spider

    @property
    def options(self) -> dict[str, Any]:
        return self.source.options

    def request(self, url: str, **kwargs) -> scrapy.Request:
        """A request with this source's timeout and retry budget."""
        meta = {
            "max_retry_times": self.source.retries, "download_timeout": self.source.timeout, **kwargs.pop("meta", {})
        }
        return scrapy.Request(url, meta=meta, **kwargs)

    def count(self, key: str, n: int = 1) -> None:
        """Increment a crawl stat (a no-op when parsing outside a crawl)."""
        crawler = getattr(self, "crawler", None)
        if crawler is not None and crawler.stats is not None:
            crawler.stats.inc_value(key, n)

    def cause(self, kind: str, detail: str) -> None:
        """Record a named failure cause (:mod:`pipelines.causes`) for this run (a no-op outside a crawl)."""
        crawler = getattr(self, "crawler", None)
        if crawler is not None and crawler.stats is not None:
            causes.record(crawler.stats, kind, detail)

    def each_record(self, records: Iterable[Any], parse: Callable[[Any], Any], where: str) -> Iterator[Any]:
        """``parse`` applied to each record, one at a time; its results (a call, a request, None or several).

        A record that raises is a counted drop (``grantdigest/records_dropped``) with its reason as a named
        cause (``bad_record``): a null, a number as a string or a list where an object was expected costs that
        record only, never the other records of the page.
        """
        for record in records:
            try:
                out = parse(record)
                results = list(out) if isinstance(out, Iterator) else [out]
            except Exception as exc:  # noqa: BLE001 — one bad record must never cost its neighbours
                self.count("grantdigest/records_dropped")
                self.cause("bad_record", f"a record at {where} could not be read ({type(exc).__name__}: "
                                         f"{' '.join(str(exc).split())[:160]})")
                self.logger.warning("a record at %s left out: %s: %s", where, type(exc).__name__, exc)
                continue
            yield from (r for r in results if r is not None)

    def make_call(self, native_id: str, **fields: Any) -> Call:
        """A :class:`Call` of this source with its defaults (language, funder, programme) filled in.

        The boundary where scraped values meet the schema's bounds: an over-long title is cut at
        ``TITLE_MAX``; an optional field the schema refuses (an amount of 10^28, a negative budget, a date
        in the year 9999) is dropped with a warning and counted (``grantdigest/field_dropped/<field>``), so
        one misread value never costs the call. A call that is still invalid raises ``ValidationError``.
        """
        fields.setdefault("language", self.source.languages[0] if self.source.languages else None)
        fields.setdefault("funder", self.source.funder)
        fields.setdefault("programme_id", self.source.programme_id)
        title = fields.get("title")
        if isinstance(title, str) and len(title) > TITLE_MAX:
            fields["title"] = clip_title(title)
            self.count("grantdigest/title_cut")
        call, dropped = salvage({"uid": make_uid(self.name, native_id), "source": self.name, "native_id": native_id,
                                 **fields})
        for name in dropped:
            self.logger.warning("%s: %s dropped, the schema refuses %r", native_id, name, repr(fields[name])[:80])
            self.count(f"grantdigest/field_dropped/{name}")
        return call

    @classmethod
    def for_source(cls, source: SourceConfig, **kwargs) -> SourceSpider:
        """An instance outside a crawl, for parsing saved responses in tests and probes."""
        spider = cls(**kwargs)
        spider.source = source
        return spider

