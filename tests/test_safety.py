"""Only the web, only where expected: schemes, hosts, sizes and Retry-After, crawled for real beside a healthy feed.

Each hostile or unlucky answer is served by the replay server behind the mirror and crawled through Scrapy's
downloader; each must end as a named cause in its source's run, never a fetch of a local file, a silent
change of host, an unbounded body, or a retry that ignores the server's request to wait.
"""

from __future__ import annotations

import gzip
from datetime import UTC, datetime

import pytest
from conftest import FIXTURES
from source_entries import HEALTHY_FEED, feed_entry, listing_entry

from calls.config import load_config
from calls.store import Outcome, Store
from digest.offline import crawl_fixtures, write_config
from digest.replay import ReplayServer, exchange
from spiders.safety import retry_after_seconds

HEALTHY = FIXTURES / "config-only" / "mirror"
HTML = {"Content-Type": "text/html; charset=utf-8"}
RSS = {"Content-Type": "application/rss+xml; charset=utf-8"}


def listing(slug: str, url: str, extra: str = "") -> str:
    return listing_entry(slug, url, options=extra, retries=2)


def feed(slug: str, url: str, **fields) -> str:
    return feed_entry(slug, url, retries=2, **fields)


def rss(title: str) -> str:
    return (f'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title><link>https://x.example/</link>'
            f'<description>d</description><item><title>{title}</title><link>https://x.example/1</link>'
            f'<description>Rok za prijave: 15. decembar 2026.</description></item></channel></rss>')


DETAIL = "<html><body><h1>Javni konkurs za opštine 2027</h1><div class='tekst'>Rok: 15.12.2026.</div></body></html>"
LINKS = ("<html><body><div class='konkurs'><a href='file:///etc/passwd'>a</a></div>"
         "<div class='konkurs'><a href='ftp://ftp.example.org/poziv.pdf'>b</a></div>"
         "<div class='konkurs'><a href='/konkursi/pravi.html'>c</a></div></body></html>")
SOURCES = {
    "scheme-list": listing("scheme-list", "https://links.example.rs/konkursi/"),
    "moved-list": listing("moved-list", "https://moved.example.rs/konkursi/"),
    "allowed-list": listing("allowed-list", "https://old.example.rs/konkursi/",
                            'redirect_hosts = ["new.example.rs"]\n'),
    "busy-feed": feed("busy-feed", "https://busy.example.org/feed/"),
    "huge-feed": feed("huge-feed", "https://huge.example.org/feed/"),
    "bomb-feed": feed("bomb-feed", "https://bomb.example.org/feed/"),
    "patient-feed": feed("patient-feed", "https://patient.example.org/feed/"),
    "slow-robots-feed": feed("slow-robots-feed", "https://slowrobots.example.org/feed/", timeout=1),
}
ONE_CALL = "<html><body><div class='konkurs'><a href='/konkursi/pravi.html'>c</a></div></body></html>"
EXCHANGES = [
    exchange("https://links.example.rs/konkursi/", LINKS, headers=HTML),
    exchange("https://links.example.rs/konkursi/pravi.html", DETAIL, headers=HTML),
    exchange("https://moved.example.rs/konkursi/", "", status=301,
             headers={"Location": "https://elsewhere.example.com/konkursi/"}),
    exchange("https://elsewhere.example.com/konkursi/", ONE_CALL, headers=HTML),
    exchange("https://old.example.rs/konkursi/", "", status=301, headers={"Location": "https://new.example.rs/konkursi/"}),
    exchange("https://new.example.rs/konkursi/", ONE_CALL, headers=HTML),
    exchange("https://new.example.rs/konkursi/pravi.html", DETAIL, headers=HTML),
    exchange("https://busy.example.org/feed/", "slow down", status=429,
             headers={"Content-Type": "text/plain", "Retry-After": "3600"}),
    exchange("https://huge.example.org/feed/", rss("x" * 300_000), headers=RSS),
    exchange("https://bomb.example.org/feed/", gzip.compress(rss("y") .encode() + b" " * 5_000_000),
             headers={**RSS, "Content-Encoding": "gzip"}),
    exchange("https://slowrobots.example.org/robots.txt", "User-agent: *\nAllow: /\n",
             headers={"Content-Type": "text/plain"}, delay=4),
    exchange("https://slowrobots.example.org/feed/", rss("Javni poziv za biblioteke"), headers=RSS),
    exchange("https://patient.example.org/feed/", "busy", status=503,
             headers={"Content-Type": "text/plain", "Retry-After": "1"}),
]


@pytest.fixture(scope="module")
def crawled(tmp_path_factory):
    folder = tmp_path_factory.mktemp("safety")
    config = write_config(folder, extra=HEALTHY_FEED + "".join(SOURCES.values()))
    config.write_text(config.read_text(encoding="utf-8").replace(
        "[scrapy]\n", "[scrapy]\nDOWNLOAD_MAXSIZE = 200000\n"), encoding="utf-8")
    server = ReplayServer(HEALTHY, exchanges=list(EXCHANGES)).start()
    try:
        result = crawl_fixtures(config, server.url, "hromady-feed", *SOURCES, timeout=300)
    finally:
        server.stop()
    assert result.returncode == 0, result.log[-3000:]
    store = Store.open(load_config(config).database_url)
    yield store, server.received
    store.close()


CASES = {
    "scheme-list": (Outcome.DEGRADED, "1 call(s) found, but refused to fetch a"),  # file: or ftp:, whichever came first
    "moved-list": (Outcome.FAILED,
                   "https://moved.example.rs/konkursi/ redirects to another host, elsewhere.example.com"),
    "busy-feed": (Outcome.FAILED, "HTTP 429 at https://busy.example.org/feed/ (Retry-After: 3600)"),
    "huge-feed": (Outcome.FAILED, "https://huge.example.org/feed/ is larger than the download limit"),
    "bomb-feed": (Outcome.FAILED, "https://bomb.example.org/feed/ decompresses past the download limit"),
    "patient-feed": (Outcome.FAILED, "HTTP 503 at https://patient.example.org/feed/ (Retry-After: 1)"),
}


@pytest.mark.crawl
@pytest.mark.parametrize("slug", sorted(CASES))
def test_each_refusal_is_named(crawled, slug):
    store, _ = crawled
    outcome, words = CASES[slug]
    run = store.last_runs()[slug]
    assert (run.outcome, words in (run.reason or "")) == (outcome, True), run.reason


@pytest.mark.crawl
def test_only_the_web_link_is_fetched_and_stored(crawled):
    store, received = crawled
    assert [c.url for c in store.iter_calls(source="scheme-list")] == ["https://links.example.rs/konkursi/pravi.html"]
    assert "also: blocked_scheme" not in store.last_runs()["scheme-list"].reason  # one cause kind, counted twice
    assert "(2 times)" in store.last_runs()["scheme-list"].reason
    assert not any("elsewhere.example.com" in r.path for r in received)  # the other host is never contacted


@pytest.mark.crawl
def test_a_redirect_to_an_allowed_host_is_followed(crawled):
    store, _ = crawled
    assert store.last_runs()["allowed-list"].outcome == Outcome.OK
    assert [c.url for c in store.iter_calls(source="allowed-list")] == ["https://new.example.rs/konkursi/pravi.html"]


@pytest.mark.crawl
def test_a_long_retry_after_is_not_retried_and_a_short_one_is_waited_for(crawled):
    _, received = crawled
    assert sum(r.path == "/busy.example.org/feed/" for r in received) == 1
    assert sum(r.path == "/patient.example.org/feed/" for r in received) == 3  # the first try and two retries


@pytest.mark.crawl
def test_the_healthy_neighbour_keeps_its_calls(crawled):
    store, _ = crawled
    assert store.last_runs()["hromady-feed"].outcome == Outcome.OK
    assert store.count_calls(source="hromady-feed") == 2


def test_retry_after_is_read_in_both_forms():
    now = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)
    assert retry_after_seconds(b"120") == 120
    assert retry_after_seconds("Thu, 03 Dec 2026 12:02:00 GMT", now) == 120
    assert retry_after_seconds("Thu, 03 Dec 2026 11:00:00 GMT", now) == 0
    assert retry_after_seconds("soon") is None and retry_after_seconds(None) is None


def test_only_the_manual_spiders_own_file_may_be_read():
    from scrapy import Request
    from scrapy.exceptions import IgnoreRequest
    from scrapy.utils.test import get_crawler

    from spiders.safety import OnlyTheWeb

    guard = OnlyTheWeb(get_crawler())
    assert guard.process_request(Request("file:///srv/manual-calls.toml", meta={"local_file": True})) is None
    with pytest.raises(IgnoreRequest):
        guard.process_request(Request("file:///etc/passwd"))


@pytest.mark.crawl
def test_a_hanging_robots_txt_waits_the_sources_timeout_once(crawled):
    store, received = crawled
    run = store.last_runs()["slow-robots-feed"]
    # Never retried. (On a loaded machine the one attempt may time out before the server reads it: at most one.)
    assert sum(r.path == "/slowrobots.example.org/robots.txt" for r in received) <= 1
    assert any(k.startswith("robotstxt/exception_count/") for k in run.stats), run.stats  # gave up at 1 s, not 30
    assert store.count_calls(source="slow-robots-feed") == 1  # and the feed was still read
