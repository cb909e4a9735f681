"""Interreg programme sources: config entries on the generic spiders, parsed from real-shaped fixtures."""

from __future__ import annotations

import json

import pytest
from conftest import FIXTURES, crawl_offline, field_value, load_expected, spider_for
from scrapy.http import HtmlResponse, Request

from calls.config import load_config
from calls.schema import Status
from calls.store import Outcome, Store
from digest.offline import crawl_fixtures, write_config
from spiders.announcements import text_facts
from spiders.base import SourceFormatError

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
    """Every call has its deadline, as published, in its summary; only a call whose expected row says the
    publisher's pages state none (``"deadline": null``) may have none."""
    without = {row["uid"] for row in load_expected(FIXTURES / slug / "expected.json")
               if "deadline" in row and row["deadline"] is None}
    for call in parsed[slug].values():
        assert call.deadlines or call.uid in without, call.uid
        for deadline in call.deadlines:
            assert deadline.raw.strip(), call.uid
            assert deadline.raw in call.summary, (call.uid, deadline.raw)


def test_deadline_extension_takes_the_new_date(samples):
    """The Danube archive's real second-call page moves its deadline in prose: the new date wins, not the old."""
    text = (samples / "interreg-danube" / "dtp.interreg-danube.eu_second-call_excerpt.txt").read_text(encoding="utf-8")
    source = load_config().source("interreg-danube")
    deadlines = text_facts(text, source.zone, "en")["deadlines"]
    assert [(d.at.date().isoformat(), d.at.hour, d.raw) for d in deadlines] == [
        ("2024-04-03", 14, "April 3, 2024, 14:00 PM CET")
    ]


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


# --- Quirks of the programme sites, as the capture notes record them ------------------------------------------


BSB_INDEX = "https://blacksea-cbc.net/interreg-next-bsb-2021-2027/calls-for-proposals"


def html(url: str, body: str) -> HtmlResponse:
    return HtmlResponse(url=url, body=body.encode("utf-8"), encoding="utf-8", request=Request(url))


def fixture_page(slug: str, name: str) -> HtmlResponse:
    meta = json.loads((FIXTURES / slug / "mirror" / f"{name}.meta.json").read_text(encoding="utf-8"))
    return html(meta["url"], (FIXTURES / slug / "mirror" / name).read_text(encoding="utf-8"))


def test_black_sea_call_page_title_is_its_last_h1_not_the_breadcrumb():
    spider = spider_for("interreg-next-bsb")
    [call] = spider.parse_detail(fixture_page("interreg-next-bsb", "second.html"), listed={"title": "", "date": ""})
    assert call.title == "Second Calls for Proposals"
    assert "Black Sea Basin" not in call.title  # nor the <title>, with its site suffix


def test_black_sea_call_page_without_h1_is_a_structure_error():
    spider = spider_for("interreg-next-bsb")
    page = html(BSB_INDEX + "/x", "<body><p>Moved</p></body>")
    with pytest.raises(SourceFormatError, match="detail title"):
        list(spider.parse_detail(page, listed={"title": "", "date": ""}))


def test_black_sea_index_follows_call_pages_only():
    """Every link under the calls prefix is a call, except the prefix itself and documents."""
    spider = spider_for("interreg-next-bsb")
    prefix = "/interreg-next-bsb-2021-2027/calls-for-proposals"
    page = html(BSB_INDEX, f"""<body>
        <a href="{prefix}">Calls for proposals</a><a href="{prefix}/">Calls for proposals</a>
        <a href="{prefix}/second-call-for-proposals">Second Calls for Proposals</a>
        <a href="{prefix}/second-call-for-proposals/guidelines.PDF">Guidelines</a>
        <a href="https://blacksea-cbc.net{prefix}/third-call">Third Calls for Proposals</a></body>""")
    assert [r.url for r in spider.parse(page)] == [
        BSB_INDEX + "/second-call-for-proposals", BSB_INDEX + "/third-call",
    ]


def test_black_sea_index_without_call_links_is_a_structure_error():
    spider = spider_for("interreg-next-bsb")
    page = html(BSB_INDEX, "<body><h1>Maintenance</h1></body>")
    with pytest.raises(SourceFormatError, match="matched nothing"):
        list(spider.parse(page))


def test_pl_ua_published_at_is_date_gmt_and_the_raw_date_is_warsaw_time(parsed):
    call = parsed["interreg-next-pl-ua"]["interreg-next-pl-ua:27410"]
    assert call.published_at.isoformat() == "2023-05-31T08:00:00+00:00"
    assert call.published_at_raw == "2023-05-31T10:00:00"  # `date`, two hours ahead in summer


def test_huskroua_closure_post_closes_the_call_and_its_extension_keeps_both_new_deadlines(parsed):
    calls = parsed["interreg-next-huskroua"]
    closure = calls["interreg-next-huskroua:https://next.huskroua-cbc.eu/?p=4102"]
    assert closure.status == Status.CLOSED
    extension = calls["interreg-next-huskroua:https://next.huskroua-cbc.eu/?p=3980"]
    assert [d.raw for d in extension.deadlines] == [
        "January 29, 2026, 3:00 p.m. (CET)", "February 26, 2026, 3:00 p.m. (CET)",
    ]
    assert all(d.at.utcoffset().total_seconds() == 3600 for d in extension.deadlines)


def test_danube_cards_without_anchors_become_calls_linked_to_the_index():
    spider = spider_for("interreg-danube")
    page = html("https://interreg-danube.eu/calls-for-proposals", """<body><main>
        <div><p class="font-bold text-3xl">Calls for proposals</p><p>Find all our calls here.</p></div>
        <div><p class="text-3xl font-bold">Open call for Seed Money Facility projects</p>
             <p>Application deadline 30 Jun 2027</p></div>
        <div><p class="font-bold text-3xl">Third call for proposals</p><p>Application deadline 15 Dec 2025</p></div>
        </main></body>""")
    calls = list(spider.parse(page))
    assert [(c.title, c.url, c.deadlines[0].raw) for c in calls] == [
        ("Open call for Seed Money Facility projects",
         "https://interreg-danube.eu/calls-for-proposals#open-call-for-seed-money-facility-projects", "30 Jun 2027"),
        ("Third call for proposals", "https://interreg-danube.eu/calls-for-proposals#third-call-for-proposals",
         "15 Dec 2025"),
    ]


def test_danube_index_without_title_cards_is_a_structure_error():
    spider = spider_for("interreg-danube")
    page = html("https://interreg-danube.eu/calls-for-proposals", "<body><h1>Calls for proposals</h1></body>")
    with pytest.raises(SourceFormatError, match="matched nothing"):
        list(spider.parse(page))


def test_ro_ua_items_are_the_id_alias_links_not_navigation_or_read_more():
    spider = spider_for("interreg-next-ro-ua")
    requests = list(spider.parse(fixture_page("interreg-next-ro-ua", "news.html")))
    base = "https://ro-ua.net/en/comunication-2021-2027/noutati-2021-2027/"
    assert [(r.url.removeprefix(base).split("-", 1)[0], r.cb_kwargs["listed"]["title"]) for r in requests] == [
        ("1662", "Launching of the second call for small-scale projects within the Interreg NEXT VI-A Romania-Ukraine "
                 "Programme 2021-2027"),
        ("1518", "Second Open call - Regular projects"),
    ]


def test_ro_ua_list_without_id_alias_links_is_a_structure_error():
    spider = spider_for("interreg-next-ro-ua")
    page = html("https://ro-ua.net/en/comunication-2021-2027/noutati-2021-2027",
                '<body><a href="/en/funding/calls-for-proposals">Calls for proposals</a></body>')
    with pytest.raises(SourceFormatError, match="matched nothing"):
        list(spider.parse(page))


def test_hu_rs_call_is_the_element_around_its_general_data_heading():
    """One call per tab, even when the heading's text is wrapped twice; titled by the tab's first line."""
    spider = spider_for("interreg-ipa-husrb")
    page = html("https://hungary-serbia.eu/call-for-proposals", """<body><h1>Call for proposals</h1>
        <div><h3>3rd Call</h3><p><strong>GENERAL DATA REGARDING THE 3RD CALL FOR PROPOSALS</strong></p>
             <p>Deadline for submission: 31 January 2027, at 24:00 CET</p></div>
        <div><h3>2nd Call</h3><h4>GENERAL DATA REGARDING THE 2ND CALL FOR PROPOSALS</h4><p>Programme area:</p></div>
        </body>""")
    calls = list(spider.parse(page))
    assert [(c.title, c.url) for c in calls] == [
        ("3rd Call", "https://hungary-serbia.eu/call-for-proposals#3rd-call"),
        ("2nd Call", "https://hungary-serbia.eu/call-for-proposals#2nd-call"),
    ]
    assert [d.raw for d in calls[0].deadlines] == ["31 January 2027"] and calls[1].deadlines == []
