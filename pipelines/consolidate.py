"""After a crawl: merge duplicates across sources and classify every merged call for every region.

The per-item pipelines (normalise, store, change events) run inside Scrapy;
merging needs every call at once, so it runs here, as a batch over the store:
live calls → clusters (:mod:`pipelines.merge`) → one merged call per cluster,
fields from the most authoritative source → a score per region
(:mod:`pipelines.classify`). The result replaces the store's digest view in one
transaction; ``grantdigest classify`` re-runs it after regions or weights change.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from calls.regions import load_programme_areas, load_regions, overrides_from, programme_overrides, weight_table
from calls.schema import Status
from calls.store import Store
from pipelines.classify import Weights, classify_all, default_weights
from pipelines.merge import cluster, merge_group


@dataclass(frozen=True)
class Consolidated:
    """What a consolidation produced, for the CLI and logs."""

    calls: int
    merged: int
    withdrawn: int
    classified: int
    tiers: dict[str, Counter]


def consolidate(
    store: Store,
    *,
    now: datetime | None = None,
    authority: Mapping[str, int] | None = None,
    regions_overrides: Mapping[str, Any] | None = None,
    programmes_overrides: Mapping[str, Any] | None = None,
    weights: Weights | None = None,
) -> Consolidated:
    """Rebuild the merged calls and their classifications from the store's live calls."""
    now = now or datetime.now(UTC)
    calls = list(store.iter_live_calls())
    merged = [(merge_group(group, authority), [c.uid for c in group]) for group in cluster(calls)]
    shown = [call for call, _ in merged if call.status != Status.WITHDRAWN]
    regions = load_regions(regions_overrides)
    registry = load_programme_areas(programmes_overrides)
    weights = weights or (
        Weights.from_mapping(weight_table(regions_overrides)) if regions_overrides else default_weights()
    )
    classified = list(classify_all(shown, regions.values(), now, registry, weights))
    store.replace_digest(merged, classified, now)
    tiers: dict[str, Counter] = {}
    for _, classification in classified:
        tiers.setdefault(classification.region, Counter())[str(classification.tier)] += 1
    return Consolidated(
        calls=len(calls), merged=len(merged), withdrawn=len(merged) - len(shown), classified=len(classified),
        tiers=tiers,
    )


def consolidate_configured(config, store: Store, now: datetime | None = None) -> Consolidated:
    """:func:`consolidate` with the configuration's source ranks, regions, programmes and weights."""
    return consolidate(
        store, now=now, authority=config.authority(), regions_overrides=overrides_from(config) or None,
        programmes_overrides=programme_overrides(config),
    )
