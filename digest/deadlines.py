"""A deadline said to a reader, in one UI language: the wording of the policy in :mod:`calls.deadlines`.

Every output that shows a deadline to people — email, site, feeds, calendar
descriptions — says it through :func:`say`, and counts the days through
:func:`days_left_text`, so one call never shows two dates or two day counts:

- a date-only deadline is its date, "30 квітня 2028 р.", whatever the reader's zone;
- a timed one is the publisher's clock with the zone named, plus each reader
  zone whose clock differs: "20 January 2027, 17:00 Brussels time (18:00 Kyiv
  time)"; the reader's date is added when it differs too;
- an unparsed one is the text as published.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, tzinfo
from functools import lru_cache

from babel.dates import get_timezone_location

from calls import deadlines
from calls.schema import Deadline
from calls.zones import zone, zone_name
from digest.i18n import babel_locale, format_clock, format_day, format_wall_clock, translations


def N_(msgid: str) -> str:
    """Mark a msgid for extraction; translated where it is shown."""
    return msgid


ZONE_WORDS = {
    "Europe/Brussels": N_("Brussels time"),
    "Europe/Kyiv": N_("Kyiv time"),
    "Europe/Belgrade": N_("Belgrade time"),
    "Europe/Warsaw": N_("Warsaw time"),
    "Europe/Budapest": N_("Budapest time"),
    "Europe/Bucharest": N_("Bucharest time"),
    "Europe/Zagreb": N_("Zagreb time"),
    "Europe/Bratislava": N_("Bratislava time"),
    "America/New_York": N_("US Eastern time"),
}
"""The zones sources and regions use, each as a phrase that follows a time ("17:00 Kyiv time")."""
NOTE = N_(
    "Deadlines are given as their publishers give them: a date means the whole of that day, a time names its zone."
)
"""What a digest's readers are told once about the deadlines it lists."""


def say(deadline: Deadline, lang: str, readers: Iterable[str | tzinfo] = ()) -> str:
    """``deadline`` as a reader of ``lang`` reads it; ``readers`` are the zones the reader may be in."""
    day = deadlines.day_of(deadline)
    if day is None:
        return deadline.raw
    if deadlines.is_date_only(deadline):
        return format_day(day, lang)
    moment = deadlines.local(deadline)
    if moment is None:
        return format_day(day, lang)
    publisher = deadline.zone or zone_name(moment.tzinfo)  # type: ignore[arg-type]
    text = f"{format_wall_clock(moment, lang)} {zone_words(publisher, lang)}"
    beside = []
    for reader in readers:
        there = deadline.at.astimezone(zone(reader) if isinstance(reader, str) else reader)  # type: ignore[union-attr]
        if there.replace(tzinfo=None) == moment.replace(tzinfo=None):
            continue
        name = reader if isinstance(reader, str) else zone_name(reader)
        clock = format_clock(there.time(), lang) if there.date() == moment.date() else format_wall_clock(there, lang)
        beside.append(f"{clock} {zone_words(name, lang)}")
    return f"{text} ({'; '.join(dict.fromkeys(beside))})" if beside else text


def days_left_text(deadline: Deadline | None, now: datetime, lang: str) -> str | None:
    """"12 days left", "Deadline today", "Deadline passed" in ``lang``; None without a parsed deadline."""
    days = deadlines.days_left(deadline, now) if deadline is not None else None
    if days is None:
        return None
    t = translations(lang)
    if days < 0:
        return t.gettext("Deadline passed")
    if days == 0:
        return t.gettext("Deadline today")
    return t.ngettext("%(num)d day left", "%(num)d days left", days) % {"num": days}


def published_day(text: str, lang: str) -> str | None:
    """The day of a deadline as :func:`calls.deadlines.iso` wrote it (a change event's old or new value)."""
    value = deadlines.from_iso(text)
    if value is None:
        return None
    return format_day(value.date() if isinstance(value, datetime) else value, lang)


def zone_words(name: str, lang: str) -> str:
    """The phrase after a time that names zone ``name``: "Brussels time", "за київським часом", "UTC+02:00"."""
    if name in ZONE_WORDS:
        return translations(lang).gettext(ZONE_WORDS[name])
    if name.startswith("UTC"):
        return name
    return translations(lang).gettext("%(city)s time") % {"city": _city(name, lang)}


@lru_cache(maxsize=256)
def _city(name: str, lang: str) -> str:
    try:
        return get_timezone_location(zone(name), locale=babel_locale(lang), return_city=True)
    except (LookupError, ValueError):
        return name
