"""One CSV writer for the feed CSV and ``grantdigest export``: no cell a spreadsheet would run."""

from __future__ import annotations

import csv
import io

import pytest

from calls.schema import Call, Status
from digest import export
from digest.csvfile import cell, write_rows

HOSTILE = ['=HYPERLINK("https://evil.example","click")', "+1+cmd|' /C calc'!A0", "-2+3", "@SUM(A1:A9)",
           "\t=1", "\r=1"]


@pytest.mark.parametrize("text", HOSTILE, ids=["equals", "plus", "minus", "at", "tab", "cr"])
def test_formula_cells_are_shown_as_text(text):
    assert cell(text) == "'" + text


def test_plain_cells_and_none_pass_unchanged_less_control_characters():
    assert cell("Javni poziv 2027") == "Javni poziv 2027" and cell(None) == "" and cell(30) == "30"
    assert cell("a\x0bb\x00c") == "abc"


def test_export_csv_guards_a_scraped_title():
    call = Call(uid="evil:1", source="evil", native_id="1", title=HOSTILE[0], url="https://evil.example/1",
                status=Status.OPEN, summary="@SUM(A1)")
    rows = list(csv.DictReader(io.StringIO(export.dumps([call], "csv"))))
    assert rows[0]["title"] == "'" + HOSTILE[0] and rows[0]["summary"] == "'@SUM(A1)"


def test_write_rows_quotes_delimiters_and_counts_rows():
    out = io.StringIO()
    assert write_rows(out, ["a", "b"], [{"a": "x;y", "b": "1"}, {"a": "z"}], delimiter=";") == 2
    assert out.getvalue() == 'a;b\r\n"x;y";1\r\nz;\r\n'


@pytest.mark.parametrize("text", [" =1+1", "\n=1+1", "＝1+1", "＠SUM(A1)", "－1+1", "＋1"],
                         ids=["space", "lf", "fullwidth-equals", "fullwidth-at", "fullwidth-minus", "fullwidth-plus"])
def test_formulas_behind_whitespace_or_in_fullwidth_are_shown_as_text(text):
    assert cell(text) == "'" + text


HOSTILE_TITLES = {  # scraped titles of the eu-ftp fixture, as an attacker would publish them
    "Twinning of climate-neutral cities with Ukrainian municipalities":
        '=HYPERLINK("https://evil.example","Twinning of climate-neutral cities")',
    "European Digital Innovation Hubs in Ukraine": "@SUM(A1:A9) European Digital Innovation Hubs in Ukraine",
    "Renewable energy communities in rural areas (IA)": "+1+cmd|' /C calc'!A0 Renewable energy communities (IA)",
}


@pytest.mark.crawl
def test_export_csv_and_every_feed_csv_hold_no_formula_from_scraped_text(replay, tmp_path):
    import json
    import shutil

    from click.testing import CliRunner
    from conftest import FIXTURES

    from digest.cli import cli
    from digest.csvfile import RISKY
    from digest.offline import crawl_fixtures, write_config

    mirror = tmp_path / "mirror"
    shutil.copytree(FIXTURES / "eu-ftp" / "mirror", mirror)
    page = mirror / "api.tech.ec.europa.eu" / "search-page1.json"
    data = json.loads(page.read_text(encoding="utf-8"))
    for result in data["results"]:
        title = result["metadata"]["title"][0]
        result["metadata"]["title"] = [HOSTILE_TITLES.get(title, title)]
    page.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    config = write_config(tmp_path, extra="[sources.eu-ftp.options]\npage_size = 5\n")
    assert crawl_fixtures(config, replay(mirror).url, "eu-ftp").returncode == 0
    runner = CliRunner()
    exported = tmp_path / "calls.csv"
    for command in (["export", "--format", "csv", "--output", str(exported)],
                    ["export", "--format", "csv", "--per-source", "--output", str(tmp_path / "per-source.csv")],
                    ["build", "--out", str(tmp_path / "site")]):
        result = runner.invoke(cli, ["--config", str(config), *command], catch_exceptions=False)
        assert result.exit_code == 0, result.output
    files = [exported, tmp_path / "per-source.csv", *sorted((tmp_path / "site" / "feeds").glob("*/calls.csv"))]
    assert len(files) > 3
    cells: list[str] = []
    for path in files:
        text = path.read_text(encoding="utf-8-sig")
        for row in csv.reader(io.StringIO(text, newline="")):
            cells += row
    risky = [c for c in cells if c.startswith(RISKY) or c.lstrip().startswith(RISKY)]
    assert risky == []
    for hostile in HOSTILE_TITLES.values():  # the scraped formulas did reach the files, as text
        assert "'" + hostile in cells, hostile
