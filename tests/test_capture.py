"""``grantdigest capture`` records a source's exchanges; ``grantdigest crawl --replay`` crawls them offline.

The sources are served on 127.0.0.1 by the replay server behind the mirror, as a live site would answer;
the capture is then crawled again with no server running, and must give the same calls.
"""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from test_config_sources import SOURCES  # the config-only feed and listing, crawled in their own tests
from test_config_sources import TREE as SITE

from digest.capture import EXPECTED_FIELDS, expected_rows
from digest.cli import cli
from digest.offline import write_config
from digest.replay import ReplayServer, load_tree
from spiders.recorder import write_exchange


def run(*args: str):
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    return result


def exported(config) -> list[dict]:
    out = run("--config", str(config), "export", "--per-source", "--format", "json")
    assert out.exit_code == 0, out.output
    return json.loads(out.output)


@pytest.fixture(scope="module")
def captured(tmp_path_factory):
    """Both sources captured through the mirror; the capture folders by slug."""
    base = tmp_path_factory.mktemp("capture")
    config = write_config(base / "live", extra=SOURCES)
    folders = {}
    with ReplayServer(SITE) as server:
        for slug in ("hromady-feed", "vojvodina-konkursi"):
            folders[slug] = base / slug
            result = run("--config", str(config), "--mirror", server.url, "capture", slug, "--out", str(folders[slug]))
            assert result.exit_code == 0, result.output
    return folders


@pytest.mark.crawl
@pytest.mark.parametrize("slug", ["hromady-feed", "vojvodina-konkursi"])
def test_a_capture_replays_offline_to_the_same_calls(captured, tmp_path, slug):
    folder = captured[slug]
    draft = json.loads((folder / "expected.json").read_text(encoding="utf-8"))
    assert draft, (folder / "summary.md").read_text(encoding="utf-8")
    config = write_config(tmp_path / "offline", extra=SOURCES)  # a fresh store, no server running
    result = run("--config", str(config), "crawl", slug, "--replay", str(folder))
    assert result.exit_code == 0, result.output
    calls = [c for c in exported(config) if c["source"] == slug]
    replayed = sorted(calls, key=lambda c: c["uid"])
    assert [c["uid"] for c in replayed] == [row["uid"] for row in draft]
    from calls.schema import Call

    assert expected_rows([Call.model_validate(c) for c in replayed]) == draft


@pytest.mark.crawl
def test_the_capture_folder_is_a_fixture_folder(captured):
    folder = captured["hromady-feed"]
    meta = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
    assert meta["source"] == "hromady-feed" and meta["verified"] is False and meta["outcome"] == "ok"
    urls = {f"{e.host}{e.path}" for e in load_tree(folder / "mirror")}
    assert "hromady.example.org/category/granty/feed/" in urls
    assert set(json.loads((folder / "expected.json").read_text(encoding="utf-8"))[0]) == {"uid", *EXPECTED_FIELDS}
    summary = (folder / "summary.md").read_text(encoding="utf-8")
    assert "hromady-feed: ok, 2 call(s)" in summary
    assert "https://hromady.example.org/granty/konkurs-mikrograntiv/" in summary


@pytest.mark.crawl
def test_a_listing_capture_keeps_bytes_and_failures_as_served(captured):
    """The windows-1251 list is kept byte for byte with its header, and the detail page that was gone stays 404."""
    exchanges = {f"{e.host}{e.path}": e for e in load_tree(captured["vojvodina-konkursi"] / "mirror")}
    served = {f"{e.host}{e.path}": e for e in load_tree(SITE)}
    listing = "konkursi.example.rs/konkursi/"
    assert exchanges[listing].body == served[listing].body
    assert exchanges[listing].headers.get("Content-Type") == served[listing].headers.get("Content-Type")
    assert exchanges["konkursi.example.rs/konkursi/nestalo.html"].status == 404


def test_a_capture_never_mixes_with_an_older_one(tmp_path):
    folder = tmp_path / "old"
    folder.mkdir()
    (folder / "mirror").mkdir()
    config = write_config(tmp_path / "cfg", extra=SOURCES)
    result = CliRunner().invoke(cli, ["--config", str(config), "capture", "hromady-feed", "--out", str(folder)])
    assert result.exit_code != 0 and "not empty" in result.output


def test_a_recorded_post_replays_only_for_its_body(tmp_path):
    write_exchange(tmp_path, url="https://api.example.org/search?x=1", method="POST", status=200,
                   headers={"Content-Type": "application/json", "Set-Cookie": "s=1", "Content-Length": "2"},
                   body=b"{}", request_body=b'{"q": "ukraine"}')
    (exchange,) = load_tree(tmp_path)
    assert exchange.method == "POST" and exchange.body_contains == ('{"q": "ukraine"}',)
    assert exchange.headers == {"Content-Type": "application/json"}  # no session, no transfer headers
    assert exchange.matches("POST", "api.example.org", "/search", {"x": "1"}, b'{"q": "ukraine"}')
    assert not exchange.matches("POST", "api.example.org", "/search", {"x": "1"}, b'{"q": "serbia"}')
