"""interreg.eu's call index: every open and forthcoming call of every Interreg programme (captures/09-interreg-eu.md).

``https://interreg.eu/calls-for-projects/`` is an Algolia search widget fed by keep.eu; the JSON behind it is the
source::

    POST https://<app id lowercased>-dsn.algolia.net/1/indexes/*/queries
         ?x-algolia-application-id=<APP ID>&x-algolia-api-key=<public search key>
    {"requests": [{"indexName": "prod_en-us_content", "hitsPerPage": 500, "page": 0, "query": "",
                   "filters": "contentType:callForProjectsPage AND (callStatus:Open OR callStatus:Forthcoming)"}]}

The search key is a public, search-only frontend key that rotates, so it is never stored here: each run fetches
the list page and reads the application id and the key from what the page gives its widget (the note: "read the
current one from the ``*.algolia.net`` request the page makes"). How the page's markup carries them was never
seen, so :func:`algolia_credentials` looks for the forms a page hands Algolia credentials over in — a
``*.algolia.net`` URL with ``x-algolia-*`` parameters, ``algoliasearch("APP", "KEY")``, or named values (``appId``,
``apiKey``, ``data-algolia-search-key`` …) near the word "algolia" — first in the page, then in its own scripts.
When they are not found the run fails with a :class:`SourceFormatError` naming what is missing; never an empty
success. Pages of hits follow ``nbHits`` (the only count the recorded response shows); fewer hits than ``nbHits``
after the last page is logged as truncation.

A hit (real shape in the capture note) gives: ``objectID`` (the id), ``title``, ``callStatus`` (Open /
Forthcoming), ``callOpenDate`` and ``callDeadlineDate`` (dates at UTC midnight: the day is the publisher's, the
time of day is only on the programme's page, so a deadline is that day, ending in the programme's zone when the
programme is known, else the source's), ``callEligibleCountryNuts`` (NUTS-0: ``EL`` is Greece) and
``callEligibleRegionNuts`` (NUTS 1–3 mixed, with duplicates) → ``eligible_nuts``, ``callExternalUrl`` (the
programme's own call page: the call's ``url``; interreg.eu's page, ``contentUrl``, is kept as the source page in
``provenance``), ``associatedProgrammes``, ``callThemes``, ``targetAudience``.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterator
from datetime import date, datetime, time
from typing import Any
from urllib.parse import urlencode, urljoin, urlsplit
from zoneinfo import ZoneInfo

import scrapy
from scrapy.http import Response

from calls import deadlines
from calls.schema import SUMMARY_MAX, Call, Deadline, Provenance, Status
from calls.text import html_to_text, one_line
from calls.urls import safe_url
from pipelines.matching import programme_named
from spiders.base import SourceFormatError, SourceSpider, json_body

LIST_URL = "https://interreg.eu/calls-for-projects/"
SITE = "https://interreg.eu"
QUERY_URL = "https://{host}-dsn.algolia.net/1/indexes/*/queries"
INDEX = "prod_en-us_content"
FILTERS = "contentType:callForProjectsPage AND (callStatus:Open OR callStatus:Forthcoming)"
ELIGIBILITY_MAX = 4000

STATUSES = {"open": Status.OPEN, "forthcoming": Status.FORTHCOMING, "closed": Status.CLOSED}
NUTS_TO_ISO = {"EL": "GR", "UK": "GB"}
"""NUTS country codes that differ from ISO 3166-1 alpha-2."""
AUDIENCES = {
    "Local public authority": ("local-government",),
    "Regional public authority": ("regional-government",),
    "National public authority": ("public-body",),
    "Sectoral agency": ("public-body",),
    "Interest groups, including NGOs": ("ngo",),
    "Higher education and research organisations": ("university", "research"),
    "Education/training centre and school": ("school",),
}
"""``targetAudience`` labels seen in the recorded hit → the controlled applicant types; others have no counterpart."""

_APP_ID = re.compile(r"^[A-Z0-9]{8,12}$")
_KEY = re.compile(r"^[A-Za-z0-9+/=_-]{24,}$")
_URL_APP = re.compile(r"x-algolia-application-id=([A-Za-z0-9]+)", re.IGNORECASE)
_URL_KEY = re.compile(r"x-algolia-api-key=([A-Za-z0-9+/=_%-]+)", re.IGNORECASE)
_HOST_APP = re.compile(r"\b([A-Za-z0-9]{8,12})(?:-dsn)?\.algolia\.net\b", re.IGNORECASE)
_CLIENT = re.compile(r"algoliasearch\w*\(\s*[\"'`]([A-Za-z0-9]+)[\"'`]\s*,\s*[\"'`]([A-Za-z0-9+/=_-]+)[\"'`]",
                     re.IGNORECASE)
_VALUE = r"""[\w.-]*{name}["']?\s*[:=]\s*["'`]([^"'`\s]+)["'`]"""
_NAMED_APP = re.compile(_VALUE.format(name=r"app(?:lication)?[-_]?id"), re.IGNORECASE)
_NAMED_KEY = re.compile(_VALUE.format(name=r"(?:search[-_]?(?:only[-_]?)?(?:api[-_]?)?key|api[-_]?key)"),
                        re.IGNORECASE)
_ALGOLIA = re.compile(r"algolia", re.IGNORECASE)
_NEAR = 600
"""Characters around a mention of "algolia" searched for named values (a nested config object)."""
_SCRIPT_SRC = re.compile(r"<script\b[^>]*\bsrc\s*=\s*[\"']([^\"']+)[\"']", re.IGNORECASE)


def algolia_credentials(text: str) -> tuple[str | None, str | None]:
    """(application id, search key) a page or script hands its Algolia widget, each None when not found."""
    text = html.unescape(text)
    app = _first_valid(_APP_ID, (m.upper() for m in _URL_APP.findall(text)))
    key = _first_valid(_KEY, (m.replace("%3D", "=") for m in _URL_KEY.findall(text)))
    for found_app, found_key in _CLIENT.findall(text):
        app = app or _first_valid(_APP_ID, [found_app.upper()])
        key = key or _first_valid(_KEY, [found_key])
    for mention in _ALGOLIA.finditer(text):
        near = text[max(mention.start() - _NEAR, 0):mention.end() + _NEAR]
        app = app or _first_valid(_APP_ID, (m.upper() for m in _NAMED_APP.findall(near)))
        key = key or _first_valid(_KEY, _NAMED_KEY.findall(near))
    if app is None and key is not None:
        app = _first_valid(_APP_ID, (m.upper() for m in _HOST_APP.findall(text)))
    return app, key


def _first_valid(pattern: re.Pattern, candidates) -> str | None:
    return next((c for c in candidates if pattern.match(c)), None)


def script_urls(response: Response) -> list[str]:
    """The page's own scripts (same site), in page order: where a widget's configuration may live instead."""
    site = urlsplit(response.url).hostname or ""
    site = site.removeprefix("www.")
    out: list[str] = []
    for src in _SCRIPT_SRC.findall(response.text):
        url = urljoin(response.url, html.unescape(src))
        host = urlsplit(url).hostname or ""
        if url.startswith(("http://", "https://")) and (host == site or host.endswith("." + site)) and url not in out:
            out.append(url)
    return out


class InterregEuSpider(SourceSpider):
    """Open and forthcoming calls of all Interreg programmes, from interreg.eu's Algolia index."""

    name = "interreg-eu-calls"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._seen: set[str] = set()
        self._zones: dict[str, ZoneInfo] = {}
        self._total = self._pages = self._done = 0

    async def start(self):
        yield self.request(str(self.options.get("url", LIST_URL)), callback=self.parse)

    @property
    def hits_per_page(self) -> int:
        return max(int(self.options.get("hits_per_page", 500)), 1)

    @property
    def max_pages(self) -> int:
        return max(int(self.options.get("max_pages", 10)), 1)

    @property
    def max_scripts(self) -> int:
        return max(int(self.options.get("max_scripts", 8)), 0)

    # -- the key, read from the page -------------------------------------------

    def parse(self, response: Response) -> Iterator[scrapy.Request]:
        """The list page: its Algolia credentials, else its scripts are searched one by one."""
        app, key = algolia_credentials(response.text)
        scripts = script_urls(response)[: self.max_scripts]
        yield from self.next_step(response.url, app, key, scripts, searched=0)

    def parse_script(self, response: Response, page_url: str, app: str | None, key: str | None,
                     scripts: list[str], searched: int) -> Iterator[scrapy.Request]:
        found_app, found_key = algolia_credentials(response.text)
        yield from self.next_step(page_url, app or found_app, key or found_key, scripts, searched + 1)

    def script_failed(self, failure) -> Iterator[scrapy.Request]:
        kwargs = failure.request.cb_kwargs
        self.logger.warning("script %s unavailable (%s)", failure.request.url, failure.value)
        yield from self.next_step(kwargs["page_url"], kwargs["app"], kwargs["key"], kwargs["scripts"],
                                  kwargs["searched"] + 1)

    def next_step(self, page_url: str, app: str | None, key: str | None, scripts: list[str],
                  searched: int) -> Iterator[scrapy.Request]:
        if app and key:
            self.logger.info("Algolia application %s, search key read from %s", app, page_url)
            yield self.query_request(app, key, 0)
            return
        if scripts:
            kwargs = {"page_url": page_url, "app": app, "key": key, "scripts": scripts[1:], "searched": searched}
            yield self.request(scripts[0], callback=self.parse_script, errback=self.script_failed,
                               cb_kwargs=kwargs, dont_filter=True)
            return
        missing = " and ".join(what for what, value in (("application id", app), ("search key", key)) if not value)
        raise SourceFormatError(
            f"no Algolia {missing} found on the call list page or its {searched} script(s)", page_url)

    # -- the index -------------------------------------------------------------

    def query_request(self, app: str, key: str, page: int) -> scrapy.Request:
        url = QUERY_URL.format(host=app.lower()) + "?" + urlencode(
            {"x-algolia-application-id": app, "x-algolia-api-key": key})
        body = {"requests": [{"indexName": INDEX, "filters": FILTERS, "hitsPerPage": self.hits_per_page,
                              "page": page, "query": ""}]}
        return self.request(url, method="POST", body=json.dumps(body, separators=(",", ":")),
                            headers={"Content-Type": "application/json", "Accept": "application/json"},
                            callback=self.parse_hits, errback=self.query_failed,
                            cb_kwargs={"app": app, "key": key, "page": page}, dont_filter=True)

    def query_failed(self, failure) -> None:
        response = getattr(failure.value, "response", None)
        status = f"HTTP {response.status}" if response is not None else str(failure.value)
        self.logger.error("Algolia refused the query with the key read from the page (%s): the key or the index "
                          "changed; see captures/09-interreg-eu.md", status)

    def new_hit_call(self, hit: Any, url: str) -> Call | None:
        """The call of a hit not seen before (SourceFormatError for a malformed hit)."""
        check_hit(hit, url)
        if hit["objectID"] in self._seen:
            return None
        self._seen.add(hit["objectID"])
        return self.call_from_hit(hit)

    def parse_hits(self, response: Response, app: str, key: str, page: int) -> Iterator[Call | scrapy.Request]:
        result = first_result(response)
        yield from self.each_record(result["hits"], lambda hit: self.new_hit_call(hit, response.url), response.url)
        if page == 0:
            self._total = result["nbHits"]
            self._pages = min(-(-self._total // self.hits_per_page), self.max_pages)
            for next_page in range(1, self._pages):
                yield self.query_request(app, key, next_page)
        self._done += 1
        if self._done >= self._pages and len(self._seen) < self._total:
            # Fewer hits than the index counts: max_pages bit, or the index stops paging (Algolia's limit).
            self.logger.warning("interreg.eu index: %d of %d hits read", len(self._seen), self._total)
            self.count("interreg_eu/truncated")

    # -- one hit ---------------------------------------------------------------

    def call_from_hit(self, hit: dict[str, Any]) -> Call:
        page = SITE + hit["contentUrl"] if str(hit.get("contentUrl") or "").startswith("/") else None
        external = safe_url(hit.get("callExternalUrl"))
        url = external or page or LIST_URL
        programmes = [one_line(p) for p in hit.get("associatedProgrammes") or [] if one_line(p)]
        programme_id = programme_named(" ".join(programmes)) if programmes else None
        where = self.programme_zone(programme_id)
        fields: dict[str, Any] = {
            "title": one_line(hit.get("title") or hit.get("nodeName")),
            "url": url,
            "status": STATUSES.get(str(hit.get("callStatus") or "").strip().lower()),
            "kind": "grant",
            "programme": ", ".join(programmes) or None,
            "eligible_countries": countries(hit.get("callEligibleCountryNuts")),
            "eligible_nuts": nuts_codes(hit.get("callEligibleRegionNuts")),
            "eligibility_text": region_names(hit.get("callEligibleRegionNames")) or None,
            "applicant_types": applicant_types(hit.get("targetAudience")),
            "keywords": list(dict.fromkeys(one_line(t) for t in hit.get("callThemes") or hit.get("themes") or []
                                           if one_line(t))),
            "summary": html_to_text(hit.get("description") or hit.get("teaser"), SUMMARY_MAX) or None,
            **dated("published_at", hit.get("createdDate")),
            **dated("updated_at", hit.get("updatedDate")),
        }
        if programme_id:
            fields["programme_id"] = programme_id
        if opened := day_of(hit.get("callOpenDate")):
            fields["opens_at"] = datetime.combine(opened, time(0), where)
            fields["opens_at_raw"] = hit["callOpenDate"]
        if raw := hit.get("callDeadlineDate"):
            day = day_of(raw)
            fields["deadlines"] = [deadlines.on_day(day, where, raw) if day else Deadline(raw=str(raw))]
        if external and page:
            # The call's page is the programme's; interreg.eu's is where this source saw it.
            fields["provenance"] = [Provenance(source=self.name, native_id=hit["objectID"], url=page)]
        return self.make_call(hit["objectID"], **fields)

    def programme_zone(self, programme_id: str | None) -> ZoneInfo:
        """The zone of the programme's own source in the catalogue, else this source's."""
        if programme_id and programme_id not in self._zones and self.config is not None:
            for source in self.config.sources.values():
                if source.programme_id == programme_id and source.slug != self.name:
                    self._zones[programme_id] = source.zone
                    break
        return self._zones.get(programme_id or "", self.source.zone)


# -- the index's shapes -------------------------------------------------------------


def first_result(response: Response) -> dict[str, Any]:
    """``results[0]`` of a multi-query answer, checked: ``hits`` a list and ``nbHits`` a count."""
    answer = json_body(response, "Algolia")
    results = answer.get("results") if isinstance(answer, dict) else None
    result = results[0] if isinstance(results, list) and results else None
    if not isinstance(result, dict) or not isinstance(result.get("hits"), list) or not isinstance(
            result.get("nbHits"), int):
        raise SourceFormatError("Algolia answer lacks results[0].hits/nbHits", response.url, str(answer)[:200])
    return result


def check_hit(hit: Any, url: str) -> None:
    """A hit must carry an ``objectID`` and a title; else the index changed."""
    if not isinstance(hit, dict) or not hit.get("objectID") or not (hit.get("title") or hit.get("nodeName")):
        raise SourceFormatError("Algolia hit lacks objectID/title", url, hit)


def day_of(raw: Any) -> date | None:
    """``2026-09-30T00:00:00Z`` → the day it names (the index stores days at UTC midnight); None if unparseable."""
    try:
        return datetime.fromisoformat(str(raw).strip().replace("Z", "+00:00")).date() if raw else None
    except ValueError:
        return None


def dated(field: str, raw: Any) -> dict[str, Any]:
    """``{field: instant, field_raw: raw}`` for an ISO 8601 instant with offset or ``Z``; nothing otherwise."""
    try:
        at = datetime.fromisoformat(str(raw).strip().replace("Z", "+00:00")) if raw else None
    except ValueError:
        return {}
    return {field: at, f"{field}_raw": raw} if at is not None and at.utcoffset() is not None else {}


def countries(nuts: Any) -> list[str]:
    """NUTS-0 country codes → ISO 3166-1 alpha-2 (``EL`` → ``GR``), in order, once each."""
    codes = (str(c).strip().upper() for c in nuts or [])
    return list(dict.fromkeys(NUTS_TO_ISO.get(c, c) for c in codes if len(c) == 2 and c.isalpha()))


def nuts_codes(nuts: Any) -> list[str]:
    """Eligible NUTS codes as listed (levels 1–3 mixed), trimmed, upper case, once each."""
    return list(dict.fromkeys(c for c in (str(x).strip().upper() for x in nuts or []) if c.isalnum()))


def region_names(names: Any) -> str:
    """The eligible regions' names as one line of eligibility text (the index repeats names, with stray spaces)."""
    unique = list(dict.fromkeys(one_line(n) for n in names or [] if one_line(n)))
    text = "Eligible regions: " + ", ".join(unique) + "." if unique else ""
    return text if len(text) <= ELIGIBILITY_MAX else text[: text.rfind(", ", 0, ELIGIBILITY_MAX - 1)] + ", …"


def applicant_types(audience: Any) -> list[str]:
    out: dict[str, None] = {}
    for label in audience or []:
        out.update(dict.fromkeys(AUDIENCES.get(one_line(label), ())))
    return list(out)
