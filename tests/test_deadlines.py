"""A deadline is shown as the publisher gave it (calls.deadlines decides, digest.deadlines says it).

A date-only deadline is a date in every output and zone; a timed one is the publisher's
clock with its zone named, the reader's clock beside it when different; one days-left count.
"""

from __future__ import annotations

import email
import json
from datetime import UTC, date, datetime, time
from email import policy
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner
from pydantic import ValidationError

from calls import deadlines
from calls.extract import find_deadlines, parse_deadline
from calls.schema import Deadline
from digest.cli import cli
from digest.deadlines import days_left_text, say

BRUSSELS, KYIV, BELGRADE, NEW_YORK = (ZoneInfo(z) for z in ("Europe/Brussels", "Europe/Kyiv", "Europe/Belgrade",
                                                            "America/New_York"))
LANGS = ("en", "uk", "sr-Latn", "sr-Cyrl")
APRIL_30 = {
    "en": "30 April 2028", "uk": "30 квітня 2028\u202fр.", "sr-Latn": "30. april 2028.", "sr-Cyrl": "30. април 2028."
}
MAY_1 = {"en": "1 May 2028", "uk": "1 травня 2028", "sr-Latn": "1. maj 2028", "sr-Cyrl": "1. мај 2028"}


# -- the policy -----------------------------------------------------------------------------------

def test_a_date_only_deadline_is_its_day_ending_in_the_publishers_zone():
    deadline = deadlines.on_day(date(2028, 4, 30), "Europe/Brussels", "30 April 2028")
    assert deadlines.is_date_only(deadline) and deadlines.day_of(deadline) == date(2028, 4, 30)
    assert deadline.at == datetime(2028, 4, 30, 23, 59, 59, tzinfo=BRUSSELS)  # sorts and counts down as the day's end
    assert deadlines.iso(deadline) == "2028-04-30" and deadlines.calendar_start(deadline) == date(2028, 4, 30)
    # the EU portal's documented rule: a date ends at 17:00 Brussels time; still shown as the date
    portal = deadlines.on_day(date(2028, 4, 30), BRUSSELS, "2028-04-30", ends=time(17, 0))
    assert portal.at.hour == 17 and deadlines.iso(portal) == "2028-04-30"


def test_a_timed_deadline_keeps_the_publishers_clock_and_zone():
    deadline = deadlines.at_time(datetime(2027, 1, 15, 22, 0, tzinfo=UTC), NEW_YORK, "Jan 15, 2027 5:00 PM EST")
    assert (deadline.day, deadline.clock, deadline.zone) == (date(2027, 1, 15), time(17, 0), "America/New_York")
    assert deadlines.iso(deadline) == "2027-01-15T17:00:00-05:00"
    assert deadlines.calendar_start(deadline) == datetime(2027, 1, 15, 22, 0, tzinfo=UTC)


def test_the_schema_refuses_a_published_day_its_instant_contradicts():
    with pytest.raises(ValidationError, match="is not 2028-04-30"):
        Deadline(at=datetime(2028, 4, 30, 23, 59, 59, tzinfo=BRUSSELS), raw="30 April 2028", day=date(2028, 4, 30),
                 zone="Europe/Kyiv")  # 1 May 00:59 in Kyiv
    with pytest.raises(ValidationError, match="not a time zone"):
        Deadline(raw="x", zone="Mars/Olympus")
    with pytest.raises(ValidationError, match="needs its day"):
        Deadline(raw="x", clock=time(17, 0))


def test_days_left_are_counted_in_the_publishers_calendar():
    deadline = deadlines.on_day(date(2028, 4, 30), "Europe/Brussels", "30 April 2028")
    late_in_kyiv = datetime(2028, 4, 29, 22, 30, tzinfo=UTC)  # 30 April 01:30 in Kyiv, 00:30 in Brussels
    assert deadlines.days_left(deadline, late_in_kyiv) == 0
    assert deadlines.days_left(deadline, datetime(2028, 4, 1, 9, tzinfo=UTC)) == 29
    assert deadlines.days_left(deadline, datetime(2028, 5, 1, 9, tzinfo=UTC)) == -1
    assert days_left_text(deadline, late_in_kyiv, "en") == "Deadline today"
    assert days_left_text(deadline, datetime(2028, 5, 1, 9, tzinfo=UTC), "en") == "Deadline passed"
    assert days_left_text(None, late_in_kyiv, "en") is None


def test_a_deadline_stored_before_zones_were_kept_is_read_on_its_own_offset():
    legacy = Deadline.model_validate_json('{"at": "2028-04-30T23:59:59+02:00", "raw": "30.04.2028"}')
    assert deadlines.day_of(legacy) == date(2028, 4, 30) and not deadlines.is_date_only(legacy)
    assert say(legacy, "en", ["Europe/Brussels"]) == "30 April 2028, 23:59 UTC+02:00"


# -- said in every language ------------------------------------------------------------------------

@pytest.mark.parametrize("lang", LANGS)
def test_a_date_only_deadline_reads_the_same_in_every_zone(lang):
    deadline = deadlines.on_day(date(2028, 4, 30), NEW_YORK, "04/30/2028")  # ends 05:59 on 1 May in Kyiv
    for readers in ((), ["Europe/Kyiv"], ["Europe/Belgrade", "Europe/Kyiv"], ["UTC"]):
        assert say(deadline, lang, readers) == APRIL_30[lang]


def test_a_timed_deadline_names_its_zone_and_the_readers_clock_when_it_differs():
    deadline = deadlines.at_time(datetime(2027, 1, 20, 17, 0, tzinfo=BRUSSELS), BRUSSELS, "20 January 2027 17:00")
    assert say(deadline, "en", ["Europe/Kyiv"]) == "20 January 2027, 17:00 Brussels time (18:00 Kyiv time)"
    assert say(deadline, "uk", ["Europe/Kyiv"]) == (
        "20 січня 2027\u202fр., 17:00 за брюссельським часом (18:00 за київським часом)"
    )
    # same clock: once
    assert say(deadline, "sr-Cyrl", ["Europe/Belgrade"]) == "20. јануар 2027. 17:00 по бриселском времену"
    assert say(deadline, "sr-Latn", ["Europe/Kyiv"]) == (
        "20. januar 2027. 17:00 po briselskom vremenu (18:00 po kijevskom vremenu)"
    )


def test_the_readers_date_is_named_when_the_deadline_falls_on_another_day_there():
    grants_gov = deadlines.at_time(datetime(2027, 1, 15, 17, 0, tzinfo=NEW_YORK), NEW_YORK, "Jan 15, 2027 5:00 PM EST")
    assert say(grants_gov, "en", ["Europe/Kyiv"]) == (
        "15 January 2027, 17:00 US Eastern time (16 January 2027, 00:00 Kyiv time)"
    )
    assert say(grants_gov, "uk", ["Europe/Kyiv"]).startswith(
        "15 січня 2027\u202fр., 17:00 за східним часом США (16 січня"
    )


def test_zones_without_a_name_of_their_own():
    lisbon = deadlines.at_time(datetime(2027, 3, 1, 12, 0, tzinfo=ZoneInfo("Europe/Lisbon")), "Europe/Lisbon",
                               "1 March 12:00")
    assert say(lisbon, "en") == "1 March 2027, 12:00 Lisbon time"
    assert say(lisbon, "uk") == "1 березня 2027\u202fр., 12:00 за місцевим часом (Лісабон)"
    fixed = deadlines.at_time(datetime(2027, 3, 1, 12, 0, tzinfo=UTC), "UTC+02:00", "1 March 14:00 GMT+2")
    assert say(fixed, "en") == "1 March 2027, 14:00 UTC+02:00"
    assert say(Deadline(raw="do utroška sredstava"), "sr-Latn") == "do utroška sredstava"


# -- read from what sources publish -------------------------------------------------------------------

@pytest.mark.parametrize(("text", "zone", "expected"), [
    ("Deadline: 30 April 2028", KYIV, (date(2028, 4, 30), None, "Europe/Kyiv")),
    ("Кінцевий термін подання: 30 квітня 2028 р.", KYIV, (date(2028, 4, 30), None, "Europe/Kyiv")),
    ("Rok za prijavu: 30. april 2028. godine", BELGRADE, (date(2028, 4, 30), None, "Europe/Belgrade")),
    ("Рок за пријаву: 30. април 2028. до 15:00 часова", BELGRADE, (date(2028, 4, 30), time(15, 0), "Europe/Belgrade")),
    ("Termin składania wniosków: 30 kwietnia 2028 r., godz. 16:00 CET", KYIV,
     (date(2028, 4, 30), time(16, 0), "Europe/Brussels")),
    ("Beadási határidő: 2028. április 30., 12:00", ZoneInfo("Europe/Budapest"),
     (date(2028, 4, 30), time(12, 0), "Europe/Budapest")),
    ("Termen limită: 30 aprilie 2028, ora 17:00 (ora României)", ZoneInfo("Europe/Bucharest"),
     (date(2028, 4, 30), time(17, 0), "Europe/Bucharest")),
])
def test_the_text_extractor_keeps_what_was_published(text, zone, expected):
    (deadline,) = find_deadlines(text, zone)
    assert (deadline.day, deadline.clock, deadline.zone) == expected


def test_a_listing_field_is_parsed_as_published():
    assert parse_deadline("30.04.2028", KYIV).clock is None
    assert parse_deadline("30.04.2028 14:00 CET", KYIV).zone == "Europe/Brussels"
    assert parse_deadline("soon", KYIV) == Deadline(raw="soon")


def test_the_labelled_set_is_read_and_shown_as_published():
    """tests/eval/deadlines.jsonl: seven languages, the sources' real formats (docs/accuracy.md has the table)."""
    from eval.deadlines import evaluate, load

    tallies = evaluate(load())
    overall, held_out = tallies["overall"], tallies["held-out"]
    assert overall.labelled >= 40 and held_out.labelled >= 10
    assert overall.precision >= 0.98 and overall.recall >= 0.95, overall.misses
    assert overall.shown_accuracy == 1.0, overall.misses  # every deadline read right is shown as its day, 4 languages


# -- end to end: "Deadline: 30 April 2028" in every page, email, feed, calendar and spreadsheet ----------

FEED_ITEM = """<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"><channel><title>Calls</title><link>https://news.example.org/</link><description>Calls</description>
<item><title>Call for proposals: energy efficiency in Ukrainian hromadas</title>
<link>https://news.example.org/calls/energy-2028/</link><guid>https://news.example.org/calls/energy-2028/</guid>
<pubDate>Mon, 30 Nov 2026 09:00:00 +0000</pubDate>
<description><![CDATA[<p>Grants for municipalities and local self-government bodies in Ukraine to renovate
public buildings for energy efficiency.</p><p>Deadline: 30 April 2028</p>]]></description></item>
</channel></rss>
"""


def _source(zone: str) -> str:
    return f"""
[sources.energy-news]
spider = "feed"
title = "Energy cooperation news (example)"
language = "en"
timezone = "{zone}"
[sources.energy-news.options]
urls = ["https://news.example.org/calls/feed/"]
[site]
base_url = "https://grants.example.org/digest/"
"""


def _page_language(path, out) -> str | None:
    first = path.relative_to(out).parts[0]
    return first if first in LANGS else None


@pytest.mark.crawl
@pytest.mark.parametrize("zone", ["Europe/Brussels", "America/New_York"])
def test_a_date_only_deadline_is_that_date_everywhere(replay, tmp_path, zone):
    from digest.offline import crawl_fixtures, write_config
    from digest.replay import exchange

    server = replay(exchanges=[exchange("https://news.example.org/calls/feed/", FEED_ITEM.encode(),
                                        headers={"Content-Type": "application/rss+xml; charset=utf-8"})])
    config = write_config(tmp_path, extra=_source(zone))
    crawled = crawl_fixtures(config, server.url, "energy-news")
    assert crawled.returncode == 0, crawled.log[-3000:]
    out, previews = tmp_path / "public", tmp_path / "previews"
    runner = CliRunner()
    runner.invoke(cli, ["--config", str(config), "build", "--out", str(out)], catch_exceptions=False)
    runner.invoke(cli, ["--config", str(config), "email", "--preview", str(previews)], catch_exceptions=False)
    title = "energy efficiency in Ukrainian hromadas"

    pages = {lang: 0 for lang in LANGS}
    for path in out.rglob("*.html"):
        text = path.read_text(encoding="utf-8")
        lang = _page_language(path, out)
        if title not in text or lang is None:
            continue
        assert APRIL_30[lang] in text, path
        assert MAY_1[lang] not in text and "2028-05-01" not in text, path
        pages[lang] += 1
    assert all(n >= 3 for n in pages.values()), pages  # calls list, call page, a region page at least

    feeds = out / "feeds" / "all"
    for name in ("atom.xml", "rss.xml", "feed.json"):
        text = (feeds / name).read_text(encoding="utf-8")
        assert "Deadline: 30 April 2028" in text and "1 May 2028" not in text and "2028-05-01" not in text, name
    calendar = (feeds / "deadlines.ics").read_text(encoding="utf-8")
    assert "DTSTART;VALUE=DATE:20280430" in calendar and "20280501" not in calendar
    csv_text = (feeds / "calls.csv").read_text(encoding="utf-8-sig")
    assert ",2028-04-30,2028-04-30,," in csv_text and "2028-05-01" not in csv_text
    (exported,) = json.loads((feeds / "calls.json").read_text(encoding="utf-8"))["calls"]
    assert exported["deadlines"][0]["day"] == "2028-04-30" and exported["deadlines"][0]["clock"] is None
    assert exported["deadlines"][0]["zone"] == zone
    region_feed = json.loads((out / "feeds" / "lviv" / "feed.json").read_text(encoding="utf-8"))
    assert region_feed["items"][0]["_grantdigest"]["deadline"] == "2028-04-30"

    published = deadlines.on_day(date(2028, 4, 30), zone, "30 April 2028")
    mails = 0
    for eml in previews.glob("*.eml"):
        message = email.message_from_bytes(eml.read_bytes(), policy=policy.default)
        lang = str(message["Content-Language"])
        parts = [part.get_content() for part in message.walk() if part.get_content_maintype() == "text"]
        body = "\n".join(parts)
        if title not in body:
            continue
        assert APRIL_30[lang] in body, eml.name
        assert MAY_1[lang] not in body, eml.name
        assert days_left_text(published, datetime.now(UTC), lang) in body, eml.name  # one count, the site's too
        mails += 1
    assert mails >= 2  # a Ukrainian oblast's digest in Ukrainian and in English


def test_a_reasons_day_count_is_the_cards_even_when_the_call_was_classified_days_earlier():
    """The weekly job may render a classification made at an earlier crawl: the reason recounts its days."""
    from calls.reasons import Reason
    from digest.reasons import say as say_reason

    deadline = deadlines.on_day(date(2028, 4, 30), "Europe/Kyiv", "30 квітня 2028")
    classified = Reason("deadline in %(days)s days (%(date)s)", days=33, date=date(2028, 4, 30))  # on 28 March
    rendered = datetime(2028, 4, 1, 9, tzinfo=UTC)
    today = deadlines.publisher_today(deadline, rendered)
    assert say_reason(classified, "en", today) == "deadline in 29 days (30 Apr 2028)"
    assert days_left_text(deadline, rendered, "en") == "29 days left"  # the card beside it
    assert say_reason(classified, "en") == "deadline in 33 days (30 Apr 2028)"  # without a day: as classified
