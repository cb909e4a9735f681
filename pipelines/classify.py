"""Classify calls by region priority: pure, rule-based, every point explained (DESIGN §5).

For each (call, region) pair :func:`classify` returns an eligibility verdict, a
0–100 score, a tier and the reasons behind them. The score adds up

- eligibility: programme area and country association (``programme_areas.toml``),
  the call's own ``eligible_countries`` / ``eligible_areas`` and official identifier,
  and names of the region or country in the call's text;
- theme match: the region's priority themes found in title, summary and keywords;
- applicant type: the call's applicant types against the region's readers;
- deadline: ample time scores more than a few days; a closed call is never above "low".

Text matching folds both text and keywords the same way (:func:`fold`): lower
case, Cyrillic → Latin with Serbian conventions (so "Војводина" = "Vojvodina"),
diacritics stripped. Keywords are word-prefix stems, compiled once into a
:class:`Matcher`; :func:`classify_all` tokenises each call once for all regions.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, fields
from datetime import datetime
from enum import StrEnum
from functools import lru_cache
from typing import Any

from calls.regions import (
    ProgrammeArea,
    ProgrammeAreas,
    RegionProfile,
    default_programme_areas,
    weight_table,
)
from calls.schema import Call, Status


class Eligibility(StrEnum):
    ELIGIBLE = "eligible"
    LIKELY = "likely"
    UNKNOWN = "unknown"
    NOT_ELIGIBLE = "not-eligible"


class Tier(StrEnum):
    TOP = "top"
    RELEVANT = "relevant"
    LOW = "low"
    NOT_ELIGIBLE = "not-eligible"


@dataclass(frozen=True)
class Classification:
    """How one call fits one region."""

    region: str
    score: int
    tier: Tier
    eligibility: Eligibility
    reasons: tuple[str, ...]
    matched_themes: tuple[str, ...]


@dataclass(frozen=True)
class Weights:
    """Points per factor and tier thresholds; defaults come from ``[weights]`` in regions.toml."""

    eligible: int = 35
    likely: int = 25
    unknown: int = 10
    not_eligible: int = 0
    theme_per_weight: int = 15
    theme_max: int = 35
    applicant_match: int = 5
    applicant_mismatch: int = -20
    deadline_ample: int = 20
    deadline_ok: int = 15
    deadline_short: int = 8
    deadline_urgent: int = 0
    deadline_unknown: int = 10
    forthcoming: int = 15
    ample_days: int = 30
    ok_days: int = 10
    urgent_days: int = 3
    closed_cap: int = 20
    top: int = 65
    relevant: int = 40

    @classmethod
    def from_mapping(cls, table: Mapping[str, Any]) -> Weights:
        known = {f.name for f in fields(cls)}
        unknown = set(table) - known
        if unknown:
            raise ValueError(f"unknown weights {sorted(unknown)}; known: {sorted(known)}")
        return cls(**{key: int(value) for key, value in table.items()})


@lru_cache(maxsize=1)
def default_weights() -> Weights:
    """Weights from the shipped regions.toml."""
    return Weights.from_mapping(weight_table())


# ------------------------------------------------------------------ folding and matching

_CYRILLIC = {
    "а": "a", "б": "b", "в": "v", "г": "g", "ґ": "g", "д": "d", "ђ": "dj", "е": "e", "є": "je", "ж": "z",
    "з": "z", "и": "i", "і": "i", "ї": "i", "й": "j", "ј": "j", "к": "k", "л": "l", "љ": "lj", "м": "m",
    "н": "n", "њ": "nj", "о": "o", "п": "p", "р": "r", "с": "s", "т": "t", "ћ": "c", "у": "u", "ф": "f",
    "х": "h", "ц": "c", "ч": "c", "џ": "dz", "ш": "s", "щ": "sc", "ь": "", "ъ": "", "ю": "ju", "я": "ja",
    "ы": "y", "э": "e", "ё": "e",
}
_FOLD = str.maketrans(
    {
        **_CYRILLIC,
        "đ": "dj", "ł": "l", "ø": "o", "ß": "ss", "æ": "ae", "œ": "oe", "ı": "i",
        "'": "", "’": "", "ʼ": "", "`": "", "‘": "",
        **{chr(c): None for c in range(0x300, 0x370)},  # combining diacritics left by NFKD
    }
)
_TOKEN = re.compile(r"[\w'’ʼ`‘]+")


@lru_cache(maxsize=200_000)
def fold(word: str) -> str:
    """One word folded for matching: lower case, Latin script, no diacritics or apostrophes."""
    return unicodedata.normalize("NFKD", word.lower()).translate(_FOLD)


def fold_text(text: str) -> list[str]:
    """The folded words of ``text`` (hyphens, dashes and punctuation separate words)."""
    return [f for f in (fold(t) for t in _TOKEN.findall(text)) if f]


@dataclass(frozen=True)
class _Stem:
    text: str
    whole: bool
    """Must equal the word (short stems and those written with a trailing ``$``)."""

    def matches(self, word: str) -> bool:
        return word == self.text if self.whole else word.startswith(self.text)


def keyword_key(keyword: str) -> tuple[_Stem, ...]:
    """A keyword as folded stems: the key under which a :class:`Matcher` reports it."""
    stems = []
    for part in keyword.split():
        whole = part.endswith("$")
        stems += [_Stem(word, whole or len(word) <= 3) for word in fold_text(part.rstrip("$"))]
    return tuple(stems)


class Matcher:
    """Finds many keywords in a text in one pass over its words.

    Keywords are indexed by their first stem (exact word, or its first four
    letters for prefix stems), so the cost grows with the text, not the vocabulary.
    """

    def __init__(self, keywords: Iterable[str]):
        self._exact: dict[str, list[tuple[_Stem, ...]]] = {}
        self._prefix: dict[str, list[tuple[_Stem, ...]]] = {}
        for keyword in dict.fromkeys(keywords):
            key = keyword_key(keyword)
            if not key:
                continue
            first = key[0]
            if first.whole or len(first.text) < 4:
                self._exact.setdefault(first.text, []).append(key)
            else:
                self._prefix.setdefault(first.text[:4], []).append(key)
        for bucket in (*self._exact.values(), *self._prefix.values()):
            bucket[:] = list(dict.fromkeys(bucket))

    def find(self, text: str | None) -> dict[tuple[_Stem, ...], str]:
        """Keyword key → the words of ``text`` it matched first (as written)."""
        if not text:
            return {}
        original = [t for t in _TOKEN.findall(text) if fold(t)]
        words = [fold(t) for t in original]
        hits: dict[tuple[_Stem, ...], str] = {}
        for i, word in enumerate(words):
            candidates = self._exact.get(word, [])
            if len(word) >= 4:
                candidates = candidates + self._prefix.get(word[:4], [])
            for key in candidates:
                if key in hits or i + len(key) > len(words):
                    continue
                if all(stem.matches(words[i + j]) for j, stem in enumerate(key)):
                    hits[key] = " ".join(original[i : i + len(key)])
        return hits


# ------------------------------------------------------------------ compiled rules


@dataclass(frozen=True)
class _ThemeRule:
    id: str
    label: str
    weight: float
    keys: frozenset


@dataclass(frozen=True)
class _RegionRules:
    """A region's vocabularies as matcher keys."""

    region: RegionProfile
    themes: tuple[_ThemeRule, ...]
    aliases: frozenset
    country: frozenset
    groups: frozenset
    nationwide: frozenset
    gazetteer: Mapping[tuple, frozenset[str]]
    """Matcher key → the country's area codes it names."""
    applicants: Mapping[str, frozenset]


def _rules_for(region: RegionProfile) -> _RegionRules:
    keys = lambda words: frozenset(k for k in map(keyword_key, words) if k)  # noqa: E731
    gazetteer: dict[tuple, set[str]] = {}
    for code, stems in region.country.areas.items():
        for key in keys(stems):
            gazetteer.setdefault(key, set()).add(code)
    return _RegionRules(
        region=region,
        themes=tuple(_ThemeRule(t.id, t.label, t.weight, keys(t.all_keywords)) for t in region.themes),
        aliases=keys(region.aliases),
        country=keys(region.country.match),
        groups=keys(region.country.groups),
        nationwide=keys(region.country.nationwide),
        gazetteer={k: frozenset(v) for k, v in gazetteer.items()},
        applicants={aid: keys(v.all_keywords) for aid, v in region.applicant_vocabulary.items()},
    )


@dataclass(frozen=True)
class _Compiled:
    matcher: Matcher
    rules: tuple[_RegionRules, ...]
    programme_aliases: Mapping[tuple, str]
    registry: ProgrammeAreas


def compile_rules(regions: Iterable[RegionProfile], registry: ProgrammeAreas) -> _Compiled:
    """Compile the keyword matcher and per-region rules once; reuse it for many calls."""
    rules = tuple(_rules_for(r) for r in regions)
    programme_aliases = {}
    for programme in registry.values():
        for alias in programme.aliases:
            key = keyword_key(alias)
            if key:
                programme_aliases.setdefault(key, programme.id)
    words: list[str] = []
    for region in (r.region for r in rules):
        words += region.aliases + region.country.match + region.country.groups + region.country.nationwide
        words += [s for stems in region.country.areas.values() for s in stems]
        words += [k for t in region.themes for k in t.all_keywords]
        words += [k for v in region.applicant_vocabulary.values() for k in v.all_keywords]
    words += [alias for p in registry.values() for alias in p.aliases]
    return _Compiled(Matcher(words), rules, programme_aliases, registry)


@lru_cache(maxsize=256)
def _compiled_for(region: RegionProfile, registry: ProgrammeAreas) -> _Compiled:
    return compile_rules([region], registry)


@dataclass(frozen=True)
class _Facts:
    """What the text of one call says, found once and shared by every region."""

    title: Mapping[tuple, str]
    body: Mapping[tuple, str]
    eligibility: Mapping[tuple, str]

    @property
    def main(self) -> dict[tuple, str]:
        return {**self.body, **self.title}

    def any(self) -> dict[tuple, str]:
        return {**self.eligibility, **self.body, **self.title}


def _facts(call: Call, matcher: Matcher) -> _Facts:
    body = " \n ".join(filter(None, (call.summary, call.parent_call_title, " ; ".join(call.keywords))))
    return _Facts(matcher.find(call.title), matcher.find(body), matcher.find(call.eligibility_text))


# ------------------------------------------------------------------ public API


def classify(
    call: Call,
    region: RegionProfile,
    registry: ProgrammeAreas | None = None,
    now: datetime | None = None,
    weights: Weights | None = None,
) -> Classification:
    """Classify one call for one region. ``now`` must be timezone-aware."""
    if now is None:
        raise ValueError("classify needs an explicit, timezone-aware 'now'")
    compiled = _compiled_for(region, registry or default_programme_areas())
    facts = _facts(call, compiled.matcher)
    return _classify(call, facts, compiled.rules[0], compiled, _aware(now), weights or default_weights())


def classify_all(
    calls: Iterable[Call],
    regions: Iterable[RegionProfile],
    now: datetime,
    registry: ProgrammeAreas | None = None,
    weights: Weights | None = None,
) -> Iterator[tuple[str, Classification]]:
    """``(uid, classification)`` for every call × region; each call's text is read once."""
    compiled = compile_rules(regions, registry or default_programme_areas())
    weights = weights or default_weights()
    now = _aware(now)
    for call in calls:
        facts = _facts(call, compiled.matcher)
        for rules in compiled.rules:
            yield call.uid, _classify(call, facts, rules, compiled, now, weights)


def _aware(now: datetime) -> datetime:
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError(f"'now' must be timezone-aware, got {now.isoformat()}")
    return now


# ------------------------------------------------------------------ the rules

_RANK = {Eligibility.ELIGIBLE: 3, Eligibility.LIKELY: 2, Eligibility.UNKNOWN: 1, Eligibility.NOT_ELIGIBLE: 0}
_EUROPEAID_COUNTRY = re.compile(r"EuropeAid/\d+/[A-Z]+/[A-Z]+/([A-Z]{2})\b")
_LANGUAGE_COUNTRY = {"uk": "UA", "sr": "RS", "sr-latn": "RS", "sr-cyrl": "RS"}


def _classify(
    call: Call, facts: _Facts, rules: _RegionRules, compiled: _Compiled, now: datetime, weights: Weights
) -> Classification:
    region = rules.region
    programme, programme_how = _programme(call, facts, compiled)
    eligibility, reasons = _eligibility(call, facts, rules, programme, programme_how, now)
    score = {
        Eligibility.ELIGIBLE: weights.eligible,
        Eligibility.LIKELY: weights.likely,
        Eligibility.UNKNOWN: weights.unknown,
        Eligibility.NOT_ELIGIBLE: weights.not_eligible,
    }[eligibility]

    themes, theme_points, theme_reasons = _themes(call, facts, rules, weights)
    score += theme_points
    reasons += theme_reasons

    applicant_points, applicant_reasons, mismatch = _applicants(call, facts, rules, weights)
    score += applicant_points
    reasons += applicant_reasons

    deadline_points, deadline_reasons, closed, urgent = _deadline(call, now, region, weights)
    score += deadline_points
    reasons += deadline_reasons

    score = max(0, min(100, round(score)))
    if eligibility is Eligibility.NOT_ELIGIBLE:
        tier = Tier.NOT_ELIGIBLE
        score = min(score, weights.closed_cap // 2)
    elif closed:
        tier = Tier.LOW
        score = min(score, weights.closed_cap)
    else:
        tier = Tier.TOP if score >= weights.top else Tier.RELEVANT if score >= weights.relevant else Tier.LOW
        if urgent and tier is Tier.TOP:
            tier = Tier.RELEVANT
            reasons.append("too little time left for a new application, so not a top match")
        if mismatch and tier is not Tier.LOW:
            tier = Tier.LOW
            reasons.append("ranked low because the readers cannot apply themselves")
    return Classification(region.id, score, tier, eligibility, tuple(reasons), themes)


def _programme(call: Call, facts: _Facts, compiled: _Compiled) -> tuple[ProgrammeArea | None, str]:
    registry = compiled.registry
    if call.programme_id and call.programme_id in registry:
        return registry[call.programme_id], "registry"
    found = registry.by_call_id(call.call_id)
    if found is not None:
        return found, f"call identifier {call.call_id}"
    for hits in (facts.title, facts.body):
        named = {compiled.programme_aliases[k] for k in hits if k in compiled.programme_aliases}
        if len(named) == 1:
            pid = named.pop()
            return registry[pid], "the call's text"
    return None, ""


def _eligibility(
    call: Call, facts: _Facts, rules: _RegionRules, programme: ProgrammeArea | None, how: str, now: datetime
) -> tuple[Eligibility, list[str]]:
    region, country = rules.region, rules.region.country
    # 1. The call's own list of areas: the most specific fact there is.
    areas = {a.strip().upper() for a in call.eligible_areas}
    if areas:
        own = areas & region.areas
        if own:
            return Eligibility.ELIGIBLE, [f"call lists {', '.join(sorted(own))} ({region.name}) among eligible areas"]
        same_country = sorted(a for a in areas if a[:2] == country.code)
        if same_country:
            return Eligibility.NOT_ELIGIBLE, [
                f"call is limited to {', '.join(same_country)} in {country.name}; {region.name} is not among them"
            ]

    # 2. The call's own list of countries (or the country in an EuropeAid reference).
    countries = {c.strip().upper() for c in call.eligible_countries}
    europeaid = _EUROPEAID_COUNTRY.search(call.call_id or "")
    if europeaid:
        countries.add(europeaid.group(1))
    evidence: list[tuple[Eligibility, str]] = []
    if countries:
        if country.code not in countries:
            shown = ", ".join(sorted(countries)[:8]) + ("…" if len(countries) > 8 else "")
            return Eligibility.NOT_ELIGIBLE, [f"call is open to applicants from {shown}, not {country.name}"]
        evidence.append((Eligibility.ELIGIBLE, f"call is open to applicants from {country.name}"))

    # 3. The programme: area membership or association of the country.
    area_level = False
    if programme is not None and programme.says_anything:
        verdict, reason, area_level = _programme_verdict(programme, region, now)
        if how not in ("registry", "") and not how.startswith("call identifier"):
            reason += f" (programme recognised from {how})"
        elif how.startswith("call identifier"):
            reason += f" (from {how})"
        if verdict is Eligibility.NOT_ELIGIBLE and not (countries and not area_level):
            return verdict, [reason]
        if verdict is not Eligibility.NOT_ELIGIBLE:
            evidence.append((verdict, reason))
        if area_level and verdict is not Eligibility.NOT_ELIGIBLE:
            return _best(evidence)

    # 4. The call's text: names of the region, of other areas, of the country.
    everything = facts.any()
    own = [everything[k] for k in everything if k in rules.aliases]
    own += [everything[k] for k in everything if k in rules.gazetteer and rules.gazetteer[k] & region.areas]
    if own:
        where = "eligibility conditions" if any(k in facts.eligibility for k in rules.aliases) else "call text"
        evidence.append((Eligibility.ELIGIBLE, f"{where} names {region.name} (“{own[0]}”)"))
        return _best(evidence)
    others = sorted({code for k in everything if k in rules.gazetteer for code in rules.gazetteer[k]} - region.areas)
    nationwide = [everything[k] for k in everything if k in rules.nationwide]
    if nationwide:
        evidence.append((Eligibility.ELIGIBLE, f"call is open across {country.name} (“{nationwide[0]}”)"))
    elif others and not area_level and (programme is None or programme.kind not in ("eu", "interreg")):
        named = [everything[k] for k in everything if k in rules.gazetteer][:3]
        return Eligibility.NOT_ELIGIBLE, [
            f"call is for other areas of {country.name} ({', '.join(others)}: “{'”, “'.join(named)}”), not {region.name}"
        ]
    in_conditions = [facts.eligibility[k] for k in facts.eligibility if k in rules.country]
    in_text = [v for k, v in facts.main.items() if k in rules.country]
    groups = [v for k, v in everything.items() if k in rules.groups]
    if in_conditions:
        evidence.append((Eligibility.ELIGIBLE, f"eligibility conditions name {country.name} (“{in_conditions[0]}”)"))
    elif in_text:
        evidence.append((Eligibility.LIKELY, f"call text mentions {country.name} (“{in_text[0]}”)"))
    if groups:
        evidence.append((Eligibility.LIKELY, f"call text names a group {country.name} belongs to (“{groups[0]}”)"))
    language = (call.language or "").lower()
    if _LANGUAGE_COUNTRY.get(language) == country.code or _LANGUAGE_COUNTRY.get(language.split("-")[0]) == country.code:
        evidence.append((Eligibility.LIKELY, f"published in {call.language} for applicants in {country.name}"))
    if not evidence:
        return Eligibility.UNKNOWN, [f"no eligibility information about {country.name} or {region.name} found"]
    return _best(evidence)


def _best(evidence: list[tuple[Eligibility, str]]) -> tuple[Eligibility, list[str]]:
    best = max(evidence, key=lambda item: _RANK[item[0]])
    # Unknown-status evidence is superseded by anything stronger; keep the reasons that agree.
    reasons = [reason for verdict, reason in evidence if verdict is best[0]]
    return best[0], reasons[:2]


def _programme_verdict(programme: ProgrammeArea, region: RegionProfile, now: datetime) -> tuple[Eligibility, str, bool]:
    """(verdict, reason, whether the verdict is about the programme *area*)."""
    country = region.country
    status = programme.status_for(country.code)
    unconfirmed = " (unconfirmed)" if status is not None and status.uncertain else ""
    if status is None:
        return Eligibility.NOT_ELIGIBLE, f"{country.name} does not take part in {programme.name}", False
    if status.since is not None and now.date() < status.since:
        return Eligibility.NOT_ELIGIBLE, f"{country.name} takes part in {programme.name} only from {status.since:%d %b %Y}", False
    if status.status == "not-associated":
        return Eligibility.NOT_ELIGIBLE, f"{country.name} is not associated to {programme.name}{unconfirmed}", False
    if status.status == "unknown":
        return Eligibility.UNKNOWN, f"{country.name}'s participation in {programme.name} is not confirmed", False
    if status.status == "per-call":
        return Eligibility.UNKNOWN, f"{programme.name} calls name their own target countries; this one names none", False
    if status.status == "partner":
        return Eligibility.LIKELY, f"organisations from {country.name} can join {programme.name} projects as partners{unconfirmed}", False
    if status.status == "partial":
        detail = f" ({status.note})" if status.note else ""
        return Eligibility.LIKELY, f"{country.name} takes part in selected {programme.name} actions only{detail}", False
    scope = programme.areas_in(country.code)
    verb = "is associated to" if status.status == "associated" else "takes part in"
    if not scope:
        if programme.kind == "interreg":
            return Eligibility.ELIGIBLE, f"{programme.name} covers the whole of {country.name}{unconfirmed}", True
        return Eligibility.ELIGIBLE, f"{country.name} {verb} {programme.name}{unconfirmed}", False
    covered = scope & region.areas
    if not covered:
        return Eligibility.NOT_ELIGIBLE, (
            f"{programme.name} covers only {', '.join(sorted(scope))} in {country.name}, not {region.name} ({region.code})"
        ), True
    if covered <= programme.uncertain_areas:
        return Eligibility.LIKELY, f"{programme.name} probably covers {region.name} (programme area unconfirmed)", True
    if region.code in covered or len(covered) == len(region.areas):
        return Eligibility.ELIGIBLE, f"{programme.name} covers {region.name}", True
    return Eligibility.ELIGIBLE, f"{programme.name} covers part of {region.name} ({', '.join(sorted(covered))})", True


def _themes(call: Call, facts: _Facts, rules: _RegionRules, weights: Weights) -> tuple[tuple[str, ...], int, list[str]]:
    main = facts.main
    matched, reasons, total = [], [], 0.0
    for theme in rules.themes:
        words = list(dict.fromkeys(v for k, v in main.items() if k in theme.keys))
        tagged = theme.id in call.themes
        if not words and not tagged:
            continue
        matched.append(theme.id)
        total += theme.weight
        shown = f"keywords: {', '.join(words[:3])}" if words else "tagged by the source"
        reasons.append(f"matches priority '{theme.label}' ({shown})")
    points = min(weights.theme_max, round(weights.theme_per_weight * total))
    if not matched:
        reasons.append(f"matches none of {rules.region.name}'s priority themes")
    return tuple(matched), points, reasons


def _applicants(call: Call, facts: _Facts, rules: _RegionRules, weights: Weights) -> tuple[int, list[str], bool]:
    region = rules.region
    types = set(call.applicant_types)
    source = "call is open to"
    if not types:
        everything = facts.any()
        types = {aid for aid, keys in rules.applicants.items() if any(k in everything for k in keys)}
        source = "call text addresses"
    if not types:
        return 0, [], False
    label = lambda aid: region.applicant_vocabulary[aid].label if aid in region.applicant_vocabulary else aid  # noqa: E731
    fitting = sorted(types & region.applicant_types)
    if fitting:
        return weights.applicant_match, [f"{source} {', '.join(map(label, fitting))}, as the region's readers are"], False
    others = ", ".join(map(label, sorted(types)))
    return weights.applicant_mismatch, [f"{source} {others} only, not the organisations this digest serves"], True


def _deadline(call: Call, now: datetime, region: RegionProfile, weights: Weights) -> tuple[int, list[str], bool, bool]:
    """(points, reasons, closed, urgent)."""
    parsed = sorted((d.at, d.label) for d in call.deadlines if d.at is not None)
    upcoming = [(at, label) for at, label in parsed if at >= now]
    zone = region.zone
    if call.status is Status.CLOSED or (parsed and not upcoming):
        when = f" on {parsed[-1][0].astimezone(zone):%d %b %Y}" if parsed else ""
        return 0, [f"call is closed (deadline passed{when})" if parsed else "call is closed"], True, False
    if not upcoming:
        if call.opens_at is not None and call.opens_at > now:
            return weights.forthcoming, [f"opens on {call.opens_at.astimezone(zone):%d %b %Y}: time to prepare"], False, False
        return weights.deadline_unknown, ["no deadline published"], False, False
    at, label = upcoming[0]
    days = math.floor((at - now).total_seconds() / 86400)
    stage = f" ({label})" if label and len(upcoming) > 1 else ""
    date_text = f"{at.astimezone(zone):%d %b %Y}"
    if days >= weights.ample_days:
        return weights.deadline_ample, [f"deadline{stage} in {days} days ({date_text})"], False, False
    if days >= weights.ok_days:
        return weights.deadline_ok, [f"deadline{stage} in {days} days ({date_text})"], False, False
    if days > weights.urgent_days:
        return weights.deadline_short, [f"deadline{stage} in only {days} days ({date_text})"], False, False
    when = "today" if days == 0 else "tomorrow" if days == 1 else f"in {days} days"
    return weights.deadline_urgent, [f"deadline{stage} {when} ({date_text}): little time to apply"], False, True
