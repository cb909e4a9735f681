"""The grants-gov spider: parsing field by field, the foreign filter, crawling through the real engine, failures."""

from __future__ import annotations

import json
from datetime import date, datetime, time
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner
from conftest import FIXTURES, drive, load_expected
from scrapy.http import Request, TextResponse

from calls.config import load_config
from calls.store import Outcome, Store
from digest.cli import cli
from digest.offline import crawl_fixtures, write_config
from digest.replay import exchange
from spiders.base import SourceFormatError
from spiders.grants_gov import (
    DETAIL_URL,
    SEARCH_URL,
    GrantsGovSpider,
    amount,
    api_datetime,
    applicant_types,
    due_deadline,
    foreign_eligible,
    is_embassy,
    parse_envelope,
    search_body,
    stated_countries,
    stated_time,
    us_date,
)

TREE = FIXTURES / "grants-gov" / "mirror"
API = TREE / "api.grants.gov"
EXPECTED = load_expected(FIXTURES / "grants-gov" / "expected.json")
NEW_YORK = ZoneInfo("America/New_York")
ALL_HITS = ["364210", "364377", "364501", "364620", "364733", "364802", "364955"]


def make_spider(**options) -> GrantsGovSpider:
    source = load_config().source("grants-gov")
    source = type(source)(**{**source.__dict__, "options": {**source.options, "rows": 3, **options}})
    return GrantsGovSpider.for_source(source)


def crawl(spider: GrantsGovSpider) -> list:
    return drive(spider, [spider.search_request(0)], TREE)


def api_response(url: str, body: bytes | str, request_body: dict | None = None) -> TextResponse:
    request = Request(url, method="POST", body=json.dumps(request_body or {}))
    return TextResponse(url=url, body=body if isinstance(body, bytes) else body.encode(), encoding="utf-8",
                        request=request)


def page_json(name: str) -> dict:
    return json.loads((API / name).read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def parsed() -> dict:
    return {item.uid: item for item in crawl(make_spider())}


# -- field by field on the fixture tree ---------------------------------------------


def test_only_calls_open_to_applicants_abroad(parsed):
    assert sorted(parsed) == sorted(e["uid"] for e in EXPECTED)


FIELD_CASES = [(e["uid"], field, value) for e in EXPECTED for field, value in e.items() if field != "uid"]


@pytest.mark.parametrize(("uid", "field", "expected"), FIELD_CASES, ids=[f"{u}:{f}" for u, f, _ in FIELD_CASES])
def test_field(parsed, uid, field, expected):
    assert parsed[uid].model_dump(mode="json")[field] == expected


def test_every_hit_without_the_foreign_filter():
    calls = crawl(make_spider(foreign_only=False))
    assert sorted(c.native_id for c in calls) == ALL_HITS
    assert all(c.source == "grants-gov" and c.uid == f"grants-gov:{c.native_id}" for c in calls)


def test_html_entities_in_titles_are_unescaped(parsed):
    assert parsed["grants-gov:364210"].title.endswith("Small Grants – Community Resilience in Western Ukraine")
    assert parsed["grants-gov:364620"].title == "Media Literacy for Local Communities in Vojvodina & Southern Serbia"
    assert parsed["grants-gov:364733"].title == "Strengthening Municipal Accountability in Ukraine's Hromadas"


def test_summary_is_sanitised_plain_text(parsed):
    summary = parsed["grants-gov:364210"].summary
    assert "Civic education & volunteer networks" in summary
    assert "<" not in summary and "alert" not in summary


def test_deadline_time_stated_by_the_api_is_kept(parsed):
    deadline = parsed["grants-gov:364210"].deadlines[0]
    assert deadline.at == datetime(2027, 1, 15, 17, 0, tzinfo=NEW_YORK)
    assert deadline.raw == "Jan 15, 2027 05:00:00 PM EST"


def test_deadline_time_written_in_the_description_wins_over_end_of_day(parsed):
    deadline = parsed["grants-gov:364733"].deadlines[0]
    assert deadline.at == datetime(2027, 2, 26, 17, 0, tzinfo=NEW_YORK)
    assert "5:00 p.m. Eastern Time" in deadline.raw


def test_close_date_without_time_is_end_of_day_in_new_york(parsed):
    deadline = parsed["grants-gov:364501"].deadlines[0]
    assert deadline.at == datetime(2027, 2, 1, 23, 59, 59, tzinfo=NEW_YORK)
    assert deadline.raw == "02/01/2027"


def test_forecast_has_an_estimated_deadline_after_dst_starts(parsed):
    call = parsed["grants-gov:364620"]
    assert call.status.value == "forthcoming"
    assert [(d.label, d.at.utcoffset().total_seconds() / 3600) for d in call.deadlines] == [("estimated", -4)]


def test_an_embassy_notice_is_read_as_the_mission_publishes_it(parsed):
    """Embassy Kyiv numbers its notices "PAS UKRAINE <year> <n>" (captures/22): kept verbatim, agency from the code."""
    call = parsed["grants-gov:364955"]
    assert (call.call_id, call.funder, call.status.value) == ("PAS UKRAINE 2027 002", "U.S. Mission to Ukraine", "open")
    # A rolling annual program statement: no closing date in the hit, no due date in the details.
    assert call.deadlines == []
    assert call.eligible_countries == ["UA"]


def test_the_catalogue_queries_the_two_missions_recorded_in_the_capture():
    options = load_config().source("grants-gov").options
    assert (options["agencies"], options["oppStatuses"]) == ("DOS-UKR|DOS-SRB", "forecasted|posted")


def test_failed_details_keep_the_search_hit(parsed):
    call = parsed["grants-gov:364501"]
    assert (call.call_id, call.funder, call.status.value) == ("PDS-BEL-FY27-002", "U.S. Mission to Serbia", "open")
    assert call.summary is None and call.grant_max is None


def test_details_with_an_api_error_keep_the_search_hit():
    spider = make_spider()
    hit = page_json("search2-page1.json")["data"]["oppHits"][0]
    response = api_response(DETAIL_URL, '{"errorcode": 1, "msg": "Opportunity not found", "data": {}}')
    calls = list(spider.parse_detail(response, hit))
    assert [c.uid for c in calls] == ["grants-gov:364210"]
    assert calls[0].summary is None


# -- requests and pagination ---------------------------------------------------------


def test_search_body_takes_the_filters_from_the_options():
    body = search_body({"agencies": "DOS-UKR|DOS-SRB", "keyword": "media"}, start=100, rows=50)
    assert body == {
        "rows": 50, "startRecordNum": 100, "keyword": "media", "oppStatuses": "forecasted|posted",
        "agencies": "DOS-UKR|DOS-SRB", "eligibilities": "", "fundingCategories": "", "aln": "",
    }


def test_search_request_is_a_json_post():
    request = make_spider(eligibilities="25|99").search_request(2)
    assert (request.url, request.method) == (SEARCH_URL, "POST")
    assert request.headers["Content-Type"] == b"application/json"
    body = json.loads(request.body)
    assert (body["startRecordNum"], body["rows"], body["eligibilities"]) == (6, 3, "25|99")
    assert body["agencies"] == "DOS-UKR|DOS-SRB"  # the catalogue's default


def test_detail_request_posts_the_numeric_id():
    hit = page_json("search2-page1.json")["data"]["oppHits"][0]
    request = make_spider().detail_request(hit)
    assert (request.url, request.method, request.body) == (DETAIL_URL, "POST", b'{"opportunityId": 364210}')


def search_requests(spider: GrantsGovSpider, page: dict) -> list[int]:
    response = api_response(SEARCH_URL, json.dumps(page))
    return [json.loads(r.body)["startRecordNum"] for r in spider.parse(response, page=0) if r.url == SEARCH_URL]


def test_pagination_follows_hit_count():
    assert search_requests(make_spider(), page_json("search2-page1.json")) == [3, 6]


def test_pagination_is_capped_by_max_pages():
    page = page_json("search2-page1.json")
    page["data"]["hitCount"] = 100
    assert search_requests(make_spider(max_pages=4), page) == [3, 6, 9]
    assert search_requests(make_spider(max_pages=1), page) == []


def test_a_hit_seen_on_an_earlier_page_is_fetched_once():
    spider = make_spider()
    response = api_response(SEARCH_URL, (API / "search2-page1.json").read_bytes())
    first = list(spider.parse(response, page=1))
    again = list(spider.parse(response, page=1))
    assert len(first) == 3 and again == []


# -- the API's formats ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Aug 03, 2026 12:00:00 AM EDT", datetime(2026, 8, 3, 0, 0, tzinfo=NEW_YORK)),
        ("Jul 14, 2026 02:12:16 PM EDT", datetime(2026, 7, 14, 14, 12, 16, tzinfo=NEW_YORK)),
        ("Mar 03, 2026 12:00:00 AM EST", datetime(2026, 3, 3, 0, 0, tzinfo=NEW_YORK)),
        ("Aug 03, 2026 12:00:00 AM CEST", None),
        ("2026-08-03-00-00-00", None),
        ("", None),
        (None, None),
    ],
)
def test_api_datetime(raw, expected):
    assert api_datetime(raw) == expected


def test_api_datetime_in_the_repeated_hour_follows_the_zone_name():
    assert api_datetime("Nov 01, 2026 01:30:00 AM EDT").utcoffset().total_seconds() == -4 * 3600
    assert api_datetime("Nov 01, 2026 01:30:00 AM EST").utcoffset().total_seconds() == -5 * 3600


def test_midnight_due_date_is_a_date_that_lasts_the_whole_day():
    whole_day = due_deadline("Aug 03, 2026 12:00:00 AM EDT")
    assert (whole_day.day, whole_day.clock, whole_day.zone) == (date(2026, 8, 3), None, "America/New_York")
    assert whole_day.at == datetime(2026, 8, 3, 23, 59, 59, tzinfo=NEW_YORK)
    stated = due_deadline("Aug 03, 2026 12:00:00 AM EDT", time(17, 0))
    assert (stated.day, stated.clock, stated.at) == (
        date(2026, 8, 3), time(17, 0), datetime(2026, 8, 3, 17, 0, tzinfo=NEW_YORK))
    timed = due_deadline("Aug 03, 2026 03:00:00 PM EDT", time(17, 0))
    assert (timed.clock, timed.at) == (time(15, 0), datetime(2026, 8, 3, 15, 0, tzinfo=NEW_YORK))
    assert due_deadline("soon").at is None


@pytest.mark.parametrize(("raw", "expected"), [("08/03/2026", date(2026, 8, 3)), ("", None), ("2026-08-03", None)])
def test_us_date(raw, expected):
    assert us_date(raw) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Electronically submitted applications must be submitted no later than 11:59 p.m., ET, on the listed date.",
         time(23, 59)),
        ("Applications are due no later than 5:00 p.m. Eastern Time.", time(17, 0)),
        ("Due at 12 PM EST.", time(12, 0)),
        ("Applications must be received by 17:00 Kyiv time.", None),
        ("", None),
        (None, None),
    ],
)
def test_stated_time(text, expected):
    assert stated_time(text) == expected


@pytest.mark.parametrize(("raw", "expected"), [("1200000", Decimal(1200000)), ("1,200,000", Decimal(1200000)),
                                               ("0", None), ("", None), ("none", None), ("NaN", None), (None, None)])
def test_amount(raw, expected):
    assert amount(raw) == expected


def test_applicant_types_map_to_the_controlled_list():
    assert applicant_types([{"id": "12"}, {"id": "13"}, {"id": "02"}, {"id": "07"}, {"id": "25"}]) == [
        "ngo", "local-government"]
    assert {"ngo", "local-government", "regional-government", "university", "sme", "individual"} <= set(
        applicant_types([{"id": "99"}]))
    assert applicant_types(None) == []


def test_countries_only_where_eligibility_names_them():
    text = "Organizations registered in Ukraine may apply. Organizations registered in Moldova are not eligible."
    assert stated_countries(text) == ["UA"]
    assert stated_countries("Nonprofits in the United States.") == []


# -- the foreign filter --------------------------------------------------------------


def detail_with(eligibility: str = "", types: tuple[str, ...] = ()) -> dict:
    return {"synopsis": {"applicantEligibilityDesc": eligibility, "applicantTypes": [{"id": t} for t in types]}}


DOMESTIC = {"agencyCode": "HHS-ACL", "agency": "Administration for Community Living"}


@pytest.mark.parametrize(
    ("hit", "detail", "expected"),
    [
        ({"agencyCode": "DOS-UKR", "agency": "U.S. Mission to Ukraine"},
         detail_with("Foreign entities are not eligible."), True),
        ({"agencyCode": "DOS-SRB", "agency": "U.S. Embassy Belgrade"}, detail_with(), True),
        (DOMESTIC, detail_with("Foreign entities are not eligible to compete for awards.", ("99",)), False),
        (DOMESTIC, detail_with("U.S.-based and foreign-based non-profit organizations are eligible."), True),
        (DOMESTIC, detail_with("Public international organizations may apply."), True),
        (DOMESTIC, detail_with("Civil society organizations registered in Serbia may apply."), True),
        (DOMESTIC, detail_with("Faith-based organizations may apply.", ("25",)), True),
        (DOMESTIC, detail_with("Accredited US universities only.", ("06", "20")), False),
        (DOMESTIC, {}, False),
    ],
)
def test_foreign_eligible(hit, detail, expected):
    assert foreign_eligible(hit, detail) is expected


def test_embassies_are_dos_missions_not_washington_bureaus():
    assert is_embassy("DOS-ARE", "U.S. Mission to United Arab Emirates")
    assert not is_embassy("DOS-DRL", "Bureau of Democracy, Human Rights and Labor")
    assert not is_embassy("HHS-ACL", "Mission to Mars Programme Office")


# -- a broken envelope ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "match"),
    [
        ("<html>Service unavailable</html>", "invalid JSON"),
        ('{"errorcode": 0, "msg": "Webservice Succeeds"}', "lacks data"),
        ('{"errorcode": 2, "msg": "Invalid search parameters", "data": {}}', "error 2: Invalid search parameters"),
    ],
)
def test_broken_envelope_is_a_format_error(body, match):
    with pytest.raises(SourceFormatError, match=match):
        parse_envelope(api_response(SEARCH_URL, body))


def test_search_data_without_hits_is_a_format_error():
    response = api_response(SEARCH_URL, '{"errorcode": 0, "data": {"hitCount": 3}}')
    with pytest.raises(SourceFormatError, match="oppHits"):
        list(make_spider().parse(response))


def test_a_hit_without_id_costs_only_itself(caplog):
    page = page_json("search2-page1.json")
    whole = [r for r in make_spider().parse(api_response(SEARCH_URL, json.dumps(page))) if r.url == DETAIL_URL]
    del page["data"]["oppHits"][1]["id"]
    kept = [r for r in make_spider().parse(api_response(SEARCH_URL, json.dumps(page))) if r.url == DETAIL_URL]
    assert len(kept) == len(whole) - 1 >= 1  # its neighbours still get their details requested
    assert "left out: SourceFormatError" in caplog.text and "lacks id" in caplog.text


# -- through the real Scrapy engine ---------------------------------------------------


@pytest.fixture
def gg_config(tmp_path):
    return write_config(tmp_path, extra='[sources.grants-gov]\ntimeout = 3\n[sources.grants-gov.options]\nrows = 3\n')


@pytest.mark.crawl
def test_crawl_then_export_json(replay, gg_config):
    server = replay(TREE)
    result = crawl_fixtures(gg_config, server.url, "grants-gov")
    assert result.returncode == 0, result.log

    exported = CliRunner().invoke(cli, ["--config", str(gg_config), "export", "--format", "json"])
    assert exported.exit_code == 0, exported.output
    calls = {c["uid"]: c for c in json.loads(exported.output)}
    assert sorted(calls) == sorted(e["uid"] for e in EXPECTED)
    for expected in EXPECTED:
        for field, value in expected.items():
            assert calls[expected["uid"]][field] == value, (expected["uid"], field)

    # Every API request was a JSON POST through the mirror: both search pages, every detail.
    posts = [r for r in server.received if r.method == "POST"]
    assert {r.path for r in posts} == {"/api.grants.gov/v1/api/search2", "/api.grants.gov/v1/api/fetchOpportunity"}
    assert all(r.headers.get("Content-Type") == "application/json" for r in posts)
    bodies = [json.loads(r.body) for r in posts]
    assert sorted(b["startRecordNum"] for b in bodies if "startRecordNum" in b) == [0, 3, 6]
    assert {str(b["opportunityId"]) for b in bodies if "opportunityId" in b} == set(ALL_HITS)
    assert all(r.headers.get("User-Agent", "").startswith("grantdigest/") for r in server.received)

    run = Store.open(load_config(gg_config).database_url).last_runs()["grants-gov"]
    assert (run.items, run.stats["grants_gov/not_foreign"]) == (5, 2)
    # The detail answering 500 was retried, then given up on: its call is kept from the
    # search hit, and the run says it was degraded by that error.
    assert run.stats["grants_gov/details_failed"] == 1
    assert (run.outcome, run.errors) == (Outcome.DEGRADED, 1)
    assert "HTTP 500" in run.reason


@pytest.mark.crawl
@pytest.mark.parametrize("kind", ["500", "api-error"])
def test_failing_search_is_recorded_and_loses_nothing(replay, tmp_path, kind):
    config = write_config(
        tmp_path, extra='[sources.grants-gov]\ntimeout = 1\nretries = 1\n[sources.grants-gov.options]\nrows = 3\n')
    good = replay(TREE)
    assert crawl_fixtures(config, good.url, "grants-gov").returncode == 0
    store = Store.open(load_config(config).database_url)
    stored_before = {c.uid: c for c in store.iter_calls()}
    assert len(stored_before) == 5

    if kind == "500":
        broken = exchange(SEARCH_URL, "Internal Server Error", method="POST", status=500)
    else:  # Grants.gov reports errors inside a 200 answer
        broken = exchange(SEARCH_URL, '{"errorcode": 1, "msg": "Webservice Fails", "token": "", "data": {}}',
                          method="POST")
    bad = replay(exchanges=[broken])
    result = crawl_fixtures(config, bad.url, "grants-gov")
    assert result.returncode == 0, result.log

    run = store.last_runs()["grants-gov"]
    assert run.outcome == Outcome.FAILED, run
    assert run.items == 0 and run.errors >= 1 and run.reason
    stored_after = {c.uid: c for c in store.iter_calls()}
    assert stored_after.keys() == stored_before.keys()
    assert all(stored_after[u].content_hash == c.content_hash for u, c in stored_before.items())


# -- the real captured responses (../shared/samples) ------------------------------------


@pytest.mark.samples
def test_real_search_response(samples):
    body = (samples / "grants-gov" / "search2_posted.json").read_bytes()
    requests = list(make_spider(rows=5).parse(api_response(SEARCH_URL, body), page=0))
    details = [json.loads(r.body)["opportunityId"] for r in requests if r.url == DETAIL_URL]
    pages = [json.loads(r.body)["startRecordNum"] for r in requests if r.url == SEARCH_URL]
    assert details == [361403, 355044, 363119, 320536, 359816]
    assert pages == [5 * n for n in range(1, 20)]  # hitCount 590, capped at max_pages = 20

    hits = {h["id"]: h for h in json.loads(body)["data"]["oppHits"]}
    spider = make_spider()
    abu_dhabi = spider.call_from_hit(hits["363119"])
    assert abu_dhabi.title == "Freedom 250 Great American State Fair Initiative – Abu Dhabi"
    assert abu_dhabi.funder == "U.S. Mission to United Arab Emirates"
    assert abu_dhabi.deadlines[0].at == datetime(2026, 8, 10, 23, 59, 59, tzinfo=NEW_YORK)
    assert foreign_eligible(hits["363119"], {})
    biosensing = spider.call_from_hit(hits["320536"])
    assert biosensing.deadlines == [] and biosensing.status.value == "open"


@pytest.mark.samples
def test_real_detail_response(samples):
    hit = json.loads((samples / "grants-gov" / "search2_posted.json").read_bytes())["data"]["oppHits"][0]
    response = api_response(DETAIL_URL, (samples / "grants-gov" / "fetch_opportunity.json").read_bytes(),
                            {"opportunityId": 361403})
    # "Foreign entities are not eligible": dropped by default.
    assert list(make_spider().parse_detail(response, hit)) == []

    (call,) = make_spider(foreign_only=False).parse_detail(response, hit)
    assert (call.uid, call.call_id) == ("grants-gov:361403", "HHS-2026-ACL-AOD-DFLA-0025")
    assert call.url == "https://www.grants.gov/search-results-detail/361403"
    assert call.funder == "Administration for Community Living"
    assert (call.kind, call.action_type, call.status.value) == ("grant", "Cooperative Agreement", "open")
    assert (call.grant_min, call.grant_max, call.budget, call.currency) == (
        Decimal(1000000), Decimal(1200000), Decimal(3000000), "USD")
    assert call.expected_grants == 1
    # "12:00:00 AM" is the date only; the description states "11:59 p.m., ET".
    assert call.deadlines[0].at == datetime(2026, 8, 3, 23, 59, tzinfo=NEW_YORK)
    assert call.deadlines[0].raw.startswith("Aug 03, 2026 12:00:00 AM EDT")
    assert call.published_at == datetime(2026, 6, 22, 0, 0, tzinfo=NEW_YORK)
    assert call.updated_at == datetime(2026, 7, 14, 14, 12, 16, tzinfo=NEW_YORK)
    assert call.programme == "Developmental Disabilities Projects of National Significance"
    assert set(call.applicant_types) == {
        "ngo", "university", "local-government", "school", "public-body", "regional-government"}
    assert call.eligible_countries == []
    assert '"The Secretary shall award grants' in call.eligibility_text and "&quot;" not in call.eligibility_text
    assert call.summary.startswith("This grant is funded under the Projects of National Significance")
    assert call.keywords == ["Income Security and Social Services"]


@pytest.mark.samples
@pytest.mark.crawl
def test_real_samples_through_the_engine(samples, replay, tmp_path):
    folder = samples / "grants-gov"
    json_headers = {"Content-Type": "application/json"}
    server = replay(exchanges=[
        exchange(SEARCH_URL, (folder / "search2_posted.json").read_bytes(), method="POST", headers=json_headers),
        exchange(DETAIL_URL, (folder / "fetch_opportunity.json").read_bytes(), method="POST", headers=json_headers,
                 body_contains=('{"opportunityId": 361403}',)),
    ])
    config = write_config(tmp_path, extra='[sources.grants-gov.options]\nrows = 5\nmax_pages = 1\n')
    result = crawl_fixtures(config, server.url, "grants-gov")
    assert result.returncode == 0, result.log
    store = Store.open(load_config(config).database_url)
    # 361403 is domestic-only and dropped; the four other details are missing (404), so their hits are kept.
    assert sorted(c.native_id for c in store.iter_calls()) == ["320536", "355044", "359816", "363119"]
    run = store.last_runs()["grants-gov"]
    assert run.outcome == Outcome.OK, run
    assert (run.stats["grants_gov/details_failed"], run.stats["grants_gov/not_foreign"]) == (4, 1)
