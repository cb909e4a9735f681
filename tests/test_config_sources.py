"""Sources added by configuration alone, and how the generic spiders take bad input.

A department adds a Ukrainian RSS feed (windows-1251, malformed, an entry
without a date) and a Serbian Cyrillic "konkursi" listing (windows-1251 by
<meta>, one detail page gone) to grantdigest.toml — no code — and crawls them
through the mirror.
"""

from __future__ import annotations

import json
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner
from conftest import FIXTURES

from calls.config import load_config
from calls.store import Outcome, Store
from digest.cli import cli
from digest.offline import crawl_fixtures, write_config
from digest.replay import exchange

TREE = FIXTURES / "config-only" / "mirror"
SOURCES = """
[sources.hromady-feed]
spider = "feed"
title = "Hromady: grants (example)"
language = "uk"
timezone = "Europe/Kyiv"
[sources.hromady-feed.options]
urls = ["https://hromady.example.org/category/granty/feed/"]

[sources.vojvodina-konkursi]
spider = "listing"
title = "Konkursi (example)"
language = "sr-Cyrl"
timezone = "Europe/Belgrade"
verified = false
[sources.vojvodina-konkursi.options]
urls = ["https://konkursi.example.rs/konkursi/"]
item = "div.konkurs"
link = "a::attr(href)"
title = "a"
date = "span.datum"
[sources.vojvodina-konkursi.options.detail]
title = "h1"
body = "div.tekst"
"""
KYIV = ZoneInfo("Europe/Kyiv")
BELGRADE = ZoneInfo("Europe/Belgrade")


@pytest.fixture
def config(tmp_path):
    return write_config(tmp_path, extra=SOURCES)


@pytest.fixture
def crawled(replay, config):
    server = replay(TREE)
    result = crawl_fixtures(config, server.url, "hromady-feed", "vojvodina-konkursi")
    assert result.returncode == 0, result.log[-3000:]
    return Store.open(load_config(config).database_url)


@pytest.mark.crawl
def test_config_only_sources_are_listed_by_scrapy(config):
    import subprocess
    import sys

    listed = subprocess.run([sys.executable, "-m", "scrapy", "list"], capture_output=True, text=True, check=False,
                            env={**__import__("os").environ, "GRANTDIGEST_CONFIG": str(config)},
                            cwd=str(FIXTURES.parents[1]))
    assert {"hromady-feed", "vojvodina-konkursi"} <= set(listed.stdout.split()), listed.stderr[-2000:]


@pytest.mark.crawl
def test_config_only_sources_crawled_and_exported(crawled, config):
    exported = CliRunner().invoke(cli, ["--config", str(config), "export", "--format", "json"])
    calls = {c["uid"]: c for c in json.loads(exported.output)}
    feed = {u: c for u, c in calls.items() if u.startswith("hromady-feed:")}
    listing = {u: c for u, c in calls.items() if u.startswith("vojvodina-konkursi:")}

    assert set(feed) == {"hromady-feed:https://hromady.example.org/?p=811", "hromady-feed:https://hromady.example.org/?p=809"}
    micro = feed["hromady-feed:https://hromady.example.org/?p=811"]
    # windows-1251 decoded, bozo feed read
    assert micro["title"] == "Конкурс мікрогрантів для громад Львівщини & Волині"
    assert micro["language"] == "uk"
    assert micro["deadlines"][0]["at"] == datetime(2026, 12, 15, 23, 59, 59, tzinfo=KYIV).isoformat()
    assert micro["deadlines"][0]["raw"] == "15 грудня 2026 року"
    assert micro["published_at"] == "2026-11-17T08:00:00Z"
    undated = feed["hromady-feed:https://hromady.example.org/?p=809"]
    assert undated["published_at"] is None
    assert undated["deadlines"][0]["at"] == datetime(2027, 1, 20, 18, 0, tzinfo=KYIV).isoformat()

    assert list(listing) == ["vojvodina-konkursi:https://konkursi.example.rs/konkursi/javni-konkurs-opstine-2027.html"]
    konkurs = next(iter(listing.values()))
    assert konkurs["title"] == "Јавни конкурс за доделу бесповратних средстава општинама у АП Војводини"
    assert konkurs["deadlines"][0]["at"] == datetime(2026, 12, 15, 23, 59, 59, tzinfo=BELGRADE).isoformat()
    assert konkurs["budget"] == "10000000" and konkurs["currency"] == "RSD"
    assert konkurs["published_at"] == datetime(2026, 11, 10, tzinfo=BELGRADE).isoformat()
    assert "local-government" in konkurs["applicant_types"]


@pytest.mark.crawl
def test_bad_input_is_recorded_and_others_unaffected(crawled):
    runs = crawled.last_runs()
    feed = runs["hromady-feed"]
    assert feed.outcome == Outcome.OK and feed.items == 2
    assert feed.stats["feed/malformed"] == 1
    assert feed.stats["posts/no_date"] == 1
    assert feed.stats["posts/not_a_call"] == 1
    listing = runs["vojvodina-konkursi"]
    assert listing.outcome == Outcome.DEGRADED and listing.items == 1 and listing.errors == 1
    assert listing.stats["listing/detail_failed"] == 1
    assert listing.stats["downloader/response_status_count/404"] >= 1


@pytest.mark.crawl
def test_redesigned_page_fails_loudly(crawled, replay, config):
    redesigned = replay(TREE)
    redesigned.replace(exchange("https://konkursi.example.rs/konkursi/",
                                "<html><body><ul class='new-layout'><li>…</li></ul></body></html>",
                                headers={"Content-Type": "text/html; charset=utf-8"}))
    result = crawl_fixtures(config, redesigned.url, "vojvodina-konkursi")
    assert result.returncode == 0
    run = crawled.last_runs()["vojvodina-konkursi"]
    assert run.outcome == Outcome.FAILED
    assert run.reason.startswith("structure changed: list selector 'div.konkurs' matched nothing at "
                                 "https://konkursi.example.rs/konkursi/")
    assert "matched nothing" in result.log
    assert crawled.count_calls(source="vojvodina-konkursi") == 1  # what was stored stays


@pytest.mark.crawl
def test_no_calls_where_there_were_some_is_a_failure(crawled, replay, config):
    emptied = replay(TREE)
    emptied.replace(exchange("https://hromady.example.org/category/granty/feed/",
                             '<?xml version="1.0"?><rss version="2.0"><channel><title>x</title>'
                             '<item><title>Вакансія: бухгалтер</title>'
                             "<link>https://hromady.example.org/v/1</link></item></channel></rss>",
                             headers={"Content-Type": "application/rss+xml"}))
    crawl_fixtures(config, emptied.url, "hromady-feed")
    run = crawled.last_runs()["hromady-feed"]
    assert run.outcome == Outcome.FAILED and "last successful run found 2" in run.reason


@pytest.mark.crawl
def test_probe_shows_what_was_extracted_without_touching_the_store(replay, config):
    import subprocess
    import sys

    server = replay(TREE)
    result = subprocess.run(
        [sys.executable, "-m", "digest.cli", "--config", str(config), "--mirror", server.url, "sources", "--probe"],
        capture_output=True, text=True, timeout=120, check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    out = result.stdout
    # Without slugs, --probe checks the unverified sources: the listing here, and the built-in guesses.
    assert "vojvodina-konkursi: degraded, 1 call(s), 1 error(s)" in out
    # a date, as published
    assert "Јавни конкурс за доделу бесповратних средстава општинама у АП Војводини | 2026-12-15" in out
    assert "missing: " in out
    assert "hromady-feed" not in out  # verified sources are not probed unless named
    assert Store.open(load_config(config).database_url).count_calls() == 0
