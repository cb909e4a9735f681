"""Benchmark of the after-crawl stage: merge duplicates, then classify every merged call for every region.

    python bench/bench_pipeline.py [--sizes 10000 100000] [--baseline-sample 300]

Uses the synthetic multilingual calls of ``bench_merge.py`` (~10 % reposts).
Timed per size: ``cluster`` + ``merge_group`` + ``classify_all`` over the nine
shipped regions — what ``pipelines.consolidate`` does, without the database.
Baseline in the same run: ``classify`` called per (call, region) pair, which
reads each call's text once per region instead of once, on a sample,
extrapolated linearly. Writes the "pipeline" section of ``bench/RESULTS.md``.
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_merge import machine_note, synthetic_calls, write_results  # noqa: E402

from calls.regions import default_programme_areas, default_regions  # noqa: E402
from pipelines.classify import classify, classify_all  # noqa: E402
from pipelines.merge import cluster, merge_group  # noqa: E402

NOW = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)


def run(n: int) -> dict[str, float]:
    calls, _ = synthetic_calls(n)
    regions = list(default_regions().values())
    registry = default_programme_areas()
    started = time.perf_counter()
    merged = [merge_group(group) for group in cluster(calls)]
    merged_at = time.perf_counter()
    classified = sum(1 for _ in classify_all(merged, regions, NOW, registry))
    done = time.perf_counter()
    return {"calls": n, "merged": len(merged), "pairs": classified,
            "merge": merged_at - started, "classify": done - merged_at, "total": done - started}


def baseline(sample: int) -> float:
    """Seconds per call of the naive per-pair classification."""
    calls, _ = synthetic_calls(sample, seed=7)
    regions = list(default_regions().values())
    registry = default_programme_areas()
    started = time.perf_counter()
    for call in calls:
        for region in regions:
            classify(call, region, registry, NOW)
    return (time.perf_counter() - started) / sample


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--baseline-sample", type=int, default=300)
    args = parser.parse_args(argv)

    per_call = baseline(args.baseline_sample)
    rows = []
    for n in args.sizes:
        result = run(n)
        rows.append(result)
        print(f"{n:>7} calls: merge {result['merge']:.2f} s, classify {result['classify']:.2f} s "
              f"({result['pairs']:,} pairs), total {result['total']:.2f} s", flush=True)

    lines = [
        f"`python bench/bench_pipeline.py --sizes {' '.join(map(str, args.sizes))}` — {machine_note()}",
        "",
        "Timed: `cluster` + `merge_group` + `classify_all` (nine regions) on the synthetic calls of `bench_merge.py`.",
        f"Baseline, same run: `classify` per (call, region) pair on {args.baseline_sample} calls, "
        f"{per_call * 1000:.2f} ms per call, extrapolated linearly.",
        "",
        "| calls | merged calls | merge | classify | total | naive classify (extrapolated) | naive ÷ ours (classify) |",
        "|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        naive = per_call * r["merged"]
        lines.append(f"| {r['calls']:,} | {r['merged']:,} | {r['merge']:.2f} s | {r['classify']:.2f} s "
                     f"| {r['total']:.2f} s "
                     f"| {naive:.1f} s | {naive / r['classify']:.1f}× |")
    if len(rows) >= 2:
        small, large = rows[0], rows[-1]
        growth = large["total"] / small["total"]
        lines += ["", f"Scaling: {large['calls']:,} / {small['calls']:,} calls "
                      f"= {large['calls'] / small['calls']:.0f}× the input "
                      f"took {growth:.1f}× the time (target < 15×)."]
    write_results("## pipeline\n\n" + "\n".join(lines) + "\n", "pipeline")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
