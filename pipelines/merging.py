"""Folding a group of duplicates into one call (DESIGN §6): which member's fields win, and every publisher kept.

The most authoritative member (:func:`authority_of`: the official portal and programme sites, then
governments and donors, then unknown sources, then aggregators) gives the merged call its url, title and
language; :func:`merge_group` documents the rule of every other field. Finding the groups is
:mod:`pipelines.merge`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from calls.schema import Call, Provenance
from calls.urls import canonical_url

OFFICIAL, GOVERNMENT, UNKNOWN, AGGREGATOR = 100, 50, 30, 10
"""Default authority ranks: official portal or programme site, government or donor, unknown source, aggregator."""
OFFICIAL_SOURCES = frozenset({"eu-ftp"})
OFFICIAL_PREFIXES = ("interreg-",)
GOVERNMENT_SOURCES = frozenset({
    "grants-gov", "diia-business", "nipo", "house-of-europe", "ucf", "visegrad-fund", "eea-norway-grants",
    "undp", "mei-gov-rs", "eu-delegation-ua", "eu-delegation-rs",
})
GOVERNMENT_PREFIXES = ("vojvodina-", "gov-")
AGGREGATOR_SOURCES = frozenset({
    "gurt", "prostir", "fundsforngos", "chaszmin", "hromady", "getgrant", "opportunitydesk",
    "eufundingportal", "euro-access", "euinfo",
})


def authority_of(source: str, authority: Mapping[str, int] | None = None) -> int:
    """Rank of a source slug, higher wins: ``authority`` first, then the defaults above."""
    if authority is not None and source in authority:
        return authority[source]
    if source in OFFICIAL_SOURCES or source.startswith(OFFICIAL_PREFIXES):
        return OFFICIAL
    if source in GOVERNMENT_SOURCES or source.startswith(GOVERNMENT_PREFIXES):
        return GOVERNMENT
    if source in AGGREGATOR_SOURCES:
        return AGGREGATOR
    return UNKNOWN


# Fields that describe one another travel together, from one member: the first (most
# authoritative) member where any of them is set.
_FIELD_GROUPS: tuple[tuple[str, ...], ...] = (
    ("programme_id", "programme"),
    ("opens_at", "opens_at_raw"),
    ("deadlines",),
    ("published_at", "published_at_raw"),
    ("updated_at", "updated_at_raw"),
    ("budget", "budget_raw", "grant_min", "grant_max", "grant_raw", "currency"),
    ("cofinancing_rate", "cofinancing_raw"),
)
EDITOR_SOURCE = "manual"
"""The source of the editor's own entries (spiders/manual.py): they correct a call but never become its identity."""
_SINGLE_FIELDS = ("call_id", "parent_call_id", "parent_call_title", "funder", "kind", "action_type", "status",
                  "expected_grants")
_TEXT_FIELDS = ("summary", "eligibility_text")  # only in the merged title's language
_LIST_FIELDS = ("eligible_countries", "eligible_areas", "eligible_nuts", "applicant_types", "themes",
                "programme_priorities", "keywords", "cited_call_ids")


def merge_group(group: Sequence[Call], authority: Mapping[str, int] | None = None) -> Call:
    """One call from a group of duplicates.

    The most authoritative member (``authority`` rank, then latest ``last_seen``, then
    uid) gives url, title and language, and uid, source and native_id too unless it is
    an editor's correction (source ``manual``) of a crawled call: then the identity is
    the best crawled member's, so feed ids and editor controls keep pointing at the
    same call whether or not it is corrected. Every other field is
    the most authoritative non-empty value, except: fields that describe each other
    (deadlines; opens_at and its raw text; the money fields and their currency;
    programme id and name) come together from one member; summary and eligibility
    text only from a member in the title's language (or of unknown language); lists are
    the ordered union; first_seen/last_seen the earliest/latest; provenance is every
    member's, plus an entry for the member's own page when it lacks one, sorted by authority;
    original_url is the most authoritative one that is not the merged url itself;
    content_hash is recomputed.
    """
    if not group:
        raise ValueError("merge_group needs at least one call")
    ranked = sorted(group, key=lambda c: _rank_key(c, authority))
    top = ranked[0]
    merged: dict[str, Any] = {}
    for fields in _FIELD_GROUPS:
        donor = next((c for c in ranked if any(_is_set(getattr(c, f)) for f in fields)), top)
        merged.update({f: getattr(donor, f) for f in fields})
    for name in _SINGLE_FIELDS:
        merged[name] = _first_set(getattr(c, name) for c in ranked)
    same_language = [c for c in ranked if c.language is None or top.language is None or c.language == top.language]
    for name in _TEXT_FIELDS:
        merged[name] = _first_set(getattr(c, name) for c in same_language)
    for name in _LIST_FIELDS:
        merged[name] = list(dict.fromkeys(v for c in ranked for v in getattr(c, name)))
    merged["first_seen"] = min((c.first_seen for c in ranked if c.first_seen), default=None)
    merged["last_seen"] = max((c.last_seen for c in ranked if c.last_seen), default=None)
    merged["deadlines"] = list(merged["deadlines"])
    merged["provenance"] = _provenance(ranked, authority)
    merged["original_url"] = _original_url(ranked, top.url)
    # Every value comes from a validated Call, so a copy of the top member needs no re-validation.
    identity = next((c for c in ranked if c.source != EDITOR_SOURCE), top)
    merged.update(uid=identity.uid, source=identity.source, native_id=identity.native_id)
    call = top.model_copy(update=merged)
    call.content_hash = call.compute_hash()
    return call


def _original_url(ranked: Sequence[Call], url: str) -> str | None:
    own = canonical_url(url)
    return next((c.original_url for c in ranked if c.original_url and canonical_url(c.original_url) != own), None)


def _rank_key(call: Call, authority: Mapping[str, int] | None) -> tuple:
    seen = call.last_seen.timestamp() if call.last_seen else float("-inf")
    return (-authority_of(call.source, authority), -seen, call.uid)


def _is_set(value: Any) -> bool:
    return value is not None and value != "" and value != []


def _first_set(values: Iterable[Any]) -> Any:
    return next((v for v in values if _is_set(v)), None)


def _provenance(ranked: Sequence[Call], authority: Mapping[str, int] | None) -> list[Provenance]:
    """Every member's provenance plus the member's own page, one entry per (source, native id) — the latest seen."""
    entries: dict[tuple[str, str], Provenance] = {}
    for call in ranked:
        own = list(call.provenance)
        if not any((p.source, p.native_id) == (call.source, call.native_id) for p in own):
            own.append(Provenance(source=call.source, native_id=call.native_id, url=call.url, seen_at=call.last_seen))
        for entry in own:
            key = (entry.source, entry.native_id)
            known = entries.get(key)
            if known is None or _seen(entry) > _seen(known):
                entries[key] = entry
    return sorted(
        entries.values(),
        key=lambda p: (-authority_of(p.source, authority), -_seen(p), p.source, p.native_id),
    )


def _seen(entry: Provenance) -> float:
    return entry.seen_at.timestamp() if entry.seen_at else float("-inf")
