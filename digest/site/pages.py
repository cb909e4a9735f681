"""What each page of the site shows: language-neutral call records, then their fields said in one UI language.

Scraped text stays plain text here; the templates escape it (autoescape), and the
only links built from scraped data go through :func:`digest.email.safe_url`
(absolute http(s) only), so ``javascript:`` and friends never become an ``href``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from functools import lru_cache

from babel import Locale, UnknownLocaleError
from babel.support import Translations

from calls import deadlines
from calls.regions import RegionProfile, default_programme_areas
from calls.schema import Call, Deadline, Eligibility, Tier
from calls.store import StoredClassification, StoredEvent
from calls.urls import safe_url
from calls.zones import zone as _zone
from digest.deadlines import days_left_text, published_day
from digest.deadlines import say as say_deadline
from digest.email import CHANGE_LABELS
from digest.i18n import babel_locale, format_day, format_money, format_share, format_wall_clock
from digest.reasons import say, term
from digest.site import search
from digest.site.slugs import call_slug

LANGUAGE_NAMES = {"uk": "Українська", "sr-Latn": "Srpski (latinica)", "sr-Cyrl": "Српски (ћирилица)", "en": "English"}
"""Each UI language in its own words, for the language switch."""
BRUSSELS = "Europe/Brussels"
DEADLINE_WINDOWS = (7, 30, 90)
"""Options of the calls page's "closes within N days" filter."""
TIER_LABELS = {Tier.TOP: "Top match", Tier.RELEVANT: "Relevant", Tier.LOW: "Low match",
               Tier.NOT_ELIGIBLE: "Not eligible"}
ELIGIBILITY_LABELS = {Eligibility.ELIGIBLE: "Eligible", Eligibility.LIKELY: "Likely eligible",
                      Eligibility.UNKNOWN: "Eligibility to be checked", Eligibility.NOT_ELIGIBLE: "Not eligible"}
EVENT_LABELS = {**CHANGE_LABELS, "new": "new", "vanished": "no longer listed by its source"}
STATUS_LABELS = {"open": "open", "forthcoming": "forthcoming", "closed": "closed"}
KIND_LABELS = {"grant": "Grant", "tender": "Tender", "prize": "Prize", "loan": "Loan",
               "technical assistance": "Technical assistance", "technical-assistance": "Technical assistance"}
HEALTH_LABELS = {"ok": "OK", "degraded": "Degraded", "failing": "Failing", "never": "Never run"}



def programme_label(call: Call) -> str | None:
    """The programme's name: the call's own, else the registry's name for its programme id (never a bare id)."""
    if call.programme:
        return call.programme
    if call.programme_id:
        try:
            return default_programme_areas()[call.programme_id].name
        except KeyError:
            return None
    return None

@dataclass(frozen=True)
class CallRecord:
    """One published merged call with everything the site shows of it, before any language is chosen."""

    call: Call
    members: tuple[str, ...]
    slug: str
    verdicts: tuple[StoredClassification, ...]
    """Its classification for every region, best score first."""
    shown_in: tuple[str, ...]
    """Regions whose page lists it (tier top/relevant, or pinned; not excluded there)."""
    events: tuple[StoredEvent, ...]
    deadline: Deadline | None
    """The next deadline at build time (None: none parsed, or all passed)."""
    today: date | None
    """The build's day in that deadline's publisher's calendar (what its days left count from)."""
    themes: tuple[str, ...]
    """Theme ids: the call's own and those its classifications matched."""

    @property
    def uid(self) -> str:
        return self.call.uid

    @property
    def programme_key(self) -> str:
        return self.call.programme_id or self.call.programme or ""


def call_record(call: Call, members: Sequence[str], verdicts: Iterable[StoredClassification],
                events: Iterable[StoredEvent], shown_in: Iterable[str], now: datetime) -> CallRecord:
    verdicts = tuple(sorted(verdicts, key=lambda v: (-v.score, v.region)))
    deadline = deadlines.upcoming(call.deadlines, now)
    today = deadlines.publisher_today(deadline, now)
    themes = tuple(dict.fromkeys([*call.themes, *(t for v in verdicts for t in v.themes)]))
    return CallRecord(call=call, members=tuple(members), slug=call_slug(call.uid), verdicts=verdicts,
                      shown_in=tuple(shown_in), events=tuple(sorted(events, key=lambda e: (e.at, e.id))),
                      deadline=deadline, today=today, themes=themes)


def search_document(record: CallRecord, labels: Mapping[str, Mapping[str, str]]) -> str:
    """The words the search finds ``record`` by: title, summary, programme, funder, call id, themes in every
    language."""
    call = record.call
    theme_words = [label for theme in record.themes for label in labels.get(theme, {}).values()]
    return search.document([call.title, call.summary, call.programme, call.programme_id, call.funder, call.call_id,
                            *record.themes, *theme_words])


def relative(target: str, page: str) -> str:
    """The relative URL from the page at ``page`` to ``target`` (both plain paths from the site root, no ``..``).

    ``posixpath.relpath`` gives the same answer but costs more than the rest of a link on a 40,000-page build.
    """
    here, there = page.split("/")[:-1], target.split("/")
    common = 0
    while common < len(here) and common < len(there) - 1 and here[common] == there[common]:
        common += 1
    return "../" * (len(here) - common) + "/".join(there[common:])


# -- one call said in one language ------------------------------------------------

@dataclass(frozen=True)
class DeadlineView:
    label: str | None
    raw: str | None
    text: str | None
    """As :func:`digest.deadlines.say` says it; None when it could not be read (``raw`` is shown)."""
    iso: str | None
    """The published form for ``<time datetime>``: a date, or the publisher's clock with its offset."""


@dataclass(frozen=True)
class Localizer:
    """Formats call fields in one language."""

    lang: str
    t: Translations
    regions: Mapping[str, RegionProfile]
    labels: Mapping[str, Mapping[str, str]]
    """Vocabulary id (theme, applicant type) → language → label."""
    readers: tuple[str, ...] = ()
    """Zones this language's readers live in (their regions'): shown beside a timed deadline's own."""

    def _(self, msgid: str, **values) -> str:
        text = self.t.gettext(msgid)
        return text % values if values else text

    def region_name(self, region_id: str, names: Mapping[str, str] | None = None) -> str:
        names = names or (self.regions[region_id].names if region_id in self.regions else {})
        return names.get(self.lang) or names.get("en") or region_id

    def vocabulary(self, key: str) -> str:
        return self.labels.get(key, {}).get(self.lang) or key

    def moment(self, dt: datetime | None, zone: str) -> str | None:
        """A timestamp (never a deadline) in ``zone`` with its UTC offset: "20 січня 2027 р., 18:00 (UTC+02:00)"."""
        if dt is None:
            return None
        local = dt.astimezone(_zone(zone))
        offset = local.strftime("%z")
        return f"{format_wall_clock(local, self.lang)} (UTC{offset[:3]}:{offset[3:]})"

    def day(self, dt: datetime | None) -> str | None:
        """The day of ``dt`` on its own clock (the publisher's offset it was stored in): an opening, a publication."""
        return format_day(dt.date(), self.lang) if dt else None

    def deadline(self, deadline: Deadline | None, readers: tuple[str, ...] | None = None) -> str | None:
        """:func:`digest.deadlines.say` with this language's reader zones (or ``readers``)."""
        return say_deadline(deadline, self.lang, self.readers if readers is None else readers) if deadline else None

    def deadlines(self, record: CallRecord) -> list[DeadlineView]:
        return [DeadlineView(label=d.label, raw=d.raw, text=self.deadline(d) if d.at else None, iso=deadlines.iso(d))
                for d in record.call.deadlines]

    def money(self, amount: Decimal | None, currency: str | None) -> str | None:
        return _money(amount, currency, self.lang) if amount is not None and currency else None

    def grant(self, call: Call) -> str | None:
        low, high = self.money(call.grant_min, call.currency), self.money(call.grant_max, call.currency)
        if low and high and call.grant_min != call.grant_max:
            return self._("%(min)s to %(max)s", min=low, max=high)
        if high:
            return high if call.grant_min == call.grant_max else self._("up to %(amount)s", amount=high)
        if low:
            return self._("from %(amount)s", amount=low)
        return call.grant_raw

    def cofinancing(self, call: Call) -> str | None:
        if call.cofinancing_rate is not None:
            return self._("up to %(share)s of eligible costs", share=format_share(call.cofinancing_rate, self.lang))
        return call.cofinancing_raw

    def country(self, code: str) -> str:
        return babel_locale(self.lang).territories.get(code.upper(), code)

    def language(self, tag: str | None) -> str | None:
        if not tag:
            return None
        try:
            return Locale.parse(tag.replace("-", "_")).get_display_name(babel_locale(self.lang)) or tag
        except (ValueError, UnknownLocaleError):
            return tag

    def status(self, call: Call) -> str | None:
        return self._(STATUS_LABELS[call.status.value]) if call.status and call.status.value in STATUS_LABELS else (
            call.status.value if call.status else None)

    def kind(self, call: Call) -> str | None:
        if not call.kind:
            return None
        label = KIND_LABELS.get(call.kind.lower())
        return self._(label) if label else call.kind

    def reasons(self, reasons: Iterable[str], today: date | None = None) -> list[str]:
        """Reasons said in this language; ``today`` recounts deadline days as the page shows them."""
        return [say(r, self.lang, today) for r in reasons]

    def tier(self, tier: str) -> str:
        return self._(TIER_LABELS[tier]) if tier in TIER_LABELS else tier

    def eligibility(self, value: str) -> str:
        return self._(ELIGIBILITY_LABELS[value]) if value in ELIGIBILITY_LABELS else value

    def event_label(self, kind: str) -> str:
        return self._(EVENT_LABELS[kind]) if kind in EVENT_LABELS else kind

    def event(self, event: StoredEvent) -> dict:
        zone = self.readers[0] if self.readers else BRUSSELS
        return {"label": self.event_label(event.kind), "when": self.moment(event.at, zone),
                "iso": event.at.astimezone(UTC).isoformat(),
                "old": self._change_value(event.old), "new": self._change_value(event.new)}

    def _change_value(self, text: str | None) -> str | None:
        """A change's old or new value: a deadline as the day it was published for, anything else as stored."""
        return (published_day(text, self.lang) or text) if text else None

    def days_left(self, deadline: Deadline | None, now: datetime) -> str | None:
        return days_left_text(deadline, now, self.lang)


@lru_cache(maxsize=16384)
def _money(amount: Decimal, currency: str, lang: str) -> str:
    return format_money(amount, currency, lang)


def call_fields(record: CallRecord, loc: Localizer) -> dict:
    """Every field of the call page, said in ``loc``'s language (values are plain text, escaped by the template).

    Nothing that moves on every crawl (``last_seen``, a page's ``seen_at``) is shown, so an unchanged call's
    page stays byte-identical and is not rewritten (see :mod:`digest.site.incremental`).
    """
    call = record.call
    return {
        "title": call.title or call.uid,
        "summary": call.summary,
        "call_id": call.call_id,
        "parent": call.parent_call_title or call.parent_call_id,
        "programme": programme_label(call),
        "funder": call.funder,
        "kind": loc.kind(call),
        "action_type": call.action_type,
        "status": loc.status(call),
        "opens": loc.day(call.opens_at) or call.opens_at_raw,
        "deadlines": loc.deadlines(record),
        "budget": loc.money(call.budget, call.currency) or call.budget_raw,
        "grant": loc.grant(call),
        "expected_grants": call.expected_grants,
        "cofinancing": loc.cofinancing(call),
        "applicants": [loc.vocabulary(a) for a in call.applicant_types],
        "countries": [loc.country(c) for c in call.eligible_countries],
        "areas": list(call.eligible_areas),
        "eligibility": call.eligibility_text,
        "themes": [loc.vocabulary(t) for t in record.themes],
        "language": loc.language(call.language),
        "published": loc.day(call.published_at) or call.published_at_raw,
        "updated": loc.day(call.updated_at) or call.updated_at_raw,
        "first_seen": loc.moment(call.first_seen, BRUSSELS),
        "url": safe_url(call.url),
        "original_url": safe_url(call.original_url) if call.original_url != call.url else None,
        "verdicts": [
            {"region": v.region, "region_name": loc.region_name(v.region), "tier": loc.tier(v.tier), "tier_id": v.tier,
             "score": v.score, "eligibility": loc.eligibility(v.eligibility),
             "reasons": loc.reasons(v.reasons, record.today),
             "shown": v.region in record.shown_in}
            for v in record.verdicts
        ],
        "provenance": [
            {"source": p.source, "native_id": p.native_id, "url": safe_url(p.url), "raw_url": p.url}
            for p in call.provenance
        ],
        "history": [loc.event(e) for e in record.events],
    }


def list_item(record: CallRecord, loc: Localizer, now: datetime) -> dict:
    """A call as the calls page lists it, with the data attributes the filters read."""
    call = record.call
    return {
        "uid": call.uid, "slug": record.slug, "title": call.title or call.uid,
        "programme": programme_label(call), "funder": call.funder,
        "deadline": loc.deadline(record.deadline),
        "deadline_iso": deadlines.iso(record.deadline) if record.deadline else "",
        "deadline_at": deadlines.local(record.deadline).isoformat() if record.deadline else "",  # the filter's instant
        "days_left": loc.days_left(record.deadline, now),
        "data_region": " ".join(record.shown_in), "data_programme": record.programme_key,
        "data_funder": call.funder or "", "data_theme": " ".join(record.themes),
        "data_applicant": " ".join(call.applicant_types),
    }


def vocabulary_labels(regions: Iterable[RegionProfile]) -> dict[str, dict[str, str]]:
    """Theme and applicant-type id → UI language → label, from the region profiles and the catalogs."""
    from digest.i18n import LANGUAGES

    english: dict[str, str] = {}
    for region in regions:
        for theme in region.themes:
            english.setdefault(theme.id, theme.label)
        for vocab in region.applicant_vocabulary.values():
            english.setdefault(vocab.id, vocab.label)
    return {key: {lang: term(label, lang) for lang in LANGUAGES} for key, label in english.items()}
