"""Calls added, corrected or withdrawn by the department's editor, as data.

The editor keeps a TOML file (in the department's own repository) and points
the ``manual`` source at it::

    [sources.manual]
    enabled = true
    [sources.manual.options]
    file = "manual-calls.toml"      # relative to grantdigest.toml

Each ``[[calls]]`` table is one call; ``id`` is the editor's stable id (the
call's uid is ``manual:<id>``), so a crawl never overwrites it::

    [[calls]]
    id = "loda-energy-2026"
    title = "Обласний конкурс проєктів з енергоефективності"
    url = "https://example.gov.ua/konkurs"
    language = "uk"
    funder = "Львівська обласна військова адміністрація"
    deadline = 2026-12-20T18:00:00         # TOML datetime; local time of `timezone`; or a date (end of day)
    timezone = "Europe/Kyiv"               # default: the manual source's time zone
    summary = "Для громад області."
    budget = "5000000"
    currency = "UAH"
    applicant_types = ["local-government"]
    # call_id = "…"   official id: also how a correction or a withdrawal finds the crawled call it targets
    # status = "withdrawn"   hides the call (and, through merging, the crawled call it matches)

The file is read through Scrapy like any source (a ``file:`` URL), and its
calls go through the same pipelines as crawled ones. A broken entry is logged
with its id and skipped; the others are kept.
"""

from __future__ import annotations

import tomllib
from datetime import date, datetime, time
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import ValidationError
from scrapy.http import Response

from calls import deadlines
from calls.schema import Call, Deadline, Status
from spiders.base import SourceFormatError, SourceSpider

_TEXT_FIELDS = (
    "title", "url", "call_id", "language", "summary", "programme_id", "programme", "funder", "kind", "original_url"
)
_LIST_FIELDS = ("applicant_types", "themes", "eligible_countries", "eligible_areas", "keywords")
_MONEY_FIELDS = ("budget", "grant_min", "grant_max", "cofinancing_rate")


class ManualEntryError(Exception):
    """One ``[[calls]]`` entry of the manual file cannot become a call."""

    def __init__(self, entry_id: str, problem: str):
        self.entry_id = entry_id
        super().__init__(f"manual call {entry_id!r}: {problem}")


class ManualSpider(SourceSpider):
    """The editor's calls from a TOML file."""

    name = "manual"

    def file_path(self) -> Path:
        name = self.options.get("file")
        if not name:
            raise SourceFormatError("the manual source has no `file` option", "grantdigest.toml")
        base = self.config.base_dir if self.config else Path.cwd()
        return (base / name).resolve()

    async def start(self):
        # The editor's own configured file: the one file: URL a crawl may fetch (spiders.safety.LOCAL_FILE).
        yield self.request(self.file_path().as_uri(), callback=self.parse, meta={"local_file": True})

    def parse(self, response: Response):
        try:
            data = tomllib.loads(response.body.decode("utf-8"))
        except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
            raise SourceFormatError(f"manual calls file is not valid UTF-8 TOML ({exc})", response.url) from None
        for entry in data.get("calls", []):
            try:
                yield entry_call(self, entry)
            except ManualEntryError as exc:
                self.count("manual/invalid_entry")
                self.logger.error("%s", exc)


def entry_call(spider: SourceSpider, entry: dict[str, Any]) -> Call:
    """A manual ``[[calls]]`` entry as a :class:`Call` of the ``manual`` source."""
    entry_id = str(entry.get("id") or "")
    if not entry_id:
        raise ManualEntryError("?", "every entry needs an `id`")
    zone_name = entry.get("timezone") or spider.source.timezone
    try:
        zone = ZoneInfo(zone_name)
    except (ValueError, KeyError):
        raise ManualEntryError(entry_id, f"unknown time zone {zone_name!r}") from None
    fields: dict[str, Any] = {k: entry[k] for k in _TEXT_FIELDS if entry.get(k)}
    fields.update({k: list(entry[k]) for k in _LIST_FIELDS if entry.get(k)})
    for key in _MONEY_FIELDS:
        if entry.get(key) not in (None, ""):
            try:
                fields[key] = Decimal(str(entry[key]))
            except InvalidOperation:
                raise ManualEntryError(entry_id, f"{key} is not a number: {entry[key]!r}") from None
    if entry.get("currency"):
        fields["currency"] = str(entry["currency"]).upper()
    if entry.get("status"):
        try:
            fields["status"] = Status(entry["status"])
        except ValueError:
            raise ManualEntryError(entry_id, f"unknown status {entry['status']!r}") from None
    raws = entry.get("deadlines") or ([entry["deadline"]] if entry.get("deadline") else [])
    try:
        fields["deadlines"] = [_deadline(raw, zone) for raw in raws]
        if entry.get("opens"):
            fields["opens_at"], fields["opens_at_raw"] = (
                _instant(entry["opens"], zone, end_of_day=False), _raw(entry["opens"])
            )
    except ValueError as exc:
        raise ManualEntryError(entry_id, f"bad date ({exc})") from None
    fields.setdefault("kind", "grant")
    try:
        return spider.make_call(entry_id, **fields)
    except ValidationError as exc:
        raise ManualEntryError(entry_id, str(exc).splitlines()[0] + ": " + str(exc).splitlines()[1].strip()) from None


def _instant(value: Any, zone: ZoneInfo, *, end_of_day: bool) -> datetime:
    """A TOML date/datetime (or ISO text) → aware datetime; a date alone is the end (or start) of that day."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value) if "T" in value or " " in value else date.fromisoformat(value)
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=zone)
    if isinstance(value, date):
        return datetime.combine(value, time(23, 59, 59) if end_of_day else time(0, 0), zone)
    raise ValueError(f"not a date: {value!r}")


def _deadline(value: Any, zone: ZoneInfo) -> Deadline:
    """An editor's deadline as typed: a TOML date stays a date; a datetime is a time in its offset or ``zone``."""
    raw = _raw(value)
    if isinstance(value, str):
        value = datetime.fromisoformat(value) if "T" in value or " " in value else date.fromisoformat(value)
    if isinstance(value, datetime):
        if value.tzinfo is None:
            return deadlines.at_time(value.replace(tzinfo=zone), zone, raw)
        # an offset the entry's zone does not have at that moment is the publisher's own clock
        same = value.astimezone(zone).utcoffset() == value.utcoffset()
        return deadlines.at_time(value, zone if same else value.tzinfo, raw)
    if isinstance(value, date):
        return deadlines.on_day(value, zone, raw)
    raise ValueError(f"not a date: {value!r}")


def _raw(value: Any) -> str:
    return value.isoformat() if isinstance(value, date | datetime) else str(value)
