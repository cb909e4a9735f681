"""Evaluate deadline reading and showing against hand-labelled texts: ``PYTHONPATH=.:tests python -m eval.deadlines``.

``deadlines.jsonl`` holds one object per line: ``{"set": "dev" | "held-out", "lang", "zone" (the source's),
"text", "expected": [{"day": "2028-04-30", "clock": "17:00:00" | null, "zone": IANA}]}``. The texts were
written in the style of the real sources (``../shared/captures/``: EU portal lines, Interreg programme
pages, UNDP notices, GURT and Prostir posts, Serbian konkursi, Polish, Hungarian and Romanian calls) and
labelled from the text alone, before looking at the extractor's output. An empty ``expected`` means the text
publishes no deadline that may be dated (a yearless "1 Feb", "30 dana od dana objavljivanja", "rolling").

Two measures:

- **reading**: a found deadline is right when its day, time of day (none for a date) and zone all match a
  label; precision = right / found, recall = right / labelled;
- **showing**: every deadline read right is said (:func:`digest.deadlines.say`) in every UI language to
  readers in Kyiv and Belgrade; it is shown right when the text starts with its published day in that
  language and names no other day of the publisher's.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass, field
from datetime import date, time
from pathlib import Path

from calls.extract import find_deadlines
from calls.zones import zone
from digest.deadlines import say
from digest.i18n import LANGUAGES, format_day

DATA = Path(__file__).with_name("deadlines.jsonl")
READERS = ("Europe/Kyiv", "Europe/Belgrade")


@dataclass
class Tally:
    found: int = 0
    labelled: int = 0
    right: int = 0
    shown: int = 0
    shown_right: int = 0
    misses: list[str] = field(default_factory=list)

    @property
    def precision(self) -> float:
        return self.right / self.found if self.found else 1.0

    @property
    def recall(self) -> float:
        return self.right / self.labelled if self.labelled else 1.0

    @property
    def shown_accuracy(self) -> float:
        return self.shown_right / self.shown if self.shown else 1.0


def load(path: Path = DATA) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def evaluate(cases: list[dict]) -> dict[str, Tally]:
    """Tallies per split and ``overall``."""
    tallies = {"overall": Tally(), "dev": Tally(), "held-out": Tally()}
    for case in cases:
        found = find_deadlines(case["text"], zone(case["zone"]), case["lang"])
        got = {(d.day.isoformat() if d.day else None, d.clock.isoformat() if d.clock else None, d.zone): d
               for d in found}
        wanted = {(e["day"], e["clock"], e["zone"]) for e in case["expected"]}
        for tally in (tallies["overall"], tallies[case["set"]]):
            tally.found += len(got)
            tally.labelled += len(wanted)
            tally.right += len(wanted & set(got))
            for key in sorted(set(got) ^ wanted, key=str):
                side = "missed" if key in wanted else "wrong"
                tally.misses.append(f"{side} {key} in {case['text'][:80]!r}")
            for key in wanted & set(got):
                for lang in LANGUAGES:
                    text = say(got[key], lang, READERS)
                    right = _shows_day(text, date.fromisoformat(key[0]), key[1], lang)
                    tally.shown += 1
                    tally.shown_right += right
                    if not right:
                        tally.misses.append(f"shown {text!r} for {key}")
    return tallies


def _shows_day(text: str, day: date, clock: str | None, lang: str) -> bool:
    """The text leads with the published day; a date-only deadline says nothing else."""
    published = format_day(day, lang)
    if clock is None:
        return text == published
    return text.startswith(published) and time.fromisoformat(clock).strftime("%H:%M") in text


def main(argv: list[str]) -> int:
    cases = load()
    tallies = evaluate(cases)
    print(f"{len(cases)} texts, {tallies['overall'].labelled} labelled deadlines, shown in {len(LANGUAGES)} languages")
    print(f"{'set':<10}{'labelled':>9}{'found':>7}{'precision':>11}{'recall':>8}{'shown right':>13}")
    for name, tally in tallies.items():
        print(f"{name:<10}{tally.labelled:>9}{tally.found:>7}{tally.precision:>11.3f}{tally.recall:>8.3f}"
              f"{tally.shown_accuracy:>13.3f}")
    if "-v" in argv:
        for miss in tallies["overall"].misses:
            print(" -", miss)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
