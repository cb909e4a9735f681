"""The grantdigest command, tested in-process (and `scrapy list` from the repository root)."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner
from conftest import FIXTURES

from calls import deadlines
from calls.config import load_config
from calls.schema import Call, Status
from calls.store import Store
from digest.cli import cli
from digest.export import CSV_COLUMNS
from digest.offline import write_config

REPO = Path(__file__).resolve().parents[1]
KYIV = ZoneInfo("Europe/Kyiv")


@pytest.fixture
def config(tmp_path):
    path = write_config(tmp_path)
    store = Store.open(load_config(path).database_url)
    store.upsert_many([
        Call(uid="gurt:1", source="gurt", native_id="1", title="Конкурс для громад «Відновлення»", url="https://gurt.org.ua/news/grants/1/",
             language="uk", status=Status.OPEN,
             deadlines=[deadlines.on_day(date(2026, 12, 15), KYIV, "до 15 грудня 2026 року")],
             grant_max=Decimal("500000"), currency="UAH", applicant_types=["local-government", "ngo"]),
        Call(uid="mei:7", source="mei", native_id="7", title="Јавни позив, рок: 15. децембар 2026.", url="https://www.mei.gov.rs/7",
             language="sr-Cyrl", summary='Quote " and, comma\nnew line'),
    ], datetime(2026, 11, 20, tzinfo=UTC))
    classified = CliRunner().invoke(cli, ["--config", str(path), "classify"], catch_exceptions=False)
    assert "2 calls → 2 merged (0 withdrawn), 18 classifications" in classified.output
    return path


def invoke(*args):
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    return result


def test_export_json(config):
    result = invoke("--config", str(config), "export", "--format", "json")
    docs = json.loads(result.output)
    assert [d["uid"] for d in docs] == ["gurt:1", "mei:7"]
    assert docs[0]["deadlines"][0] == {"at": "2026-12-15T23:59:59+02:00", "raw": "до 15 грудня 2026 року",
                                       "label": None, "day": "2026-12-15", "clock": None, "zone": "Europe/Kyiv"}
    assert docs[0]["grant_max"] == "500000"


def test_export_carries_every_region_with_reasons(config):
    docs = json.loads(invoke("--config", str(config), "export").output)
    regions = {c["region"] for c in docs[0]["classifications"]}
    assert {"vojvodina", "lviv", "volyn", "zakarpattia", "odesa"} <= regions
    assert all(c["reasons"] for doc in docs for c in doc["classifications"])
    assert all(0 <= c["score"] <= 100 for doc in docs for c in doc["classifications"])


def test_classify_prints_tiers_per_region(config):
    output = invoke("--config", str(config), "classify").output
    header = next(line for line in output.splitlines() if line.startswith("region"))
    assert header.split() == ["region", "top", "relevant", "low", "not", "eligible"]
    assert any(line.startswith("vojvodina") for line in output.splitlines())


def test_export_jsonl_per_source_round_trips_to_the_schema(config):
    lines = invoke("--config", str(config), "export", "--format", "jsonl", "--per-source").output.splitlines()
    assert [Call.from_json(line).uid for line in lines] == ["gurt:1", "mei:7"]


def test_export_csv(config, tmp_path):
    out = tmp_path / "calls.csv"
    result = invoke("--config", str(config), "export", "--format", "csv", "-o", str(out))
    assert "2 calls written" in result.output
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8"))))
    assert list(rows[0]) == CSV_COLUMNS
    assert rows[0]["next_deadline"] == "2026-12-15"  # a date, as published
    assert rows[0]["applicant_types"] == "local-government; ngo"
    assert rows[1]["summary"] == 'Quote " and, comma\nnew line'
    assert rows[1]["title"] == "Јавни позив, рок: 15. децембар 2026."
    assert "lviv: " in rows[0]["regions"] and rows[0]["sources"] == "https://gurt.org.ua/news/grants/1/"


def test_export_by_source(config):
    docs = json.loads(invoke("--config", str(config), "export", "--source", "mei").output)
    assert [d["uid"] for d in docs] == ["mei:7"]


def test_sources_before_any_run(config):
    output = invoke("--config", str(config), "sources").output
    header, *rows = output.splitlines()
    assert header.split()[:3] == ["source", "enabled", "verified"]
    assert any(row.startswith("eu-ftp") and "never" in row for row in rows)


def test_bad_config_is_a_clear_error(tmp_path):
    bad = tmp_path / "g.toml"
    bad.write_text("[[[", encoding="utf-8")
    result = CliRunner().invoke(cli, ["--config", str(bad), "sources"])
    assert result.exit_code != 0 and "not valid TOML" in result.output


@pytest.mark.crawl
def test_crawl_command_through_the_mirror(replay, tmp_path):
    config = write_config(tmp_path, extra="[sources.eu-ftp.options]\npage_size = 5\n")
    server = replay(FIXTURES / "eu-ftp" / "mirror")
    result = subprocess.run(
        [sys.executable, "-m", "digest.cli", "--config", str(config), "--mirror", server.url, "crawl", "eu-ftp"],
        capture_output=True, text=True, timeout=120, check=False,
    )
    assert result.returncode == 0, result.stderr
    assert any(line.split()[:3] == ["eu-ftp", "ok", "6"] for line in result.stdout.splitlines()), result.stdout


def test_scrapy_list_from_the_repository_root():
    result = subprocess.run([sys.executable, "-m", "scrapy", "list"], cwd=REPO, capture_output=True, text=True,
                            timeout=60, check=False)
    assert result.returncode == 0, result.stderr
    assert "eu-ftp" in result.stdout.split()


def test_unknown_slug_is_refused(tmp_path):
    config = write_config(tmp_path)
    result = subprocess.run([sys.executable, "-m", "spiders.crawl", "--config", str(config), "nope"],
                            capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 2 and "unknown source(s): nope" in result.stderr


def test_schedule_command_stops_cleanly_on_sigterm(tmp_path):
    import signal
    import time

    config = write_config(tmp_path,
                          extra='[schedule]\ntimezone = "Europe/Kyiv"\ncrawl = "0 6 * * *"\ndigest = "0 7 * * mon"\n')
    child = subprocess.Popen([sys.executable, "-m", "digest.cli", "--config", str(config), "schedule"],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 30
        store = Store.open(load_config(config).database_url)
        while time.monotonic() < deadline:  # the daemon is up once its jobs are in the store
            with store.engine.connect() as conn:
                if conn.dialect.has_table(conn, "apscheduler_jobs"):
                    break
            time.sleep(0.2)
        child.send_signal(signal.SIGTERM)
        out, err = child.communicate(timeout=20)
    finally:
        if child.poll() is None:
            child.kill()
    assert child.returncode == 0, err[-2000:]
    assert "Traceback" not in err
