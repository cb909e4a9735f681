"""A run says what is wrong with a source: each kind of failure crawled for real, beside a healthy source.

Every broken source below is served by the replay server behind the mirror and crawled through Scrapy's
downloader in one run, with the config-only feed ``hromady-feed`` beside them; each run record must name
its cause, HTTP errors must fail the source, and the healthy neighbour must keep its calls.
"""

from __future__ import annotations

import json

import pytest
from conftest import FIXTURES
from scrapy.exceptions import (
    CannotResolveHostError,
    DownloadConnectionRefusedError,
    DownloadFailedError,
    DownloadTimeoutError,
    IgnoreRequest,
)
from source_entries import HEALTHY_FEED, closed_port, feed_entry, listing_entry

from calls.config import load_config
from calls.store import Outcome, Store
from digest.offline import crawl_fixtures, write_config
from digest.replay import exchange
from pipelines import causes
from spiders.causes import network_cause

HEALTHY = FIXTURES / "config-only" / "mirror"


def listing(slug: str, url: str, options: str = "") -> str:
    return listing_entry(slug, url, options=options, retries=0, timeout=2)


def feed(slug: str, url: str, timeout: float = 2) -> str:
    return feed_entry(slug, url, retries=0, timeout=timeout)


HTML = {"Content-Type": "text/html; charset=utf-8"}
RSS = {"Content-Type": "application/rss+xml; charset=utf-8"}
EMPTY_RSS = ('<?xml version="1.0"?><rss version="2.0"><channel><title>Granty</title>'
             '<link>https://quiet.example.org/</link><description>x</description></channel></rss>')
LIST_OF_NEWS = ("<html><body><div class='konkurs'><span class='vrsta'>Vest</span><a href='/v/1'>Sajam</a></div>"
                "<div class='konkurs'><span class='vrsta'>Vest</span><a href='/v/2'>Izložba</a></div></body></html>")
CHALLENGE = ("<!DOCTYPE html><html><head><title>Just a moment...</title></head><body>"
             "<script src='/cdn-cgi/challenge-platform/h/b/orchestrate/chl_page/v1'></script></body></html>")

BROKEN = {
    "gone-list": listing("gone-list", "https://gone.example.rs/konkursi/"),
    "blocked-list": listing("blocked-list", "https://blocked.example.rs/konkursi/"),
    "down-feed": feed("down-feed", "https://down.example.org/feed/"),
    "slow-feed": feed("slow-feed", "https://slow.example.org/feed/", timeout=1),
    "cut-feed": feed("cut-feed", "https://cut.example.org/feed/"),
    "robots-list": listing("robots-list", "https://private.example.rs/konkursi/"),
    "loop-list": listing("loop-list", "https://loop.example.rs/konkursi/"),
    "quiet-feed": feed("quiet-feed", "https://quiet.example.org/feed/"),
    "news-list": listing("news-list", "https://news.example.rs/konkursi/",
                         options='item_filter = { selector = "span.vrsta", pattern = "^Konkurs" }\n'),
}
EXCHANGES = [
    # no exchange for gone.example.rs: the replay server answers 404, as a moved page does
    exchange("https://blocked.example.rs/konkursi/", CHALLENGE, status=403,
             headers={**HTML, "cf-mitigated": "challenge"}),
    exchange("https://down.example.org/feed/", "upstream unavailable", status=503,
             headers={"Content-Type": "text/plain"}),
    exchange("https://slow.example.org/feed/", EMPTY_RSS, headers=RSS, delay=4),
    exchange("https://cut.example.org/feed/", EMPTY_RSS, headers=RSS, abort=True),
    exchange("https://private.example.rs/robots.txt", "User-agent: *\nDisallow: /konkursi/\n",
             headers={"Content-Type": "text/plain"}),
    exchange("https://private.example.rs/konkursi/", LIST_OF_NEWS, headers=HTML),
    exchange("https://loop.example.rs/konkursi/", "", status=302, headers={"Location": "https://loop.example.rs/konkursi/"}),
    exchange("https://quiet.example.org/feed/", EMPTY_RSS, headers=RSS),
    exchange("https://news.example.rs/konkursi/", LIST_OF_NEWS, headers=HTML),
]


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """Every broken source and the healthy feed crawled in one run; the store's last run per source."""
    from digest.replay import ReplayServer

    folder = tmp_path_factory.mktemp("causes")
    config = write_config(folder, extra=HEALTHY_FEED + "".join(BROKEN.values()))
    server = ReplayServer(HEALTHY, exchanges=list(EXCHANGES)).start()
    try:
        result = crawl_fixtures(config, server.url, "hromady-feed", *BROKEN, timeout=300)
    finally:
        server.stop()
    assert result.returncode == 0, result.log[-3000:]
    store = Store.open(load_config(config).database_url)
    yield {**store.last_runs(), "_calls": store.count_calls(source="hromady-feed")}
    store.close()


CASES = {
    "gone-list": (Outcome.FAILED, "HTTP 404 at https://gone.example.rs/konkursi/"),
    "blocked-list": (Outcome.FAILED, "Cloudflare anti-bot page (HTTP 403) at https://blocked.example.rs/konkursi/"),
    "down-feed": (Outcome.FAILED, "HTTP 503 at https://down.example.org/feed/"),
    "slow-feed": (Outcome.FAILED, "no answer from slow.example.org within 1 s (timed out)"),
    "cut-feed": (Outcome.FAILED, "connection to cut.example.org aborted"),
    "robots-list": (Outcome.FAILED, "robots.txt of private.example.rs disallows https://private.example.rs/konkursi/"),
    "loop-list": (Outcome.FAILED, "redirects, the last at https://loop.example.rs/konkursi/"),
    "quiet-feed": (Outcome.DEGRADED, "the feed at https://quiet.example.org/feed/ holds no entries"),
    "news-list": (Outcome.DEGRADED, "no calls kept: the list was read, 2 item(s), 2 left out by the item filter"),
}


@pytest.mark.crawl
@pytest.mark.parametrize("slug", sorted(CASES))
def test_each_failure_is_named_in_the_run(runs, slug):
    outcome, words = CASES[slug]
    run = runs[slug]
    assert (run.outcome, words in (run.reason or "")) == (outcome, True), run.reason


@pytest.mark.crawl
def test_a_listing_whose_list_answers_404_is_failing_with_404_in_its_reason(runs):
    run = runs["gone-list"]
    assert run.outcome == Outcome.FAILED and "404" in run.reason


@pytest.mark.crawl
def test_the_healthy_neighbour_keeps_its_calls(runs):
    assert runs["hromady-feed"].outcome != Outcome.FAILED
    assert runs["_calls"] == 2


def test_a_refused_connection_is_named(tmp_path):
    """Nothing listens on the mirror's port: every source's reason says the connection was refused."""
    closed = closed_port()
    config = write_config(tmp_path, extra=feed("down-feed", "https://down.example.org/feed/"))
    result = crawl_fixtures(config, f"http://127.0.0.1:{closed}", "down-feed", timeout=120)
    assert result.returncode == 0, result.log[-3000:]
    store = Store.open(load_config(config).database_url)
    run = store.last_runs()["down-feed"]
    store.close()
    assert run.outcome == Outcome.FAILED and "connection refused by down.example.org" in run.reason


@pytest.mark.parametrize(("exc", "kind", "words"), [
    (CannotResolveHostError("DNS lookup failed: no results for hostname lookup: x.example"), "dns",
     "cannot resolve host x.example"),
    (DownloadConnectionRefusedError("Connection was refused by other side"), "refused",
     "connection refused by x.example"),
    (DownloadTimeoutError("Getting https://x.example/ took longer than 30 seconds."), "timeout",
     "no answer from x.example within 30 s"),
    (DownloadFailedError("[<twisted.python.failure.Failure OpenSSL.SSL.Error: [('SSL routines', '', "
                         "'certificate verify failed')]>]"), "tls", "TLS error with x.example"),
    (DownloadFailedError("[<twisted.python.failure.Failure twisted.internet.error.ConnectionLost>]"), "aborted",
     "connection to x.example aborted"),
    (IgnoreRequest("Forbidden by robots.txt"), "robots", "robots.txt of x.example disallows https://x.example/a"),
])
def test_download_exceptions_are_classified(exc, kind, words):
    got = network_cause(exc, "https://x.example/a", 30)
    assert got is not None and got[0] == kind and words in got[1]


def test_an_unknown_exception_is_no_named_cause():
    assert network_cause(ValueError("boom"), "https://x.example/a") is None


def test_the_most_basic_cause_is_reported_first_and_others_listed():
    stats = {"grantdigest/cause/format": 1, "grantdigest/cause/format/first": "structure changed: x",
             "grantdigest/cause/dns": 2, "grantdigest/cause/dns/first": "cannot resolve host a.example"}
    kind, text = causes.reason(stats)
    assert kind.name == "dns"
    assert text.startswith("cannot resolve host a.example (2 times) — is this machine offline")
    assert text.endswith("; also: format")


@pytest.mark.crawl
def test_the_probe_report_names_cause_counts_and_structure_per_source(tmp_path):
    from click.testing import CliRunner

    from digest.cli import cli
    from digest.replay import ReplayServer

    redesigned = """
[sources.redesigned-list]
spider = "listing"
language = "sr-Latn"
timezone = "Europe/Belgrade"
retries = 0
[sources.redesigned-list.options]
urls = ["https://news.example.rs/konkursi/"]
item = "article.poziv"
[sources.redesigned-list.options.detail]
title = "h1"
"""
    config = write_config(tmp_path, extra=HEALTHY_FEED + BROKEN["gone-list"] + BROKEN["quiet-feed"] + redesigned)
    report = tmp_path / "probe.json"
    with ReplayServer(HEALTHY, exchanges=list(EXCHANGES)) as server:
        result = CliRunner().invoke(cli, ["--config", str(config), "--mirror", server.url, "sources", "--probe",
                                          "hromady-feed", "gone-list", "quiet-feed", "redesigned-list",
                                          "--report", str(report)])
        markdown = tmp_path / "probe.md"
        again = CliRunner().invoke(cli, ["--config", str(config), "--mirror", server.url, "sources", "--probe",
                                         "gone-list", "--report", str(markdown)])
    assert result.exit_code == 0 and again.exit_code == 0, result.output
    rows = {r["source"]: r for r in json.loads(report.read_text(encoding="utf-8"))}
    assert {s: (r["outcome"], r["cause"], r["structure"], r["calls"]) for s, r in rows.items()} == {
        "hromady-feed": ("ok", "", "matched", 2),
        "gone-list": ("failed", "http", "not reached", 0),
        "quiet-feed": ("degraded", "empty_feed", "matched, empty", 0),
        "redesigned-list": ("failed", "format", "changed", 0),
    }
    assert rows["gone-list"]["pages"] >= 1 and "HTTP 404" in rows["gone-list"]["reason"]
    assert "gone-list: failed, 0 call(s)" in result.output
    table = markdown.read_text(encoding="utf-8")
    assert "| gone-list | failed | http | not reached |" in table and "HTTP 404 at https://gone.example.rs" in table


def test_a_crawl_where_every_source_fails_on_the_network_points_to_the_demo(tmp_path):
    """Nothing listens on the mirror's port (as when the machine is offline): the crawl says so once."""
    from click.testing import CliRunner

    from digest.cli import cli

    closed = closed_port()
    config = write_config(tmp_path, extra=feed("down-feed", "https://down.example.org/feed/")
                          + feed("cut-feed", "https://cut.example.org/feed/"))
    result = CliRunner().invoke(cli, ["--config", str(config), "--mirror", f"http://127.0.0.1:{closed}", "crawl",
                                      "down-feed", "cut-feed"])
    assert result.exit_code == 1
    assert result.output.count("grantdigest demo") == 1 and "is this machine offline?" in result.output


def test_one_reachable_source_is_no_offline_hint():
    offline = {"grantdigest/cause/dns": 1, "grantdigest/cause/dns/first": "cannot resolve host a.example"}
    assert causes.network_down([offline, offline])
    assert not causes.network_down([offline, {"item_scraped_count": 3}])
    assert not causes.network_down([])
