"""Classify calls by region priority: pure, rule-based, every point explained (DESIGN §5).

For each (call, region) pair :func:`classify` returns an eligibility verdict, a
0–100 score, a tier and the reasons behind them.

Eligibility, strongest evidence first: the call's ``eligible_areas``; its
``eligible_countries`` (or the country of an ``EuropeAid/…/UA`` reference); its
programme (``programme_areas.toml``: is the region in the programme area, is the
country associated), found by registry id, official identifier or name in the text;
then the text itself: the region named, only other areas of the country named, the
country named; last the call's language (Ukrainian → Ukraine, Serbian → Serbia).

The score adds up eligibility, priority themes found in title, summary and keywords,
the call's applicant types against the region's readers, and time to the deadline.
Thresholds make the tier; rules then cap it (closed → low, readers cannot apply →
low, eligibility unknown → at most relevant, …). Points, thresholds and the caps are
listed in ``[weights]`` of regions.toml and carried by :class:`Weights`.

Text matching folds both text and keywords the same way (:func:`fold`): lower
case, Cyrillic → Latin with Serbian conventions (so "Војводина" = "Vojvodina"),
diacritics stripped. Keywords are word-prefix stems, compiled once into a
:class:`Matcher`; :func:`classify_all` tokenises each call once for all regions.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, fields
from datetime import datetime
from functools import lru_cache
from typing import Any

from calls.regions import (
    Country,
    ProgrammeArea,
    ProgrammeAreas,
    RegionProfile,
    default_programme_areas,
    weight_table,
)
from calls.folding import fold as fold_one
from calls.reasons import Names, Reason, Term
from calls.schema import Call, Eligibility, Status, Tier


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
    """Points per factor and tier thresholds; defaults and their meaning: ``[weights]`` in regions.toml."""

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
    deadline_urgent: int = -5
    deadline_unknown: int = 10
    forthcoming: int = 15
    ample_days: int = 30
    ok_days: int = 10
    urgent_days: int = 3
    closed_cap: int = 20
    not_eligible_cap: int = 10
    top: int = 70
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

_TOKEN = re.compile(r"[\w'’ʼ`‘]+")


@lru_cache(maxsize=200_000)
def fold(word: str) -> str:
    """One word folded for matching (:func:`calls.folding.fold`, cached: words repeat)."""
    return fold_one(word)


def fold_text(text: str) -> list[str]:
    """The folded words of ``text`` (hyphens, dashes and punctuation separate words)."""
    return [f for f in (fold(t) for t in _TOKEN.findall(text)) if f]


def keyword_key(keyword: str) -> str:
    """A keyword in canonical folded form, the key under which a :class:`Matcher` reports it.

    Words become folded stems; a stem that must match a whole word ends in ``$``
    (written so, or at most three letters long): "Rivne$ oblast" → "rivne$ oblast".
    """
    stems = []
    for part in keyword.split():
        whole = part.endswith("$")
        stems += [word + "$" if whole or len(word) <= 3 else word for word in fold_text(part.rstrip("$"))]
    return " ".join(stems)


class Matcher:
    """Finds many keywords in a text in one pass over its words.

    Keywords are indexed by their first stem (exact word, or its first four
    letters for prefix stems), so the cost grows with the text, not the vocabulary.
    """

    def __init__(self, keywords: Iterable[str]):
        self._exact: dict[str, list[tuple[str, tuple[tuple[str, bool], ...]]]] = {}
        self._prefix: dict[str, list[tuple[str, tuple[tuple[str, bool], ...]]]] = {}
        for key in dict.fromkeys(map(keyword_key, keywords)):
            if not key:
                continue
            stems = tuple((stem.rstrip("$"), stem.endswith("$")) for stem in key.split())
            first, whole = stems[0]
            if whole:
                self._exact.setdefault(first, []).append((key, stems))
            else:
                self._prefix.setdefault(first[:4], []).append((key, stems))

    def find(self, text: str | None) -> dict[str, str]:
        """Keyword key → the words of ``text`` it matched first (as written)."""
        if not text:
            return {}
        pairs = [(token, folded) for token in _TOKEN.findall(text) if (folded := fold(token))]
        words = [folded for _, folded in pairs]
        hits: dict[str, str] = {}
        for i, word in enumerate(words):
            candidates = self._exact.get(word, [])
            if len(word) >= 4:
                candidates = candidates + self._prefix.get(word[:4], [])
            for key, stems in candidates:
                if key in hits or i + len(stems) > len(words):
                    continue
                if all(
                    words[i + j] == stem if whole else words[i + j].startswith(stem)
                    for j, (stem, whole) in enumerate(stems)
                ):
                    hits[key] = " ".join(token for token, _ in pairs[i : i + len(stems)])
        return hits


# ------------------------------------------------------------------ compiled rules


@dataclass(frozen=True)
class _RegionRules:
    """A region's vocabularies as matcher keys (see :func:`keyword_key`)."""

    region: RegionProfile
    themes: Mapping[str, tuple[int, ...]]
    """Key → indexes into ``region.themes`` of the themes it belongs to."""
    aliases: frozenset[str]
    country: frozenset[str]
    groups: frozenset[str]
    nationwide: frozenset[str]
    gazetteer: Mapping[str, frozenset[str]]
    """Key → the country's area codes it names."""
    foreign: Mapping[str, str]
    """Key → the other country it names."""
    applicants: Mapping[str, frozenset[str]]
    """Key → the applicant types it names."""


def _keys(words: Iterable[str]) -> frozenset[str]:
    return frozenset(k for k in map(keyword_key, words) if k)


def _index(groups: Iterable[tuple[Any, Iterable[str]]]) -> dict[str, Any]:
    """Key → every group label whose words include it."""
    index: dict[str, list] = {}
    for label, words in groups:
        for key in _keys(words):
            index.setdefault(key, []).append(label)
    return index


def _rules_for(region: RegionProfile) -> _RegionRules:
    return _RegionRules(
        region=region,
        themes={k: tuple(v) for k, v in _index(enumerate(t.all_keywords for t in region.themes)).items()},
        aliases=_keys(region.aliases),
        country=_keys(region.country.match),
        groups=_keys(region.country.groups),
        nationwide=_keys(region.country.nationwide),
        gazetteer={k: frozenset(v) for k, v in _index(region.country.areas.items()).items()},
        foreign={k: v[0] for k, v in _index((o.code, o.match) for o in region.other_countries).items()},
        applicants={
            k: frozenset(v)
            for k, v in _index((aid, v.all_keywords) for aid, v in region.applicant_vocabulary.items()).items()
        },
    )


@dataclass(frozen=True)
class _Compiled:
    matcher: Matcher
    rules: tuple[_RegionRules, ...]
    programme_aliases: Mapping[str, str]
    registry: ProgrammeAreas


def compile_rules(regions: Iterable[RegionProfile], registry: ProgrammeAreas) -> _Compiled:
    """Compile the keyword matcher and per-region rules once; reuse it for many calls."""
    rules = tuple(_rules_for(r) for r in regions)
    programme_aliases = {k: v[0] for k, v in _index((p.id, p.aliases) for p in registry.values()).items()}
    words: list[str] = []
    for region in (r.region for r in rules):
        words += region.aliases + region.country.match + region.country.groups + region.country.nationwide
        words += [s for other in region.other_countries for s in other.match]
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

    title: Mapping[str, str]
    body: Mapping[str, str]
    eligibility: Mapping[str, str]
    main: Mapping[str, str]
    """Title and body hits."""
    everything: Mapping[str, str]
    """Title, body and eligibility-text hits."""


def _facts(call: Call, matcher: Matcher) -> _Facts:
    # Programme and funder names count as text: "U.S. Mission to Ukraine" names a country.
    parts = (call.summary, call.parent_call_title, call.programme, call.funder, " ; ".join(call.keywords))
    body = " \n ".join(filter(None, parts))
    title, body_hits, eligibility = matcher.find(call.title), matcher.find(body), matcher.find(call.eligibility_text)
    main = {**body_hits, **title}
    return _Facts(title, body_hits, eligibility, main, {**eligibility, **main})


# ------------------------------------------------------------------ public API


def classify(
    call: Call,
    region: RegionProfile,
    registry: ProgrammeAreas | None,
    now: datetime,
    weights: Weights | None = None,
) -> Classification:
    """Classify one call for one region (``registry`` None: the shipped programme areas).

    ``now`` must be timezone-aware. Keyword matching is compiled once per region and
    registry and cached; for many calls and regions prefer :func:`classify_all`.
    """
    compiled = _compiled_for(region, registry or default_programme_areas())
    facts = _facts(call, compiled.matcher)
    programme = _programme(call, facts, compiled)
    return _classify(call, facts, programme, compiled.rules[0], _aware(now), weights or default_weights())


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
        programme = _programme(call, facts, compiled)
        for rules in compiled.rules:
            yield call.uid, _classify(call, facts, programme, rules, now, weights)


def _aware(now: datetime) -> datetime:
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError(f"'now' must be timezone-aware, got {now.isoformat()}")
    return now


# ------------------------------------------------------------------ the rules

_RANK = {Eligibility.ELIGIBLE: 3, Eligibility.LIKELY: 2, Eligibility.UNKNOWN: 1, Eligibility.NOT_ELIGIBLE: 0}
_EUROPEAID_COUNTRY = re.compile(r"EuropeAid/\d+/[A-Z]+/[A-Z]+/([A-Z]{2})\b")
_SUPRANATIONAL = {"eu", "research", "interreg"}
"""Programme kinds whose eligibility a mention of other areas in the text does not narrow."""
_LANGUAGE_COUNTRY = {"uk": "UA", "sr": "RS", "sr-latn": "RS", "sr-cyrl": "RS"}


def _classify(
    call: Call,
    facts: _Facts,
    programme_found: tuple[ProgrammeArea | None, str],
    rules: _RegionRules,
    now: datetime,
    weights: Weights,
) -> Classification:
    region = rules.region
    programme, programme_how = programme_found
    eligibility, reasons = _eligibility(call, facts, rules, programme, programme_how, now)
    score = {
        Eligibility.ELIGIBLE: weights.eligible,
        Eligibility.LIKELY: weights.likely,
        Eligibility.UNKNOWN: weights.unknown,
        Eligibility.NOT_ELIGIBLE: weights.not_eligible,
    }[eligibility]

    themes, theme_points, theme_reasons = _themes(call, facts, rules, programme, weights)
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
        tier, score = Tier.NOT_ELIGIBLE, min(score, weights.not_eligible_cap)
    elif closed:
        tier, score = Tier.LOW, min(score, weights.closed_cap)
    else:
        tier = Tier.TOP if score >= weights.top else Tier.RELEVANT if score >= weights.relevant else Tier.LOW
        for cap, why in _caps(eligibility, themes, programme, mismatch, urgent, weights):
            if _TIER_ORDER[tier] > _TIER_ORDER[cap]:
                # Keep score order consistent with tiers: a capped call scores below the cut.
                tier = cap
                score = min(score, (weights.top if cap is Tier.RELEVANT else weights.relevant) - 1)
                reasons.append(why)
    return Classification(region.id, score, tier, eligibility, tuple(reasons), themes)


_TIER_ORDER = {Tier.NOT_ELIGIBLE: 0, Tier.LOW: 1, Tier.RELEVANT: 2, Tier.TOP: 3}
_RESEARCH = {"research"}
"""Programme kinds of EU-wide research competitions: off-priority topics there are low for a region."""


def _caps(
    eligibility: Eligibility,
    themes: tuple[str, ...],
    programme: ProgrammeArea | None,
    mismatch: bool,
    urgent: bool,
    weights: Weights,
) -> list[tuple[Tier, str]]:
    """The highest tier each rule allows, with the sentence that explains it."""
    caps = []
    if mismatch:
        caps.append((Tier.LOW, Reason("ranked low because the readers cannot apply themselves")))
    if not themes and programme is not None and programme.kind in _RESEARCH:
        caps.append((Tier.LOW, Reason("ranked low: a %(programme)s research topic outside the region's priorities",
                                      programme=programme.name)))
    if eligibility is Eligibility.UNKNOWN:
        caps.append((Tier.RELEVANT, Reason("not a top match while eligibility is unknown")))
    if urgent:
        caps.append((Tier.RELEVANT, Reason("under %(days)s days left for a new application, so not a top match",
                                           days=weights.ok_days)))
    return caps


def _programme(call: Call, facts: _Facts, compiled: _Compiled) -> tuple[ProgrammeArea | None, str]:
    """The call's programme and how it was found: registry id, official identifier, or a name in the text."""
    registry = compiled.registry
    if call.programme_id and call.programme_id in registry:
        return registry[call.programme_id], "registry"
    found = registry.by_call_id(call.call_id)
    if found is not None:
        return found, Reason("call identifier %(id)s", id=call.call_id)
    found = registry.by_source(call.source)
    if found is not None:
        return found, Reason("source %(source)s", source=call.source)
    for hits in (facts.title, facts.body):
        aliases = compiled.programme_aliases
        named = sorted(((len(k), aliases[k]) for k in hits if k in aliases), reverse=True)
        # The longest alias wins ("Hungary–Slovakia–Romania–Ukraine" over "Romania–Ukraine"); a tie is ambiguous.
        if named and (len(named) == 1 or named[0][0] > named[1][0] or named[0][1] == named[1][1]):
            return registry[named[0][1]], Term("the call's text")
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
            return Eligibility.ELIGIBLE, [Reason("call lists %(areas)s (%(region)s) among eligible areas",
                                                areas=tuple(sorted(own)), region=_name(region))]
        same_country = sorted(a for a in areas if a[:2] == country.code)
        if same_country:
            return Eligibility.NOT_ELIGIBLE, [Reason(
                "call is limited to %(areas)s in %(country)s; %(region)s is not among them",
                areas=tuple(same_country), country=_name(country), region=_name(region),
            )]

    # 2. The call's own list of countries (or the country in an EuropeAid reference).
    countries = {c.strip().upper() for c in call.eligible_countries}
    europeaid = _EUROPEAID_COUNTRY.search(call.call_id or "")
    if europeaid:
        countries.add(europeaid.group(1))
    evidence: list[tuple[Eligibility, str]] = []
    if countries:
        if country.code not in countries:
            shown = ", ".join(sorted(countries)[:8]) + ("…" if len(countries) > 8 else "")
            return Eligibility.NOT_ELIGIBLE, [Reason("call is open to applicants from %(countries)s, not %(country)s",
                                                    countries=shown, country=_name(country))]
        evidence.append((Eligibility.ELIGIBLE, Reason("call is open to applicants from %(country)s", country=_name(country))))

    # 3. The programme: area membership or association of the country.
    area_level = False
    everything = facts.everything
    named_country = [v for k, v in everything.items() if k in rules.country or k in rules.groups]
    if programme is not None and programme.says_anything:
        verdict, reason, area_level = _programme_verdict(programme, region, now, named_country[:1])
        if isinstance(how, Reason):
            reason = Reason("%(reason)s (from %(how)s)", reason=reason, how=how)
        elif how not in ("registry", ""):
            reason = Reason("%(reason)s (programme recognised from %(how)s)", reason=reason, how=how)
        if verdict is Eligibility.NOT_ELIGIBLE and not (countries and not area_level):
            return verdict, [reason]
        if verdict is not Eligibility.NOT_ELIGIBLE:
            evidence.append((verdict, reason))
        if area_level and verdict is not Eligibility.NOT_ELIGIBLE:
            return _best(evidence)

    # 4. The call's text: names of the region, of other areas, of the country.
    own = [everything[k] for k in everything if k in rules.aliases]
    own += [everything[k] for k in everything if k in rules.gazetteer and rules.gazetteer[k] & region.areas]
    if own:
        where = ("eligibility conditions name %(region)s (“%(quote)s”)" if any(k in facts.eligibility for k in rules.aliases)
                 else "call text names %(region)s (“%(quote)s”)")
        evidence.append((Eligibility.ELIGIBLE, Reason(where, region=_name(region), quote=own[0])))
        return _best(evidence)
    others = sorted({code for k in everything if k in rules.gazetteer for code in rules.gazetteer[k]} - region.areas)
    nationwide = [everything[k] for k in everything if k in rules.nationwide]
    if nationwide:
        evidence.append((Eligibility.ELIGIBLE, Reason("call is open across %(country)s (“%(quote)s”)",
                                                      country=_name(country), quote=nationwide[0])))
    elif others and not area_level and (programme is None or programme.kind not in _SUPRANATIONAL):
        named = [everything[k] for k in everything if k in rules.gazetteer][:3]
        return Eligibility.NOT_ELIGIBLE, [Reason(
            "call is for other areas of %(country)s (%(areas)s: “%(quotes)s”), not %(region)s",
            country=_name(country), areas=tuple(others), quotes="”, “".join(named), region=_name(region),
        )]
    if not evidence and not named_country:
        foreign = _foreign(call, everything, rules)
        if foreign:
            return Eligibility.NOT_ELIGIBLE, [foreign]
    in_conditions = [facts.eligibility[k] for k in facts.eligibility if k in rules.country]
    in_text = [v for k, v in facts.main.items() if k in rules.country]
    groups = [v for k, v in everything.items() if k in rules.groups]
    if in_conditions:
        evidence.append((Eligibility.ELIGIBLE, Reason("eligibility conditions name %(country)s (“%(quote)s”)",
                                                      country=_name(country), quote=in_conditions[0])))
    elif in_text:
        evidence.append((Eligibility.LIKELY, Reason("call text mentions %(country)s (“%(quote)s”)",
                                                    country=_name(country), quote=in_text[0])))
    if groups:
        evidence.append((Eligibility.LIKELY, Reason("call text names a group %(country)s belongs to (“%(quote)s”)",
                                                    country=_name(country), quote=groups[0])))
    if _language_country(call) == country.code:
        evidence.append((Eligibility.LIKELY, Reason("published in %(language)s for applicants in %(country)s",
                                                    language=call.language, country=_name(country))))
    if not evidence:
        return Eligibility.UNKNOWN, [Reason("no eligibility information about %(country)s or %(region)s found",
                                            country=_name(country), region=_name(region))]
    return _best(evidence)


def _foreign(call: Call, everything: Mapping[str, str], rules: _RegionRules) -> str:
    """Why the call is for another country's applicants, or ''."""
    country = rules.region.country
    other = _language_country(call)
    if other and other != country.code:
        return Reason("published in %(language)s for applicants in %(other)s, not %(country)s",
                      language=call.language, other=other, country=_name(country))
    named = [(v, rules.foreign[k]) for k, v in everything.items() if k in rules.foreign]
    if named:
        return Reason("call is for applicants in %(other)s (“%(quote)s”), not %(country)s",
                      other=named[0][1], quote=named[0][0], country=_name(country))
    return ""


def _name(place: RegionProfile | Country) -> Names:
    """A region's or country's name in every language it has one in."""
    return Names(place.names, place.name)


def _language_country(call: Call) -> str | None:
    """The country a call's language points to (Ukrainian → UA, Serbian → RS), if any."""
    language = (call.language or "").lower()
    return _LANGUAGE_COUNTRY.get(language) or _LANGUAGE_COUNTRY.get(language.split("-")[0])


def _best(evidence: list[tuple[Eligibility, str]]) -> tuple[Eligibility, list[str]]:
    best = max(evidence, key=lambda item: _RANK[item[0]])
    # The strongest verdict wins; the (at most two) reasons that support it are kept.
    reasons = [reason for verdict, reason in evidence if verdict is best[0]]
    return best[0], reasons[:2]


def _programme_verdict(
    programme: ProgrammeArea, region: RegionProfile, now: datetime, named_country: list[str]
) -> tuple[Eligibility, str, bool]:
    """(verdict, reason, whether the verdict is about the programme *area*).

    ``named_country`` holds how the call's text names the country, if it does.
    """
    country = region.country
    status = programme.status_for(country.code)
    uncertain = status is not None and status.uncertain

    def maybe(reason: Reason) -> Reason:
        return Reason("%(reason)s (unconfirmed)", reason=reason) if uncertain else reason

    names = {"country": _name(country), "programme": programme.name}
    if status is None:
        return Eligibility.NOT_ELIGIBLE, Reason("%(country)s does not take part in %(programme)s", **names), False
    if status.since is not None and now.date() < status.since:
        return Eligibility.NOT_ELIGIBLE, Reason("%(country)s takes part in %(programme)s only from %(since)s",
                                                since=status.since, **names), False
    if status.status == "not-associated":
        return Eligibility.NOT_ELIGIBLE, maybe(Reason("%(country)s is not associated to %(programme)s", **names)), False
    if status.status == "unknown":
        return Eligibility.UNKNOWN, Reason("%(country)s's participation in %(programme)s is not confirmed", **names), False
    if status.status == "per-call":
        return Eligibility.UNKNOWN, Reason("%(programme)s calls name their own target countries; this one names none",
                                           programme=programme.name), False
    if status.status == "partner":
        return Eligibility.LIKELY, maybe(Reason(
            "organisations from %(country)s can join %(programme)s projects as partners", **names)), False
    if status.status == "partial":
        # Calls open to a partly participating country say so; silence means probably not.
        if named_country:
            return Eligibility.ELIGIBLE, Reason(
                "%(country)s takes part in selected %(programme)s actions and the call names it (“%(quote)s”)",
                quote=named_country[0], **names), False
        if status.note:
            return Eligibility.UNKNOWN, Reason(
                "%(country)s takes part in selected %(programme)s actions only (%(note)s); this call does not name it",
                note=status.note, **names), False
        return Eligibility.UNKNOWN, Reason(
            "%(country)s takes part in selected %(programme)s actions only; this call does not name it", **names), False
    scope = programme.areas_in(country.code)
    if not scope:
        if programme.kind == "interreg":
            return Eligibility.ELIGIBLE, maybe(Reason("%(programme)s covers the whole of %(country)s", **names)), True
        if status.status == "associated":
            return Eligibility.ELIGIBLE, maybe(Reason("%(country)s is associated to %(programme)s", **names)), False
        return Eligibility.ELIGIBLE, maybe(Reason("%(country)s takes part in %(programme)s", **names)), False
    covered = scope & region.areas
    region_name = _name(region)
    if not covered:
        return Eligibility.NOT_ELIGIBLE, Reason(
            "%(programme)s covers only %(areas)s in %(country)s, not %(region)s (%(code)s)",
            areas=tuple(sorted(scope)), region=region_name, code=region.code, **names), True
    if covered <= programme.uncertain_areas:
        return Eligibility.LIKELY, Reason("%(programme)s probably covers %(region)s (programme area unconfirmed)",
                                          programme=programme.name, region=region_name), True
    parts = {a for a in region.areas if "-" in a and a != region.code}  # ISO 3166-2 subdivisions
    if region.code in covered or (parts and parts <= covered):
        return Eligibility.ELIGIBLE, Reason("%(programme)s covers %(region)s", programme=programme.name,
                                            region=region_name), True
    part = tuple(sorted(a for a in covered if "-" in a) or sorted(covered))
    return Eligibility.ELIGIBLE, Reason("%(programme)s covers part of %(region)s (%(areas)s)", programme=programme.name,
                                        region=region_name, areas=part), True


def _themes(
    call: Call, facts: _Facts, rules: _RegionRules, programme: ProgrammeArea | None, weights: Weights
) -> tuple[tuple[str, ...], int, list[str]]:
    words_of: dict[int, list[str]] = {}
    for key, text in facts.main.items():
        for index in rules.themes.get(key, ()):
            words_of.setdefault(index, []).append(text)
    matched, reasons, total = [], [], 0.0
    for index, theme in enumerate(rules.region.themes):
        words = list(dict.fromkeys(words_of.get(index, ())))
        tagged = theme.id in call.themes
        implied = programme is not None and theme.id in programme.themes
        if not (words or tagged or implied):
            continue
        matched.append(theme.id)
        total += theme.weight
        if words:
            shown = Reason("keywords: %(words)s", words=tuple(words[:3]))
        elif tagged:
            shown = Reason("tagged by the source")
        else:
            shown = Reason("%(programme)s is about it", programme=programme.name)
        reasons.append(Reason("matches priority '%(theme)s' (%(how)s)", theme=Term(theme.label), how=shown))
    points = min(weights.theme_max, round(weights.theme_per_weight * total))
    if not matched:
        reasons.append(Reason("matches none of %(region)s's priority themes", region=_name(rules.region)))
    return tuple(matched), points, reasons


def _applicants(call: Call, facts: _Facts, rules: _RegionRules, weights: Weights) -> tuple[int, list[str], bool]:
    region = rules.region
    types = set(call.applicant_types)
    listed = True
    if not types:
        types = {aid for key in facts.everything for aid in rules.applicants.get(key, ())}
        listed = False
    if not types:
        return 0, [], False
    vocabulary = region.applicant_vocabulary
    labels = lambda ids: tuple(Term(vocabulary[i].label) if i in vocabulary else i for i in sorted(ids))  # noqa: E731
    fitting = types & region.applicant_types
    if fitting:
        msgid = ("call is open to %(types)s, which are among the region's readers" if listed
                 else "call text addresses %(types)s, which are among the region's readers")
        return weights.applicant_match, [Reason(msgid, types=labels(fitting))], False
    msgid = ("call is open to %(types)s only, not the organisations this digest serves" if listed
             else "call text addresses %(types)s only, not the organisations this digest serves")
    return weights.applicant_mismatch, [Reason(msgid, types=labels(types))], True


def _deadline(
    call: Call, now: datetime, region: RegionProfile, weights: Weights
) -> tuple[int, list[str], bool, bool]:
    """(points, reasons, closed, urgent).

    Multi-stage calls (deadline labels with "stage") take new applicants until the
    first stage only; calls with several cut-offs stay open until the last one.
    """
    parsed = sorted(((d.at, d.label or "") for d in call.deadlines if d.at is not None), key=lambda d: d[0])
    zone = region.zone
    if parsed and "stage" in parsed[0][1].lower():
        parsed = parsed[:1]
    upcoming = [(at, label) for at, label in parsed if at >= now]
    if call.status is Status.WITHDRAWN:
        return 0, [Reason("call was withdrawn")], True, False
    if call.status is Status.CLOSED and not (parsed and not upcoming):
        return 0, [Reason("call is closed (as the source reports)")], True, False
    if parsed and not upcoming:
        return 0, [Reason("call is closed (deadline passed on %(date)s)", date=parsed[-1][0].astimezone(zone).date())], True, False
    if not upcoming:
        if call.opens_at is not None and call.opens_at > now:
            opens = call.opens_at.astimezone(zone).date()
            return weights.forthcoming, [Reason("opens on %(date)s, no deadline yet: time to prepare", date=opens)], False, False
        return weights.deadline_unknown, [Reason("no deadline published")], False, False
    at, label = upcoming[0]
    days = math.floor((at - now).total_seconds() / 86400)
    day = at.astimezone(zone).date()

    def deadline(msgid: str) -> Reason:
        """The deadline sentence, naming the stage of a multi-stage call."""
        if label and len(parsed) > 1:
            return Reason(msgid.replace("deadline", "deadline (%(stage)s)", 1), stage=label, days=days, date=day)
        return Reason(msgid, days=days, date=day)

    if days >= weights.ample_days:
        return weights.deadline_ample, [deadline("deadline in %(days)s days (%(date)s)")], False, False
    if days >= weights.ok_days:
        return weights.deadline_ok, [deadline("deadline in %(days)s days (%(date)s)")], False, False
    if days > weights.urgent_days:
        return weights.deadline_short, [deadline("deadline in only %(days)s days (%(date)s)")], False, True
    msgid = ("deadline today (%(date)s): little time to apply" if days == 0
             else "deadline tomorrow (%(date)s): little time to apply" if days == 1
             else "deadline in %(days)s days (%(date)s): little time to apply")
    return weights.deadline_urgent, [deadline(msgid)], False, True
