"""``grantdigest new-source``, then the test suite: the new source's test fails, and passes once filled."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from frozen_clock import child_env

from digest.cli import cli
from digest.new_source import NewSourceError, new_source

REPO = Path(__file__).resolve().parent.parent
COPIED = ("calls", "digest", "pipelines", "spiders", "templates", "tests", "pyproject.toml", "scrapy.cfg",
          "grantdigest.toml")
FEED = """<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>News</title>
<link>https://grants.example.org/</link><description>Calls</description>
<item><title>Call for proposals: youth centres in hromadas</title><link>https://grants.example.org/calls/youth-2028</link>
<guid>https://grants.example.org/calls/youth-2028</guid><pubDate>Mon, 29 Nov 2027 09:00:00 +0000</pubDate>
<description><![CDATA[<p>Municipalities may apply. Deadline: 30 April 2028</p>]]></description></item>
</channel></rss>
"""


def checkout(tmp_path: Path) -> Path:
    root = tmp_path / "checkout"
    for name in COPIED:
        source = REPO / name
        if source.is_dir():
            shutil.copytree(source, root / name, ignore=shutil.ignore_patterns("__pycache__", ".pytest_cache"))
        else:
            root.mkdir(exist_ok=True)
            shutil.copy(source, root / name)
    return root


def suite(root: Path, slug: str) -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/test_fixtures.py", "-k", slug]
    env = {**child_env(), "GRANTDIGEST_CONFIG": str(root / "grantdigest.toml")}
    return subprocess.run(command, cwd=root, capture_output=True, text=True, timeout=600, env=env, check=False)


@pytest.mark.crawl
def test_a_new_source_comes_with_a_test_that_fails_until_its_fixture_is_filled(tmp_path):
    root = checkout(tmp_path)
    arguments = ["--config", str(root / "grantdigest.toml"), "new-source", "youth-grants", "--spider", "feed",
                 "--url", "https://grants.example.org/feed/", "--language", "en", "--timezone", "Europe/Kyiv",
                 "--root", str(root)]
    result = CliRunner().invoke(cli, arguments, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    entry = (root / "calls" / "data" / "sources" / "youth-grants.toml").read_text(encoding="utf-8")
    assert 'spider = "feed"' in entry and "verified = false" in entry
    fixture = root / "tests" / "fixtures" / "youth-grants"
    assert json.loads((fixture / "meta.json").read_text(encoding="utf-8"))["verified"] is False

    before = suite(root, "youth-grants")
    assert before.returncode == 1, before.stdout[-2000:]
    assert "tests/fixtures/youth-grants: no expected call yet" in before.stdout

    (fixture / "mirror" / "feed.xml").write_text(FEED, encoding="utf-8")
    (fixture / "mirror" / "feed.xml.meta.json").write_text(json.dumps({
        "url": "https://grants.example.org/feed/", "method": "GET", "status": 200,
        "headers": {"Content-Type": "application/rss+xml; charset=utf-8"}}), encoding="utf-8")
    (fixture / "expected.json").write_text(json.dumps([{
        "uid": "youth-grants:https://grants.example.org/calls/youth-2028",
        "title": "Call for proposals: youth centres in hromadas", "deadline": "2028-04-30",
        "applicant_types": ["local-government"]}]), encoding="utf-8")
    after = suite(root, "youth-grants")
    assert after.returncode == 0, after.stdout[-3000:]
    assert "1 passed" in after.stdout and "youth-grants" not in after.stdout.split("passed")[-1]


def test_new_source_refuses_what_it_cannot_write(tmp_path):
    with pytest.raises(NewSourceError, match="slug"):
        new_source("Youth Grants", "feed", "https://example.org/feed", root=tmp_path)
    with pytest.raises(NewSourceError, match="exists already"):
        new_source("gurt", "feed", "https://example.org/feed", root=tmp_path, known=frozenset({"gurt"}))
    with pytest.raises(NewSourceError, match="not a checkout"):
        new_source("youth-grants", "feed", "https://example.org/feed", root=tmp_path)
    with pytest.raises(NewSourceError, match="time zone"):
        new_source("youth-grants", "feed", "https://example.org/feed", timezone="Kyiv", root=tmp_path)
