"""Benchmark of the static site build: 10,000 calls, full and incremental, against a bare Jinja2 loop.

    python bench/bench_site.py [--calls 10000] [--changed 100] [--no-write]

Fills a store with synthetic calls (en / uk / sr-Latn / sr-Cyrl titles and summaries,
deadlines, money, themes, applicant types, a change event each, and a classification
for three of the nine regions), then times in the same run:

- **bare Jinja2**: one autoescaped template per call page and a list template for each
  language's calls page and each region page, rendered and written file by file — the
  same pages at the same paths, without localisation, links, archive or search index;
- **full build**: :func:`digest.site.build.build_site` into an empty folder;
- **incremental, nothing changed**: the same store again, the previous build beside it;
- **incremental, ``--changed`` calls retitled**: the pages those calls appear on change.

Files go to a tmpfs (``/dev/shm``) where there is one, with ``sync`` between runs
(DESIGN §11). Writes the "site" section of ``bench/RESULTS.md``.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import re
import shutil
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace

import jinja2

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from calls import deadlines  # noqa: E402
from calls.regions import load_regions  # noqa: E402
from calls.schema import Call, Provenance, Status  # noqa: E402
from calls.store import Store  # noqa: E402
from digest.i18n import LANGUAGES  # noqa: E402
from digest.site.build import build_site  # noqa: E402
from digest.site.incremental import Writer  # noqa: E402
from digest.site.slugs import call_slug  # noqa: E402
from pipelines.changes import events_for  # noqa: E402

RESULTS = Path(__file__).with_name("RESULTS.md")
NOW = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
WORDS = {
    "en": ("energy", "efficiency", "youth", "culture", "heritage", "water", "climate", "digital", "skills", "health",
           "mobility", "tourism", "innovation", "farming", "schools", "roads", "cities", "rivers", "solar", "housing"),
    "uk": ("енергоефективність", "молодь", "культура", "спадщина", "вода", "клімат", "цифровізація", "навички",
           "громади", "туризм", "інновації", "школи", "дороги", "річки", "житло", "музеї", "ветерани", "укриття"),
    "sr-Latn": ("energetska", "efikasnost", "mladi", "kultura", "nasleđe", "voda", "klima", "digitalizacija",
                "opštine", "turizam", "inovacije", "škole", "putevi", "reke", "đaci", "džeparac", "ljudska", "njive"),
    "sr-Cyrl": ("енергетска", "ефикасност", "млади", "култура", "наслеђе", "вода", "клима", "дигитализација",
                "општине", "туризам", "иновације", "школе", "путеви", "реке", "ђаци", "џепарац", "људска", "њиве"),
}
THEMES = ("energy-efficiency", "tourism-culture", "it-digital-innovation", "education-youth", "health",
          "environment-water-waste", "agriculture-rural", "cross-border-cooperation")
APPLICANTS = ("local-government", "ngo", "sme", "university", "school", "public-body")
FUNDERS = ("European Union", "Norway Grants", "USAID", "UNDP", "GIZ", "Council of Europe", "Swiss Cooperation")
PROGRAMMES = (("horizon-europe", "Horizon Europe"), ("interreg-next-pl-ua", "Interreg NEXT Poland–Ukraine"),
              ("interreg-ipa-husrb", "Interreg IPA Hungary–Serbia"), ("digital-europe", "Digital Europe"),
              ("erasmus-plus", "Erasmus+"), ("life", "LIFE"), ("cerv", "CERV"))

BARE_CALL = jinja2.Template(
    "<!doctype html><html lang='{{ lang }}'><head><meta charset='utf-8'><title>{{ c.title }}</title></head><body>"
    "<main><h1>{{ c.title }}</h1><p>{{ c.summary }}</p><dl><dt>Programme</dt><dd>{{ c.programme }}</dd>"
    "<dt>Funder</dt><dd>{{ c.funder }}</dd><dt>Deadline</dt><dd>{{ c.deadlines[0].at }}</dd>"
    "<dt>Budget</dt><dd>{{ c.budget }} {{ c.currency }}</dd></dl><a href='{{ c.url }}'>{{ c.url }}</a>"
    "</main></body></html>",
    autoescape=True)
BARE_LIST = jinja2.Template(
    "<!doctype html><html lang='{{ lang }}'><head><meta charset='utf-8'><title>Calls</title></head><body><main><ol>"
    "{% for c in calls %}<li><a href='../call/{{ c.slug }}.html'>{{ c.title }}</a> {{ c.programme }} "
    "{{ c.deadline }}</li>{% endfor %}</ol></main></body></html>", autoescape=True)


def synthetic_calls(n: int, rng: random.Random) -> list[Call]:
    calls = []
    for i in range(n):
        lang = LANGUAGES[i % 4]
        words = WORDS[lang]
        title = " ".join(rng.sample(words, 4)).capitalize() + f" {2027 + i % 3} №{i}"
        summary = " ".join(rng.choice(words) for _ in range(40)) + "."
        programme_id, programme = rng.choice(PROGRAMMES)
        at = NOW + timedelta(days=rng.randint(1, 200), hours=rng.randint(0, 23))
        url = f"https://calls.example.org/{i}"
        calls.append(Call(
            uid=f"bench:{i}", source="bench", native_id=str(i), title=title, url=url, summary=summary, language=lang,
            status=Status.OPEN, programme_id=programme_id, programme=programme, funder=rng.choice(FUNDERS),
            deadlines=[deadlines.at_time(at, "Europe/Brussels", at.strftime("%d.%m.%Y %H:%M"))],
            budget=Decimal(rng.randint(1, 90) * 100000),
            grant_min=Decimal(10000), grant_max=Decimal(rng.randint(2, 50) * 10000), currency="EUR",
            cofinancing_rate=Decimal("0.8"), eligible_countries=["UA", "RS"], call_id=f"BENCH/{i}",
            applicant_types=rng.sample(APPLICANTS, 2), themes=rng.sample(THEMES, 2),
            provenance=[Provenance(source="bench", native_id=str(i), url=url, seen_at=NOW)]))
    return calls


def classify(calls: list[Call], regions: list[str], rng: random.Random) -> list[tuple[str, SimpleNamespace]]:
    out = []
    for call in calls:
        for region in rng.sample(regions, 3):
            score = rng.randint(40, 95)
            out.append((call.uid, SimpleNamespace(
                region=region, score=score, tier="top" if score >= 70 else "relevant", eligibility="eligible",
                reasons=(f"matches priority '{call.themes[0]}'", f"deadline in {rng.randint(5, 90)} days"),
                matched_themes=(call.themes[0],))))
    return out


def fill_store(folder: Path, n: int) -> tuple[Store, list[Call], list]:
    rng = random.Random(7)
    store = Store.open(f"sqlite:///{folder / 'bench.db'}")
    calls = synthetic_calls(n, rng)
    store.upsert_many(calls, NOW - timedelta(days=2), on_change=events_for)
    classified = classify(calls, list(load_regions()), rng)
    store.replace_digest([(c, [c.uid]) for c in calls], classified, NOW)
    return store, calls, classified


def bare_loop(calls: list[Call], classified, out: Path) -> int:
    """The baseline: the same call, calls-list and region pages, rendered by plain templates and written one by one."""
    by_region: dict[str, list[Call]] = {}
    for uid, c in classified:
        by_region.setdefault(c.region, []).append(uid)
    rows = [{"slug": call_slug(c.uid), "title": c.title, "programme": c.programme, "deadline": c.deadlines[0].at}
            for c in calls]
    row_of = {c.uid: row for c, row in zip(calls, rows, strict=True)}
    pages = 0
    for lang in LANGUAGES:
        (out / lang / "call").mkdir(parents=True)
        (out / lang / "calls").mkdir()
        (out / lang / "region").mkdir()
        for call, row in zip(calls, rows, strict=True):
            (out / lang / "call" / f"{row['slug']}.html").write_bytes(BARE_CALL.render(c=call, lang=lang).encode())
            pages += 1
        (out / lang / "calls" / "index.html").write_bytes(BARE_LIST.render(calls=rows, lang=lang).encode())
        pages += 1
        for region, uids in by_region.items():
            page = BARE_LIST.render(calls=[row_of[u] for u in uids], lang=lang)
            (out / lang / "region" / f"{region}.html").write_bytes(page.encode())
            pages += 1
    return pages


def timed(fn):
    os.sync()
    start = time.perf_counter()
    result = fn()
    return time.perf_counter() - start, result


def site_build(store: Store, regions, out: Path, previous: Path | None):
    out.mkdir()
    writer = Writer(out, previous=previous)
    return build_site(store, writer, regions=regions, now=NOW, feed_scopes=["all", *regions])


def write_results(section: str, name: str = "site") -> None:
    """Replace (or append) the ``## <name>`` section of RESULTS.md with ``section``."""
    text = RESULTS.read_text(encoding="utf-8") if RESULTS.exists() else "# Benchmarks\n"
    pattern = re.compile(rf"^## {re.escape(name)}\n.*?(?=^## |\Z)", re.S | re.M)
    if pattern.search(text):
        text = pattern.sub(lambda _: section.rstrip("\n") + "\n\n", text).rstrip("\n") + "\n"
    else:
        text = text.rstrip("\n") + "\n\n" + section.rstrip("\n") + "\n"
    RESULTS.write_text(text, encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=10000)
    parser.add_argument("--changed", type=int, default=100)
    parser.add_argument("--repeat", type=int, default=2, help="runs of each measurement; the fastest counts")
    parser.add_argument("--no-write", action="store_true", help="print the table, leave RESULTS.md alone")
    args = parser.parse_args()

    base = Path("/dev/shm") if Path("/dev/shm").is_dir() else None
    work = Path(tempfile.mkdtemp(prefix="bench-site-", dir=base))
    try:
        fill_time, (store, calls, classified) = timed(lambda: fill_store(work, args.calls))
        regions = load_regions()
        print(f"store of {args.calls} calls filled in {fill_time:.1f} s ({work})")

        def fastest(name, fn):
            """The fastest of ``--repeat`` runs, each into a fresh folder ``name-<i>`` (the last one is kept)."""
            runs = []
            for i in range(args.repeat):
                folder = work / f"{name}-{i}"
                runs.append(timed(lambda folder=folder: fn(folder)))
                if i + 1 < args.repeat:
                    shutil.rmtree(folder)
            return min(runs, key=lambda r: r[0]), work / f"{name}-{args.repeat - 1}"

        (bare_time, bare_pages), _ = fastest("bare", lambda f: bare_loop(calls, classified, f))
        print(f"bare Jinja2: {bare_pages} pages in {bare_time:.2f} s")
        (full_time, full), full_dir = fastest("full", lambda f: site_build(store, regions, f, None))
        print(f"full build: {full.pages} pages ({full.files} files) in {full_time:.2f} s")
        (same_time, same), same_dir = fastest("same", lambda f: site_build(store, regions, f, full_dir))
        print(f"incremental, nothing changed: {same.written} written, {same.unchanged} unchanged in {same_time:.2f} s")

        rng = random.Random(11)
        retitled = {c.uid for c in rng.sample(calls, args.changed)}
        changed = [c.model_copy(update={"title": c.title + " (updated)"}) if c.uid in retitled else c for c in calls]
        store.replace_digest([(c, [c.uid]) for c in changed], classified, NOW)
        (some_time, some), _ = fastest("some", lambda f: site_build(store, regions, f, same_dir))
        print(f"incremental, {args.changed} retitled: {some.written} written, {some.unchanged} unchanged "
              f"in {some_time:.2f} s")
        region_count = len(regions)
        store.close()
    finally:
        shutil.rmtree(work, ignore_errors=True)

    def row(label, seconds, report=None, pages=None):
        pages = pages if pages is not None else report.pages
        written = f"{report.written:,}" if report else f"{pages:,}"
        return (f"| {label} | {pages:,} | {written} | {seconds:.2f} s | {pages / seconds:,.0f} | "
                f"{seconds / bare_time:.2f}× |")

    machine = (f"{os.cpu_count()} cores ({platform.processor() or platform.machine()}), "
               f"Python {platform.python_version()}")
    section = "\n".join([
        "## site", "",
        f"`python bench/bench_site.py --calls {args.calls} --changed {args.changed} --repeat {args.repeat}` — run "
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC on {machine}, files on {'tmpfs' if base else 'disk'}.", "",
        f"Synthetic store: {args.calls:,} open calls (titles and summaries in en / uk / sr-Latn / sr-Cyrl, money, "
        "themes, applicant types), one change event each, classified for three of the nine regions. "
        "`build_site` writes every page in four languages (call pages, calls page with filters, region pages, "
        "this week's digest and its archive copy, status, feeds page) plus the assets and the search index.", "",
        "| run | pages | files written | time | pages/s | time ÷ bare Jinja2 |",
        "|---|---:|---:|---:|---:|---:|",
        row("bare Jinja2 loop (baseline, same run)", bare_time, pages=bare_pages),
        row("full build, empty folder", full_time, full),
        row("incremental, nothing changed", same_time, same),
        row(f"incremental, {args.changed} calls retitled", some_time, some), "",
        "The baseline renders the same call, calls-list and region pages with one plain autoescaped template each and "
        "writes them; it does no localisation (dates, money, reasons said in four languages), no navigation or "
        "language switch, no archive, digest or search index. Incremental builds skip rendering a call page or an "
        "archived digest whose inputs hash as in the previous build, render the pages that list many calls (calls "
        "page, region pages, digests) and compare their bytes; an unchanged file is hard-linked (inode and mtime "
        "kept). What is left of an incremental build is reading the store, selecting the digests, the search index "
        f"and those list pages (4 calls pages of {args.calls:,} entries, {4 * region_count} region pages). "
        "Each figure is the fastest of the runs; other processes share the machine, so compare the ratios.", "",
    ])
    print(section)
    if not args.no_write:
        write_results(section)
        print(f"wrote {RESULTS}")


if __name__ == "__main__":
    main()
