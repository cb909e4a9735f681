"""Only the web, only where expected: what a crawl may fetch, from where, and how much.

- :class:`OnlyTheWeb` refuses any URL that is not http or https (a scraped ``file:///dev/zero``,
  ``ftp://``, ``data:`` link is never fetched; the editor's own manual file is the one exception) and a
  redirect to another host, unless the source's ``redirect_hosts`` option names it; each refusal is a
  named cause (:mod:`pipelines.causes`).
- :class:`RetryAfter` honours a 429/503's ``Retry-After`` up to :data:`MAX_WAIT` seconds before the
  retry; a longer one is not retried at all, and its reason says when to come back.
- :class:`BoundedDecompression` names a decompression bomb (a body past ``DOWNLOAD_MAXSIZE`` once
  decompressed) as a cause instead of dropping it silently. Plain bodies past the limit are cut by
  Scrapy's downloader and named by :mod:`spiders.causes`.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from urllib.parse import urlsplit

from scrapy.downloadermiddlewares.httpcompression import HttpCompressionMiddleware
from scrapy.exceptions import IgnoreRequest

from pipelines.causes import record
from spiders.mirror import original_redirects, original_url

WEB = ("http", "https")
LOCAL_FILE = "local_file"
"""Request meta set only by the manual spider for the editor's configured file; a scraped link never has it."""
ROBOTS_TIMEOUT = 10.0
"""Seconds a robots.txt may take (at most; less when the source's own timeout is shorter), never retried."""
MAX_WAIT = 60.0
"""Seconds a crawl waits for a ``Retry-After`` before retrying; past it the request is not retried."""


def same_site(a: str, b: str) -> bool:
    """Hosts that are one site: equal, or equal but for a leading ``www.``."""
    return a.removeprefix("www.") == b.removeprefix("www.")


class OnlyTheWeb:
    """Downloader middleware (first of all): http(s) only, no redirect to another host unless allowed."""

    def __init__(self, crawler):
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def allowed_hosts(self) -> tuple[str, ...]:
        spider = self.crawler.spider
        source = getattr(spider, "source", None)
        return tuple((source.options.get("redirect_hosts") if source else None) or ())

    def process_request(self, request):
        url = original_url(request)
        parts = urlsplit(url)
        scheme = parts.scheme.lower()
        if parts.path == "/robots.txt" and "download_timeout" not in request.meta:
            # Scrapy asks for robots.txt with the global timeout and retries; a hanging one waits the source's.
            source = getattr(self.crawler.spider, "source", None)
            request.meta["download_timeout"] = min(source.timeout, ROBOTS_TIMEOUT) if source else ROBOTS_TIMEOUT
            request.meta.setdefault("max_retry_times", 0)
        if scheme == "file" and request.meta.get(LOCAL_FILE) and not original_redirects(request):
            return None
        if scheme not in WEB:
            record(self.crawler.stats, "blocked_scheme", f"refused to fetch a {scheme or 'relative'}: URL ({url[:80]})")
            raise IgnoreRequest(f"only http and https are fetched, not {url[:80]}")
        hops = original_redirects(request)
        if hops:
            first, here = urlsplit(hops[0]).hostname or "", urlsplit(url).hostname or ""
            if not same_site(first, here) and not any(same_site(here, h) for h in self.allowed_hosts()):
                record(self.crawler.stats, "offsite_redirect",
                       f"{hops[0]} redirects to another host, {here} (allow it with the source's redirect_hosts)")
                raise IgnoreRequest(f"redirect from {first} to {here} not allowed")
        return None


def retry_after_seconds(value: bytes | str | None, now: datetime | None = None) -> float | None:
    """Seconds a ``Retry-After`` header asks to wait (delta-seconds or an HTTP date), or None."""
    if not value:
        return None
    text = value.decode("latin-1") if isinstance(value, bytes) else value
    text = text.strip()
    if text.isdigit():
        return float(text)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


class RetryAfter:
    """Downloader middleware just outside the retry middleware: waits as asked, within reason."""

    def __init__(self, max_wait: float):
        self.max_wait = max_wait

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler.settings.getfloat("GRANTDIGEST_RETRY_AFTER_MAX", MAX_WAIT))

    async def process_response(self, request, response):
        if response.status not in (429, 503):
            return response
        wait = retry_after_seconds(response.headers.get("Retry-After"))
        if wait is None:
            return response
        if wait > self.max_wait:
            request.meta["dont_retry"] = True  # asked to come back later: retrying now would only hammer it
        elif not request.meta.get("dont_retry"):
            await asyncio.sleep(wait)
        return response


class BoundedDecompression(HttpCompressionMiddleware):
    """Scrapy's decompression, with a body past ``DOWNLOAD_MAXSIZE`` once decompressed named as a cause."""

    @classmethod
    def from_crawler(cls, crawler):
        middleware = super().from_crawler(crawler)
        middleware.crawler = crawler
        return middleware

    def process_response(self, request, response, spider=None):
        try:
            return super().process_response(request, response)
        except IgnoreRequest:
            record(self.crawler.stats, "too_large",
                   f"{original_url(request)} decompresses past the download limit (a decompression bomb?)")
            raise
