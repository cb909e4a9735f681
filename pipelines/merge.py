"""Find the same call published on several sources and merge it into one (DESIGN §6).

Pure functions, no store: :func:`find_duplicates` lists evidence edges,
:func:`cluster` turns them into groups, :func:`merge_group` folds a group into one
:class:`~calls.schema.Call` with every source page kept as provenance.

Evidence, strongest first:

1. **call-id** — the same official identifier, compared by :func:`fold` (case, script
   and separators ignored: ``HUSRB/2301`` == ``husrb 2301`` == ``HUSRB-2301``). An
   identifier without a letter (``1/2025``, ``401-12/2025``) is a local file number
   that many bodies reuse, so it is no key.
2. **url** — the same :func:`~calls.urls.canonical_url` (scheme ignored) of the call's
   url, its ``original_url`` (a repost's link to the publisher) or any provenance url. A site
   root, or a URL that more than ``MAX_URL_GROUP`` calls share, is a listing page, not a call
   page, and no key.
3. **repost** — the same call told in other words, often another language: the same
   programme (its id, call-id prefix, own site, or a name in the title or summary in any
   language), a published deadline day in common, the same call ordinal and strand when
   stated ("2nd call" = "другий конкурс" = "drugi poziv" = "második felhívás" = "al doilea
   apel"; small-projects and strategic calls apart), and at least one more fact that agrees:
   both ordinals stated, the same budget, or the same opening day. Blocked on (programme,
   deadline day), at most ``MAX_REPOST_BLOCK`` calls a block.
4. **fuzzy** — candidates from MinHash LSH band buckets over character 3-grams of
   :func:`title_key` (blocking: never all pairs, at most ``MAX_CANDIDATES`` per call),
   kept when every cheap gate passes and :func:`title_similarity` ≥ threshold. Gates:
   different sources; official ids equal or one missing; programme equal or one
   missing; a deadline of each within ``DEADLINE_SLACK`` (or one has none, or the one
   with the later deadline announces an extension); title numbers (years, ordinals
   "2nd"/"другий"/"drugi", call numbers) not contradicting each other.

:func:`cluster` unions edges in that order (fuzzy by score) and refuses a union that
would put two different official ids, programmes, call ordinals or strands in one
group, or — for a repost or fuzzy edge — two members of one source, so a chain
A~B~C cannot smuggle in what the pairwise gates forbid. Fuzzy edges obey the
ordinal and strand gates too: first and second call, small-projects and regular
call of one programme are never one call.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from itertools import combinations
from typing import NamedTuple

import numpy as np
from rapidfuzz import fuzz

from calls import deadlines
from calls.extract.ordinals import call_ordinal, call_strand
from calls.folding import fold_key
from calls.regions import default_programme_areas
from calls.schema import Call
from calls.urls import canonical_url
from pipelines.blocking import MAX_CANDIDATES, candidate_pairs, signatures
from pipelines.matching import programme_named
from pipelines.merging import authority_of, merge_group

__all__ = ["MAX_CANDIDATES", "MatchReason", "authority_of", "call_id_key", "cluster", "find_duplicates", "fold",
           "merge_group", "programme_identity", "title_key", "title_similarity", "url_keys"]

# --------------------------------------------------------------------------- tuning

DEADLINE_SLACK = timedelta(days=2)
"""Two deadlines closer than this are the same deadline (time zones, date-only reposts)."""
MIN_KEY_TOKENS = 2
"""A title key with fewer words ("javni konkurs 2025" → "2025") is too generic to match on."""
MAX_URL_GROUP = 25
"""A URL shared by more calls than this is a listing page, not a call page."""
MAX_REPOST_BLOCK = 12
"""More calls than this of one programme closing on one day are no evidence of anything (a programme's batch)."""

# --------------------------------------------------------------------------- folding

def fold(text: str) -> str:
    """Script-, case- and diacritic-insensitive key of a text (:func:`calls.folding.fold_key`)."""
    return fold_key(text)


# --------------------------------------------------------------------------- title keys

_BOILERPLATE_PHRASES = [
    # en
    "open call for proposals", "open call for applications", "call for project proposals", "calls for proposals",
    "call for proposals", "call for applications",
    "call for projects", "call for expressions of interest", "open call", "request for applications",
    "request for proposals", "notice of funding opportunity", "funding opportunity", "grant competition",
    "deadline extended", "extended deadline", "deadline extension", "extension of the deadline",
    "call", "calls",
    # uk (folded)
    "vidkritij konkurs", "grantovij konkurs", "konkurs", "konkursu", "konkursi", "ogolosuje", "ogoloseno",
    "ogolosennja", "prijom zajavok",
    # sr (folded, both scripts)
    "javni poziv", "javnog poziva", "javni konkurs", "javnog konkursa", "konkursa", "poziv", "poziva",
    "raspisan", "raspisuje", "oglas",
    # pl, hu, ro (folded)
    "nabor wnioskow", "nabor", "palyazati felhivas", "felhivas", "apel de proiecte", "cerere de propuneri",
    # numbering noise ("№ 2" folds to "no 2", "br. 2", "nr 2") and the word "year" around a kept year
    "no", "nr", "br", "broj", "year", "godina", "godine", "godini", "godinu", "rik", "roku", "roci",
]
_BOILERPLATE = re.compile(
    r"\b(?:" + "|".join(sorted(map(re.escape, _BOILERPLATE_PHRASES), key=len, reverse=True)) + r")\b"
)
_EXTENSION_STEMS = ("prodovz", "produz", "prelung", "przedluz", "meghosszabb")
_EXTENSION_EN = re.compile(r"\b(?:deadline extended|extended deadline|deadline extension|extension of the deadline)\b")
_EXTENSION_WORD = re.compile(r"\b(?:" + "|".join(_EXTENSION_STEMS) + r")\w*")
_ORDINAL_SUFFIX = re.compile(r"\b(\d{1,2})(?:st|nd|rd|th| j| ij| ja| ga| go| ogo)\b")
_ORDINALS = {
    # en, uk (folded, common genders/cases), sr, pl, hu, roman numerals (i and v are words too)
    "first": "1", "second": "2", "third": "3", "fourth": "4", "fifth": "5",
    "persij": "1", "persa": "1", "perse": "1", "persogo": "1",
    "drugij": "2", "druga": "2", "druge": "2", "drugogo": "2", "drugi": "2", "drugog": "2",
    "tretij": "3", "tretja": "3", "tretje": "3", "tretogo": "3",
    "cetvertij": "4", "cetverta": "4", "pjatij": "5", "pjata": "5",
    "prvi": "1", "prva": "1", "prvog": "1", "treci": "3", "treca": "3", "treceg": "3", "cetvrti": "4",
    "pierwszy": "1", "trzeci": "3", "czwarty": "4", "elso": "1", "masodik": "2", "harmadik": "3",
    "ii": "2", "iii": "3", "iv": "4", "vi": "6", "vii": "7", "viii": "8", "ix": "9",
}


def title_key(call: Call) -> str:
    """:func:`fold` of the title without boilerplate ("call for proposals", "конкурс",
    "javni poziv", "open call", extension notices, "2026. godine"), ordinals as digits;
    the years themselves are kept."""
    return _title_key(fold(call.title))


def _title_key(folded: str) -> str:
    text = _ORDINAL_SUFFIX.sub(r"\1", folded)
    text = _EXTENSION_WORD.sub(" ", _BOILERPLATE.sub(" ", text))
    return " ".join(_ORDINALS.get(token, token) for token in text.split())


def _announces_extension(folded_title: str) -> bool:
    return bool(_EXTENSION_EN.search(folded_title) or _EXTENSION_WORD.search(folded_title))


def _numbers(key: str) -> frozenset[str]:
    """Years, ordinals and call numbers of a title key (pure digits, at most 4)."""
    return frozenset(t for t in key.split() if t.isdigit() and len(t) <= 4)


_FILLER = frozenset({
    "with", "from", "into", "under", "their", "this", "that", "through", "towards",  # en
    "dlja", "cerez", "pislja", "takoz",  # uk
    "kroz", "prema", "preko", "radi", "izmedju",  # sr
    "oraz", "przez", "pentru", "care", "szamara",  # pl, ro, hu
})
_WORD_MATCH = 80  # rapidfuzz ratio at which two words are one word inflected or transliterated


def title_similarity(a: str, b: str) -> float:
    """Similarity of two title keys, 0–1: rapidfuzz ``token_set_ratio``, or 0 on a word clash.

    ``token_set_ratio`` forgives words one title adds (an aggregator's "Horizon Europe:"
    prefix, a city name), which is right, but also forgives the one word two different
    calls differ in ("… in Lviv oblast" / "… in Volyn oblast", "… in youth" / "… in
    school education"). So when *each* title keeps a content word (≥ 4 letters, not a
    number) that no word of the other resembles (ratio ≥ 80: inflections and
    transliteration variants match), the titles clash and score 0.

    The one pairwise comparison of the fuzzy stage; tests count its calls to check
    that blocking keeps the work near-linear.
    """
    words_a, words_b = set(a.split()), set(b.split())
    extra_a, extra_b = _content(words_a - words_b), _content(words_b - words_a)
    if extra_a and extra_b:
        lone_a = [w for w in extra_a if not any(fuzz.ratio(w, v) >= _WORD_MATCH for v in extra_b)]
        lone_b = [w for w in extra_b if not any(fuzz.ratio(w, v) >= _WORD_MATCH for v in extra_a)]
        if lone_a and lone_b:
            return 0.0
    return fuzz.token_set_ratio(a, b) / 100.0


def _content(words: set[str]) -> set[str]:
    return {w for w in words if len(w) >= 4 and not w.isdigit() and w not in _FILLER}


# --------------------------------------------------------------------------- keys

def call_id_key(call_id: str | None) -> str | None:
    """Comparable form of an official id, or None when it is missing or has no letter."""
    if not call_id:
        return None
    key = fold(call_id)
    if not any(c.isalpha() for c in key):
        return None
    return key


def url_keys(call: Call) -> set[str]:
    """Canonical URLs (scheme dropped) of the call's page, its original publisher's page and
    every provenance page; site roots excluded."""
    urls = [call.url, *([call.original_url] if call.original_url else []), *(p.url for p in call.provenance)]
    keys = set()
    for url in urls:
        canonical = canonical_url(url)
        if "://" not in canonical:
            continue
        key = canonical.split("://", 1)[1]
        host, _, rest = key.partition("/")
        if rest:  # "host/" alone is a site root
            keys.add(key)
    return keys


# --------------------------------------------------------------------------- edges

@dataclass(frozen=True)
class MatchReason:
    """Why two calls are taken for one: ``kind`` is ``call-id``, ``url`` or ``fuzzy``."""

    kind: str
    detail: str


class _Edge(NamedTuple):
    a: int
    b: int
    reason: MatchReason
    score: float


class _Features(NamedTuple):
    key: str
    numbers: frozenset[str]
    call_id: str | None
    programme: str | None
    deadlines: tuple[datetime, ...]
    extension: bool
    ordinal: int | None = None
    strand: str | None = None
    days: frozenset[date] = frozenset()
    """Published deadline days."""
    opens: date | None = None
    budget: tuple[Decimal, str] | None = None


def find_duplicates(calls: Sequence[Call], *, threshold: float = 0.85) -> list[tuple[str, str, MatchReason]]:
    """Evidence that two calls are one: ``(uid_a, uid_b, reason)`` edges, strongest kind first.

    Groups sharing a key are listed as a star (enough to connect them), not all pairs.
    """
    features = [_features(c) for c in calls]
    return [(calls[e.a].uid, calls[e.b].uid, e.reason) for e in _edges(calls, features, threshold)]


def _edges(calls: Sequence[Call], features: Sequence[_Features], threshold: float) -> list[_Edge]:
    edges = _key_edges("call-id", ((i, [f.call_id]) for i, f in enumerate(features)), max_group=None)
    edges += _key_edges("url", ((i, url_keys(c)) for i, c in enumerate(calls)), max_group=MAX_URL_GROUP)
    edges += _repost_edges(calls, features)
    fuzzy = _fuzzy_edges(calls, features, threshold)
    fuzzy.sort(key=lambda e: (-e.score, e.a, e.b))
    return edges + fuzzy


def _features(call: Call) -> _Features:
    folded = fold(call.title)
    key = _title_key(folded)
    parsed = tuple(d.at for d in call.deadlines if d.at is not None)
    days = frozenset(day for day in map(deadlines.day_of, call.deadlines) if day is not None)
    budget = (call.budget, call.currency) if call.budget is not None and call.currency else None
    return _Features(key, _numbers(key), call_id_key(call.call_id), programme_identity(call), parsed,
                     _announces_extension(folded), call_ordinal(call.title) or call_ordinal(call.summary),
                     call_strand(call.title), days,
                     call.opens_at.date() if call.opens_at else None, budget)


def programme_identity(call: Call) -> str | None:
    """The call's programme: its id, else its call-id prefix's, else the one its title names in any language
    (:func:`pipelines.matching.programme_named`), else its source's own, else the one its summary names."""
    if call.programme_id:
        return call.programme_id
    areas = default_programme_areas()
    known = areas.by_call_id(call.call_id)
    named = None if known else programme_named(call.title)
    known = known or (areas[named] if named else None) or areas.by_source(call.source)
    if known is not None:
        return known.id
    return programme_named(call.summary)


def _repost_edges(calls: Sequence[Call], features: Sequence[_Features]) -> list[_Edge]:
    """Calls of one programme closing on one day, from different sources, whose other facts agree."""
    blocks: dict[tuple[str, date], list[int]] = defaultdict(list)
    for index, f in enumerate(features):
        if f.programme:
            for day in sorted(f.days):
                blocks[(f.programme, day)].append(index)
    edges, seen = [], set()
    for members in blocks.values():
        if len(members) > MAX_REPOST_BLOCK:
            continue
        for x, y in combinations(members, 2):
            if (x, y) in seen or calls[x].source == calls[y].source:
                continue
            seen.add((x, y))
            if reason := _repost_match(features[x], features[y]):
                edges.append(_Edge(x, y, reason, 1.0))
    return edges


def _repost_match(fa: _Features, fb: _Features) -> MatchReason | None:
    if (fa.call_id and fb.call_id and fa.call_id != fb.call_id) or not _same_call_of_programme(fa, fb):
        return None
    agree = []
    if fa.ordinal is not None and fa.ordinal == fb.ordinal:
        agree.append(f"call {fa.ordinal}")
    if fa.budget is not None and fa.budget == fb.budget:
        agree.append(f"budget {fa.budget[0]} {fa.budget[1]}")
    elif fa.budget is not None and fb.budget is not None:
        return None  # two budgets: two calls
    if fa.opens is not None and fa.opens == fb.opens:
        agree.append(f"opens {fa.opens}")
    if not agree:
        return None
    day = min(fa.days & fb.days)
    return MatchReason("repost", f"{fa.programme}; deadline {day}; " + ", ".join(agree))


def _same_call_of_programme(fa: _Features, fb: _Features) -> bool:
    """Ordinals equal or one missing; the same strand (small projects, strategic, or neither)."""
    return (fa.ordinal is None or fb.ordinal is None or fa.ordinal == fb.ordinal) and fa.strand == fb.strand


def _key_edges(kind: str, keyed: Iterable[tuple[int, Iterable[str | None]]], max_group: int | None) -> list[_Edge]:
    groups: dict[str, list[int]] = defaultdict(list)
    for index, keys in keyed:
        for key in sorted({k for k in keys if k}):  # sorted: the same input gives the same edges
            groups[key].append(index)
    edges = []
    for key, members in groups.items():
        if max_group is not None and len(members) > max_group:
            continue
        edges.extend(_Edge(members[0], other, MatchReason(kind, key), 1.0) for other in members[1:])
    return edges


def _fuzzy_edges(calls: Sequence[Call], features: Sequence[_Features], threshold: float) -> list[_Edge]:
    eligible = [i for i, f in enumerate(features) if len(f.key.split()) >= MIN_KEY_TOKENS]
    if len(eligible) < 2:
        return []
    sketches = signatures(features[i].key for i in eligible)
    source_names = [calls[i].source for i in eligible]
    source_ids = np.unique(source_names, return_inverse=True)[1]
    edges = []
    for row, other_row in zip(*(a.tolist() for a in candidate_pairs(sketches, source_ids)), strict=True):
        index, other = eligible[row], eligible[other_row]
        reason = _fuzzy_match(features[index], features[other], threshold)
        if reason is not None:
            edges.append(_Edge(index, other, reason[0], reason[1]))
    return edges


def _fuzzy_match(fa: _Features, fb: _Features, threshold: float) -> tuple[MatchReason, float] | None:
    """Cheap gates first, then the title score; the reason, or None."""
    if fa.call_id and fb.call_id and fa.call_id != fb.call_id:
        return None
    if fa.programme and fb.programme and fa.programme != fb.programme:
        return None
    if fa.numbers and fb.numbers and not (fa.numbers <= fb.numbers or fb.numbers <= fa.numbers):
        return None
    if not _same_call_of_programme(fa, fb):
        return None
    gap = _deadline_gap(fa, fb)
    if gap is False:
        return None
    score = title_similarity(fa.key, fb.key)
    if score < threshold:
        return None
    deadline = "no deadline to compare" if gap is None else f"deadlines {gap.days}d apart"
    return MatchReason("fuzzy", f"title {score:.2f}; {deadline}"), score


def _deadline_gap(fa: _Features, fb: _Features) -> timedelta | None | bool:
    """Smallest gap between a deadline of each; None if one has none; False if incompatible."""
    if not fa.deadlines or not fb.deadlines:
        return None
    gap = min(abs(x - y) for x in fa.deadlines for y in fb.deadlines)
    if gap <= DEADLINE_SLACK:
        return gap
    later = fa if max(fa.deadlines) > max(fb.deadlines) else fb
    return gap if later.extension else False


# --------------------------------------------------------------------------- clusters

class _Components:
    """Union-find that refuses unions mixing official ids, programmes or (fuzzy) sources."""

    def __init__(self, calls: Sequence[Call], features: Sequence[_Features]) -> None:
        self.parent = list(range(len(calls)))
        self.call_ids = [{f.call_id} - {None} for f in features]
        self.programmes = [{f.programme} - {None} for f in features]
        self.ordinals = [{f.ordinal} - {None} for f in features]
        self.strands = [{f.strand} - {None} for f in features]
        self.sources = [{c.source} for c in calls]

    def find(self, i: int) -> int:
        while self.parent[i] != i:
            self.parent[i] = self.parent[self.parent[i]]
            i = self.parent[i]
        return i

    def union(self, edge: _Edge) -> bool:
        a, b = self.find(edge.a), self.find(edge.b)
        if a == b:
            return False
        if edge.reason.kind != "call-id" and (
            _clash(self.call_ids[a], self.call_ids[b]) or _clash(self.programmes[a], self.programmes[b])
            or _clash(self.ordinals[a], self.ordinals[b]) or _clash(self.strands[a], self.strands[b])
        ):
            return False
        if edge.reason.kind in ("fuzzy", "repost") and self.sources[a] & self.sources[b]:
            return False
        if len(self.sources[a]) < len(self.sources[b]):
            a, b = b, a
        self.parent[b] = a
        for sets in (self.call_ids, self.programmes, self.ordinals, self.strands, self.sources):
            sets[a] |= sets[b]
            sets[b] = set()
        return True


def _clash(x: set, y: set) -> bool:
    return bool(x) and bool(y) and not (x & y)


def cluster(calls: Sequence[Call], *, threshold: float = 0.85) -> list[list[Call]]:
    """Groups of calls that are one call; every input call is in exactly one group.

    Groups keep input order, and come in the order of their first member.
    """
    features = [_features(c) for c in calls]
    components = _Components(calls, features)
    for edge in _edges(calls, features, threshold):
        components.union(edge)
    groups: dict[int, list[Call]] = {}
    for index, call in enumerate(calls):
        groups.setdefault(components.find(index), []).append(call)
    return list(groups.values())
