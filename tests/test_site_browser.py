"""The static site in real headless Chromium (issue #7), against the contract in the site's docs.

One site is built per module with ``grantdigest build`` from a store of calls in
Ukrainian, Serbian Cyrillic, Serbian Latin and English across regions and programmes,
consolidated and classified as after a crawl, with source runs (the status page) and a
past week in the archive. It is opened from disk (``file://``) and from a
``ThreadingHTTPServer`` on 127.0.0.1; the browser reaches nothing else (tests/browser.py).
Checked: filters by region and programme, offline search in Ukrainian and Serbian
(Cyrillic query, Latin text too), following a call to its page, the language switch,
axe-core (no serious or critical violations on every page type in uk and sr-Cyrl),
keyboard access (skip link first, then the filter controls), no sideways scrolling at
375 px and 800 px, and scraped markup arriving inert.
"""

from __future__ import annotations

import functools
import threading
from datetime import timedelta
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import frozen_clock
import pytest
from browser import axe_violations, horizontal_overflow
from click.testing import CliRunner
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from calls.config import load_config
from calls.regions import configured_regions
from calls.schema import Call, Deadline, Status, make_uid
from calls.store import Outcome, Store
from digest.cli import cli
from digest.offline import write_config
from digest.select import iso_week, select_digest
from digest.site.slugs import call_slug
from pipelines.consolidate import consolidate_configured

pytestmark = pytest.mark.browser

NOW = frozen_clock.NOW  # the run's clock (tests/frozen_clock.py): `grantdigest build` below reads the same
SHOWN_TIERS = ("top", "relevant")
FILTERS = ("filter-region", "filter-programme", "filter-funder", "filter-theme", "filter-applicant",
           "filter-deadline", "search")
LANG_NAMES = {"uk": "Українська", "sr-Latn": "Srpski (latinica)", "sr-Cyrl": "Српски (ћирилица)", "en": "English"}


def call(source: str, native_id: str, title: str, *, lang: str, days: int, url: str | None = None,
         **fields) -> Call:
    at = NOW + timedelta(days=days)
    return Call(uid=make_uid(source, native_id), source=source, native_id=native_id, title=title,
                url=url or f"https://{source}.example.org/calls/{native_id}", language=lang, status=Status.OPEN,
                deadlines=[Deadline(at=at, raw=at.date().isoformat())], **fields)


LVIV_SCHOOLS = call(
    "loda", "2026-17", "Конкурс мікропроєктів для територіальних громад Львівщини: енергоефективність шкіл",
    lang="uk", days=40, eligible_countries=["UA"], eligible_areas=["UA-46"], applicant_types=["local-government"],
    programme="Програма розвитку місцевого самоврядування Львівщини",
    funder="Львівська обласна військова адміністрація",
    summary="Підтримка громад у термомодернізації шкільних будівель.")
VOJVODINA_MUNICIPAL = call(
    "apv", "401-61", "Јавни конкурс за општине у АП Војводини за енергетску ефикасност јавних објеката",
    lang="sr-Cyrl", days=25, eligible_countries=["RS"], eligible_areas=["RS-VO"],
    applicant_types=["local-government"], programme="Покрајински секретаријат за регионални развој",
    funder="АП Војводина")
HUSRB_HERITAGE = call(
    "interreg-husrb", "HUSRB-2027-1", "Javni poziv za udruženja: kulturno nasleđe i turizam u pograničnom regionu",
    lang="sr-Latn", days=60, eligible_countries=["RS", "HU"], eligible_areas=["RS-VO"], applicant_types=["ngo"],
    programme="Interreg IPA Hungary–Serbia", programme_id="interreg-ipa-husrb")
HORIZON_ENERGY = call(
    "eu-ftp", "HORIZON-CL5-2027-D3-01", "Renewable energy communities in rural areas", lang="en", days=80,
    eligible_countries=["UA", "RS"], applicant_types=["research", "local-government"], programme="Horizon Europe",
    programme_id="horizon-europe", funder="European Commission", call_id="HORIZON-CL5-2027-D3-01")
ZAKARPATTIA_YOUTH = call(
    "zakarpattia-oda", "molod-3", "Гранти для молодіжних ініціатив громад Закарпаття", lang="uk", days=15,
    eligible_countries=["UA"], eligible_areas=["UA-21"], applicant_types=["ngo"],
    programme="Interreg NEXT Hungary–Slovakia–Romania–Ukraine", programme_id="interreg-next-huskroua")
HOSTILE = call(
    "evil", "1", "<script>window.__pwned = 1</script> Підтримка ветеранів у громадах", lang="uk", days=30,
    url="javascript:window.__pwned=2", eligible_countries=["UA"], eligible_areas=["UA-46"],
    programme='<img src=x onerror="window.__pwned=3">')
CALLS = (LVIV_SCHOOLS, VOJVODINA_MUNICIPAL, HUSRB_HERITAGE, HORIZON_ENERGY, ZAKARPATTIA_YOUTH, HOSTILE)
ALL = {c.uid for c in CALLS}

SEARCHES = {  # query → the calls it finds (word prefix, case-insensitive, Latin ↔ Cyrillic, every word)
    "громад": {LVIV_SCHOOLS.uid, ZAKARPATTIA_YOUTH.uid, HOSTILE.uid},  # громад, громадах
    "Громад Львівщини": {LVIV_SCHOOLS.uid},
    "општине": {VOJVODINA_MUNICIPAL.uid},
    "општин": {VOJVODINA_MUNICIPAL.uid},
    "наслеђе": {HUSRB_HERITAGE.uid},  # Cyrillic query, Latin text
    "opštine": {VOJVODINA_MUNICIPAL.uid},  # Latin query, Cyrillic text
}


class QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format, *args):  # noqa: A002 — the stdlib's signature
        pass


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """``(out, tiers)``: the built site, and uid → {region: tier} from the store it was built from."""
    folder = tmp_path_factory.mktemp("site-browser")
    config_path = write_config(folder, extra='[site]\nbase_url = "https://grants.example.org/digest/"\n')
    config = load_config(config_path)
    store = Store.open(config.database_url)
    try:
        for c in CALLS:  # first seen before last week ended, whatever day of the week NOW is
            store.upsert(c, NOW - timedelta(days=8))
        for source, outcome, items, reason in (("eu-ftp", Outcome.OK, 1, None),
                                               ("gurt", Outcome.FAILED, 0, "HTTP 503 from the feed")):
            run = store.start_run(source, NOW - timedelta(hours=3))
            store.finish_run(run, items=items, invalid=0, errors=int(outcome == Outcome.FAILED), outcome=outcome,
                             reason=reason, finished_at=NOW - timedelta(hours=3) + timedelta(minutes=2))
        consolidate_configured(config, store, now=NOW)
        _archive_last_week(store, config)
        tiers: dict[str, dict[str, str]] = {}
        for uid, verdicts in store.classifications().items():
            tiers[uid] = {v.region: v.tier for v in verdicts}
    finally:
        store.close()
    out = folder / "public"
    result = CliRunner().invoke(cli, ["--config", str(config_path), "build", "--out", str(out)],
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert (out / "en" / "calls" / "index.html").is_file(), result.output
    return out, tiers


def _archive_last_week(store: Store, config) -> None:
    """Last week's digests for Lviv and Vojvodina, as an earlier build would have archived them."""
    from digest.site import archive

    regions = configured_regions(config)
    for region_id in ("lviv", "vojvodina"):
        digest = select_digest(store, regions[region_id], NOW - timedelta(days=7))
        archive.record(store, digest, NOW - timedelta(days=7))


@pytest.fixture(scope="module")
def server(site):
    """The site served by a ThreadingHTTPServer on 127.0.0.1 (a free port)."""
    out, _ = site
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(QuietHandler, directory=str(out)))
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/"
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture(params=["file", "http"])
def base(request, site):
    """The site's root URL, from disk and from the local server."""
    if request.param == "file":
        return site[0].as_uri() + "/"
    return request.getfixturevalue("server")


def in_region(tiers, region: str) -> set[str]:
    return {uid for uid, by_region in tiers.items() if by_region.get(region) in SHOWN_TIERS}


def shown(page) -> set[str]:
    """The uids of the result items a reader sees."""
    return set(page.eval_on_selector_all(
        "#results li.call",
        "els => els.filter(e => !e.hidden && e.getClientRects().length > 0).map(e => e.dataset.uid)"))


def wait_shown(page, expected: set[str]) -> set[str]:
    """Wait (up to 3 s) until exactly ``expected`` is shown; what is shown then."""
    try:
        page.wait_for_function(
            """expected => {
                const uids = [...document.querySelectorAll('#results li.call')]
                    .filter(e => !e.hidden && e.getClientRects().length > 0).map(e => e.dataset.uid).sort();
                return JSON.stringify(uids) === JSON.stringify(expected);
            }""", arg=sorted(expected), timeout=3000)
    except PlaywrightTimeout:  # report the difference in the caller's assertion instead
        pass
    return shown(page)


def select_option_containing(page, selector: str, text: str) -> str:
    """Choose the option of ``selector`` whose label contains ``text``; its value."""
    value = page.eval_on_selector(
        selector, "(s, text) => { const o = [...s.options].find(o => o.textContent.includes(text)); "
                  "return o ? o.value : null; }", text)
    assert value, f"no option containing {text!r} in {selector}"
    page.select_option(selector, value)
    return value


def open_page(open_tab, url: str, width: int = 1280):
    """A new tab showing ``url``."""
    return visit(open_tab(width=width, height=900), url)


def visit(tab, url: str):
    """``tab`` navigated to ``url`` (which must load: HTTP 200, or a file that exists)."""
    response = tab.page.goto(url)
    assert response is None or response.ok, f"{url}: HTTP {response.status}"
    return tab


def assert_clean(tab) -> None:
    """No JS error, no dialog, no request leaving the machine."""
    assert tab.errors == [], tab.errors
    assert tab.dialogs == [], tab.dialogs
    assert tab.blocked == [], f"external fetches: {tab.blocked}"


# -- filters and search ------------------------------------------------------------------------

def test_all_calls_listed_then_filtered_by_region_and_programme(site, base, open_tab):
    _, tiers = site
    tab = open_page(open_tab, base + "uk/calls/index.html")
    page = tab.page
    assert shown(page) == ALL
    vojvodina = in_region(tiers, "vojvodina")
    assert {VOJVODINA_MUNICIPAL.uid, HUSRB_HERITAGE.uid} <= vojvodina and LVIV_SCHOOLS.uid not in vojvodina
    page.select_option("#filter-region", "vojvodina")
    assert wait_shown(page, vojvodina) == vojvodina
    assert str(len(vojvodina)) in page.inner_text("#result-count")
    select_option_containing(page, "#filter-programme", "Interreg IPA Hungary–Serbia")
    assert wait_shown(page, {HUSRB_HERITAGE.uid}) == {HUSRB_HERITAGE.uid}
    assert page.is_hidden("#no-results")
    page.select_option("#filter-region", "lviv")  # a programme that is not Lviv's: nothing left
    assert wait_shown(page, set()) == set()
    assert page.is_visible("#no-results")
    select_option_containing(page, "#filter-programme", "Horizon Europe")
    assert wait_shown(page, {HORIZON_ENERGY.uid}) == {HORIZON_ENERGY.uid}
    page.select_option("#filter-region", "")
    page.select_option("#filter-programme", "")
    assert wait_shown(page, ALL) == ALL
    page.fill("#search", "општине")
    page.select_option("#filter-region", "vojvodina")
    assert wait_shown(page, {VOJVODINA_MUNICIPAL.uid}) == {VOJVODINA_MUNICIPAL.uid}
    page.click('#filters [type="reset"]')  # "Clear filters": everything again
    assert wait_shown(page, ALL) == ALL
    assert page.input_value("#search") == "" and page.input_value("#filter-region") == ""
    assert_clean(tab)


@pytest.mark.parametrize("query", list(SEARCHES))
def test_search_finds_ukrainian_and_serbian_words(site, base, open_tab, query):
    tab = open_page(open_tab, base + "uk/calls/index.html")
    tab.page.fill("#search", query)
    assert wait_shown(tab.page, SEARCHES[query]) == SEARCHES[query]
    assert_clean(tab)


def test_search_and_region_preset_from_the_query_string(site, base, open_tab):
    _, tiers = site
    expected = SEARCHES["громад"] & in_region(tiers, "lviv")
    assert expected == {LVIV_SCHOOLS.uid, HOSTILE.uid}
    tab = open_page(open_tab, base + "sr-Cyrl/calls/index.html?region=lviv&q=%D0%B3%D1%80%D0%BE%D0%BC%D0%B0%D0%B4")
    assert wait_shown(tab.page, expected) == expected
    assert tab.page.input_value("#search") == "громад" and tab.page.input_value("#filter-region") == "lviv"
    assert_clean(tab)


# -- a call's page and the language switch ------------------------------------------------------

def test_follow_a_call_then_switch_language(site, base, open_tab):
    tab = open_page(open_tab, base + "uk/calls/index.html")
    page = tab.page
    page.click(f'#results li.call[data-uid="{VOJVODINA_MUNICIPAL.uid}"] a.call-link')
    page.wait_for_url("**/uk/call/*.html")
    slug = page.url.rsplit("/", 1)[1]
    assert slug == f"{call_slug(VOJVODINA_MUNICIPAL.uid)}.html"
    assert page.inner_text("h1").strip() == VOJVODINA_MUNICIPAL.title
    assert page.get_attribute("html", "lang") == "uk"
    original = page.locator('main a[href="https://apv.example.org/calls/401-61"]')
    assert original.count() >= 1 and "noopener" in (original.first.get_attribute("rel") or "")
    for lang in ("sr-Cyrl", "en", "uk"):
        switch = page.locator(f'#lang-switch a[hreflang="{lang}"]')
        assert switch.inner_text().strip() == LANG_NAMES[lang]
        switch.click()
        page.wait_for_url(f"**/{lang}/call/{slug}")
        assert page.get_attribute("html", "lang") == lang
        assert page.inner_text("h1").strip() == VOJVODINA_MUNICIPAL.title
        assert page.get_attribute(f'#lang-switch a[hreflang="{lang}"]', "aria-current") == "true"
        others = page.eval_on_selector_all("#lang-switch a[aria-current]", "els => els.map(e => e.hreflang)")
        assert others == [lang]
    assert_clean(tab)


def test_scraped_markup_is_inert(site, base, open_tab):
    tab = open_page(open_tab, base + "uk/calls/index.html")
    page = tab.page
    item = page.locator(f'#results li.call[data-uid="{HOSTILE.uid}"]')
    assert "<script>window.__pwned = 1</script>" in item.inner_text()
    assert_inert(page)
    item.locator("a.call-link").click()
    page.wait_for_url(f"**/uk/call/{call_slug(HOSTILE.uid)}.html")
    assert page.inner_text("h1").strip() == HOSTILE.title
    assert HOSTILE.programme in page.inner_text("main")
    assert_inert(page)
    assert_clean(tab)


def assert_inert(page) -> None:
    """Nothing of the hostile call ran or became markup, and no link leads to script."""
    assert page.evaluate("() => window.__pwned") is None
    assert page.evaluate("() => document.querySelectorAll('main img, main [onerror], main script').length") == 0
    hrefs = page.eval_on_selector_all("a[href]", "els => els.map(e => e.getAttribute('href'))")
    assert not [h for h in hrefs if h.strip().lower().startswith(("javascript:", "data:", "vbscript:"))], hrefs


def test_status_and_archive_show_what_the_store_holds(site, base, open_tab):
    tab = open_page(open_tab, base + "sr-Cyrl/status.html")
    failed, ok = (tab.page.locator("main tbody tr", has=tab.page.locator("th", has_text=slug))
                  for slug in ("gurt", "eu-ftp"))
    assert failed.count() == 1 and "HTTP 503 from the feed" in failed.inner_text()
    assert ok.count() == 1 and "HTTP 503" not in ok.inner_text()
    visit(tab, base + "uk/archive/index.html")
    last_week = iso_week(NOW - timedelta(days=7), "Europe/Kyiv")
    links = tab.page.eval_on_selector_all("main a[href]", "els => els.map(e => e.getAttribute('href'))")
    assert [h for h in links if f"{last_week}/lviv.html" in h], links
    tab.page.click(f'main a[href$="{last_week}/lviv.html"]')
    tab.page.wait_for_url(f"**/uk/archive/{last_week}/lviv.html")
    assert LVIV_SCHOOLS.title in tab.page.inner_text("main")
    assert_clean(tab)


# -- accessibility ---------------------------------------------------------------------------------

def page_paths(site_out: Path, lang: str) -> dict[str, str]:
    """Page type → path (relative to the site root) of one page of each type in ``lang``."""
    weeks = sorted((site_out / lang / "archive").glob("*/*.html"))
    assert weeks, f"no archived week under {site_out / lang / 'archive'}"
    return {
        "home": f"{lang}/index.html", "calls": f"{lang}/calls/index.html",
        "call": f"{lang}/call/{call_slug(VOJVODINA_MUNICIPAL.uid)}.html", "region": f"{lang}/region/vojvodina.html",
        "region-ua": f"{lang}/region/lviv.html", "regions": f"{lang}/region/index.html",
        "feeds": f"{lang}/feeds.html", "archive": f"{lang}/archive/index.html",
        "archive-week": weeks[0].relative_to(site_out).as_posix(), "status": f"{lang}/status.html",
    }


@pytest.mark.parametrize("lang", ["uk", "sr-Cyrl"])
def test_no_serious_accessibility_violations(site, server, open_tab, lang):
    out, _ = site
    failures = {}
    tab = open_tab(width=1280, height=900)
    for kind, path in page_paths(out, lang).items():
        visit(tab, server + path)
        assert tab.page.get_attribute("html", "lang") == lang, path
        found = axe_violations(tab.page)
        if found:
            failures[f"{kind} ({path})"] = found
    assert_clean(tab)
    assert failures == {}, "\n".join(f"{page}:\n  " + "\n  ".join(v) for page, v in failures.items())


def test_language_chooser_is_accessible(site, server, open_tab):
    tab = open_page(open_tab, server + "index.html")
    links = tab.page.eval_on_selector_all("a[hreflang]", "els => els.map(e => [e.hreflang, e.lang])")
    assert sorted(links) == sorted([lang, lang] for lang in LANG_NAMES)
    assert axe_violations(tab.page) == []
    assert_clean(tab)


# -- keyboard -----------------------------------------------------------------------------------

def focused(page) -> dict:
    return page.evaluate("""() => {
        const e = document.activeElement, box = e.getBoundingClientRect();
        return {tag: e.tagName.toLowerCase(), id: e.id, href: e.getAttribute('href'), in_main: !!e.closest('main'),
                visible: box.width > 0 && box.height > 0 && box.bottom > 0 && box.right > 0
                         && box.top < window.innerHeight && box.left < window.innerWidth};
    }""")


@pytest.mark.parametrize("lang", ["uk", "sr-Cyrl"])
def test_keyboard_reaches_skip_link_first_then_the_filters(site, server, open_tab, lang):
    tab = open_page(open_tab, server + f"{lang}/calls/index.html")
    page = tab.page
    page.keyboard.press("Tab")
    first = focused(page)
    assert first["tag"] == "a" and first["href"] == "#main", first
    assert first["visible"], "the skip link is not visible when focused"
    page.keyboard.press("Enter")
    assert page.evaluate("() => location.hash") == "#main"
    page.keyboard.press("Tab")
    after_skip = focused(page)
    assert after_skip["in_main"], f"the skip link did not move focus into <main>: next stop {after_skip}"
    reached, stops = [after_skip["id"]], 1
    while stops < 80 and not set(FILTERS) <= set(reached):
        page.keyboard.press("Tab")
        stops += 1
        reached.append(focused(page)["id"])
    missing = [f for f in FILTERS if f not in reached]
    assert missing == [], f"not reachable with Tab in {stops} stops: {missing}"
    in_dom = page.eval_on_selector_all("#filters select, #filters input", "els => els.map(e => e.id)")
    assert [f for f in reached if f in FILTERS] == [f for f in in_dom if f in FILTERS], (
        "Tab order is not the page order")
    assert_clean(tab)


# -- phones and desktops ----------------------------------------------------------------------------

@pytest.mark.parametrize("width", [375, 800])
def test_pages_fit_the_viewport(site, server, open_tab, screenshot, width):
    out, _ = site
    problems = {}
    tab = open_tab(width=width, height=900)
    for lang in ("uk", "sr-Cyrl"):
        paths = page_paths(out, lang)
        for kind in ("home", "calls", "call", "region", "archive", "status"):
            visit(tab, server + paths[kind])
            shot = screenshot(tab.page, f"site-{lang}-{kind}-{width}px")
            found = horizontal_overflow(tab.page, elements=False)
            if found:
                problems[f"{paths[kind]} ({shot.name})"] = found
    assert_clean(tab)
    assert problems == {}, problems


def test_axe_check_reports_serious_violations(open_tab):
    """The accessibility check can fail: an unlabelled field, an image without alt text, no page language."""
    tab = open_tab()
    tab.page.set_content('<!doctype html><html><head><title>t</title></head><body><main><input type="text">'
                         '<img src="data:image/gif;base64,R0lGODlhAQABAAAAACw=">'
                         '<p style="color:#ccc;background:#fff">faint text</p></main></body></html>')
    found = {line.split(" ", 1)[0] for line in axe_violations(tab.page)}
    assert {"label", "image-alt", "html-has-lang", "color-contrast"} <= found, found
