"""The static site: every page in four languages, relative links, filters, call pages, region and status pages,
the build command, and scraped payloads that stay inert. Archive, incremental builds, the atomic swap, editor
controls and feeds from a fresh store: tests/test_site_builds.py."""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta
from pathlib import Path
from urllib.parse import unquote, urlsplit
from zoneinfo import ZoneInfo

import pytest
from site_fixtures import NOW, REGIONS, XSS, make_store, sample_calls
from site_pages import Page, build, parse, snapshot

from calls import folding
from digest.i18n import LANGUAGES, translations
from digest.site import search
from digest.site.slugs import call_slug

OWN_SCRIPTS = {"assets/search-index.js", "assets/site.js"}


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    folder = tmp_path_factory.mktemp("site")
    store = make_store(folder)
    report = build(store, folder / "public")
    yield store, folder / "public", report
    store.close()


def html_files(out: Path) -> list[Path]:
    return sorted(out.rglob("*.html"))


# -- structure -----------------------------------------------------------------------

def test_every_page_exists_in_every_language(site):
    store, out, report = site
    slugs = [call_slug(c.uid) for c in sample_calls()]
    assert (
        (out / "index.html").is_file()
        and (out / "assets" / "site.css").is_file()
        and (out / "assets" / "site.js").is_file()
    )
    for lang in LANGUAGES:
        expected = ["index.html", "calls/index.html", "region/index.html", "archive/index.html", "status.html",
                    "feeds.html",
                    *(f"call/{slug}.html" for slug in slugs), *(f"region/{r}.html" for r in REGIONS),
                    *(f"archive/2026-W48/{r}.html" for r in REGIONS)]
        for page in expected:
            assert (out / lang / page).is_file(), (lang, page)
    assert report.site.pages == len(html_files(out)) and report.site.calls == len(slugs)
    assert (out / "feeds" / "all" / "atom.xml").is_file()  # the feeds share the build


def test_every_page_has_lang_landmarks_skip_link_and_language_switch(site):
    _, out, _ = site
    names = {"uk": "Українська", "sr-Latn": "Srpski (latinica)", "sr-Cyrl": "Српски (ћирилица)", "en": "English"}
    for path in html_files(out):
        page, rel = parse(path), path.relative_to(out).as_posix()
        lang = rel.split("/")[0] if rel != "index.html" else None
        html = page.find("html")[0]
        assert html["lang"] == (lang or "en"), rel
        for landmark in ("header", "main", "footer"):
            assert page.find(landmark), (rel, landmark)
        assert page.find("main", id="main")
        assert page.find("a", href="#main"), rel
        assert len(page.find("h1")) == 1, rel
        links = [a for a in page.find("a") if a.get("hreflang")]
        assert {a["hreflang"] for a in links} == set(LANGUAGES) and all(a["lang"] == a["hreflang"] for a in links), rel
        if lang:
            assert [n["aria-label"] for n in page.find("nav") if n.get("aria-label")][:2], rel
            assert page.find("nav", id="lang-switch")
            current = [a for a in links if a.get("aria-current") == "true"]
            assert [a["hreflang"] for a in current] == [lang], rel
            # the switch leads to the same page in the other language
            for a in links:
                target = (path.parent / a["href"]).resolve()
                assert target == (out / a["hreflang"] / rel.split("/", 1)[1]).resolve(), (rel, a)
            assert names[lang] in page.all_text


def test_every_link_is_relative_and_resolves(site):
    _, out, _ = site
    checked = 0
    for path in html_files(out):
        page = parse(path)
        for tag, attr in (("a", "href"), ("link", "href"), ("script", "src"), ("img", "src")):
            for attrs in page.find(tag):
                url = attrs.get(attr)
                if not url or url.startswith("#"):
                    continue
                parts = urlsplit(url)
                if parts.scheme:
                    assert parts.scheme in ("http", "https") and tag == "a", (path, url)
                    assert "noopener" in (attrs.get("rel") or ""), (path, url)  # only calls' own pages
                    continue
                assert not url.startswith("/"), (path, url)
                target = (path.parent / unquote(parts.path)).resolve()
                assert target.is_file() and out.resolve() in target.parents, (path, url)
                checked += 1
    assert checked > 1000


def test_no_external_resources(site):
    _, out, _ = site
    for path in html_files(out):
        page = parse(path)
        for tag, attr in (("link", "href"), ("script", "src"), ("img", "src")):
            for attrs in page.find(tag):
                assert not urlsplit(attrs.get(attr) or "").scheme, (path, attrs)
    assert "url(" not in (out / "assets" / "site.css").read_text()
    assert not re.search(r"\b(fetch|XMLHttpRequest|import\()", (out / "assets" / "site.js").read_text())


# -- the calls page -----------------------------------------------------------------

def test_calls_page_lists_every_call_with_filters(site):
    _, out, _ = site
    page = parse(out / "uk" / "calls" / "index.html")
    assert page.find("form", id="filters")
    for key in ("region", "programme", "funder", "theme", "applicant", "deadline"):
        assert page.find("select", id=f"filter-{key}") and page.find("label", for_=f"filter-{key}"), key
    assert page.find("input", id="search", type="search") and page.find("label", for_="search")
    assert page.find("p", id="result-count")[0]["aria-live"] == "polite"
    items = {li["data-uid"]: li for li in page.find("li") if "call" in (li.get("class") or "").split()}
    assert set(items) == {c.uid for c in sample_calls()}
    energy = items["manual:ua-energy"]
    assert energy["data-region"].split() == ["lviv"]
    assert energy["data-programme"] == "interreg-next-pl-ua" and energy["data-funder"] == "European Union"
    assert "energy-efficiency" in energy["data-theme"].split()
    assert set(energy["data-applicant"].split()) == {"local-government", "ngo"}
    deadline = NOW + timedelta(days=40)
    assert datetime.fromisoformat(energy["data-deadline"]) == deadline  # the filter's instant, on the publisher's clock
    assert energy["data-deadline"] == deadline.astimezone(ZoneInfo("Europe/Brussels")).isoformat()
    assert items["manual:no-deadline"]["data-deadline"] == ""
    assert not any("hidden" in li for li in items.values())  # without JavaScript every call is listed
    options = {key: [o.get("value") for o in _options(out / "uk" / "calls" / "index.html", f"filter-{key}")]
               for key in ("region", "programme", "funder", "theme", "applicant", "deadline")}
    assert options["deadline"] == ["", "7", "30", "90"]
    assert {"lviv", "vojvodina"} <= set(options["region"]) and "interreg-ipa-husrb" in options["programme"]
    assert "Norway Grants" in options["funder"] and "tourism-culture" in options["theme"]
    assert "sme" in options["applicant"]
    assert page.find("link", rel="alternate", type="application/atom+xml")
    links = [a["href"] for a in page.find("a") if a.get("class") == "call-link"]
    assert f"../call/{call_slug('manual:ua-energy')}.html" in links


def _options(path: Path, select_id: str) -> list[dict]:
    text = path.read_text(encoding="utf-8")
    block = re.search(rf'<select id="{select_id}".*?</select>', text, re.S).group(0)
    return Page(block).find("option")


def test_search_index_folds_scripts_and_matches_word_prefixes(site):
    _, out, _ = site
    script = (out / "assets" / "search-index.js").read_text(encoding="ascii")
    prefix = f"window.{search.GLOBAL_NAME}="
    assert script.startswith(prefix) and script.rstrip().endswith(";")
    index = json.loads(script.strip()[len(prefix):-1])
    docs = index["docs"]

    def found(query):
        return {uid for uid, doc in docs.items() if search.matches(doc, query)}

    assert found("громад") == {"manual:ua-energy"}
    assert found("општин") == {"manual:rs-opstine", "manual:rs-latin"}  # Cyrillic query, Latin "opštinama" too
    assert found("opštin") == found("OPSTIN") == found("општин")
    assert found("дигитализац") == {"manual:rs-latin"}  # Cyrillic query, Latin text
    assert found("turiz") == {"manual:rs-opstine"}  # Latin query, Cyrillic text
    assert found("општин туриз") == {"manual:rs-opstine"}  # every word must match
    assert found("PLUA/2027") == {"manual:ua-energy"}  # the call id
    assert found("енергоефективн") >= {"manual:ua-energy"}  # the theme label in Ukrainian
    assert found("norway") == {"manual:no-deadline"} and found("громадаа") == set()
    assert index["fold"]["љ"] == "lj" and folding.fold("Ђурђевак") == "djurdjevak"


# -- call, region, archive, status pages ----------------------------------------------------

def test_call_page_has_every_field_reasons_provenance_and_history(site):
    _, out, _ = site
    path = out / "en" / "call" / f"{call_slug('manual:ua-energy')}.html"
    page, text = parse(path), path.read_text(encoding="utf-8")
    assert page.texts("h1") == ["Енергоефективність для громади Львівщини"]
    for needle in ("PLUA/2027/01", "Interreg NEXT Poland–Ukraine", "European Union", "open", "10:00 Brussels time",
                   "(11:00 Kyiv time)", "€2,000,000", "€100,000 to €500,000",
                   "up to 90% of eligible costs", "local governments", "Ukraine", "Poland", "Ukrainian",
                   "Lviv Oblast", "Score", "new"):
        assert needle in page.all_text, needle
    external = [a for a in page.find("a") if a.get("href") == "https://calls.example.org/ua-energy"]
    assert external and all(a["rel"] == "noopener noreferrer" for a in external)
    assert page.find("h2", id="why") and page.find("h2", id="sources") and page.find("h2", id="history")
    assert "<code>manual</code> ua-energy" in text
    lviv = text.split('id="why-lviv"', 1)[1].split("</section>", 1)[0]
    assert "Top match" in lviv and "<li>" in lviv  # tier and at least one reason
    uk = parse(out / "uk" / "call" / f"{call_slug('manual:ua-energy')}.html")
    assert translations("uk").gettext("Why it matches") in uk.texts("h2")
    assert "січня" in uk.all_text or "грудня" in uk.all_text  # dates in Ukrainian
    # the publisher's clock, then Kyiv's
    assert "10:00 за брюссельським часом (11:00 за київським часом)" in uk.all_text


def test_region_page_lists_matching_calls_with_reasons_and_feed(site):
    _, out, _ = site
    page = parse(out / "sr-Cyrl" / "region" / "vojvodina.html")
    titles = [a for a in page.find("a") if a.get("class") == "call-link"]
    hrefs = {a["href"] for a in titles}
    assert f"../call/{call_slug('manual:rs-opstine')}.html" in hrefs
    assert f"../call/{call_slug('manual:ua-energy')}.html" not in hrefs  # not eligible in Serbia
    assert page.find("link", rel="alternate", type="application/atom+xml", href="../../feeds/vojvodina/atom.xml")
    assert page.find("ul", class_="reasons")


def test_digest_home_shows_sections_per_region(site):
    _, out, _ = site
    text = (out / "en" / "index.html").read_text(encoding="utf-8")
    page = Page(text)
    assert "Week 2026-W48" in page.all_text
    assert {"Lviv Oblast", "Autonomous Province of Vojvodina"} <= set(page.texts("h2"))
    assert "New this week" in page.texts("h3")  # every call is new in its first week
    assert f"call/{call_slug('manual:ua-energy')}.html" in text


def test_each_language_leads_with_the_regions_that_read_it(site):
    _, out, _ = site
    first = {lang: parse(out / lang / "index.html").texts("h2")[0] for lang in ("uk", "sr-Cyrl", "sr-Latn")}
    ukrainian = {r.names["uk"] for r in REGIONS.values() if "uk" in r.digest_languages}
    assert first["uk"] in ukrainian and parse(out / "uk" / "index.html").texts("h2")[-1] == "Воєводіна"
    assert first["sr-Cyrl"] == "Аутономна Покрајина Војводина"
    assert first["sr-Latn"] == "Autonomna Pokrajina Vojvodina"


def test_status_page_lists_sources_health(site):
    _, out, _ = site
    page = parse(out / "en" / "status.html")
    assert [h.strip() for h in page.texts("th")][:6] == ["Source", "Title", "State", "Last run", "Items", "Reason"]
    row = (out / "en" / "status.html").read_text(encoding="utf-8").split("<code>manual</code>", 1)[1].split("</tr>")[0]
    assert "OK" in row and ">5<" in row
    assert "Працює" in parse(out / "uk" / "status.html").all_text


# -- hostile scraped text -----------------------------------------------------------------------

EVENT_ATTR = re.compile(r"^on", re.I)


def test_scraped_payloads_are_inert_on_every_page(site):
    _, out, _ = site
    raw_payload = "<script>alert(1)</script>"
    escaped_seen = 0
    for path in html_files(out):
        text = path.read_text(encoding="utf-8")
        page = Page(text)
        for tag, attrs in page.tags:
            assert not [a for a in attrs if EVENT_ATTR.match(a)], (path, tag, attrs)
            for name in ("href", "src", "action", "formaction"):
                assert not (attrs.get(name) or "").strip().lower().startswith(
                    ("javascript:", "data:", "vbscript:")
                ), (path, attrs)
            if tag == "script":
                src = attrs.get("src")
                assert src, (path, "inline script")
                assert (path.parent / src).resolve().relative_to(out.resolve()).as_posix() in OWN_SCRIPTS
            assert tag not in ("img", "iframe", "object", "embed", "textarea"), (path, tag)
        assert raw_payload not in text and "<img" not in text, path
        if "&lt;script&gt;alert(1)&lt;/script&gt;" in text:
            escaped_seen += 1
    # the payload is there as text: on its call page (four languages), the lists and the region pages
    assert escaped_seen >= 4 * 3
    xss_page = parse(out / "en" / "call" / f"{call_slug('manual:xss')}.html")
    assert XSS in xss_page.texts("h1")
    assert not [a for a in xss_page.find("a") if "alert(3)" in (a.get("href") or "")]
    script = (out / "assets" / "search-index.js").read_text(encoding="ascii")
    assert "<" not in script and ">" not in script and "\u2028" not in script
    body = json.loads(script.strip()[len(f"window.{search.GLOBAL_NAME}="):-1])
    assert set(body) == {"fold", "docs"} and "manual:xss" in body["docs"]


def test_index_script_cannot_be_broken_out_of():
    nasty = {'a"};alert(1);//': '</script><script>alert(2)</script>\u2028\u2029"\\', "x": "&<>"}
    script = search.index_script(nasty).decode("ascii")
    assert "</script" not in script.lower() and "\u2028" not in script
    body = json.loads(script.strip()[len(f"window.{search.GLOBAL_NAME}="):-1])
    assert body["docs"] == nasty


def test_slugs_are_stable_and_file_safe():
    assert call_slug("eu-ftp:HORIZON-CL5-2027-D3-01") == call_slug("eu-ftp:HORIZON-CL5-2027-D3-01")
    slug = call_slug("grants-gov:../../etc/passwd")
    assert re.fullmatch(r"[a-z0-9-]+", slug) and ".." not in slug
    assert call_slug("manual:Општина Нови Сад").startswith("manual-opstina-novi-sad-")
    assert call_slug("a:b/c") != call_slug("a:b?c")  # folded alike, hashed apart
    assert len(call_slug("x:" + "y" * 500)) <= 70


def test_grantdigest_build_writes_site_and_feeds_and_reports_counts(tmp_path):
    from click.testing import CliRunner

    from digest.cli import cli
    from digest.offline import write_config

    store = make_store(tmp_path)  # tmp_path/site.db
    config = write_config(tmp_path / "conf", database_url=f"sqlite:///{tmp_path / 'site.db'}")
    out = tmp_path / "public"
    args = ["--config", str(config), "build", "--out", str(out)]
    first = CliRunner().invoke(cli, args, catch_exceptions=False)
    assert first.exit_code == 0, first.output
    assert "site:" in first.output and " 0 unchanged" in first.output
    assert (out / "sr-Cyrl" / "calls" / "index.html").is_file() and (out / "feeds" / "lviv" / "atom.xml").is_file()
    # the status page lists every configured source, run or not
    status = parse(out / "en" / "status.html").all_text
    assert "manual" in status and "Never run" in status
    calls_before = {p: v for p, v in snapshot(out).items() if "/call/" in p}
    again = CliRunner().invoke(cli, args, catch_exceptions=False)
    site_line = next(line for line in again.output.splitlines() if line.startswith("site:"))
    written = int(re.search(r"(\d+) written", site_line).group(1))
    # the clock moved: at most the pages that show it (digest, its archive copy, status) are rewritten
    assert written <= 4 * (2 + len(REGIONS)), site_line
    assert {p: v for p, v in snapshot(out).items() if "/call/" in p} == calls_before
    store.close()


def test_theme_feeds_come_from_the_site_configuration(tmp_path):
    from click.testing import CliRunner

    from digest.cli import cli
    from digest.offline import write_config

    store = make_store(tmp_path)
    config = write_config(tmp_path / "conf", database_url=f"sqlite:///{tmp_path / 'site.db'}",
                          extra='[site]\ntheme_feeds = ["energy-efficiency"]\n')
    out = tmp_path / "public"
    result = CliRunner().invoke(cli, ["--config", str(config), "build", "--out", str(out)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "theme-energy-efficiency" in result.output
    assert (out / "feeds" / "theme-energy-efficiency" / "rss.xml").is_file()
    store.close()


def test_a_programme_is_shown_by_name_never_by_bare_id():
    from calls.schema import Call
    from digest.site.pages import programme_label

    def call(**fields):
        return Call(uid="s:1", source="s", native_id="1", title="t", url="https://example.org/1", **fields)

    assert programme_label(call(programme_id="house-of-europe")) == "House of Europe"
    assert programme_label(call(programme="Own name", programme_id="house-of-europe")) == "Own name"
    assert programme_label(call(programme_id="no-such-programme")) is None
    assert programme_label(call()) is None
