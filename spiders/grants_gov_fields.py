"""Grants.gov field parsers: the API's dates, due dates, stated times and amounts (see :mod:`spiders.grants_gov`).

Pure functions of the raw strings the API returns: ``Aug 03, 2026 12:00:00 AM EDT`` details dates,
``MM/DD/YYYY`` search-hit dates, times written in prose ("no later than 11:59 p.m., ET") and amount
strings (``"0"`` = not stated). Dates are in New York time; a date without a time ends at 23:59:59.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time
from decimal import Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo

from calls import deadlines
from calls.schema import Deadline
from calls.text import one_line

NEW_YORK = ZoneInfo("America/New_York")
_ET_TIME = re.compile(
    r"\b(\d{1,2})(?::(\d{2}))?\s*([ap])\.?\s?m\.?,?\s*(?:ET|EST|EDT|Eastern)\b", re.IGNORECASE
)


def close_deadline(raw: str) -> Deadline:
    """A hit's ``closeDate`` (``MM/DD/YYYY``, no time) → the end of that day in New York."""
    day = us_date(raw)
    return deadlines.on_day(day, NEW_YORK, raw) if day else Deadline(raw=raw)


def response_deadline(raw: str, description: str | None) -> Deadline:
    """The due date of a synopsis; the raw text includes the description when that gave the time."""
    parsed = api_datetime(raw)
    stated = stated_time(description)
    if parsed is not None and parsed.time() == time(0) and stated is not None:
        return due_deadline(raw, stated, shown=f"{raw}; {one_line(description)}")
    return due_deadline(raw)


def api_datetime(raw: str | None) -> datetime | None:
    """``Aug 03, 2026 12:00:00 AM EDT`` → an aware datetime in New York time; None if unparseable.

    The API prints Eastern time only (EST/EDT); another zone name is not guessed.
    """
    if not raw:
        return None
    text, _, zone = raw.strip().rpartition(" ")
    if zone not in ("EST", "EDT", "ET"):
        return None
    try:
        local = datetime.strptime(text, "%b %d, %Y %I:%M:%S %p")
    except ValueError:
        return None
    aware = local.replace(tzinfo=NEW_YORK)
    if zone != "ET" and aware.tzname() != zone:  # the repeated hour when DST ends
        aware = aware.replace(fold=1)
    return aware


def due_deadline(
    raw: str, stated: time | None = None, *, label: str | None = None, shown: str | None = None
) -> Deadline:
    """A due date as published: ``12:00:00 AM`` means the date only (it ends 23:59:59 New York time)
    unless ``stated`` (the description's time) gives the time; ``shown`` is the raw text kept."""
    at, text = api_datetime(raw), shown or raw
    if at is None:
        return Deadline(raw=text, label=label)
    if at.time() != time(0):
        return deadlines.at_time(at, NEW_YORK, text, label)
    if stated is not None:
        return deadlines.at_time(datetime.combine(at.date(), stated, NEW_YORK), NEW_YORK, text, label)
    return deadlines.on_day(at.date(), NEW_YORK, text, label)


def us_date(raw: str | None) -> date | None:
    """``MM/DD/YYYY`` (search hits) → a date; None for ``""`` or anything else."""
    try:
        return datetime.strptime(raw.strip(), "%m/%d/%Y").date() if raw else None
    except ValueError:
        return None


def stated_time(description: str | None) -> time | None:
    """A time of day in Eastern time written in prose ("no later than 11:59 p.m., ET"), else None."""
    match = _ET_TIME.search(description or "")
    if not match:
        return None
    hour, minute = int(match[1]) % 12, int(match[2] or 0)
    if match[3].lower() == "p":
        hour += 12
    return time(hour, minute) if minute < 60 else None


def amount(raw: Any) -> Decimal | None:
    """An API amount string (``"1200000"``, ``"1,200,000"``) → Decimal; ``"0"``, ``""`` or junk → None."""
    try:
        value = Decimal(str(raw).replace(",", "").strip()) if raw not in (None, "") else None
    except InvalidOperation:
        return None
    return value if value is not None and value.is_finite() and value > 0 else None
