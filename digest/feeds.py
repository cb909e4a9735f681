"""Feeds and exports of selected calls (DESIGN §7): Atom, RSS 2.0, JSON Feed, iCalendar, CSV, JSON.

Pure renderers: each takes :class:`FeedItem` objects (a call plus when it last changed
for readers) and returns the document as bytes; selecting, ordering for a region and
writing files are the caller's job. Rules shared by every format:

- scraped text is untrusted: XML is built with :mod:`xml.etree` (escaped by the
  serialiser), RSS descriptions (HTML by the spec) are HTML-escaped once more, JSON
  escapes ``<``, ``>`` and ``&``; characters XML forbids are dropped everywhere;
- only absolute http(s) URLs become links (:func:`safe_url`); anything else is dropped;
- withdrawn calls are never published;
- entry ids are stable per call uid (:func:`entry_id`); feeds list the most recently
  updated item first, exports keep the caller's order.
"""

from __future__ import annotations

import html
import io
import json
import re
import uuid
import xml.etree.ElementTree as ET
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime

import icalendar as ical

from calls import deadlines
from calls.schema import Call, Deadline, Status
from calls.text import XML_FORBIDDEN
from calls.urls import safe_url
from digest.csvfile import write_rows
from digest.deadlines import say as say_deadline

ATOM_NS = "http://www.w3.org/2005/Atom"
FEED_LANGUAGE = "en"
"""Feeds and exports are read by machines and by readers of every language: their own words are English."""
JSON_FEED_VERSION = "https://jsonfeed.org/version/1.1"
GENERATOR = "grantdigest"
ENTRY_NAMESPACE = uuid.UUID("6f1d5a3e-4b8c-5e2a-9d7f-0c3b8a1e2f47")
"""Namespace of the name-based (v5) UUIDs behind :func:`entry_id`; never change it."""

CSV_COLUMNS = (
    "uid", "title", "language", "url", "programme", "funder", "kind", "status", "call_id",
    "opens_on", "next_deadline", "final_deadline", "deadline_zone", "deadlines",
    "budget", "grant_min", "grant_max", "currency", "applicant_types", "themes",
    "summary", "reasons", "updated_utc", "first_seen_utc",
)
"""Stable CSV columns. Deadlines are as published (:mod:`calls.deadlines`): ``YYYY-MM-DD`` for a date (that whole
day), ``YYYY-MM-DD HH:MM`` on the publisher's clock for a time, whose zone is ``deadline_zone`` (an IANA name);
``opens_on`` is the opening day; ``deadlines`` is ``label: value zone (raw text)`` joined by `` | `` (``?`` for an
unparsed one). Our own timestamps (``updated_utc``, ``first_seen_utc``) are UTC ``YYYY-MM-DD HH:MM``. List
columns are joined by ``; ``; amounts are plain decimals in ``currency``; ``reasons`` are the item's reasons."""

_LANG = re.compile(r"[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*\Z")
_JSON_ESCAPES = {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "\u2028": "\\u2028", "\u2029": "\\u2029"}


@dataclass(frozen=True)
class FeedItem:
    """One call as a feed shows it."""

    call: Call
    updated: datetime
    """When the item last changed for readers (new, deadline moved…); an updated call reappears as updated."""
    reasons: tuple[str, ...] = ()
    """Optional per-region reasons shown with the call."""

    def __post_init__(self) -> None:
        if self.updated.utcoffset() is None:
            raise ValueError(f"FeedItem.updated must be timezone-aware, got {self.updated!r}")


@dataclass(frozen=True)
class FeedMeta:
    """What a feed says about itself. ``id`` is a permanent IRI (``tag:`` or ``urn:uuid:``)."""

    title: str
    feed_url: str
    site_url: str
    language: str
    id: str
    updated: datetime
    description: str = ""
    author: str = GENERATOR

    def __post_init__(self) -> None:
        if safe_url(self.feed_url) != self.feed_url or safe_url(self.site_url) != self.site_url:
            raise ValueError(f"feed_url and site_url must be plain http(s) URLs: {self.feed_url!r}, {self.site_url!r}")
        if not _LANG.match(self.language):
            raise ValueError(f"feed language must be a BCP 47 tag, got {self.language!r}")
        if not re.match(r"[A-Za-z][A-Za-z0-9+.-]*:\S+\Z", self.id):
            raise ValueError(f"feed id must be an absolute IRI, got {self.id!r}")
        if self.updated.utcoffset() is None:
            raise ValueError(f"FeedMeta.updated must be timezone-aware, got {self.updated!r}")


# --- shared helpers -------------------------------------------------------------------


def entry_id(uid: str) -> str:
    """The feed entry id of a call: ``urn:uuid:`` of a v5 UUID of its uid, stable forever."""
    return f"urn:uuid:{uuid.uuid5(ENTRY_NAMESPACE, uid)}"


def rfc3339(moment: datetime) -> str:
    """``2027-03-15T16:00:00Z``: RFC 3339 in UTC, whole seconds."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _rfc822(moment: datetime) -> str:
    return format_datetime(moment.astimezone(UTC), usegmt=True)


def _text(value: str | None) -> str:
    """``value`` without the characters XML 1.0 forbids (they also break iCalendar and CSV readers)."""
    return XML_FORBIDDEN.sub("", value) if value else ""


def _lang(tag: str | None) -> str | None:
    return tag if tag and _LANG.match(tag) else None


def _visible(items: Iterable[FeedItem]) -> list[FeedItem]:
    return [item for item in items if item.call.status is not Status.WITHDRAWN]


def _newest_first(items: Iterable[FeedItem]) -> list[FeedItem]:
    ordered = sorted(_visible(items), key=lambda item: item.call.uid)
    return sorted(ordered, key=lambda item: item.updated, reverse=True)


def _title(call: Call) -> str:
    return _text(call.title) or _text(call.call_id) or _text(call.uid)


def _link(call: Call) -> str | None:
    """The page a reader should open: the call's url, else its original, else a source page."""
    candidates = [call.url, call.original_url, *(p.url for p in call.provenance)]
    return next((url for url in map(safe_url, candidates) if url), None)


def _published(item: FeedItem) -> datetime:
    first = item.call.first_seen or item.call.published_at or item.updated
    return min(first, item.updated)


def _utc_minutes(moment: datetime | None) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M") if moment else ""


def _deadline_line(deadline: Deadline) -> str:
    """"Deadline: 30 April 2028 (as published: 30.04.2028)"; a timed one with its zone and UTC beside it."""
    head = f"Deadline ({deadline.label})" if deadline.label else "Deadline"
    if deadline.at is None:
        return f"{head}: {deadline.raw}"
    return f"{head}: {say_deadline(deadline, FEED_LANGUAGE, ('UTC',))} (as published: {deadline.raw})"


def _body_lines(item: FeedItem, deadlines: bool = True) -> list[str]:
    """The plain-text body every feed shows: summary, programme and funder, deadlines, reasons."""
    call = item.call
    lines = [call.summary] if call.summary else []
    if call.programme or call.funder:
        lines.append(" · ".join(x for x in (call.programme, call.funder) if x))
    if deadlines:
        lines += [_deadline_line(d) for d in call.deadlines]
    lines += [f"• {reason}" for reason in item.reasons]
    return [_text(line) for line in lines if line]


def _xml(root: ET.Element) -> bytes:
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)


def _sub(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
    node = ET.SubElement(parent, tag, {k: _text(v) for k, v in attrs.items()})
    if text is not None:
        node.text = _text(text)
    return node


def _scrub(value):
    """JSON-ready ``value`` with every string passed through :func:`_text`."""
    if isinstance(value, str):
        return _text(value)
    if isinstance(value, list):
        return [_scrub(v) for v in value]
    if isinstance(value, dict):
        return {k: _scrub(v) for k, v in value.items()}
    return value


def _json_bytes(doc: dict) -> bytes:
    """UTF-8 JSON, with ``<``, ``>``, ``&`` escaped so it is inert even inside an HTML ``<script>``."""
    text = json.dumps(_scrub(doc), ensure_ascii=False, indent=2)
    return re.sub("[<>&\u2028\u2029]", lambda m: _JSON_ESCAPES[m.group()], text).encode("utf-8") + b"\n"


# --- Atom, RSS, JSON Feed ---------------------------------------------------------------


def atom(items: Iterable[FeedItem], meta: FeedMeta) -> bytes:
    """Atom 1.0 (RFC 4287); summaries are ``type="text"`` so markup in scraped text stays text.

    ``published`` is the call's ``first_seen`` (else ``published_at``, else ``updated``); an
    entry without a usable http(s) link points at ``meta.site_url`` (RFC 4287 requires a link).
    """
    feed = ET.Element("feed", {"xmlns": ATOM_NS, "xml:lang": meta.language})
    _sub(feed, "id", meta.id)
    _sub(feed, "title", meta.title, type="text")
    if meta.description:
        _sub(feed, "subtitle", meta.description, type="text")
    _sub(feed, "updated", rfc3339(meta.updated))
    _sub(feed, "link", rel="self", type="application/atom+xml", href=meta.feed_url)
    _sub(feed, "link", rel="alternate", type="text/html", href=meta.site_url)
    _sub(_sub(feed, "author"), "name", meta.author)
    _sub(feed, "generator", GENERATOR)
    for item in _newest_first(items):
        call = item.call
        entry = _sub(feed, "entry")
        if _lang(call.language):
            entry.set("xml:lang", call.language)
        _sub(entry, "id", entry_id(call.uid))
        _sub(entry, "title", _title(call), type="text")
        _sub(entry, "updated", rfc3339(item.updated))
        _sub(entry, "published", rfc3339(_published(item)))
        link = _link(call) or meta.site_url
        _sub(entry, "link", rel="alternate", type="text/html", href=link)
        via = safe_url(call.original_url)
        if via and via != link:
            _sub(entry, "link", rel="via", type="text/html", href=via)
        _sub(entry, "summary", "\n".join(_body_lines(item)), type="text")
        for theme in call.themes:
            _sub(entry, "category", term=theme)
    return _xml(feed)


def rss(items: Iterable[FeedItem], meta: FeedMeta) -> bytes:
    """RSS 2.0. The guid changes with ``updated`` (RSS readers only notice new guids), so an
    updated call reappears; descriptions are escaped HTML paragraphs; titles plain text."""
    root = ET.Element("rss", {"version": "2.0", "xmlns:atom": ATOM_NS})
    channel = _sub(root, "channel")
    _sub(channel, "title", meta.title)
    _sub(channel, "link", meta.site_url)
    _sub(channel, "description", meta.description or meta.title)
    _sub(channel, "language", meta.language)
    _sub(channel, "lastBuildDate", _rfc822(meta.updated))
    _sub(channel, "generator", GENERATOR)
    _sub(channel, "docs", "https://www.rssboard.org/rss-specification")
    _sub(channel, "atom:link", rel="self", type="application/rss+xml", href=meta.feed_url)
    for item in _newest_first(items):
        call = item.call
        node = _sub(channel, "item")
        _sub(node, "title", _title(call))
        link = _link(call)
        if link:
            _sub(node, "link", link)
        body = "".join(f"<p>{html.escape(line)}</p>" for line in _body_lines(item))
        _sub(node, "description", body or html.escape(_title(call)))
        for theme in call.themes:
            _sub(node, "category", theme)
        revision = uuid.uuid5(ENTRY_NAMESPACE, f"{call.uid}\n{rfc3339(item.updated)}")
        _sub(node, "guid", f"urn:uuid:{revision}", isPermaLink="false")
        _sub(node, "pubDate", _rfc822(item.updated))
    # RSS Best Practices Profile: hexadecimal references work in the most aggregators.
    return _xml(root).replace(b"&amp;", b"&#x26;").replace(b"&lt;", b"&#x3C;").replace(b"&gt;", b"&#x3E;")


def json_feed(items: Iterable[FeedItem], meta: FeedMeta) -> bytes:
    """JSON Feed 1.1; ``content_text`` is plain text; call details sit under ``_grantdigest``."""
    doc = {
        "version": JSON_FEED_VERSION,
        "title": meta.title,
        "home_page_url": meta.site_url,
        "feed_url": meta.feed_url,
        "authors": [{"name": meta.author}],
    }
    if meta.description:
        doc["description"] = meta.description
    doc["language"] = meta.language
    doc["items"] = [_json_feed_item(item) for item in _newest_first(items)]
    return _json_bytes(doc)


def _json_feed_item(item: FeedItem) -> dict:
    call = item.call
    out = {"id": entry_id(call.uid)}
    link = _link(call)
    if link:
        out["url"] = link
    external = safe_url(call.original_url)
    if external and external != link:
        out["external_url"] = external
    out["title"] = _title(call)
    out["content_text"] = "\n".join(_body_lines(item)) or _title(call)
    if call.summary:
        out["summary"] = call.summary
    out["date_published"] = rfc3339(_published(item))
    out["date_modified"] = rfc3339(item.updated)
    if call.themes:
        out["tags"] = list(call.themes)
    if _lang(call.language):
        out["language"] = call.language
    doc = call.model_dump(mode="json", include={
        "status", "programme", "funder", "opens_at", "budget", "grant_min", "grant_max", "currency",
        "applicant_types", "deadlines",
    })
    next_deadline = deadlines.earliest(call.deadlines)
    out["_grantdigest"] = {
        "uid": call.uid,
        "deadline": deadlines.iso(next_deadline) if next_deadline else None,
        **doc,
        "reasons": list(item.reasons),
    }
    return out


# --- iCalendar ------------------------------------------------------------------------------


def icalendar(items: Iterable[FeedItem], meta: FeedMeta) -> bytes:
    """iCalendar (RFC 5545): one VEVENT per parsed deadline, UID ``<call uid>-<n>@grantdigest``
    (``n`` = 1-based position in ``call.deadlines``).

    A date-only deadline is an all-day event on its day (``DTSTART;VALUE=DATE``, one day
    long by §3.6.1), never moved across zones; a timed one starts at its instant in UTC.
    No DTEND: a DATE-TIME DTSTART alone is the zero-length instant a deadline is (§3.6.1),
    and a DATE one already lasts the day. Unparsed deadlines have no event.
    """
    cal = ical.Calendar()
    cal.add("prodid", "-//grantdigest//deadlines//EN")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("name", _text(meta.title))
    cal.add("x-wr-calname", _text(meta.title))
    if meta.description:
        cal.add("x-wr-caldesc", _text(meta.description))
    events = []
    for item in _visible(items):
        call = item.call
        for n, deadline in enumerate(call.deadlines, start=1):
            if deadline.at is not None:
                events.append((deadline.at.astimezone(UTC), f"{_text(call.uid)}-{n}@grantdigest", item, deadline))
    for _, uid, item, deadline in sorted(events, key=lambda e: (e[0], e[1])):
        cal.add_component(_event(uid, item, deadline, meta))
    return cal.to_ical()


def _event(uid: str, item: FeedItem, deadline: Deadline, meta: FeedMeta) -> ical.Event:
    call = item.call
    event = ical.Event()
    event.add("uid", uid)
    event.add("dtstamp", meta.updated.astimezone(UTC))
    event.add("last-modified", item.updated.astimezone(UTC))
    event.add("dtstart", deadlines.calendar_start(deadline))
    label = f" ({deadline.label})" if deadline.label else ""
    event.add("summary", _text(f"Deadline: {_title(call)}{label}"))
    link = _link(call)
    lines = [_deadline_line(deadline), *_body_lines(item, deadlines=False)]
    if link:
        event.add("url", link)
        lines.append(link)
    event.add("description", _text("\n".join(lines)))
    event.add("transp", "TRANSPARENT")
    if call.themes:
        event.add("categories", [_text(t) for t in call.themes])
    return event


# --- CSV and JSON exports ----------------------------------------------------------------------


def csv_export(items: Iterable[FeedItem], *, delimiter: str = ",") -> bytes:
    """CSV for spreadsheets: UTF-8 with BOM, CRLF, :data:`CSV_COLUMNS`, every field quoted when needed.

    Cells are guarded against formula injection (:mod:`digest.csvfile`).
    ``delimiter=";"`` suits Excel in locales whose decimal separator is a comma.
    """
    buffer = io.StringIO()
    write_rows(buffer, CSV_COLUMNS, (_csv_row(item) for item in _visible(items)), delimiter=delimiter)
    return b"\xef\xbb\xbf" + buffer.getvalue().encode("utf-8")


def _csv_row(item: FeedItem) -> dict[str, str]:
    call = item.call
    listed = " | ".join(
        f"{d.label + ': ' if d.label else ''}{_csv_deadline(d) or '?'}"
        f"{' ' + d.zone if d.zone and d.clock else ''} ({d.raw})"
        for d in call.deadlines
    )
    upcoming, final = deadlines.earliest(call.deadlines), deadlines.latest(call.deadlines)
    return {
        "uid": call.uid, "title": call.title, "language": call.language, "url": _link(call),
        "programme": call.programme, "funder": call.funder, "kind": call.kind,
        "status": call.status.value if call.status else None, "call_id": call.call_id,
        "opens_on": call.opens_at.date().isoformat() if call.opens_at else "",
        "next_deadline": _csv_deadline(upcoming), "final_deadline": _csv_deadline(final),
        "deadline_zone": upcoming.zone if upcoming and upcoming.clock else "", "deadlines": listed,
        "budget": _amount(call.budget), "grant_min": _amount(call.grant_min), "grant_max": _amount(call.grant_max),
        "currency": call.currency, "applicant_types": "; ".join(call.applicant_types),
        "themes": "; ".join(call.themes), "summary": call.summary, "reasons": "; ".join(item.reasons),
        "updated_utc": _utc_minutes(item.updated), "first_seen_utc": _utc_minutes(call.first_seen),
    }


def _csv_deadline(deadline: Deadline | None) -> str:
    """``2028-04-30`` for a date, ``2028-04-30 17:00`` on the publisher's clock for a time (Excel reads both)."""
    if deadline is None or deadline.at is None:
        return ""
    if deadlines.is_date_only(deadline):
        return deadline.day.isoformat()  # type: ignore[union-attr]
    return deadlines.local(deadline).strftime("%Y-%m-%d %H:%M")  # type: ignore[union-attr]


def _amount(value) -> str:
    return "" if value is None else format(value, "f")


def json_export(items: Iterable[FeedItem], *, generated: datetime | None = None) -> bytes:
    """``{"generated": RFC 3339, "calls": [Call JSON, ...]}``, valid against :func:`json_schema`.

    URLs are kept as stored unless they are not http(s): then they are blanked (``url``,
    provenance) or nulled (``original_url``).
    """
    calls = []
    for item in _visible(items):
        doc = item.call.model_dump(mode="json")
        doc["url"] = doc["url"] if safe_url(doc["url"]) else ""
        doc["original_url"] = doc["original_url"] if safe_url(doc["original_url"]) else None
        for source in doc["provenance"]:
            source["url"] = source["url"] if safe_url(source["url"]) else ""
        calls.append(doc)
    return _json_bytes({"generated": rfc3339(generated or datetime.now(UTC)), "calls": calls})


def json_schema() -> bytes:
    """JSON Schema (draft 2020-12) of :func:`json_export`'s document, built from :class:`Call`."""
    call = Call.model_json_schema(mode="serialization")
    defs = call.pop("$defs", {})
    doc = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "grantdigest calls export",
        "description": "Grant calls selected by grantdigest, one object per call in the grantdigest call schema. "
                       "Datetimes are ISO 8601 with offset, amounts decimal strings in the call's ISO 4217 currency.",
        "type": "object",
        "required": ["generated", "calls"],
        "additionalProperties": False,
        "properties": {
            "generated": {"type": "string", "format": "date-time", "description": "When the export was made (UTC)."},
            "calls": {"type": "array", "items": {"$ref": "#/$defs/Call"}, "description": "The calls."},
        },
        "$defs": {**defs, "Call": call},
    }
    return json.dumps(doc, ensure_ascii=False, indent=2).encode("utf-8") + b"\n"
