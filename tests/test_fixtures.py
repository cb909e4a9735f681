"""Every source comes with its test: ``tests/fixtures/<slug>/`` replayed through the real engine and compared.

A folder holds ``mirror/`` (the source's pages, recorded or written in their real shape), ``expected.json``
(the calls the source must yield, normalised as the store keeps them: a list of ``{"uid": …, field: value}``,
``deadline`` and ``deadline_raw`` being the first deadline as published) and ``meta.json`` (what the fixture
is, and ``config``: TOML the crawl needs beside the catalogue, e.g. a page size). ``grantdigest new-source``
writes the three for a new source; this test fails for that source until its mirror and expected calls are
filled in. One crawl of every source through Scrapy's downloader and the pipelines, then one comparison each.
"""

from __future__ import annotations

import json

import pytest
from conftest import FIXTURES, field_value, load_expected

from calls.config import load_config
from calls.store import Store
from digest.offline import crawl_fixtures, write_config
from digest.replay import ReplayServer

SOURCES = sorted(slug for slug, source in load_config().sources.items() if source.spider != "manual")
"""Every source with pages to fetch (the editor's own file, ``manual``, has tests/test_manual.py)."""
FOLDERS = sorted(p.name for p in FIXTURES.iterdir() if (p / "expected.json").is_file() and p.name in SOURCES)


def meta(slug: str) -> dict:
    path = FIXTURES / slug / "meta.json"
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}


@pytest.fixture(scope="module")
def stored(tmp_path_factory):
    """Every fixture folder crawled at once; the store's calls by source."""
    folder = tmp_path_factory.mktemp("fixtures")
    extra = "\n".join(meta(slug).get("config", "") for slug in FOLDERS)
    config = write_config(folder, extra=extra)
    server = ReplayServer(*(FIXTURES / slug / "mirror" for slug in FOLDERS)).start()
    try:
        result = crawl_fixtures(config, server.url, *FOLDERS, timeout=600)
    finally:
        server.stop()
    assert result.returncode == 0, result.log[-3000:]
    store = Store.open(load_config(config).database_url)
    yield {slug: {call.uid: call for call in store.iter_calls(source=slug)} for slug in FOLDERS}
    store.close()


def test_every_source_in_the_catalogue_has_its_fixture():
    assert [slug for slug in SOURCES if slug not in FOLDERS] == []


@pytest.mark.crawl
@pytest.mark.parametrize("slug", FOLDERS)
def test_the_fixture_replays_as_expected(stored, slug):
    expected = load_expected(FIXTURES / slug / "expected.json")
    assert expected, (f"tests/fixtures/{slug}: no expected call yet — record the source's pages into mirror/ and "
                      f"write the calls they hold into expected.json ({meta(slug).get('todo', 'see meta.json')})")
    got = stored[slug]
    assert sorted(got) == sorted(row["uid"] for row in expected)
    for row in expected:
        for field, value in row.items():
            if field != "uid":
                assert field_value(got[row["uid"]], field) == value, (row["uid"], field)


SHARED = FIXTURES.parents[2] / "shared"
"""``../shared/`` beside the clone, where the evidence notes live (absent on a bare checkout)."""


def test_every_source_names_the_evidence_it_rests_on():
    """A catalogue entry says which capture note or sample its URLs and selectors come from."""
    config = load_config()
    assert [slug for slug in SOURCES if not config.sources[slug].evidence.startswith(("captures/", "samples/"))] == []


@pytest.mark.skipif(not SHARED.is_dir(), reason="../shared/ (captures and samples) is not beside the clone")
def test_every_named_evidence_exists():
    config = load_config()
    missing = {slug: config.sources[slug].evidence for slug in SOURCES
               if not (SHARED / config.sources[slug].evidence).exists()}
    assert missing == {}
