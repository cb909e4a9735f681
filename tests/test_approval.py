"""Approvals: stored per (week, region) or for every region, listed, and required by ``grantdigest email --send``."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from click.testing import CliRunner

from calls.store import Store
from digest.approval import Approval, approvals, approve, is_approved
from digest.cli import cli
from digest.offline import write_config
from digest.select import WeekError

AT = datetime(2026, 11, 23, 9, 30, tzinfo=UTC)


@pytest.fixture
def store(tmp_path):
    store = Store.open(f"sqlite:///{tmp_path / 'db.sqlite'}")
    yield store
    store.close()


def test_approve_a_region_and_all(store):
    assert not is_approved(store, "2026-W48", "lviv")
    done = approve(store, "2026-W48", "lviv", by="Olena", note="checked the preview", at=AT)
    assert done == Approval("2026-W48", "lviv", "Olena", AT, "checked the preview")
    assert is_approved(store, "2026-W48", "lviv")
    assert not is_approved(store, "2026-W48", "vojvodina")
    assert not is_approved(store, "2026-W49", "lviv")
    approve(store, "2026-W49", by="Milica", at=AT)
    assert is_approved(store, "2026-W49", "vojvodina") and is_approved(store, "2026-W49", "lviv")
    assert approvals(store) == [Approval("2026-W49", "*", "Milica", AT, None), done]
    assert approvals(store, "2026-W48") == [done]


def test_approving_again_replaces_the_row(store):
    approve(store, "2026-W48", "lviv", by="Olena", at=AT)
    later = datetime(2026, 11, 23, 11, 0, tzinfo=UTC)
    approve(store, "2026-W48", "lviv", by="Ivan", note="re-checked", at=later)
    assert approvals(store) == [Approval("2026-W48", "lviv", "Ivan", later, "re-checked")]


@pytest.mark.parametrize(("week", "region", "by", "error"), [
    ("2026-48", "lviv", "Olena", WeekError),
    ("2026-W60", "lviv", "Olena", WeekError),
    ("2026-W48", "lviv", " ", ValueError),
    ("2026-W48", "", "Olena", ValueError),
])
def test_bad_approvals_are_refused(store, week, region, by, error):
    with pytest.raises(error):
        approve(store, week, region, by=by)
    assert approvals(store) == []


def test_approve_command(tmp_path, monkeypatch):
    config = write_config(tmp_path)
    runner = CliRunner()
    result = runner.invoke(cli, ["--config", str(config), "approve", "--week", "2026-W48", "--region", "lviv",
                                 "--by", "Olena", "--note", "ok"])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "2026-W48 approved for lviv by Olena"
    monkeypatch.setenv("USER", "editor")
    result = runner.invoke(cli, ["--config", str(config), "approve", "--week", "2026-W49"])
    assert result.exit_code == 0 and "2026-W49 approved for every region by editor" in result.output
    listed = runner.invoke(cli, ["--config", str(config), "approve", "--list"])
    assert listed.exit_code == 0
    lines = listed.output.splitlines()
    assert lines[0].split() == ["week", "region", "approved", "by", "at", "(UTC)", "note"]
    assert lines[1].split()[:3] == ["2026-W49", "*", "editor"] and lines[2].split()[:3] == ["2026-W48", "lviv", "Olena"]
    assert lines[2].endswith("ok")
    only = runner.invoke(cli, ["--config", str(config), "approve", "--list", "--week", "2026-W48"])
    assert len(only.output.splitlines()) == 2
    bad = runner.invoke(cli, ["--config", str(config), "approve", "--region", "lvov", "--by", "x"])
    assert bad.exit_code == 2 and "unknown region 'lvov'" in bad.output
    bad = runner.invoke(cli, ["--config", str(config), "approve", "--week", "W48", "--by", "x"])
    assert bad.exit_code == 2 and "not an ISO week" in bad.output


def test_approve_defaults_to_this_week(tmp_path):
    config = write_config(tmp_path)
    result = CliRunner().invoke(cli, ["--config", str(config), "approve", "--region", "vojvodina", "--by", "Milica"])
    assert result.exit_code == 0, result.output
    now = datetime.now(UTC)
    from digest.select import iso_week
    assert result.output.startswith(iso_week(now, "Europe/Belgrade"))
