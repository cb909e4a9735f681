"""EU Funding & Tenders Portal, through the SEDIA search API (SOURCES.md §1a).

The portal's own web pages are an Angular shell with no content; the search
API behind them is the source. One POST per page of results, multipart with
JSON parts (``query``, ``languages``, ``sort``). Every metadata value is a list
of strings, and some are JSON documents inside those strings (``budgetOverview``,
``actions``, ``latestInfos``). The same topic comes back once per translation,
so only English records are kept and each identifier is yielded once.

Deadlines: the API gives dates (``2025-10-02`` or ``…T00:00:00.000+0000``);
the portal's convention is 17:00 Brussels time on that day. A value with a
non-zero time is an instant and is kept as such.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from datetime import date, datetime, time
from decimal import Decimal
from functools import cached_property
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

import scrapy
from scrapy.http import Response

from calls import deadlines
from calls.regions import configured_programmes, default_programme_areas
from calls.schema import SUMMARY_MAX, Call, Deadline, Status
from calls.text import html_to_text, one_line
from spiders.base import SourceFormatError, SourceSpider, json_body

SEARCH_URL = "https://api.tech.ec.europa.eu/search-api/prod/rest/search"
TOPIC_PAGE = "https://ec.europa.eu/info/funding-tenders/opportunities/portal/screen/opportunities/topic-details/{}"
TOPIC_DETAILS = "https://ec.europa.eu/info/funding-tenders/opportunities/data/topicDetails/{}.json"
BRUSSELS = ZoneInfo("Europe/Brussels")
DEADLINE_TIME = time(17, 0)
"""The portal's deadline convention for a date without a time."""

STATUS_CODES = {
    "31094501": Status.FORTHCOMING,
    "31094502": Status.OPEN,
    "31094503": Status.CLOSED,
}
STATUS_WORDS = {"forthcoming": Status.FORTHCOMING, "open": Status.OPEN, "closed": Status.CLOSED}
CALL_TYPES = {"1": "grant", "2": "grant", "8": "grant"}
"""SEDIA ``type`` codes that are grant calls: 1 = call topic, 2 = call for proposals
(external action, PROSPECT: ``EuropeAid/…`` references), 8 = cascade funding call
run by an EU project. 0 = tender and 6 = news are not calls."""
CASCADE_PAGE = "https://ec.europa.eu/info/funding-tenders/opportunities/portal/screen/opportunities/competitive-calls-cs/{}"
ELIGIBILITY_MAX = 4000


class EuFtpSpider(SourceSpider):
    """Calls for proposals and grant topics of every EU-managed programme."""

    name = "eu-ftp"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._seen: set[str] = set()

    @cached_property
    def programmes(self):
        """The programme registry (with the department's ``[programmes]``), for the portal's programme codes."""
        return configured_programmes(self.config) if self.config is not None else default_programme_areas()

    async def start(self):
        yield self.search_request(1)

    # -- requests ------------------------------------------------------------

    def search_request(self, page: int) -> scrapy.Request:
        params = {
            "apiKey": "SEDIA",
            "text": self.options.get("text", "***"),
            "pageSize": self.page_size,
            "pageNumber": page,
        }
        body, content_type = multipart_json(
            {
                "query": self.query(),
                "languages": ["en"],
                # A unique key: rows tied on the sort field can repeat or vanish across pages.
                "sort": {"field": "identifier", "order": "ASC"},
            }
        )
        return self.request(
            f"{SEARCH_URL}?{urlencode(params)}",
            method="POST",
            body=body,
            headers={"Content-Type": content_type, "Accept": "application/json"},
            callback=self.parse,
            cb_kwargs={"page": page},
            dont_filter=True,
        )

    @property
    def page_size(self) -> int:
        return min(int(self.options.get("page_size", 50)), 100)  # the API caps pages at 100

    def query(self) -> dict[str, Any]:
        """The Elasticsearch-style bool query: types, statuses and optional programmes from the options."""
        statuses = list(self.options.get("statuses", ["forthcoming", "open"]))
        if self.options.get("include_closed") and "closed" not in statuses:
            statuses.append("closed")
        codes = {status: code for code, status in STATUS_CODES.items()}
        must: list[dict] = [
            {"terms": {"type": list(self.options.get("types", list(CALL_TYPES)))}},
            {"terms": {"status": [codes[STATUS_WORDS[s]] for s in statuses]}},
            # SEDIA_FAQ and SEDIA_PRD_CENTRICITY records are FAQs and duplicates.
            {"terms": {"DATASOURCE": ["SEDIA"]}},
        ]
        if programmes := self.options.get("programmes"):
            must.append({"terms": {"frameworkProgramme": [str(p) for p in programmes]}})
        return {"bool": {"must": must}}

    # -- parsing -------------------------------------------------------------

    def parse(self, response: Response, page: int = 1) -> Iterator[Call | scrapy.Request]:
        envelope = parse_envelope(response)
        yield from self.each_record(envelope["results"], self.result_or_details, response.url)
        if page == 1:
            last = min(-(-envelope["totalResults"] // self.page_size), int(self.options.get("max_pages", 40)))
            for next_page in range(2, last + 1):
                yield self.search_request(next_page)

    def result_or_details(self, result: dict[str, Any]) -> Call | scrapy.Request | None:
        """A search result's call, or the request of its topic details when the result lacks them."""
        call = self.parse_result(result)
        if call is None or call.native_id in self._seen:
            return None
        self._seen.add(call.native_id)
        if needs_details(call) and self.options.get("fetch_details", True):
            return self.request(
                TOPIC_DETAILS.format(call.native_id.lower()),
                callback=self.parse_details,
                errback=self.details_failed,
                cb_kwargs={"call": call},
                meta={"call": call, "supplementary": True},  # its failure keeps the search result
            )
        return call

    def parse_result(self, result: dict[str, Any]) -> Call | None:
        """One search result → a call, or None for translations, news items and other non-calls."""
        md = result.get("metadata") or {}
        language = first(md, "language") or result.get("language")
        doc_type = first(md, "type") or ""
        kind = CALL_TYPES.get(doc_type)
        native_id, call_id, url = result_identity(md, doc_type, result.get("url"))
        if language != "en" or kind is None or not native_id:
            return None
        budget = topic_budget(md, call_id or native_id)
        action = topic_action(md)
        opening_raw = (
            (budget or {}).get("plannedOpeningDate") or (action or {}).get("plannedOpeningDate")
            or first(md, "startDate")
        )
        programme = self.programmes.by_ftp_code(first(md, "frameworkProgramme"))
        updated_raw = latest_change(md)
        return self.make_call(
            native_id,
            call_id=call_id,
            parent_call_id=first(md, "callIdentifier") if doc_type == "1" else None,
            parent_call_title=(one_line(first(md, "callTitle")) or None) if doc_type == "1" else None,
            title=one_line(first(md, "title") or first(md, "callTitle") or result.get("summary")),
            url=url,
            language="en",
            summary=html_to_text(first(md, "descriptionByte") or first(md, "description"), SUMMARY_MAX) or None,
            eligibility_text=html_to_text(first(md, "topicConditions"), ELIGIBILITY_MAX) or None,
            programme_id=programme.id if programme else None,
            programme=programme.name if programme else first(md, "frameworkProgramme"),
            funder=programme.funder if programme else "European Union",
            kind=kind,
            action_type=one_line(first(md, "typesOfAction")) or ("Cascade funding" if doc_type == "8" else None),
            status=topic_status(md, action),
            opens_at=portal_datetime(opening_raw, opening=True),
            opens_at_raw=opening_raw,
            deadlines=topic_deadlines(md, budget, action),
            updated_at=portal_datetime(updated_raw) if updated_raw else None,
            updated_at_raw=updated_raw,
            keywords=topic_keywords(md, call_id or native_id),
            **(topic_money(budget) or flat_money(md)),
        )

    def parse_details(self, response: Response, call: Call) -> Iterator[Call]:
        """Fill what the search result lacked from the topic-details JSON."""
        try:
            details = json.loads(response.text)["TopicDetails"]
        except (ValueError, KeyError, TypeError):
            self.logger.warning(
                "topic details of %s are not the expected JSON; keeping the search result", call.call_id
            )
            self.count("eu_ftp/details_failed")
            yield call
            return
        yield merge_details(call, details)

    def details_failed(self, failure) -> Iterator[Call]:
        call = failure.request.meta["call"]
        self.logger.warning(
            "topic details of %s unavailable (%s); keeping the search result", call.call_id, failure.value
        )
        self.count("eu_ftp/details_failed")
        yield call


# -- the API's shapes -----------------------------------------------------------


def parse_envelope(response: Response) -> dict[str, Any]:
    """The search response's envelope, checked: ``results`` a list, ``totalResults`` an int."""
    envelope = json_body(response, "search API")
    if (not isinstance(envelope, dict) or not isinstance(envelope.get("results"), list)
            or not isinstance(envelope.get("totalResults"), int)):
        raise SourceFormatError("search API envelope lacks results/totalResults", response.url, str(envelope)[:200])
    return envelope


def result_identity(md: dict[str, Any], doc_type: str, result_url: str | None) -> tuple[str | None, str | None, str]:
    """(native id, official call id, human URL) of a search result, by document type.

    Topics (1) are named by ``identifier``; calls for proposals (2, external
    action) by ``callIdentifier`` (``EuropeAid/186411/DD/ACT/CN``) and point to
    their own page (PROSPECT); cascade calls (8) only have ``callccm2Id``.
    """
    if doc_type == "2":
        call_id = first(md, "callIdentifier") or first(md, "identifier")
        page = first(md, "url") or result_url or ""
        return call_id, call_id, page if page.startswith("http") else TOPIC_PAGE.format(call_id)
    if doc_type == "8":
        ccm2 = first(md, "callccm2Id") or first(md, "ccm2Id")
        return ccm2, first(md, "identifier") or first(md, "callIdentifier"), CASCADE_PAGE.format(ccm2)
    identifier = first(md, "identifier")
    return identifier, identifier, TOPIC_PAGE.format(identifier)


def first(md: dict[str, Any], key: str) -> str | None:
    """First string of a metadata value (every SEDIA metadata value is a list of strings)."""
    value = md.get(key)
    if isinstance(value, list):
        return value[0] if value else None
    return value


def embedded_json(md: dict[str, Any], key: str) -> Any:
    """A metadata value that is a JSON document inside a string; None when absent or broken."""
    raw = first(md, key)
    if not raw:
        return None
    try:
        return json.loads(raw)
    except ValueError:
        return None


def topic_budget(md: dict[str, Any], identifier: str) -> dict[str, Any] | None:
    """This topic's entry of the search result's ``budgetOverview`` (see :func:`overview_budget`)."""
    return overview_budget(embedded_json(md, "budgetOverview") or {}, identifier)


def overview_budget(overview: dict[str, Any], identifier: str) -> dict[str, Any] | None:
    """This topic's entry of a budget overview (the overview lists every topic of the call).

    Entries are keyed by an action id; the topic is named at the start of
    ``action`` (``"HORIZON-CL4-2025-04-DATA-03 - HORIZON-RIA …"``). A topic with
    several budget lines (e.g. one per year or per cut-off) has them merged.
    """
    entries = [
        entry
        for group in (overview.get("budgetTopicActionMap") or {}).values()
        for entry in group
        if str(entry.get("action", "")).split(" - ")[0].strip() == identifier
    ]
    if not entries:
        return None
    merged = dict(entries[0])
    merged["budgetYearMap"] = {}
    merged["deadlineDates"] = []
    for entry in entries:
        for year, amount in (entry.get("budgetYearMap") or {}).items():
            merged["budgetYearMap"][year] = str(Decimal(merged["budgetYearMap"].get(year, "0")) + Decimal(str(amount)))
        merged["deadlineDates"] += [d for d in entry.get("deadlineDates") or [] if d not in merged["deadlineDates"]]
    return merged


def topic_action(md: dict[str, Any]) -> dict[str, Any] | None:
    actions = embedded_json(md, "actions")
    return actions[0] if isinstance(actions, list) and actions else None


def topic_status(md: dict[str, Any], action: dict[str, Any] | None) -> Status | None:
    """Status from the readable ``actions[].status`` where present, else from the numeric code."""
    word = str(((action or {}).get("status") or {}).get("abbreviation", "")).lower()
    return STATUS_WORDS.get(word) or STATUS_CODES.get(first(md, "status") or "")


def topic_deadlines(md: dict[str, Any], budget: dict | None, action: dict | None) -> list[Deadline]:
    """Every deadline of the topic, with stage labels for multi-stage calls."""
    raws = (budget or {}).get("deadlineDates") or (action or {}).get("deadlineDates") or md.get("deadlineDate") or []
    model = ((budget or {}).get("deadlineModel") or first(md, "deadlineModel") or "").lower()
    found = [portal_deadline(raw) for raw in raws if raw]
    found.sort(key=lambda d: (d.at is None, d.at or datetime.min.replace(tzinfo=BRUSSELS)))
    if len(found) > 1:
        word = "stage" if "stage" in model else "cut-off"
        found = [d.model_copy(update={"label": f"{word} {n}"}) for n, d in enumerate(found, 1)]
    return found


def topic_money(budget: dict[str, Any] | None) -> dict[str, Any]:
    """Budget, grant range and expected number of grants from the topic's budget entry; EUR."""
    if not budget:
        return {}
    years = budget.get("budgetYearMap") or {}
    total = sum((Decimal(str(v)) for v in years.values()), Decimal(0)) if years else None
    total = total or None  # 0 = not stated
    low, high = budget.get("minContribution") or None, budget.get("maxContribution") or None  # 0 = not stated
    money: dict[str, Any] = {
        "budget": total,
        "budget_raw": json.dumps(years, sort_keys=True) if years else None,
        "grant_min": Decimal(str(low)) if low is not None else None,
        "grant_max": Decimal(str(high)) if high is not None else None,
        "grant_raw": f"{low}–{high}" if low is not None or high is not None else None,
        "expected_grants": budget.get("expectedGrants") or None,
    }
    if any(money[k] is not None for k in ("budget", "grant_min", "grant_max")):
        money["currency"] = "EUR"
    return money


def flat_money(md: dict[str, Any]) -> dict[str, Any]:
    """Budget of a call for proposals, given flat as ``budget`` + ``currency`` metadata."""
    raw = first(md, "budget")
    try:
        amount = Decimal(str(raw).replace(",", "").strip()) if raw not in (None, "") else None
    except ArithmeticError:
        amount = None
    if not amount:
        return {}
    currency = (first(md, "currency") or "EUR").strip().upper()
    return {"budget": amount, "budget_raw": f"{raw} {currency}", "currency": currency}


def topic_keywords(md: dict[str, Any], identifier: str) -> list[str]:
    """Keywords and tags, without the identifiers the portal mixes into them."""
    skip = {identifier, first(md, "callIdentifier")}
    out: list[str] = []
    for key in ("keywords", "tags"):
        for word in md.get(key) or []:
            word = one_line(word)
            if word and word not in skip and word not in out:
                out.append(word)
    return out


def latest_change(md: dict[str, Any]) -> str | None:
    """The newest ``lastChangeDate`` of the topic's "latest information" notices."""
    infos = embedded_json(md, "latestInfos")
    if not isinstance(infos, list):
        return None
    dates = [str(i.get("lastChangeDate")) for i in infos if isinstance(i, dict) and i.get("lastChangeDate")]
    return max(dates) if dates else None


def portal_datetime(raw: str | int | None, *, opening: bool = False) -> datetime | None:
    """A portal date or datetime → an aware datetime in Brussels time.

    ``2025-10-02`` and ``2025-10-02T00:00:00.000+0000`` are dates: a deadline
    falls at 17:00 Brussels time that day, an opening at 00:00. A non-zero time
    with an offset is an instant; one without offset is Brussels local time.
    Epoch milliseconds (topic-details JSON) are instants. Unparseable → None.
    """
    value = portal_value(raw)
    if isinstance(value, datetime) or value is None:
        return value
    return datetime.combine(value, time(0, 0) if opening else DEADLINE_TIME, BRUSSELS)


def portal_deadline(raw: str | int) -> Deadline:
    """A portal deadline as published: a date (ending 17:00 Brussels, the portal's rule) or an instant."""
    value = portal_value(raw)
    if isinstance(value, datetime):
        return deadlines.at_time(value, BRUSSELS, str(raw))
    if value is not None:
        return deadlines.on_day(value, BRUSSELS, str(raw), ends=DEADLINE_TIME)
    return Deadline(raw=str(raw))


def portal_value(raw: str | int | None) -> date | datetime | None:
    """A portal value as it was meant: a day (a date, or a UTC midnight) or an aware instant in Brussels time."""
    if raw is None or raw == "":
        return None
    if isinstance(raw, int | float) or (isinstance(raw, str) and raw.isdigit()):
        return datetime.fromtimestamp(int(raw) / 1000, BRUSSELS)
    text = raw.strip()
    try:
        if len(text) == 10:
            return date.fromisoformat(text)
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        try:  # older topic details print "09 April 2021"
            return datetime.strptime(text, "%d %B %Y").date()
        except ValueError:
            return None
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=BRUSSELS)
    if parsed.time() == time(0, 0) and parsed.utcoffset().total_seconds() == 0:
        return parsed.date()
    return parsed.astimezone(BRUSSELS)


def needs_details(call: Call) -> bool:
    """Whether the search result lacks what a reader needs (description or deadlines)."""
    return not call.summary or not call.deadlines


def merge_details(call: Call, details: dict[str, Any]) -> Call:
    """Fill empty fields of ``call`` from a ``TopicDetails`` document; the search result wins where both speak."""
    update: dict[str, Any] = {}
    if not call.summary and details.get("description"):
        update["summary"] = html_to_text(details["description"], SUMMARY_MAX) or None
    if not call.eligibility_text and details.get("conditions"):
        update["eligibility_text"] = html_to_text(details["conditions"], ELIGIBILITY_MAX) or None
    identifier = call.call_id or call.native_id
    budget = overview_budget(details.get("budgetOverviewJSONItem") or {}, identifier)
    action = (details.get("actions") or [None])[0]
    if not call.deadlines:
        update["deadlines"] = topic_deadlines({}, budget, action)
    if call.opens_at is None:
        raw = (budget or {}).get("plannedOpeningDate") or (action or {}).get("plannedOpeningDate")
        if raw:
            update["opens_at"] = portal_datetime(raw, opening=True)
            update["opens_at_raw"] = str(raw)
    if call.budget is None and budget:
        update.update({k: v for k, v in topic_money(budget).items() if v is not None})
    if call.status is None and action:
        update["status"] = topic_status({}, action)
    if not call.keywords:
        update["keywords"] = [
            one_line(k) for k in (details.get("keywords") or []) + (details.get("tags") or []) if one_line(k)
        ]
    return call.model_copy(update=update) if update else call


def multipart_json(parts: dict[str, Any]) -> tuple[bytes, str]:
    """A ``multipart/form-data`` body whose every part is ``application/json`` (what SEDIA expects)."""
    boundary = f"grantdigest-{uuid.uuid4().hex}"
    chunks = []
    for name, value in parts.items():
        chunks.append(
            f"--{boundary}\r\n"
            f'Content-Disposition: form-data; name="{name}"; filename="blob"\r\n'
            f"Content-Type: application/json\r\n\r\n"
            f"{json.dumps(value, separators=(',', ':'))}\r\n"
        )
    chunks.append(f"--{boundary}--\r\n")
    return "".join(chunks).encode("utf-8"), f"multipart/form-data; boundary={boundary}"
