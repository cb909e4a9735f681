"""Participation limits beat association: the call's own words decide who may take part.

The sentences are written for these tests in the style of the sources (F&TP topic
conditions, donor posts, Serbian konkursi, Interreg calls); the real EU topic comes
from ``../shared/samples`` and is skipped without it.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from scrapy.http import TextResponse

from calls.config import load_config
from calls.regions import default_programme_areas, default_regions
from calls.schema import Call, Deadline, Eligibility, Tier
from pipelines.classify import classify
from pipelines.limits import Doubt, find_limits
from spiders.eu_ftp import EuFtpSpider

SEARCH = "https://api.tech.ec.europa.eu/search-api/prod/rest/search"

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
UKRAINIAN = ["volyn", "lviv", "zakarpattia", "ivano-frankivsk", "rivne", "ternopil", "chernivtsi", "odesa"]
EU27 = {"AT", "BE", "BG", "HR", "CY", "CZ", "DK", "EE", "FI", "FR", "DE", "GR", "HU", "IE", "IT", "LV", "LT", "LU",
        "MT", "NL", "PL", "PT", "RO", "SK", "SI", "ES", "SE"}


def one(text: str):
    limits = find_limits(text)
    assert len(limits) == 1, limits
    return limits[0]


# ------------------------------------------------------------------ reading limits


@pytest.mark.parametrize(("text", "countries"), [
    # English, as the F&TP writes topic conditions
    ("For this reason, participation is limited to legal entities established in Member States, Iceland and Norway "
     "and the following additional associated countries: Canada, Israel, the Republic of Korea, New Zealand, "
     "Switzerland, and the United Kingdom.", EU27 | {"IS", "NO", "CA", "IL", "KR", "NZ", "CH", "GB"}),
    ("Only legal entities established in EU Member States and Ukraine are eligible.", EU27 | {"UA"}),
    ("The call is open to non-profit organisations from Ukraine only.", {"UA"}),
    ("Applicants must be registered in one of the Western Balkans economies.", {"AL", "BA", "ME", "MK", "RS", "XK"}),
    ("Only organisations from the Eastern Partnership countries may apply.", {"AM", "AZ", "BY", "GE", "MD", "UA"}),
    ("Entities not established in the European Economic Area are not eligible.", EU27 | {"IS", "LI", "NO"}),
    # Ukrainian
    ("Подавати заявки можуть лише громадські організації, зареєстровані в Україні.", {"UA"}),
    ("До участі допускаються тільки організації з країн ЄС та України.", EU27 | {"UA"}),
    # Serbian, both scripts
    ("Pravo učešća imaju samo udruženja iz Republike Srbije.", {"RS"}),
    ("Право учешћа имају само удружења са седиштем у Републици Србији.", {"RS"}),
    ("Prijave mogu podneti isključivo organizacije iz zemalja Zapadnog Balkana.", {"AL", "BA", "ME", "MK", "RS", "XK"}),
    # Polish, Hungarian, Romanian
    ("O wsparcie mogą ubiegać się wyłącznie organizacje z siedzibą w Polsce lub na Ukrainie.", {"PL", "UA"}),
    ("A pályázaton kizárólag magyarországi és szerbiai székhelyű szervezetek vehetnek részt.", {"HU", "RS"}),
    ("Pot aplica doar entități înregistrate în România sau în Republica Moldova.", {"RO", "MD"}),
])
def test_a_restriction_admits_the_countries_it_names(text, countries):
    limit = one(text)
    assert limit.countries == countries
    assert limit.doubt is Doubt.NONE and not limit.associated


def test_the_label_of_a_list_is_not_a_grouping():
    # "associated countries: Canada, …" names the list that follows, not every associated country.
    limit = one("Participation is limited to entities established in Member States and the following associated "
                "countries: Canada, Switzerland.")
    assert not limit.associated and limit.admits("UA", associated=True) is False


def test_associated_countries_are_resolved_per_programme():
    limit = one("Participation is limited to entities established in Member States and countries associated to "
                "Horizon Europe.")
    assert limit.associated
    assert limit.admits("UA", associated=True) is True
    assert limit.admits("UA", associated=False) is False
    assert limit.admits("UA", associated=None) is None


@pytest.mark.parametrize("text", [
    "Each applicant may submit only one proposal. Organisations from Ukraine are welcome.",
    "Not only organisations from Serbia but also from Ukraine may apply.",
    "Не лише громади України, а й громадські організації можуть подати заявку.",
    "Ne samo opštine iz Srbije, već i udruženja mogu da se prijave.",
    "At least one partner must be established in Ukraine.",
    "Najmanje jedan partner mora biti registrovan u Srbiji.",
    "The lead applicant or a partner must be established in Ukraine.",
    "Ukraine and Serbia are associated to Horizon Europe.",
    "The project must benefit communities in Ukraine.",
    "Organisations from Serbia may only apply together with a partner from a Member State.",
])
def test_sentences_that_are_not_limits(text):
    assert find_limits(text) == ()


def test_exclusions_shut_out_what_they_name():
    limit = one("Entities established in Russia or Belarus are not eligible.")
    assert limit.excluded == {"RU", "BY"} and not limit.restricts
    assert limit.admits("RU", None) is False and limit.admits("UA", None) is None
    assert one("Open to all Council of Europe member states, except Russia.").excluded == {"RU"}
    assert find_limits("Organisations from non-associated third countries are not eligible.") == ()


@pytest.mark.parametrize(("text", "doubt"), [
    ("The coordinator must be established in an EU Member State.", Doubt.LEAD_ONLY),
    ("Participation is limited to legal entities established in programme countries.", Doubt.GROUPING),
    ("Only entities from Member States and other eligible countries may participate.", Doubt.GROUPING),
    ("Organisations from Ukraine can apply, but only those registered for more than two years.", Doubt.LOOSE),
])
def test_limits_that_are_only_probable_say_why(text, doubt):
    assert one(text).doubt is doubt


def test_quotes_are_the_published_sentence_shortened_around_the_limit():
    long = "Background. " + "This topic supports research on cloud services and edge computing. " * 3 + (
        "For this reason, participation is limited to legal entities established in Member States, Iceland and "
        "Norway and the following additional associated countries: Canada, Israel, the Republic of Korea, New "
        "Zealand, Switzerland, and the United Kingdom, as set out in the work programme of the year concerned.")
    limit = find_limits(long)[0]
    assert "Member States" in limit.quote and len(limit.quote) <= 242
    assert "cloud services" not in limit.quote


# ------------------------------------------------------------------ the classifier


def call(title: str, text: str, **fields) -> Call:
    return Call(uid="test:" + title[:20], source="test", native_id=title[:20], title=title,
                url="https://example.org/call", deadlines=[Deadline(at=NOW + timedelta(days=60), raw="test")],
                eligibility_text=text, **fields)


def verdicts(item: Call) -> dict[str, object]:
    regions, registry = default_regions(), default_programme_areas()
    return {rid: classify(item, region, registry, NOW) for rid, region in regions.items()}


def test_a_limit_that_leaves_the_country_out_beats_association():
    # Horizon Europe: Ukraine and Serbia are associated, yet this topic is limited to other countries.
    item = call("Trusted cloud and edge software for public services (RIA)",
                "For this reason, participation is limited to legal entities established in Member States, Iceland "
                "and Norway and the following additional associated countries: Canada, Israel, the Republic of "
                "Korea, New Zealand, Switzerland, and the United Kingdom.",
                programme_id="horizon-europe", summary="Digital public services for municipalities.")
    for rid, result in verdicts(item).items():
        assert result.eligibility is Eligibility.NOT_ELIGIBLE, rid
        assert result.tier is Tier.NOT_ELIGIBLE, rid
        assert "participation is limited to legal entities established in Member States" in result.reasons[0]


def test_only_member_states_and_ukraine():
    item = call("European Digital Innovation Hubs in Ukraine",
                "Only legal entities established in EU Member States and Ukraine are eligible.",
                programme_id="digital-europe", summary="Digital transformation of SMEs and public administrations.")
    results = verdicts(item)
    assert results["vojvodina"].eligibility is Eligibility.NOT_ELIGIBLE
    assert "Serbia is not among them" in results["vojvodina"].reasons[0]
    for rid in UKRAINIAN:
        assert results[rid].eligibility is Eligibility.ELIGIBLE, rid
        assert any("admit applicants from Ukraine" in r for r in results[rid].reasons), rid


def test_a_doubtful_limit_is_never_eligible():
    item = call("Networks of towns", "Participation is limited to legal entities established in programme countries.",
                programme_id="cerv")
    for rid, result in verdicts(item).items():
        assert result.eligibility is Eligibility.UNKNOWN, (rid, result.reasons)
        assert result.tier is not Tier.TOP
        assert "may be limited to applicants from other countries" in result.reasons[0]


def test_a_lead_only_limit_leaves_partnership():
    item = call("Joint research on flood forecasting", "The coordinator must be established in an EU Member State.",
                programme_id="horizon-europe")
    result = verdicts(item)["lviv"]
    assert result.eligibility is Eligibility.LIKELY
    assert "only as partners" in result.reasons[0]


def test_an_exclusion_in_free_text():
    item = call("Grants for civic media", "Organisations registered in Serbia are not eligible under this call.",
                funder="Example Foundation")
    results = verdicts(item)
    assert results["vojvodina"].eligibility is Eligibility.NOT_ELIGIBLE
    assert results["lviv"].eligibility is not Eligibility.NOT_ELIGIBLE


def test_the_region_listed_by_the_call_itself_stands():
    # The call's own list of areas is the most specific fact there is.
    item = call("Cross-border call", "Only legal entities established in EU Member States are eligible.",
                eligible_areas=["UA-46"])
    assert verdicts(item)["lviv"].eligibility is Eligibility.ELIGIBLE


# ------------------------------------------------------------------ the real EU topic


@pytest.mark.samples
def test_real_topic_limited_to_other_countries_is_not_eligible_anywhere(samples):
    body = (samples / "eu-ftp-sedia" / "nmmonteiro__eu_api_response.json").read_bytes()
    response = TextResponse(url=SEARCH + "?pageNumber=1", body=body, encoding="utf-8")
    topics = [item for item in EuFtpSpider.for_source(load_config().source("eu-ftp")).parse(response, page=1)
              if hasattr(item, "uid")]
    topic = next(t for t in topics if t.call_id == "HORIZON-CL4-2025-04-DATA-03")
    # Dated as open, so that only eligibility can keep it out of the digest.
    topic = topic.model_copy(update={"status": None, "deadlines": [Deadline(at=NOW + timedelta(days=40), raw="test")]})
    results = verdicts(topic)
    assert set(results) == set(UKRAINIAN) | {"vojvodina"}
    for rid, result in results.items():
        assert result.eligibility is Eligibility.NOT_ELIGIBLE, (rid, result.reasons)
        assert "Iceland and Norway" in result.reasons[0]


# ------------------------------------------------------------------ end to end, through a feed

FEED_SOURCE = """
[sources.digital-news]
spider = "feed"
title = "Digital cooperation news (example)"
language = "en"
timezone = "Europe/Brussels"
[sources.digital-news.options]
urls = ["https://news.example.org/calls/feed/"]
"""
FEED = """<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"><channel><title>Calls</title><link>https://news.example.org/</link><description>Calls</description>
<item><title>Call for proposals: digital innovation hubs for SMEs and municipalities</title>
<link>https://news.example.org/calls/edih-2028/</link><guid>https://news.example.org/calls/edih-2028/</guid>
<pubDate>Mon, 30 Nov 2026 09:00:00 +0000</pubDate>
<description><![CDATA[<p>The call supports digital innovation hubs that serve SMEs and public administrations.</p>
<p>The indicative budget is 30 EUR million.</p>
<h3>Eligibility</h3><p>Only legal entities established in EU Member States and Ukraine are eligible.</p>
<p>Deadline: 30 April 2028</p>]]></description></item>
</channel></rss>
"""


@pytest.mark.crawl
def test_a_feed_items_limit_reaches_the_store(replay, tmp_path):
    from decimal import Decimal

    from calls.store import Store
    from digest.offline import crawl_fixtures, write_config
    from digest.replay import exchange

    server = replay(exchanges=[exchange("https://news.example.org/calls/feed/", FEED.encode(),
                                        headers={"Content-Type": "application/rss+xml; charset=utf-8"})])
    config = write_config(tmp_path, extra=FEED_SOURCE)
    result = crawl_fixtures(config, server.url, "digital-news")
    assert result.returncode == 0, result.log[-3000:]
    store = Store.open(load_config(config).database_url)
    (item,) = list(store.iter_calls())
    assert item.budget == Decimal("30000000") and item.currency == "EUR"
    assert "Only legal entities established in EU Member States and Ukraine" in item.eligibility_text
    verdicts = {c.region: c for c in store.classifications()[item.uid]}
    assert verdicts["vojvodina"].eligibility == "not-eligible"
    assert "Serbia is not among them" in verdicts["vojvodina"].reasons[0]
    for rid in UKRAINIAN:
        assert verdicts[rid].eligibility != "not-eligible", rid


def test_where_conditions_are_given_apart_the_description_does_not_limit():
    item = call("Urban pilots for climate-neutral cities",
                "Eligible countries: as described in Annex B of the Work Programme.",
                programme_id="horizon-europe",
                summary="Pilots will take place only in cities of EU Member States that signed the Climate City "
                        "Contract.")
    assert verdicts(item)["lviv"].eligibility is Eligibility.ELIGIBLE
    without = item.model_copy(update={"eligibility_text": None,
                                      "summary": "Only legal entities established in EU Member States are eligible."})
    assert verdicts(without)["lviv"].eligibility is Eligibility.NOT_ELIGIBLE
