"""The call schema: the one contract every stage speaks (DESIGN §3).

A :class:`Call` is what a spider yields, what the pipelines normalise and store,
and what the digest reads back. It is defined here once; no stage invents its
own dict shape for a call. Every datetime is timezone-aware and travels with the
text it was parsed from (``*_raw``), so a date-parsing bug can be audited.
"""

from __future__ import annotations

import hashlib
import json
from datetime import date, datetime, time
from decimal import Decimal
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from calls.zones import zone

SUMMARY_MAX = 1200
TITLE_MAX = 500
"""Longest title kept (a call's title is a line; anything longer is scraped page text)."""


def clip_title(title: str) -> str:
    """``title`` cut to :data:`TITLE_MAX` characters, ending in '…' when cut."""
    return title if len(title) <= TITLE_MAX else title[: TITLE_MAX - 1].rstrip() + "…"
MONEY_MAX = Decimal(10) ** 13
"""Largest amount believed (ten trillion in any currency): above it, a number is a misreading."""
YEARS = (1990, 2100)
"""Years a call's dates may fall in; outside them a date is a misreading."""
"""Upper bound, in characters, of :attr:`Call.summary`."""


class Status(StrEnum):
    """Where a call stands in its life."""

    FORTHCOMING = "forthcoming"
    OPEN = "open"
    CLOSED = "closed"
    WITHDRAWN = "withdrawn"
    """Withdrawn by an editor (a manual entry): never shown."""


class Eligibility(StrEnum):
    """Whether a region's applicants may apply to a call (the classifier's verdict)."""

    ELIGIBLE = "eligible"
    LIKELY = "likely"
    UNKNOWN = "unknown"
    NOT_ELIGIBLE = "not-eligible"


class Tier(StrEnum):
    """How prominently a call is shown to a region's readers."""

    TOP = "top"
    RELEVANT = "relevant"
    LOW = "low"
    NOT_ELIGIBLE = "not-eligible"


SHOWN_TIERS = (Tier.TOP, Tier.RELEVANT)
"""The tiers a region's readers see (email, site, feeds); a pinned call is shown whatever its tier."""


class _Model(BaseModel):
    model_config = ConfigDict(
        use_attribute_docstrings=True,
        extra="forbid",
        validate_assignment=True,
        ser_json_timedelta="iso8601",
    )


class Deadline(_Model):
    """One submission deadline; multi-stage calls have several.

    What was published (``day``, ``clock``, ``zone``) is kept apart from the instant
    derived from it (``at``), which only sorts and counts down; :mod:`calls.deadlines`
    is the policy every stage follows, and builds deadlines (``on_day``, ``at_time``).
    """

    at: datetime | None = None
    """Instant of the deadline, ISO 8601 with offset; None when the raw text could not be parsed.
    Derived: for a date-only deadline, the end of ``day`` in ``zone`` (or the source's documented time)."""
    raw: str
    """The deadline exactly as the source published it (date string, sentence, API value)."""
    label: str | None = None
    """What this deadline is for, e.g. ``stage 1``, ``stage 2``, ``cut-off 3``."""
    day: date | None = None
    """The calendar day as published, in the publisher's zone."""
    clock: time | None = None
    """The time of day as published; None for a date-only deadline (shown as a date, never moved across zones)."""
    zone: str | None = None
    """The publisher's zone: an IANA key (``Europe/Brussels``), ``UTC`` or ``UTC+02:00``."""

    @field_validator("at")
    @classmethod
    def _aware(cls, value: datetime | None) -> datetime | None:
        return _require_aware(value)

    @field_validator("zone")
    @classmethod
    def _known_zone(cls, value: str | None) -> str | None:
        if value is not None:
            zone(value)
        return value

    @model_validator(mode="before")
    @classmethod
    def _implausible_is_unparsed(cls, data: Any) -> Any:
        """A deadline read in a year outside :data:`YEARS` is a misreading: kept as raw text, not as a date."""
        if isinstance(data, dict):
            moments = [data.get("at"), data.get("day")]
            if any(isinstance(m, date) and not (YEARS[0] <= m.year <= YEARS[1]) for m in moments):
                return {**data, "at": None, "day": None, "clock": None}
        return data

    @model_validator(mode="after")
    def _consistent(self) -> Deadline:
        if self.clock is not None and self.day is None:
            raise ValueError("a deadline's time of day needs its day")
        if self.day is None or self.at is None or self.zone is None:
            return self
        local = self.at.astimezone(zone(self.zone))
        if local.date() != self.day or (self.clock is not None and local.time() != self.clock):
            raise ValueError(
                f"deadline instant {self.at.isoformat()} is not {self.day} {self.clock or ''} in {self.zone}"
            )
        return self


class Provenance(_Model):
    """One source page a (possibly merged) call was seen on."""

    source: str
    """Source slug (the spider's name), e.g. ``eu-ftp``."""
    native_id: str
    """The source's own id of the call."""
    url: str
    """The page on that source."""
    seen_at: datetime | None = None
    """When the call was last seen there, ISO 8601 with offset."""


class Call(_Model):
    """A grant call or technical-assistance opportunity, normalised."""

    uid: str
    """Stable id ``<source>:<native_id>``; never reused (see :func:`make_uid`)."""
    source: str
    """Slug of the source that yielded the call, e.g. ``eu-ftp``."""
    native_id: str
    """The source's own id (API id, topic identifier, post id, URL path)."""
    title: str
    """Title as published, plain text, whitespace collapsed (cut at ``TITLE_MAX`` characters when crawled)."""
    url: str
    """Absolute http(s) URL of the page a person should open."""
    original_url: str | None = None
    """For a repost (aggregator, ministry relaying a donor): the original publisher's page, absolute http(s) URL."""

    call_id: str | None = None
    (
        "Official identifier (``HORIZON-CL5-2027-D3-01``, ``EuropeAid/18xxxx/DD/ACT/UA``, ``HUSRB/2301``): "
        "the strongest dedup key."
    )
    cited_call_ids: list[str] = Field(default_factory=list)
    (
        "Official ids the text quotes that are not the call's own (a related topic, the previous call): "
        "references, never merge keys."
    )
    parent_call_id: str | None = None
    """Identifier of the call this topic belongs to (F&TP ``callIdentifier``), if any."""
    parent_call_title: str | None = None
    """Title of that parent call, plain text."""
    language: str | None = None
    """BCP 47 tag of the title and summary: ``en``, ``uk``, ``sr-Latn``, ``sr-Cyrl``, ``pl``, ``hu``, ``ro``."""
    summary: str | None = None
    """Plain text, sanitised (no markup), at most ``SUMMARY_MAX`` characters."""
    eligibility_text: str | None = None
    """Plain-text eligibility conditions as published (who and which countries may apply), bounded length."""

    programme_id: str | None = None
    """Programme registry key, e.g. ``horizon-europe``, ``interreg-next-pl-ua``."""
    programme: str | None = None
    """Programme display name, e.g. ``Horizon Europe``."""
    funder: str | None = None
    """Who pays: ``European Union``, ``Norway Grants``, ``US Department of State``, …"""
    kind: str | None = None
    """``grant``, ``tender``, ``prize``, ``loan``, ``technical-assistance``, ``other``."""
    action_type: str | None = None
    """Type of action as the funder names it, e.g. ``HORIZON Research and Innovation Actions``."""
    status: Status | None = None
    (
        "``forthcoming``, ``open``, ``closed`` (derived from dates where the source is silent) "
        "or ``withdrawn`` (by an editor)."
    )

    opens_at: datetime | None = None
    """Opening of submissions, ISO 8601 with offset."""
    opens_at_raw: str | None = None
    """Opening date exactly as published."""
    deadlines: list[Deadline] = Field(default_factory=list)
    """Every submission deadline in chronological order (several for multi-stage calls)."""
    published_at: datetime | None = None
    """When the source published the call, ISO 8601 with offset."""
    published_at_raw: str | None = None
    """Publication date exactly as published."""
    updated_at: datetime | None = None
    """When the source last changed the call, ISO 8601 with offset."""
    updated_at_raw: str | None = None
    """Last-change date exactly as published."""

    budget: Decimal | None = None
    """Total budget of the call or topic, in ``currency``."""
    budget_raw: str | None = None
    """Budget text as published (or the API value it was read from)."""
    grant_min: Decimal | None = None
    """Smallest grant per project, in ``currency``."""
    grant_max: Decimal | None = None
    """Largest grant per project, in ``currency``."""
    grant_raw: str | None = None
    """Grant-size text as published."""
    currency: str | None = None
    """ISO 4217 code of every amount above, e.g. ``EUR``, ``USD``, ``RSD``, ``UAH``."""
    cofinancing_rate: Decimal | None = None
    """Maximum share of costs the funder pays, 0–1 (0.9 = 90 %)."""
    cofinancing_raw: str | None = None
    """Co-financing text as published."""
    expected_grants: int | None = None
    """Number of projects the funder expects to fund."""

    eligible_countries: list[str] = Field(default_factory=list)
    """ISO 3166-1 alpha-2 codes of countries whose applicants are eligible."""
    eligible_areas: list[str] = Field(default_factory=list)
    """ISO 3166-2 or NUTS codes of eligible sub-national areas."""
    eligible_nuts: list[str] = Field(default_factory=list)
    (
        "NUTS codes (levels 1–3 mixed, ``RS12``, ``HU331``) the publisher lists as the call's eligible regions; "
        "a code covers the regions below it (``RS1`` covers ``RS12``)."
    )
    applicant_types: list[str] = Field(default_factory=list)
    (
        "Controlled list: ``local-government``, ``regional-government``, ``ngo``, ``sme``, ``university``, "
        "``school``, ``research``, ``public-body``, ``individual``, …"
    )
    themes: list[str] = Field(default_factory=list)
    """Controlled theme vocabulary of the regions registry."""
    programme_priorities: list[str] = Field(default_factory=list)
    (
        "Programme priorities or specific objectives the call funds, as published "
        "(``Priority 2``, ``SO 2.4``, ``Пріоритет 1``)."
    )
    keywords: list[str] = Field(default_factory=list)
    """Free keywords and tags as the source gives them."""

    first_seen: datetime | None = None
    """Set by the store: first crawl that saw the call, ISO 8601 UTC."""
    last_seen: datetime | None = None
    """Set by the store: latest crawl that saw the call, ISO 8601 UTC."""
    content_hash: str | None = None
    """Set by the pipelines: hash of the normalised fields (see :meth:`Call.compute_hash`)."""
    provenance: list[Provenance] = Field(default_factory=list)
    """Set by the pipelines: every source page the call was seen on."""

    @field_validator("opens_at", "published_at", "updated_at", "first_seen", "last_seen")
    @classmethod
    def _aware(cls, value: datetime | None) -> datetime | None:
        return _require_aware(value)

    @field_validator("opens_at", "published_at", "updated_at")
    @classmethod
    def _plausible_year(cls, value: datetime | None) -> datetime | None:
        if value is not None and not (YEARS[0] <= value.year <= YEARS[1]):
            raise ValueError(f"a date in {value.year} is outside {YEARS[0]}–{YEARS[1]}: a misreading")
        return value

    @field_validator("budget", "grant_min", "grant_max")
    @classmethod
    def _amount(cls, value: Decimal | None) -> Decimal | None:
        if value is not None and not (value.is_finite() and 0 <= value <= MONEY_MAX):
            raise ValueError(f"an amount must be finite, not negative and at most 10^13, got {value}")
        return value

    @field_validator("cofinancing_rate")
    @classmethod
    def _share(cls, value: Decimal | None) -> Decimal | None:
        if value is not None and not (0 <= value <= 1):
            raise ValueError(f"co-financing rate must be a share between 0 and 1, got {value}")
        return value

    @field_validator("currency")
    @classmethod
    def _iso4217(cls, value: str | None) -> str | None:
        if value is not None and (len(value) != 3 or not value.isalpha() or not value.isupper()):
            raise ValueError(f"currency must be an ISO 4217 code, got {value!r}")
        return value

    def to_json(self) -> str:
        """Serialise to JSON (datetimes ISO 8601 with offset, Decimals as strings)."""
        return self.model_dump_json()

    @classmethod
    def from_json_salvaging(cls, text: str | bytes) -> Call:
        """:meth:`from_json`, dropping optional fields the schema's bounds refuse (a document stored before
        them), so one old misreading never makes a stored call unreadable."""
        try:
            return cls.model_validate_json(text)
        except ValidationError:
            return salvage(json.loads(text))[0]

    @classmethod
    def from_json(cls, text: str | bytes) -> Call:
        """Parse what :meth:`to_json` wrote."""
        return cls.model_validate_json(text)

    def compute_hash(self) -> str:
        """Hash of the fields a reader cares about; store bookkeeping and provenance excluded.

        Change detection compares this, so re-crawling an unchanged page (with
        fresh ``last_seen``) yields the same hash.
        """
        payload = self.model_dump(mode="json", exclude=_BOOKKEEPING)
        for name in _ADDED_LATER:
            if not payload[name]:
                del payload[name]
        blob = json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
        return hashlib.sha256(blob.encode("utf-8")).hexdigest()[:32]


_BOOKKEEPING = {"first_seen", "last_seen", "content_hash", "provenance"}
_ADDED_LATER = ("eligible_nuts",)
"""Fields added after calls were first stored: left out of the hash while empty, so upgrading changes no hash."""


def make_uid(source: str, native_id: str) -> str:
    """The one helper that builds a call's stable id: ``<source>:<native_id>``."""
    if not source or not native_id:
        raise ValueError(f"uid needs a source and a native id, got {source!r}, {native_id!r}")
    return f"{source}:{native_id}"


def _require_aware(value: datetime | None) -> datetime | None:
    if value is not None and (value.tzinfo is None or value.utcoffset() is None):
        raise ValueError(f"datetime must be timezone-aware, got naive {value.isoformat()}")
    return value


DROPPABLE = frozenset({
    "budget", "grant_min", "grant_max", "cofinancing_rate", "currency", "opens_at", "published_at", "updated_at",
    "summary", "eligibility_text", "original_url", "parent_call_title", "deadlines",
})
"""Optional fields a call can lose when the schema refuses their value, instead of losing the call."""


def salvage(fields: dict[str, Any]) -> tuple[Call, list[str]]:
    """A :class:`Call` from ``fields``, dropping each optional field (:data:`DROPPABLE`) whose value the schema
    refuses (an amount of 10^28, a negative budget, a date in 9999); the call and the fields dropped.
    Raises ``ValidationError`` when the call is invalid without them (no title, a bad URL)."""
    fields, dropped = dict(fields), []
    while True:
        try:
            return Call.model_validate(fields), dropped
        except ValidationError as error:
            bad = {str(e["loc"][0]) for e in error.errors() if e["loc"] and e["loc"][0] in DROPPABLE}
            bad = sorted(f for f in bad if fields.get(f) not in (None, []))
            if not bad:
                raise
            for name in bad:
                fields[name] = [] if name == "deadlines" else None
            dropped += bad
