"""Keyword matching and the rules compiled from region profiles, shared by the classifier's stages.

Text and keywords fold the same way (:func:`calls.folding.fold`): lower case, Cyrillic
→ Latin with Serbian conventions (so "Војводина" = "Vojvodina"), diacritics stripped.
Keywords are word-prefix stems, compiled once into a :class:`Matcher`; a call's text is
read once (:class:`Facts`) for every region.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from calls.folding import fold as fold_one
from calls.regions import ProgrammeAreas, RegionProfile, default_programme_areas
from calls.schema import Call
from pipelines.limits import Limit, find_limits

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
class RegionRules:
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


def _rules_for(region: RegionProfile) -> RegionRules:
    return RegionRules(
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
class Compiled:
    matcher: Matcher
    rules: tuple[RegionRules, ...]
    programme_aliases: Mapping[str, str]
    registry: ProgrammeAreas


def programme_aliases(registry: ProgrammeAreas) -> dict[str, str]:
    """Alias key → the programme it names (an alias two programmes share names the first)."""
    return {k: v[0] for k, v in _index((p.id, p.aliases) for p in registry.values()).items()}


def named_programme(hits: Iterable[str], aliases: Mapping[str, str]) -> str | None:
    """The programme that matcher ``hits`` name: the longest alias wins ("Hungary–Slovakia–Romania–Ukraine"
    over "Romania–Ukraine"); two different programmes named by aliases of one length are no answer."""
    named = sorted(((len(k), aliases[k]) for k in hits if k in aliases), reverse=True)
    if named and (len(named) == 1 or named[0][0] > named[1][0] or named[0][1] == named[1][1]):
        return named[0][1]
    return None


@lru_cache(maxsize=8)
def programme_matcher(registry: ProgrammeAreas) -> tuple[Matcher, Mapping[str, str]]:
    """A matcher of the programmes' aliases only, with its alias index (for stages that need no region)."""
    aliases = programme_aliases(registry)
    return Matcher(alias for p in registry.values() for alias in p.aliases), aliases


def programme_named(text: str | None) -> str | None:
    """The shipped programme ``text`` names, in any language ("Трећи позив Interreg IPA програма Мађарска–Србија")."""
    if not text:
        return None
    matcher, aliases = programme_matcher(default_programme_areas())
    return named_programme(matcher.find(text), aliases)


def compile_rules(regions: Iterable[RegionProfile], registry: ProgrammeAreas) -> Compiled:
    """Compile the keyword matcher and per-region rules once; reuse it for many calls."""
    rules = tuple(_rules_for(r) for r in regions)
    aliases = programme_aliases(registry)
    words: list[str] = []
    for region in (r.region for r in rules):
        words += region.aliases + region.country.match + region.country.groups + region.country.nationwide
        words += [s for other in region.other_countries for s in other.match]
        words += [s for stems in region.country.areas.values() for s in stems]
        words += [k for t in region.themes for k in t.all_keywords]
        words += [k for v in region.applicant_vocabulary.values() for k in v.all_keywords]
    words += [alias for p in registry.values() for alias in p.aliases]
    return Compiled(Matcher(words), rules, aliases, registry)


@lru_cache(maxsize=256)
def compiled_for(region: RegionProfile, registry: ProgrammeAreas) -> Compiled:
    return compile_rules([region], registry)


@dataclass(frozen=True)
class Facts:
    """What the text of one call says, found once and shared by every region."""

    title: Mapping[str, str]
    body: Mapping[str, str]
    eligibility: Mapping[str, str]
    main: Mapping[str, str]
    """Title and body hits."""
    everything: Mapping[str, str]
    """Title, body and eligibility-text hits."""
    limits: tuple[Limit, ...] = ()
    """Participation limits stated in the eligibility text, or the summary when there is none (:mod:`pipelines.limits`).

    Where a source gives its conditions apart, limits are read there only: a description's "only" is about
    the work ("only cities in Member States will host pilots"), not about who may apply."""


def facts_of(call: Call, matcher: Matcher) -> Facts:
    """Read one call's text once: keyword hits of title, body and eligibility text, and its limits."""
    # Programme and funder names count as text: "U.S. Mission to Ukraine" names a country.
    parts = (call.summary, call.parent_call_title, call.programme, call.funder, " ; ".join(call.keywords))
    body = " \n ".join(filter(None, parts))
    title, body_hits, eligibility = matcher.find(call.title), matcher.find(body), matcher.find(call.eligibility_text)
    main = {**body_hits, **title}
    return Facts(
        title, body_hits, eligibility, main, {**eligibility, **main},
        find_limits(call.eligibility_text or call.summary),
    )
