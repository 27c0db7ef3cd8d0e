"""Reciprocal rank fusion of several rankings, and the small boost a document's reuse earns.

RRF (Cormack, Clarke and Büttcher, 2009): a document's fused score is the sum over rankings of
weight / (k + rank), rank counting from 1; a ranking that does not hold the document adds nothing. k = 60
damps the difference between the very first places, so agreement between retrievers beats one
retriever's enthusiasm. The index weighs the dense ranking 1.0 and the keyword ranking 0.5
(`DENSE_WEIGHT`, `KEYWORD_WEIGHT`): on both labelled sets we have (StackFAQ paraphrases and the practices
queries in tests/knowledge/data) MiniLM is the stronger retriever, and BM25 earns its place on exact terms
(product names, error codes, "85/85") rather than on paraphrases; benchmarks/README.md has the figures.

Reuse (KCS): a document people marked helpful, or as what solved their case, has its fused score
multiplied by 1 + 0.02 * ln(1 + reuse count), at most 1.08 (reached at 54 reuses). Once reused
lifts a score by 1.4 %, ten times by 4.8 %. RRF scores of neighbouring ranks differ by about 1.6 % at
k = 60, so reuse orders near-ties (documents the two retrievers rank the other way round) by proven
usefulness, and at its cap lifts a document about five places: one ranked 6th by both retrievers scores
61/66 = 0.92 of one ranked 1st by both, and 0.92 * 1.08 < 1.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Mapping, Sequence
from typing import TypeVar

RRF_K = 60
DENSE_WEIGHT = 1.0
KEYWORD_WEIGHT = 0.5
REUSE_WEIGHT = 0.02
REUSE_MAX_BOOST = 1.08

Key = TypeVar("Key", bound=Hashable)


def reciprocal_rank_fusion(
    rankings: Sequence[Sequence[Key]], *, k: int = RRF_K, weights: Sequence[float] | None = None
) -> dict[Key, float]:
    """Fused scores of every key in any ranking (best first in each), highest first."""
    weights = weights if weights is not None else [1.0] * len(rankings)
    if len(weights) != len(rankings):
        raise ValueError("one weight per ranking")
    scores: dict[Key, float] = {}
    for ranking, weight in zip(rankings, weights, strict=True):
        for rank, key in enumerate(ranking, start=1):
            scores[key] = scores.get(key, 0.0) + weight / (k + rank)
    return dict(sorted(scores.items(), key=lambda item: -item[1]))


def reuse_boost(reuse_count: int) -> float:
    """The factor a document's fused score is multiplied by for being reused `reuse_count` times."""
    if reuse_count <= 0:
        return 1.0
    return min(REUSE_MAX_BOOST, 1.0 + REUSE_WEIGHT * math.log1p(reuse_count))


def fuse_with_reuse(
    rankings: Sequence[Sequence[Key]],
    reuse_counts: Mapping[Key, int],
    *,
    k: int = RRF_K,
    weights: Sequence[float] | None = None,
) -> list[tuple[Key, float]]:
    """Weighted RRF with the reuse boost, as `(key, score)` best first; scores are scaled to [0, 1], where
    1.0 is a key ranked first by every ranking (a reuse boost that would pass 1.0 is capped there). Ties
    keep the order of first appearance."""
    weights = list(weights) if weights is not None else [1.0] * len(rankings)
    fused = reciprocal_rank_fusion(rankings, k=k, weights=weights)
    best_possible = sum(weights) / (k + 1) if rankings else 1.0
    boosted = [(key, score * reuse_boost(reuse_counts.get(key, 0))) for key, score in fused.items()]
    boosted.sort(key=lambda item: -item[1])
    return [(key, min(1.0, score / best_possible)) for key, score in boosted]
