"""Eligibility: may a region's applicants apply to a call? The strongest evidence decides.

In order: the call's ``eligible_areas`` and ``eligible_nuts`` (:func:`nuts_verdict`); a participation limit in
its own words (:mod:`pipelines.limits`: "participation is limited to legal entities established in
Member States …" beats any association of the country); its ``eligible_countries`` (or the
country of an ``EuropeAid/…/UA`` reference); its programme (``programme_areas.toml``: is the
region in the programme area, is the country associated), found by registry id, official
identifier or name in the text; then the text itself: the region named, only other areas of
the country named, the country named; last the call's language (Ukrainian → Ukraine,
Serbian → Serbia). Every verdict comes with the sentences that explain it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from calls.reasons import Names, Reason, Term
from calls.regions import Country, ProgrammeArea, RegionProfile
from calls.schema import Call, Eligibility
from pipelines.limits import Doubt, Limit
from pipelines.matching import Compiled, Facts, RegionRules, named_programme

_RANK = {Eligibility.ELIGIBLE: 3, Eligibility.LIKELY: 2, Eligibility.UNKNOWN: 1, Eligibility.NOT_ELIGIBLE: 0}
_EUROPEAID_COUNTRY = re.compile(r"EuropeAid/\d+/[A-Z]+/[A-Z]+/([A-Z]{2})\b")
_SUPRANATIONAL = {"eu", "research", "interreg"}
"""Programme kinds whose eligibility a mention of other areas in the text does not narrow."""
_LANGUAGE_COUNTRY = {"uk": "UA", "sr": "RS", "sr-latn": "RS", "sr-cyrl": "RS"}


def programme_of(call: Call, facts: Facts, compiled: Compiled) -> tuple[ProgrammeArea | None, str]:
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
        if named := named_programme(hits, compiled.programme_aliases):
            return registry[named], Term("the call's text")
    return None, ""


def eligibility(
    call: Call, facts: Facts, rules: RegionRules, programme: ProgrammeArea | None, how: str, now: datetime
) -> tuple[Eligibility, list[str], bool]:
    """The verdict for one region, the (at most two) reasons behind it, and whether the region's
    organisations can only be partners (the call's lead applicant must come from elsewhere)."""
    region, country = rules.region, rules.region.country
    own_areas = {a.strip().upper() for a in call.eligible_areas} & region.areas
    nuts = nuts_verdict(call, region)
    listed = own_areas or (nuts is not None and nuts[0] is Eligibility.ELIGIBLE)
    limit = None if listed else _limit_verdict(facts.limits, country, programme, now)
    if limit is not None and limit.verdict is Eligibility.NOT_ELIGIBLE:
        return limit.verdict, [limit.reason], False
    verdict, reasons = _from_evidence(call, facts, rules, programme, how, now,
                                      admitted=limit.reason if limit is not None and limit.admits else None, nuts=nuts)
    if limit is not None and not limit.admits and _RANK[verdict] >= _RANK[limit.verdict]:
        # The limit caps the verdict; where they agree, its sentence comes first.
        return limit.verdict, [limit.reason] + (reasons[:1] if verdict is limit.verdict else []), limit.partner_only
    return verdict, reasons, False


@dataclass(frozen=True)
class _LimitVerdict:
    verdict: Eligibility
    """What the limit allows at most (or, when it admits the country, what it shows)."""
    reason: Reason
    admits: bool
    partner_only: bool = False
    """The limit is for lead applicants only: the region's organisations may join as partners."""


def _limit_verdict(
    limits: tuple[Limit, ...], country: Country, programme: ProgrammeArea | None, now: datetime
) -> _LimitVerdict | None:
    """What the call's own participation limits say about ``country``: the strictest limit wins."""
    if not limits:
        return None
    associated = _associated(programme, country.code, now)
    found: list[_LimitVerdict] = []
    for limit in limits:
        says = limit.admits(country.code, associated)
        names = {"country": name_of(country), "quote": limit.quote}
        if says is True:
            found.append(_LimitVerdict(Eligibility.ELIGIBLE, Reason(
                "the call's conditions admit applicants from %(country)s (“%(quote)s”)", **names), True))
        elif says is None and limit.restricts:
            found.append(_LimitVerdict(Eligibility.UNKNOWN, Reason(
                "the call may be limited to applicants from other countries (“%(quote)s”); "
                "it does not say whether %(country)s is among them", **names), False))
        elif says is False and limit.doubt is Doubt.LEAD_ONLY:
            found.append(_LimitVerdict(Eligibility.LIKELY, Reason(
                "organisations from %(country)s can take part only as partners: "
                "the lead applicant must come from the countries the call names (“%(quote)s”)", **names),
                False, partner_only=True))
        elif says is False and limit.doubt is not Doubt.NONE:
            found.append(_LimitVerdict(Eligibility.UNKNOWN, Reason(
                "the call seems to limit participation to other countries (“%(quote)s”); "
                "check whether %(country)s is admitted", **names), False))
        elif says is False and limit.restricts:
            found.append(_LimitVerdict(Eligibility.NOT_ELIGIBLE, Reason(
                "participation is limited to the countries the call names (“%(quote)s”); "
                "%(country)s is not among them", **names), False))
        elif says is False:
            found.append(_LimitVerdict(Eligibility.NOT_ELIGIBLE, Reason(
                "the call shuts out applicants from %(country)s (“%(quote)s”)", **names), False))
    if not found:
        return None
    # A limit that shuts the country out beats one that admits it ("only Member States and Ukraine …
    # organisations from Ukraine may not lead"): the strictest reading is the one to check.
    return min(found, key=lambda v: (_RANK[v.verdict], v.admits))


def _associated(programme: ProgrammeArea | None, code: str, now: datetime) -> bool | None:
    """Whether ``code`` is associated to ``programme`` today (None: not known)."""
    if programme is None:
        return None
    status = programme.status_for(code)
    if status is None or status.status == "not-associated":
        return False
    if status.since is not None and now.date() < status.since:
        return False
    if status.status in ("associated", "participating"):
        return None if status.uncertain else True
    return None


def _from_evidence(
    call: Call,
    facts: Facts,
    rules: RegionRules,
    programme: ProgrammeArea | None,
    how: str,
    now: datetime,
    admitted: Reason | None,
    nuts: tuple[Eligibility, Reason] | None = None,
) -> tuple[Eligibility, list[str]]:
    region, country = rules.region, rules.region.country
    # 1. The call's own list of areas: the most specific fact there is.
    areas = {a.strip().upper() for a in call.eligible_areas}
    if areas:
        own = areas & region.areas
        if own:
            return Eligibility.ELIGIBLE, [Reason("call lists %(areas)s (%(region)s) among eligible areas",
                                                areas=tuple(sorted(own)), region=name_of(region))]
        same_country = sorted(a for a in areas if a[:2] == country.code)
        if same_country:
            return Eligibility.NOT_ELIGIBLE, [Reason(
                "call is limited to %(areas)s in %(country)s; %(region)s is not among them",
                areas=tuple(same_country), country=name_of(country), region=name_of(region),
            )]

    if nuts is not None:
        return nuts[0], [nuts[1]]

    # 2. The call's own list of countries (or the country in an EuropeAid reference).
    countries = {c.strip().upper() for c in call.eligible_countries}
    europeaid = _EUROPEAID_COUNTRY.search(call.call_id or "")
    if europeaid:
        countries.add(europeaid.group(1))
    evidence: list[tuple[Eligibility, str]] = []
    if admitted is not None:
        # The call's own words name the country among those admitted: as strong as a list of countries.
        evidence.append((Eligibility.ELIGIBLE, admitted))
    if countries:
        if country.code not in countries:
            shown = ", ".join(sorted(countries)[:8]) + ("…" if len(countries) > 8 else "")
            return Eligibility.NOT_ELIGIBLE, [Reason("call is open to applicants from %(countries)s, not %(country)s",
                                                    countries=shown, country=name_of(country))]
        evidence.append(
            (Eligibility.ELIGIBLE, Reason("call is open to applicants from %(country)s", country=name_of(country)))
        )

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
        if verdict is Eligibility.NOT_ELIGIBLE and not ((countries or admitted) and not area_level):
            return verdict, [reason]
        if verdict is not Eligibility.NOT_ELIGIBLE:
            evidence.append((verdict, reason))
        if area_level and verdict is not Eligibility.NOT_ELIGIBLE:
            return _best(evidence)

    # 4. The call's text: names of the region, of other areas, of the country.
    own = [everything[k] for k in everything if k in rules.aliases]
    own += [everything[k] for k in everything if k in rules.gazetteer and rules.gazetteer[k] & region.areas]
    if own:
        where = ("eligibility conditions name %(region)s (“%(quote)s”)"
                 if any(k in facts.eligibility for k in rules.aliases)
                 else "call text names %(region)s (“%(quote)s”)")
        evidence.append((Eligibility.ELIGIBLE, Reason(where, region=name_of(region), quote=own[0])))
        return _best(evidence)
    others = sorted({code for k in everything if k in rules.gazetteer for code in rules.gazetteer[k]} - region.areas)
    nationwide = [everything[k] for k in everything if k in rules.nationwide]
    if nationwide:
        evidence.append((Eligibility.ELIGIBLE, Reason("call is open across %(country)s (“%(quote)s”)",
                                                      country=name_of(country), quote=nationwide[0])))
    elif others and not area_level and (programme is None or programme.kind not in _SUPRANATIONAL):
        named = [everything[k] for k in everything if k in rules.gazetteer][:3]
        return Eligibility.NOT_ELIGIBLE, [Reason(
            "call is for other areas of %(country)s (%(areas)s: “%(quotes)s”), not %(region)s",
            country=name_of(country), areas=tuple(others), quotes="”, “".join(named), region=name_of(region),
        )]
    if not evidence and not named_country:
        shut_out = {code for limit in facts.limits for code in limit.excluded}
        foreign = _foreign(call, everything, rules, shut_out)
        if foreign:
            return Eligibility.NOT_ELIGIBLE, [foreign]
    in_conditions = [facts.eligibility[k] for k in facts.eligibility if k in rules.country]
    in_text = [v for k, v in facts.main.items() if k in rules.country]
    groups = [v for k, v in everything.items() if k in rules.groups]
    if in_conditions:
        evidence.append((Eligibility.ELIGIBLE, Reason("eligibility conditions name %(country)s (“%(quote)s”)",
                                                      country=name_of(country), quote=in_conditions[0])))
    elif in_text:
        evidence.append((Eligibility.LIKELY, Reason("call text mentions %(country)s (“%(quote)s”)",
                                                    country=name_of(country), quote=in_text[0])))
    if groups:
        evidence.append((Eligibility.LIKELY, Reason("call text names a group %(country)s belongs to (“%(quote)s”)",
                                                    country=name_of(country), quote=groups[0])))
    if _language_country(call) == country.code:
        evidence.append((Eligibility.LIKELY, Reason("published in %(language)s for applicants in %(country)s",
                                                    language=call.language, country=name_of(country))))
    if not evidence:
        return Eligibility.UNKNOWN, [Reason("no eligibility information about %(country)s or %(region)s found",
                                            country=name_of(country), region=name_of(region))]
    return _best(evidence)


def nuts_verdict(call: Call, region: RegionProfile) -> tuple[Eligibility, Reason] | None:
    """What the call's eligible NUTS codes say about ``region``, or None when they say nothing about it.

    A code covers the region when it is one of the region's codes, or a NUTS code above or below one of them
    (``RS1`` and ``RS123`` both touch Vojvodina, ``RS12``), or the country's own code. Codes of the region's
    country that cover none of its codes exclude it, if the region has NUTS codes to compare (Ukraine has
    none: its oblasts' codes in such a list cannot be placed, so they decide nothing). A list with no code
    of the region's country excludes it, unless the call's countries name that country (the list is then
    silent about it).
    """
    codes = list(dict.fromkeys(c.strip().upper() for c in call.eligible_nuts if c.strip()))
    if not codes:
        return None
    country = region.country
    prefix = _ISO_TO_NUTS.get(country.code, country.code)
    own = {a for a in region.areas if a.startswith(prefix) and a.isalnum() and len(a) > len(prefix)}
    covering = [c for c in codes if c in region.areas or c == prefix
                or (c.isalnum() and any(a.startswith(c) or c.startswith(a) for a in own))]
    if covering:
        widest = [c for c in covering if not any(o != c and c.startswith(o) for o in covering)]
        return Eligibility.ELIGIBLE, Reason("call lists %(areas)s (%(region)s) among eligible areas",
                                            areas=tuple(widest[:6]), region=name_of(region))
    same_country = [c for c in codes if c.startswith(prefix)]
    if same_country:
        if not own:
            return None
        return Eligibility.NOT_ELIGIBLE, Reason(
            "call is limited to %(areas)s in %(country)s; %(region)s is not among them",
            areas=tuple(same_country[:8]), country=name_of(country), region=name_of(region))
    if country.code in {c.strip().upper() for c in call.eligible_countries}:
        return None
    elsewhere = sorted({_NUTS_TO_ISO.get(c[:2], c[:2]) for c in codes})
    shown = ", ".join(elsewhere[:8]) + ("…" if len(elsewhere) > 8 else "")
    return Eligibility.NOT_ELIGIBLE, Reason("call is open to applicants from %(countries)s, not %(country)s",
                                            countries=shown, country=name_of(country))


_ISO_TO_NUTS = {"GR": "EL", "GB": "UK"}
_NUTS_TO_ISO = {nuts: iso for iso, nuts in _ISO_TO_NUTS.items()}


def _foreign(call: Call, everything: Mapping[str, str], rules: RegionRules, shut_out: set[str]) -> str:
    """Why the call is for another country's applicants, or '' (a country the call shuts out does not count)."""
    country = rules.region.country
    other = _language_country(call)
    if other and other != country.code:
        return Reason("published in %(language)s for applicants in %(other)s, not %(country)s",
                      language=call.language, other=other, country=name_of(country))
    named = [
        (v, rules.foreign[k]) for k, v in everything.items() if k in rules.foreign and rules.foreign[k] not in shut_out
    ]
    if named:
        return Reason("call is for applicants in %(other)s (“%(quote)s”), not %(country)s",
                      other=named[0][1], quote=named[0][0], country=name_of(country))
    return ""


def name_of(place: RegionProfile | Country) -> Names:
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

    names = {"country": name_of(country), "programme": programme.name}
    if status is None:
        return Eligibility.NOT_ELIGIBLE, Reason("%(country)s does not take part in %(programme)s", **names), False
    if status.since is not None and now.date() < status.since:
        return Eligibility.NOT_ELIGIBLE, Reason("%(country)s takes part in %(programme)s only from %(since)s",
                                                since=status.since, **names), False
    if status.status == "not-associated":
        return Eligibility.NOT_ELIGIBLE, maybe(Reason("%(country)s is not associated to %(programme)s", **names)), False
    if status.status == "unknown":
        return (
            Eligibility.UNKNOWN, Reason("%(country)s's participation in %(programme)s is not confirmed", **names), False
        )
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
    region_name = name_of(region)
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
