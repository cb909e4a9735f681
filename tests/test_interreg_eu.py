"""interreg.eu's call index: the key read from the page, the Algolia pages, the hits as calls, NUTS eligibility."""

from __future__ import annotations

import json
import re
from datetime import date

import frozen_clock
import pytest
from conftest import FIXTURES, drive, field_value, load_expected, start_requests
from scrapy.http import HtmlResponse, Request, TextResponse

from calls.config import load_config
from calls.regions import load_regions
from calls.schema import Call, Eligibility
from calls.store import Outcome, Store
from digest.offline import crawl_fixtures, write_config
from digest.replay import exchange
from pipelines.classify import classify
from pipelines.eligibility import nuts_verdict
from pipelines.matching import default_programme_areas, programme_named
from spiders.base import SourceFormatError
from spiders.interreg_eu import LIST_URL, InterregEuSpider, algolia_credentials, first_result, script_urls

FOLDER = FIXTURES / "interreg-eu-calls"
TREE = FOLDER / "mirror"
EXPECTED = load_expected(FOLDER / "expected.json")
APP, KEY = "2E032DRCNS", "5f0c2a9e7b1d4c6a8e3f9b2d1a7c4e60"
"""The fixture page's application id and (our own) search key."""
HUSRB, HUSKROUA, EUROMED = (f"interreg-eu-calls:callForProjectsPage_{n}" for n in (4102, 4177, 4230))


def make_spider(**options) -> InterregEuSpider:
    config = load_config()
    source = config.source("interreg-eu-calls")
    source = type(source)(**{**source.__dict__, "options": {**source.options, "hits_per_page": 2, **options}})
    spider = InterregEuSpider.for_source(source)
    spider.config = config
    return spider


def page(body: str, url: str = LIST_URL) -> HtmlResponse:
    return HtmlResponse(url=url, body=body.encode(), encoding="utf-8", request=Request(url))


@pytest.fixture(scope="module")
def parsed() -> dict[str, Call]:
    spider = make_spider()
    return {c.uid: c for c in drive(spider, start_requests(spider), TREE)}


# -- the hits, field by field ----------------------------------------------------------

CASES = [(row["uid"], field, value) for row in EXPECTED for field, value in row.items() if field != "uid"]


def test_every_open_and_forthcoming_hit_of_both_pages_is_a_call(parsed):
    assert sorted(parsed) == sorted(row["uid"] for row in EXPECTED) == [HUSRB, HUSKROUA, EUROMED]


@pytest.mark.parametrize(("uid", "field", "expected"), CASES, ids=[f"{u[-4:]}:{f}" for u, f, _ in CASES])
def test_field(parsed, uid, field, expected):
    assert field_value(parsed[uid], field) == expected


def test_the_programmes_page_is_the_url_and_interreg_eu_the_source_page(parsed):
    call = parsed[HUSRB]
    assert call.url == "https://www.hungary-serbia.eu/call-for-proposals/third-call-small-scale/"
    assert [p.url for p in call.provenance] == [
        "https://interreg.eu/calls-for-projects/interreg-ipa-hungary-serbia-third-call-for-proposals/"]
    # Without callExternalUrl the interreg.eu page is the only page, and the pipelines record it.
    assert parsed[EUROMED].url.startswith("https://interreg.eu/calls-for-projects/") and not parsed[EUROMED].provenance


def test_deadline_is_the_published_day_ending_in_the_programmes_zone(parsed):
    (deadline,) = parsed[HUSRB].deadlines
    assert (deadline.day, deadline.clock, deadline.zone) == (date(2027, 1, 29), None, "Europe/Budapest")
    assert deadline.raw == "2027-01-29T00:00:00Z"  # the index's value, kept as published
    # A programme with no source of its own in the catalogue: the source's zone.
    assert parsed[EUROMED].deadlines[0].zone == "Europe/Brussels"


def test_index_quirks_are_cleaned(parsed):
    call = parsed[HUSRB]
    assert call.eligible_nuts.count("RS123") == 1  # listed twice, once with a trailing space
    assert "Južnobačka oblast," in call.eligibility_text and "oblast ," not in call.eligibility_text
    assert parsed[EUROMED].eligible_countries == ["GR", "ES", "IT"]  # NUTS "EL" is Greece


# -- the key, read from the page at run time ---------------------------------------------


@pytest.mark.parametrize("markup", [
    f'<div id="call-search" data-algolia-app-id="{APP}" data-algolia-search-key="{KEY}"></div>',
    f'<script>window.algoliaConfig = {{"appId": "{APP}", "apiKey": "{KEY}", "index": "prod_en-us_content"}};</script>',
    f"<script>const client = algoliasearch('{APP}', '{KEY}');</script>",
    f'<link rel="preconnect" href="https://{APP.lower()}-dsn.algolia.net/1/indexes/*/queries'
    f'?x-algolia-application-id={APP}&amp;x-algolia-api-key={KEY}">',
    f'<div data-search="{{&quot;algolia&quot;:{{&quot;applicationId&quot;:&quot;{APP.lower()}&quot;,'
    f'&quot;searchOnlyApiKey&quot;:&quot;{KEY}&quot;}}}}"></div>',
], ids=["data-attributes", "inline-config", "client-call", "request-url", "escaped-json"])
def test_credentials_are_found_in_the_usual_forms(markup):
    assert algolia_credentials(f"<html><body>{markup}</body></html>") == (APP, KEY)


def test_unrelated_ids_and_keys_are_not_taken_for_algolias():
    text = '<script>var gtag = {"appId": "G4XK29QZ7M", "apiKey": "AIzaSyD-0123456789abcdefghijklmnop"};</script>'
    assert algolia_credentials(text) == (None, None)


def test_the_query_carries_the_credentials_read_from_the_page():
    spider = make_spider()
    (request,) = spider.parse(page(f'<div data-algolia-app-id="{APP}" data-algolia-search-key="{KEY}"></div>'))
    assert request.method == "POST"
    assert request.url == (f"https://2e032drcns-dsn.algolia.net/1/indexes/*/queries"
                           f"?x-algolia-application-id={APP}&x-algolia-api-key={KEY}")
    assert json.loads(request.body) == {"requests": [{
        "indexName": "prod_en-us_content", "hitsPerPage": 2, "page": 0, "query": "",
        "filters": "contentType:callForProjectsPage AND (callStatus:Open OR callStatus:Forthcoming)"}]}


def test_credentials_in_the_pages_own_script_are_found_there():
    spider = make_spider()
    html = ('<script src="https://cdn.example.net/tracker.js"></script>'
            '<script src="/dist/js/vendor.js"></script><script src="/dist/js/site.js"></script>')
    response = page(html)
    assert script_urls(response) == ["https://interreg.eu/dist/js/vendor.js", "https://interreg.eu/dist/js/site.js"]
    (vendor,) = spider.parse(response)
    assert vendor.url == "https://interreg.eu/dist/js/vendor.js"
    empty = TextResponse(url=vendor.url, body=b"/* no config */", encoding="utf-8", request=vendor)
    (site,) = vendor.callback(empty, **vendor.cb_kwargs)
    bundle = f'initSearch({{algolia: {{appId: "{APP}", searchKey: "{KEY}"}}}});'.encode()
    (query,) = site.callback(TextResponse(url=site.url, body=bundle, encoding="utf-8", request=site),
                             **site.cb_kwargs)
    assert f"x-algolia-api-key={KEY}" in query.url and query.callback == spider.parse_hits


@pytest.mark.parametrize(("markup", "missing"), [
    ("<main><h1>Calls for Projects</h1></main>", "no Algolia application id and search key found"),
    (f'<div data-algolia-app-id="{APP}"></div>', "no Algolia search key found"),
])
def test_credentials_not_found_is_a_clear_failure(markup, missing):
    with pytest.raises(SourceFormatError, match=missing + " on the call list page or its 0 script"):
        list(make_spider().parse(page(markup)))


# -- the index's answers -------------------------------------------------------------------


def algolia(body: dict | str) -> TextResponse:
    url = f"https://2e032drcns-dsn.algolia.net/1/indexes/*/queries?x-algolia-application-id={APP}"
    text = body if isinstance(body, str) else json.dumps(body)
    return TextResponse(url=url, body=text.encode(), encoding="utf-8", request=Request(url, method="POST"))


def recorded(n: int) -> dict:
    return json.loads((TREE / "2e032drcns-dsn.algolia.net" / f"queries-page{n}.json").read_text(encoding="utf-8"))


def test_pages_follow_nbhits_and_a_short_read_is_reported(caplog):
    spider = make_spider()
    first = list(spider.parse_hits(algolia(recorded(0)), APP, KEY, 0))
    assert [json.loads(r.body)["requests"][0]["page"] for r in first if isinstance(r, Request)] == [1]
    capped = make_spider(max_pages=1)
    assert not [r for r in capped.parse_hits(algolia(recorded(0)), APP, KEY, 0) if isinstance(r, Request)]
    assert "2 of 3 hits read" in caplog.text


@pytest.mark.parametrize("body", ['{"message": "Invalid Application-ID or API key", "status": 403}', "<html>"])
def test_an_unexpected_answer_is_a_format_error(body):
    with pytest.raises(SourceFormatError):
        list(make_spider().parse_hits(algolia(body), APP, KEY, 0))


def test_a_hit_without_id_costs_only_itself(caplog):
    answer = recorded(0)

    def calls() -> list:
        return [c for c in make_spider().parse_hits(algolia(answer), APP, KEY, 0) if not isinstance(c, Request)]

    whole = calls()
    answer["results"][0]["hits"][0].pop("objectID")
    kept = calls()
    assert len(kept) == len(whole) - 1 >= 1
    assert "left out: SourceFormatError" in caplog.text


def test_first_result_reads_the_recorded_envelope():
    assert first_result(algolia(recorded(1)))["nbHits"] == 3


# -- NUTS regions decide eligibility by area -------------------------------------------------


def nuts_call(*codes: str, countries: tuple[str, ...] = ()) -> Call:
    return Call(uid="t:1", source="t", native_id="1", title="Cross-border call", url="https://example.org/1",
                eligible_nuts=list(codes), eligible_countries=list(countries))


@pytest.mark.parametrize(("codes", "countries", "region", "expected"), [
    (("HU331", "RS12"), ("HU", "RS"), "vojvodina", Eligibility.ELIGIBLE),
    (("RS1",), (), "vojvodina", Eligibility.ELIGIBLE),  # the parent NUTS-1 region covers RS12
    (("RS123",), (), "vojvodina", Eligibility.ELIGIBLE),  # a district of Vojvodina
    (("RS11", "RS21"), ("RS",), "vojvodina", Eligibility.NOT_ELIGIBLE),  # other parts of Serbia
    (("HU331", "RS12"), ("HU", "RS"), "lviv", Eligibility.NOT_ELIGIBLE),
    (("HU311", "SK042"), (), "lviv", Eligibility.NOT_ELIGIBLE),
    (("UA",), (), "lviv", Eligibility.ELIGIBLE),  # the country code covers every oblast
], ids=["own", "parent", "part", "other-parts", "other-countries", "other-countries-only-nuts", "country"])
def test_nuts_codes_decide_by_area(codes, countries, region, expected):
    verdict, reason = nuts_verdict(nuts_call(*codes, countries=countries), load_regions()[region])
    assert verdict is expected
    assert reason and "%(" not in reason


def test_nuts_codes_say_nothing_where_they_cannot_be_placed():
    regions = load_regions()
    # Ukraine has no NUTS codes: listed Ukrainian codes cannot be matched to an oblast.
    assert nuts_verdict(nuts_call("HU311", "UA999"), regions["lviv"]) is None
    # The call's countries include Ukraine but its NUTS list has no Ukrainian code: silent about Ukraine.
    assert nuts_verdict(nuts_call("HU311", countries=("HU", "UA")), regions["lviv"]) is None
    assert nuts_verdict(nuts_call(), regions["vojvodina"]) is None


def verdicts(call: Call) -> dict[str, tuple[Eligibility, tuple[str, ...]]]:
    regions = load_regions()
    out = {}
    for rid in ("vojvodina", "lviv", "zakarpattia"):
        result = classify(call, regions[rid], default_programme_areas(), frozen_clock.DEFAULT_NOW)
        out[rid] = (result.eligibility, result.reasons)
    return out


def test_a_call_for_rs12_is_for_vojvodina_not_lviv(parsed):
    found = verdicts(parsed[HUSRB])
    assert found["vojvodina"][0] is Eligibility.ELIGIBLE
    assert found["vojvodina"][1][0] == "call lists RS12 (Autonomous Province of Vojvodina) among eligible areas"
    assert found["lviv"][0] is Eligibility.NOT_ELIGIBLE
    assert found["lviv"][1][0] == "call is open to applicants from HU, RS, not Ukraine"


def test_where_the_list_is_silent_on_ukraine_the_programme_area_decides(parsed):
    found = verdicts(parsed[HUSKROUA])
    assert found["zakarpattia"][0] is Eligibility.ELIGIBLE
    assert found["lviv"][0] is Eligibility.NOT_ELIGIBLE and "UA-46" in found["lviv"][1][0]
    assert found["vojvodina"][0] is Eligibility.NOT_ELIGIBLE


# -- through the real engine: crawl, store, classify ----------------------------------------------

CONFIG = ("[sources.interreg-eu-calls]\ntimeout = 3\nretries = 0\n"
          "[sources.interreg-eu-calls.options]\nhits_per_page = 2\n")


@pytest.mark.crawl
def test_crawl_store_and_classify(replay, tmp_path):
    server = replay(TREE)
    config = write_config(tmp_path, extra=CONFIG)
    result = crawl_fixtures(config, server.url, "interreg-eu-calls")
    assert result.returncode == 0, result.log[-3000:]
    store = Store.open(load_config(config).database_url)
    assert sorted(c.uid for c in store.iter_calls()) == [HUSRB, HUSKROUA, EUROMED]
    assert store.last_runs()["interreg-eu-calls"].outcome == Outcome.OK
    bodies = [json.loads(r.body)["requests"][0]["page"] for r in server.received if r.method == "POST"]
    assert sorted(bodies) == [0, 1]
    found = {c.region: c for c in store.classifications()[HUSRB]}
    assert found["vojvodina"].eligibility == "eligible" and "RS12" in found["vojvodina"].reasons[0]
    assert found["lviv"].eligibility == "not-eligible"


@pytest.mark.crawl
def test_a_page_without_the_key_fails_the_run_and_says_why(replay, tmp_path):
    server = replay(exchanges=[exchange(LIST_URL, "<html><main><h1>Calls for Projects</h1></main></html>",
                                        headers={"Content-Type": "text/html; charset=utf-8"})])
    config = write_config(tmp_path, extra=CONFIG)
    result = crawl_fixtures(config, server.url, "interreg-eu-calls")
    assert result.returncode == 0, result.log[-3000:]
    run = Store.open(load_config(config).database_url).last_runs()["interreg-eu-calls"]
    assert run.outcome == Outcome.FAILED and run.items == 0
    assert run.reason.startswith("structure changed: no Algolia application id and search key found")
    assert "no Algolia application id and search key found on the call list page" in result.log
    assert not [r for r in server.received if r.method == "POST"]


@pytest.mark.crawl
def test_a_rotated_key_refused_by_algolia_fails_the_run(replay, tmp_path):
    listing = TREE / "interreg.eu" / "calls-for-projects.html"
    query = (f"https://2e032drcns-dsn.algolia.net/1/indexes/*/queries"
             f"?x-algolia-application-id={APP}&x-algolia-api-key={KEY}")
    server = replay(exchanges=[
        exchange(LIST_URL, listing.read_bytes(), headers={"Content-Type": "text/html; charset=utf-8"}),
        exchange(query, '{"message":"Invalid Application-ID or API key","status":403}', method="POST", status=403,
                 headers={"Content-Type": "application/json"}),
    ])
    config = write_config(tmp_path, extra=CONFIG)
    result = crawl_fixtures(config, server.url, "interreg-eu-calls")
    assert result.returncode == 0, result.log[-3000:]
    run = Store.open(load_config(config).database_url).last_runs()["interreg-eu-calls"]
    assert run.outcome == Outcome.FAILED and run.items == 0
    assert "Algolia refused the query with the key read from the page (HTTP 403)" in result.log


# -- the real captured material (../shared/samples) ------------------------------------------------


@pytest.mark.samples
def test_real_detail_page_names_a_programme_we_know(samples):
    (text_file,) = (samples / "interreg-eu-calls").glob("*huskroua*_excerpt.txt")
    text = text_file.read_text(encoding="utf-8")
    programme = re.search(r"\n\s*Programme\s*\n\s*(.+)\n", text).group(1).strip()
    assert programme == "NEXT Hungary - Slovakia - Romania - Ukraine"
    # The name interreg.eu gives the programme picks its registry entry, and so its zone.
    assert programme_named(programme) == "interreg-next-huskroua"
    assert str(make_spider().programme_zone("interreg-next-huskroua")) == "Europe/Budapest"
    # The page shows the deadline as a day without a time, as the index stores it.
    assert re.search(r"Deadline for application\s+15 February 2026\b", text)


@pytest.mark.samples
def test_real_index_responses_when_recorded(samples):
    recorded_answers = sorted((samples / "interreg-eu-calls").glob("*.json"))
    if not recorded_answers:
        pytest.skip("no recorded Algolia answer in ../shared/samples/interreg-eu-calls yet")
    for path in recorded_answers:
        result = first_result(algolia(path.read_text(encoding="utf-8")))
        spider = make_spider()
        for hit in result["hits"]:
            call = spider.call_from_hit(hit)
            assert call.url.startswith(("https://", "http://")) and call.title
            assert call.status is not None, hit.get("callStatus")
            if hit.get("callDeadlineDate"):
                assert call.deadlines[0].day.isoformat() == hit["callDeadlineDate"][:10]
            assert call.eligible_nuts == list(dict.fromkeys(
                c.strip().upper() for c in hit.get("callEligibleRegionNuts") or []))
