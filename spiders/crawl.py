"""Run spiders in this process: ``python -m spiders.crawl [--config P] [--mirror URL] [SLUG…]``.

Crawling only: the items go through the Scrapy pipelines into the store. ``grantdigest crawl``
and the scheduler start :mod:`pipelines.run` in a child process instead (Twisted's reactor
cannot be restarted within one process), which crawls through :func:`run` and then merges and
classifies. All named sources crawl concurrently in one reactor; one failing source never stops
the others.
"""

from __future__ import annotations

import argparse
import sys

from scrapy.crawler import CrawlerProcess
from scrapy.settings import Settings

from calls.config import Config, load_config


def crawl_settings(config: Config, *, mirror: str | None = None) -> Settings:
    """Scrapy settings for ``config``: the base module plus the file's politeness and storage knobs."""
    settings = Settings()
    settings.setmodule("spiders.settings", priority="project")
    crawl = config.crawl
    settings.setdict(
        {
            "GRANTDIGEST_CONFIG": str(config.path) if config.path else None,
            "DATABASE_URL": config.database_url,
            "MIRROR": mirror or config.mirror,
            "USER_AGENT": f"grantdigest/0.1 (+{crawl.contact})",
            "ROBOTSTXT_OBEY": crawl.obey_robots,
            "HTTPCACHE_ENABLED": crawl.http_cache,
            "HTTPCACHE_DIR": str(crawl.cache_dir or config.data_dir / "httpcache"),
            "CONCURRENT_REQUESTS_PER_DOMAIN": crawl.concurrency_per_domain,
            "AUTOTHROTTLE_ENABLED": crawl.autothrottle,
        },
        priority="cmdline",
    )
    for key, value in config.section("scrapy").items():
        settings.set(key, value, priority="cmdline")
    return settings


def run(config: Config, slugs: list[str], *, mirror: str | None = None, log_level: str | None = None,
        no_cache: bool = False, record: str | None = None) -> int:
    """Crawl ``slugs`` (all enabled sources when empty); the exit status is 0 when every crawl finished.

    ``record`` names a folder where every exchange is written in the replay format (:mod:`spiders.recorder`).
    """
    settings = crawl_settings(config, mirror=mirror)
    if record:
        settings.set("GRANTDIGEST_RECORD", record, priority="cmdline")
    if log_level:
        settings.set("LOG_LEVEL", log_level, priority="cmdline")
    if no_cache:
        settings.set("HTTPCACHE_ENABLED", False, priority="cmdline")
    process = CrawlerProcess(settings)
    names = slugs or [s.slug for s in config.enabled_sources()]
    known = set(process.spider_loader.list())
    unknown = [n for n in names if n not in known]
    if unknown:
        print(f"unknown source(s): {', '.join(unknown)}; known: {', '.join(sorted(known))}", file=sys.stderr)
        return 2
    for name in names:
        process.crawl(name)
    process.start()
    return 0


def arguments(argv: list[str] | None, prog: str = "python -m spiders.crawl") -> argparse.Namespace:
    """The command line of a crawl (this module's and :mod:`pipelines.run`'s)."""
    parser = argparse.ArgumentParser(prog=prog, description=__doc__.splitlines()[0])
    parser.add_argument("--config")
    parser.add_argument("--mirror")
    parser.add_argument("--log-level")
    parser.add_argument("--no-cache", action="store_true", help="bypass the HTTP cache (probes)")
    parser.add_argument("--record", metavar="DIR", help="record every exchange into DIR (captures)")
    parser.add_argument("slugs", nargs="*")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = arguments(argv)
    config = load_config(args.config, mirror=args.mirror)
    return run(config, args.slugs, mirror=args.mirror, log_level=args.log_level, no_cache=args.no_cache,
               record=args.record)


if __name__ == "__main__":
    sys.exit(main())
