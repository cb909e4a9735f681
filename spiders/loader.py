"""Spider loader that also knows the sources defined only in configuration.

A ``[sources.<slug>]`` entry with ``spider = "feed"`` (or another generic
spider) becomes a spider named ``<slug>``: ``scrapy list`` shows it and
``scrapy crawl <slug>`` runs it, with no code written for it.
"""

from __future__ import annotations

from scrapy.spiderloader import SpiderLoader

from calls.config import load_config


class SourceSpiderLoader(SpiderLoader):
    """Code spiders from SPIDER_MODULES plus one subclass per configured source on a generic spider."""

    def __init__(self, settings):
        super().__init__(settings)
        config = load_config(settings.get("GRANTDIGEST_CONFIG"))
        for source in config.sources.values():
            if source.slug in self._spiders or source.spider == source.slug:
                continue
            base = self._spiders.get(source.spider)
            if base is None or not getattr(base, "generic", False):
                raise KeyError(
                    f"source {source.slug!r} names spider {source.spider!r}, "
                    f"which is not a generic spider (known: {sorted(self._spiders)})"
                )
            self._spiders[source.slug] = type(
                base.__name__ + "_" + source.slug.replace("-", "_"), (base,), {"name": source.slug, "generic": False}
            )

    def list(self) -> list[str]:
        """Names of the crawlable sources; generic bases need a config entry and are left out."""
        return sorted(name for name, cls in self._spiders.items() if not getattr(cls, "generic", False))
