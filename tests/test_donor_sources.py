"""Donor, aggregator and national sources: config entries on the generic spiders
(calls/data/sources/donors-national.toml).

The fixtures are written by us in the shape the real sites most likely have
(almost all of these sources are ``verified = false``); each holds at least one
post that is not a call (a vacancy, a results list, a training) that must be
left out. Fields are checked as the store receives them: spider output passed
through the normalisation pipeline, with the clock frozen, so that the language
detected per call (a Cyrillic and a Latin page on one Serbian site) and the
status derived from the dates are what is compared.
"""

from __future__ import annotations

import re
import tomllib
from datetime import UTC, datetime
from importlib import resources
from zoneinfo import ZoneInfo

import pytest
from conftest import FIXTURES, crawl_offline, field_value, load_expected

from calls.config import load_config
from calls.regions import default_programme_areas
from calls.schema import Status
from calls.store import Outcome, Store
from digest.offline import crawl_fixtures, write_config
from digest.replay import exchange
from pipelines.normalise import normalise
from spiders.announcements import classify_post, text_facts

SOURCES = [
    "eea-norway-grants", "visegrad-fund", "undp-ukraine", "undp-serbia", "house-of-europe", "ucf", "irf",
    "gurt", "prostir", "fundsforngos", "euinfo-rs",
    "mei-gov-rs", "vojvodina-region", "vojvodina-finansije",
]
AGGREGATORS = {"gurt", "prostir", "fundsforngos", "euinfo-rs"}
CATALOGUE_FILE = "donors-national.toml"
NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
CASES = [(slug, row) for slug in SOURCES for row in load_expected(FIXTURES / slug / "expected.json")]
BROKEN = "prostir"
BROKEN_FEED = "https://www.prostir.ua/category/grants/feed/"


@pytest.fixture(scope="module")
def raw():
    """What each spider yields from its fixture tree, before any pipeline."""
    return {slug: {c.uid: c for c in crawl_offline(slug)} for slug in SOURCES}


@pytest.fixture(scope="module")
def parsed(raw):
    """The calls as the store receives them (normalised, clock frozen)."""
    return {slug: {uid: normalise(call, NOW) for uid, call in calls.items()} for slug, calls in raw.items()}


def _catalogue() -> dict:
    text = resources.files("calls.data").joinpath("sources", CATALOGUE_FILE).read_text(encoding="utf-8")
    return tomllib.loads(text)["sources"]


# -- the catalogue entries ----------------------------------------------------------


def test_every_source_is_a_config_entry_on_a_generic_spider():
    sources = load_config().sources
    assert set(_catalogue()) == set(SOURCES)
    for slug in SOURCES:
        assert sources[slug].spider in ("feed", "wordpress", "listing"), slug


@pytest.mark.parametrize("slug", SOURCES)
def test_entry_declares_languages_timezone_and_funder(slug):
    entry = _catalogue()[slug]
    assert entry.get("languages"), slug
    ZoneInfo(entry["timezone"])  # declared, and a real zone
    # Aggregators repost many funders' calls: a default funder would mislabel them all.
    assert ("funder" in entry) == (slug not in AGGREGATORS), slug
    if "programme_id" in entry:
        assert entry["programme_id"] in default_programme_areas(), (slug, entry["programme_id"])


def test_unverified_entries_say_what_was_seen():
    """Every ``verified = false`` sits under a comment saying what the guess rests on."""
    text = resources.files("calls.data").joinpath("sources", CATALOGUE_FILE).read_text(encoding="utf-8")
    blocks = re.split(r"^\[sources\.([\w-]+)\]\n", text, flags=re.MULTILINE)[1:]
    tables = dict(zip(blocks[::2], blocks[1::2], strict=True))
    for slug in SOURCES:
        block = tables[slug]
        assert "verified = false" in block, slug  # none of these was seen in a live response
        head = block.split("verified = false")[0]
        assert re.search(r"^#", head, re.MULTILINE), f"{slug}: no comment before verified = false"


# -- parsing, field by field --------------------------------------------------------


@pytest.mark.parametrize("slug", SOURCES)
def test_only_call_announcements_become_calls(parsed, slug):
    expected = {row["uid"] for row in load_expected(FIXTURES / slug / "expected.json")}
    assert set(parsed[slug]) == expected


@pytest.mark.parametrize(("slug", "row"), CASES, ids=[row["uid"].split(":", 1)[1][-48:] for _, row in CASES])
def test_fields(parsed, slug, row):
    call = parsed[slug][row["uid"]]
    for field in ("title", "url", "deadline", "language"):
        assert field in row, f"{row['uid']}: expected.json must check {field}"
    assert "funder" in row, row["uid"]
    for field, value in row.items():
        if field != "uid":
            assert field_value(call, field) == value, field


@pytest.mark.parametrize("slug", SOURCES)
def test_every_deadline_keeps_its_raw_text(parsed, slug):
    for call in parsed[slug].values():
        for deadline in call.deadlines:
            assert deadline.raw.strip() and deadline.raw in call.summary, (call.uid, deadline.raw)


def test_gurt_keeps_only_the_grant_badge(parsed):
    """The vacancy's title mentions a grant programme: only its badge keeps it out."""
    vacancy = "Координатор(ка) грантової програми у Львові"
    assert classify_post(vacancy).is_call
    assert all(call.title != vacancy for call in parsed["gurt"].values())
    assert "gurt:https://gurt.org.ua/news/grants/98725/" not in parsed["gurt"]


def test_gurt_repost_links_the_original_publisher(parsed):
    for call in parsed["gurt"].values():
        assert call.original_url and "gurt.org.ua" not in call.original_url, call.uid
        assert call.url.startswith("https://gurt.org.ua/news/grants/"), call.uid


def test_prostir_closed_label_sets_the_status(raw):
    """"ЗАВЕРШЕНО" above the text closes the call in the spider itself, whatever the dates say."""
    closed = raw["prostir"]["prostir:https://www.prostir.ua/?post_type=grants&p=612201"]
    assert closed.status == Status.CLOSED
    assert raw["prostir"]["prostir:https://www.prostir.ua/?post_type=grants&p=612345"].status is None


def test_one_serbian_site_in_both_scripts_and_english(parsed):
    languages = sorted(call.language for call in parsed["mei-gov-rs"].values())
    assert languages == ["en", "sr-Cyrl", "sr-Latn"]
    assert {c.language for c in parsed["vojvodina-region"].values()} == {"sr-Cyrl", "sr-Latn"}


def test_undp_two_digit_year_deadline():
    facts = text_facts("Deadline :\n15-Dec-26 @ 11:59 PM (New York time)", ZoneInfo("America/New_York"), "en")
    assert facts["deadlines"][0].at == datetime(2026, 12, 15, 23, 59, tzinfo=ZoneInfo("America/New_York"))


# -- through the real engine, one source broken -------------------------------------


@pytest.mark.crawl
def test_all_sources_through_the_engine_with_one_broken(replay, tmp_path):
    config = write_config(tmp_path)
    server = replay(*(FIXTURES / slug / "mirror" for slug in SOURCES))
    server.replace(exchange(BROKEN_FEED, "<html><body><h1>500 Internal Server Error</h1></body></html>", status=500,
                            headers={"Content-Type": "text/html"}))
    result = crawl_fixtures(config, server.url, *SOURCES, timeout=240)
    assert result.returncode == 0, result.log[-3000:]

    store = Store.open(load_config(config).database_url)
    runs = store.last_runs()
    for slug in SOURCES:
        if slug == BROKEN:
            continue
        expected = {row["uid"] for row in load_expected(FIXTURES / slug / "expected.json")}
        assert {c.uid for c in store.iter_calls(source=slug)} == expected, slug
        assert runs[slug].items == len(expected), slug
        assert not any(k.startswith("downloader/response_status_count/5") for k in runs[slug].stats), slug
        assert runs[slug].outcome == Outcome.OK, (slug, runs[slug].reason)

    broken = runs[BROKEN]
    assert broken.outcome == Outcome.FAILED
    assert "HTTP 500" in broken.reason
    assert store.count_calls(source=BROKEN) == 0

    # What the filters left out is counted, not lost silently.
    assert runs["gurt"].stats["listing/filtered_out"] == 3
    assert runs["undp-ukraine"].stats["listing/filtered_out"] == 2
    assert runs["undp-serbia"].stats["listing/filtered_out"] == 1
    assert runs["fundsforngos"].stats["posts/not_a_call"] == 2
    # The store holds the language detected per page.
    stored = {c.uid: c for c in store.iter_calls(source="mei-gov-rs")}
    assert sorted(c.language for c in stored.values()) == ["en", "sr-Cyrl", "sr-Latn"]


@pytest.mark.crawl
@pytest.mark.crawl
def test_a_broken_source_does_not_degrade_its_neighbours(replay, tmp_path):
    config = write_config(tmp_path)
    healthy = "vojvodina-region"
    server = replay(FIXTURES / healthy / "mirror", FIXTURES / BROKEN / "mirror")
    server.replace(exchange(BROKEN_FEED, "Internal Server Error", status=500, headers={"Content-Type": "text/plain"}))
    # The healthy source answers slowly, so it is surely still crawling when the broken one gives up.
    slow = next(e for e in server.exchanges if e.host == "region.vojvodina.gov.rs")
    slow.delay = 2.0
    result = crawl_fixtures(config, server.url, healthy, BROKEN)
    assert result.returncode == 0, result.log[-3000:]
    runs = Store.open(load_config(config).database_url).last_runs()
    assert runs[BROKEN].outcome == Outcome.FAILED
    assert runs[healthy].outcome == Outcome.OK, runs[healthy].reason
