"""Classify calls by region priority: pure, rule-based, every point explained (DESIGN §5).

For each (call, region) pair :func:`classify` returns an eligibility verdict, a
0–100 score, a tier and the reasons behind them.

Eligibility, strongest evidence first (the call's own areas, its participation limits,
its countries, its programme, its text, its language): :mod:`pipelines.eligibility`.

The score adds up eligibility, priority themes found in title, summary and keywords,
the call's applicant types against the region's readers, and time to the deadline.
Thresholds make the tier; rules then cap it (closed → low, readers cannot apply →
low, eligibility unknown → at most relevant, …). Points, thresholds and the caps are
listed in ``[weights]`` of regions.toml and carried by :class:`Weights`.

Keyword matching (one folding rule for text and keywords, stems compiled once, each
call's text read once for all regions): :mod:`pipelines.matching`.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, fields
from datetime import datetime
from functools import lru_cache
from typing import Any

from calls import deadlines
from calls.reasons import Reason, Term
from calls.regions import (
    ProgrammeArea,
    ProgrammeAreas,
    RegionProfile,
    default_programme_areas,
    weight_table,
)
from calls.schema import Call, Eligibility, Status, Tier
from pipelines.eligibility import eligibility as judge_eligibility
from pipelines.eligibility import name_of, programme_of
from pipelines.matching import (
    Facts,
    Matcher,
    RegionRules,
    compile_rules,
    compiled_for,
    facts_of,
    fold_text,
    keyword_key,
)

__all__ = [
    "Classification", "Eligibility", "Matcher", "Tier", "Weights", "classify", "classify_all", "default_weights",
    "fold_text", "keyword_key",
]


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
    compiled = compiled_for(region, registry or default_programme_areas())
    facts = facts_of(call, compiled.matcher)
    programme = programme_of(call, facts, compiled)
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
        facts = facts_of(call, compiled.matcher)
        programme = programme_of(call, facts, compiled)
        for rules in compiled.rules:
            yield call.uid, _classify(call, facts, programme, rules, now, weights)


def _aware(now: datetime) -> datetime:
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError(f"'now' must be timezone-aware, got {now.isoformat()}")
    return now


# ------------------------------------------------------------------ the rules


def _classify(
    call: Call,
    facts: Facts,
    programme_found: tuple[ProgrammeArea | None, str],
    rules: RegionRules,
    now: datetime,
    weights: Weights,
) -> Classification:
    region = rules.region
    programme, programme_how = programme_found
    eligibility, reasons, partner_only = judge_eligibility(call, facts, rules, programme, programme_how, now)
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

    deadline_points, deadline_reasons, closed, urgent = _deadline(call, now, weights)
    score += deadline_points
    reasons += deadline_reasons

    score = max(0, min(100, round(score)))
    if eligibility is Eligibility.NOT_ELIGIBLE:
        tier, score = Tier.NOT_ELIGIBLE, min(score, weights.not_eligible_cap)
    elif closed:
        tier, score = Tier.LOW, min(score, weights.closed_cap)
    else:
        tier = Tier.TOP if score >= weights.top else Tier.RELEVANT if score >= weights.relevant else Tier.LOW
        for cap, why in _caps(eligibility, themes, programme, mismatch, urgent, partner_only, weights):
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
    partner_only: bool,
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
    if partner_only:
        caps.append(
            (Tier.RELEVANT, Reason("not a top match: the region's organisations can only be partners, not lead"))
        )
    if urgent:
        caps.append((Tier.RELEVANT, Reason("under %(days)s days left for a new application, so not a top match",
                                           days=weights.ok_days)))
    return caps


def _themes(
    call: Call, facts: Facts, rules: RegionRules, programme: ProgrammeArea | None, weights: Weights
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
        reasons.append(Reason("matches none of %(region)s's priority themes", region=name_of(rules.region)))
    return tuple(matched), points, reasons


def _applicants(call: Call, facts: Facts, rules: RegionRules, weights: Weights) -> tuple[int, list[str], bool]:
    region = rules.region
    types = set(call.applicant_types)
    listed = True
    if not types:
        types = {aid for key in facts.everything for aid in rules.applicants.get(key, ())}
        listed = False
    if not types:
        return 0, [], False
    vocabulary = region.applicant_vocabulary

    def labels(ids):
        return tuple(Term(vocabulary[i].label) if i in vocabulary else i for i in sorted(ids))

    fitting = types & region.applicant_types
    if fitting:
        msgid = ("call is open to %(types)s, which are among the region's readers" if listed
                 else "call text addresses %(types)s, which are among the region's readers")
        return weights.applicant_match, [Reason(msgid, types=labels(fitting))], False
    msgid = ("call is open to %(types)s only, not the organisations this digest serves" if listed
             else "call text addresses %(types)s only, not the organisations this digest serves")
    return weights.applicant_mismatch, [Reason(msgid, types=labels(types))], True


def _deadline(call: Call, now: datetime, weights: Weights) -> tuple[int, list[str], bool, bool]:
    """(points, reasons, closed, urgent).

    Multi-stage calls (deadline labels with "stage") take new applicants until the
    first stage only; calls with several cut-offs stay open until the last one.
    """
    parsed = sorted((d for d in call.deadlines if d.at is not None), key=lambda d: d.at)  # type: ignore[arg-type,return-value]
    if parsed and "stage" in (parsed[0].label or "").lower():
        parsed = parsed[:1]
    upcoming = [d for d in parsed if d.at >= now]  # type: ignore[operator]
    if call.status is Status.WITHDRAWN:
        return 0, [Reason("call was withdrawn")], True, False
    if call.status is Status.CLOSED and not (parsed and not upcoming):
        return 0, [Reason("call is closed (as the source reports)")], True, False
    if parsed and not upcoming:
        return (
            0, [Reason("call is closed (deadline passed on %(date)s)", date=deadlines.day_of(parsed[-1]))], True, False
        )
    if not upcoming:
        if call.opens_at is not None and call.opens_at > now:
            opens = call.opens_at.date()  # the day on the publisher's clock it was stored in
            return (
                weights.forthcoming, [Reason("opens on %(date)s, no deadline yet: time to prepare", date=opens)],
                False, False,
            )
        return weights.deadline_unknown, [Reason("no deadline published")], False, False
    label = upcoming[0].label
    days = deadlines.days_left(upcoming[0], now)
    day = deadlines.day_of(upcoming[0])

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
