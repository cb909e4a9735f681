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
