"""A crawl that leaves the digest view current: ``python -m pipelines.run [--config P] [--mirror URL] [SLUG…]``.

Crawls the sources (:func:`spiders.crawl.run`), then merges and classifies everything stored
(:func:`pipelines.consolidate.consolidate_configured`). ``grantdigest crawl``, the main job and the
scheduler start it in a child process (:func:`pipelines.lifeline.run`), which it never outlives
(:func:`pipelines.lifeline.hold`). Runs left "running" by a crawl that was killed are closed as
interrupted before this one starts (:meth:`calls.store.Store.close_interrupted_runs`).
"""

from __future__ import annotations

import sys

from calls.config import Config, load_config
from calls.store import Store
from pipelines import lifeline
from pipelines.consolidate import consolidate_configured
from spiders import crawl

UNKNOWN_SOURCE = 2
"""The crawl's exit status for an unknown slug: nothing ran, nothing to consolidate."""


def consolidate_after_crawl(config: Config) -> None:
    """Merge and classify what the crawl stored, so every crawl leaves the digest view current."""
    store = Store.open(config.database_url)
    try:
        result = consolidate_configured(config, store)
    finally:
        store.close()
    print(f"consolidated {result.calls} calls into {result.merged} ({result.withdrawn} withdrawn), "
          f"{result.classified} classifications", file=sys.stderr)


def close_interrupted(config: Config) -> None:
    """Close the runs of crawls that died without finishing them, saying so."""
    store = Store.open(config.database_url)
    try:
        for run in store.close_interrupted_runs():
            print(f"{run.source}: the crawl started {run.started_at:%Y-%m-%d %H:%M} UTC was interrupted",
                  file=sys.stderr)
    finally:
        store.close()


def main(argv: list[str] | None = None) -> int:
    lifeline.hold()
    args = crawl.arguments(argv, prog="python -m pipelines.run")
    config = load_config(args.config, mirror=args.mirror)
    close_interrupted(config)
    code = crawl.run(config, args.slugs, mirror=args.mirror, log_level=args.log_level, no_cache=args.no_cache,
                     record=args.record)
    if code != UNKNOWN_SOURCE:
        consolidate_after_crawl(config)
    return code


if __name__ == "__main__":
    sys.exit(main())
