"""The mirror: replay any site from a local server, transparently (DESIGN §4).

With ``MIRROR = "http://127.0.0.1:8000"`` a request for
``https://host/path?query`` is fetched from ``http://127.0.0.1:8000/host/path?query``,
and the response handed to the spider carries the original URL again. No spider
knows; tests and offline replays rely on it.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from scrapy import Request
from scrapy.http import Response

from calls.config import load_config

_META = "mirror_scheme"
ORIGINAL = "mirror_original"
"""Request meta: the URL a mirrored request stands for."""


_HOPS = "mirror_redirected_from"


def original_url(request: Request) -> str:
    """The URL the request stands for, whether or not it goes through the mirror."""
    return request.meta.get(ORIGINAL, request.url)


def original_redirects(request: Request) -> list[str]:
    """The URLs that redirected to this request, oldest first, as the spider asked for them."""
    if ORIGINAL in request.meta:
        return list(request.meta.get(_HOPS, []))
    return list(request.meta.get("redirect_urls", []))


def to_mirror(mirror: str, url: str) -> str:
    """``scheme://host/path?query`` → ``MIRROR/host/path?query``."""
    parts = urlsplit(url)
    query = f"?{parts.query}" if parts.query else ""
    return f"{mirror}/{parts.netloc}{parts.path or '/'}{query}"


def from_mirror(mirror: str, url: str, scheme: str) -> str:
    """Inverse of :func:`to_mirror` for a URL under the mirror."""
    return f"{scheme}://{url[len(mirror) + 1:]}"


class MirrorMiddleware:
    """Downloader middleware that rewrites requests to the mirror and responses back."""

    def __init__(self, mirror: str | None):
        self.mirror = mirror.rstrip("/") if mirror else None

    @classmethod
    def from_crawler(cls, crawler):
        mirror = crawler.settings.get("MIRROR")
        if not mirror:
            mirror = load_config(crawler.settings.get("GRANTDIGEST_CONFIG")).mirror
        return cls(mirror)

    def process_request(self, request: Request) -> Request | None:
        scheme = urlsplit(request.url).scheme
        if not self.mirror or scheme not in ("http", "https") or request.url.startswith(self.mirror + "/"):
            return None  # file: and data: URLs are local already
        meta = {**request.meta, _META: scheme, ORIGINAL: request.url, "dont_obey_robotstxt": True}
        if ORIGINAL in request.meta and "redirect_urls" in request.meta:  # a redirect of a mirrored request
            meta[_HOPS] = [*request.meta.get(_HOPS, []), request.meta[ORIGINAL]]
        return request.replace(url=to_mirror(self.mirror, request.url), meta=meta, dont_filter=True)

    def process_response(self, request: Request, response: Response) -> Response:
        scheme = request.meta.get(_META)
        if not self.mirror or not scheme or not response.url.startswith(self.mirror + "/"):
            return response
        return response.replace(url=from_mirror(self.mirror, response.url, scheme))
