"""Posts that announce calls, and the facts a call's free text states.

Programme sites and aggregators publish calls as news posts among training
announcements, results lists and job ads. :func:`classify_post` decides from
title, categories and text whether a post announces a call, and says why;
:func:`text_facts` reads deadlines, opening, money and applicant types from the
post's text in any of the digest's languages (``calls.extract``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from calls.extract.applicants import applicant_sentences, find_applicant_types
from calls.extract.dates import find_deadlines, find_opening
from calls.extract.eligibility import eligibility_section
from calls.extract.identifiers import call_ids
from calls.extract.money import find_budget, find_cofinancing, find_grant_range
from calls.extract.planning import find_planned
from calls.extract.priority import find_priorities
from calls.schema import Status
from pipelines.matching import programme_named


def _words(*stems: str) -> re.Pattern:
    return re.compile("|".join(stems), re.IGNORECASE)


CALL_WORDS = _words(
    # en
    r"\bcalls? for (?:proposals|applications|projects|project proposals|expressions? of interest)",
    r"\bopen call\b", r"\bgrant (?:competition|programme|program|scheme|opportunit)", r"\bfunding opportunit",
    r"\bnotice of funding", r"\bsmall (?:projects?|grants?) fund", r"\bcall (?:is|now) open",
    r"\blaunch(?:es|ed)? (?:its |the )?(?:\w+ )?call",
    r"\bapply (?:now|for)\b", r"\bgrants? for\b", r"\bcall\b.*\b(?:opens?|open)\b",
    r"\b(?:first|second|third|fourth|fifth|\d(?:st|nd|rd|th)) call\b",
    r"\bcalls? for (?:small|strategic|micro)[- ]?(?:scale )?projects?",
    # uk
    r"конкурс", r"грант", r"прийом заявок", r"приймає заявки", r"набір (?:заявок|проєкт)", r"можливість фінансування",
    r"запрошує подати", r"подати заявк", r"фінансування (?:проєкт|ініціатив)",
    # sr (Latin and Cyrillic)
    r"javni poziv", r"javni konkurs", r"\bkonkurs", r"\bpoziv za", r"otvoren(?:i)? poziv", r"bespovratn",
    r"јавни позив", r"јавни конкурс", r"позив за", r"бесповратн",
    # pl
    r"nab[óo]r wniosk", r"\bnab[óo]r\b", r"zaproszenie do składania",
    # hu
    r"pályázati felhívás", r"pályázat", r"\bfelhívás",
    # ro
    r"apel(?:ul)? (?:de|pentru) (?:proiecte|propuneri)", r"cerere de propuneri", r"\bapel(?:ul)?\b",
)

NOT_CALL_WORDS = _words(
    # results and selections
    r"\bresults?\b", r"\bwinners?\b", r"\b(?:selected|approved|contracted|funded) projects", r"ranking list",
    r"результат", r"переможц", r"відібран", r"rezultat", r"резултат", r"rang[ -]list", r"ранг[ -]лист",
    r"\bodluka o (?:dodeli|izboru)",
    r"одлука о (?:додели|избору)", r"wynik", r"eredmény", r"nyertes", r"rezultatele", r"proiecte selectate",
    # events about a call, not the call
    r"\btraining\b", r"\bwebinars?\b", r"\binfo(?:rmation)?[ -]?(?:day|session)s?\b", r"\bworkshops?\b",
    r"\bseminars?\b", r"\bconference\b", r"\bpartner search forum", r"тренінг", r"вебінар", r"семінар",
    r"інформаційн\w* (?:день|сесі)", r"\bobuk",
    r"обук", r"radionic", r"радиониц", r"info dan", r"инфо дан", r"szkoleni", r"spotkanie informacyjne", r"képzés",
    r"információs nap", r"sesiune de informare", r"instruire",
    # other kinds of notices
    r"\bvacanc", r"\bjob\b", r"вакансі", r"\bposao\b", r"\bпосао\b", r"\boferta pracy", r"állás", r"\bangajare",
    r"закупівл", r"\btender\b", r"\bјавна набавка", r"\bjavna nabavka",
)

CALL_CATEGORIES = _words(
    r"call", r"konkurs", r"конкурс", r"grant", r"грант", r"nab[óo]r", r"pályázat", r"apel", r"poziv", r"позив"
)


@dataclass(frozen=True)
class Verdict:
    """Whether a post announces a call, and the reason (for logs and tests)."""

    is_call: bool
    reason: str


def classify_post(title: str, text: str = "", categories: Iterable[str] = ()) -> Verdict:
    """Decide whether a post announces a call, from its title first, then categories and text."""
    if match := NOT_CALL_WORDS.search(title):
        return Verdict(False, f"title says {match.group(0)!r}")
    if match := CALL_WORDS.search(title):
        return Verdict(True, f"title says {match.group(0)!r}")
    category = next((c for c in categories if CALL_CATEGORIES.search(c)), None)
    lead = text[:600]
    if category and (CALL_WORDS.search(lead) or _has_deadline_cue(lead)):
        return Verdict(True, f"category {category!r} and the text announces a call")
    if (match := CALL_WORDS.search(lead)) and _has_deadline_cue(text[:3000]):
        return Verdict(True, f"text announces {match.group(0)!r} with a deadline")
    return Verdict(False, "no call wording in title, category or opening text")


_DEADLINE_CUE = _words(
    r"deadline", r"\bdue\b", r"submi(?:t|ssion)", r"until", r"кінцев\w* термін", r"\bдо \d", r"дедлайн", r"\brok\b",
    r"\bрок\b", r"termin", r"határidő", r"termen", r"\bdo \d",
)


def _has_deadline_cue(text: str) -> bool:
    return bool(_DEADLINE_CUE.search(text))


def text_facts(
    text: str, zone: ZoneInfo, language: str | None = None, *, title: str = "", url: str = ""
) -> dict[str, Any]:
    """Schema fields stated in a call's free text, each parsed value with its raw text beside it.

    The call's own id comes from its ``title``, its ``url``, a labelled field or the opening lines;
    other ids the text quotes are references (:mod:`calls.extract.identifiers`).
    """
    facts: dict[str, Any] = {}
    if programme := programme_named(title):
        facts["programme_id"] = programme  # a post relaying another programme's call (the source's default is its own)
    own, quoted = call_ids(title, url, text)
    if own:
        facts["call_id"] = own
    if quoted:
        facts["cited_call_ids"] = quoted
    if deadlines := find_deadlines(text, zone, language):
        facts["deadlines"] = deadlines
    if opening := find_opening(text, zone, language):
        facts["opens_at"], facts["opens_at_raw"] = opening.at, opening.raw
    currency = None
    if budget := find_budget(text):
        facts.update(budget=budget.value, budget_raw=budget.raw)
        currency = budget.currency
    low, high = find_grant_range(text)
    if low or high:
        facts.update(
            grant_min=low.value if low else None,
            grant_max=high.value if high else None,
            grant_raw=" – ".join(dict.fromkeys(a.raw for a in (low, high) if a)),  # a range's ends share one raw text
        )
        currency = currency or (high or low).currency
    if currency:
        facts["currency"] = currency
    rate, raw_rate = find_cofinancing(text)
    if rate is not None:
        facts.update(cofinancing_rate=rate, cofinancing_raw=raw_rate)
    # Who may apply: from the post's eligibility section, else from its sentences about applying (and its title).
    section = eligibility_section(text)
    if section:
        facts["eligibility_text"] = section
    if applicants := find_applicant_types(section or applicant_sentences(f"{title}.\n{text}" if title else text)):
        facts["applicant_types"] = applicants
    if priorities := find_priorities(text):
        facts["programme_priorities"] = priorities
    if not deadlines and not opening and find_planned(text):
        # "The call is projected to the second part of 2025": a call to come (dates decide whenever there are any).
        facts["status"] = Status.FORTHCOMING
    return facts
