"""Interreg programme sources: config entries on the generic spiders, parsed from real-shaped fixtures."""

from __future__ import annotations

import pytest
from conftest import FIXTURES, crawl_offline, field_value, load_expected

from calls.config import load_config
from calls.store import Outcome, Store
from digest.offline import crawl_fixtures, write_config

PROGRAMMES = [
    "interreg-next-pl-ua", "interreg-next-huskroua", "interreg-next-ro-ua", "interreg-next-bsb", "interreg-danube",
    "interreg-ipa-husrb", "interreg-ipa-rors", "interreg-ipa-hrrs",
]
"""interreg.eu's call index is a code spider with its own tests (tests/test_interreg_eu.py)."""
CASES = [(slug, row) for slug in PROGRAMMES for row in load_expected(FIXTURES / slug / "expected.json")]


@pytest.fixture(scope="module")
def parsed():
    return {slug: {c.uid: c for c in crawl_offline(slug)} for slug in PROGRAMMES}


def test_every_programme_of_regions_md_has_a_source():
    sources = load_config().sources
    assert set(PROGRAMMES) <= set(sources)
    assert all(sources[s].spider in ("feed", "wordpress", "listing") for s in PROGRAMMES)


@pytest.mark.parametrize("slug", PROGRAMMES)
def test_only_call_announcements_become_calls(parsed, slug):
    expected = {row["uid"] for row in load_expected(FIXTURES / slug / "expected.json")}
    assert set(parsed[slug]) == expected


@pytest.mark.parametrize(
    ("slug", "row"), CASES, ids=[row["uid"].split(":", 1)[1][-40:] for _, row in CASES]
)
def test_fields(parsed, slug, row):
    call = parsed[slug][row["uid"]]
    for field, value in row.items():
        if field != "uid":
            assert field_value(call, field) == value, field


@pytest.mark.parametrize("slug", PROGRAMMES)
def test_every_call_keeps_raw_deadline_text(parsed, slug):
    for call in parsed[slug].values():
        assert call.deadlines, call.uid
        for deadline in call.deadlines:
            assert deadline.raw.strip(), call.uid
            assert deadline.raw in call.summary, (call.uid, deadline.raw)


def test_deadline_extension_takes_the_new_date(parsed):
    call = next(iter(parsed["interreg-danube"].values()))
    assert [d.at.date().isoformat() for d in call.deadlines] == ["2027-04-03"]


@pytest.mark.crawl
def test_all_programmes_through_the_engine(replay, tmp_path):
    config = write_config(tmp_path)
    server = replay(*(FIXTURES / slug / "mirror" for slug in PROGRAMMES))
    result = crawl_fixtures(config, server.url, *PROGRAMMES)
    assert result.returncode == 0, result.log[-3000:]
    store = Store.open(load_config(config).database_url)
    runs = store.last_runs()
    for slug in PROGRAMMES:
        expected = {row["uid"] for row in load_expected(FIXTURES / slug / "expected.json")}
        assert {c.uid for c in store.iter_calls(source=slug)} == expected, slug
        assert runs[slug].outcome == Outcome.OK, (slug, runs[slug].reason)
