"""The static site built from a fresh store: the archive of past weeks, incremental builds, the atomic swap,
editor controls, theme and region feeds, and the status page's sources. One shared build: tests/test_site.py."""

from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest
from site_fixtures import NOW, REGIONS, make_store, sample_calls
from site_pages import BASE, build, parse, snapshot

from digest import editorial, publish
from digest.i18n import LANGUAGES, translations
from digest.site.slugs import call_slug

# -- the archive ------------------------------------------------------------------------------

def test_archive_keeps_past_weeks_and_renders_gone_calls(tmp_path):
    store = make_store(tmp_path)
    out = tmp_path / "public"
    build(store, out)
    # a week later the Serbian call is gone from its source and from the merged view
    later = NOW + timedelta(days=7)
    store.upsert_many([c for c in sample_calls() if c.native_id != "rs-opstine"], later)
    store.mark_gone("manual", later - timedelta(hours=1), later)
    from pipelines.consolidate import consolidate

    consolidate(store, now=later)
    report = build(store, out, now=later)
    gone = call_slug("manual:rs-opstine")
    assert not (out / "en" / "call" / f"{gone}.html").exists()
    for lang in LANGUAGES:
        assert (out / lang / "archive" / "2026-W48" / "vojvodina.html").is_file()
        assert (out / lang / "archive" / "2026-W49" / "vojvodina.html").is_file()
    old = (out / "sr-Latn" / "archive" / "2026-W48" / "vojvodina.html").read_text(encoding="utf-8")
    assert "Подршка општинама Војводине за туризам" in old and f"{gone}.html" not in old
    index = parse(out / "en" / "archive" / "index.html")
    assert ["Week 2026-W49", "Week 2026-W48"] == index.texts("h2")
    assert report.site.archived == 2 * len(REGIONS)
    store.close()


# -- incremental builds and the atomic swap ----------------------------------------------------

def test_second_build_rewrites_no_page_and_a_change_rewrites_only_its_pages(tmp_path):
    store = make_store(tmp_path)
    out = tmp_path / "public"
    first = build(store, out)
    before = snapshot(out)
    second = build(store, out)
    assert second.site.written == 0 and second.site.unchanged == first.site.files
    after = snapshot(out)
    assert {p: v for p, v in after.items() if p.endswith(".html")} == {
        p: v for p, v in before.items() if p.endswith(".html")
    }

    title = "Подршка општинама Војводине за туризам на Фрушкој гори"
    changed = [c.model_copy(update={"title": title}) if c.native_id == "rs-opstine" else c for c in sample_calls()]
    store.upsert_many(changed, NOW + timedelta(minutes=30))  # a re-crawl: every call seen again, one retitled
    from pipelines.consolidate import consolidate

    consolidate(store, now=NOW)
    third = build(store, out)
    now_files = snapshot(out)
    rewritten = {p for p in now_files if now_files[p] != after[p]}
    slug = call_slug("manual:rs-opstine")  # listed for Vojvodina only
    pages = {f"{lang}/{page}" for lang in LANGUAGES for page in (
        f"call/{slug}.html", "calls/index.html", "region/vojvodina.html", "index.html",
        "archive/2026-W48/vojvodina.html")}
    assert {p for p in rewritten if p.endswith(".html")} == pages
    assert "assets/search-index.js" in rewritten and "assets/site.css" not in rewritten
    assert third.site.written == len(pages) + 1
    assert title in (out / "en" / "call" / f"{slug}.html").read_text(encoding="utf-8")
    store.close()


def test_a_failing_render_leaves_the_published_site_intact(tmp_path, monkeypatch):
    store = make_store(tmp_path)
    out = tmp_path / "public"
    build(store, out)
    before = snapshot(out)
    from digest.site import build as site_build

    real = site_build._Site.render

    def broken(self, lang, template, page, **context):
        if template == "site/status.html":
            raise RuntimeError("template blew up")
        return real(self, lang, template, page, **context)

    monkeypatch.setattr(site_build._Site, "render", broken)
    with pytest.raises(RuntimeError, match="blew up"):
        build(store, out, now=NOW + timedelta(days=1))
    assert snapshot(out) == before
    # the only thing beside the site is its generations: the lock and the one on show (no staging left)
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".public")] == [".public.generations"]
    assert sorted(p.name for p in (tmp_path / ".public.generations").iterdir()) == [".lock", out.resolve().name]
    store.close()


# -- editor controls ------------------------------------------------------------------------

def test_editor_exclusions_pins_and_notes(tmp_path):
    store = make_store(tmp_path)
    editorial.add_control(store, "exclude", "manual:no-deadline")  # everywhere
    editorial.add_control(store, "exclude", "manual:xss", "lviv")
    editorial.add_control(store, "pin", "manual:rs-latin", "vojvodina")
    editorial.add_control(store, "note", "manual:ua-energy", "lviv",
                          text="Партнерство з польською громадою обов'язкове.", lang="uk")
    out = tmp_path / "public"
    build(store, out)
    assert not (out / "en" / "call" / f"{call_slug('manual:no-deadline')}.html").exists()
    assert "manual:no-deadline" not in (out / "en" / "calls" / "index.html").read_text(encoding="utf-8")
    lviv = (out / "en" / "region" / "lviv.html").read_text(encoding="utf-8")
    assert call_slug("manual:xss") not in lviv and call_slug("manual:ua-energy") in lviv
    assert call_slug("manual:xss") in (out / "en" / "region" / "rivne.html").read_text(encoding="utf-8")
    vojvodina = parse(out / "en" / "region" / "vojvodina.html")
    first = [a["href"] for a in vojvodina.find("a") if a.get("class") == "call-link"][0]
    assert first == f"../call/{call_slug('manual:rs-latin')}.html"
    assert "Pinned by the editor" in vojvodina.all_text
    note = "Партнерство з польською громадою обов'язкове."
    assert note in parse(out / "uk" / "call" / f"{call_slug('manual:ua-energy')}.html").all_text
    assert note not in parse(out / "en" / "call" / f"{call_slug('manual:ua-energy')}.html").all_text
    store.close()


def test_a_pinned_call_reaches_the_regions_feeds_as_it_reaches_its_page_and_email(tmp_path):
    """One audience rule (digest.audience) for email, site and feeds: a pin counts in all three."""
    from digest.select import select_digest

    store = make_store(tmp_path)
    title = "Енергоефективність для громади Львівщини"  # not eligible in Serbia: Vojvodina's readers never see it
    before = tmp_path / "before"
    build(store, before)
    assert title not in (before / "feeds" / "vojvodina" / "atom.xml").read_text(encoding="utf-8")
    editorial.add_control(store, "pin", "manual:ua-energy", "vojvodina")
    out = tmp_path / "public"
    build(store, out)
    assert title in (out / "feeds" / "vojvodina" / "atom.xml").read_text(encoding="utf-8")
    assert title in (out / "feeds" / "vojvodina" / "feed.json").read_text(encoding="utf-8")
    assert call_slug("manual:ua-energy") in (out / "en" / "region" / "vojvodina.html").read_text(encoding="utf-8")
    controls = editorial.controls(store)
    digest = select_digest(store, REGIONS["vojvodina"], NOW, pinned=controls.pins("vojvodina"))
    assert digest.top[0].uid == "manual:ua-energy"
    store.close()


# -- feeds and the status page ------------------------------------------------------------------

def test_theme_feeds_and_region_feed_reasons_in_the_regions_language(tmp_path):
    from defusedxml import ElementTree

    store = make_store(tmp_path)
    out = tmp_path / "public"
    report = publish.build(store, out, base_url=BASE, regions=REGIONS, now=NOW, theme_feeds=["tourism-culture"])
    atom = "{http://www.w3.org/2005/Atom}"
    titles = [e.find(f"{atom}title").text for e in
              ElementTree.parse(out / "feeds" / "theme-tourism-culture" / "atom.xml").getroot().findall(f"{atom}entry")]
    assert titles == ["Подршка општинама Војводине за туризам"] and report.scopes["theme-tourism-culture"] == 1
    feeds_page = (out / "en" / "feeds.html").read_text(encoding="utf-8")
    assert "../feeds/theme-tourism-culture/atom.xml" in feeds_page
    # Lviv's first digest language is Ukrainian: its feed says the reasons in Ukrainian
    lviv = json.loads((out / "feeds" / "lviv" / "feed.json").read_text(encoding="utf-8"))
    texts = " ".join(json.dumps(item, ensure_ascii=False) for item in lviv["items"])
    assert re.search("[а-яіїєґ]{4}", texts.split("Енергоефективність для громади")[1])
    with pytest.raises(publish.UnknownTheme, match="no-such-theme"):
        publish.build(store, out, base_url=BASE, regions=REGIONS, now=NOW, theme_feeds=["no-such-theme"])
    store.close()


def test_status_page_says_never_run_in_the_pages_language_only(tmp_path):
    from types import SimpleNamespace

    store = make_store(tmp_path)
    out = tmp_path / "public"
    sources = [SimpleNamespace(slug="manual", title="Manual entries", enabled=True),
               SimpleNamespace(slug="quiet", title="Never crawled yet", enabled=True)]
    publish.build(store, out, base_url=BASE, regions=REGIONS, now=NOW, sources=sources)
    row = (out / "sr-Cyrl" / "status.html").read_text(encoding="utf-8").split(
        "<code>quiet</code>", 1
    )[1].split("</tr>")[0]
    assert translations("sr-Cyrl").gettext("Never run") in row and "never crawled" not in row
    store.close()
