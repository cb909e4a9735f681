"""Normalisation pipeline: every call leaves it valid and in one shape; invalid items are dropped with a reason.

What it guarantees downstream: a :class:`Call` (dict items are validated into
one), a plain one-line title and a plain bounded summary (markup that slipped
through a spider is stripped), an absolute http(s) URL, the link without click-tracking parameters,
the language detected from the text (Serbian with its script) where the source's default is wrong or
missing, deadlines in order without repeats, and a status derived from the
dates where the source said nothing. Dropped items are logged and counted
(``grantdigest/invalid/<reason>``), never silently lost.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from urllib.parse import urlsplit

from pydantic import ValidationError
from scrapy.exceptions import DropItem

from calls import deadlines
from calls.schema import SUMMARY_MAX, Call, Status, clip_title, salvage
from calls.text import html_to_text, one_line
from calls.urls import without_tracking
from pipelines.language import detect_language

logger = logging.getLogger(__name__)


class InvalidCall(DropItem):
    """A call that cannot be kept; ``reason`` is a short machine-readable code."""

    def __init__(self, reason: str, detail: str):
        self.reason = reason
        super().__init__(f"invalid call ({reason}): {detail}")


def check(item) -> Call:
    """The item as a valid :class:`Call`, or :class:`InvalidCall` saying why not."""
    if not isinstance(item, Call):
        try:
            item = Call.model_validate(dict(item))
        except (ValidationError, TypeError, ValueError) as exc:
            raise InvalidCall("schema", str(exc).splitlines()[0]) from None
    if not item.title.strip():
        raise InvalidCall("no-title", item.uid)
    parts = urlsplit(item.url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise InvalidCall("bad-url", f"{item.uid}: {item.url!r}")
    return item


def normalise(item, now: datetime | None = None) -> Call:
    """The item as a valid, normalised :class:`Call`, or :class:`InvalidCall` saying why not."""
    call = check(item)
    now = now or datetime.now(UTC)
    title = one_line(html_to_text(call.title) if "<" in call.title else call.title)
    if not title:
        raise InvalidCall("no-title", call.uid)
    summary = html_to_text(call.summary, SUMMARY_MAX) if call.summary else None
    language = detect_language(f"{title}. {(summary or '')[:500]}") or call.language
    ordered = sorted({(d.at, d.raw): d for d in call.deadlines}.values(), key=_deadline_order)
    title = clip_title(title)
    update = {"title": title, "summary": summary or None, "language": language, "deadlines": ordered,
              "url": without_tracking(call.url)}
    if call.currency:
        update["currency"] = call.currency.upper()
    # Validated again: fields set by model_copy (spiders' later updates, the lines above) meet the bounds too.
    normalised, dropped = salvage(call.model_copy(update=update).model_dump())
    for name in dropped:
        logger.warning("%s: %s dropped, out of the schema's bounds", call.uid, name)
    derived = derive_status(normalised, now)
    if normalised.status is None or (
        derived is Status.CLOSED and normalised.status in (Status.OPEN, Status.FORTHCOMING)
    ):
        # the publisher's own dates come first: a call whose every deadline has passed is closed,
        # whatever its listing still says (Grants.gov keeps "posted" calls whose deadline was in August)
        normalised = normalised.model_copy(update={"status": derived})
    return normalised


def derive_status(call: Call, now: datetime) -> Status | None:
    """Status from the dates: forthcoming before opening, closed after the last deadline, else open."""
    if call.opens_at and now < call.opens_at:
        return Status.FORTHCOMING
    last = deadlines.latest(call.deadlines)
    final = last.at if last else None
    if final and now > final:
        return Status.CLOSED
    if final or call.opens_at:
        return Status.OPEN
    return None


def _deadline_order(deadline):
    return (deadline.at is None, deadline.at.timestamp() if deadline.at else 0, deadline.raw)


class NormalisePipeline:
    """First pipeline: normalises every call; drops invalid items with a logged, counted reason."""

    def __init__(self, stats=None):
        self.stats = stats

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler.stats)

    def process_item(self, item):
        try:
            call = normalise(item)
        except InvalidCall as exc:
            logger.warning("%s", exc)
            if self.stats is not None:
                self.stats.inc_value("grantdigest/invalid")
                self.stats.inc_value(f"grantdigest/invalid/{exc.reason}")
            raise
        if self.stats is not None and call.language != getattr(item, "language", call.language):
            self.stats.inc_value("grantdigest/language_redetected")
        return call
