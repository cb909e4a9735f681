"""Editor controls: exclude a call, pin it to the top, add a note — as data that survives re-crawls.

A control is a row of the ``editorial`` table: an ``action`` on a ``target`` for a
``region`` (or ``*`` for every region). The target is whatever the editor had
at hand: the merged call's uid, the uid of one of its source pages (a member), or
the official call id (``HORIZON-CL5-2027-D3-01``, matched without regard to case).
Controls are resolved against the merged calls each time they are read, so a
re-crawl or a re-merge that changes which page leads a call does not lose them.

:func:`controls` loads them once; the digest selection takes
:meth:`Controls.exclusions` and :meth:`Controls.pins`, the renderers
:meth:`Controls.notes`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime

import sqlalchemy as sa

from calls.schema import Call
from calls.store import Store, editorial_table
from digest.i18n import UnknownLanguage, language_tag

ACTIONS = ("exclude", "pin", "note")
ALL_REGIONS = "*"
MAX_NOTE = 1000
"""Characters a note may hold; a digest note is a sentence or two, not an article."""


class ControlError(ValueError):
    """An editor control that cannot be stored as given (unknown action, empty target, note without text…)."""


@dataclass(frozen=True)
class Control:
    """One stored editor control."""

    id: int
    action: str
    target: str
    region: str
    lang: str | None
    text: str | None
    by: str | None
    at: datetime


@dataclass(frozen=True)
class Note:
    """An editor's note on a call, in one language, for one region or all."""

    text: str
    lang: str
    region: str
    by: str | None
    at: datetime


@dataclass
class Controls:
    """Every control, with the merged calls' keys to resolve targets against."""

    items: list[Control] = field(default_factory=list)
    merged_of: dict[str, tuple[str, ...]] = field(default_factory=dict)
    """Key (merged uid, member uid, normalised official call id) → the merged uids it designates."""

    def for_region(self, action: str, region: str) -> list[Control]:
        """Controls of ``action`` that apply to ``region`` (its own and the ``*`` ones), oldest first."""
        return [c for c in self.items if c.action == action and c.region in (region, ALL_REGIONS)]

    def excluded(self, call: Call | str | Iterable[str], region: str) -> bool:
        """Whether the editor excluded ``call`` (a Call, a uid, or a merged uid with its members) for ``region``."""
        keys = self._keys(call)
        return any(self._matches(c.target, keys) for c in self.for_region("exclude", region))

    def exclusions(self, region: str) -> set[str]:
        """Uids to pass as ``select_digest(exclude=…)``: every excluded target, resolved to its merged uid too."""
        out: set[str] = set()
        for control in self.for_region("exclude", region):
            out |= {control.target, *self._designated(control.target)}
        return out

    def pins(self, region: str) -> list[str]:
        """Merged uids pinned for ``region``, in the order they were pinned; targets matching no call are left out."""
        pinned = (self.resolve(c.target) for c in self.for_region("pin", region))
        return list(dict.fromkeys(uid for uid in pinned if uid))

    def notes(self, call: Call | str | Iterable[str], region: str, lang: str) -> list[Note]:
        """Notes on ``call`` for ``region`` written in ``lang``, oldest first."""
        keys, tag = self._keys(call), _lang(lang)
        return [Note(c.text or "", c.lang or "", c.region, c.by, c.at)
                for c in self.for_region("note", region) if c.lang == tag and self._matches(c.target, keys)]

    def resolve(self, target: str) -> str | None:
        """The merged uid ``target`` designates today (the first, if an official id names several), or None."""
        return next(iter(self._designated(target)), None)

    def _designated(self, target: str) -> tuple[str, ...]:
        return self.merged_of.get(target) or self.merged_of.get(_call_id_key(target)) or ()

    def _keys(self, call: Call | str | Iterable[str]) -> set[str]:
        if isinstance(call, Call):
            keys = {call.uid, *(f"{p.source}:{p.native_id}" for p in call.provenance)}
            if call.call_id:
                keys.add(_call_id_key(call.call_id))
        elif isinstance(call, str):
            keys = {call}
        else:
            keys = set(call)
        keys |= {uid for k in list(keys) for uid in self.merged_of.get(k, ())}
        return keys

    def _matches(self, target: str, keys: set[str]) -> bool:
        return target in keys or _call_id_key(target) in keys or bool(keys.intersection(self._designated(target)))


def add_control(
    store: Store, action: str, target: str, region: str = ALL_REGIONS, *,
    text: str | None = None, lang: str | None = None, by: str | None = None, at: datetime | None = None,
) -> int:
    """Store a control; its id. Excluding or pinning the same target for the same region twice keeps one row."""
    if action not in ACTIONS:
        raise ControlError(f"unknown action {action!r}; known: {', '.join(ACTIONS)}")
    target, region = (target or "").strip(), (region or "").strip()
    if not target:
        raise ControlError("a control needs a target: a call's uid or its official call id")
    if not region:
        raise ControlError(f"a control needs a region id, or {ALL_REGIONS!r} for every region")
    if action == "note":
        text = " ".join((text or "").split())
        if not text:
            raise ControlError("a note needs its text")
        if len(text) > MAX_NOTE:
            raise ControlError(f"a note holds at most {MAX_NOTE} characters, this one has {len(text)}")
        if not lang:
            raise ControlError("a note needs the language it is written in (uk, sr-Latn, sr-Cyrl, en)")
        lang = _lang(lang)
    elif text or lang:
        raise ControlError(f"only a note has text and a language, not {action!r}")
    with store.engine.begin() as conn:
        if action != "note":
            existing = conn.execute(sa.select(editorial_table.c.id).where(
                editorial_table.c.action == action, editorial_table.c.target == target,
                editorial_table.c.region == region)).scalar()
            if existing is not None:
                return existing
        result = conn.execute(editorial_table.insert().values(
            action=action, target=target, region=region, lang=lang, text=text, created_by=by,
            created_at=at or datetime.now(UTC)))
        return result.inserted_primary_key[0]


def remove_control(
    store: Store, action: str, target: str, region: str = ALL_REGIONS, *, lang: str | None = None
) -> int:
    """Remove the ``action`` controls on exactly ``target`` for ``region`` (notes: of ``lang`` only, if given);
    how many."""
    query = editorial_table.delete().where(
        editorial_table.c.action == action,
        editorial_table.c.target == target.strip(),
        editorial_table.c.region == region,
    )
    if lang:
        query = query.where(editorial_table.c.lang == _lang(lang))
    with store.engine.begin() as conn:
        return conn.execute(query).rowcount


def delete_control(store: Store, control_id: int) -> bool:
    """Remove one control by its id (as ``grantdigest controls`` lists it); whether it existed."""
    with store.engine.begin() as conn:
        return conn.execute(editorial_table.delete().where(editorial_table.c.id == control_id)).rowcount > 0


def controls(store: Store) -> Controls:
    """Every control, and the merged calls' keys to resolve their targets."""
    with store.engine.connect() as conn:
        rows = conn.execute(
            sa.select(editorial_table).order_by(editorial_table.c.created_at, editorial_table.c.id)
        ).all()
    items = [Control(r.id, r.action, r.target, r.region, r.lang, r.text, r.created_by, r.created_at) for r in rows]
    merged_of: dict[str, dict[str, None]] = {}
    if items:
        for call, members in store.iter_merged():
            keys = [call.uid, *members] + ([_call_id_key(call.call_id)] if call.call_id else [])
            for key in keys:
                merged_of.setdefault(key, {})[call.uid] = None
    return Controls(items, {key: tuple(uids) for key, uids in merged_of.items()})


def _call_id_key(call_id: str) -> str:
    """Official call ids are compared by their letters, not their case or stray spaces."""
    return "id:" + "".join(call_id.split()).upper()


def _lang(lang: str) -> str:
    try:
        return language_tag(lang)
    except UnknownLanguage as error:
        raise ControlError(str(error)) from None
