"""The eu-ftp spider: parsing field by field, crawling through the real engine, failures."""

from __future__ import annotations

import json
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner
from conftest import FIXTURES, drive, load_expected
from scrapy.http import TextResponse

from calls.config import load_config
from calls.store import Outcome, Store
from digest.cli import cli
from digest.offline import crawl_fixtures, write_config
from digest.replay import exchange
from spiders.base import SourceFormatError
from spiders.eu_ftp import EuFtpSpider, multipart_json, parse_envelope, portal_datetime

TREE = FIXTURES / "eu-ftp" / "mirror"
EXPECTED = load_expected(FIXTURES / "eu-ftp" / "expected.json")
BRUSSELS = ZoneInfo("Europe/Brussels")
SEARCH = "https://api.tech.ec.europa.eu/search-api/prod/rest/search"


def make_spider(**options) -> EuFtpSpider:
    source = load_config().source("eu-ftp")
    source = type(source)(**{**source.__dict__, "options": {**source.options, "page_size": 5, **options}})
    return EuFtpSpider.for_source(source)


@pytest.fixture(scope="module")
def parsed() -> dict:
    spider = make_spider()
    return {item.uid: item for item in drive(spider, [spider.search_request(1)], TREE)}


def test_only_english_calls_each_once(parsed):
    assert sorted(parsed) == sorted(e["uid"] for e in EXPECTED)


FIELD_CASES = [(e["uid"], field, value) for e in EXPECTED for field, value in e.items() if field != "uid"]


@pytest.mark.parametrize(("uid", "field", "expected"), FIELD_CASES, ids=[f"{u}:{f}" for u, f, _ in FIELD_CASES])
def test_field(parsed, uid, field, expected):
    assert parsed[uid].model_dump(mode="json")[field] == expected


def test_summary_is_sanitised_plain_text(parsed):
    summary = parsed["eu-ftp:HORIZON-CL5-2027-D3-01"].summary
    assert "Rural municipalities run their own renewable energy communities." in summary
    assert "<" not in summary and "alert" not in summary


def test_eligibility_text_kept_for_classification(parsed):
    assert ("Legal entities established in Ukraine are eligible."
            in parsed["eu-ftp:HORIZON-CL5-2027-D3-01"].eligibility_text)


def test_deadline_instants_are_17h_brussels(parsed):
    deadline = parsed["eu-ftp:HORIZON-CL5-2027-D3-01"].deadlines[0].at
    assert deadline == datetime(2027, 1, 20, 17, 0, tzinfo=BRUSSELS)
    assert deadline.utcoffset().total_seconds() == 3600


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2025-10-02", datetime(2025, 10, 2, 17, 0, tzinfo=BRUSSELS)),
        ("2025-10-02T00:00:00.000+0000", datetime(2025, 10, 2, 17, 0, tzinfo=BRUSSELS)),
        ("2024-04-18T19:00:00.000+0200", datetime(2024, 4, 18, 19, 0, tzinfo=BRUSSELS)),
        ("2024-04-18T17:00:00", datetime(2024, 4, 18, 17, 0, tzinfo=BRUSSELS)),
        ("09 April 2021", datetime(2021, 4, 9, 17, 0, tzinfo=BRUSSELS)),
        ("not a date", None),
        ("", None),
    ],
)
def test_portal_datetime(raw, expected):
    assert portal_datetime(raw) == expected


def test_opening_dates_start_the_day():
    assert portal_datetime("2025-06-10", opening=True) == datetime(2025, 6, 10, 0, 0, tzinfo=BRUSSELS)


def test_query_asks_open_and_forthcoming_calls_only_by_default():
    query = make_spider().query()["bool"]["must"]
    assert {"terms": {"status": ["31094501", "31094502"]}} in query
    assert {"terms": {"type": ["1", "2", "8"]}} in query
    assert {"terms": {"DATASOURCE": ["SEDIA"]}} in query


def test_closed_calls_on_request():
    query = make_spider(include_closed=True).query()["bool"]["must"]
    assert {"terms": {"status": ["31094501", "31094502", "31094503"]}} in query


def test_programme_filter():
    query = make_spider(programmes=["43108390"]).query()["bool"]["must"]
    assert {"terms": {"frameworkProgramme": ["43108390"]}} in query


def test_search_request_is_multipart_with_json_parts():
    request = make_spider().search_request(3)
    assert request.method == "POST"
    assert "pageNumber=3" in request.url and "apiKey=SEDIA" in request.url and "pageSize=5" in request.url
    content_type = request.headers["Content-Type"].decode()
    assert content_type.startswith("multipart/form-data; boundary=")
    body = request.body.decode()
    assert body.count("Content-Type: application/json") == 3
    for part in ("query", "languages", "sort"):
        assert f'name="{part}"' in body


def test_multipart_parts_are_json():
    body, content_type = multipart_json({"languages": ["en"]})
    boundary = content_type.split("boundary=")[1]
    part = body.decode().split(f"--{boundary}")[1]
    assert json.loads(part.split("\r\n\r\n", 1)[1].strip()) == ["en"]


def test_pagination_requests_every_page_once():
    spider = make_spider()
    response = TextResponse(url=SEARCH + "?pageNumber=1",
                            body=(TREE / "api.tech.ec.europa.eu" / "search-page1.json").read_bytes(), encoding="utf-8")
    pages = [r for r in spider.parse(response, page=1) if hasattr(r, "cb_kwargs") and "page" in r.cb_kwargs]
    assert [r.cb_kwargs["page"] for r in pages] == [2]


def test_invalid_json_is_a_format_error():
    response = TextResponse(url=SEARCH, body=b"<html>maintenance</html>", encoding="utf-8")
    with pytest.raises(SourceFormatError, match="invalid JSON"):
        parse_envelope(response)


def test_unexpected_envelope_is_a_format_error():
    response = TextResponse(url=SEARCH, body=b'{"error": "quota"}', encoding="utf-8")
    with pytest.raises(SourceFormatError, match="lacks results"):
        parse_envelope(response)


# -- through the real Scrapy engine ---------------------------------------------------


@pytest.fixture
def eu_config(tmp_path):
    return write_config(tmp_path, extra='[sources.eu-ftp]\ntimeout = 3\n[sources.eu-ftp.options]\npage_size = 5\n')


@pytest.mark.crawl
def test_crawl_then_export_json(replay, eu_config):
    server = replay(TREE)
    result = crawl_fixtures(eu_config, server.url, "eu-ftp")
    assert result.returncode == 0, result.log

    exported = CliRunner().invoke(cli, ["--config", str(eu_config), "export", "--format", "json"])
    assert exported.exit_code == 0, exported.output
    calls = {c["uid"]: c for c in json.loads(exported.output)}
    for expected in EXPECTED:
        got = calls[expected["uid"]]
        for field, value in expected.items():
            assert got[field] == value, (expected["uid"], field)
    # Every request went through the mirror, including the POSTed search pages.
    paths = [r.path for r in server.received]
    assert any(p.startswith("/api.tech.ec.europa.eu/search-api/prod/rest/search?") for p in paths)
    assert all(r.headers.get("User-Agent", "").startswith("grantdigest/") for r in server.received)

    store = Store.open(load_config(eu_config).database_url)
    run = store.last_runs()["eu-ftp"]
    assert (run.outcome, run.items, run.errors) == (Outcome.OK, 6, 0)
    assert run.stats["eu_ftp/details_failed"] == 1


@pytest.mark.crawl
def test_recrawl_keeps_first_seen(replay, eu_config):
    server = replay(TREE)
    crawl_fixtures(eu_config, server.url, "eu-ftp")
    store = Store.open(load_config(eu_config).database_url)
    before = store.get("eu-ftp:HORIZON-CL5-2027-D3-01")
    crawl_fixtures(eu_config, server.url, "eu-ftp")
    after = store.get("eu-ftp:HORIZON-CL5-2027-D3-01")
    assert after.first_seen == before.first_seen
    assert after.last_seen > before.last_seen
    assert after.content_hash == before.content_hash
    assert len(store.runs("eu-ftp")) == 2


def broken(kind: str):
    """Search-API exchanges that fail in a given way, for both pages."""
    common = {"method": "POST"}
    if kind == "500":
        return [exchange(SEARCH, "Internal Server Error", status=500, **common)]
    if kind == "invalid-json":
        return [exchange(SEARCH, "<html><body>Service unavailable</body></html>", headers={"Content-Type": "text/html"},
                         **common)]
    if kind == "abort":
        return [exchange(SEARCH, abort=True, **common)]
    if kind == "timeout":
        return [exchange(SEARCH, "{}", delay=5, **common)]
    raise ValueError(kind)


@pytest.mark.crawl
@pytest.mark.parametrize("kind", ["500", "invalid-json", "abort", "timeout"])
def test_failing_source_is_recorded_and_loses_nothing(replay, tmp_path, kind):
    config = write_config(tmp_path,
                          extra='[sources.eu-ftp]\ntimeout = 1\nretries = 1\n[sources.eu-ftp.options]\npage_size = 5\n')
    good = replay(TREE)
    assert crawl_fixtures(config, good.url, "eu-ftp").returncode == 0
    store = Store.open(load_config(config).database_url)
    stored_before = {c.uid: c for c in store.iter_calls()}
    assert len(stored_before) == 6

    bad = replay(exchanges=broken(kind))
    result = crawl_fixtures(config, bad.url, "eu-ftp")
    assert result.returncode == 0, result.log  # the crawl ends normally

    run = store.last_runs()["eu-ftp"]
    assert run.outcome == Outcome.FAILED, run
    assert run.items == 0 and run.errors >= 1
    assert run.reason
    stored_after = {c.uid: c for c in store.iter_calls()}
    assert stored_after.keys() == stored_before.keys()
    assert all(stored_after[u].content_hash == c.content_hash for u, c in stored_before.items())

    shown = CliRunner().invoke(cli, ["--config", str(config), "sources"])
    line = next(line for line in shown.output.splitlines() if line.startswith("eu-ftp"))
    assert "failed" in line and run.reason[:20] in line


# -- the real captured responses (../shared/samples) ------------------------------------


@pytest.mark.samples
def test_real_search_response(samples):
    body = (samples / "eu-ftp-sedia" / "nmmonteiro__eu_api_response.json").read_bytes()
    spider = make_spider()
    response = TextResponse(url=SEARCH + "?pageNumber=1", body=body, encoding="utf-8")
    calls = [item for item in spider.parse(response, page=1) if hasattr(item, "uid")]
    # Five results: sv and cs translations, two type-6 news items and one English topic.
    assert [c.uid for c in calls] == ["eu-ftp:HORIZON-CL4-2025-04-DATA-03"]
    call = calls[0]
    assert call.title == "Software Engineering for AI and generative AI (RIA) (AI/Data/Robotics Partnership)"
    assert call.parent_call_id == "HORIZON-CL4-2025-04"
    assert call.programme_id == "horizon-europe"
    assert call.status.value == "closed"
    assert call.action_type == "HORIZON Research and Innovation Actions"
    assert [d.at for d in call.deadlines] == [datetime(2025, 10, 2, 17, 0, tzinfo=BRUSSELS)]
    assert call.opens_at == datetime(2025, 6, 10, 0, 0, tzinfo=BRUSSELS)
    # Only this topic's budget line among the call's seven.
    assert (call.budget, call.grant_min, call.grant_max, call.expected_grants) == (
        Decimal(15000000), Decimal(4000000), Decimal(6000000), 3)
    assert call.currency == "EUR"
    assert call.summary.startswith("Expected Outcome:")
    assert "participation is limited to legal entities established in Member States" in call.eligibility_text
    assert call.url.endswith("/topic-details/HORIZON-CL4-2025-04-DATA-03")
    assert "Cloud Computing models" in call.keywords and "HORIZON-CL4-2025-04" not in call.keywords


@pytest.mark.samples
def test_real_news_only_response_yields_no_calls(samples):
    body = (samples / "eu-ftp-sedia" / "nmmonteiro__eu-api-topic-response.json").read_bytes()
    response = TextResponse(url=SEARCH + "?pageNumber=1", body=body, encoding="utf-8")
    items = [item for item in make_spider().parse(response, page=1) if hasattr(item, "uid")]
    assert items == []


@pytest.mark.samples
@pytest.mark.crawl
def test_real_sample_through_the_engine(samples, replay, tmp_path):
    body = (samples / "eu-ftp-sedia" / "nmmonteiro__eu_api_response.json").read_bytes()
    server = replay(exchanges=[exchange(SEARCH + "?pageNumber=1", body, method="POST",
                                        headers={"Content-Type": "application/json"})])
    config = write_config(tmp_path, extra='[sources.eu-ftp.options]\nmax_pages = 1\n')
    result = crawl_fixtures(config, server.url, "eu-ftp")
    assert result.returncode == 0, result.log
    store = Store.open(load_config(config).database_url)
    assert [c.uid for c in store.iter_calls()] == ["eu-ftp:HORIZON-CL4-2025-04-DATA-03"]
    assert store.last_runs()["eu-ftp"].outcome == Outcome.OK
