"""Grants.gov, the US federal grants catalogue, through its public JSON API (SOURCES.md §3).

Two endpoints, both ``POST`` with a JSON body and no authentication:

* ``search2`` lists opportunities (``oppHits``) page by page: ``startRecordNum``
  is the offset of the first hit and ``hitCount`` the total. The filters
  (``keyword``, ``oppStatuses``, ``agencies``, ``eligibilities``,
  ``fundingCategories``, ``aln``) are pipe-joined code lists taken verbatim
  from the source options.
* ``fetchOpportunity`` gives one opportunity's details: description, award
  ceiling and floor, eligible applicant types and the eligibility text, the
  exact due date. It is asked once per hit. When it fails (HTTP error,
  ``errorcode`` set, broken JSON) the call is still yielded from the search
  hit, and the stat ``grants_gov/details_failed`` counts it.

API quirks handled here: titles carry raw HTML entities (``&ndash;``); amounts
are strings (``"1200000"``, ``"0"`` = not stated); the hit's ``closeDate`` is
``MM/DD/YYYY`` or ``""``, the details' dates read ``Aug 03, 2026 12:00:00 AM
EDT``, where midnight means "the date only". A published deadline date without
a time is the end of that day (23:59:59) in New York, unless the details state
a time: a non-midnight ``responseDate``, or a time in Eastern time written in
``responseDateDesc`` ("no later than 11:59 p.m., ET"); the raw text says which.
A forecast has no due date, only an estimate, kept with the label ``estimated``.

**Foreign eligibility filter** (option ``foreign_only``, on by default). Most
of Grants.gov is for US applicants only; a hit is kept when, in this order:

1. its agency is a US embassy or mission (``DOS-…`` code and an agency name
   with "Embassy", "Mission to" or "Consulate") — their notices are for
   applicants in the host country;
2. else, a sentence of the eligibility text admits foreign, non-US or
   international applicants (or names an applicant country other than the US)
   without a negation ("Foreign entities are not eligible" excludes);
3. else, a sentence excludes foreign applicants → dropped;
4. else, the applicant types include "Others" (25) or "Unrestricted" (99),
   whose meaning the eligibility text clarifies → kept for the classifier;
5. else dropped (``grants_gov/not_foreign`` counts them).

Without details the filter cannot decide and the call is kept: showing a call
of unknown eligibility is better than silently losing one.

``eligible_countries`` is filled only when the eligibility text names the
country in a sentence that does not negate it (embassy agency codes are *not*
turned into countries). Applicant types are mapped to the controlled list;
US-specific ones (tribal governments and organisations) have no counterpart.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import datetime, time
from decimal import Decimal
from typing import Any

import scrapy
from scrapy.http import Response

from calls.schema import SUMMARY_MAX, Call, Status
from calls.text import html_to_text, one_line
from spiders.base import SourceFormatError, SourceSpider, json_body
from spiders.grants_gov_fields import (
    NEW_YORK,
    amount,
    api_datetime,
    close_deadline,
    due_deadline,
    response_deadline,
    us_date,
)
from spiders.grants_gov_fields import stated_time as stated_time

SEARCH_URL = "https://api.grants.gov/v1/api/search2"
DETAIL_URL = "https://api.grants.gov/v1/api/fetchOpportunity"
PAGE_URL = "https://www.grants.gov/search-results-detail/{}"
ELIGIBILITY_MAX = 4000
JSON_HEADERS = {"Content-Type": "application/json", "Accept": "application/json"}
SEARCH_FILTERS = ("keyword", "oppStatuses", "agencies", "eligibilities", "fundingCategories", "aln")
"""search2 body keys taken verbatim from the source options."""
AGENCIES_LIMIT = 150
"""Reported quirk: about 193+ pipe-joined agency codes silently return ``hitCount`` 0."""

STATUSES = {
    "posted": Status.OPEN,
    "forecasted": Status.FORTHCOMING,
    "closed": Status.CLOSED,
    "archived": Status.CLOSED,
}
KINDS = {"G": "grant", "CA": "grant", "PC": "tender", "O": "other"}
"""``fundingInstruments`` ids: grant, cooperative agreement, procurement contract, other."""

APPLICANT_TYPES = {
    "00": ("regional-government",),  # State governments
    "01": ("local-government",),  # County governments
    "02": ("local-government",),  # City or township governments
    "04": ("public-body",),  # Special district governments
    "05": ("school",),  # Independent school districts
    "06": ("university",),  # Public and State controlled institutions of higher education
    "08": ("public-body",),  # Public housing authorities/Indian housing authorities
    "12": ("ngo",),  # Nonprofits having a 501(c)(3) status
    "13": ("ngo",),  # Nonprofits without 501(c)(3) status
    "20": ("university",),  # Private institutions of higher education
    "21": ("individual",),  # Individuals
    "22": ("business",),  # For profit organizations other than small businesses
    "23": ("sme",),  # Small businesses
    # 07/11 (Native American tribal governments/organisations) have no counterpart;
    # 25 ("Others") only points to the eligibility text.
}
APPLICANT_TYPES["99"] = tuple(dict.fromkeys(t for types in APPLICANT_TYPES.values() for t in types))
"""99 = "Unrestricted (i.e., open to any type of entity above)"."""
OPEN_TYPES = {"25", "99"}
"""Applicant types whose real scope is written in the eligibility text."""

COUNTRIES = {
    "UA": ("Ukraine", "Ukrainian"),
    "RS": ("Serbia", "Serbian"),
    "MD": ("Moldova", "Moldovan"),
    "PL": ("Poland", "Polish"),
    "HU": ("Hungary", "Hungarian"),
    "RO": ("Romania", "Romanian"),
    "SK": ("Slovakia", "Slovak"),
    "HR": ("Croatia", "Croatian"),
    "BA": ("Bosnia and Herzegovina",),
    "ME": ("Montenegro", "Montenegrin"),
    "MK": ("North Macedonia",),
    "AL": ("Albania", "Albanian"),
    "BG": ("Bulgaria", "Bulgarian"),
}
"""Countries recognised in eligibility text: the digest's regions and their neighbours."""
_COUNTRY_RES = {
    code: re.compile(r"\b(?:" + "|".join(re.escape(n) for n in names) + r")\b") for code, names in COUNTRIES.items()
}
_FOREIGN = re.compile(
    r"\b(?:foreign|non-U\.?S\.?|international|overseas|outside (?:of )?the United States)\b", re.IGNORECASE
)
_NEGATED = re.compile(
    r"\b(?:not eligible|ineligible|not be eligible|excluded|cannot apply|may not apply|not allowed"
    r"|will not be considered)\b",
    re.IGNORECASE,
)
_SENTENCE_END = re.compile(r"(?<=[.;!?])\s+|\n+")
_EMBASSY = re.compile(r"\b(?:Embassy|Mission to|Consulate)\b", re.IGNORECASE)


class GrantsGovSpider(SourceSpider):
    """US federal funding opportunities open to applicants abroad (US embassy small grants above all)."""

    name = "grants-gov"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._seen: set[str] = set()

    async def start(self):
        agencies = str(self.options.get("agencies") or "")
        if agencies.count("|") + 1 > AGENCIES_LIMIT:
            self.logger.warning(
                "%d agency codes: search2 is reported to return nothing beyond ~193", agencies.count("|") + 1
            )
        yield self.search_request(0)

    # -- requests ------------------------------------------------------------

    @property
    def rows(self) -> int:
        return max(int(self.options.get("rows", 50)), 1)

    @property
    def max_pages(self) -> int:
        return max(int(self.options.get("max_pages", 20)), 1)

    @property
    def foreign_only(self) -> bool:
        return bool(self.options.get("foreign_only", True))

    def search_request(self, page: int) -> scrapy.Request:
        """The search2 POST of result page ``page`` (0-based)."""
        return self.request(
            SEARCH_URL,
            method="POST",
            body=json.dumps(search_body(self.options, start=page * self.rows, rows=self.rows)),
            headers=JSON_HEADERS,
            callback=self.parse,
            cb_kwargs={"page": page},
            dont_filter=True,
        )

    def detail_request(self, hit: dict[str, Any]) -> scrapy.Request:
        """The fetchOpportunity POST of one hit; the hit travels along for the fallback."""
        return self.request(
            DETAIL_URL,
            method="POST",
            body=json.dumps({"opportunityId": int(hit["id"])}),
            headers=JSON_HEADERS,
            callback=self.parse_detail,
            errback=self.detail_failed,
            cb_kwargs={"hit": hit},
            meta={"hit": hit, "supplementary": True},  # a missing detail keeps the hit
        )

    # -- parsing -------------------------------------------------------------

    def parse(self, response: Response, page: int = 0) -> Iterator[scrapy.Request]:
        data = parse_envelope(response)
        hits = data.get("oppHits")
        total = data.get("hitCount")
        if not isinstance(hits, list) or not isinstance(total, int):
            raise SourceFormatError("search2 data lacks oppHits/hitCount", response.url, str(data)[:200])
        if page == 0 and total == 0:
            self.logger.warning("search2 found nothing for %s", {k: self.options.get(k) for k in SEARCH_FILTERS})
        yield from self.each_record(hits, lambda hit: self.hit_request(hit, response.url), response.url)
        if page == 0:
            for next_page in range(1, min(-(-total // self.rows), self.max_pages)):
                yield self.search_request(next_page)

    def hit_request(self, hit: Any, url: str) -> scrapy.Request | None:
        """The details request of a search hit not seen before (SourceFormatError for a malformed hit)."""
        check_hit(hit, url)
        if hit["id"] in self._seen:
            return None
        self._seen.add(hit["id"])
        return self.detail_request(hit)

    def parse_detail(self, response: Response, hit: dict[str, Any]) -> Iterator[Call]:
        """A hit completed by its fetchOpportunity details, unless the foreign filter drops it."""
        try:
            data = parse_envelope(response)
        except SourceFormatError as exc:
            self.logger.warning("details of %s unusable (%s); keeping the search hit", hit["number"], exc)
            self.count("grants_gov/details_failed")
            yield self.call_from_hit(hit)
            return
        if self.foreign_only and not foreign_eligible(hit, data):
            self.logger.debug("%s is not open to applicants abroad; skipped", hit["number"])
            self.count("grants_gov/not_foreign")
            return
        yield self.make_call(str(hit["id"]), **{**hit_fields(hit), **detail_fields(data)})

    def detail_failed(self, failure) -> Iterator[Call]:
        hit = failure.request.meta["hit"]
        self.logger.warning("details of %s unavailable (%s); keeping the search hit", hit["number"], failure.value)
        self.count("grants_gov/details_failed")
        yield self.call_from_hit(hit)

    def call_from_hit(self, hit: dict[str, Any]) -> Call:
        return self.make_call(str(hit["id"]), **hit_fields(hit))


# -- the API's shapes -----------------------------------------------------------


def search_body(options: dict[str, Any], *, start: int, rows: int) -> dict[str, Any]:
    """The search2 request body; filters come verbatim from the options (pipe-joined code lists)."""
    body: dict[str, Any] = {"rows": rows, "startRecordNum": start}
    for key in SEARCH_FILTERS:
        default = "forecasted|posted" if key == "oppStatuses" else ""
        body[key] = str(options.get(key, default))
    return body


def parse_envelope(response: Response) -> dict[str, Any]:
    """The ``data`` of a Grants.gov answer, checked: valid JSON, ``errorcode`` 0, ``data`` an object."""
    envelope = json_body(response, "Grants.gov")
    if not isinstance(envelope, dict) or not isinstance(envelope.get("data"), dict):
        raise SourceFormatError("Grants.gov envelope lacks data", response.url, str(envelope)[:200])
    if envelope.get("errorcode") not in (0, "0"):
        # Errors still come as 200 with a message: {"errorcode": 1, "msg": "…"}.
        raise SourceFormatError(f"Grants.gov error {envelope.get('errorcode')}: {envelope.get('msg')}", response.url)
    return envelope["data"]


def check_hit(hit: Any, url: str) -> None:
    """A search hit must carry a numeric ``id``, a ``number`` and a ``title``; else the API changed."""
    if (not isinstance(hit, dict) or not str(hit.get("id", "")).isdigit() or not hit.get("number")
            or not hit.get("title")):
        raise SourceFormatError("search2 hit lacks id/number/title", url, hit)


def hit_fields(hit: dict[str, Any]) -> dict[str, Any]:
    """Call fields a search hit gives: title, id, agency, status, dates (see the module docstring)."""
    status = STATUSES.get(str(hit.get("oppStatus", "")).lower())
    open_raw = hit.get("openDate") or None
    opened = us_date(open_raw)
    close_raw = hit.get("closeDate") or None  # "" when the notice has no closing date
    agency = one_line(hit.get("agency") or hit.get("agencyName")) or None
    fields: dict[str, Any] = {
        "title": one_line(hit["title"]),
        "call_id": hit["number"],
        "url": PAGE_URL.format(hit["id"]),
        "status": status,
        # openDate is when the current notice (synopsis or forecast) was posted.
        "published_at": datetime.combine(opened, time(0), NEW_YORK) if opened else None,
        "published_at_raw": open_raw,
        "deadlines": [close_deadline(close_raw)] if close_raw else [],
    }
    if status is Status.OPEN:
        fields["opens_at"] = fields["published_at"]
        fields["opens_at_raw"] = open_raw
    if agency:
        fields["funder"] = agency
    return fields



def notice_of(data: dict[str, Any]) -> tuple[dict[str, Any], bool]:
    """The current notice of an opportunity and whether it is a forecast.

    A posted opportunity keeps its earlier forecast beside the ``synopsis``;
    the synopsis supersedes it.
    """
    synopsis = data.get("synopsis")
    if isinstance(synopsis, dict) and synopsis:
        return synopsis, False
    forecast = data.get("forecast")
    return (forecast if isinstance(forecast, dict) else {}), True


def detail_fields(data: dict[str, Any]) -> dict[str, Any]:
    """Call fields from fetchOpportunity ``data``; only those the details actually state."""
    notice, forecast = notice_of(data)
    fields: dict[str, Any] = {}
    if title := one_line(data.get("opportunityTitle")):
        fields["title"] = title
    if agency := one_line(notice.get("agencyName") or (data.get("agencyDetails") or {}).get("agencyName")):
        fields["funder"] = agency
    description = notice.get("forecastDesc" if forecast else "synopsisDesc")
    if summary := html_to_text(description, SUMMARY_MAX):
        fields["summary"] = summary
    if eligibility := eligibility_text(notice):
        fields["eligibility_text"] = eligibility
        fields["eligible_countries"] = stated_countries(eligibility)
    instruments = [i for i in notice.get("fundingInstruments") or [] if isinstance(i, dict)]
    if instruments:
        fields["kind"] = KINDS.get(str(instruments[0].get("id")), "other")
        fields["action_type"] = ", ".join(one_line(i.get("description")) for i in instruments) or None
    fields["applicant_types"] = applicant_types(notice.get("applicantTypes"))
    fields["keywords"] = activity_categories(notice.get("fundingActivityCategories"))
    if programme := listing_title(data.get("cfdas")):
        fields["programme"] = programme
    fields.update(notice_dates(notice, forecast))
    fields.update(money(notice))
    return fields


def notice_dates(notice: dict[str, Any], forecast: bool) -> dict[str, Any]:
    """Posting, opening, last-change and due dates a notice states (a forecast's are estimates)."""
    dates = {**dated("published_at", notice.get("postingDate")), **dated("updated_at", notice.get("lastUpdatedDate"))}
    if forecast:
        dates.update(dated("opens_at", notice.get("estSynopsisPostingDate")))
        if due_raw := notice.get("estApplicationResponseDate"):
            dates["deadlines"] = [due_deadline(due_raw, label="estimated")]
    elif notice.get("responseDate"):
        dates["deadlines"] = [response_deadline(notice["responseDate"], notice.get("responseDateDesc"))]
    return dates


def dated(field: str, raw: str | None) -> dict[str, Any]:
    """``{field: datetime, field_raw: raw}`` when ``raw`` parses, else nothing (the hit's value stays)."""
    at = api_datetime(raw)
    return {field: at, f"{field}_raw": raw} if at else {}




def money(notice: dict[str, Any]) -> dict[str, Any]:
    """Total funding, award floor and ceiling, expected number of awards; USD when any amount is stated."""
    budget, low, high = (amount(notice.get(k)) for k in ("estimatedFunding", "awardFloor", "awardCeiling"))
    awards = str(notice.get("numberOfAwards") or "").strip()
    fields: dict[str, Any] = {
        "budget": budget,
        "budget_raw": printed(notice, "estimatedFunding", budget) or None,
        "grant_min": low,
        "grant_max": high,
        # A floor of "0" is "not stated": "–750,000" reads "up to 750,000".
        "grant_raw": (
            f"{printed(notice, 'awardFloor', low)}–{printed(notice, 'awardCeiling', high)}" if low or high else None
        ),
        "expected_grants": int(awards) if awards.isdigit() and int(awards) > 0 else None,
    }
    if budget or low or high:
        fields["currency"] = "USD"
    return fields


def printed(notice: dict[str, Any], key: str, value: Decimal | None) -> str:
    """A stated amount as the API prints it for people (``awardCeilingFormatted``: "1,200,000"); '' when ``value``
    is None."""
    return str(notice.get(f"{key}Formatted") or notice.get(key) or "") if value else ""


def applicant_types(types: Any) -> list[str]:
    """Grants.gov eligibility codes (``applicantTypes[].id``) → the controlled applicant types, in order."""
    out: dict[str, None] = {}
    for entry in types or []:
        code = str(entry.get("id", "")) if isinstance(entry, dict) else ""
        out.update(dict.fromkeys(APPLICANT_TYPES.get(code, ())))
    return list(out)


def activity_categories(categories: Any) -> list[str]:
    """Funding activity category names as keywords; "Other (see text field …)" (id ``O``) says nothing."""
    return [
        one_line(c.get("description"))
        for c in categories or []
        if isinstance(c, dict) and c.get("id") != "O" and one_line(c.get("description"))
    ]


def listing_title(cfdas: Any) -> str | None:
    """Programme name: the title of the first Assistance Listing (ALN, formerly CFDA) of the opportunity."""
    for entry in cfdas or []:
        if isinstance(entry, dict) and (title := one_line(entry.get("programTitle"))):
            return title
    return None


def eligibility_text(notice: dict[str, Any]) -> str:
    """The notice's "Additional Information on Eligibility" as plain text (it holds ``&quot;`` entities)."""
    return html_to_text(notice.get("applicantEligibilityDesc"), ELIGIBILITY_MAX)


def sentences(text: str) -> list[str]:
    return [s for s in _SENTENCE_END.split(text) if s.strip()]


def stated_countries(text: str) -> list[str]:
    """ISO codes of the countries named in sentences of ``text`` that do not negate eligibility."""
    found: dict[str, None] = {}
    for sentence in sentences(text):
        if _NEGATED.search(sentence):
            continue
        found.update(dict.fromkeys(code for code, pattern in _COUNTRY_RES.items() if pattern.search(sentence)))
    return list(found)


def is_embassy(agency_code: str | None, agency_name: str | None) -> bool:
    """A US embassy, mission or consulate: ``DOS-ARE`` = "U.S. Mission to United Arab Emirates"."""
    return str(agency_code or "").startswith("DOS-") and bool(_EMBASSY.search(agency_name or ""))


def foreign_eligible(hit: dict[str, Any], data: dict[str, Any]) -> bool:
    """Whether applicants outside the US may apply, by the rules of the module docstring."""
    notice, _ = notice_of(data)
    code = hit.get("agencyCode") or notice.get("agencyCode")
    name = hit.get("agency") or hit.get("agencyName") or notice.get("agencyName")
    if is_embassy(code, name):
        return True
    verdicts = [
        not _NEGATED.search(sentence)
        for sentence in sentences(eligibility_text(notice))
        if _FOREIGN.search(sentence) or any(p.search(sentence) for p in _COUNTRY_RES.values())
    ]
    if verdicts:
        return any(verdicts)
    codes = {str(t.get("id")) for t in notice.get("applicantTypes") or [] if isinstance(t, dict)}
    return bool(codes & OPEN_TYPES)
