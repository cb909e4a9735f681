"""The weekly digest selection, on the F&TP fixture calls seeded into the store as first seen at a chosen instant.

:func:`seed_at` parses a source's fixture pages in-process and stores the calls through the pipelines a
crawl uses, stamped with a given clock, so each test knows which ISO week every call was first seen in.
The tests of change over time and of a failing source crawl for real (:func:`crawl_at`): a crawl stamps
calls, events and runs with the wall clock, and :func:`pin_clock` moves what it wrote to a chosen instant.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from conftest import FIXTURES, crawl_offline

from calls.config import load_config
from calls.regions import load_regions
from calls.schema import Call
from calls.store import Outcome, Store, calls_table, events_table, runs_table
from digest.offline import crawl_fixtures, write_config
from digest.replay import ReplayServer, exchange
from digest.select import Digest, DigestEntry, WeekError, iso_week, select_digest, week_bounds
from pipelines.consolidate import consolidate_configured
from pipelines.normalise import normalise
from pipelines.store import StorePipeline

MIRROR = FIXTURES / "eu-ftp" / "mirror"
SEARCH_PAGE1 = "https://api.tech.ec.europa.eu/search-api/prod/rest/search?apiKey=SEDIA&pageNumber=1"
CONFIG = "[sources.eu-ftp.options]\npage_size = 5\n"
BROKEN_FEED = """
[sources.broken-feed]
spider = "feed"
language = "en"
timezone = "Europe/Brussels"
[sources.broken-feed.options]
urls = ["https://broken.example.org/feed/"]
"""

CRAWLED = datetime(2026, 11, 30, 6, 0, tzinfo=UTC)  # Monday of 2026-W49, morning everywhere
IN_WEEK_49 = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)
IN_WEEK_52 = datetime(2026, 12, 23, 10, 0, tzinfo=UTC)  # 2027-01-15 and -20 deadlines are < 30 days away

ENERGY = "eu-ftp:HORIZON-CL5-2027-D3-01"  # deadline 2027-01-20 17:00 CET
MUNICIPAL = "eu-ftp:45012345"  # deadline 2027-01-15 17:00 CET
# deadline 2027-03-12; "Only legal entities established in EU Member States and Ukraine"
DIGITAL = "eu-ftp:DIGITAL-2027-EDIH-UA-01"
TWINNING = "eu-ftp:CERV-2027-CITIZENS-TOWN-TT"  # deadline 2027-02-10
EUROPEAID = "eu-ftp:EuropeAid/187123/DD/ACT/UA"  # Ukraine only: not eligible in Vojvodina
MISSION = "eu-ftp:HORIZON-MISS-2027-CIT-02"  # low tier everywhere

REGIONS = load_regions()


def pin_clock(store: Store, since: datetime, until: datetime, to: datetime) -> None:
    """Shift every timestamp written between ``since`` and ``until`` so that the crawl's own clock reads ``to``."""
    with store.engine.begin() as conn:
        started = conn.execute(sa.select(sa.func.min(runs_table.c.started_at)).where(
            runs_table.c.started_at >= since, runs_table.c.started_at <= until)).scalar()
        started = started.replace(tzinfo=UTC) if started.tzinfo is None else started
        delta = to - started

        def moved(value):
            if value is None:
                return None
            value = value.replace(tzinfo=UTC) if value.tzinfo is None else value
            return value + delta if since <= value <= until else value

        def moved_iso(text):
            return None if text is None else moved(datetime.fromisoformat(text)).isoformat()

        for row in conn.execute(sa.select(calls_table)).all():
            doc = json.loads(row.document)
            doc["first_seen"], doc["last_seen"] = moved_iso(doc["first_seen"]), moved_iso(doc["last_seen"])
            for page in doc["provenance"]:
                page["seen_at"] = moved_iso(page["seen_at"])
            conn.execute(calls_table.update().where(calls_table.c.uid == row.uid).values(
                first_seen=moved(row.first_seen), last_seen=moved(row.last_seen), gone_since=moved(row.gone_since),
                document=json.dumps(doc)))
        for row in conn.execute(sa.select(events_table)).all():
            conn.execute(events_table.update().where(events_table.c.id == row.id).values(at=moved(row.at)))
        for row in conn.execute(sa.select(runs_table)).all():
            conn.execute(runs_table.update().where(runs_table.c.id == row.id).values(
                started_at=moved(row.started_at), finished_at=moved(row.finished_at)))


def seed_at(config, when: datetime, *slugs: str) -> Store:
    """Store what each of ``slugs``' fixtures holds, first seen at ``when``, with an ok run; merged and classified
    as of ``when``. No crawl: the spider parses the recorded pages in-process (conftest.drive), and the calls go
    through the same normalise and store pipelines as in a crawl."""
    loaded = load_config(config)
    store = Store.open(loaded.database_url)
    pipeline = StorePipeline(store, seen_at=when)
    for slug in slugs:
        run = store.start_run(slug, when)
        calls = [item for item in crawl_offline(slug, config) if isinstance(item, Call)]
        for call in calls:
            pipeline.process_item(normalise(call))
        store.finish_run(run, items=len(calls), invalid=0, errors=0, outcome=Outcome.OK, finished_at=when)
    consolidate_configured(loaded, store, now=when)
    return store


def crawl_at(config, server: ReplayServer, when: datetime, *slugs: str) -> Store:
    """Crawl ``slugs`` as if at ``when``: pin the clock, then merge and classify as of ``when``."""
    since = datetime.now(UTC) - timedelta(seconds=1)
    result = crawl_fixtures(config, server.url, *slugs)
    assert result.returncode == 0, result.log[-2000:]
    store = Store.open(load_config(config).database_url)
    pin_clock(store, since, datetime.now(UTC), when)
    consolidate_configured(load_config(config), store, now=when)
    return store


@pytest.fixture(scope="module")
def week49(tmp_path_factory):
    """The six F&TP calls, first seen on Monday of 2026-W49."""
    store = seed_at(write_config(tmp_path_factory.mktemp("week49"), extra=CONFIG), CRAWLED, "eu-ftp")
    yield store
    store.close()


def uids(entries: list[DigestEntry]) -> list[str]:
    return [e.call.uid for e in entries]


def listed(digest: Digest) -> list[str]:
    return [uid for entries in digest.sections.values() for uid in uids(entries)]


def assert_by_score(entries: list[DigestEntry]) -> None:
    keys = [(-e.classification.score, e.call.uid) for e in entries]
    assert keys == sorted(keys)


# -- weeks -----------------------------------------------------------------------

def test_iso_week_is_counted_in_the_regions_zone():
    sunday_night = datetime(2026, 11, 29, 22, 30, tzinfo=UTC)  # already Monday 00:30 in Kyiv
    assert iso_week(sunday_night, "Europe/Kyiv") == "2026-W49"
    assert iso_week(sunday_night, "Europe/Belgrade") == "2026-W48"
    assert iso_week(datetime(2027, 1, 1, 12, tzinfo=UTC), ZoneInfo("Europe/Belgrade")) == "2026-W53"


def test_week_bounds_run_monday_to_monday_across_a_clock_change():
    start, end = week_bounds("2027-W12", "Europe/Kyiv")  # summer time starts on Sunday 28 March
    assert (start.isoformat(), end.isoformat()) == ("2027-03-22T00:00:00+02:00", "2027-03-29T00:00:00+03:00")
    assert end - start == timedelta(days=7) and end.astimezone(UTC) - start.astimezone(UTC) == timedelta(hours=167)
    with pytest.raises(WeekError):
        week_bounds("2026-48", "Europe/Kyiv")


# -- sections --------------------------------------------------------------------

@pytest.mark.crawl
def test_first_week_everything_shown_is_new(week49):
    # The EDIH call admits EU Member States and Ukraine only: never shown in Vojvodina, whatever Serbia's association.
    shown = {"vojvodina": {MUNICIPAL, ENERGY, TWINNING}, "volyn": {ENERGY, EUROPEAID, TWINNING}}
    for region_id, expected in shown.items():
        digest = select_digest(week49, REGIONS[region_id], IN_WEEK_49)
        assert digest.week == "2026-W49"
        assert digest.period_start == datetime(2026, 11, 30, tzinfo=REGIONS[region_id].zone)
        assert set(uids(digest.new)) == expected, region_id
        assert digest.closing_soon == digest.updated == digest.top == []
        assert digest.total_matching == len(expected) and digest.failed_sources == []
        assert_by_score(digest.new)
        assert all(e.classification.tier in ("top", "relevant") for e in digest.new)
    # every region: exactly the open/forthcoming calls of tier top or relevant, never low or not eligible
    verdicts = week49.classifications()
    for region in REGIONS.values():
        digest = select_digest(week49, region, IN_WEEK_49)
        expected = {uid for uid, found in verdicts.items() for c in found
                    if c.region == region.id and c.tier in ("top", "relevant")}
        assert set(uids(digest.new)) == expected, region.id
        assert MISSION not in listed(digest)


@pytest.mark.crawl
def test_later_week_closing_soon_and_top(week49):
    vojvodina = REGIONS["vojvodina"]
    digest = select_digest(week49, vojvodina, IN_WEEK_52)
    assert digest.week == "2026-W52" and digest.new == [] and digest.updated == []
    assert uids(digest.closing_soon) == [MUNICIPAL, ENERGY]  # by deadline: 15 January, then 20 January
    assert set(uids(digest.top)) == {TWINNING} and EUROPEAID not in listed(digest) and DIGITAL not in listed(digest)
    assert_by_score(digest.top)
    soonest = digest.closing_soon[0]
    assert soonest.days_left(IN_WEEK_52) == 23
    published = soonest.deadline
    assert (published.day, published.clock, published.zone) == (date(2027, 1, 15), time(17, 0), "Europe/Brussels")
    assert published.at.astimezone(ZoneInfo("Europe/Kyiv")).hour == 18
    # a narrower window: nothing closes within a week, so the same calls are top matches
    relaxed = select_digest(week49, vojvodina, IN_WEEK_52, closing_days=7)
    assert relaxed.closing_soon == [] and set(uids(relaxed.top)) == {MUNICIPAL, ENERGY, TWINNING}


@pytest.mark.crawl
def test_a_call_whose_deadlines_have_all_passed_is_never_shown(week49):
    after_municipal = datetime(2027, 1, 16, 9, 0, tzinfo=UTC)  # the source still says "open"
    digest = select_digest(week49, REGIONS["vojvodina"], after_municipal)
    assert MUNICIPAL not in listed(digest)
    assert uids(digest.closing_soon) == [ENERGY, TWINNING]  # 20 January, then 10 February
    assert digest.total_matching == 2


@pytest.mark.crawl
def test_caps_ordering_and_ties(week49):
    lviv = REGIONS["lviv"]
    full = select_digest(week49, lviv, IN_WEEK_49)
    assert len(full.new) == 5
    capped = select_digest(week49, lviv, IN_WEEK_49, cap=2)
    assert uids(capped.new) == uids(full.new)[:2]
    assert capped.total_matching == 5  # the "see all" link still counts every call
    assert set(uids(capped.top)) <= set(uids(full.new)[2:]) and len(capped.top) == 2
    scores = {e.call.uid: e.classification.score for e in full.new}
    ties = [uid for uid in uids(full.new) if scores[uid] == scores[uids(full.new)[0]]]
    assert ties == sorted(ties)  # equal scores: by uid, so every run gives the same digest
    again = select_digest(week49, lviv, IN_WEEK_49)
    assert {k: uids(v) for k, v in again.sections.items()} == {k: uids(v) for k, v in full.sections.items()}
    one = select_digest(week49, REGIONS["vojvodina"], IN_WEEK_52, cap=1)
    assert [len(one.new), len(one.closing_soon), len(one.updated), len(one.top)] == [0, 1, 0, 1]
    assert uids(one.closing_soon) == [MUNICIPAL]


@pytest.mark.crawl
def test_editor_exclude_and_pin(week49):
    digest = select_digest(week49, REGIONS["vojvodina"], IN_WEEK_52, exclude={MUNICIPAL}, pinned=[MISSION, TWINNING])
    assert MUNICIPAL not in listed(digest)
    assert uids(digest.top)[:2] == [MISSION, TWINNING]  # pinned first, in the editor's order, even a low-tier call
    assert uids(digest.closing_soon) == [ENERGY] and listed(digest).count(TWINNING) == 1
    assert digest.total_matching == 3


# -- changes and sources ------------------------------------------------------------

@pytest.mark.crawl
def test_moved_deadline_is_updated_next_week_not_new(replay, tmp_path):
    config = write_config(tmp_path, extra=CONFIG)
    server = replay(MIRROR)
    crawl_at(config, server, CRAWLED, "eu-ftp")
    page1 = (MIRROR / "api.tech.ec.europa.eu" / "search-page1.json").read_text(encoding="utf-8")
    server.replace(exchange(SEARCH_PAGE1, page1.replace("2027-01-20", "2027-02-05"), method="POST",
                            headers={"Content-Type": "application/json"}, body_contains=('"DATASOURCE"',)))
    store = crawl_at(config, server, datetime(2026, 12, 8, 6, 0, tzinfo=UTC), "eu-ftp")  # Tuesday of 2026-W50

    digest = select_digest(store, REGIONS["vojvodina"], datetime(2026, 12, 9, 9, 0, tzinfo=UTC))
    assert digest.week == "2026-W50" and digest.new == []
    assert uids(digest.updated) == [ENERGY]
    (entry,) = digest.updated
    assert [(e.kind, e.old, e.new) for e in entry.changes] == [
        ("deadline-extended", "2027-01-20", "2027-02-05")]  # the portal's dates, as it gave them
    assert entry.deadline.day == date(2027, 2, 5) and entry.deadline.clock is None
    assert entry.deadline.at.isoformat() == "2027-02-05T17:00:00+01:00"  # the portal's 17:00 Brussels rule
    assert ENERGY not in uids(digest.top)

    # The archive of the first week is unchanged by what happened later.
    first = select_digest(store, REGIONS["vojvodina"], datetime(2026, 12, 9, 9, 0, tzinfo=UTC), week="2026-W49")
    assert ENERGY in uids(first.new) and first.updated == []
    assert [e.kind for e in next(e for e in first.new if e.call.uid == ENERGY).changes] == ["new"]


@pytest.mark.crawl
def test_failed_source_is_reported(replay, tmp_path):
    config = write_config(tmp_path, extra=CONFIG + BROKEN_FEED)
    server = replay(MIRROR, exchanges=[exchange("https://broken.example.org/feed/", "down", status=500)])
    store = crawl_at(config, server, CRAWLED, "eu-ftp", "broken-feed")
    digest = select_digest(store, REGIONS["odesa"], IN_WEEK_49)
    assert [slug for slug, _ in digest.failed_sources] == ["broken-feed"]
    assert "HTTP 500" in digest.failed_sources[0][1]
    assert set(uids(digest.new)) == {EUROPEAID, TWINNING}  # the other source's calls are still there


def test_an_interrupted_source_is_named_in_the_digest_notice(tmp_path):
    from calls.store import INTERRUPTED_REASON
    from digest.select import failed_sources

    store = Store.open(f"sqlite:///{tmp_path / 'g.db'}")
    for source, outcome, reason in (("gurt", Outcome.INTERRUPTED, INTERRUPTED_REASON), ("irf", Outcome.OK, None)):
        run = store.start_run(source, CRAWLED)
        store.finish_run(run, items=0, invalid=0, errors=0, outcome=outcome, reason=reason, finished_at=CRAWLED)
    assert failed_sources(store, IN_WEEK_49) == [("gurt", INTERRUPTED_REASON)]
    store.close()
