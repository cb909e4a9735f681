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
from calls.schema import Call
from calls.store import Run, Store

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

    def lines(self, shown: int = 3) -> list[str]:
        run = self.run
        head = f"{self.slug}: " + (
            f"{run.outcome.value}, {len(self.calls)} call(s), {run.errors} error(s)" if run else "did not run"
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
