"""``grantdigest new-source``: a new source with its test, in one step (the habit of City Scrapers' genspider).

It writes, in a checkout of the repository:

- ``calls/data/sources/<slug>.toml``: the catalogue entry, ``verified = false`` until the structure is
  confirmed live (a generic spider: its options to fill; ``code``: the spider's own name);
- ``spiders/<slug>.py`` for ``--spider code``: a spider class to write;
- ``tests/fixtures/<slug>/``: ``mirror/`` for the source's pages, ``meta.json`` and an empty
  ``expected.json``.

``tests/test_fixtures.py`` replays every fixture folder, so the new source's test exists at once and fails
until the pages are recorded into ``mirror/`` and the calls they hold written into ``expected.json``.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

GENERIC = ("feed", "wordpress", "listing")
SPIDERS = (*GENERIC, "code")
SLUG = re.compile(r"[a-z][a-z0-9]*(?:-[a-z0-9]+)*\Z")
ROOT = Path(__file__).resolve().parent.parent


class NewSourceError(ValueError):
    """A slug, spider or place the new source cannot have."""


@dataclass(frozen=True)
class Written:
    paths: tuple[Path, ...]
    slug: str


def new_source(slug: str, spider: str, url: str, *, title: str | None = None, language: str = "en",
               timezone: str = "Europe/Brussels", root: Path = ROOT, known: frozenset[str] = frozenset()) -> Written:
    """Write the catalogue entry, the fixture folder (and for ``code`` the spider module) of ``slug``."""
    if not SLUG.match(slug):
        raise NewSourceError(f"a source slug is lower-case words joined by '-', got {slug!r}")
    if spider not in SPIDERS:
        raise NewSourceError(f"--spider must be one of {', '.join(SPIDERS)}, got {spider!r}")
    if slug in known:
        raise NewSourceError(f"a source {slug!r} exists already")
    if not url.startswith(("https://", "http://")):
        raise NewSourceError(f"--url must be the source's http(s) address, got {url!r}")
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise NewSourceError(f"unknown time zone {timezone!r}") from None
    catalogue, fixture = root / "calls" / "data" / "sources" / f"{slug}.toml", root / "tests" / "fixtures" / slug
    module = root / "spiders" / f"{slug.replace('-', '_')}.py"
    if not (root / "calls" / "data" / "sources").is_dir() or not (root / "tests" / "fixtures").is_dir():
        raise NewSourceError(f"{root} is not a checkout of the repository (no calls/data/sources or tests/fixtures)")
    targets = [catalogue, fixture] + ([module] if spider == "code" else [])
    if taken := [str(p) for p in targets if p.exists()]:
        raise NewSourceError(f"would overwrite {', '.join(taken)}")
    catalogue.write_text(_entry(slug, spider, url, title or slug, language, timezone), encoding="utf-8")
    (fixture / "mirror").mkdir(parents=True)
    meta = {"source": slug, "spider": spider if spider != "code" else slug, "verified": False,
            "note": "unverified source: record its pages before trusting it (issue #15)",
            "todo": f"save the pages {url} leads to in mirror/, each with a <file>.meta.json giving its url, method, "
                    "status and headers (as tests/fixtures/interreg-next-ro-ua does), then list the calls they hold "
                    "in expected.json"}
    (fixture / "meta.json").write_text(json.dumps(meta, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    (fixture / "expected.json").write_text("[]\n", encoding="utf-8")
    written = [catalogue, fixture / "meta.json", fixture / "expected.json"]
    if spider == "code":
        module.write_text(_module(slug, url), encoding="utf-8")
        written.append(module)
    return Written(tuple(written), slug)


def _entry(slug: str, spider: str, url: str, title: str, language: str, timezone: str) -> str:
    lines = [f"[sources.{slug}]", f"title = {json.dumps(title, ensure_ascii=False)}",
             f'spider = "{slug if spider == "code" else spider}"', f'languages = ["{language}"]',
             f'timezone = "{timezone}"', "# Say here what of the site was actually seen, and where.",
             "verified = false",
             f"[sources.{slug}.options]"]
    if spider == "wordpress":
        lines.append(f'base = "{url}"')
    else:
        lines.append(f"urls = [{json.dumps(url)}]")
    if spider == "listing":
        lines += ['item = "article"          # one call in the list (CSS, or xpath:…)', 'link = "a::attr(href)"',
                  'title = "h2"', f"[sources.{slug}.options.detail]", 'title = "h1"',
                  'body = "main"             # the text searched for deadline, money, applicants']
    return "\n".join(lines) + "\n"


def _module(slug: str, url: str) -> str:
    name = "".join(part.capitalize() for part in slug.split("-")) + "Spider"
    return f'''"""{slug}: calls from {url} (write the parsing; its test is tests/fixtures/{slug})."""

from __future__ import annotations

from collections.abc import Iterator

from scrapy.http import Response

from calls.schema import Call
from spiders.base import SourceSpider


class {name}(SourceSpider):
    name = "{slug}"

    async def start(self):
        for url in self.options.get("urls", []):
            yield self.request(url, callback=self.parse)

    def parse(self, response: Response) -> Iterator[Call]:
        """Yield one ``self.make_call(native_id, title=…, url=…, …)`` per call the page lists."""
        yield from ()
'''
