"""Weeks, the digest's "new this week" and the archive on every day of the week, across a year boundary
and the daylight-saving changes of Europe/Kyiv and Europe/Belgrade.

A region's week runs Monday 00:00 to Monday 00:00 in the region's own zone: Lviv and Odesa
count in Europe/Kyiv, Vojvodina in Europe/Belgrade, one hour behind. Weeks checked:

* 2026-W49, an ordinary week;
* 2026-W53 (28 December 2026 – 3 January 2027): 1 January 2026 was a Thursday, so 2026 has
  53 ISO weeks and 1–3 January 2027 still belong to 2026;
* 2026-W13, whose Sunday (29 March) moves both zones' clocks forward an hour (6 days 23 hours);
* 2026-W43, whose Sunday (25 October) moves them back (7 days 1 hour).
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from site_fixtures import REGIONS, make_store, sample_calls

from calls.schema import Deadline
from digest import publish
from digest.select import WeekError, iso_week, select_digest, week_bounds
from digest.site import archive

KYIV, BELGRADE = ZoneInfo("Europe/Kyiv"), ZoneInfo("Europe/Belgrade")
ZONES = {"Europe/Kyiv": KYIV, "Europe/Belgrade": BELGRADE}
DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
WEEKS = {  # ISO week → its Monday
    "2026-W49": date(2026, 11, 30), "2026-W53": date(2026, 12, 28),
    "2026-W13": date(2026, 3, 23), "2026-W43": date(2026, 10, 19),
}
LENGTH = {"2026-W13": timedelta(days=7, hours=-1), "2026-W43": timedelta(days=7, hours=1)}
REGION_OF = {"lviv": "ua-energy", "vojvodina": "rs-opstine"}  # region → the sample call shown there
BASE = "https://grants.example.org/digest/"


def local(day: date, hour: int, minute: int, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time(hour, minute), zone)


# -- iso_week and week_bounds ------------------------------------------------------------------

@pytest.mark.parametrize("zone", ZONES)
@pytest.mark.parametrize("week", WEEKS)
@pytest.mark.parametrize("day", range(7), ids=DAYS)
@pytest.mark.parametrize("hour, minute", [(0, 0), (0, 30), (12, 0), (23, 59)], ids=["00:00", "00:30", "12:00", "23:59"])
def test_every_moment_of_every_day_falls_in_its_local_week(zone, week, day, hour, minute):
    moment = local(WEEKS[week] + timedelta(days=day), hour, minute, ZONES[zone])
    assert iso_week(moment, zone) == week
    assert iso_week(moment.astimezone(UTC), zone) == week  # the same instant, however it is written
    start, end = week_bounds(week, zone)
    assert start <= moment < end


@pytest.mark.parametrize("zone", ZONES)
@pytest.mark.parametrize("week", WEEKS)
def test_a_week_runs_monday_midnight_to_monday_midnight_in_the_zone(zone, week):
    start, end = week_bounds(week, zone)
    assert (start.date(), start.time(), end.date(), end.time()) == (
        WEEKS[week], time(0), WEEKS[week] + timedelta(7), time(0))
    assert end.astimezone(UTC) - start.astimezone(UTC) == LENGTH.get(week, timedelta(days=7))
    assert iso_week(end - timedelta(microseconds=1), zone) == week and iso_week(end, zone) != week


@pytest.mark.parametrize("moment, zone, week", [
    (datetime(2026, 12, 31, 12, tzinfo=UTC), "Europe/Kyiv", "2026-W53"),  # Thursday
    (datetime(2027, 1, 1, 12, tzinfo=UTC), "Europe/Belgrade", "2026-W53"),  # New Year's Day, a Friday
    (datetime(2027, 1, 3, 21, 30, tzinfo=UTC), "Europe/Belgrade", "2026-W53"),  # Sunday 22:30 in Novi Sad
    (datetime(2027, 1, 3, 22, 30, tzinfo=UTC), "Europe/Kyiv", "2027-W01"),  # Monday 00:30 in Lviv …
    (datetime(2027, 1, 3, 22, 30, tzinfo=UTC), "Europe/Belgrade", "2026-W53"),  # … still Sunday in Novi Sad
    (datetime(2025, 12, 29, 0, 30, tzinfo=KYIV), "Europe/Kyiv", "2026-W01"),  # 2026's week 1 starts in 2025
    (datetime(2026, 3, 29, 2, 30, tzinfo=UTC), "Europe/Kyiv", "2026-W13"),  # Sunday, just after summer time began
    (datetime(2026, 3, 29, 21, 30, tzinfo=UTC), "Europe/Kyiv", "2026-W14"),  # Monday 00:30 EEST
    (datetime(2026, 3, 29, 21, 30, tzinfo=UTC), "Europe/Belgrade", "2026-W13"),  # Sunday 23:30 CEST
    (datetime(2026, 10, 25, 22, 30, tzinfo=UTC), "Europe/Kyiv", "2026-W44"),  # Monday 00:30 EET
    (datetime(2026, 10, 25, 22, 30, tzinfo=UTC), "Europe/Belgrade", "2026-W43"),  # Sunday 23:30 CET
])
def test_weeks_at_the_edges(moment, zone, week):
    assert iso_week(moment, zone) == week


def test_week_53_exists_only_in_long_years():
    assert week_bounds("2026-W53", "Europe/Kyiv")[1] == datetime(2027, 1, 4, tzinfo=KYIV)
    with pytest.raises(WeekError, match="2025-W53"):
        week_bounds("2025-W53", "Europe/Kyiv")  # 1 January 2025 was a Wednesday: 52 weeks


# -- the digest's "new this week" on each day --------------------------------------------------

def calls_first_seen(first_seen: datetime):
    """The sample calls with deadlines two months after ``first_seen`` (open in every week checked)."""
    deadline = [Deadline(at=first_seen + timedelta(days=60), raw=(first_seen + timedelta(days=60)).date().isoformat())]
    return [c.model_copy(update={"deadlines": deadline}) for c in sample_calls() if c.deadlines]


@pytest.fixture(scope="module", params=list(WEEKS))
def week_store(request, tmp_path_factory):
    """(week, store): the sample calls first seen at 00:05 on that week's Monday in Kyiv (23:05 Sunday in Belgrade)."""
    week = request.param
    first_seen = local(WEEKS[week], 0, 5, KYIV)
    store = make_store(tmp_path_factory.mktemp(week), calls_first_seen(first_seen), now=first_seen)
    yield week, store
    store.close()


@pytest.mark.parametrize("region_id", REGION_OF)
def test_a_call_is_new_until_its_regions_week_ends_then_only_shown(week_store, region_id):
    """Lviv: new from Monday 00:05 to Sunday 23:59. Vojvodina saw it on Sunday at 23:05: new for an hour."""
    week, store = week_store
    region, uid = REGIONS[region_id], f"manual:{REGION_OF[region_id]}"
    first_seen = local(WEEKS[week], 0, 5, KYIV)
    seen_in = iso_week(first_seen, region.zone)
    assert (seen_in == week) is (region.timezone == "Europe/Kyiv")
    _, end = week_bounds(seen_in, region.zone)
    checked = {True: 0, False: 0}
    for day in range(-1, 14):
        for hour, minute in ((0, 10), (12, 0), (23, 59)):
            at = local(WEEKS[week] + timedelta(days=day), hour, minute, region.zone)
            if at <= first_seen or at >= end + timedelta(days=7):
                continue
            digest = select_digest(store, region, at)
            assert digest.week == (seen_in if at < end else iso_week(end, region.zone)), at.isoformat()
            new = uid in [e.call.uid for e in digest.new]
            assert new is (at < end), (region_id, at.isoformat(), digest.week)
            assert uid in [e.call.uid for e in digest.new + digest.top]  # shown, new or not
            checked[at < end] += 1
    assert checked[False] == 21 and checked[True] == (21 if seen_in == week else 1)


# -- the archive across the year boundary and the autumn clock change -------------------------

def built(store, out, now):
    return publish.build(store, out, base_url=BASE, regions=REGIONS, now=now)


def rows(store) -> dict[tuple[str, str], archive.ArchivedDigest]:
    return {(d.week, d.region): d for d in archive.load(store)}


def home_week(out, lang: str) -> str:
    heading = re.search(r"<h1>(.*?)</h1>", (out / lang / "index.html").read_text(encoding="utf-8"), re.S).group(1)
    return re.search(r"\d{4}-W\d\d", heading).group(0)


def test_builds_on_each_day_keep_one_archived_digest_per_week_across_new_year(tmp_path):
    monday = WEEKS["2026-W53"]
    store = make_store(tmp_path, calls_first_seen(local(monday, 9, 0, KYIV)), now=local(monday, 9, 0, KYIV))
    out = tmp_path / "public"
    builds = [local(monday + timedelta(days=d), 9, 0, KYIV) for d in range(7)]  # Monday 28 December … Sunday 3 January
    for at in builds:
        built(store, out, at)
        assert {week for week, _ in rows(store)} == {"2026-W53"}, at  # each build of the week replaces its row
    sunday = rows(store)["2026-W53", "lviv"]
    assert sunday.now == builds[-1]
    built(store, out, local(monday + timedelta(days=7), 9, 0, KYIV))  # Monday 4 January 2027
    found = rows(store)
    assert {week for week, _ in found} == {"2026-W53", "2027-W01"}
    assert found["2026-W53", "lviv"].digest_hash == sunday.digest_hash  # last week's row is kept as it was
    for lang in ("uk", "sr-Latn"):
        assert (out / lang / "archive" / "2026-W53" / "lviv.html").is_file()
        assert (out / lang / "archive" / "2027-W01" / "vojvodina.html").is_file()
        index = (out / lang / "archive" / "index.html").read_text(encoding="utf-8")
        assert index.index("2027-W01") < index.index("2026-W53")  # newest week first
        assert home_week(out, lang) == "2027-W01"


def test_a_build_at_half_past_midnight_in_kyiv_on_the_autumn_change_is_two_weeks_at_once(tmp_path):
    monday = WEEKS["2026-W43"]
    store = make_store(tmp_path, calls_first_seen(local(monday, 9, 0, KYIV)), now=local(monday, 9, 0, KYIV))
    out = tmp_path / "public"
    at = datetime(2026, 10, 25, 22, 30, tzinfo=UTC)  # Monday 00:30 in Lviv (EET), Sunday 23:30 in Novi Sad (CET)
    built(store, out, at)
    found = rows(store)
    assert ("2026-W44", "lviv") in found and ("2026-W43", "lviv") not in found
    assert ("2026-W43", "vojvodina") in found and ("2026-W44", "vojvodina") not in found
    assert home_week(out, "uk") == "2026-W44"  # the Ukrainian page leads with Ukrainian oblasts' week …
    assert home_week(out, "sr-Latn") == home_week(out, "sr-Cyrl") == "2026-W43"  # … the Serbian pages with Vojvodina's
    lviv_new = [c.uid for c in found["2026-W44", "lviv"].sections["new"]]
    vojvodina_new = [c.uid for c in found["2026-W43", "vojvodina"].sections["new"]]
    assert "manual:ua-energy" not in lviv_new  # first seen in Lviv's previous week
    assert "manual:rs-opstine" in vojvodina_new  # Novi Sad is still in the week it was first seen
