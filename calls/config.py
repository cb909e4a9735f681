"""Configuration: one TOML file, data not code (DESIGN §2).

Where the file is found, in order: an explicit path (``--config``), the
``GRANTDIGEST_CONFIG`` environment variable, ``./grantdigest.toml``; without any,
the built-in defaults apply. Relative paths in the file are resolved against the
file's own folder. Secrets never live in the file: it names the environment
variable that holds them (``password_env``), and a key that looks like a secret
is refused.

Sources are merged from the built-in catalogue (``calls/data/sources/*.toml``)
and the file's ``[sources.<slug>]`` tables: a table with a known slug overrides
fields of the catalogue entry, a new slug adds a source (usually on a generic
spider: ``spider = "feed"``).
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

ENV_CONFIG = "GRANTDIGEST_CONFIG"
ENV_MIRROR = "GRANTDIGEST_MIRROR"
ENV_DATABASE = "GRANTDIGEST_DATABASE_URL"
DEFAULT_FILE = "grantdigest.toml"
_SECRET_WORDS = ("password", "secret", "token", "apikey", "api_key")


class ConfigError(Exception):
    """The configuration file is missing, unreadable or says something impossible."""

    def __init__(self, message: str, path: Path | None = None):
        self.path = path
        super().__init__(f"{path}: {message}" if path else message)


@dataclass(frozen=True)
class SourceConfig:
    """One source: which spider crawls it and what it yields by default."""

    slug: str
    """The source's name; the spider's ``name`` and the calls' ``source``."""
    spider: str
    """Spider class to use: the slug itself for a dedicated spider, or a generic one (``feed``, ``wordpress``,
    ``listing``)."""
    title: str = ""
    """Human name of the publisher."""
    enabled: bool = True
    verified: bool = True
    """False where the site's structure is only known second-hand (SOURCES.md)."""
    evidence: str = ""
    """What the entry's URLs and selectors rest on: a note of ``../shared/captures/`` or a folder of
    ``../shared/samples/`` (``"captures/16-gurt.md"``), so every guess can be traced and re-checked."""
    languages: tuple[str, ...] = ("en",)
    """BCP 47 tags the source publishes in; the first is the default."""
    timezone: str = "UTC"
    """IANA zone of dates the source prints without an offset."""
    funder: str | None = None
    programme_id: str | None = None
    authority: int | None = None
    """Rank when merging duplicates, higher wins: official portal or programme 100, national body 50, aggregator 10."""
    timeout: float = 30.0
    """Seconds before one request to this source is abandoned."""
    retries: int = 2
    """Retries of a failed request (5xx, timeout, lost connection)."""
    options: dict[str, Any] = field(default_factory=dict)
    """Spider-specific options (URLs, selectors, filters)."""

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


@dataclass(frozen=True)
class CrawlConfig:
    """Politeness and robustness settings shared by every spider."""

    contact: str = "https://github.com/grantdigest/grantdigest"
    """Put into the User-Agent so site owners can reach the operator."""
    obey_robots: bool = True
    http_cache: bool = True
    """Conditional requests through Scrapy's RFC 2616 cache: an unchanged source costs little."""
    concurrency_per_domain: int = 2
    autothrottle: bool = True
    cache_dir: Path | None = None


@dataclass(frozen=True)
class Config:
    """The whole configuration, resolved."""

    path: Path | None
    """The file it came from; None for built-in defaults."""
    base_dir: Path
    """Folder relative paths are resolved against."""
    database_url: str
    mirror: str | None
    """When set, every request for ``scheme://host/path?query`` goes to ``MIRROR/host/path?query``."""
    data_dir: Path
    crawl: CrawlConfig
    sources: dict[str, SourceConfig]
    raw: dict[str, Any] = field(default_factory=dict, repr=False)
    """The parsed file, for sections later stages read (regions, schedule, email, site)."""

    def source(self, slug: str) -> SourceConfig:
        try:
            return self.sources[slug]
        except KeyError:
            raise ConfigError(
                f"no source named {slug!r}; known: {', '.join(sorted(self.sources))}", self.path
            ) from None

    def authority(self) -> dict[str, int]:
        """Merge ranks of the sources that declare one."""
        return {s.slug: s.authority for s in self.sources.values() if s.authority is not None}

    def enabled_sources(self) -> list[SourceConfig]:
        return [s for s in self.sources.values() if s.enabled]

    @property
    def site(self) -> SiteSection:
        """``[site]``, typed: each default stated once (:class:`SiteSection`)."""
        return _typed(SiteSection, self, "site")

    @property
    def schedule(self) -> ScheduleSection:
        """``[schedule]``, typed (:class:`ScheduleSection`); digest/schedule.py turns it into triggers."""
        return _typed(ScheduleSection, self, "schedule")

    @property
    def health(self) -> HealthSection:
        """``[health]``, typed (:class:`HealthSection`)."""
        return _typed(HealthSection, self, "health")

    def section(self, name: str) -> dict[str, Any]:
        """A top-level table of the file (``email``, ``site``, ``schedule``…), or {}."""
        value = self.raw.get(name, {})
        if not isinstance(value, dict):
            raise ConfigError(f"[{name}] must be a table", self.path)
        return value


class SiteSection(BaseModel):
    """``[site]``: where ``grantdigest build`` publishes and the URL it is served at."""

    model_config = ConfigDict(extra="forbid", use_attribute_docstrings=True)

    out: str | None = None
    """Folder to publish into, relative to the config file (default: DATA_DIR/site)."""
    base_url: str = "http://localhost:8000/"
    """Public URL of the published folder (feeds and emails need absolute links)."""
    theme_feeds: list[str] = Field(default_factory=list)
    """Theme ids (calls/data/regions.toml) that get feeds of their own."""
    umask: int = 0o022
    """Bits taken from the published files' 0666 and folders' 0777: ``"022"`` (0644/0755, the default) or
    ``"027"`` (0640/0750, for a web server in the owner's group); an octal string or a TOML ``0o`` integer."""

    @field_validator("umask", mode="before")
    @classmethod
    def _octal(cls, value: Any) -> int:
        if isinstance(value, str):
            try:
                value = int(value, 8)
            except ValueError:
                raise ValueError(f"an octal umask such as \"022\" is needed, got {value!r}") from None
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 0o777 or value & 0o700:
            raise ValueError(f"a umask from 000 to 077 is needed (the owner keeps its rights), got {value!r}")
        return value


class ScheduleSection(BaseModel):
    """``[schedule]``: when the daemon crawls and publishes (docs/scheduling.md)."""

    model_config = ConfigDict(extra="forbid", use_attribute_docstrings=True)

    timezone: str = "Europe/Kyiv"
    """Zone the cron fields are read in."""
    crawl: str = "0 6 * * *"
    """Cron expression of the crawl of every enabled source; "" turns the job off."""
    digest: str = "0 7 * * mon"
    """Cron expression of the weekly digest (site, feeds, emails, health alert); "" turns it off."""
    misfire_grace_time: int = Field(3600, gt=0, strict=True)
    """Seconds a missed run may still start late."""
    sources: list[str] = Field(default_factory=list)
    """Crawl only these slugs (default: every enabled source)."""
    crawl_timeout: float | None = Field(4 * 3600, gt=0)
    """Seconds before a hung crawl is killed; unset: never."""


class HealthSection(BaseModel):
    """``[health]``: who hears about sources in trouble."""

    model_config = ConfigDict(extra="forbid", use_attribute_docstrings=True)

    alert_to: str | None = None
    """One address mailed after a run when an enabled source is degraded or failing; unset: no alert."""


def _typed(model: type[BaseModel], config: Config, name: str):
    try:
        return model.model_validate(config.section(name))
    except ValidationError as error:
        problem = error.errors()[0]
        where = ".".join(str(p) for p in problem["loc"])
        raise ConfigError(f"[{name}] {where}: {problem['msg']}", config.path) from None


def find_config_path(explicit: str | os.PathLike | None = None) -> Path | None:
    """The config file to read, by the precedence in the module docstring."""
    if explicit:
        return Path(explicit)
    env = os.environ.get(ENV_CONFIG)
    if env:
        return Path(env)
    local = Path.cwd() / DEFAULT_FILE
    return local if local.is_file() else None


def load_config(path: str | os.PathLike | None = None, *, mirror: str | None = None) -> Config:
    """Read and validate the configuration; ``mirror`` overrides the file's."""
    found = find_config_path(path)
    raw: dict[str, Any] = {}
    if found is not None:
        try:
            raw = tomllib.loads(found.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise ConfigError("config file not found", found) from None
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"not valid TOML: {exc}", found) from None
        _refuse_secrets(raw, found)
    base_dir = found.resolve().parent if found else Path.cwd()
    data_dir = (base_dir / raw.get("data_dir", "var")).resolve()

    database = raw.get("database", {})
    database_url = os.environ.get(ENV_DATABASE) or database.get("url") or f"sqlite:///{data_dir / 'grantdigest.db'}"
    database_url = _resolve_sqlite(database_url, base_dir)

    mirror = mirror or os.environ.get(ENV_MIRROR) or raw.get("mirror") or None
    if mirror:
        mirror = mirror.rstrip("/")
        if not mirror.startswith(("http://", "https://")):
            raise ConfigError(f"mirror must be an http(s) URL, got {mirror!r}", found)

    crawl_raw = dict(raw.get("crawl", {}))
    if "cache_dir" in crawl_raw:
        crawl_raw["cache_dir"] = (base_dir / crawl_raw["cache_dir"]).resolve()
    try:
        crawl = CrawlConfig(**crawl_raw)
    except TypeError as exc:
        raise ConfigError(f"[crawl]: {exc}", found) from None

    sources = _merge_sources(_catalogue(), raw.get("sources", {}), found)
    return Config(
        path=found, base_dir=base_dir, database_url=database_url, mirror=mirror,
        data_dir=data_dir, crawl=crawl, sources=sources, raw=raw,
    )


def _catalogue() -> dict[str, Any]:
    """Every ``[sources.*]`` table of ``calls/data/sources/*.toml`` (one file per family of sources)."""
    merged: dict[str, Any] = {}
    folder = resources.files("calls.data").joinpath("sources")
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".toml"):
            for slug, table in tomllib.loads(entry.read_text(encoding="utf-8")).get("sources", {}).items():
                if slug in merged:
                    raise ConfigError(f"source {slug!r} is defined twice in the built-in catalogue ({entry.name})")
                merged[slug] = table
    return merged


_SOURCE_FIELDS = {
    "spider", "title", "enabled", "verified", "languages", "language", "timezone",
    "funder", "programme_id", "authority", "timeout", "retries", "options", "evidence",
}


def _merge_sources(catalogue: dict, overrides: dict, path: Path | None) -> dict[str, SourceConfig]:
    merged: dict[str, dict] = {slug: dict(entry) for slug, entry in catalogue.items()}
    for slug, entry in overrides.items():
        if not isinstance(entry, dict):
            raise ConfigError(f"[sources.{slug}] must be a table", path)
        base = merged.setdefault(slug, {})
        options = {**base.get("options", {}), **entry.get("options", {})}
        base.update(entry)
        base["options"] = options
    return {slug: _source(slug, entry, path) for slug, entry in merged.items()}


def _source(slug: str, entry: dict, path: Path | None) -> SourceConfig:
    unknown = set(entry) - _SOURCE_FIELDS
    if unknown:
        raise ConfigError(f"[sources.{slug}]: unknown keys {sorted(unknown)}", path)
    entry = dict(entry)
    if "language" in entry:
        entry.setdefault("languages", [entry.pop("language")])
    entry["languages"] = tuple(entry.get("languages", ("en",)))
    entry.setdefault("spider", slug)
    source = SourceConfig(slug=slug, **entry)
    try:
        _ = source.zone  # raises for an unknown time zone
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(f"[sources.{slug}]: unknown time zone {source.timezone!r}", path) from None
    return source


def _refuse_secrets(raw: Any, path: Path, where: str = "") -> None:
    if isinstance(raw, dict):
        for key, value in raw.items():
            lowered = key.lower()
            if any(word in lowered for word in _SECRET_WORDS) and not lowered.endswith("_env"):
                raise ConfigError(
                    f"{where}{key}: secrets are read from the environment only; "
                    f"name the variable instead ({key}_env = \"GRANTDIGEST_…\")",
                    path,
                )
            _refuse_secrets(value, path, f"{where}{key}.")


def _resolve_sqlite(url: str, base_dir: Path) -> str:
    prefix = "sqlite:///"
    if url.startswith(prefix) and not url.startswith(prefix + "/") and url != "sqlite://":
        rest = url[len(prefix):]
        if rest and rest != ":memory:":
            return prefix + str((base_dir / rest).resolve())
    return url
