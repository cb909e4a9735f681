"""Publishing the feeds and the static site: render both into one staging folder, swap it into place once.

``grantdigest build --out DIR`` writes the site (see :mod:`digest.site`) and, for all calls and for each region::

    feeds/<scope>/atom.xml  rss.xml  feed.json  deadlines.ics  calls.csv  calls.json
    feeds/calls.schema.json

where ``<scope>`` is ``all``, a region id, or ``theme-<id>`` for each theme in
``[site] theme_feeds``. A region's feeds hold the calls whose tier for it is top
or relevant or that the editor pinned there (:mod:`digest.audience`, the rule
of the email and the site too), with its reasons said in the region's first digest language; a
theme's feeds hold the calls some region sees that matched that theme. Only current
calls are published: open or forthcoming, a deadline still ahead. Each item's "updated" time is its newest
change event, so a call whose deadline moved reappears in readers as updated.
Everything is built in a new generation beside ``DIR`` and swapped in with one
rename of a symbolic link (:mod:`digest.site.swap`), so readers never see half a build
and every file is world-readable; a file whose bytes did not change
is hard-linked from the previous build instead of written again (it keeps its
mtime), see :mod:`digest.site.incremental`.
"""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from calls import deadlines
from calls.regions import RegionProfile
from calls.schema import Call
from calls.store import Store, StoredClassification
from digest import editorial, feeds
from digest.audience import is_current, sees
from digest.reasons import say
from digest.site.build import SiteReport, build_site
from digest.site.incremental import Writer
from digest.site.swap import DEFAULT_UMASK, Generations

FEED_ID_NAMESPACE = uuid.UUID("2c0d1f5e-9a47-5b3c-8e61-7d2f4b9a0c15")


class UnknownTheme(ValueError):
    """A theme feed asked for a theme no region profile has."""


@dataclass(frozen=True)
class BuildReport:
    out: Path
    files: int
    calls: int
    scopes: dict[str, int]
    site: SiteReport | None = None
    written: int = 0
    """Files written by this build; the rest were kept from the previous build (unchanged bytes)."""
    unchanged: int = 0


def feed_items(store: Store, now: datetime) -> tuple[
        list[tuple[Call, list[str]]], dict[str, datetime], dict[str, list[StoredClassification]]]:
    """Current merged calls (:func:`digest.audience.is_current`) with their members, each member's newest
    event time, and the classifications."""
    merged = [(call, members) for call, members in store.iter_merged() if is_current(call, now)]
    newest: dict[str, datetime] = {}
    for event in store.events():
        newest[event.uid] = max(event.at, newest.get(event.uid, event.at))
    return merged, newest, store.classifications()


def _item(
    call: Call, members: Sequence[str], newest: Mapping[str, datetime], reasons: tuple[str, ...] = ()
) -> feeds.FeedItem:
    times = [newest[m] for m in members if m in newest]
    updated = max(times) if times else (call.first_seen or call.last_seen)
    return feeds.FeedItem(call=call, updated=updated, reasons=reasons)


def build(store: Store, out: Path, *, base_url: str, regions: Mapping[str, RegionProfile], now: datetime,
          site: bool = True, sources: Mapping[str, object] | Iterable[object] | None = None,
          theme_feeds: Iterable[str] = (), templates_dir: Path | None = None,
          umask: int = DEFAULT_UMASK) -> BuildReport:
    """Render every feed and (``site``) the static site into ``out``, replaced atomically; returns what was written.

    ``out`` becomes a symbolic link to the build's folder (:mod:`digest.site.swap`); ``umask`` takes its bits
    from the modes of the files (0666) and folders (0777).

    ``sources`` (the configuration's ``Config.sources``) lists every source on the status page; without it,
    the sources that ever ran are listed. ``theme_feeds``: theme ids (calls/data/regions.toml) that get feeds.
    """
    base_url = base_url.rstrip("/") + "/"
    themes = _theme_labels(regions)
    unknown = [t for t in theme_feeds if t not in themes]
    if unknown:
        raise UnknownTheme(
            f"no theme {', '.join(map(repr, unknown))} in the regions' profiles; known: {', '.join(sorted(themes))}"
        )
    merged, newest, classifications = feed_items(store, now)
    edits = editorial.controls(store)
    merged = [(c, m) for c, m in merged if not edits.excluded(c, editorial.ALL_REGIONS)]
    scopes: dict[str, list[feeds.FeedItem]] = {"all": [_item(c, m, newest) for c, m in merged]}
    titles: dict[str, tuple[str, str, str]] = {
        "all": ("grantdigest: all calls", "en", "Grant calls and technical assistance")
    }
    for region_id, region in regions.items():
        language = region.digest_languages[0] if region.digest_languages else "en"
        chosen, pins = [], edits.pins(region_id)
        for call, members in merged:
            verdict = next((c for c in classifications.get(call.uid, ()) if c.region == region_id), None)
            if sees(call, verdict, now, excluded=edits.excluded(call, region_id), pinned=call.uid in pins):
                upcoming = deadlines.upcoming(call.deadlines, now)
                today = deadlines.publisher_today(upcoming, now)  # reasons count days as of now
                chosen.append(_item(call, members, newest, tuple(say(r, language, today) for r in verdict.reasons)))
        scopes[region_id] = chosen
        titles[region_id] = (f"grantdigest: {region.names.get('en', region.id)}", language,
                             f"Grant calls and technical assistance for {region.name}")
    for theme in dict.fromkeys(theme_feeds):
        scopes[f"theme-{theme}"] = [
            _item(call, members, newest) for call, members in merged
            if any(v.region in regions and theme in v.themes
                   and sees(call, v, now, excluded=edits.excluded(call, v.region),
                            pinned=call.uid in edits.pins(v.region))
                   for v in classifications.get(call.uid, ()))]
        titles[f"theme-{theme}"] = (f"grantdigest: {themes[theme]}", "en",
                                    f"Grant calls and technical assistance: {themes[theme]}")

    out = Path(out)
    files = 0
    site_report = None
    with Generations(out, umask=umask) as generations:
        staging = generations.new()
        writer = Writer(staging, previous=generations.current)
        try:
            writer.write("feeds/calls.schema.json", feeds.json_schema())
            files += 1
            for scope, items in scopes.items():
                files += _write_scope(writer, scope, items, base_url, titles[scope], now)
            if site:
                site_report = build_site(store, writer, regions=regions, now=now, sources=sources,
                                         feed_scopes=list(scopes), templates_dir=templates_dir)
                files += site_report.files
            generations.publish(staging)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
    return BuildReport(out=out, files=files, calls=len(merged), scopes={k: len(v) for k, v in scopes.items()},
                       site=site_report, written=writer.written, unchanged=writer.unchanged)


def _write_scope(writer: Writer, scope: str, items: list[feeds.FeedItem], base_url: str,
                 heading: tuple[str, str, str], now: datetime) -> int:
    title, language, description = heading
    updated = max((i.updated for i in items), default=now)

    def meta(name: str) -> feeds.FeedMeta:
        return feeds.FeedMeta(
            title=title, feed_url=f"{base_url}feeds/{scope}/{name}", site_url=base_url, language=language,
            id=f"urn:uuid:{uuid.uuid5(FEED_ID_NAMESPACE, base_url + scope)}", updated=updated,
            description=description,
        )

    outputs = {
        "atom.xml": feeds.atom(items, meta("atom.xml")),
        "rss.xml": feeds.rss(items, meta("rss.xml")),
        "feed.json": feeds.json_feed(items, meta("feed.json")),
        "deadlines.ics": feeds.icalendar(items, meta("deadlines.ics")),
        "calls.csv": feeds.csv_export(items),
        "calls.json": feeds.json_export(items, generated=now),
    }
    for name, body in outputs.items():
        writer.write(f"feeds/{scope}/{name}", body)
    return len(outputs)


def _theme_labels(regions: Mapping[str, RegionProfile]) -> dict[str, str]:
    """Theme id → English label, over every region's profile."""
    labels: dict[str, str] = {}
    for region in regions.values():
        for theme in region.themes:
            labels.setdefault(theme.id, theme.label)
    return labels
