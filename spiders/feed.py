"""Generic RSS/Atom spider (feedparser): any feed becomes a source by configuration.

Example ``grantdigest.toml`` entry::

    [sources.prostir]
    spider = "feed"
    title = "Prostir.ua: grants"
    language = "uk"
    timezone = "Europe/Kyiv"
    [sources.prostir.options]
    urls = ["https://www.prostir.ua/?feed=rss2&post_type=grants"]
    filter = "calls"      # or "all" when the feed carries nothing but calls
    # optional: leave out entries whose url, title or text matches (tenders mixed into the feed)
    exclude = { url = "[?&]grants=[^&]*tender", text = "(?i)цінов\\w* пропозиц" }

feedparser reads the raw bytes with the response's Content-Type, so declared
and sniffed encodings (windows-1251 is common) are honoured. A feed that
feedparser marks malformed (``bozo``) still yields what it could read, and the
run counts it; a feed with nothing readable is a structure error.
"""

from __future__ import annotations

import calendar
import re
from datetime import UTC, datetime
from urllib.parse import urljoin

import feedparser
from scrapy.http import Response, TextResponse

from spiders.base import SourceFormatError
from spiders.textcall import PostSpider, plain

XML_ENCODING = re.compile(r"""^(\s*<\?xml[^>]*?encoding\s*=\s*)["'][^"']*["']""")
"""The encoding named in an XML declaration (replaced once the body is decoded)."""


class FeedSpider(PostSpider):
    """Entries of one or more RSS/Atom feeds (option ``urls``)."""

    name = "feed"
    generic = True

    async def start(self):
        urls = self.options.get("urls") or [self.options["url"]]
        for url in urls:
            yield self.request(url, callback=self.parse)

    def parse(self, response: Response):
        content_type = response.headers.get("Content-Type", b"").decode("latin-1")
        body = response.body
        if isinstance(response, TextResponse):
            # Decoded as spiders.encoding decided (header, BOM, declaration, detection), handed over as UTF-8.
            body = XML_ENCODING.sub(r'\1"utf-8"', response.text, count=1).encode("utf-8")
            content_type = f"{content_type.split(';')[0].strip() or 'application/xml'}; charset=utf-8"
        parsed = feedparser.parse(
            body, response_headers={"content-type": content_type, "content-location": response.url}
        )
        if parsed.bozo:
            self.count("feed/malformed")
            self.logger.warning(
                "feed %s is malformed (%s); reading what it can", response.url, parsed.get("bozo_exception")
            )
            if not parsed.entries:
                raise SourceFormatError("not a readable feed", response.url, parsed.get("bozo_exception"))
        if not parsed.get("version") and not parsed.entries:
            raise SourceFormatError("not an RSS or Atom feed", response.url, response.text[:120])
        if not parsed.entries:
            self.cause("empty_feed", f"the feed at {response.url} holds no entries")
        yield from self.each_record(parsed.entries, lambda entry: self.entry_call(entry, response.url), response.url)

    def entry_call(self, entry, feed_url: str):
        link = urljoin(feed_url, entry.get("link") or "")
        if not link.startswith(("http://", "https://")) or link == feed_url:
            self.count("feed/entry_without_link")
            return None
        body = entry.get("content", [{}])[0].get("value") or entry.get("summary") or ""
        published, published_raw = _entry_date(entry, "published"), entry.get("published")
        if published is None:
            published, published_raw = _entry_date(entry, "updated"), entry.get("updated")
        return self.post_call(
            native_id=entry.get("id") or link,
            title=plain(entry.get("title")),
            url=link,
            text=plain(body),
            categories=[t.get("term", "") for t in entry.get("tags", [])],
            published_at=published,
            published_at_raw=published_raw,
        )


def _entry_date(entry, key: str) -> datetime | None:
    """feedparser's parsed date (a UTC struct_time) as an aware datetime."""
    parsed = entry.get(f"{key}_parsed")
    return datetime.fromtimestamp(calendar.timegm(parsed), UTC) if parsed else None
