"""Benchmark of date and money extraction on long, odd input: does the cost stay linear?

    python bench/bench_extract.py [--scale 10] [--repeat 3]

Scraped pages can hold tens of thousands of date-like or number-like pieces
(tables of figures, dotted leaders, repeated menus). For each such input the
extractors run on one size and on ``--scale`` times that size; linear code
takes about ``scale``× the time, a backtracking regex far more. Baseline in the
same run: ordinary call prose (dates, amounts, co-financing in several
languages) of the same length, so each figure is a ratio on the same machine
load. These were once "< 3 s" asserts in the unit tests; speed lives here now.
Writes the "extract" section of ``bench/RESULTS.md``.
"""

from __future__ import annotations

import argparse
import time
from zoneinfo import ZoneInfo

from bench_merge import machine_note, write_results

from calls.extract.dates import find_dates, parse_date
from calls.extract.money import find_budget, find_cofinancing, find_grant_range, parse_amount

KYIV = ZoneInfo("Europe/Kyiv")
DATE_INPUTS = {  # name → one unit; the input is the unit repeated
    "one long word": "a" * 5, "dots": "1.", "spaced numbers": "100 ", "times": "12:00 ", "days": "15 15 ",
    "month words": "May ",
}
MONEY_INPUTS = {
    "spaced numbers": "100 ", "grouped numbers": "1 000 000 ", "ranges": "from 1 000 to 2 000 EUR ", "dots": "1.",
    "cue words": "co-financing ",
}
PROSE = ("Deadline: 15 December 2026, 17:00 CET. Budget EUR 2 000 000; grants from EUR 100 000 to EUR 500 000, "
         "co-financing 90%. Термін подання — до 15 грудня 2026 року; бюджет 1,5 млн грн. "
         "Rok za prijave je 15. decembar 2026. godine; ukupno 30 miliona dinara. ")


def dates(text: str) -> None:
    find_dates(text, KYIV)
    parse_date(text, KYIV)


def money(text: str) -> None:
    parse_amount(text)
    find_budget(text + " ")
    find_grant_range(text + "  ")
    find_cofinancing(text)


def best(run, text: str, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        run(text)
        times.append(time.perf_counter() - started)
    return min(times)


def measure(run, unit: str, chars: int, scale: int, repeat: int) -> dict[str, float]:
    small, large = unit * max(1, chars // len(unit)), unit * max(1, chars * scale // len(unit))
    prose = (PROSE * (len(large) // len(PROSE) + 1))[: len(large)]
    t_small, t_large, t_prose = best(run, small, repeat), best(run, large, repeat), best(run, prose, repeat)
    return {"chars": len(large), "small": t_small, "large": t_large, "prose": t_prose}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chars", type=int, default=5_000, help="length of the smaller input")
    parser.add_argument("--scale", type=int, default=10)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)

    lines = [
        f"`python bench/bench_extract.py --chars {args.chars} --scale {args.scale} --repeat {args.repeat}` "
        f"— {machine_note()}",
        "",
        f"Each odd input at {args.chars:,} characters and at {args.scale}× that; growth = large ÷ small "
        f"(linear ≈ {args.scale}×). Baseline, same run: ordinary multilingual call prose as long as the large input.",
        "",
        "| extractor | input | characters | time | growth | ÷ prose of that length |",
        "|---|---|---:|---:|---:|---:|",
    ]
    worst = 0.0
    for label, run, inputs in (("dates", dates, DATE_INPUTS), ("money", money, MONEY_INPUTS)):
        for name, unit in inputs.items():
            r = measure(run, unit, args.chars, args.scale, args.repeat)
            growth = r["large"] / r["small"] if r["small"] else float("nan")
            worst = max(worst, growth)
            lines.append(f"| {label} | {name} | {r['chars']:,} | {r['large'] * 1000:.1f} ms | {growth:.1f}× "
                         f"| {r['large'] / r['prose']:.2f}× |")
            print(lines[-1], flush=True)
    lines += ["", f"Worst growth: {worst:.1f}× for {args.scale}× the input (target < {args.scale * 2}×; "
                  f"quadratic would be {args.scale ** 2}×). Other processes share the machine: compare the ratios, "
                  "not the milliseconds."]
    write_results("## extract\n\n" + "\n".join(lines) + "\n", "extract")
    print("\n".join(lines[-1:]))
    return 0 if worst < args.scale * 2 else 1


if __name__ == "__main__":
    raise SystemExit(main())
