"""Bounds at the boundary: one misread value costs a field, never the call, its neighbours or the build.

A feed whose items carry an amount of 10^28, a title of a million characters and a deadline in the year
9999 is crawled through the real engine beside an ordinary item; every item is stored, each absurd value is
dropped or cut with a count, and the site and feeds still build.
"""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from click.testing import CliRunner
from pydantic import ValidationError

from calls.config import load_config
from calls.schema import TITLE_MAX, Call, Deadline, salvage
from calls.store import Store
from digest.cli import cli
from digest.offline import crawl_fixtures, write_config
from digest.replay import ReplayServer, exchange

FEED = """
[sources.odd-feed]
spider = "feed"
language = "en"
timezone = "Europe/Brussels"
[sources.odd-feed.options]
urls = ["https://odd.example.org/feed/"]
"""


def item(n: int, title: str, text: str) -> str:
    return (f"<item><title>{title}</title><link>https://odd.example.org/call/{n}</link><guid>odd-{n}</guid>"
            f"<description>{text}</description></item>")


RSS = ('<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Odd</title>'
       "<link>https://odd.example.org/</link><description>x</description>"
       + item(1, "Call for proposals: municipal energy", "Deadline: 30 April 2027. Total budget: EUR 2 million.")
       + item(2, "Call for proposals: water", "Deadline: 30 April 2027. Total budget: EUR 1" + "0" * 28 + ".")
       + item(3, "Call for proposals: " + "long " * 200_000, "Deadline: 30 April 2027.")
       + item(4, "Call for proposals: roads", "Deadline: 31 December 9999.")
       + "</channel></rss>")


@pytest.fixture(scope="module")
def crawled(tmp_path_factory):
    folder = tmp_path_factory.mktemp("bounds")
    config = write_config(folder, extra=FEED)
    with ReplayServer(exchanges=[exchange("https://odd.example.org/feed/", RSS,
                                          headers={"Content-Type": "application/rss+xml"})]) as server:
        result = crawl_fixtures(config, server.url, "odd-feed", timeout=300)
    assert result.returncode == 0, result.log[-3000:]
    store = Store.open(load_config(config).database_url)
    calls = {c.native_id.rsplit("/", 1)[-1]: c for c in store.iter_calls(source="odd-feed")}
    yield config, calls, store.last_runs()["odd-feed"]
    store.close()


@pytest.mark.crawl
def test_every_item_is_stored_with_its_absurd_values_dropped_or_cut(crawled):
    _, calls, run = crawled
    assert sorted(calls) == ["odd-1", "odd-2", "odd-3", "odd-4"]
    assert calls["odd-1"].budget == Decimal(2_000_000)
    assert calls["odd-2"].budget is None and calls["odd-2"].budget_raw  # dropped, the text kept
    assert run.stats.get("grantdigest/field_dropped/budget") == 1
    assert len(calls["odd-3"].title) <= TITLE_MAX and calls["odd-3"].title.endswith("…")
    (far,) = calls["odd-4"].deadlines or [Deadline(raw="")]
    assert far.at is None and far.day is None and far.raw.startswith("31 December")  # text kept, no date
    assert run.items == 4


@pytest.mark.crawl
def test_the_site_and_feeds_still_build(crawled, tmp_path):
    config, _, _ = crawled
    result = CliRunner().invoke(cli, ["--config", str(config), "build", "--out", str(tmp_path / "site")])
    assert result.exit_code == 0, result.output
    pages = "".join(p.read_text(encoding="utf-8") for p in (tmp_path / "site").rglob("*.html"))
    assert "Call for proposals: water" in pages and "Call for proposals: municipal energy" in pages


@pytest.mark.parametrize(("field", "value"), [
    ("budget", Decimal(10) ** 28), ("budget", Decimal(-5)), ("grant_max", Decimal("NaN")),
    ("grant_min", Decimal("Infinity")),
])
def test_an_amount_out_of_bounds_is_dropped_not_the_call(field, value):
    fields = {"uid": "x:1", "source": "x", "native_id": "1", "title": "A call", "url": "https://x.example/1",
              field: value, "budget_raw": "as published"}
    call, dropped = salvage(fields)
    assert dropped == [field] and getattr(call, field) is None and call.budget_raw == "as published"


def test_a_call_without_its_required_fields_is_still_refused():
    with pytest.raises(ValidationError):
        salvage({"uid": "x:1", "source": "x", "native_id": "1", "url": "https://x.example/1", "budget": -1})


def test_a_document_stored_before_the_bounds_stays_readable():
    legacy = json.dumps({"uid": "x:1", "source": "x", "native_id": "1", "title": "A call",
                         "url": "https://x.example/1", "budget": "1E+28", "opens_at": "9999-01-01T00:00:00+00:00"})
    call = Call.from_json_salvaging(legacy)
    assert (call.title, call.budget, call.opens_at) == ("A call", None, None)


WP = """
[sources.odd-wp]
spider = "wordpress"
language = "en"
timezone = "Europe/Brussels"
[sources.odd-wp.options]
base = "https://wp.example.org"
max_pages = 1
"""
POSTS = json.dumps([
    None,
    {"id": "7", "link": ["not", "a", "link"], "title": {"rendered": 5}},
    {"id": 8, "link": "https://wp.example.org/call-8/", "date_gmt": "2026-11-20T10:00:00",
     "title": {"rendered": "Call for proposals: rural schools"},
     "content": {"rendered": "<p>Call for proposals. Deadline: 30 April 2027.</p>"}},
])


@pytest.mark.crawl
def test_a_malformed_record_costs_only_itself(tmp_path):
    """A null post and a post with a list for its link beside a valid one: the valid one is stored."""
    config = write_config(tmp_path, extra=WP)
    with ReplayServer(exchanges=[exchange("https://wp.example.org/wp-json/wp/v2/posts", POSTS,
                                          headers={"Content-Type": "application/json"})]) as server:
        result = crawl_fixtures(config, server.url, "odd-wp", timeout=300)
    assert result.returncode == 0, result.log[-3000:]
    store = Store.open(load_config(config).database_url)
    stored = [c.url for c in store.iter_calls(source="odd-wp")]
    run = store.last_runs()["odd-wp"]
    store.close()
    assert stored == ["https://wp.example.org/call-8/"]
    assert run.stats["grantdigest/records_dropped"] == 2
    assert "a record at https://wp.example.org/wp-json/wp/v2/posts" in run.reason and run.outcome.value == "degraded"


def test_a_deadline_in_an_implausible_year_keeps_its_text_but_no_date():
    from datetime import UTC, date, datetime

    far = Deadline(at=datetime(9999, 12, 31, 23, 0, tzinfo=UTC), day=date(9999, 12, 31), zone="UTC",
                   raw="31 December 9999")
    assert (far.at, far.day, far.raw) == (None, None, "31 December 9999")
