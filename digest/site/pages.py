"""What each page of the site shows: language-neutral call records, then their fields said in one UI language.

Scraped text stays plain text here; the templates escape it (autoescape), and the
only links built from scraped data go through :func:`digest.email.safe_url`
(absolute http(s) only), so ``javascript:`` and friends never become an ``href``.
"""

from __future__ import annotations

from functools import lru_cache
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from babel import Locale, UnknownLocaleError
from babel.support import Translations

from calls.regions import RegionProfile, default_programme_areas
from calls.schema import Call
from calls.store import StoredClassification, StoredEvent
from calls.urls import safe_url
from digest.email import CHANGE_LABELS
from babel.dates import format_date, format_time, get_datetime_format

from digest.i18n import babel_locale, format_money, format_share
from digest.reasons import say, term
from digest.site import search
from digest.site.slugs import call_slug

LANGUAGE_NAMES = {"uk": "Українська", "sr-Latn": "Srpski (latinica)", "sr-Cyrl": "Српски (ћирилица)", "en": "English"}
"""Each UI language in its own words, for the language switch."""
BRUSSELS = "Europe/Brussels"
DEADLINE_WINDOWS = (7, 30, 90)
"""Options of the calls page's "closes within N days" filter."""
TIER_LABELS = {"top": "Top match", "relevant": "Relevant", "low": "Low match", "not-eligible": "Not eligible"}
ELIGIBILITY_LABELS = {"eligible": "Eligible", "likely": "Likely eligible", "unknown": "Eligibility to be checked",
                      "not-eligible": "Not eligible"}
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
    deadline: datetime | None
    """The next deadline at build time (None: none parsed, or all passed)."""
    themes: tuple[str, ...]
    """Theme ids: the call's own and those its classifications matched."""

    @property
    def uid(self) -> str:
        return self.call.uid

    @property
    def programme_key(self) -> str:
        return self.call.programme_id or self.call.programme or ""


def call_record(call: Call, members: Sequence[str], verdicts: Iterable[StoredClassification], events: Iterable[StoredEvent],
                shown_in: Iterable[str], now: datetime) -> CallRecord:
    verdicts = tuple(sorted(verdicts, key=lambda v: (-v.score, v.region)))
    deadline = min((d.at for d in call.deadlines if d.at is not None and d.at >= now), default=None)
    themes = tuple(dict.fromkeys([*call.themes, *(t for v in verdicts for t in v.themes)]))
    return CallRecord(call=call, members=tuple(members), slug=call_slug(call.uid), verdicts=verdicts,
                      shown_in=tuple(shown_in), events=tuple(sorted(events, key=lambda e: (e.at, e.id))),
                      deadline=deadline, themes=themes)


def search_document(record: CallRecord, labels: Mapping[str, Mapping[str, str]]) -> str:
    """The words the search finds ``record`` by: title, summary, programme, funder, call id, themes in every language."""
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
    times: tuple[tuple[str, str], ...]
    """(zone, "20 January 2027, 17:00 (UTC+01:00)") per zone shown."""
    iso: str | None


@dataclass(frozen=True)
class Localizer:
    """Formats call fields in one language."""

    lang: str
    t: Translations
    regions: Mapping[str, RegionProfile]
    labels: Mapping[str, Mapping[str, str]]
    """Vocabulary id (theme, applicant type) → language → label."""

    def _(self, msgid: str, **values) -> str:
        text = self.t.gettext(msgid)
        return text % values if values else text

    def region_name(self, region_id: str, names: Mapping[str, str] | None = None) -> str:
        names = names or (self.regions[region_id].names if region_id in self.regions else {})
        return names.get(self.lang) or names.get("en") or region_id

    def vocabulary(self, key: str) -> str:
        return self.labels.get(key, {}).get(self.lang) or key

    def moment(self, dt: datetime | None, zone: str) -> str | None:
        """``dt`` in ``zone`` with its UTC offset: "20 січня 2027 р., 18:00 (UTC+02:00)".

        The same text as :func:`digest.i18n.format_deadline` plus the offset; days and clock times are
        formatted once per language and reused (Babel's formatting dominated a 10,000-call build).
        """
        if dt is None:
            return None
        local = dt.astimezone(_zone(zone))
        offset = local.strftime("%z")
        clock = _clock(local.time().replace(tzinfo=None), self.lang)
        joined = _datetime_pattern(self.lang).replace("{0}", clock).replace("{1}", _day(local.date(), self.lang))
        return f"{joined} (UTC{offset[:3]}:{offset[3:]})"

    def deadlines(self, record: CallRecord) -> list[DeadlineView]:
        zones = [self.regions[r].timezone for r in record.shown_in if r in self.regions]
        zones = list(dict.fromkeys([*zones, BRUSSELS]))
        return [DeadlineView(label=d.label, raw=d.raw, iso=d.at.astimezone(UTC).isoformat() if d.at else None,
                             times=tuple((z, self.moment(d.at, z)) for z in zones) if d.at else ())
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

    def reasons(self, reasons: Iterable[str]) -> list[str]:
        return [say(r, self.lang) for r in reasons]

    def tier(self, tier: str) -> str:
        return self._(TIER_LABELS[tier]) if tier in TIER_LABELS else tier

    def eligibility(self, value: str) -> str:
        return self._(ELIGIBILITY_LABELS[value]) if value in ELIGIBILITY_LABELS else value

    def event_label(self, kind: str) -> str:
        return self._(EVENT_LABELS[kind]) if kind in EVENT_LABELS else kind

    def event(self, event: StoredEvent, zone: str = BRUSSELS) -> dict:
        return {"label": self.event_label(event.kind), "when": self.moment(event.at, zone), "iso": event.at.astimezone(UTC).isoformat(),
                "old": self._change_value(event.old, zone), "new": self._change_value(event.new, zone)}

    def _change_value(self, text: str | None, zone: str) -> str | None:
        if not text:
            return None
        try:
            moment = datetime.fromisoformat(text)
        except ValueError:
            return text
        return self.moment(moment, zone) if moment.tzinfo else text

    def days_left(self, deadline: datetime | None, now: datetime, zone: str) -> str | None:
        if deadline is None:
            return None
        days = (deadline.astimezone(ZoneInfo(zone)).date() - now.astimezone(ZoneInfo(zone)).date()).days
        if days < 0:
            return self._("Deadline passed")
        if days == 0:
            return self._("Deadline today")
        return self.t.ngettext("%(num)d day left", "%(num)d days left", days) % {"num": days}


@lru_cache(maxsize=64)
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


@lru_cache(maxsize=16384)
def _day(day, lang: str) -> str:
    return format_date(day, "long", locale=babel_locale(lang))


@lru_cache(maxsize=8192)
def _clock(clock, lang: str) -> str:
    return format_time(clock, "short", locale=babel_locale(lang))


@lru_cache(maxsize=8)
def _datetime_pattern(lang: str) -> str:
    # Babel's own joining of a date and a time pattern (quotes are literal markers), as digest.i18n does
    return get_datetime_format("long", locale=babel_locale(lang)).replace("'", "")


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
        "opens": loc.moment(call.opens_at, BRUSSELS) if call.opens_at else call.opens_at_raw,
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
        "published": loc.moment(call.published_at, BRUSSELS) if call.published_at else call.published_at_raw,
        "updated": loc.moment(call.updated_at, BRUSSELS) if call.updated_at else call.updated_at_raw,
        "first_seen": loc.moment(call.first_seen, BRUSSELS),
        "url": safe_url(call.url),
        "original_url": safe_url(call.original_url) if call.original_url != call.url else None,
        "verdicts": [
            {"region": v.region, "region_name": loc.region_name(v.region), "tier": loc.tier(v.tier), "tier_id": v.tier,
             "score": v.score, "eligibility": loc.eligibility(v.eligibility), "reasons": loc.reasons(v.reasons),
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
        "deadline": loc.moment(record.deadline, BRUSSELS) if record.deadline else None,
        "deadline_iso": record.deadline.astimezone(UTC).isoformat() if record.deadline else "",
        "days_left": loc.days_left(record.deadline, now, BRUSSELS),
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
