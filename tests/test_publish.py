"""grantdigest build: the feeds for all calls and per region, from a real crawl, swapped in atomically."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from conftest import FIXTURES
from defusedxml import ElementTree

from digest.cli import cli
from digest.offline import crawl_fixtures, write_config
from digest.replay import exchange

ATOM = "{http://www.w3.org/2005/Atom}"


@pytest.fixture
def built(replay, tmp_path):
    config = write_config(tmp_path, extra="[sources.eu-ftp.options]\npage_size = 5\n[site]\nbase_url = \"https://grants.example.org/digest/\"\n")
    server = replay(FIXTURES / "eu-ftp" / "mirror")
    assert crawl_fixtures(config, server.url, "eu-ftp").returncode == 0
    out = tmp_path / "public"
    result = CliRunner().invoke(cli, ["--config", str(config), "build", "--out", str(out)], catch_exceptions=False)
    return config, server, out, result


def entries(path):
    return {e.find(f"{ATOM}title").text: e for e in ElementTree.parse(path).getroot().findall(f"{ATOM}entry")}


@pytest.mark.crawl
def test_feeds_for_all_and_every_region(built):
    _, _, out, result = built
    assert "written to" in result.output
    for scope in ("all", "lviv", "vojvodina", "odesa"):
        for name in ("atom.xml", "rss.xml", "feed.json", "deadlines.ics", "calls.csv", "calls.json"):
            assert (out / "feeds" / scope / name).stat().st_size > 0, (scope, name)
    assert json.loads((out / "feeds" / "calls.schema.json").read_text())["$schema"].startswith("https://json-schema.org/")
    everything = entries(out / "feeds" / "all" / "atom.xml")
    assert len(everything) == 6  # all six open or forthcoming calls of the fixture
    lviv = json.loads((out / "feeds" / "lviv" / "feed.json").read_text())
    assert lviv["feed_url"] == "https://grants.example.org/digest/feeds/lviv/feed.json"
    assert 0 < len(lviv["items"]) <= 6
    # leftovers of the atomic swap are gone
    # the only thing beside the site is its generations: the lock and the one on show (no staging left)
    assert [p.name for p in out.parent.iterdir() if p.name.startswith(".public")] == [".public.generations"]
    assert sorted(p.name for p in (out.parent / ".public.generations").iterdir()) == [".lock", out.resolve().name]


@pytest.mark.crawl
def test_moved_deadline_reappears_as_updated(built):
    config, server, out, _ = built
    before = entries(out / "feeds" / "all" / "atom.xml")["Renewable energy communities in rural areas (IA)"]
    page1 = (FIXTURES / "eu-ftp" / "mirror" / "api.tech.ec.europa.eu" / "search-page1.json").read_text(encoding="utf-8")
    server.replace(exchange("https://api.tech.ec.europa.eu/search-api/prod/rest/search?apiKey=SEDIA&pageNumber=1",
                            page1.replace("2027-01-20", "2027-02-05"), method="POST",
                            headers={"Content-Type": "application/json"}, body_contains=('"DATASOURCE"',)))
    assert crawl_fixtures(config, server.url, "eu-ftp").returncode == 0
    CliRunner().invoke(cli, ["--config", str(config), "build", "--out", str(out)], catch_exceptions=False)
    after_all = entries(out / "feeds" / "all" / "atom.xml")
    after = after_all["Renewable energy communities in rural areas (IA)"]
    assert after.find(f"{ATOM}updated").text > before.find(f"{ATOM}updated").text
    assert after.find(f"{ATOM}id").text == before.find(f"{ATOM}id").text  # the same entry, updated
    newest = max(after_all.values(), key=lambda e: e.find(f"{ATOM}updated").text)
    assert newest.find(f"{ATOM}title").text == "Renewable energy communities in rural areas (IA)"


@pytest.mark.crawl
def test_email_previews_for_every_region_and_language(built, tmp_path):
    import email

    config, _, _, _ = built
    folder = tmp_path / "previews"
    result = CliRunner().invoke(cli, ["--config", str(config), "email", "--preview", str(folder)],
                                catch_exceptions=False)
    assert "files written" in result.output
    emls = sorted(folder.glob("*.eml"))
    names = {p.stem.split("-", 2)[2] for p in emls}
    assert {"vojvodina-sr-Latn", "vojvodina-sr-Cyrl", "lviv-uk", "lviv-en"} <= names
    message = email.message_from_bytes((next(p for p in emls if p.stem.endswith("lviv-uk"))).read_bytes())
    assert message.get_content_type() == "multipart/alternative"
    assert message["Content-Language"] == "uk"
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
