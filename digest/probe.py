"""``grantdigest sources --probe``: fetch sources once, live, and show what was extracted.

For sources whose structure is only known second-hand (``verified = false``):
the first run with internet access confirms the guess or shows what to fix.
The crawl goes into a scratch database, so probing never touches the store.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path

from calls import deadlines
from calls.config import SourceConfig
from calls.schema import Call
from calls.store import Run, Store
from pipelines import causes

CHECKED_FIELDS = ("deadlines", "summary", "published_at", "opens_at", "budget", "applicant_types")
"""Fields whose absence the probe reports, as a share of the calls found."""


@dataclass(frozen=True)
class ProbeReport:
    slug: str
    run: Run | None
    calls: list[Call]

    def missing(self) -> dict[str, int]:
        """How many calls lack each checked field."""
        return {f: sum(1 for c in self.calls if not getattr(c, f)) for f in CHECKED_FIELDS}

    @property
    def stats(self) -> dict:
        return self.run.stats if self.run and self.run.stats else {}

    @property
    def cause(self) -> str:
        """The kind of the run's main failure (:mod:`pipelines.causes`), or "" when none was recorded."""
        found = causes.reason(self.stats)
        return found[0].name if found else ""

    @property
    def structure(self) -> str:
        """Whether the pages matched what the spider expects: matched, changed, empty, or not reached."""
        stats = self.stats
        if self.run is None:
            return "not reached"
        if stats.get(causes.PREFIX + "format"):
            return "changed"
        read = self.calls or any(stats.get(k) for k in ("listing/filtered_out", "posts/not_a_call", "posts/calls"))
        if read:
            return "matched"
        if stats.get(causes.PREFIX + "empty_feed"):
            return "matched, empty"
        return "not reached" if self.cause else "matched, empty"

    def counts(self) -> dict[str, int]:
        """The run's numbers: pages fetched, calls kept, items left out, errors."""
        stats = self.stats
        left_out = sum(stats.get(k, 0) for k in ("listing/filtered_out", "posts/not_a_call", "posts/untitled"))
        return {"pages": stats.get("downloader/response_count", 0), "calls": len(self.calls),
                "left_out": left_out, "invalid": self.run.invalid if self.run else 0,
                "errors": self.run.errors if self.run else 0}

    def lines(self, shown: int = 3) -> list[str]:
        run = self.run
        counts = self.counts()
        head = f"{self.slug}: " + (
            f"{run.outcome.value}, {len(self.calls)} call(s), {run.errors} error(s), {counts['pages']} page(s), "
            f"structure {self.structure}" if run else "did not run"
        )
        out = [head]
        if run and run.reason:
            out.append(f"  reason: {run.reason}")
        for call in self.calls[:shown]:
            upcoming = deadlines.earliest(call.deadlines)
            deadline = deadlines.iso(upcoming) if upcoming else "no deadline found"
            out.append(f"  - {call.title[:90]} | {deadline} | {call.url}")
        if self.calls:
            gaps = [f"{field} {n}/{len(self.calls)}" for field, n in self.missing().items() if n]
            out.append("  missing: " + (", ".join(gaps) if gaps else "nothing"))
        return out


def scratch_database() -> tuple[tempfile.TemporaryDirectory, str]:
    folder = tempfile.TemporaryDirectory(prefix="grantdigest-probe-")
    return folder, f"sqlite:///{Path(folder.name) / 'probe.db'}"


def reports(database_url: str, slugs: list[str]) -> list[ProbeReport]:
    store = Store.open(database_url)
    try:
        runs = store.last_runs()
        return [ProbeReport(slug, runs.get(slug), list(store.iter_calls(source=slug))) for slug in slugs]
    finally:
        store.close()


def report_rows(reports_: list[ProbeReport], sources: dict[str, SourceConfig]) -> list[dict]:
    """One record per probed source, for the maintainers: outcome, cause, counts, structure, evidence."""
    rows = []
    for report in reports_:
        source = sources.get(report.slug)
        run = report.run
        rows.append({
            "source": report.slug, "verified": bool(source and source.verified),
            "evidence": source.evidence if source else "",
            "outcome": run.outcome.value if run else "did not run", "cause": report.cause,
            "structure": report.structure, **report.counts(),
            "missing": {f: n for f, n in report.missing().items() if n},
            "reason": run.reason if run and run.reason else "",
        })
    return rows


def report_markdown(rows: list[dict], when: str) -> str:
    """The probe of many sources as one Markdown page (a table, then each source's reason)."""
    lines = [f"# grantdigest source probe, {when}", "",
             "| source | outcome | cause | structure | pages | calls | left out | errors | evidence |",
             "|---|---|---|---|---|---|---|---|---|"]
    lines += [f"| {r['source']} | {r['outcome']} | {r['cause'] or '-'} | {r['structure']} | {r['pages']} | "
              f"{r['calls']} | {r['left_out']} | {r['errors']} | {r['evidence'] or '-'} |" for r in rows]
    lines += ["", "## Reasons", ""]
    for r in rows:
        gaps = ", ".join(f"{field} {n}/{r['calls']}" for field, n in r["missing"].items())
        lines.append(f"- **{r['source']}**: {r['reason'] or 'ok'}" + (f" (missing: {gaps})" if gaps else ""))
    return "\n".join(lines) + "\n"
