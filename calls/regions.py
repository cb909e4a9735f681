"""Region profiles and programme areas: the data classification reads (DESIGN §5).

Shipped data lives in ``calls/data/regions.toml`` (regions, theme and applicant-type
vocabularies, country gazetteers, scoring weights) and
``calls/data/programme_areas.toml`` (the one programme registry: names, F&TP codes, which countries
and areas each programme covers). A department's configuration overrides or adds to both: pass the parsed
config (or any dict of the same shape) as ``overrides``. Tables merge key by key,
lists and scalars replace; ``[regions.<id>] enabled = false`` drops a region and a
priority weight of 0 drops a theme (``[regions.lviv.priorities.themes] health = 0``).

Facts that could not be confirmed carry ``uncertain = true`` and a ``note`` in the
data; they surface here as :attr:`RegionProfile.uncertain` and
:attr:`CountryStatus.uncertain` so reasons can say "unconfirmed".
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache
from importlib import resources
from types import MappingProxyType
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from calls.config import ConfigError

LANGUAGES = ("uk", "sr-Latn", "sr-Cyrl", "en")
"""Languages every region name and theme keyword list is given in."""

_META_KEYS = {"uncertain", "note", "source"}


@dataclass(frozen=True)
class Vocabulary:
    """A named concept (theme, applicant type) and its matching stems per language."""

    id: str
    label: str
    keywords: Mapping[str, tuple[str, ...]]
    """Language tag → matching stems (see the conventions at the top of regions.toml)."""

    @property
    def all_keywords(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(k for words in self.keywords.values() for k in words))


@dataclass(frozen=True)
class Theme:
    """One priority theme of a region, with its weight (1 = priority, 2 = top priority)."""

    id: str
    label: str
    weight: float
    keywords: Mapping[str, tuple[str, ...]]

    @property
    def all_keywords(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(k for words in self.keywords.values() for k in words))


@dataclass(frozen=True)
class Country:
    """A country as the classifier needs it: names, mention stems and its areas."""

    code: str
    """ISO 3166-1 alpha-2."""
    names: Mapping[str, str]
    match: tuple[str, ...]
    """Stems that name the country (or its people) in any language."""
    groups: tuple[str, ...]
    """Stems naming a group the country belongs to (Eastern Partnership, Western Balkans)."""
    nationwide: tuple[str, ...]
    """Phrases meaning "the whole country" ("з усієї України", "teritorija Republike Srbije")."""
    areas: Mapping[str, tuple[str, ...]]
    """Gazetteer: ISO 3166-2 code → stems naming that area."""

    @property
    def name(self) -> str:
        return self.names.get("en", self.code)


@dataclass(frozen=True, eq=False)
class RegionProfile:
    """A region whose readers get a digest; compared and hashed by identity."""

    id: str
    """Profile key, e.g. ``lviv``, ``vojvodina``."""
    code: str
    """ISO 3166-2 code, e.g. ``UA-46``, ``RS-VO``."""
    country: Country
    names: Mapping[str, str]
    """Language tag (uk, sr-Latn, sr-Cyrl, en) → name."""
    timezone: str
    digest_languages: tuple[str, ...]
    areas: frozenset[str]
    """Every code standing for the region or a part of it (ISO 3166-2, NUTS)."""
    aliases: tuple[str, ...]
    """Matching stems for the region's names, colloquial names and main towns."""
    themes: tuple[Theme, ...]
    applicant_types: frozenset[str]
    """Applicant types (DESIGN §3 list) the region's digest readers are."""
    applicant_vocabulary: Mapping[str, Vocabulary]
    """Every applicant type and the stems that detect it in a call's text."""
    other_countries: tuple[Country, ...] = ()
    """The other countries of the data, to tell a call for them from a call for this region."""
    uncertain: tuple[str, ...] = ()
    """Notes on facts of this profile that are not confirmed."""
    source: str = ""

    @property
    def name(self) -> str:
        return self.names.get("en", self.id)

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


@dataclass(frozen=True)
class CountryStatus:
    """How a country takes part in a programme."""

    status: str
    """associated | participating | partial | partner | per-call | unknown | not-associated."""
    since: date | None = None
    """Date from which the status applies; before it the country does not take part."""
    note: str = ""
    source: str = ""
    uncertain: bool = False


STATUSES = {"associated", "participating", "partial", "partner", "per-call", "unknown", "not-associated"}


@dataclass(frozen=True)
class ProgrammeArea:
    """Which countries and areas a programme covers."""

    id: str
    name: str
    funder: str
    kind: str
    countries: frozenset[str]
    """Countries taking part (groups expanded)."""
    areas: frozenset[str]
    uncertain_areas: frozenset[str]
    statuses: Mapping[str, CountryStatus]
    aliases: tuple[str, ...] = ()
    call_id_prefixes: tuple[str, ...] = ()
    themes: tuple[str, ...] = ()
    """Themes every call of the programme is about (Interreg A: cross-border cooperation)."""
    sources: tuple[str, ...] = ()
    """Source slugs that publish only this programme's calls."""
    ftp_codes: tuple[str, ...] = ()
    """F&TP SEDIA ``frameworkProgramme`` codes (numeric strings)."""
    ftp_abbreviations: tuple[str, ...] = ()
    """Abbreviations the F&TP prints for it (``HORIZON``, ``DIGITAL``)."""
    uncertain: bool = False
    note: str = ""
    source: str = ""

    def areas_in(self, country: str) -> frozenset[str]:
        """The programme's area codes in ``country``; empty means the whole country (if it takes part)."""
        return frozenset(a for a in self.areas if a[:2] == country)

    def status_for(self, country: str) -> CountryStatus | None:
        """The country's status; None when it does not take part at all."""
        if country in self.statuses:
            return self.statuses[country]
        if country in self.countries:
            return CountryStatus("participating", source=self.source, uncertain=self.uncertain, note=self.note)
        return None

    @property
    def says_anything(self) -> bool:
        """False for an entry with neither countries nor statuses (no eligibility facts)."""
        return bool(self.countries or self.statuses)


class ProgrammeAreas(Mapping[str, ProgrammeArea]):
    """Programme areas by registry id, plus lookup by official call identifier."""

    __eq__ = object.__eq__  # identity, so a registry can key caches
    __hash__ = object.__hash__

    def __init__(self, programmes: list[ProgrammeArea]):
        self._by_id = {p.id: p for p in programmes}
        self._by_source = {source: p for p in programmes for source in p.sources}
        self._by_ftp = {code.upper(): p for p in programmes for code in (*p.ftp_codes, *p.ftp_abbreviations)}
        self._prefixes = sorted(
            ((prefix.upper(), p) for p in programmes for prefix in p.call_id_prefixes),
            key=lambda item: -len(item[0]),
        )

    def __getitem__(self, key: str) -> ProgrammeArea:
        return self._by_id[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._by_id)

    def __len__(self) -> int:
        return len(self._by_id)

    def by_source(self, source: str) -> ProgrammeArea | None:
        """The programme whose own site the source is (``house-of-europe`` → House of Europe)."""
        return self._by_source.get(source)

    def by_ftp_code(self, code: str | None) -> ProgrammeArea | None:
        """The programme an F&TP ``frameworkProgramme`` value (code or abbreviation) stands for."""
        return self._by_ftp.get(code.strip().upper()) if code else None

    def by_call_id(self, call_id: str | None) -> ProgrammeArea | None:
        """The programme an official call identifier belongs to (``HORIZON-CL5-…`` → Horizon Europe)."""
        if not call_id:
            return None
        upper = call_id.strip().upper()
        for prefix, programme in self._prefixes:
            if upper.startswith(prefix):
                return programme
        return None


# ------------------------------------------------------------------ loading


def load_regions(overrides: Mapping[str, Any] | None = None) -> dict[str, RegionProfile]:
    """Region profiles by id: the shipped data merged with ``overrides`` (same shape as regions.toml)."""
    data = _merged("regions.toml", overrides, ("regions", "themes", "applicant_types", "countries"))
    themes = {tid: _vocabulary(tid, entry) for tid, entry in data.get("themes", {}).items()}
    applicants = MappingProxyType(
        {aid: _vocabulary(aid, entry) for aid, entry in data.get("applicant_types", {}).items()}
    )
    countries = {code: _country(code, entry) for code, entry in data.get("countries", {}).items()}
    regions = {}
    for rid, entry in data.get("regions", {}).items():
        if entry.get("enabled", True):
            regions[rid] = _region(rid, entry, themes, applicants, countries)
    return regions


def weight_table(overrides: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The ``[weights]`` table of regions.toml merged with the overrides' ``[weights]``."""
    return dict(_merged("regions.toml", overrides, ("weights",)).get("weights", {}))


def load_programme_areas(overrides: Mapping[str, Any] | None = None) -> ProgrammeAreas:
    """Programme areas: programme_areas.toml merged with ``overrides`` (``[programmes.<id>]``, ``[groups]``)."""
    data = _merged("programme_areas.toml", overrides, ("programmes", "groups"))
    groups = {name: tuple(members) for name, members in data.get("groups", {}).items()}
    return ProgrammeAreas([_programme(pid, entry, groups) for pid, entry in data.get("programmes", {}).items()])


@cache
def default_regions() -> dict[str, RegionProfile]:
    """The shipped region profiles (do not mutate)."""
    return load_regions()


@cache
def default_programme_areas() -> ProgrammeAreas:
    """The shipped programme areas."""
    return load_programme_areas()


def _merged(filename: str, overrides: Mapping[str, Any] | None, keys: tuple[str, ...]) -> dict[str, Any]:
    data = _shipped(filename)
    for key in keys:
        if overrides and key in overrides:
            data[key] = _deep_merge(data.get(key, {}), overrides[key], key)
    return data


def _shipped(filename: str) -> dict[str, Any]:
    text = resources.files("calls.data").joinpath(filename).read_text(encoding="utf-8")
    return tomllib.loads(text)


def _deep_merge(base: Any, override: Any, where: str) -> Any:
    if isinstance(base, dict) and isinstance(override, Mapping):
        merged = dict(base)
        for key, value in override.items():
            merged[key] = _deep_merge(base.get(key), value, f"{where}.{key}") if key in base else value
        return merged
    if isinstance(base, dict) and override is not None:
        raise ConfigError(f"[{where}] must be a table, got {override!r}")
    return override


def _vocabulary(vid: str, entry: Mapping[str, Any]) -> Vocabulary:
    keywords = {lang: tuple(words) for lang, words in entry.items() if isinstance(words, list)}
    return Vocabulary(id=vid, label=entry.get("label", vid), keywords=MappingProxyType(keywords))


def _country(code: str, entry: Mapping[str, Any]) -> Country:
    return Country(
        code=code,
        names=MappingProxyType(dict(entry.get("names", {}))),
        match=tuple(entry.get("match", ())),
        groups=tuple(dict.fromkeys(entry.get("groups", ()))),
        nationwide=tuple(entry.get("nationwide", ())),
        areas=MappingProxyType({area: tuple(stems) for area, stems in entry.get("areas", {}).items()}),
    )


_REGION_KEYS = {
    "code", "country", "timezone", "digest_languages", "areas", "applicant_types", "source", "names",
    "aliases", "nuts", "priorities", "keywords", "enabled", "uncertain", "note",
}


def _region(
    rid: str,
    entry: Mapping[str, Any],
    themes: Mapping[str, Vocabulary],
    applicants: Mapping[str, Vocabulary],
    countries: Mapping[str, Country],
) -> RegionProfile:
    unknown = set(entry) - _REGION_KEYS
    if unknown:
        raise ConfigError(f"[regions.{rid}]: unknown keys {sorted(unknown)}")
    for required in ("code", "country", "timezone", "names"):
        if required not in entry:
            raise ConfigError(f"[regions.{rid}]: {required!r} is required")
    country_code = entry["country"]
    if country_code not in countries:
        raise ConfigError(f"[regions.{rid}]: no [countries.{country_code}] table")
    try:
        ZoneInfo(entry["timezone"])
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(f"[regions.{rid}]: unknown time zone {entry['timezone']!r}") from None
    for applicant in entry.get("applicant_types", ()):
        if applicant not in applicants:
            raise ConfigError(f"[regions.{rid}]: unknown applicant type {applicant!r}")

    names = {lang: name for lang, name in entry["names"].items() if lang not in _META_KEYS}
    uncertain = [_uncertain_note(f"names of {rid}", entry["names"])]
    priorities = entry.get("priorities", {})
    uncertain.append(_uncertain_note(f"priorities of {rid}", priorities))
    nuts = entry.get("nuts", {})
    uncertain.append(_uncertain_note(f"NUTS code of {rid}", nuts))
    extra_keywords = entry.get("keywords", {})
    region_themes = []
    for tid, weight in priorities.get("themes", {}).items():
        if not weight:  # an override sets a weight to 0 to drop the theme
            continue
        if tid not in themes:
            raise ConfigError(f"[regions.{rid}.priorities]: unknown theme {tid!r}")
        keywords = dict(themes[tid].keywords)
        for lang, words in extra_keywords.get(tid, {}).items():
            keywords[lang] = tuple(dict.fromkeys((*keywords.get(lang, ()), *words)))
        region_themes.append(Theme(tid, themes[tid].label, float(weight), MappingProxyType(keywords)))

    areas = {entry["code"], *entry.get("areas", ())}
    if nuts.get("code"):
        areas.add(nuts["code"])
    return RegionProfile(
        id=rid,
        code=entry["code"],
        country=countries[country_code],
        names=MappingProxyType(names),
        timezone=entry["timezone"],
        digest_languages=tuple(entry.get("digest_languages", ("en",))),
        areas=frozenset(a.upper() for a in areas),
        aliases=tuple(entry.get("aliases", ())),
        themes=tuple(region_themes),
        applicant_types=frozenset(entry.get("applicant_types", ())),
        applicant_vocabulary=applicants,
        other_countries=tuple(c for code, c in countries.items() if code != country_code),
        uncertain=tuple(note for note in uncertain if note),
        source=entry.get("source", ""),
    )


def _uncertain_note(what: str, table: Mapping[str, Any]) -> str:
    if not table.get("uncertain"):
        return ""
    return f"{what}: {table.get('note') or 'unconfirmed'}"


def _programme(pid: str, entry: Mapping[str, Any], groups: Mapping[str, tuple[str, ...]]) -> ProgrammeArea:
    countries: set[str] = set()
    for item in entry.get("countries", ()):
        countries.update(groups.get(item, (item,)))
    statuses = {}
    for country, raw in entry.get("status", {}).items():
        if raw.get("status") not in STATUSES:
            raise ConfigError(f"[programmes.{pid}.status.{country}]: status must be one of {sorted(STATUSES)}")
        since = raw.get("from")
        if isinstance(since, datetime):
            since = since.date()
        elif isinstance(since, str):
            since = date.fromisoformat(since)
        statuses[country] = CountryStatus(
            status=raw["status"], since=since, note=raw.get("note", ""), source=raw.get("source", ""),
            uncertain=bool(raw.get("uncertain", False)),
        )
    areas = frozenset(a.upper() for a in entry.get("areas", ()))
    return ProgrammeArea(
        id=pid,
        name=entry.get("name", pid),
        funder=entry.get("funder", ""),
        kind=entry.get("kind", ""),
        countries=frozenset(countries | {a[:2] for a in areas}),
        areas=areas,
        uncertain_areas=frozenset(a.upper() for a in entry.get("uncertain_areas", ())),
        statuses=MappingProxyType(statuses),
        aliases=tuple(entry.get("aliases", ())),
        call_id_prefixes=tuple(entry.get("call_id_prefixes", ())),
        themes=tuple(entry.get("themes", ())),
        sources=tuple(entry.get("sources", ())),
        ftp_codes=tuple(str(c) for c in entry.get("ftp_codes", ())),
        ftp_abbreviations=tuple(entry.get("ftp_abbreviations", ())),
        uncertain=bool(entry.get("uncertain", False)),
        note=entry.get("note", ""),
        source=entry.get("source", ""),
    )


def overrides_from(config) -> dict[str, Any]:
    """The department's ``[regions]``, ``[themes]`` and ``[weights]`` tables, shaped like regions.toml."""
    return {
        key: config.raw[key]
        for key in ("regions", "themes", "applicant_types", "countries", "weights")
        if key in config.raw
    }


def programme_overrides(config) -> dict[str, Any] | None:
    """The department's ``[programmes]`` and ``[groups]`` tables, shaped like programme_areas.toml (None: none)."""
    found = {key: config.raw[key] for key in ("programmes", "groups") if key in config.raw}
    return found or None


def configured_programmes(config) -> ProgrammeAreas:
    """The programme registry in force: the shipped data with the department's ``[programmes]``."""
    overrides = programme_overrides(config)
    return load_programme_areas(overrides) if overrides else default_programme_areas()


def configured_regions(config) -> dict[str, RegionProfile]:
    """The region profiles in force: the shipped data with the department's overrides."""
    return load_regions(overrides_from(config) or None)
