"""The archive of weekly digests: each build records what every region's digest selected, as JSON.

One row of the store's ``digests`` table per (ISO week, region): the current
week's row is overwritten by every build during that week and kept unchanged
afterwards. The document holds enough of each call (title, uid, page slug,
deadline, reasons, …) to render the archived page after the call is gone.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa

from calls import reasons as reason_codec
from calls.schema import Deadline
from calls.store import Store, digests_table
from calls.urls import safe_url
from digest.select import Digest, DigestEntry
from digest.site.slugs import call_slug

VERSION = 1


class ArchiveError(ValueError):
    """An archived digest document that cannot be read (its week, region and what is wrong)."""


@dataclass(frozen=True)
class ArchivedCall:
    uid: str
    slug: str
    title: str
    programme: str | None
    funder: str | None
    url: str | None
    deadline: Deadline | None
    """The deadline the digest showed, as published."""
    score: int
    tier: str
    reasons: tuple[str, ...]
    changes: tuple[str, ...]
    pinned: bool = False


@dataclass(frozen=True)
class ArchivedDigest:
    week: str
    region: str
    region_names: dict[str, str]
    zone: str
    now: datetime
    sections: dict[str, list[ArchivedCall]]
    failed_sources: list[tuple[str, str]] = field(default_factory=list)
    total_matching: int = 0
    digest_hash: str = ""
    """SHA-256 of the stored document: an archived page's input, for incremental builds."""

    @property
    def is_empty(self) -> bool:
        return not any(self.sections.values())


def document(digest: Digest, pinned: frozenset[str] = frozenset()) -> dict:
    """The JSON document of ``digest`` as the archive keeps it."""
    region = digest.region
    return {
        "version": VERSION, "week": digest.week, "region": region.id, "region_names": dict(region.names),
        "zone": region.timezone, "now": digest.now.isoformat(),
        "sections": {key: [_entry(e, e.uid in pinned) for e in entries] for key, entries in digest.sections.items()},
        "failed_sources": [list(pair) for pair in digest.failed_sources], "total_matching": digest.total_matching,
    }


def _entry(entry: DigestEntry, pinned: bool) -> dict:
    call, verdict = entry.call, entry.classification
    return {
        "uid": call.uid, "slug": call_slug(call.uid), "title": call.title, "programme": call.programme,
        "funder": call.funder, "url": safe_url(call.url),
        "deadline": entry.deadline.model_dump(mode="json") if entry.deadline else None,
        "score": verdict.score, "tier": verdict.tier,
        "reasons": [reason_codec.encode(r) for r in verdict.reasons],
        "changes": list(dict.fromkeys(e.kind for e in entry.changes)), "pinned": pinned,
    }


def record(store: Store, digest: Digest, built_at: datetime, pinned: frozenset[str] = frozenset()) -> dict:
    """Write ``digest`` as its week's row for its region (replacing this week's earlier build); the document."""
    doc = document(digest, pinned)
    text = json_text(doc)
    key = (digests_table.c.week == digest.week) & (digests_table.c.region == digest.region.id)
    with store.engine.begin() as conn:
        conn.execute(digests_table.delete().where(key))
        conn.execute(
            digests_table.insert().values(week=digest.week, region=digest.region.id, built_at=built_at, document=text)
        )
    return doc


def json_text(doc: dict) -> str:
    return json.dumps(doc, ensure_ascii=False, sort_keys=True)


def load(store: Store) -> list[ArchivedDigest]:
    """Every archived digest, newest week first, then by region."""
    query = sa.select(digests_table).order_by(digests_table.c.week.desc(), digests_table.c.region)
    with store.engine.connect() as conn:
        return [parse(row.document, row.week, row.region) for row in conn.execute(query)]


def parse(text: str, week: str = "?", region: str = "?") -> ArchivedDigest:
    """An archived document back as an :class:`ArchivedDigest`."""
    try:
        doc = json.loads(text)
        return ArchivedDigest(
            week=doc["week"], region=doc["region"], region_names=dict(doc.get("region_names") or {}),
            zone=doc.get("zone") or "UTC", now=datetime.fromisoformat(doc["now"]),
            sections={key: [_call(item) for item in items] for key, items in doc["sections"].items()},
            failed_sources=[(slug, reason) for slug, reason in doc.get("failed_sources", [])],
            total_matching=int(doc.get("total_matching", 0)),
            digest_hash=hashlib.sha256(text.encode("utf-8")).hexdigest(),
        )
    except (ValueError, KeyError, TypeError) as error:
        raise ArchiveError(f"archived digest {week} / {region} is unreadable: {error!r}") from error


def _deadline(value: dict | str | None) -> Deadline | None:
    """A stored deadline; archives written before deadlines kept what was published hold an instant only."""
    if not value:
        return None
    if isinstance(value, str):
        return Deadline(at=datetime.fromisoformat(value), raw=value)
    return Deadline.model_validate(value)


def _call(item: dict) -> ArchivedCall:
    return ArchivedCall(
        uid=item["uid"], slug=item.get("slug") or call_slug(item["uid"]), title=item["title"],
        programme=item.get("programme"), funder=item.get("funder"), url=safe_url(item.get("url")),
        deadline=_deadline(item.get("deadline")),
        score=int(item.get("score", 0)), tier=item.get("tier", ""),
        reasons=tuple(reason_codec.decode(r) for r in item.get("reasons", [])),
        changes=tuple(item.get("changes", [])), pinned=bool(item.get("pinned")),
    )
