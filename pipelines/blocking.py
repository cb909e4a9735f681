"""Blocking for the fuzzy duplicate search: MinHash LSH over title 3-grams, never all pairs.

:func:`signatures` sketches each title key (datasketch MinHash, 32-bit values); :func:`candidate_pairs`
returns the pairs of rows from different sources that share an LSH band bucket, at most
:data:`MAX_CANDIDATES` per row, in time linear in the number of calls (see its docstring). The pairs are
scored by :mod:`pipelines.merge`.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable

import numpy as np
from datasketch import MinHash, MinHashLSH

NUM_PERM = 64
"""MinHash permutations."""
LSH_THRESHOLD = 0.3
"""Estimated Jaccard of 3-gram sets above which two titles become candidates."""
MAX_CANDIDATES = 30
"""At most this many candidates per call are scored (those sharing the most LSH bands)."""
SMALL_BUCKET = 12
"""An LSH bucket up to this size pairs all its rows; a larger one pairs signature-order neighbours only."""


def signatures(keys: Iterable[str]) -> np.ndarray:
    """MinHash signature (datasketch, 3-gram shingles) of each title key, one uint32 row per key."""
    sketch = MinHash(num_perm=NUM_PERM, hashfunc=_hash32)  # reused: one object, not one per call
    rows = []
    for key in keys:
        sketch.clear()
        sketch.update_batch(_shingles(key))
        rows.append(sketch.hashvalues.astype(np.uint32))  # 32-bit hash values (affine32 scheme)
    return np.vstack(rows)


def candidate_pairs(signatures: np.ndarray, source_ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Rows ``(low, high)`` of another source that share an LSH band bucket; per low row the
    ``MAX_CANDIDATES`` that share the most bands (the closest by estimated Jaccard).

    datasketch gives the signatures and the (bands, rows) split for ``LSH_THRESHOLD``; the
    buckets are built here with numpy, not with one ``MinHashLSH.query`` per call, for two
    reasons: a query returns a whole bucket, so a "hot" bucket (a boilerplate title many
    calls share) makes queries quadratic, and the index's millions of small Python sets
    cost more than the rest of the stage. A bucket of at most ``SMALL_BUCKET`` rows pairs
    them all; a larger one pairs each row with its ``SMALL_BUCKET`` neighbours in
    signature order (alike titles sort together), so its cost stays linear in its size.
    """
    bands, rows = _band_split()
    pieces: list[tuple[np.ndarray, np.ndarray]] = []
    signature_rank: np.ndarray | None = None
    for band in range(bands):
        keys = _band_keys(signatures[:, band * rows : (band + 1) * rows])
        members = np.argsort(keys, kind="stable")  # rows grouped by bucket, ascending within one
        starts = np.flatnonzero(np.r_[True, np.diff(keys[members]) != 0])
        sizes = np.diff(np.r_[starts, len(keys)])
        for size in np.unique(sizes[(sizes >= 2) & (sizes <= SMALL_BUCKET)]).tolist():
            groups = members[starts[sizes == size][:, None] + np.arange(size)]
            first, second = np.triu_indices(size, 1)
            pieces.append((groups[:, first].ravel(), groups[:, second].ravel()))
        hot = np.repeat(sizes > SMALL_BUCKET, sizes)  # per position in members
        if hot.any():
            if signature_rank is None:  # lexicographic order of whole signatures: alike rows meet
                signature_rank = np.argsort(np.lexsort(signatures.T[::-1]), kind="stable")
            hot_rows, hot_bucket = members[hot], np.repeat(np.arange(len(sizes)), sizes)[hot]
            order = np.lexsort((signature_rank[hot_rows], hot_bucket))
            hot_rows, hot_bucket = hot_rows[order], hot_bucket[order]
            for step in range(1, SMALL_BUCKET + 1):
                same = hot_bucket[:-step] == hot_bucket[step:]
                pieces.append((hot_rows[:-step][same], hot_rows[step:][same]))
    if not pieces:
        return np.empty(0, np.int64), np.empty(0, np.int64)
    a = np.concatenate([p[0] for p in pieces]).astype(np.int64)
    b = np.concatenate([p[1] for p in pieces]).astype(np.int64)
    low, high = np.minimum(a, b), np.maximum(a, b)
    other_source = source_ids[low] != source_ids[high]
    count = len(signatures)
    pairs = np.sort(low[other_source] * count + high[other_source])
    if not len(pairs):
        return pairs, pairs
    first = np.flatnonzero(np.r_[True, np.diff(pairs) != 0])
    votes = np.diff(np.r_[first, len(pairs)])  # bands the pair shares: a free Jaccard estimate
    pairs = pairs[first]
    return _closest(pairs // count, pairs % count, votes)


def _closest(low: np.ndarray, high: np.ndarray, votes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Keep, per low row, the ``MAX_CANDIDATES`` pairs sharing the most bands (pairs sorted by low row)."""
    crowded = np.bincount(low)[low] > MAX_CANDIDATES
    if not crowded.any():
        return low, high
    c_low, c_high = low[crowded], high[crowded]
    span, most = int(c_high.max()) + 1, int(votes.max()) + 1
    order = np.argsort((c_low * most + (most - 1 - votes[crowded])) * span + c_high)  # one key: row, votes desc, high
    c_low, c_high = c_low[order], c_high[order]
    keep = np.arange(len(c_low)) - np.searchsorted(c_low, c_low) < MAX_CANDIDATES
    return np.r_[low[~crowded], c_low[keep]], np.r_[high[~crowded], c_high[keep]]


def _band_keys(block: np.ndarray) -> np.ndarray:
    """One 64-bit key per row of a band (a polynomial hash of its values; collisions only add candidates)."""
    keys = np.zeros(len(block), dtype=np.uint64)
    with np.errstate(over="ignore"):
        for column in block.T:
            keys = keys * np.uint64(0x100000001B3) + column.astype(np.uint64)
    return keys


def _band_split() -> tuple[int, int]:
    """(bands, rows per band) that datasketch chooses for ``LSH_THRESHOLD`` and ``NUM_PERM``."""
    index = MinHashLSH(threshold=LSH_THRESHOLD, num_perm=NUM_PERM)
    return index.b, index.r


def _shingles(key: str) -> list[str]:
    padded = f" {key} "
    return sorted({padded[i : i + 3] for i in range(len(padded) - 2)})


def _hash32(shingle: str) -> int:
    return zlib.crc32(shingle.encode("utf-8"))
