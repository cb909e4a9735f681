"""Building the static site into a staging folder: every page in every UI language, the assets, the search index.

:func:`build_site` reads the store (published merged calls, classifications,
change events, runs, editor controls), records this week's digest of every region
in the archive, and writes through a :class:`~digest.site.incremental.Writer`:
call pages and archived digests whose inputs hash as in the previous build are
not rendered, any other file whose bytes did not change keeps the previous
build's file. Swapping the staging folder into place is :mod:`digest.publish`'s job.
"""

from __future__ import annotations

import hashlib
import json
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from types import SimpleNamespace

import jinja2
from jinja2.ext import Extension
from jinja2.lexer import Token
from markupsafe import Markup

from calls import reasons as reason_codec
from calls.deadlines import publisher_today
from calls.regions import RegionProfile
from calls.store import Store, StoredEvent
from digest import deadlines, editorial
from digest.audience import is_current, sees
from digest.health import SourceHealth, source_health
from digest.i18n import LANGUAGES, TEMPLATES_DIR, format_moment, po_path, translations
from digest.select import iso_week, select_digest
from digest.site import archive, search
from digest.site.archive import ArchivedDigest
from digest.site.incremental import Writer
from digest.site.pages import (
    BRUSSELS,
    DEADLINE_WINDOWS,
    HEALTH_LABELS,
    LANGUAGE_NAMES,
    CallRecord,
    Localizer,
    call_fields,
    call_record,
    list_item,
    programme_label,
    relative,
    search_document,
    vocabulary_labels,
)
from digest.templating import jinja_env

ASSETS = ("site.css", "site.js")
_CODE_MODULES = ("digest.site.build", "digest.site.pages", "digest.site.archive", "digest.site.search",
                 "digest.site.slugs", "digest.reasons", "digest.i18n", "digest.email")
"""The modules whose code shapes a page: a change to any of them re-renders every page."""
FEED_FILES = ("atom.xml", "rss.xml", "feed.json", "deadlines.ics", "calls.csv", "calls.json")
SECTIONS = ("new", "closing_soon", "updated", "top")
SECTION_TITLES = {
    "new": "New this week", "closing_soon": "Closing soon", "updated": "Updated", "top": "Top matches for %(region)s",
}


@dataclass(frozen=True)
class SiteReport:
    """What a site build did: pages (HTML files) and all files, how many were written or kept as they were."""

    pages: int
    files: int
    written: int
    unchanged: int
    calls: int
    archived: int


def build_site(
    store: Store, writer: Writer, *, regions: Mapping[str, RegionProfile], now: datetime,
    sources: Mapping[str, object] | Iterable[object] | None = None, feed_scopes: Iterable[str] = (),
    templates_dir: Path | None = None,
) -> SiteReport:
    """Write the whole site through ``writer``; ``sources`` (the config's) for the status page, ``feed_scopes`` to
    link."""
    before = (writer.written, writer.unchanged, len(writer.paths))
    site = _Site(_Snapshot(store), regions, now, sources, tuple(feed_scopes), Path(templates_dir or TEMPLATES_DIR))
    site.write(writer)
    pages = sum(1 for p in writer.paths[before[2]:] if p.endswith(".html"))
    return SiteReport(pages=pages, files=len(writer.paths) - before[2], written=writer.written - before[0],
                      unchanged=writer.unchanged - before[1], calls=len(site.records), archived=len(site.archived))


class _Snapshot:
    """The store, with the digest view (merged calls, classifications, events) read once for the whole build.

    Every region's digest selection and every page then see the same calls, and the merged calls' JSON is
    parsed once instead of once per region.
    """

    def __init__(self, store: Store):
        self._store = store
        self._merged: list | None = None
        self._classifications: dict | None = None
        self._events: list[StoredEvent] | None = None

    def __getattr__(self, name: str):
        return getattr(self._store, name)

    def iter_merged(self):
        if self._merged is None:
            self._merged = list(self._store.iter_merged())
        return iter(self._merged)

    def classifications(self, region: str | None = None):
        if self._classifications is None:
            self._classifications = self._store.classifications()
        if region is None:
            return self._classifications
        picked = {uid: [c for c in found if c.region == region] for uid, found in self._classifications.items()}
        return {uid: found for uid, found in picked.items() if found}

    def events(self, uid: str | None = None, *, since: datetime | None = None) -> list[StoredEvent]:
        if self._events is None:
            self._events = self._store.events()
        return [e for e in self._events if (uid is None or e.uid == uid) and (since is None or e.at >= since)]


class _Site:
    """The data of one build, read once, and the renderers of its pages."""

    def __init__(
        self, store: Store, regions: Mapping[str, RegionProfile], now: datetime, sources, feed_scopes, templates: Path
    ):
        self.store, self.regions, self.now, self.feed_scopes, self.templates = (
            store, dict(regions), now, feed_scopes, templates
        )
        self.controls = editorial.controls(store)
        self._any_notes = any(c.action == "note" for c in self.controls.items)
        self.labels = vocabulary_labels(self.regions.values())
        self.records = self._records()
        self.current = self._record_digests()
        self.archived = archive.load(store)
        self.health = _health(store, sources, now)
        self._envs: dict[str, jinja2.Environment] = {}
        self._record_hashes: dict[str, str] = {}

    # -- data --------------------------------------------------------------------

    def _records(self) -> list[CallRecord]:
        classifications = self.store.classifications()
        events: dict[str, list[StoredEvent]] = {}
        for event in self.store.events():
            events.setdefault(event.uid, []).append(event)
        records = []
        for call, members in self.store.iter_merged():
            if not is_current(call, self.now) or self.controls.excluded(call, editorial.ALL_REGIONS):
                continue
            verdicts = [v for v in classifications.get(call.uid, ()) if v.region in self.regions]
            shown = [v.region for v in verdicts
                     if sees(call, v, self.now, excluded=self.controls.excluded(call, v.region),
                             pinned=call.uid in self.controls.pins(v.region))]
            records.append(call_record(call, members, verdicts, [e for m in members for e in events.get(m, ())],
                                       shown, self.now))
        far = self.now.replace(year=9999)
        return sorted(
            records,
            key=lambda r: (r.deadline is None, r.deadline.at if r.deadline else far, r.call.title.casefold(), r.uid),
        )

    def _record_digests(self) -> dict[str, ArchivedDigest]:
        """Select every region's digest of this week, store it in the archive, and keep it for the home page."""
        current = {}
        for region in self.regions.values():
            pins = self.controls.pins(region.id)
            digest = select_digest(
                self.store, region, self.now, exclude=self.controls.exclusions(region.id), pinned=pins
            )
            doc = archive.record(self.store, digest, self.now, frozenset(pins))
            current[region.id] = archive.parse(archive.json_text(doc), digest.week, region.id)
        return current

    # -- rendering ---------------------------------------------------------------

    def env(self, lang: str) -> jinja2.Environment:
        """``lang``'s environment: digest.i18n's, with UI words looked up once per build (see :func:`_fast_gettext`)."""
        if lang not in self._envs:
            env = jinja_env(lang, jinja2.FileSystemLoader(self.templates))
            env.trim_blocks = env.lstrip_blocks = True
            env.auto_reload = False
            env.globals["_"] = env.globals["gettext"] = _fast_gettext(translations(lang))
            env.site_words = translations(lang)  # for _ConstantWords
            env.add_extension(_ConstantWords)
            self._envs[lang] = env
        return self._envs[lang]

    def render(self, lang: str | None, template: str, page: str, **context) -> bytes:
        """``template`` as the page at ``page`` (a path from the site root); ``lang`` None for the language chooser."""
        env = self.env(lang or "en")
        here = page.split("/", 1)[1] if lang else "index.html"
        context.update(
            page=page, here=here, href=lambda target: relative(target, page),
            languages=LANGUAGE_NAMES, page_lang=lang, feeds=context.get("feeds", ()),
        )
        return env.get_template(template).render(context).encode("utf-8")

    def write(self, writer: Writer) -> None:
        for name in ASSETS:
            writer.write(f"assets/{name}", (self.templates / "site" / "assets" / name).read_bytes())
        writer.write(search.INDEX_PATH, search.index_script(
            {r.uid: search_document(r, self.labels) for r in self.records}))
        writer.write("index.html", self.render(None, "site/languages.html", "index.html",
                                               choose={lang: translations(lang).gettext("Choose your language")
                                                       for lang in LANGUAGES}))
        salt = self._salt()
        for lang in LANGUAGES:
            loc = Localizer(lang, translations(lang), self.regions, self.labels, readers=self._readers(lang))
            for page, template, context, inputs in self._pages(lang, loc):
                fingerprint = _hash(salt, lang, *inputs) if inputs is not None else None
                if fingerprint is not None and writer.reuse(page, fingerprint):
                    continue
                values = context() if callable(context) else context
                writer.write(page, self.render(lang, template, page, loc=loc, **values), fingerprint)
        writer.save_manifest()

    def _reading_order(self, lang: str) -> list[str]:
        """Region ids, those whose digest is written in ``lang`` first (a Ukrainian page leads with Ukrainian
        oblasts)."""
        return sorted(self.regions, key=lambda rid: lang not in self.regions[rid].digest_languages)

    def _pages(self, lang: str, loc: Localizer):
        """(page path, template, context or a function making it, inputs or None) of every page in ``lang``.

        Pages with ``inputs`` (call pages, archived digests) are skipped unrendered when the hash of their
        inputs matches the previous build's; the others depend on many calls and are always rendered.
        """
        published = {r.slug for r in self.records}
        yield f"{lang}/index.html", "site/digest.html", {
            "digests": [self._digest_view(self.current[rid], loc, published) for rid in self._reading_order(lang)
                        if rid in self.current], "week": self._week(lang)}, None
        yield f"{lang}/calls/index.html", "site/calls.html", self._calls_context(loc), None
        for record in self.records:
            notes = self._notes(record, lang)
            yield (f"{lang}/call/{record.slug}.html", "site/call.html",
                   lambda record=record, notes=notes: {"call": call_fields(record, loc), "notes": notes},
                   (self._record_hash(record), json.dumps(notes, ensure_ascii=False)))
        yield f"{lang}/region/index.html", "site/regions.html", {"regions": [
            {"id": r.id, "name": loc.region_name(r.id), "count": sum(1 for x in self.records if r.id in x.shown_in)}
            for r in (self.regions[rid] for rid in self._reading_order(lang))]}, None
        for region in self.regions.values():
            yield f"{lang}/region/{region.id}.html", "site/region.html", self._region_context(region, loc), None
        yield f"{lang}/archive/index.html", "site/archive.html", {"weeks": self._archive_index(loc)}, None
        for digest in self.archived:
            linked = sorted(e.slug for entries in digest.sections.values() for e in entries if e.slug in published)
            yield (f"{lang}/archive/{digest.week}/{digest.region}.html", "site/archived.html",
                   lambda digest=digest: {"digest": self._digest_view(digest, loc, published)},
                   (digest.digest_hash, digest.region in self.regions, *linked))
        yield f"{lang}/status.html", "site/status.html", {"rows": [self._health_row(h, loc) for h in self.health],
                                                          "checked": loc.moment(self.now, "UTC")}, None
        yield f"{lang}/feeds.html", "site/feeds.html", {"scopes": self._feed_scopes(loc)}, None

    def _record_hash(self, record: CallRecord) -> str:
        """Everything of ``record`` its page shows, hashed once for all four languages."""
        if record.uid not in self._record_hashes:
            verdicts = [
                (v.region, v.score, v.tier, v.eligibility, [reason_codec.encode(r) for r in v.reasons], v.themes)
                for v in record.verdicts
            ]
            events = [(e.id, e.kind, e.at.isoformat(), e.old, e.new) for e in record.events]
            self._record_hashes[record.uid] = _hash(record.call.to_json(), json.dumps(
                [verdicts, events, record.shown_in, record.themes], ensure_ascii=False, default=str))
        return self._record_hashes[record.uid]

    def _readers(self, lang: str) -> tuple[str, ...]:
        """The zones of the regions whose digest is written in ``lang`` (Kyiv for Ukrainian, Belgrade for Serbian)."""
        return tuple(dict.fromkeys(r.timezone for r in self.regions.values() if lang in r.digest_languages))

    def _salt(self) -> str:
        """What every page depends on besides its data: templates, catalogs, this code, the regions' names and zones."""
        parts = [p.read_bytes() for p in sorted((self.templates / "site").rglob("*")) if p.is_file()]
        parts += [po_path(lang).read_bytes() for lang in LANGUAGES]
        parts += [Path(sys.modules[name].__file__).read_bytes() for name in _CODE_MODULES if name in sys.modules]
        regions = {r.id: (dict(r.names), r.timezone) for r in self.regions.values()}
        return _hash(*parts, json.dumps([regions, self.labels, self.feed_scopes], sort_keys=True, ensure_ascii=False))

    def _week(self, lang: str) -> str:
        """The week the home page in ``lang`` heads with: its leading region's (counted in that region's zone).

        At 00:30 on a Monday in Kyiv it is still Sunday in Belgrade and Brussels: the Ukrainian page then
        says the new week, the Serbian pages the old one, each as its regions' digests below do.
        """
        leading = next((rid for rid in self._reading_order(lang) if rid in self.current), None)
        return self.current[leading].week if leading else iso_week(self.now, BRUSSELS)

    def _feed_link(self, scope: str, loc: Localizer) -> list[dict]:
        if scope not in self.feed_scopes:
            return []
        name = loc._("All open calls") if scope == "all" else loc.region_name(scope)
        return [{"title": f"{name} (Atom)", "path": f"feeds/{scope}/atom.xml"}]

    def _feed_scopes(self, loc: Localizer) -> list[dict]:
        labels = {"atom.xml": "Atom", "rss.xml": "RSS 2.0", "feed.json": "JSON Feed",
                  "deadlines.ics": loc._("Calendar of deadlines"), "calls.csv": loc._("Download as CSV"),
                  "calls.json": loc._("Data as JSON")}
        return [{"name": self._scope_name(scope, loc), "files": [(labels[f], f"feeds/{scope}/{f}") for f in FEED_FILES]}
                for scope in self.feed_scopes]

    def _scope_name(self, scope: str, loc: Localizer) -> str:
        if scope == "all":
            return loc._("All open calls")
        if scope.startswith("theme-") and scope not in self.regions:
            return f'{loc._("Theme")}: {loc.vocabulary(scope.removeprefix("theme-"))}'
        return loc.region_name(scope)

    def _calls_context(self, loc: Localizer) -> dict:
        items = [list_item(r, loc, self.now) for r in self.records]
        programmes = {
            r.programme_key: programme_label(r.call) or r.programme_key for r in self.records if r.programme_key
        }
        funders = sorted({r.call.funder for r in self.records if r.call.funder}, key=str.casefold)
        themes = {t for r in self.records for t in r.themes}
        applicants = {a for r in self.records for a in r.call.applicant_types}

        def by_label(pairs):
            return sorted(pairs, key=lambda p: (p[1].casefold(), p[0]))

        return {
            "items": items, "feeds": self._feed_link("all", loc),
            "filters": {
                "region": [(r.id, loc.region_name(r.id)) for r in self.regions.values()],
                "programme": by_label(programmes.items()),
                "funder": [(f, f) for f in funders],
                "theme": by_label((t, loc.vocabulary(t)) for t in themes),
                "applicant": by_label((a, loc.vocabulary(a)) for a in applicants),
                "deadline": [(str(n), loc._("Within %(num)d days", num=n)) for n in DEADLINE_WINDOWS],
            },
            "count_template": loc._("Shown: %(shown)s of %(total)s", shown="{shown}", total="{total}"),
            "count_text": loc._("Shown: %(shown)s of %(total)s", shown=len(items), total=len(items)),
        }

    def _region_context(self, region: RegionProfile, loc: Localizer) -> dict:
        pins = self.controls.pins(region.id)
        rows = []
        for record in self.records:
            if region.id not in record.shown_in:
                continue
            verdict = next(v for v in record.verdicts if v.region == region.id)
            rows.append({
                "slug": record.slug, "title": record.call.title or record.uid, "pinned": record.uid in pins,
                "programme": programme_label(record.call), "tier": loc.tier(verdict.tier), "score": verdict.score,
                "reasons": loc.reasons(verdict.reasons, record.today),
                "deadline": loc.deadline(record.deadline, (region.timezone,)),
                "days_left": loc.days_left(record.deadline, self.now),
                "order": (pins.index(record.uid) if record.uid in pins else len(pins), -verdict.score, record.uid),
            })
        rows.sort(key=lambda row: row["order"])
        return {"region": {"id": region.id, "name": loc.region_name(region.id), "zone": region.timezone},
                "rows": rows, "feeds": self._feed_link(region.id, loc)}

    def _digest_view(self, digest: ArchivedDigest, loc: Localizer, published: set[str]) -> dict:
        name = loc.region_name(digest.region, digest.region_names)
        sections = []
        for key in SECTIONS:
            entries = digest.sections.get(key, [])
            title = loc._(SECTION_TITLES[key], region=name) if key == "top" else loc._(SECTION_TITLES[key])
            sections.append({"key": key, "title": title, "entries": [{
                "title": e.title, "slug": e.slug if e.slug in published else None, "url": e.url,
                "programme": e.programme, "pinned": e.pinned, "score": e.score, "tier": loc.tier(e.tier),
                "deadline": loc.deadline(e.deadline, (digest.zone,)),
                "days_left": loc.days_left(e.deadline, digest.now),
                "reasons": loc.reasons(e.reasons[:3], publisher_today(e.deadline, digest.now)),
                "changes": [loc.event_label(k) for k in e.changes if k != "new"],
            } for e in entries]})
        failed = ", ".join(slug for slug, _ in digest.failed_sources)
        return {
            "week": digest.week, "region": digest.region, "name": name, "sections": sections, "empty": digest.is_empty,
            "heading": loc._("Grant digest: %(region)s", region=name),
            "week_label": loc._("Week %(week)s", week=digest.week),
            "failed": (
                loc._("Some sources could not be read this week: %(sources)s", sources=failed) if failed else None
            ),
            "deadline_note": loc._(deadlines.NOTE),
            "updated": loc._("Last updated %(date)s", date=format_moment(digest.now, digest.zone, loc.lang)),
            "total": digest.total_matching, "has_region_page": digest.region in self.regions,
        }

    def _archive_index(self, loc: Localizer) -> list[dict]:
        weeks: dict[str, list[dict]] = {}
        for digest in self.archived:
            weeks.setdefault(digest.week, []).append({
                "region": digest.region, "name": loc.region_name(digest.region, digest.region_names),
                "count": sum(len(v) for v in digest.sections.values())})
        return [
            {"week": week, "label": loc._("Week %(week)s", week=week), "regions": rows} for week, rows in weeks.items()
        ]

    def _notes(self, record: CallRecord, lang: str) -> list[dict]:
        if not self._any_notes:
            return []
        seen, out = set(), []
        for region in (editorial.ALL_REGIONS, *self.regions):
            for note in self.controls.notes(record.call, region, lang):
                key = (note.region, note.text, note.at)
                if key not in seen:
                    seen.add(key)
                    out.append({
                        "text": note.text, "region": None if note.region == editorial.ALL_REGIONS else note.region,
                    })
        return out

    def _health_row(self, health: SourceHealth, loc: Localizer) -> dict:
        # "never crawled" is the state again, in English: the State column says it in the page's language
        return {"slug": health.slug, "title": health.title, "state_id": health.state,
                "state": loc._(HEALTH_LABELS.get(health.state, health.state)),
                "reason": health.reason if health.state != "never" else None,
                "last_run": loc.moment(health.last_run, "UTC") if health.last_run else None,
                "found": health.items}


class _ConstantWords(Extension):
    """Puts ``_("literal")`` (no placeholders) into the compiled template as its translation, once per language.

    A call page has some fifty UI words; looking each up on every render cost more than the page's data.
    The translation becomes a string constant, escaped like any other (translations hold no markup), and
    ``%%`` is read as ``%`` as Jinja2's newstyle gettext does.
    """

    def filter_stream(self, stream):
        words = self.environment.site_words
        tokens = list(stream)
        i = 0
        while i < len(tokens):
            window = tokens[i:i + 4]
            if ([t.type for t in window] == ["name", "lparen", "string", "rparen"] and window[0].value == "_"
                    and "%(" not in window[2].value):
                yield Token(window[0].lineno, "string", words.gettext(window[2].value) % {})
                i += 4
                continue
            yield tokens[i]
            i += 1


def _hash(*parts: str | bytes | bool) -> str:
    digest = hashlib.sha256()
    for part in parts:
        data = part if isinstance(part, bytes) else str(part).encode("utf-8")
        digest.update(len(data).to_bytes(8, "big") + data)
    return digest.hexdigest()


def _fast_gettext(t):
    """Jinja2's newstyle ``gettext`` (translation trusted, placeholders escaped), with the catalog lookups cached.

    The i18n extension's own version goes through the template context on every call; on a 40,000-page
    build the UI words cost more than the pages' data.
    """
    words: dict[str, Markup] = {}

    def gettext(msgid: str, **variables) -> Markup:
        text = words.get(msgid)
        if text is None:
            text = words[msgid] = Markup(t.gettext(msgid))
        return text % variables  # always a format string, as Jinja2's newstyle gettext does

    return gettext


def _health(store: Store, sources, now: datetime) -> list[SourceHealth]:
    """Every source's health; without the configuration, the sources that ever ran, titled by their slug."""
    if sources is None:
        sources = [SimpleNamespace(slug=slug, title=slug, enabled=True) for slug in sorted(store.last_runs())]
    return source_health(store, sources, now)
