"""The digest email in real headless Chromium (issue #6): no sideways scrolling at 375 px and 800 px,
and scraped markup and ``javascript:`` links arrive inert.

The HTML loaded is the ``text/html`` part of the MIME message as built for sending, so
what is checked is what a reader's client receives. Screenshots go to the artifacts folder
(tests/browser.py).
"""

from __future__ import annotations

from datetime import UTC, datetime
from email.parser import BytesParser
from email.policy import default as default_policy

import browser
import pytest
from browser import horizontal_overflow

from calls.regions import load_regions
from calls.schema import Call, Deadline, Status
from calls.store import StoredClassification, StoredEvent
from digest.email import EmailRenderer, build_message
from digest.select import Digest, DigestEntry, week_bounds

REGIONS = load_regions()
NOW = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)
SITE = "https://grants.example.gov/digest/"
DEPARTMENT = "Департамент міжнародної співпраці\nвул. Винниченка 18, Львів 79008"
HOSTILE_TITLE = "<script>alert('title')</script> Гранти для <b>громад</b>"
HOSTILE_PROGRAMME = '<img src=x onerror="alert(\'programme\')">'
HOSTILE_URL = "javascript:alert(document.cookie)"
LONG_REFERENCE = "EuropeAid/187123/DD/ACT/UA-CSO-LA-2027-MULTI-COUNTRY-LOT3-CIVIL-SOCIETY-LOCAL-AUTHORITIES"


def call(uid: str, title: str, *, url: str = "https://example.org/call", programme: str | None = None,
         funder: str | None = None, deadline: datetime | None = None, **fields) -> Call:
    deadlines = [Deadline(at=deadline, raw=deadline.date().isoformat())] if deadline else []
    return Call(uid=uid, source=uid.split(":")[0], native_id=uid.split(":")[1], title=title, url=url,
                programme=programme, funder=funder, status=Status.OPEN, deadlines=deadlines, **fields)


def entry(c: Call, region: str, reasons: tuple[str, ...], changes: tuple[StoredEvent, ...] = ()) -> DigestEntry:
    verdict = StoredClassification(c.uid, region, 82, "top", "eligible", reasons, ("energy-efficiency",))
    return DigestEntry(c, verdict, changes, as_of=NOW)


def digest(region_id: str) -> Digest:
    """A full digest for ``region_id``: every section filled, long Ukrainian and Serbian words, hostile text."""
    region = REGIONS[region_id]
    start, end = week_bounds("2026-W49", region.zone)
    reasons = ("Прийнятна територія: Україна (UA-46) · Eligible area: Vojvodina (RS-VO)",
               "Тема: енергоефективність · Тема: енергетска ефикасност",
               "Заявники: органи місцевого самоврядування · Подносиоци: јединице локалне самоуправе")
    schools = call(
        "loda:2026-17", "Конкурс мікрогрантів для територіальних громад Львівської області на термомодернізацію "
        "шкільних будівель і закладів охорони здоров'я", url="https://loda.gov.ua/konkurs/2026-17",
        programme="Програма підтримки розвитку місцевого самоврядування у Львівській області на 2026–2028 роки",
        funder="Львівська обласна військова адміністрація", deadline=datetime(2027, 1, 20, 16, 0, tzinfo=UTC),
        grant_min=100000, grant_max=1500000, currency="UAH", cofinancing_rate="0.8")
    vojvodina = call(
        "apv:401-2026", "Јавни конкурс за доделу бесповратних средстава јединицама локалне самоуправе — општине у "
        "АП Војводини, за енергетску санацију јавних објеката", url="https://www.rrpsr.vojvodina.gov.rs/konkurs",
        programme="Покрајински секретаријат за регионални развој, међурегионалну сарадњу и локалну самоуправу",
        funder="Аутономна Покрајина Војводина", deadline=datetime(2026, 12, 15, 14, 0, tzinfo=UTC),
        grant_max=25000000, currency="RSD")
    moved = call("eu-ftp:HORIZON-CL5-2027-D3-01", "Renewable energy communities in rural areas (Innovation Action)",
                 url="https://ec.europa.eu/info/funding-tenders/opportunities/portal/screen/opportunities/topic-details/"
                     "horizon-cl5-2027-d3-01", programme="Horizon Europe — Cluster 5: Climate, Energy and Mobility",
                 funder="European Commission", deadline=datetime(2027, 2, 5, 16, 0, tzinfo=UTC),
                 grant_min=2000000, grant_max=4000000, currency="EUR")
    extended = StoredEvent(7, moved.uid, "deadline-extended", NOW, "2027-01-20T17:00:00+01:00",
                           "2027-02-05T17:00:00+01:00")
    reference = call("eu-ftp:187123", f"{LONG_REFERENCE} — підтримка організацій громадянського суспільства",
                     programme=LONG_REFERENCE, funder="European Commission, Directorate-General for Enlargement and "
                     "Eastern Neighbourhood (DG ENEST)", deadline=datetime(2027, 3, 12, 11, 0, tzinfo=UTC))
    hostile = call("evil:1", HOSTILE_TITLE, url=HOSTILE_URL, programme=HOSTILE_PROGRAMME, funder='R&D "Fund"',
                   deadline=datetime(2026, 12, 3, 16, 0, tzinfo=UTC))
    return Digest(
        region=region, week="2026-W49", period_start=start, period_end=end, now=NOW,
        new=[entry(schools, region_id, reasons), entry(reference, region_id, reasons[:1])],
        closing_soon=[entry(vojvodina, region_id, reasons),
                      entry(hostile, region_id, ("<a href='javascript:x'>click</a>",))],
        updated=[entry(moved, region_id, reasons[1:], (extended,))],
        top=[entry(schools, region_id, reasons), entry(moved, region_id, reasons)],
        failed_sources=[("loda-konkursy", "HTTP 503"), ("<b>apv</b>", "timeout")], total_matching=42)


@pytest.fixture(scope="module")
def emails(tmp_path_factory):
    """lang → path of the HTML part of the built message (Lviv in Ukrainian, Vojvodina in Serbian Cyrillic)."""
    folder, renderer, out = tmp_path_factory.mktemp("email-browser"), EmailRenderer(), {}
    for lang, region in (("uk", "lviv"), ("sr-Cyrl", "vojvodina")):
        unsubscribe = f"https://grants.example.gov/unsubscribe?token={lang}-7f3a"
        rendered = renderer.render(digest(region), lang, site_url=SITE, unsubscribe_url=unsubscribe,
                                   department=DEPARTMENT)
        message = build_message(rendered, sender="Grant digest <digest@grants.example.gov>",
                                recipient="reader@example.org", unsubscribe_url=unsubscribe)
        parsed = BytesParser(policy=default_policy).parsebytes(message.as_bytes())
        path = folder / f"{region}-{lang}.html"
        path.write_text(parsed.get_body(("html",)).get_content(), encoding="utf-8")
        out[lang] = path
    return out


@pytest.mark.browser
@pytest.mark.parametrize("width", [375, 800])
@pytest.mark.parametrize("lang", ["uk", "sr-Cyrl"])
def test_email_fits_the_viewport(emails, open_tab, screenshot, lang, width):
    tab = open_tab(width=width, height=900)
    tab.page.goto(emails[lang].as_uri())
    shot = screenshot(tab.page, f"email-{lang}-{width}px")
    assert shot.stat().st_size > 0
    assert tab.page.evaluate("() => window.innerWidth") == width
    assert horizontal_overflow(tab.page) == [], f"the email scrolls sideways at {width}px (see {shot})"
    # everything was really laid out: every section and the footer are on the page
    text = tab.page.inner_text("body")
    assert "Конкурс мікрогрантів для територіальних громад" in text and "општине у АП Војводини" in text
    assert "grants.example.gov/unsubscribe" in tab.page.get_attribute("a[href*='unsubscribe']", "href")
    assert tab.blocked == [], "the email fetched remote content"
    assert tab.errors == [] and tab.dialogs == []


@pytest.mark.browser
@pytest.mark.parametrize("lang", ["uk", "sr-Cyrl"])
def test_scraped_script_and_javascript_links_are_inert(emails, open_tab, lang):
    tab = open_tab(width=800, height=900)
    tab.page.goto(emails[lang].as_uri())
    page = tab.page
    # the markup shows as text …
    title = page.get_by_text("<script>alert('title')</script> Гранти для <b>громад</b>", exact=True)
    assert title.count() == 1 and title.is_visible()
    assert page.get_by_text(HOSTILE_PROGRAMME).count() == 1
    assert page.get_by_text("<a href='javascript:x'>click</a>").count() == 1
    # … and nothing of it became an element, ran, or links anywhere but http(s)
    assert page.evaluate("() => document.scripts.length") == 0
    assert page.evaluate("() => document.querySelectorAll('img, b, [onerror], [onclick]').length") == 0
    hrefs = page.evaluate("() => [...document.querySelectorAll('[href], [src], [action]')]"
                          ".map(e => e.getAttribute('href') || e.getAttribute('src') || e.getAttribute('action'))")
    assert hrefs and all(h.startswith(("https://", "http://")) for h in hrefs), hrefs
    assert "document.cookie" not in page.content()
    title.click()  # the hostile title is not a link: clicking it goes nowhere and runs nothing
    page.wait_for_timeout(100)
    assert page.url == emails[lang].as_uri()
    assert tab.dialogs == [] and tab.errors == []
    assert tab.blocked == []


@pytest.mark.browser
def test_overflow_check_finds_what_scrolls_sideways(open_tab):
    """The check above can fail: a 600 px table in a 375 px viewport is found, and named."""
    tab = open_tab(width=375, height=600)
    tab.page.set_content('<!doctype html><body style="margin:0"><p>fits</p>'
                         '<table width="600" id="wide"><tr><td>too wide</td></tr></table></body>')
    problems = horizontal_overflow(tab.page)
    assert problems[0] == "document scrollWidth 600 > innerWidth 375"
    assert any(p.startswith("table#wide [0..600]") for p in problems)
    assert not any(p.startswith("p ") for p in problems)


@pytest.mark.browser
def test_pages_reach_nothing_but_this_machine(open_tab):
    """A remote image is aborted before it leaves and listed, so ``blocked == []`` above means something."""
    tab = open_tab(width=375, height=600)
    tab.page.set_content('<!doctype html><body><img alt="" src="https://tracker.example.org/pixel.gif"></body>')
    tab.page.wait_for_load_state()
    assert tab.blocked == ["https://tracker.example.org/pixel.gif"]

# -- the browser fixtures themselves (no browser needed) ---------------------------------------------

def test_missing_chromium_skips_outside_ci_and_fails_in_ci(monkeypatch, tmp_path):
    monkeypatch.setattr(browser, "CHROMIUM", tmp_path / "no-chromium")
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="no-chromium is missing"):
        browser.require_chromium()
    monkeypatch.setenv("CI", "false")
    with pytest.raises(pytest.skip.Exception):
        browser.require_chromium()
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="CI=true"):
        browser.require_chromium()
    monkeypatch.setattr(browser, "CHROMIUM", tmp_path)  # present: the tests run
    assert browser.require_chromium() is None


def test_artifacts_go_where_the_environment_says(monkeypatch, tmp_path):
    monkeypatch.setenv("GRANTDIGEST_TEST_ARTIFACTS", str(tmp_path / "shots"))
    assert browser.artifacts_dir() == tmp_path / "shots" and (tmp_path / "shots").is_dir()
    monkeypatch.delenv("GRANTDIGEST_TEST_ARTIFACTS")
    assert browser.artifacts_dir() == browser.REPO / "var" / "test-artifacts"
