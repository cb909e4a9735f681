"""Dates, times and deadlines in the free text of call announcements.

Pure functions over text in English, Ukrainian, Russian, Polish, Hungarian,
Romanian and Serbian (Latin and Cyrillic). Conventions:

* A date without a year is never guessed: its ``at`` is None.
* A deadline is returned as published (:mod:`calls.deadlines`): a date without a
  time stays a date (its instant is the end of that day), a timed one keeps its
  clock and zone. Other dates without a time are 00:00 of that day
  (``parse_date``: ``end_of_day`` for the end instead).
* A zone written next to the time wins over the caller's ``tz``. Zone *names*
  are read as the wall clock of their region, because publishers write "CET" all
  year round ("3 April 2024, 14:00 CET" is 14:00 CEST): ``CET``/``CEST``/"Central
  European Time"/"Brussels time" -> Europe/Brussels, ``EET``/``EEST``/"Kyiv
  time"/"за київським часом" -> Europe/Kyiv; ``UTC``/``GMT`` -> UTC, ``GMT+2``
  -> that fixed offset. If strict CET was meant, the deadline we report is an
  hour early, never late. Instants of :class:`FoundDate` are converted to ``tz``
  (same instant); a deadline keeps the zone the text named.
* ``14:00 PM`` (a 24-hour time with a meridiem) is 14:00; ``12:00 AM`` is midnight.
* Numeric dates are day first (``03.04.2024``, ``03/04/2024``); slashed dates are
  month first only when the day cannot be the first number (``04/30/2024``) or the
  language is ``en-US``. ``DD.MM.YY`` means 20YY.
* Whether a date is a deadline, an opening or something else comes from the
  last cue word before it (since the previous date, within the sentence, at most
  :data:`WINDOW` characters): strong cues ("deadline", "кінцевий термін",
  "rok", "határidő", "opens", "published") anywhere in that window, weak ones
  ("until", "до", "do", "from", "з", "od") only right before the date and not
  after an "other" cue. Hungarian ``-ig`` / ``-tól`` on the day decide by
  themselves. A superseded date ("Originally scheduled for …", "замість …",
  "umesto …") is ``other``. A date with no cue continues a list of deadlines
  ("15 January (stage 1) and 15 May") or closes a range after an opening
  ("1 March – 30 April"); otherwise it is ``other``.
* Zero-width characters and UTF-8 mojibake ("‚Äč") are ignored for matching
  but kept in ``raw`` (:class:`Normalised`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, timezone, tzinfo
from functools import lru_cache
from zoneinfo import ZoneInfo

from calls import deadlines
from calls.extract.date_patterns import (
    ADJACENT,
    CONNECTOR,
    CUE_KIND,
    CUES,
    DASH,
    DATE,
    HU_DEADLINE_SUFFIX,
    HU_OPENING_SUFFIX,
    ORDINALS,
    SENTENCE_END,
    STAGE,
    STAGE_AFTER,
    TIME_AFTER,
    TIME_BEFORE,
    WINDOW,
    ZONE_AFTER,
    ZONE_ANYWHERE,
    ZONES,
)
from calls.extract.months import month_number
from calls.extract.normalised import Normalised
from calls.schema import Deadline

# --------------------------------------------------------------------------- types


@dataclass(frozen=True)
class FoundDate:
    """One date found in text."""

    at: datetime | None
    """Instant, tz-aware; None when the year is missing (never guessed)."""
    raw: str
    """The exact substring matched, as published (date plus any adjacent time and zone)."""
    kind: str
    """``deadline``, ``opening`` or ``other``, from nearby cue words."""
    has_time: bool
    """Whether a time of day was given."""


@dataclass(frozen=True)
class _Hit:
    """A date match before it becomes a :class:`FoundDate`."""

    start: int
    end: int
    day: date | None
    clock: time | None
    zone: tzinfo | None
    hint: str | None  # kind implied by the date itself (Hungarian -ig / -tól suffix)


# ------------------------------------------------------------------------- parsing


def _calendar_day(match: re.Match[str], month_first: bool) -> tuple[date | None, bool]:
    """(date or None, is a valid date expression) of a :data:`DATE` match."""
    kind = match.lastgroup
    g = match.group
    if kind == "iso":
        y, m, d = int(g("iso_y")), int(g("iso_m")), int(g("iso_d"))
    elif kind == "ymd":
        y, m, d = int(g("ymd_y")), int(g("ymd_m")), int(g("ymd_d"))
    elif kind in ("hu", "dm", "us"):
        month = month_number(g(f"{kind}_mn"))
        if month is None:
            return None, False
        y_text = g(f"{kind}_y")
        if y_text is None and kind == "dm" and g("dm_yy"):  # "15-Dec-26" (UNDP notices): 2026
            y_text = str(2000 + int(g("dm_yy")))
        if y_text is None:
            name = g(f"{kind}_mn").rstrip(".")
            # yearless: only unmistakable month names ("may", "mai", "лист" are words too)
            return None, len(name) > 3 and name.lower() != "лист" or name == "May"
        y, m, d = int(y_text), month, int(g(f"{kind}_d"))
    else:  # num
        first, second, y_text = g("num_d"), g("num_m"), g("num_y")
        sep = g("num_sep")
        if len(y_text) == 2 and (sep != "." or len(first) != 2 or len(second) != 2):
            return None, False
        if sep == "-" and len(y_text) != 4:
            return None, False
        y = int(y_text) + (2000 if len(y_text) == 2 else 0)
        d, m = int(first), int(second)
        if sep == "/" and (d <= 12 < m or (month_first and m <= 12)):
            d, m = m, d
    try:
        return date(y, m, d), True
    except ValueError:
        return None, False


def _clock(match: re.Match[str] | None) -> time | None:
    """Time of day of a :data:`TIME` match; AM/PM applied unless the hour is already 24-hour."""
    if match is None:
        return None
    g = match.group
    if g("H") is not None:
        hour, minute, second = int(g("H")), int(g("M")), int(g("S") or 0)
        meridiem = g("ap")
    elif g("H2") is not None:
        hour, minute, second, meridiem = int(g("H2")), 0, 0, g("ap2")
    else:
        hour, minute, second, meridiem = int(g("H3")), 0, 0, None
    if meridiem and hour <= 12:
        pm = meridiem.lower().startswith("p")
        if pm and hour < 12:
            hour += 12
        elif not pm and hour == 12:
            hour = 0
    return time(hour, minute, second)


def _zone(match: re.Match[str] | None) -> tzinfo | None:
    """Zone named in a match of a pattern containing :data:`ZONE_NAMES`, else None."""
    if match is None:
        return None
    for name, zone in ZONES.items():
        if match.group(name):
            return zone
    offset = match.group("tz_off")
    if offset:
        return _fixed_offset(offset)
    return None


def _fixed_offset(text: str) -> tzinfo:
    """``GMT+2``, ``UTC-05:30`` -> a fixed-offset zone."""
    body = re.sub(r"^(?:UTC|GMT)\s*", "", text, flags=re.IGNORECASE).replace("−", "-").replace(" ", "")
    sign = -1 if body.startswith("-") else 1
    digits = body[1:].replace(":", "")
    hours = int(digits[:-2]) if len(digits) > 2 else int(digits)
    minutes = int(digits[-2:]) if len(digits) > 2 else 0
    return timezone(sign * timedelta(hours=hours, minutes=minutes))


def _iso_zone(offset: str | None) -> tzinfo | None:
    if not offset:
        return None
    if offset.upper() == "Z":
        return UTC
    digits = offset[1:].replace(":", "")
    delta = timedelta(hours=int(digits[:2]), minutes=int(digits[2:]))
    return timezone(-delta if offset[0] == "-" else delta)


def _hits(text: str, month_first: bool = False) -> list[_Hit]:
    """Every date expression of normalised ``text``, with its adjacent time and zone."""
    hits: list[_Hit] = []
    previous_end = 0
    for match in DATE.finditer(text):
        day, valid = _calendar_day(match, month_first)
        if not valid:
            continue
        start, end = match.start(), match.end()
        clock: time | None = None
        zone: tzinfo | None = None
        hint: str | None = None
        if match.lastgroup == "iso" and match.group("iso_H"):
            clock = time(int(match.group("iso_H")), int(match.group("iso_M")), int(match.group("iso_S") or 0))
            zone = _iso_zone(match.group("iso_off"))
            named = None if zone else ZONE_AFTER.match(text, end)
            if named is not None:
                zone, end = _zone(named), named.end()
        else:
            after = TIME_AFTER.match(text, end)
            if after is not None:
                clock, zone, end = _clock(after), _zone(after), after.end()
            else:
                window_start = max(previous_end, start - 40)
                before = TIME_BEFORE.search(text, window_start, start)
                if before is not None:
                    clock, zone, start = _clock(before), _zone(before), before.start()
        if match.lastgroup == "hu" and match.group("hu_suf"):
            suffix = match.group("hu_suf")
            if HU_DEADLINE_SUFFIX.search(suffix):
                hint = "deadline"
            elif HU_OPENING_SUFFIX.search(suffix):
                hint = "opening"
        while end > start and text[end - 1].isspace():
            end -= 1
        hits.append(_Hit(start, end, day, clock, zone, hint))
        previous_end = end
    return hits


def _instant(hit: _Hit, tz: tzinfo, end_of_day: bool) -> datetime | None:
    if hit.day is None:
        return None
    clock = hit.clock or (time(23, 59, 59) if end_of_day else time(0, 0))
    value = datetime.combine(hit.day, clock, tzinfo=hit.zone or tz)
    return value.astimezone(tz)


def _window(text: str, lower: int, start: int) -> str:
    """Text before a date that may hold its cue: since ``lower``, at most :data:`WINDOW` chars, this sentence."""
    piece = " ".join(text[max(lower, start - WINDOW * 3) : start].split())
    if text[start - 1 : start].isspace():
        piece += " "
    if len(piece) > WINDOW:
        piece = piece[-WINDOW:].split(" ", 1)[-1]  # no half word at the cut
    ends = list(SENTENCE_END.finditer(piece))
    return piece[ends[-1].end() :] if ends else piece


def _cue(window: str) -> str | None:
    """Kind named by the last applicable cue word of ``window``; None when there is none.

    A weak cue ("by", "od") counts only right before the date, and not after an
    "other" cue ("Results will be announced by …", "Rešenje … od …").
    """
    found: str | None = None
    for match in CUES.finditer(window):
        name = match.lastgroup or ""
        if name.startswith("weak_"):
            if ADJACENT.match(window, match.end()) and found not in ("other", "superseded"):
                found = CUE_KIND[name]
            continue
        found = "superseded" if name == "superseded" else CUE_KIND[name]
    return found


def _classify(text: str, hits: list[_Hit]) -> list[str]:
    """Kind of each hit: its own hint, else its cue, else the previous kind across a bare connector."""
    kinds: list[str] = []
    previous_end = 0
    for index, hit in enumerate(hits):
        window = _window(text, previous_end, hit.start)
        kind = hit.hint or _cue(window)
        if kind is None:
            gap = text[previous_end : hit.start]
            if index and kinds[-1] == "deadline" and CONNECTOR.match(_strip_stage(gap)):
                kind = "deadline"  # "15 January (stage 1) and 15 May"
            elif index and kinds[-1] == "opening" and DASH.match(gap):
                kind = "deadline"  # "1 March 2026 – 30 April 2026"
            else:
                kind = "other"
        kinds.append("other" if kind == "superseded" else kind)
        previous_end = hit.end
    return kinds


def _strip_stage(gap: str) -> str:
    """``gap`` without stage labels, so "15 Jan (stage 1) and 15 May" still reads as a list."""
    return STAGE.sub("", gap) if len(gap) < 60 else gap


def _label(text: str, hit: _Hit, lower: int) -> str | None:
    """``stage N`` / ``cut-off N`` named right after the date, else in its window before."""
    after = STAGE_AFTER.match(text, hit.end)
    if after is not None:
        return _stage_name(after)
    matches = list(STAGE.finditer(_window(text, lower, hit.start)))
    return _stage_name(matches[-1]) if matches else None


def _stage_name(match: re.Match[str]) -> str:
    word = (match.group("word1") or match.group("word2") or match.group("word3")).lower()
    number = match.group("n1") or match.group("n2")
    if number is None:
        number = str(ORDINALS.get(match.group("ord").lower(), 1))
    base = (
        "cut-off" if word.replace("-", "").startswith("cutoff")
        else "round" if word in ("round", "раунд", "krug", "forduló")
        else "stage"
    )
    return f"{base} {int(number)}"


# ----------------------------------------------------------------------------- API


def parse_deadline(text: str, tz: ZoneInfo, label: str | None = None) -> Deadline:
    """One deadline expression as published (a day, or a day and time, in ``tz`` unless the text names a zone)."""
    hit = _first_hit(text)
    if hit is None:
        return Deadline(raw=text, label=label)
    return deadlines.published(hit.day, hit.clock, _publisher_zone(hit, tz), text, label)


def _publisher_zone(hit: _Hit, tz: tzinfo) -> tzinfo:
    """The zone a deadline is shown in: the one the text names, unless it keeps the source's own clock then
    ("ora României" read as EET on a Bucharest page stays Bucharest time, "CET" on a Belgrade page Belgrade's)."""
    if hit.zone is None or hit.day is None:
        return tz
    moment = datetime.combine(hit.day, hit.clock or time(12), hit.zone)
    return tz if moment.astimezone(tz).utcoffset() == moment.utcoffset() else hit.zone


def _first_hit(text: str) -> _Hit | None:
    norm = Normalised(text)
    hits = _hits(norm.text)
    if not hits:
        return None
    hit = hits[0]
    if hit.zone is None:
        zone = _zone(ZONE_ANYWHERE.search(norm.text))
        if zone is not None:
            hit = _Hit(hit.start, hit.end, hit.day, hit.clock, zone, hit.hint)
    return hit


def parse_date(text: str, tz: ZoneInfo, *, end_of_day: bool = True) -> datetime | None:
    """One date expression -> aware datetime, or None (no date, no year, invalid).

    A date without time is 23:59:59 of that day in ``tz`` when ``end_of_day``,
    else 00:00. A zone word anywhere in ``text`` (``CET``, ``Kyiv time``,
    ``за київським часом``, ``UTC``, ``GMT+2``) wins over ``tz``.
    """
    hit = _first_hit(text)
    return _instant(hit, tz, end_of_day) if hit is not None else None


@lru_cache(maxsize=16)
def _found(text: str, tz: ZoneInfo, language: str | None) -> tuple[Normalised, tuple[_Hit, ...], tuple[FoundDate, ...]]:
    """Dates of ``text`` with their hits; cached because a page is asked for dates, deadlines and opening in a row."""
    norm = Normalised(text)
    hits = _hits(norm.text, month_first=(language or "").lower() == "en-us")
    kinds = _classify(norm.text, hits)
    found = tuple(
        FoundDate(
            at=_instant(hit, tz, end_of_day=kind == "deadline"),
            raw=norm.raw(hit.start, hit.end),
            kind=kind,
            has_time=hit.clock is not None,
        )
        for hit, kind in zip(hits, kinds, strict=True)
    )
    return norm, tuple(hits), found


def find_dates(text: str, tz: ZoneInfo, language: str | None = None) -> list[FoundDate]:
    """Every date in ``text``, in text order, each with its kind (deadline / opening / other).

    ``language`` only matters for ``en-US`` (slashed dates month first).
    """
    return list(_found(text, tz, language)[2])


def find_deadlines(text: str, tz: ZoneInfo, language: str | None = None) -> list[Deadline]:
    """Submission deadlines in chronological order, superseded dates left out.

    Repeats are merged: the same instant once, and a bare date dropped when the
    same day is also given with a time. Yearless deadlines (``at`` None) are
    returned only when no deadline has a year.
    """
    norm, hits, found = _found(text, tz, language)
    chosen: list[tuple[_Hit, FoundDate, int]] = []
    previous_end = 0
    for hit, item in zip(hits, found, strict=True):
        if item.kind == "deadline":
            chosen.append((hit, item, previous_end))
        previous_end = hit.end
    dated = [entry for entry in chosen if entry[1].at is not None]
    if dated:
        timed_days = {entry[0].day for entry in dated if entry[1].has_time}
        seen: set[datetime] = set()
        kept = []
        for entry in dated:
            hit, item, _ = entry
            if item.at in seen or (not item.has_time and hit.day in timed_days):
                continue
            seen.add(item.at)  # type: ignore[arg-type]
            kept.append(entry)
        kept.sort(key=lambda entry: entry[1].at)  # type: ignore[arg-type,return-value]
    else:
        kept = chosen
    return [
        deadlines.published(
            hit.day, hit.clock, _publisher_zone(hit, tz), item.raw, _label(norm.text, hit, window_start)
        )
        for hit, item, window_start in kept
    ]


def find_opening(text: str, tz: ZoneInfo, language: str | None = None) -> FoundDate | None:
    """The opening of submissions: the first date cued as an opening (a dated one if any), else None.

    A date-only opening is 00:00 of that day.
    """
    openings = [item for item in find_dates(text, tz, language) if item.kind == "opening"]
    for item in openings:
        if item.at is not None:
            return item
    return openings[0] if openings else None
