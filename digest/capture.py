"""``grantdigest capture SLUG``: crawl one source live and keep everything it exchanged as a fixture folder.

The folder is what ``tests/fixtures/<slug>/`` holds (docs/verifying.md): ``mirror/`` (every response in
the replay format, :mod:`spiders.recorder`), ``meta.json`` (what was captured, when, from which
evidence), a draft ``expected.json`` (the calls the crawl read, as publisher facts: no field that
depends on the day of the crawl) and ``summary.md`` (the run's outcome and cause, what was parsed and
what is missing, for the reviewer). The crawl goes into a scratch database; the store is not touched.
``grantdigest crawl SLUG --replay DIR`` crawls such a folder offline.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from calls import deadlines
from calls.config import SourceConfig
from calls.schema import Call
from digest import job as jobs
from digest import probe as probing
from digest.replay import load_tree

EXPECTED_FIELDS = ("title", "url", "original_url", "deadline", "deadline_raw", "opens_at", "language",
                   "published_at", "budget", "grant_min", "grant_max", "currency")
"""What a draft ``expected.json`` states per call: the publisher's facts (``status`` depends on the day)."""


def expected_value(call: Call, field: str):
    """A call's field as ``expected.json`` states it; ``deadline`` / ``deadline_raw`` are its first deadline
    as published (``2027-01-29`` for a date, the publisher's clock with offset for a time)."""
    if field == "deadline":
        return deadlines.iso(call.deadlines[0]) if call.deadlines else None
    if field == "deadline_raw":
        return call.deadlines[0].raw if call.deadlines else None
    return call.model_dump(mode="json")[field]


def expected_rows(calls: list[Call]) -> list[dict]:
    """The draft ``expected.json`` of ``calls``, sorted by uid."""
    return [{"uid": c.uid, **{f: expected_value(c, f) for f in EXPECTED_FIELDS}}
            for c in sorted(calls, key=lambda c: c.uid)]


@dataclass(frozen=True)
class Capture:
    folder: Path
    report: probing.ProbeReport
    exchanges: list[tuple[str, str, int]]
    """(method, url, status) of every recorded exchange."""

    def lines(self) -> list[str]:
        out = self.report.lines(shown=10)
        out.append(f"  recorded {len(self.exchanges)} exchange(s) into {self.folder / 'mirror'}")
        return out


def prepare(out: Path) -> Path:
    """The capture folder, new or empty (a capture never mixes with an older one); its ``mirror/``."""
    if out.exists() and any(out.iterdir()):
        raise FileExistsError(f"{out} is not empty: capture into a new folder")
    mirror = out / "mirror"
    mirror.mkdir(parents=True)
    return mirror


def capture(job: jobs.JobContext, source: SourceConfig, out: Path, *, now: datetime | None = None) -> Capture:
    """Crawl ``source`` once, live (or through the configured mirror), recording every exchange into ``out``."""
    mirror = prepare(out)
    now = now or datetime.now(UTC)
    folder, database_url = probing.scratch_database()
    with folder:
        jobs.run_crawl(job, [source.slug], "ERROR", database_url=database_url, no_cache=True, record=mirror)
        report = probing.reports(database_url, [source.slug])[0]
    exchanges = sorted((e.method, _url(e), e.status) for e in load_tree(mirror))
    meta = {
        "source": source.slug, "spider": source.spider, "verified": False, "captured_at": now.isoformat(),
        "evidence": source.evidence,
        "outcome": report.run.outcome.value if report.run else "did not run",
        "reason": report.run.reason if report.run else None,
        "note": f"captured by `grantdigest capture {source.slug}` on {now:%Y-%m-%d}; review summary.md, "
                "check expected.json against the publisher's pages, then set verified = true (docs/verifying.md)",
    }
    _write_json(out / "meta.json", meta)
    _write_json(out / "expected.json", expected_rows(report.calls))
    result = Capture(out, report, exchanges)
    (out / "summary.md").write_text(summary(result, now), encoding="utf-8")
    return result


def summary(result: Capture, now: datetime) -> str:
    """The reviewer's page: outcome and cause, each call read, the fields missing, every exchange."""
    report = result.report
    lines = [f"# Capture of `{report.slug}`, {now:%Y-%m-%d %H:%M} UTC", ""]
    lines += ["```", *report.lines(shown=len(report.calls)), "```", "", "## Exchanges", ""]
    lines += [f"- {status} {method} {url}" for method, url, status in result.exchanges]
    lines += ["", "## Before marking the source verified", "",
              "- every call above is a real call on the site, with the title, deadline and link the page shows;",
              "- nothing the site lists as open is missing (compare with the list page in a browser);",
              "- copy this folder to `tests/fixtures/<slug>/`, keep the calls in `expected.json`, run the test.", ""]
    return "\n".join(lines)


def _url(exchange) -> str:
    query = "&".join(f"{k}={v}" for k, v in exchange.query.items())
    return f"{exchange.host}{exchange.path}" + (f"?{query}" if query else "")


def _write_json(path: Path, data) -> None:
    path.write_text(json.dumps(data, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
