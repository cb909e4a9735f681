"""Benchmark of duplicate merging: ``cluster`` + ``merge_group`` on synthetic multilingual calls.

    python bench/bench_merge.py [--sizes 10000 100000] [--baseline-sample 2000] [--repeat 2]

Generates calls in en / uk / sr-Latn / sr-Cyrl with ~10 % reposts (other source,
other script or case, decorated title, sometimes the call id or the official link),
times ``cluster`` and ``merge_group`` per size, and times a naive all-pairs rapidfuzz
loop on a sample in the same run, extrapolated by n² (DESIGN §11: every figure is a
ratio against a baseline run in the same process). Writes the "merge" section of
``bench/RESULTS.md``.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import re
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from rapidfuzz import fuzz

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from calls.schema import Call, Deadline, make_uid  # noqa: E402
from pipelines.merge import cluster, merge_group, title_key  # noqa: E402

RESULTS = Path(__file__).with_name("RESULTS.md")

EN = ("energy", "efficiency", "youth", "culture", "heritage", "water", "climate", "digital", "skills", "health",
      "mobility", "tourism", "innovation", "farming", "forests", "media", "veterans", "schools", "roads", "cities",
      "rivers", "solar", "housing", "museums", "libraries", "startups", "women", "elderly", "sports", "science",
      "waste", "recycling", "biodiversity", "wetlands", "bridges", "hospitals", "inclusion", "disability", "rural",
      "broadband", "archives", "theatre", "cinema", "translation", "journalism", "democracy", "governance",
      "transparency", "anticorruption", "volunteering", "entrepreneurship", "exports", "dairy", "orchards",
      "irrigation", "flood", "wildfire", "demining", "reconstruction", "shelters", "heating", "insulation")
UK = ("енергоефективність", "молодь", "культура", "спадщина", "вода", "клімат", "цифровізація", "навички",
      "здоровʼя", "мобільність", "туризм", "інновації", "фермерство", "ліси", "медіа", "ветерани", "школи",
      "дороги", "громади", "річки", "сонячна", "житло", "музеї", "бібліотеки", "стартапи", "жінки", "літні",
      "спорт", "наука", "відходи", "переробка", "біорізноманіття", "мости", "лікарні", "інклюзія", "інвалідність",
      "село", "інтернет", "архіви", "театр", "кіно", "переклад", "журналістика", "демократія", "врядування",
      "прозорість", "волонтерство", "підприємництво", "експорт", "молочарство", "сади", "зрошення", "розмінування",
      "відбудова", "укриття", "опалення", "утеплення", "ґрантоотримувачі", "єдність", "їжа")
SR = ("energetska", "efikasnost", "mladi", "kultura", "nasleđe", "voda", "klima", "digitalizacija", "veštine",
      "zdravlje", "mobilnost", "turizam", "inovacije", "poljoprivreda", "šume", "mediji", "škole", "putevi",
      "gradovi", "reke", "solarna", "stanovanje", "muzeji", "biblioteke", "žene", "stari", "sport", "nauka",
      "otpad", "reciklaža", "biodiverzitet", "mostovi", "bolnice", "inkluzija", "invaliditet", "selo", "arhivi",
      "pozorište", "film", "prevod", "novinarstvo", "demokratija", "upravljanje", "transparentnost",
      "volontiranje", "preduzetništvo", "izvoz", "mlekarstvo", "voćnjaci", "navodnjavanje", "poplave", "požari",
      "đaci", "džeparac", "ljudska", "njive", "ćirilica", "čuvanje")
PLACES = ("Lviv", "Volyn", "Zakarpattia", "Chernivtsi", "Odesa", "Vojvodina", "Novi Sad", "Subotica", "Kikinda",
          "Sombor", "Zrenjanin", "Pančevo", "Uzhhorod", "Lutsk", "Rivne", "Ternopil", "Ivano-Frankivsk", "Kharkiv",
          "Poltava", "Sumy", "Niš", "Kragujevac", "Čačak", "Vršac", "Bačka Topola", "Ruma", "Šabac", "Kovel")
SOURCES = {"en": ("eu-ftp", "interreg-eu-calls", "interreg-next-pl-ua", "grants-gov", "fundsforngos", "euro-access"),
           "uk": ("gurt", "prostir", "chaszmin", "hromady", "diia-business"),
           "sr-Latn": ("konkursi-rs", "euinfo", "novisad-gov", "vojvodina-puma"),
           "sr-Cyrl": ("vojvodina-puma", "novisad-gov", "ras-gov")}
PROGRAMMES = ("horizon-europe", "erasmus-plus", "creative-europe", "interreg-next-pl-ua", "interreg-ipa-husrb",
              "interreg-danube", "life", "cerv", None, None, None)
_TO_CYRILLIC = [("lj", "љ"), ("nj", "њ"), ("dž", "џ"), *zip("abvgdđežzijklmnoprstćufhcčš",
                                                          "абвгдђежзијклмнопрстћуфхцчш", strict=True)]
_TO_CYRILLIC_RE = re.compile("|".join(sorted((re.escape(k) for k, _ in _TO_CYRILLIC), key=len, reverse=True)))
_TO_CYRILLIC_MAP = dict(_TO_CYRILLIC)


_SYLLABLES = ("ka", "lo", "mi", "ra", "ve", "no", "dra", "sla", "vi", "tu", "ro", "ze", "li", "bo", "na", "ja",
              "mar", "tel", "gor", "dan", "ost", "vel", "sor", "pri", "kam", "len", "dub", "jar", "vod", "zor")


def names(rng: random.Random, count: int) -> list[str]:
    """Pseudo proper names (funders, projects, villages): what makes real titles distinct."""
    found: set[str] = set()
    while len(found) < count:
        found.add("".join(rng.choice(_SYLLABLES) for _ in range(rng.choice((2, 3, 3, 4)))).capitalize())
    return sorted(found)


def to_cyrillic(text: str) -> str:
    """Serbian Latin → Cyrillic (lower case is enough for a benchmark)."""
    return _TO_CYRILLIC_RE.sub(lambda m: _TO_CYRILLIC_MAP[m.group(0)], text.lower())


def synthetic_calls(n: int, seed: int = 2026, dup_rate: float = 0.1) -> tuple[list[Call], int]:
    """``n`` calls, about ``dup_rate`` of them reposts of an earlier one; returns (calls, reposts)."""
    rng = random.Random(seed)
    proper = names(random.Random(0), 20_000)
    start = datetime(2026, 1, 1, 17, tzinfo=UTC)
    calls: list[Call] = []
    reposts = 0
    for i in range(n):
        if calls and rng.random() < dup_rate:
            calls.append(_repost(rng, rng.choice(calls), i))
            reposts += 1
            continue
        language = rng.choice(("en", "en", "uk", "sr-Latn", "sr-Cyrl"))
        words = {"en": EN, "uk": UK, "sr-Latn": SR, "sr-Cyrl": SR}[language]
        title = " ".join([*rng.sample(words, 4), rng.choice(proper), rng.choice(PLACES),
                          str(rng.choice((2025, 2026, 2027)))])
        if language == "sr-Cyrl":
            title = to_cyrillic(title)
        source = rng.choice(SOURCES[language])
        at = start + timedelta(days=rng.randrange(400), hours=rng.randrange(8))
        calls.append(Call(
            uid=make_uid(source, str(i)), source=source, native_id=str(i), title=title,
            url=f"https://{source}.example/calls/{i}", language=language, programme_id=rng.choice(PROGRAMMES),
            call_id=f"CALL-{i:07d}" if rng.random() < 0.3 else None,
            deadlines=[Deadline(at=at, raw=at.date().isoformat())], themes=[rng.choice(EN)],
        ))
    return calls, reposts


def _repost(rng: random.Random, original: Call, i: int) -> Call:
    language = original.language
    title = original.title
    style = rng.random()
    if language == "sr-Latn" and style < 0.4:
        title, language = to_cyrillic(title), "sr-Cyrl"
    elif style < 0.6:
        title = title.upper()
    else:
        title = (rng.choice(("Grant: ", "Конкурс: ", "Javni poziv – ", "Open call: ")) + title
                 + rng.choice(("", "!", " (repost)")))
    source = rng.choice([s for lang in SOURCES for s in SOURCES[lang] if s != original.source])
    shift = timedelta(hours=rng.randrange(-20, 20))
    return original.model_copy(update={
        "uid": make_uid(source, f"r{i}"), "source": source, "native_id": f"r{i}", "title": title,
        "language": language, "url": original.url if rng.random() < 0.2 else f"https://{source}.example/p/{i}",
        "call_id": original.call_id if rng.random() < 0.5 else None,
        "programme_id": original.programme_id if rng.random() < 0.5 else None,
        "deadlines": [Deadline(at=d.at + shift, raw="moved") for d in original.deadlines],
        "provenance": [],
    })


def time_merge(calls: list[Call]) -> dict[str, float]:
    started = time.perf_counter()
    groups = cluster(calls)
    clustered = time.perf_counter()
    merged = [merge_group(group) for group in groups]
    done = time.perf_counter()
    return {"cluster": clustered - started, "merge": done - clustered, "total": done - started,
            "groups": len(groups), "merged_away": len(calls) - len(merged)}


def time_naive(calls: list[Call]) -> float:
    """All pairs, rapidfuzz token_set_ratio on title keys, no gates: the floor of a naive dedup."""
    keys = [title_key(c) for c in calls]
    started = time.perf_counter()
    hits = 0
    for i in range(len(keys)):
        a = keys[i]
        for j in range(i + 1, len(keys)):
            hits += fuzz.token_set_ratio(a, keys[j]) >= 85
    return time.perf_counter() - started


def machine_note() -> str:
    model = "unknown CPU"
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    return (f"{os.cpu_count()} cores ({model}), Python {platform.python_version()}, "
            f"{platform.system()} {platform.release()}")


def write_results(section: str, name: str = "merge") -> None:
    """Replace (or append) the ``## <name>`` section of RESULTS.md with ``section``, which starts with that heading."""
    text = RESULTS.read_text(encoding="utf-8") if RESULTS.exists() else "# Benchmarks\n"
    pattern = re.compile(rf"^## {re.escape(name)}\n.*?(?=^## |\Z)", re.S | re.M)
    if pattern.search(text):
        text = pattern.sub(lambda _: section, text)
    else:
        text = text.rstrip("\n") + "\n\n" + section
    RESULTS.write_text(text, encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--baseline-sample", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=2,
                        help="runs per size; the fastest is reported (other load on the machine only adds)")
    args = parser.parse_args(argv)

    rows = []
    for n in args.sizes:
        calls, reposts = synthetic_calls(n)
        result = min((time_merge(calls) for _ in range(args.repeat)), key=lambda r: r["total"])
        rows.append((n, reposts, result))
        print(f"n={n:>7}: cluster {result['cluster']:.2f} s + merge_group {result['merge']:.2f} s = "
              f"{result['total']:.2f} s; {reposts} reposts planted, {result['merged_away']} calls merged away",
              flush=True)

    sample, _ = synthetic_calls(args.baseline_sample, seed=1)
    naive = time_naive(sample)
    print(f"naive all-pairs token_set_ratio on {args.baseline_sample}: {naive:.2f} s", flush=True)

    lines = ["## merge", "",
             f"`python bench/bench_merge.py --sizes {' '.join(map(str, args.sizes))}` — "
             f"run {datetime.now(UTC):%Y-%m-%d %H:%M} UTC "
             f"on {machine_note()}. Machine type: 2 cores (DESIGN §11).", "",
             "Synthetic calls in en / uk / sr-Latn / sr-Cyrl (title = 4 of ~60 theme words per language + one of "
             "20,000 pseudo proper names + one of 28 places + a year), ~10 % reposts (other source; Cyrillic edition, "
             "upper case or decorated title; deadline moved by < 1 day; official id or link kept in some). "
             f"Timed: `cluster` + `merge_group` on every group, fastest of {args.repeat} runs per size.", "",
             "| calls | reposts planted | merged away | cluster | merge_group | total "
             "| naive all-pairs (extrapolated) | naive / ours |",
             "|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for n, reposts, result in rows:
        extrapolated = naive * (n / args.baseline_sample) ** 2
        lines.append(f"| {n:,} | {reposts:,} | {result['merged_away']:,} | {result['cluster']:.2f} s "
                     f"| {result['merge']:.2f} s "
                     f"| {result['total']:.2f} s | {extrapolated:,.0f} s | {extrapolated / result['total']:,.0f}× |")
        print(f"n={n}: naive extrapolated {extrapolated:,.0f} s = {extrapolated / result['total']:,.0f}× ours")
    lines.append("")
    lines.append(f"Baseline, same run: a plain all-pairs `rapidfuzz.fuzz.token_set_ratio` loop over title keys "
                 f"took {naive:.2f} s on {args.baseline_sample:,} calls, extrapolated by n² (no gates, no merging: "
                 "a floor).")
    lines.append("Other processes share the machine: absolute seconds move by up to ±40 % between runs, "
                 "so compare the ratios.")
    if len(rows) >= 2:
        (n0, _, r0), (n1, _, r1) = rows[0], rows[-1]
        ratio = r1["total"] / r0["total"]
        lines.append(f"Scaling: {n1:,} / {n0:,} calls = {n1 / n0:.0f}× the input took {ratio:.1f}× the time "
                     f"(target < 15×; n² would be {(n1 / n0) ** 2:.0f}×).")
        print(f"ratio {n1}/{n0}: {ratio:.1f}x")
    write_results("\n".join(lines) + "\n")
    print(f"wrote {RESULTS}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
