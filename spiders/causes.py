"""The Scrapy side of :mod:`pipelines.causes`: middlewares that name each request's final failure."""

from __future__ import annotations

from urllib.parse import urlsplit

from scrapy.exceptions import (
    CannotResolveHostError,
    DownloadConnectionRefusedError,
    DownloadFailedError,
    DownloadTimeoutError,
    IgnoreRequest,
    ResponseDataLossError,
)
from twisted.internet import error as tx

from pipelines.causes import record
from spiders.base import SourceFormatError
from spiders.mirror import original_url

CHALLENGE_MARKERS = (
    (b"cf-chl", "Cloudflare"),
    (b"challenge-platform", "Cloudflare"),
    (b"<title>Just a moment...</title>", "Cloudflare"),
    (b"Attention Required! | Cloudflare", "Cloudflare"),
    (b"sucuri_cloudproxy", "Sucuri"),
    (b"Sucuri WebSite Firewall", "Sucuri"),
    (b"_Incapsula_Resource", "Imperva"),
    (b"ddos-guard", "DDoS-Guard"),
)
"""Byte strings that mark an anti-bot interstitial instead of the page (searched in the first 32 KB)."""
CHALLENGE_HEADERS = ((b"cf-mitigated", b"challenge", "Cloudflare"),)



def _host(url: str) -> str:
    return urlsplit(url).hostname or url


def network_cause(exc: BaseException, url: str, timeout: float | None = None) -> tuple[str, str] | None:
    """(kind, detail) for a download exception, or None when it is not a network failure."""
    host = _host(url)
    if isinstance(exc, (CannotResolveHostError, tx.DNSLookupError)):
        return "dns", f"cannot resolve host {host}"
    if isinstance(exc, (DownloadConnectionRefusedError, tx.ConnectionRefusedError)):
        return "refused", f"connection refused by {host}"
    if isinstance(exc, (DownloadTimeoutError, tx.TimeoutError, TimeoutError)):
        after = f" within {timeout:g} s" if timeout else ""
        return "timeout", f"no answer from {host}{after} (timed out)"
    text = str(exc)
    if "max size" in text or "maxsize" in text:
        return "too_large", f"{url} is larger than the download limit ({text[:120]})"
    if any(word in text for word in ("SSL", "TLS", "certificate", "tlsv1", "handshake")):
        return "tls", f"TLS error with {host}: {text[:160]}"
    if isinstance(exc, (ResponseDataLossError, DownloadFailedError, tx.ConnectionLost, tx.ConnectionDone)):
        return "aborted", f"connection to {host} aborted ({type(exc).__name__})"
    if isinstance(exc, IgnoreRequest) and "robots.txt" in text:
        return "robots", f"robots.txt of {host} disallows {url}"
    return None


def challenge(response) -> str | None:
    """The anti-bot vendor when ``response`` is a challenge page instead of the page asked for."""
    for name, value, vendor in CHALLENGE_HEADERS:
        if value in response.headers.get(name, b"").lower():
            return vendor
    head = response.body[:32768]
    for marker, vendor in CHALLENGE_MARKERS:
        if marker in head:
            return vendor
    return None


SUPPLEMENTARY = "supplementary"
"""Request meta: the page only adds to a call the spider keeps anyway (EU topic details), so its absence
(404, 410) is normal and no cause; a server error or a network failure there still is."""


def _ignored(request) -> bool:
    """Requests whose failure is no cause: robots.txt itself (a missing one is normal)."""
    return urlsplit(original_url(request)).path == "/robots.txt"


class StatsMiddleware:
    """A Scrapy middleware that only needs the crawl's stats (where causes and counts are recorded)."""

    def __init__(self, stats):
        self.stats = stats

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler.stats)


class FailureCauses(StatsMiddleware):
    """Downloader middleware (outermost): records the final failure of each request, after retries."""

    def process_response(self, request, response):
        if _ignored(request):
            return response
        vendor = challenge(response) if response.status in (200, 403, 429, 503) else None
        if vendor:
            record(self.stats, "challenge", f"{vendor} anti-bot page (HTTP {response.status}) at {response.url}")
        elif response.status in (404, 410) and request.meta.get(SUPPLEMENTARY):
            self.stats.inc_value("grantdigest/supplementary_missing")
        elif response.status >= 400:
            wait = response.headers.get("Retry-After")
            later = f" (Retry-After: {wait.decode('latin-1')[:40]})" if wait else ""
            record(self.stats, "http", f"HTTP {response.status} at {response.url}{later}")
        return response

    def process_exception(self, request, exception):
        if _ignored(request):
            return None
        cause = network_cause(exception, original_url(request), request.meta.get("download_timeout"))
        if cause is not None:
            record(self.stats, *cause)
        return None


class RedirectLoops:
    """Downloader middleware just inside the redirect middleware: a redirect past the limit is a named cause."""

    def __init__(self, stats, max_times: int):
        self.stats = stats
        self.max_times = max_times

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler.stats, crawler.settings.getint("REDIRECT_MAX_TIMES"))

    def process_response(self, request, response):
        redirects = request.meta.get("redirect_times", 0)
        if response.status in (301, 302, 303, 307, 308) and redirects >= self.max_times:
            last = original_url(request)
            record(self.stats, "redirect_loop", f"more than {self.max_times} redirects, the last at {last}")
        return response


class FormatCauses(StatsMiddleware):
    """Spider middleware: a callback's :class:`SourceFormatError` (a redesign) is a named cause with its message."""

    def process_spider_exception(self, response, exception):
        if isinstance(exception, SourceFormatError):
            record(self.stats, "format", f"structure changed: {exception}")
        return None
