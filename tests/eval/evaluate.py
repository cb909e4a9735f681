"""Evaluate the region classifier against hand-labelled calls: ``python tests/eval/evaluate.py``.

``calls.jsonl`` holds one object per line: ``{"set": "dev" | "held-out", "call":
{...Call fields...}, "expected": {"<region id>": {"eligibility": ..., "tier": ...}}}``. The calls
were written to look like the real sources (F&TP topics, Interreg calls,
Grants.gov, donors, GURT/Prostir reposts, Serbian konkursi) and labelled the way a
regional civil servant would, before looking at the classifier's output:

- eligibility: *eligible* when the region's organisations can apply (programme area,
  association of the country, the call's own conditions); *likely* when it is implied
  but not stated (partner-only, a national aggregator without stated geography);
  *unknown* when nothing says; *not-eligible* when the region or country is excluded.
- tier: *top* = eligible, on one of the region's priority themes, open to the readers'
  organisations, at least a week or so left; *relevant* = worth passing on (weaker
  theme fit, short deadline, partner-only, eligibility unknown but on-theme); *low* =
  off-priority, closed, or only for applicants the readers are not (individuals,
  businesses); *not-eligible*.

The "dev" calls were used while writing the rules; the "held-out" ones were written
and labelled afterwards and the rules were not tuned on them. The evaluation date is
fixed (:data:`NOW`). Precision and recall treat *eligible* and *likely* as positive.
"""

from __future__ import annotations

import json
import sys
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from calls.regions import default_programme_areas, default_regions
from calls.schema import Call
from pipelines.classify import Classification, Eligibility, classify_all

DATA = Path(__file__).with_name("calls.jsonl")
NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
"""The date the labels assume."""
POSITIVE = {Eligibility.ELIGIBLE.value, Eligibility.LIKELY.value}


@dataclass(frozen=True)
class Case:
    call: Call
    expected: dict[str, dict[str, str]]
    split: str = "dev"


@dataclass
class Tally:
    tp: int = 0
    fp: int = 0
    fn: int = 0
    tn: int = 0
    tier_right: int = 0
    total: int = 0
    misses: list[str] = field(default_factory=list)

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    @property
    def tier_accuracy(self) -> float:
        return self.tier_right / self.total if self.total else 1.0


def load_cases(path: Path = DATA) -> list[Case]:
    cases = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            record = json.loads(line)
            cases.append(Case(Call.model_validate(record["call"]), record["expected"], record.get("set", "dev")))
    return cases


def run(cases: list[Case]) -> tuple[dict[str, Tally], list[tuple[Case, str, Classification]]]:
    """Classify every labelled (call, region) pair; tallies per region plus every result."""
    regions = default_regions()
    wanted = sorted({rid for case in cases for rid in case.expected})
    by_uid = {case.call.uid: case for case in cases}
    results = []
    tallies: dict[str, Tally] = defaultdict(Tally)
    for uid, cls in classify_all([c.call for c in cases], [regions[r] for r in wanted], NOW, default_programme_areas()):
        case = by_uid[uid]
        expected = case.expected.get(cls.region)
        if expected is None:
            continue
        results.append((case, cls.region, cls))
        tally = tallies[cls.region]
        tally.total += 1
        want, got = expected["eligibility"] in POSITIVE, cls.eligibility.value in POSITIVE
        tally.tp += want and got
        tally.fp += got and not want
        tally.fn += want and not got
        tally.tn += not want and not got
        tally.tier_right += expected["tier"] == cls.tier.value
        if expected["tier"] != cls.tier.value or want != got:
            tally.misses.append(
                f"{uid} [{cls.region}] expected {expected['eligibility']}/{expected['tier']}, "
                f"got {cls.eligibility}/{cls.tier} ({cls.score}): {' | '.join(cls.reasons)}"
            )
    return dict(tallies), results


def overall(tallies: dict[str, Tally]) -> Tally:
    total = Tally()
    for tally in tallies.values():
        for name in ("tp", "fp", "fn", "tn", "tier_right", "total"):
            setattr(total, name, getattr(total, name) + getattr(tally, name))
    return total


def main(argv: list[str]) -> int:
    cases = load_cases()
    tallies, _ = run(cases)
    print(f"{len(cases)} calls, {sum(t.total for t in tallies.values())} labelled (call, region) pairs, "
          f"now={NOW:%Y-%m-%d}")
    print(f"{'region':<16}{'pairs':>6}{'precision':>11}{'recall':>8}{'tier acc':>10}")
    for rid, tally in sorted(tallies.items()):
        _row(rid, tally)
    _row("overall", overall(tallies))
    for split in sorted({c.split for c in cases}):
        _row(f"  {split}", overall(run([c for c in cases if c.split == split])[0]))
    if "-v" in argv:
        for _rid, tally in sorted(tallies.items()):
            for miss in tally.misses:
                print(" -", miss)
    return 0


def _row(label: str, tally: Tally) -> None:
    print(f"{label:<16}{tally.total:>6}{tally.precision:>11.3f}{tally.recall:>8.3f}{tally.tier_accuracy:>10.3f}")


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
