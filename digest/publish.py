"""Publishing the feeds: select from the store's digest view, render, swap into place atomically.

``grantdigest build --out DIR`` writes, for all calls and for each region::

    feeds/<scope>/atom.xml  rss.xml  feed.json  deadlines.ics  calls.csv  calls.json
    feeds/calls.schema.json

where ``<scope>`` is ``all`` or a region id. A region's feeds hold the calls
whose tier for it is top or relevant, with its reasons. Only open and
forthcoming calls are published. Each item's "updated" time is its newest
change event, so a call whose deadline moved reappears in readers as updated.
Everything is built in a temporary folder beside ``DIR`` and swapped in with
renames, so readers never see half a build.
"""

from __future__ import annotations

import shutil
import tempfile
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from calls.regions import RegionProfile
from calls.schema import Call, Status
from calls.store import Store, StoredClassification
from digest import feeds

PUBLISHED = (Status.OPEN, Status.FORTHCOMING)
SHOWN_TIERS = ("top", "relevant")
FEED_ID_NAMESPACE = uuid.UUID("2c0d1f5e-9a47-5b3c-8e61-7d2f4b9a0c15")


@dataclass(frozen=True)
class BuildReport:
    out: Path
    files: int
    calls: int
    scopes: dict[str, int]


def feed_items(store: Store) -> tuple[list[tuple[Call, list[str]]], dict[str, datetime], dict[str, list[StoredClassification]]]:
    """Published merged calls with their members, each member's newest event time, and the classifications."""
    merged = [(call, members) for call, members in store.iter_merged() if call.status in PUBLISHED]
    newest: dict[str, datetime] = {}
    for event in store.events():
        newest[event.uid] = max(event.at, newest.get(event.uid, event.at))
    return merged, newest, store.classifications()


def _item(call: Call, members: Sequence[str], newest: Mapping[str, datetime], reasons: tuple[str, ...] = ()) -> feeds.FeedItem:
    times = [newest[m] for m in members if m in newest]
    updated = max(times) if times else (call.first_seen or call.last_seen)
    return feeds.FeedItem(call=call, updated=updated, reasons=reasons)


def build(store: Store, out: Path, *, base_url: str, regions: Mapping[str, RegionProfile], now: datetime) -> BuildReport:
    """Render every feed into ``out`` (replaced atomically); returns what was written."""
    base_url = base_url.rstrip("/") + "/"
    merged, newest, classifications = feed_items(store)
    scopes: dict[str, list[feeds.FeedItem]] = {"all": [_item(c, m, newest) for c, m in merged]}
    for region_id in regions:
        chosen = []
        for call, members in merged:
            verdict = next((c for c in classifications.get(call.uid, ()) if c.region == region_id), None)
            if verdict is not None and verdict.tier in SHOWN_TIERS:
                chosen.append(_item(call, members, newest, verdict.reasons))
        scopes[region_id] = chosen

    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    files = 0
    try:
        (staging / "feeds").mkdir()
        (staging / "feeds" / "calls.schema.json").write_bytes(feeds.json_schema())
        files += 1
        for scope, items in scopes.items():
            files += _write_scope(staging / "feeds" / scope, scope, items, base_url, regions.get(scope), now)
        _swap(staging, out)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return BuildReport(out=out, files=files, calls=len(merged), scopes={k: len(v) for k, v in scopes.items()})


def _write_scope(folder: Path, scope: str, items: list[feeds.FeedItem], base_url: str,
                 region: RegionProfile | None, now: datetime) -> int:
    folder.mkdir(parents=True)
    language = region.digest_languages[0] if region and region.digest_languages else "en"
    title = f"grantdigest: {region.names.get('en', region.id) if region else 'all calls'}"
    updated = max((i.updated for i in items), default=now)

    def meta(name: str) -> feeds.FeedMeta:
        return feeds.FeedMeta(
            title=title, feed_url=f"{base_url}feeds/{scope}/{name}", site_url=base_url, language=language,
            id=f"urn:uuid:{uuid.uuid5(FEED_ID_NAMESPACE, base_url + scope)}", updated=updated,
            description=f"Grant calls and technical assistance{' for ' + region.name if region else ''}",
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
        (folder / name).write_bytes(body)
    return len(outputs)


def _swap(staging: Path, out: Path) -> None:
    """Put ``staging`` where ``out`` is, with renames only (the old build is removed afterwards)."""
    if out.exists():
        old = out.with_name(f".{out.name}.old-{uuid.uuid4().hex[:8]}")
        out.rename(old)
        staging.rename(out)
        shutil.rmtree(old, ignore_errors=True)
    else:
        staging.rename(out)
