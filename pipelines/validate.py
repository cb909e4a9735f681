"""Validation pipeline: only calls that satisfy the schema's contract go on; the rest are dropped with a reason."""

from __future__ import annotations

import logging
from urllib.parse import urlsplit

from pydantic import ValidationError
from scrapy.exceptions import DropItem

from calls.schema import Call

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


class ValidatePipeline:
    """First pipeline: drops invalid items with a logged, counted reason."""

    def __init__(self, stats=None):
        self.stats = stats

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler.stats)

    def process_item(self, item):
        try:
            return check(item)
        except InvalidCall as exc:
            if self.stats is not None:
                self.stats.inc_value("grantdigest/invalid")
                self.stats.inc_value(f"grantdigest/invalid/{exc.reason}")
            raise
