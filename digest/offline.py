"""Helpers to run a real crawl against recorded fixtures, for tests, probes and the demo.

:func:`crawl_fixtures` writes a config that points the store at a given
database and the mirror at a :class:`digest.replay.ReplayServer`, then runs
``python -m pipelines.run`` in a child process — the real Scrapy engine and
downloader, the same path ``grantdigest crawl`` takes (a child that dies with its parent).
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

from pipelines import lifeline

TEST_CONFIG = """\
data_dir = "{data_dir}"

[database]
url = "{database_url}"

[crawl]
http_cache = false
autothrottle = false

[scrapy]
DOWNLOAD_DELAY = 0
RETRY_TIMES = 1
LOG_LEVEL = "INFO"
"""


@dataclass(frozen=True)
class CrawlResult:
    returncode: int
    log: str
    config_path: Path


def write_config(directory: Path, *, database_url: str | None = None, extra: str = "") -> Path:
    """A grantdigest.toml in ``directory`` for an offline crawl (no cache, no throttle), plus ``extra`` TOML."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "grantdigest.toml"
    database_url = database_url or f"sqlite:///{directory / 'grantdigest.db'}"
    path.write_text(
        TEST_CONFIG.format(data_dir=directory / "var", database_url=database_url) + "\n" + extra, encoding="utf-8"
    )
    return path


def crawl_fixtures(config_path: Path, mirror: str, *slugs: str, timeout: float = 120) -> CrawlResult:
    """Crawl ``slugs`` through ``mirror`` with the config at ``config_path``; the child's log is returned."""
    command = [sys.executable, "-m", "pipelines.run", "--config", str(config_path), "--mirror", mirror, *slugs]
    done = lifeline.run(command, capture=True, timeout=timeout)
    return CrawlResult(done.returncode, done.stdout + done.stderr, config_path)
