"""End to end through the engine: one call from three sources is one merged call; moved deadlines are events."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from click.testing import CliRunner
from conftest import FIXTURES

from calls.config import load_config
from calls.store import Store
from digest.cli import cli
from digest.offline import crawl_fixtures, write_config
from digest.replay import exchange

SOURCES = """
[sources.eu-ftp.options]
page_size = 5

[sources.cerv-programme]
spider = "feed"
language = "en"
timezone = "Europe/Brussels"
funder = "European Union"
authority = 90
[sources.cerv-programme.options]
urls = ["https://cerv-programme.example.eu/news/feed/"]

[sources.granty-aggregator]
spider = "feed"
language = "uk"
timezone = "Europe/Kyiv"
authority = 10
[sources.granty-aggregator.options]
urls = ["https://granty.example.org.ua/feed/"]
"""
SLUGS = ("eu-ftp", "cerv-programme", "granty-aggregator")
TOWN_TWINNING = "eu-ftp:CERV-2027-CITIZENS-TOWN-TT"


@pytest.fixture
def config(tmp_path):
    return write_config(tmp_path, extra=SOURCES)


def export(config, *args) -> dict:
    result = CliRunner().invoke(cli, ["--config", str(config), "export", *args], catch_exceptions=False)
    return {doc["uid"]: doc for doc in json.loads(result.output)}


@pytest.mark.crawl
def test_one_call_three_sources_is_one_merged_call(replay, config):
    server = replay(FIXTURES / "eu-ftp" / "mirror", FIXTURES / "merge-e2e" / "mirror")
    result = crawl_fixtures(config, server.url, *SLUGS)
    assert result.returncode == 0, result.log[-2000:]

    merged = export(config)
    assert len(merged) == 6  # the portal's six calls; the two reposts merged into one of them
    call = merged[TOWN_TWINNING]
    assert [p["source"] for p in call["provenance"]] == ["eu-ftp", "cerv-programme", "granty-aggregator"]
    assert call["title"] == "Town-Twinning: networks of towns"  # the portal's, the most authoritative
    assert call["deadlines"][0]["at"] == "2027-02-10T17:00:00+01:00"
    # The portal gave no description (its details page is gone): the programme site's text fills it.
    assert call["summary"].startswith("Topic CERV-2027-CITIZENS-TOWN-TT supports town-twinning")
    assert call["classifications"] and all(c["reasons"] for c in call["classifications"])

    per_source = export(config, "--per-source")
    assert {uid.split(":")[0] for uid in per_source} == set(SLUGS)
    aggregator = next(d for u, d in per_source.items() if u.startswith("granty-aggregator:"))
    assert aggregator["language"] == "uk" and aggregator["call_id"] == "CERV-2027-CITIZENS-TOWN-TT"


def events_of(config, uid):
    return [e.kind for e in Store.open(load_config(config).database_url).events(uid)]


@pytest.mark.crawl
def test_moved_deadline_is_exactly_one_event(replay, config):
    server = replay(FIXTURES / "eu-ftp" / "mirror")
    crawl_fixtures(config, server.url, "eu-ftp")
    uid = "eu-ftp:HORIZON-CL5-2027-D3-01"
    assert events_of(config, uid) == ["new"]

    crawl_fixtures(config, server.url, "eu-ftp")  # unchanged: no event
    store = Store.open(load_config(config).database_url)
    assert [e.kind for e in store.events()].count("new") == 6 and len(store.events()) == 6

    page1 = (FIXTURES / "eu-ftp" / "mirror" / "api.tech.ec.europa.eu" / "search-page1.json").read_text(encoding="utf-8")
    assert page1.count("2027-01-20") >= 3  # the topic's budget line, actions and deadlineDate
    moved = page1.replace("2027-01-20", "2027-02-05")  # the portal extends the deadline
    server.replace(exchange("https://api.tech.ec.europa.eu/search-api/prod/rest/search?apiKey=SEDIA&pageNumber=1",
                            moved, method="POST", headers={"Content-Type": "application/json"},
                            body_contains=('"DATASOURCE"',)))
    crawl_fixtures(config, server.url, "eu-ftp")
    events = store.events(uid)
    assert [e.kind for e in events] == ["new", "deadline-extended"]
    assert (events[1].old, events[1].new) == ("2027-01-20", "2027-02-05")  # the portal's dates, as it gives them
    assert len(store.events()) == 7  # nothing else moved


@pytest.mark.crawl
def test_vanished_call_is_recorded_once(replay, config):
    server = replay(FIXTURES / "eu-ftp" / "mirror")
    crawl_fixtures(config, server.url, "eu-ftp")
    page2 = json.loads(
        (FIXTURES / "eu-ftp" / "mirror" / "api.tech.ec.europa.eu" / "search-page2.json").read_text(encoding="utf-8")
    )
    page2["results"] = [
        r for r in page2["results"] if r["metadata"].get("callIdentifier") != ["EuropeAid/187123/DD/ACT/UA"]
    ]
    server.replace(exchange("https://api.tech.ec.europa.eu/search-api/prod/rest/search?apiKey=SEDIA&pageNumber=2",
                            json.dumps(page2), method="POST", headers={"Content-Type": "application/json"},
                            body_contains=('"DATASOURCE"',)))
    crawl_fixtures(config, server.url, "eu-ftp")
    crawl_fixtures(config, server.url, "eu-ftp")
    assert events_of(config, "eu-ftp:EuropeAid/187123/DD/ACT/UA") == ["new", "vanished"]
    assert "eu-ftp:EuropeAid/187123/DD/ACT/UA" not in export(config)  # gone from the digest view
    assert (
        datetime.now(UTC)
        > Store.open(load_config(config).database_url).get("eu-ftp:EuropeAid/187123/DD/ACT/UA").last_seen
    )


REPOST_SOURCES = """
[sources.ro-ua-news]
spider = "feed"
language = "en"
timezone = "Europe/Bucharest"
programme_id = "interreg-next-ro-ua"
authority = 90
[sources.ro-ua-news.options]
urls = ["https://ro-ua.example.net/feed/"]

[sources.chnu-news]
spider = "feed"
language = "uk"
timezone = "Europe/Kyiv"
[sources.chnu-news.options]
urls = ["https://chnu.example.edu.ua/feed/"]

[sources.suceava-news]
spider = "feed"
language = "ro"
timezone = "Europe/Bucharest"
[sources.suceava-news.options]
urls = ["https://monitorul.example.ro/feed/"]
"""


def _rss(link: str, *items: tuple[str, str, str]) -> bytes:
    body = "".join(f"<item><title>{title}</title><link>{url}</link><guid>{url}</guid>"
                   f"<pubDate>Mon, 29 Nov 2027 09:00:00 +0000</pubDate>"
                   f"<description><![CDATA[{text}]]></description></item>"
                   for title, url, text in items)
    return (f'<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>News</title><link>{link}</link>'
            f"<description>News</description>{body}</channel></rss>").encode()


@pytest.mark.crawl
def test_a_call_reposted_in_three_languages_is_one_call_and_its_small_projects_sibling_another(replay, tmp_path):
    rss = {"Content-Type": "application/rss+xml; charset=utf-8"}
    programme = _rss("https://ro-ua.example.net/", (
        "Second Call for Proposals is open", "https://ro-ua.example.net/second-call",
        "<p>The 2nd call for proposals of the Interreg NEXT Romania-Ukraine Programme is open for local authorities "
        "and NGOs until 31 March 2028, 16:00 (Romania time). The total budget of the call is EUR 18.5 million.</p>"), (
        "First call for small projects", "https://ro-ua.example.net/small-projects",
        "<p>Local authorities may apply to the first call for small projects until 31 March 2028. "
        "Budget: EUR 3 million.</p>"))
    university = _rss("https://chnu.example.edu.ua/", (
        "Другий конкурс програми Interreg NEXT Румунія – Україна: університет шукає партнерів",
        "https://chnu.example.edu.ua/news/4471",
        "<p>Оголошено другий конкурс проєктів. Подати заявки можуть громади та громадські організації до "
        "31 березня 2028 р. Загальний бюджет конкурсу — 18,5 млн євро.</p>"))
    news = _rss("https://monitorul.example.ro/", (
        "Programul Interreg NEXT România-Ucraina lansează al doilea apel de proiecte", "https://monitorul.example.ro/apel-2",
        "<p>Autoritățile locale și ONG-urile pot depune proiecte până la data de 31 martie 2028. "
        "Bugetul apelului este de 18,5 milioane euro.</p>"))
    server = replay(exchanges=[exchange("https://ro-ua.example.net/feed/", programme, headers=rss),
                               exchange("https://chnu.example.edu.ua/feed/", university, headers=rss),
                               exchange("https://monitorul.example.ro/feed/", news, headers=rss)])
    config = write_config(tmp_path, extra=REPOST_SOURCES)
    result = crawl_fixtures(config, server.url, "ro-ua-news", "chnu-news", "suceava-news")
    assert result.returncode == 0, result.log[-3000:]
    merged = export(config)
    assert len(merged) == 2, sorted(merged)
    second = merged["ro-ua-news:https://ro-ua.example.net/second-call"]
    assert [p["source"] for p in second["provenance"]][0] == "ro-ua-news"  # the programme first, then its reposts
    assert {p["source"] for p in second["provenance"]} == {"ro-ua-news", "chnu-news", "suceava-news"}
    assert second["title"] == "Second Call for Proposals is open" and second["budget"] == "18500000"
    small = merged["ro-ua-news:https://ro-ua.example.net/small-projects"]
    assert [p["source"] for p in small["provenance"]] == ["ro-ua-news"]
