"""Time-zone names as the schema stores them: an IANA key, ``UTC`` or a fixed ``UTC+02:00``."""

from __future__ import annotations

import re
from datetime import UTC, timedelta, timezone, tzinfo
from functools import lru_cache
from zoneinfo import ZoneInfo

_OFFSET = re.compile(r"UTC([+-])(\d{2}):(\d{2})\Z")


def zone_name(tz: tzinfo) -> str:
    """The name :attr:`Deadline.zone` stores: an IANA key, ``UTC`` or a fixed ``UTC+02:00``."""
    key = getattr(tz, "key", None)
    if key:
        return key
    offset = tz.utcoffset(None)
    if offset is None:
        raise ValueError(f"zone {tz!r} has no fixed offset and no IANA name")
    if not offset:
        return "UTC"
    sign = "-" if offset < timedelta(0) else "+"
    minutes = abs(int(offset.total_seconds())) // 60
    return f"UTC{sign}{minutes // 60:02d}:{minutes % 60:02d}"


@lru_cache(maxsize=256)
def zone(name: str) -> tzinfo:
    """The zone :func:`zone_name` named; ``ValueError`` for anything else."""
    if name == "UTC":
        return UTC
    if match := _OFFSET.match(name):
        sign = -1 if match[1] == "-" else 1
        return timezone(sign * timedelta(hours=int(match[2]), minutes=int(match[3])))
    try:
        return ZoneInfo(name)
    except (KeyError, ValueError) as error:
        raise ValueError(f"not a time zone: {name!r}") from error
