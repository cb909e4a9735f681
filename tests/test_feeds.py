"""Feeds (Atom, RSS, JSON Feed): validated against their specs, not just parsed; scraped XSS stays inert in every
output. The exports (iCalendar, CSV, JSON): tests/test_exports.py; the sample calls: tests/feed_samples.py."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from html.parser import HTMLParser
from pathlib import Path

import pytest
from defusedxml import ElementTree as SafeET
from feed_samples import META, NOW, VISIBLE, XSS_TITLE, sample_items
from jsonschema import Draft202012Validator, FormatChecker

from calls.urls import safe_url
from digest import feeds
from digest.feeds import FeedItem, FeedMeta, entry_id

A = "{http://www.w3.org/2005/Atom}"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
RFC3339 = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})\Z")
RFC822 = re.compile(
    r"(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) "
    r"\d{4} \d{2}:\d{2}:\d{2} (GMT|UT|[+-]\d{4})\Z"
)
IRI = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:\S+\Z")
HTTP = re.compile(r"https?://\S+\Z")
JSONFEED_SCHEMA = json.loads((Path(__file__).parent / "schemas" / "jsonfeed-1.1.schema.json").read_text("utf-8"))


# --- spec checkers ---------------------------------------------------------------------------


def _rfc3339_ok(text: str | None) -> bool:
    if not text or not RFC3339.match(text):
        return False
    return datetime.fromisoformat(text.replace("Z", "+00:00")).tzinfo is not None


def _count(parent, tag: str) -> int:
    return len(parent.findall(tag))


def _text_construct_problems(node, where: str) -> list[str]:
    kind = node.get("type", "text")
    if kind not in ("text", "html", "xhtml"):
        return [f"{where}: bad type {kind!r}"]
    if kind == "text" and len(node):
        return [f"{where}: type=text has child elements"]
    return []


def _link_problems(parent, where: str) -> list[str]:
    problems, alternates = [], set()
    for link in parent.findall(A + "link"):
        if not link.get("href"):
            problems.append(f"{where}: atom:link without href")
        if link.get("rel", "alternate") == "alternate":
            key = (link.get("type"), link.get("hreflang"))
            if key in alternates:
                problems.append(f"{where}: two alternate links with type/hreflang {key}")
            alternates.add(key)
    return problems


def atom_problems(root) -> list[str]:
    """RFC 4287 §4.1.1 (atom:feed) and §4.1.2 (atom:entry) requirements, and §3.3 dates."""
    if root.tag != A + "feed":
        return [f"root is {root.tag}, not atom:feed"]
    problems = []
    for name in ("id", "title", "updated"):
        if _count(root, A + name) != 1:
            problems.append(f"feed: needs exactly one atom:{name}")
    for name in ("generator", "icon", "logo", "rights", "subtitle"):
        if _count(root, A + name) > 1:
            problems.append(f"feed: more than one atom:{name}")
    if not IRI.match(root.findtext(A + "id") or ""):
        problems.append("feed: atom:id is not an IRI")
    if not _rfc3339_ok(root.findtext(A + "updated")):
        problems.append("feed: atom:updated is not RFC 3339")
    if [link.get("rel") for link in root.findall(A + "link")].count("self") != 1:
        problems.append("feed: should have one rel=self link")
    problems += _link_problems(root, "feed")
    problems += _text_construct_problems(root.find(A + "title"), "feed title")
    feed_has_author = root.find(A + "author") is not None
    if feed_has_author and not root.findtext(f"{A}author/{A}name"):
        problems.append("feed: atom:author without atom:name")
    ids = []
    for n, entry in enumerate(root.findall(A + "entry")):
        where = f"entry {n}"
        for name in ("id", "title", "updated"):
            if _count(entry, A + name) != 1:
                problems.append(f"{where}: needs exactly one atom:{name}")
        for name in ("content", "published", "rights", "source", "summary"):
            if _count(entry, A + name) > 1:
                problems.append(f"{where}: more than one atom:{name}")
        ids.append(entry.findtext(A + "id"))
        if not IRI.match(ids[-1] or ""):
            problems.append(f"{where}: atom:id is not an IRI")
        for name in ("updated", "published"):
            value = entry.findtext(A + name)
            if value is not None and not _rfc3339_ok(value):
                problems.append(f"{where}: atom:{name} {value!r} is not RFC 3339")
        if not feed_has_author and entry.find(A + "author") is None:
            problems.append(f"{where}: no atom:author in entry or feed")
        rels = [link.get("rel", "alternate") for link in entry.findall(A + "link")]
        if entry.find(A + "content") is None and "alternate" not in rels:
            problems.append(f"{where}: no atom:content and no alternate link")
        problems += _link_problems(entry, where)
        for name in ("title", "summary", "content"):
            node = entry.find(A + name)
            if node is not None:
                problems += _text_construct_problems(node, f"{where} {name}")
        if any(not c.get("term") for c in entry.findall(A + "category")):
            problems.append(f"{where}: atom:category without term")
    if len(set(ids)) != len(ids):
        problems.append("entries share an atom:id")
    return problems


def _rfc822_ok(text: str | None) -> bool:
    return bool(text and RFC822.match(text) and parsedate_to_datetime(text).tzinfo is not None)


def rss_problems(root, feed_url: str) -> list[str]:
    """RSS 2.0 required channel and item elements, RFC 822 dates, guids, atom:link rel=self."""
    if root.tag != "rss" or root.get("version") != "2.0":
        return ["root is not <rss version=\"2.0\">"]
    channels = root.findall("channel")
    if len(channels) != 1:
        return ["rss needs exactly one channel"]
    channel, problems = channels[0], []
    for name in ("title", "link", "description"):
        if _count(channel, name) != 1 or not channel.findtext(name):
            problems.append(f"channel: needs one non-empty <{name}>")
    for name in ("language", "pubDate", "lastBuildDate", "generator", "docs", "ttl", "image"):
        if _count(channel, name) > 1:
            problems.append(f"channel: more than one <{name}>")
    if not HTTP.match(channel.findtext("link") or ""):
        problems.append("channel: link is not an http(s) URL")
    for name in ("pubDate", "lastBuildDate"):
        value = channel.findtext(name)
        if value is not None and not _rfc822_ok(value):
            problems.append(f"channel: {name} {value!r} is not RFC 822")
    selves = [link for link in channel.findall(A + "link") if link.get("rel") == "self"]
    if len(selves) != 1 or selves[0].get("href") != feed_url:
        problems.append("channel: needs one atom:link rel=self pointing at the feed")
    guids = []
    for n, item in enumerate(channel.findall("item")):
        where = f"item {n}"
        if item.find("title") is None and item.find("description") is None:
            problems.append(f"{where}: needs a title or a description")
        for name in ("title", "link", "description", "guid", "pubDate", "source", "comments", "author"):
            if _count(item, name) > 1:
                problems.append(f"{where}: more than one <{name}>")
        link = item.findtext("link")
        if link is not None and not HTTP.match(link):
            problems.append(f"{where}: link {link!r} is not an http(s) URL")
        value = item.findtext("pubDate")
        if value is not None and not _rfc822_ok(value):
            problems.append(f"{where}: pubDate {value!r} is not RFC 822")
        guid = item.find("guid")
        if guid is not None:
            permalink = guid.get("isPermaLink", "true")
            if permalink not in ("true", "false"):
                problems.append(f"{where}: isPermaLink must be true or false")
            if permalink == "true" and not HTTP.match(guid.text or ""):
                problems.append(f"{where}: permalink guid is not a URL")
            guids.append(guid.text)
    if len(set(guids)) != len(guids):
        problems.append("items share a guid")
    return problems


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: set[str] = set()
        self.attrs: list[tuple[str, str | None]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.add(tag)
        self.attrs += attrs


def _html_tags(fragment: str) -> _Tags:
    parser = _Tags()
    parser.feed(fragment)
    parser.close()
    return parser


def _all_outputs(items) -> dict[str, bytes]:
    return {
        "atom": feeds.atom(items, META), "rss": feeds.rss(items, META), "json_feed": feeds.json_feed(items, META),
        "ics": feeds.icalendar(items, META), "csv": feeds.csv_export(items),
        "json": feeds.json_export(items, generated=NOW),
    }


# --- Atom --------------------------------------------------------------------------------------


def test_atom_is_valid_rfc_4287():
    root = SafeET.fromstring(feeds.atom(sample_items(), META))
    assert atom_problems(root) == []
    assert root.get(XML_LANG) == "uk"
    entries = root.findall(A + "entry")
    assert len(entries) == VISIBLE
    assert [e.findtext(A + "updated") for e in entries] == sorted(
        (e.findtext(A + "updated") for e in entries), reverse=True
    )
    first = entries[0]
    assert first.findtext(A + "title") == "Renewable energy communities, two-stage"
    assert first.findtext(A + "id") == entry_id("eu-ftp:HORIZON-CL5-2027-D3-01")
    assert first.findtext(A + "published") == "2026-10-02T04:00:00Z"
    assert first.findtext(A + "updated") == "2026-11-21T08:00:00Z"
    assert [c.get("term") for c in first.findall(A + "category")] == ["energy-efficiency", "research"]
    summary = first.find(A + "summary")
    assert summary.get("type") == "text"
    assert ("Deadline (stage 1): 10 February 2027, 17:00 Brussels time (16:00 UTC) "
            "(as published: 10 February 2027 17:00:00 Brussels time)") in summary.text
    novi_sad = next(e for e in entries if e.findtext(A + "id") == entry_id("vojvodina:ekologija-2026"))
    assert "Deadline: 1 December 2026 (as published: 1. децембар 2026.)" in novi_sad.find(A + "summary").text
    assert "• deadline extended" in summary.text
    by_lang = {e.get(XML_LANG): e.findtext(A + "title") for e in entries}
    assert by_lang["sr-Cyrl"].startswith("Јавни конкурс")
    assert by_lang["sr-Latn"].startswith("Javni konkurs")


def test_atom_entry_id_is_stable_when_a_call_is_updated():
    item = sample_items()[0]
    later = FeedItem(item.call, datetime(2026, 11, 27, tzinfo=UTC))
    before, after = (SafeET.fromstring(feeds.atom([i], META)).find(A + "entry") for i in (item, later))
    assert before.findtext(A + "id") == after.findtext(A + "id")
    assert after.findtext(A + "updated") == "2026-11-27T00:00:00Z"
    assert re.fullmatch(r"urn:uuid:[0-9a-f-]{36}", before.findtext(A + "id"))


def test_atom_empty_feed_is_valid():
    assert atom_problems(SafeET.fromstring(feeds.atom([], META))) == []


def test_atom_checker_catches_violations():
    root = SafeET.fromstring(feeds.atom(sample_items()[:2], META))
    entry = root.find(A + "entry")
    entry.remove(entry.find(A + "updated"))
    entry.remove(entry.find(A + "link"))
    root.find(A + "updated").text = "2026-11-23 09:00:00"
    root.remove(root.find(A + "author"))
    problems = "\n".join(atom_problems(root))
    for expected in ("entry 0: needs exactly one atom:updated", "entry 0: no atom:content and no alternate link",
                     "feed: atom:updated is not RFC 3339", "no atom:author"):
        assert expected in problems


# --- RSS ---------------------------------------------------------------------------------------


def test_rss_is_valid_rss_2():
    root = SafeET.fromstring(feeds.rss(sample_items(), META))
    assert rss_problems(root, META.feed_url) == []
    channel = root.find("channel")
    assert channel.findtext("language") == "uk"
    assert channel.findtext("lastBuildDate") == "Mon, 23 Nov 2026 09:00:00 GMT"
    items = channel.findall("item")
    assert len(items) == VISIBLE
    first = items[0]
    assert first.findtext("pubDate") == "Sat, 21 Nov 2026 08:00:00 GMT"
    assert first.find("guid").get("isPermaLink") == "false"
    tags = _html_tags(first.findtext("description"))
    assert tags.tags == {"p"}


def test_rss_checker_catches_violations():
    root = SafeET.fromstring(feeds.rss(sample_items()[:2], META))
    channel = root.find("channel")
    channel.remove(channel.find("description"))
    channel.find("item/pubDate").text = "2026-11-21T08:00:00Z"
    problems = "\n".join(rss_problems(root, META.feed_url))
    assert "channel: needs one non-empty <description>" in problems
    assert "item 0: pubDate '2026-11-21T08:00:00Z' is not RFC 822" in problems


def test_rss_guid_changes_when_a_call_is_updated():
    item = sample_items()[0]
    later = FeedItem(item.call, datetime(2026, 11, 27, tzinfo=UTC))
    guids = [SafeET.fromstring(feeds.rss([i], META)).findtext("channel/item/guid") for i in (item, item, later)]
    assert guids[0] == guids[1] != guids[2]


# --- JSON Feed ---------------------------------------------------------------------------------


def test_json_feed_validates_against_json_feed_1_1():
    Draft202012Validator.check_schema(JSONFEED_SCHEMA)
    doc = json.loads(feeds.json_feed(sample_items(), META))
    Draft202012Validator(JSONFEED_SCHEMA, format_checker=FormatChecker()).validate(doc)
    assert doc["version"] == "https://jsonfeed.org/version/1.1"
    assert doc["language"] == "uk" and doc["feed_url"] == META.feed_url
    assert len(doc["items"]) == VISIBLE
    horizon = doc["items"][0]
    assert horizon["id"] == entry_id("eu-ftp:HORIZON-CL5-2027-D3-01")
    assert horizon["date_modified"] == "2026-11-21T08:00:00Z"
    assert horizon["tags"] == ["energy-efficiency", "research"]
    extra = horizon["_grantdigest"]
    assert extra["deadline"] == "2027-02-10T17:00:00+01:00"  # the publisher's clock, with its offset
    assert extra["deadlines"][0]["zone"] == "Europe/Brussels" and extra["deadlines"][0]["clock"] == "17:00:00"
    assert [d["label"] for d in extra["deadlines"]] == ["stage 1", "stage 2"]
    assert extra["reasons"] == ["deadline extended"] and extra["budget"] == "81110000"


def test_json_feed_schema_rejects_what_the_spec_forbids():
    validator = Draft202012Validator(JSONFEED_SCHEMA, format_checker=FormatChecker())
    good = {"version": "https://jsonfeed.org/version/1.1", "title": "t", "items": [{"id": "1", "content_text": "x"}]}
    assert validator.is_valid(good)
    assert not validator.is_valid({**good, "items": [{"content_text": "x"}]})  # item without id
    assert not validator.is_valid({**good, "items": [{"id": "1"}]})  # neither content_html nor content_text
    assert not validator.is_valid({k: v for k, v in good.items() if k != "title"})
    assert not validator.is_valid({**good, "items": [{"id": "1", "content_text": "x", "date_modified": "21.11.2026"}]})


# --- untrusted text ---------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["atom", "rss", "json_feed", "ics", "csv", "json"])
def test_no_javascript_or_data_url_survives(name):
    data = _all_outputs(sample_items())[name].lower()
    assert b"javascript:" not in data
    assert b"data:text/html" not in data


@pytest.mark.parametrize("render", [feeds.atom, feeds.rss])
def test_xss_is_escaped_in_xml(render):
    data = render(sample_items(), META)
    assert b"<script" not in data.lower() and b"<img" not in data.lower()
    root = SafeET.fromstring(data)  # well-formed even with a vertical tab in the source text
    tags = {node.tag.rsplit("}", 1)[-1] for node in root.iter()}
    assert not tags & {"script", "img", "a"}
    for node in root.iter():
        assert not any(name.startswith("on") for name in node.attrib)
        href = node.get("href")
        if href is not None:
            assert HTTP.match(href)
        if node.tag in ("link", A + "link") and node.text and node.text.strip():
            assert HTTP.match(node.text)


def test_xss_title_in_atom_is_text_and_link_falls_back_to_the_site():
    root = SafeET.fromstring(feeds.atom(sample_items(), META))
    hostile = next(e for e in root.findall(A + "entry") if e.findtext(A + "title") == XSS_TITLE)
    assert hostile.find(A + "title").get("type") == "text"
    assert [link.get("href") for link in hostile.findall(A + "link")] == [META.site_url]
    assert "\x0b" not in hostile.findtext(A + "summary")


def test_xss_in_rss_description_is_inert_html():
    root = SafeET.fromstring(feeds.rss(sample_items(), META))
    hostile = next(i for i in root.iter("item") if i.findtext("title") == XSS_TITLE)
    assert hostile.find("link") is None
    parsed = _html_tags(hostile.findtext("description"))
    assert parsed.tags == {"p"} and parsed.attrs == []
    assert "&lt;script&gt;alert(6)&lt;/script&gt;" in hostile.findtext("description")


def test_xss_in_json_feed_is_plain_text_and_never_a_raw_tag():
    data = feeds.json_feed(sample_items(), META)
    assert b"<" not in data and b">" not in data
    hostile = next(i for i in json.loads(data)["items"] if i["id"] == entry_id("aggregator:evil-1"))
    assert "url" not in hostile and "external_url" not in hostile and "content_html" not in hostile
    assert hostile["title"] == XSS_TITLE
    assert "<img src=x onerror=alert(3)>" in hostile["content_text"]


def test_withdrawn_calls_are_never_published():
    for name, data in _all_outputs(sample_items()).items():
        assert b"Withdrawn by the editor" not in data, name
        assert b"manual:withdrawn" not in data, name


@pytest.mark.parametrize(("url", "expected"), [
    ("https://loda.gov.ua/news/a?b=1#c", "https://loda.gov.ua/news/a?b=1#c"),
    ("HTTP://Example.org/a b", "http://example.org/a%20b"),
    ("https://www.ekourbapv.vojvodina.gov.rs/конкурси", "https://www.ekourbapv.vojvodina.gov.rs/%D0%BA%D0%BE%D0%BD%D0%BA%D1%83%D1%80%D1%81%D0%B8"),
    ("https://гранти.укр/x", "https://xn--80afqtno.xn--j1amh/x"),
    ("https://gov.ua@evil.example/", "https://evil.example/"),
    ('https://example.org/"onmouseover="alert(1)', "https://example.org/%22onmouseover=%22alert(1)"),
    ("javascript:alert(1)", None),
    (" JaVaScRiPt:alert(1)", None),
    ("java\tscript:alert(1)", None),
    ("data:text/html,<script>", None),
    ("//example.org/x", None),
    ("/relative", None),
    ("https://example.org:99999/", None),
    ("", None),
    (None, None),
])
def test_safe_url(url, expected):
    assert safe_url(url) == expected


def test_feed_meta_rejects_unsafe_urls_and_naive_times():
    with pytest.raises(ValueError):
        FeedMeta(title="t", feed_url="javascript:alert(1)", site_url="https://a.example/", language="en",
                 id="tag:a.example,2026:x", updated=NOW)
    with pytest.raises(ValueError):
        FeedMeta(title="t", feed_url="https://a.example/f", site_url="https://a.example/", language="en",
                 id="not an iri", updated=NOW)
    with pytest.raises(ValueError):
        FeedMeta(title="t", feed_url="https://a.example/f", site_url="https://a.example/", language="uk\"><x",
                 id="tag:a.example,2026:x", updated=NOW)
    with pytest.raises(ValueError):
        FeedItem(sample_items()[0].call, datetime(2026, 1, 1))
