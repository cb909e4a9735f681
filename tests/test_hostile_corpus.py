"""The bad-input corpus: every hostile or unlucky answer of the other hostile-input tests, crawled in one run
beside a healthy source, then published.

The cases come from tests/test_causes.py (network and HTTP failures, anti-bot pages, robots.txt, redirect
loops, redesigns, empty and filtered lists), tests/test_safety.py (file:/ftp: links, redirects to other hosts,
Retry-After, oversized bodies, decompression bombs), tests/test_bounds.py (absurd amounts, titles and years,
malformed records) and tests/test_encodings.py (mislabelled charsets). Each case must end **clean** (its
calls stored, nothing refused), **counted** (its calls stored, the bad parts dropped and counted) or
**named** (the run failed or degraded with a cause in its reason); never a crash. The healthy neighbour's
calls must be on the published site. The test prints the counts.
"""

from __future__ import annotations

import gzip

import pytest
import test_bounds
import test_causes
import test_encodings
import test_safety
from click.testing import CliRunner
from conftest import FIXTURES
from source_entries import HEALTHY_FEED

from calls.config import load_config
from calls.store import Outcome, Store
from digest.cli import cli
from digest.offline import crawl_fixtures, write_config
from digest.replay import ReplayServer, exchange

HEALTHY = FIXTURES / "config-only" / "mirror"
HEALTHY_TITLES = ("Конкурс мікрогрантів для громад Львівщини", "Грантова програма «Енергоефективні громади»")
LIMIT = 2_000_000
"""DOWNLOAD_MAXSIZE of the corpus crawl: above the million-character title, below the oversized feed."""


def corpus() -> tuple[str, list]:
    """The sources (TOML) and exchanges of every case."""
    safety = dict(test_safety.SOURCES)
    exchanges = [e for e in test_safety.EXCHANGES if e.host not in ("huge.example.org", "bomb.example.org")]
    exchanges += [
        exchange("https://huge.example.org/feed/", test_safety.rss("x" * (LIMIT + 500_000)), headers=test_safety.RSS),
        exchange("https://bomb.example.org/feed/", gzip.compress(test_safety.rss("y").encode() + b" " * (4 * LIMIT)),
                 headers={**test_safety.RSS, "Content-Encoding": "gzip"}),
    ]
    exchanges += test_causes.EXCHANGES
    exchanges += [exchange("https://odd.example.org/feed/", test_bounds.RSS,
                           headers={"Content-Type": "application/rss+xml"}),
                  exchange("https://wp.example.org/wp-json/wp/v2/posts", test_bounds.POSTS,
                           headers={"Content-Type": "application/json"})]
    exchanges += [exchange(f"https://{slug}.example.org/feed/", body, headers={"Content-Type": kind})
                  for slug, (body, kind, _) in test_encodings.CASES.items()]
    sources = ("".join(safety.values()) + "".join(test_causes.BROKEN.values()) + test_bounds.FEED + test_bounds.WP
               + "".join(test_encodings.feed_source(slug) for slug in test_encodings.CASES))
    return sources, exchanges


SLUGS = [*test_safety.SOURCES, *test_causes.BROKEN, "odd-feed", "odd-wp", *test_encodings.CASES]
COUNTED = ("grantdigest/records_dropped", "grantdigest/field_dropped/", "grantdigest/title_cut")


def verdict(run, calls: int) -> str:
    """clean, counted, named or crash: how one case ended."""
    if run is None:
        return "crash"
    crashed = [k for k in run.stats if k.startswith("spider_exceptions/") and not k.endswith(("/count",
               "/SourceFormatError"))]
    if crashed or (run.reason or "").endswith("see the crawl log"):
        return "crash"
    counted = any(k.startswith(COUNTED) for k in run.stats)
    if run.outcome == Outcome.OK and calls:
        return "counted" if counted else "clean"
    if calls and counted:
        return "counted"
    if run.outcome in (Outcome.FAILED, Outcome.DEGRADED) and run.reason:
        return "named"
    return "crash"


@pytest.mark.crawl
def test_the_corpus_every_case_clean_counted_or_named_and_the_neighbour_published(tmp_path, capsys):
    sources, exchanges = corpus()
    config = write_config(tmp_path, extra=HEALTHY_FEED + sources)
    config.write_text(config.read_text(encoding="utf-8").replace(
        "[scrapy]\n", f"[scrapy]\nDOWNLOAD_MAXSIZE = {LIMIT}\n"), encoding="utf-8")
    with ReplayServer(HEALTHY, exchanges=exchanges) as server:
        result = crawl_fixtures(config, server.url, "hromady-feed", *SLUGS, timeout=600)
    assert result.returncode == 0, result.log[-3000:]
    store = Store.open(load_config(config).database_url)
    runs = store.last_runs()
    verdicts = {slug: verdict(runs.get(slug), store.count_calls(source=slug)) for slug in SLUGS}
    store.close()
    built = CliRunner().invoke(cli, ["--config", str(config), "build", "--out", str(tmp_path / "site")])
    assert built.exit_code == 0, built.output
    site = "".join(p.read_text(encoding="utf-8") for p in (tmp_path / "site").rglob("*.html"))
    counts = {kind: sum(v == kind for v in verdicts.values()) for kind in ("clean", "counted", "named", "crash")}
    with capsys.disabled():
        print(f"\nbad-input corpus: {len(SLUGS)} cases — {counts['clean']} clean, {counts['counted']} counted, "
              f"{counts['named']} named, {counts['crash']} crashes; healthy neighbour published: "
              f"{all(t in site for t in HEALTHY_TITLES)}")
    assert counts["crash"] == 0, {s: v for s, v in verdicts.items() if v == "crash"}
    assert [t for t in HEALTHY_TITLES if t not in site] == []
    assert runs["hromady-feed"].outcome == Outcome.OK
