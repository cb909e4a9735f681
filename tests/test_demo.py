"""``grantdigest demo``: the whole product offline, from the bundled snapshot, into one folder."""

from __future__ import annotations

import email
import json
import os
import subprocess
import sys
from datetime import timedelta
from email import policy
from pathlib import Path

import frozen_clock
import pytest
from conftest import FIXTURES

from calls.config import load_config
from calls.store import Outcome, Store
from digest.demo import CRAWLED_AT, DEMO_SOURCES, MARKER, DemoError, mirror_trees, prepare

OFFLINE = {
    # Anything that is not the demo's own 127.0.0.1 mirror would go to a proxy that refuses: the demo needs no network.
    "http_proxy": "http://127.0.0.1:9", "https_proxy": "http://127.0.0.1:9",
    "HTTP_PROXY": "http://127.0.0.1:9", "HTTPS_PROXY": "http://127.0.0.1:9", "no_proxy": "127.0.0.1,localhost",
}


def run_demo(cwd: Path, *args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items()
           if k not in ("GRANTDIGEST_CONFIG", "GRANTDIGEST_MIRROR", "GRANTDIGEST_DATABASE_URL")}
    return subprocess.run([sys.executable, "-m", "digest.cli", "demo", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=240, check=False, env=frozen_clock.child_env(env, **OFFLINE))


def plain_text(path: Path) -> str:
    with path.open("rb") as f:
        return email.message_from_binary_file(f, policy=policy.default).get_body(("plain",)).get_content()


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """One demo run in a folder that also holds a user's config pointing at a database the demo must not touch."""
    home = tmp_path_factory.mktemp("home")
    (home / "grantdigest.toml").write_text('[database]\nurl = "sqlite:///user.db"\n', encoding="utf-8")
    result = run_demo(home, "--out", "tmp")
    return home, home / "tmp", result


@pytest.mark.crawl
def test_demo_exits_0_offline_and_says_where_to_look(demo):
    home, out, result = demo
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    index = out / "site" / "index.html"
    assert f"site:           {index.as_uri()}" in result.stdout
    assert f"feeds:          {out / 'site' / 'feeds'}" in result.stdout
    assert f"email previews: {out / 'email-preview'}" in result.stdout
    assert not (home / "user.db").exists(), "the demo opened the user's database"
    assert (out / "demo.db").exists() and (out / MARKER).exists()


@pytest.mark.crawl
def test_demo_crawled_every_bundled_source(demo):
    _, out, result = demo
    store = Store.open(load_config(out / "grantdigest.toml").database_url)
    try:
        runs = store.last_runs()
        assert set(runs) == set(DEMO_SOURCES)
        clean = {slug: run.outcome for slug, run in runs.items() if slug != "grants-gov"}
        assert set(clean.values()) == {Outcome.OK}, {s: runs[s].reason for s in clean}
        # grants-gov's recorded snapshot holds one HTTP 500: reported, and the other sources still go out.
        assert runs["grants-gov"].outcome == Outcome.DEGRADED and "HTTP 500" in runs["grants-gov"].reason
        starts = sorted(run.started_at for run in runs.values())  # dated as recorded, not today
        assert starts[0] == CRAWLED_AT and starts[-1] - CRAWLED_AT < timedelta(minutes=2), starts
        assert store.count_calls() >= 15
    finally:
        store.close()
    assert ("grants-gov: degraded — 2 call(s) found, but HTTP 500 at https://api.grants.gov/v1/api/fetchOpportunity"
            in result.stdout)


@pytest.mark.crawl
def test_demo_site_feeds_and_emails_hold_ukrainian_and_serbian_calls(demo):
    _, out, _ = demo
    site = out / "site"
    assert "Відкритий конкурс «Культурні ініціативи" in (site / "uk" / "index.html").read_text(encoding="utf-8") + \
        "".join(p.read_text(encoding="utf-8") for p in (site / "uk" / "calls").rglob("*.html"))
    status = (site / "en" / "status.html").read_text(encoding="utf-8")
    assert "grants-gov" in status and "state-degraded" in status
    lviv = json.loads((site / "feeds" / "lviv" / "feed.json").read_text(encoding="utf-8"))
    vojvodina = json.loads((site / "feeds" / "vojvodina" / "feed.json").read_text(encoding="utf-8"))
    assert any("Громади відновлення" in item["title"] for item in lviv["items"])
    assert any("Конкурс за суфинансирање" in item["title"] for item in vojvodina["items"])

    previews = out / "email-preview"
    lviv_uk = plain_text(previews / "2026-W48-lviv-uk.eml")
    assert "Огляд грантів: Львівська область" in lviv_uk
    assert "U.S. Embassy Kyiv Public Diplomacy Small Grants" in lviv_uk  # a US mission's call, from Grants.gov
    assert "grants-gov" in lviv_uk  # the notice about the degraded source
    vojvodina_cyrl = plain_text(previews / "2026-W48-vojvodina-sr-Cyrl.eml")
    assert ("Аутономна Покрајина Војводина" in vojvodina_cyrl
            and "Otvoren poziv za projekte prekogranične" in vojvodina_cyrl)
    # interreg.eu's index: Hungary–Serbia's call reaches Vojvodina, not Lviv (its NUTS list is HU and RS12)
    assert "Interreg IPA Hungary-Serbia: third call" in vojvodina_cyrl and "Hungary-Serbia: third" not in lviv_uk
    assert (previews / "2026-W48-vojvodina-sr-Latn.html").exists()


@pytest.mark.crawl
def test_demo_runs_again_into_its_own_folder_and_refuses_a_foreign_one(demo, tmp_path):
    home, out, _ = demo
    again = run_demo(home, "--out", "tmp")
    assert again.returncode == 0, again.stderr[-3000:]
    store = Store.open(load_config(out / "grantdigest.toml").database_url)
    try:
        assert len(store.runs()) == len(DEMO_SOURCES)  # a fresh scratch history, not a second crawl on top
    finally:
        store.close()
    foreign = tmp_path / "photos"
    foreign.mkdir()
    (foreign / "holiday.jpg").write_bytes(b"\xff\xd8")
    refused = run_demo(tmp_path, "--out", str(foreign))
    assert refused.returncode == 1 and "was not made by grantdigest demo" in refused.stderr
    assert sorted(p.name for p in foreign.iterdir()) == ["holiday.jpg"]


def test_prepare_refuses_a_file(tmp_path):
    target = tmp_path / "out"
    target.write_text("x", encoding="utf-8")
    with pytest.raises(DemoError, match="is a file"):
        prepare(target)


def test_prepare_writes_a_config_with_only_the_demo_sources(tmp_path):
    layout = prepare(tmp_path / "demo")
    config = load_config(layout.config)
    assert sorted(s.slug for s in config.enabled_sources()) == sorted(DEMO_SOURCES)
    assert config.database_url == f"sqlite:///{layout.database}"


def test_the_demo_replays_the_sources_own_fixtures_not_a_copy():
    """The demo's snapshot is each demo source's tests/fixtures/<slug>/mirror, the pages its own test replays."""
    trees = mirror_trees()
    assert [t.parent.name for t in trees] == list(DEMO_SOURCES)
    for tree in trees:
        assert tree == (FIXTURES / tree.parent.name / "mirror").resolve()
        assert (tree.parent / "expected.json").is_file() and any(tree.rglob("*.meta.json")), tree
