"""Calls added by hand: through the same pipelines, beside crawled calls, never overwritten, withdrawable."""

from __future__ import annotations

import json
import shutil
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner
from conftest import FIXTURES

from calls.config import load_config
from calls.store import Outcome, Store
from digest.cli import cli
from digest.offline import crawl_fixtures, write_config

KYIV = ZoneInfo("Europe/Kyiv")


@pytest.fixture
def config(tmp_path):
    shutil.copy(FIXTURES / "manual" / "manual-calls.toml", tmp_path / "manual-calls.toml")
    return write_config(tmp_path, extra=(
        '[sources.manual]\nenabled = true\n[sources.manual.options]\nfile = "manual-calls.toml"\n'
        "[sources.eu-ftp.options]\npage_size = 5\n"
    ))


def exported(config) -> dict:
    result = CliRunner().invoke(cli, ["--config", str(config), "export", "--format", "json"])
    return {c["uid"]: c for c in json.loads(result.output)}


@pytest.mark.crawl
def test_manual_calls_beside_crawled_ones_survive_recrawl_and_withdraw(replay, config):
    server = replay(FIXTURES / "eu-ftp" / "mirror")
    assert crawl_fixtures(config, server.url, "eu-ftp", "manual").returncode == 0
    calls = exported(config)
    assert "eu-ftp:HORIZON-CL5-2027-D3-01" in calls
    energy = calls["manual:loda-energy-2026"]
    assert energy["deadlines"][0]["at"] == datetime(2026, 12, 20, 18, 0, tzinfo=KYIV).isoformat()
    assert energy["budget"] == "5000000" and energy["currency"] == "UAH" and energy["language"] == "uk"
    serbian = calls["manual:vojvodina-sufinansiranje-2027"]
    assert serbian["deadlines"][0]["at"] == "2027-01-31T23:59:59+01:00"
    assert serbian["language"] == "sr-Latn"
    assert "manual:withdrawn-duplicate" not in calls  # withdrawn: gone from outputs
    assert "manual:broken-entry" not in calls  # logged and skipped, the others kept

    store = Store.open(load_config(config).database_url)
    run = store.last_runs()["manual"]
    assert run.items == 3 and run.stats["manual/invalid_entry"] == 1 and run.outcome == Outcome.DEGRADED

    # A re-crawl of the portal leaves the editor's calls alone.
    assert crawl_fixtures(config, server.url, "eu-ftp").returncode == 0
    again = exported(config)
    assert again["manual:loda-energy-2026"] == energy


def test_withdrawn_calls_are_still_exportable_on_request(config, replay):
    server = replay(FIXTURES / "eu-ftp" / "mirror")
    crawl_fixtures(config, server.url, "manual")
    result = CliRunner().invoke(cli, ["--config", str(config), "export", "--include-withdrawn"])
    assert "manual:withdrawn-duplicate" in {c["uid"] for c in json.loads(result.output)}


def test_manual_source_is_off_until_configured(tmp_path):
    assert not load_config(write_config(tmp_path)).source("manual").enabled


@pytest.mark.crawl
def test_manual_entries_correct_and_withdraw_crawled_calls(replay, tmp_path):
    (tmp_path / "manual-calls.toml").write_text('''
[[calls]]
id = "edih-deadline-fix"
call_id = "DIGITAL-2027-EDIH-UA-01"
title = "European Digital Innovation Hubs in Ukraine"
url = "https://ec.europa.eu/info/funding-tenders/opportunities/portal/screen/opportunities/topic-details/DIGITAL-2027-EDIH-UA-01"
language = "en"
deadline = 2027-04-01T17:00:00+02:00
summary = "Deadline corrected by the editor after the info day."

[[calls]]
id = "hide-cascade"
call_id = "HORIZON-CL5-2027-D3-01"
title = "Renewable energy communities in rural areas (IA)"
url = "https://ec.europa.eu/info/funding-tenders/opportunities/portal/screen/opportunities/topic-details/HORIZON-CL5-2027-D3-01"
status = "withdrawn"
''', encoding="utf-8")
    config = write_config(tmp_path, extra=(
        '[sources.manual]\nenabled = true\n[sources.manual.options]\nfile = "manual-calls.toml"\n'
        "[sources.eu-ftp.options]\npage_size = 5\n"
    ))
    server = replay(FIXTURES / "eu-ftp" / "mirror")
    assert crawl_fixtures(config, server.url, "eu-ftp", "manual").returncode == 0
    calls = exported(config)
    by_call_id = {c["call_id"]: c for c in calls.values()}
    corrected = by_call_id["DIGITAL-2027-EDIH-UA-01"]
    assert corrected["deadlines"][0]["at"] == "2027-04-01T17:00:00+02:00"  # the editor's value wins
    assert corrected["summary"] == "Deadline corrected by the editor after the info day."
    assert corrected["budget"] == "6000000"  # what the editor did not say still comes from the portal
    assert {p["source"] for p in corrected["provenance"]} == {"manual", "eu-ftp"}
    # a correction keeps the crawled call's identity (feed ids, editor controls)
    assert corrected["uid"].startswith("eu-ftp:")
    assert "HORIZON-CL5-2027-D3-01" not in by_call_id  # withdrawn with its crawled twin
    assert len(calls) == 5  # the portal's six calls less the withdrawn one; both manual entries merged into their twins
