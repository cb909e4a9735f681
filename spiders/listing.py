"""Generic HTML listing spider: a list page → detail pages, fields by CSS or XPath selectors.

Example ``grantdigest.toml`` entry (a ministry's "konkursi" page)::

    [sources.vojvodina-konkursi]
    spider = "listing"
    languages = ["sr-Latn"]
    timezone = "Europe/Belgrade"
    verified = false
    [sources.vojvodina-konkursi.options]
    urls = ["https://www.example.vojvodina.gov.rs/konkursi/"]
    item = "div.konkurs"               # one per announcement on the list page (must match)
    link = "a::attr(href)"             # inside an item (must match)
    title = "h3"                       # inside an item (optional; the detail title wins)
    date = "span.datum"                # inside an item (optional): publication date
    next_page = "a.next::attr(href)"   # optional pagination
    max_pages = 3
    # optional: keep only items whose selector text matches a regular expression
    # (an aggregator's badge: "Грант" but not "Вакансія")
    item_filter = { selector = "span.badge", pattern = "^Грант" }
    # or a list of such filters, every one of which must match (a country cell and a process cell)
    [sources.vojvodina-konkursi.options.detail]
    title = "h1"                       # on the detail page (must match)
    body = "div.content"               # its text is searched for deadlines, money, applicants (must match)
    deadline = "xpath://dt[normalize-space()='Rok']/following-sibling::dd[1]"   # optional explicit field
    opening = ""                       # optional explicit field
    original = "a.source::attr(href)"  # optional: the original publisher's page (aggregators)

A selector is CSS unless it starts with ``xpath:``; a selector naming an
element yields that element's text, one ending in ``::attr(x)`` the attribute.
Selectors marked "must match" raise :class:`SourceFormatError` when a page no
longer matches them (a redesign is loud, never a silent empty crawl). Set
``follow = false`` to read everything from the list page alone.
"""

from __future__ import annotations

import re
from urllib.parse import urljoin

from parsel import Selector, SelectorList
from scrapy.http import Response

from calls.extract.dates import parse_date, parse_deadline
from calls.text import clean_text
from spiders.base import SourceFormatError
from spiders.textcall import PostSpider


class ListingSpider(PostSpider):
    """List page(s) of announcements, each followed to its detail page."""

    name = "listing"
    generic = True

    async def start(self):
        for url in self.options.get("urls") or [self.options["url"]]:
            yield self.request(url, callback=self.parse, cb_kwargs={"page": 1})

    @property
    def detail(self) -> dict[str, str]:
        return self.options.get("detail", {})

    def parse(self, response: Response, page: int = 1):
        items = select(response, self.options["item"])
        if not items:
            raise SourceFormatError(f"list selector {self.options['item']!r} matched nothing", response.url)
        keep = self.options.get("item_filter") or []
        filters = [(f["selector"], re.compile(f["pattern"])) for f in ([keep] if isinstance(keep, dict) else keep)]
        for item in items:
            if not all(pattern.search(first_text(item, selector)) for selector, pattern in filters):
                self.count("listing/filtered_out")
                continue
            link = first_text(item, self.options.get("link", "a::attr(href)"))
            if not link:
                raise SourceFormatError(
                    f"link selector {self.options.get('link')!r} matched nothing in an item",
                    response.url,
                    item.get()[:200],
                )
            url = urljoin(response.url, link)
            listed = {
                "title": first_text(item, self.options["title"]) if self.options.get("title") else "",
                "date": first_text(item, self.options["date"]) if self.options.get("date") else "",
            }
            if self.options.get("follow", True):
                yield self.request(url, callback=self.parse_detail, cb_kwargs={"listed": listed},
                                   errback=self.detail_failed)
            else:
                call = self.listed_call(url, listed, all_text(item))
                if call is not None:
                    yield call
        next_selector = self.options.get("next_page")
        if next_selector and page < int(self.options.get("max_pages", 3)):
            next_link = first_text(response, next_selector)
            if next_link:
                yield self.request(urljoin(response.url, next_link), callback=self.parse, cb_kwargs={"page": page + 1})

    def parse_detail(self, response: Response, listed: dict[str, str]):
        detail = self.detail
        title = first_text(response, detail["title"]) if detail.get("title") else ""
        if detail.get("title") and not title:
            raise SourceFormatError(f"detail title selector {detail['title']!r} matched nothing", response.url)
        body_nodes = select(response, detail["body"]) if detail.get("body") else select(response, "body")
        if not body_nodes:
            raise SourceFormatError(f"detail body selector {detail.get('body')!r} matched nothing", response.url)
        text = "\n".join(all_text(node) for node in body_nodes)
        call = self.listed_call(response.url, {**listed, "title": title or listed["title"]}, text, response)
        if call is not None:
            yield call

    def listed_call(self, url: str, listed: dict[str, str], text: str, response: Response | None = None):
        zone = self.source.zone
        fields = {}
        if listed.get("date"):
            fields["published_at"] = parse_date(listed["date"], zone, end_of_day=False)
            fields["published_at_raw"] = listed["date"]
        call = self.post_call(native_id=url, title=listed.get("title", ""), url=url, text=text, **fields)
        if call is None or response is None:
            return call
        return self.explicit_dates(call, response)

    def explicit_dates(self, call, response: Response):
        """Deadline and opening read from their own selectors win over what the text search found."""
        update = {}
        if selector := self.detail.get("deadline"):
            raw = first_text(response, selector)
            if raw:
                update["deadlines"] = [parse_deadline(raw, self.source.zone)]
        if selector := self.detail.get("opening"):
            raw = first_text(response, selector)
            if raw:
                update["opens_at"] = parse_date(raw, self.source.zone, end_of_day=False)
                update["opens_at_raw"] = raw
        if selector := self.detail.get("original"):
            original = urljoin(response.url, first_text(response, selector))
            if original.startswith(("http://", "https://")) and original != response.url:
                update["original_url"] = original
        return call.model_copy(update=update) if update else call

    def detail_failed(self, failure):
        self.count("listing/detail_failed")
        self.logger.error("detail page failed: %s (%s)", failure.request.url, failure.value)


def select(node: Selector | Response, selector: str) -> SelectorList:
    """CSS, or XPath after an ``xpath:`` prefix."""
    if selector.startswith("xpath:"):
        return node.xpath(selector[len("xpath:"):])
    return node.css(selector)


def first_text(node: Selector | Response, selector: str) -> str:
    """Text of the first match: an attribute or text selection as is, an element's whole text."""
    matches = select(node, selector)
    if not matches:
        return ""
    match = matches[0]
    # Attribute and text selections have string roots; elements give their whole text.
    value = match.get() if isinstance(match.root, str) else all_text(match)
    return clean_text(value)


def all_text(node: Selector) -> str:
    """An element's visible text (scripts and styles left out), one line per text node."""
    parts = node.xpath(".//text()[not(ancestor::script or ancestor::style or ancestor::noscript)]").getall()
    lines = (clean_text(p) for p in parts)
    return "\n".join(line for line in lines if line)
