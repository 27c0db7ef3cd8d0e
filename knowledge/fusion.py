"""Score fusion of dense and keyword search, and the small boost a document's reuse earns.

Hybrid search ranks by a convex combination of normalised scores (Bruch, Gai and Ingber, 2023, "An
Analysis of Fusion Functions for Hybrid Retrieval"): a candidate's fused score is

    (1 - w) * (cosine - lowest cosine) / (highest cosine - lowest cosine)  +  w * BM25 / highest BM25

over the candidates of one query, so each part is in [0, 1] and the best candidate of both scores 1.0. The
cosine scale runs from the query's background, the least similar of the passages dense search fetched
(`CANDIDATES` in knowledge.index: a fixed number, so the scale does not depend on how many hits are asked
for, and in a small index it reaches the unrelated documents), to the best candidate; BM25's from 0 to the
best. Unlike reciprocal rank fusion it keeps *how much* better one candidate is than the next: MiniLM's clear
winner stays first unless BM25 strongly prefers another.

The keyword weight adapts to the query: w = `KEYWORD_WEIGHT` times the share of the query's term weight (IDF)
that the best keyword match holds (`keyword_weight`). A paraphrase that shares only common words with its
answer gives BM25 little say; a question naming an error code, a product or "85/85" that one passage holds
gives it the full weight. `KEYWORD_WEIGHT` = 0.3 was chosen on half of each labelled set and checked on the
other half; benchmarks/README.md has the protocol and the figures (with plain or weighted RRF, hybrid was
below dense on StackFAQ).

Reuse (KCS): a document people marked helpful, or as what solved their case, has its fused score multiplied
by 1 + 0.02 * ln(1 + reuse count), at most 1.08 (reached at 54 reuses), and capped at 1.0. Once reused lifts a
score by 1.4 %, ten times by 4.8 %: enough to order near-ties (two documents both retrievers find about
equally good) by proven usefulness, never enough to pass a document that scores 8 % more.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Mapping
from typing import TypeVar

#: The k of reciprocal rank fusion (Cormack, Clarke and Buettcher, 2009), kept for comparison.
RRF_K = 60
#: The keyword share of the fused score for a query whose best keyword match holds all of its term weight.
KEYWORD_WEIGHT = 0.3
REUSE_WEIGHT = 0.02
REUSE_MAX_BOOST = 1.08

Key = TypeVar("Key", bound=Hashable)


def keyword_weight(best_coverage: float, *, weight: float = KEYWORD_WEIGHT) -> float:
    """The keyword share for a query whose best keyword match holds `best_coverage` (0 to 1) of the
    query's term weight; 0 when nothing matched."""
    return weight * min(1.0, max(0.0, best_coverage))


def convex_fusion(
    similarity: Mapping[Key, float],
    keyword: Mapping[Key, float],
    *,
    weight: float,
    lowest: float | None = None,
) -> dict[Key, float]:
    """Fused scores in [0, 1] of every key in either mapping, highest first (ties keep first appearance,
    `similarity` before `keyword`).

    `similarity`: cosine similarities (a key without one counts as the least similar); `keyword`: BM25
    scores (a key without one scores 0); `weight`: the keyword share, 0 (dense alone) to 1 (keyword alone);
    `lowest`: the bottom of the cosine scale, the query's background (default: the lowest in `similarity`;
    a similarity below it counts as 0).
    """
    if not 0.0 <= weight <= 1.0:
        raise ValueError(f"the keyword weight must be in [0, 1], not {weight}")
    keys = list(dict.fromkeys([*similarity, *keyword]))
    if not keys:
        return {}
    highest = max(similarity.values(), default=0.0)
    if lowest is None:
        lowest = min(similarity.values(), default=0.0)
    spread = highest - lowest
    best_keyword = max(keyword.values(), default=0.0)

    def dense_part(key: Key) -> float:
        if key not in similarity:
            return 0.0
        return max(0.0, similarity[key] - lowest) / spread if spread > 0 else 1.0

    def keyword_part(key: Key) -> float:
        return max(0.0, keyword.get(key, 0.0)) / best_keyword if best_keyword > 0 else 0.0

    scores = {key: (1.0 - weight) * dense_part(key) + weight * keyword_part(key) for key in keys}
    return dict(sorted(scores.items(), key=lambda item: -item[1]))


def reuse_boost(reuse_count: int) -> float:
    """The factor a document's fused score is multiplied by for being reused `reuse_count` times."""
    if reuse_count <= 0:
        return 1.0
    return min(REUSE_MAX_BOOST, 1.0 + REUSE_WEIGHT * math.log1p(reuse_count))


def fuse_with_reuse(
    similarity: Mapping[Key, float],
    keyword: Mapping[Key, float],
    reuse_counts: Mapping[Key, int],
    *,
    weight: float,
    lowest: float | None = None,
) -> list[tuple[Key, float]]:
    """`convex_fusion` with the reuse boost, as `(key, score)` best first; a boosted score is shown capped at
    1.0 (but ranked before the cap). Ties keep the order of `convex_fusion`."""
    fused = convex_fusion(similarity, keyword, weight=weight, lowest=lowest)
    boosted = [(key, score * reuse_boost(reuse_counts.get(key, 0))) for key, score in fused.items()]
    boosted.sort(key=lambda item: -item[1])
    return [(key, min(1.0, score)) for key, score in boosted]


def rrf_with_reuse(
    similarity: Mapping[Key, float], keyword: Mapping[Key, float], reuse_counts: Mapping[Key, int]
) -> list[tuple[Key, float]]:
    """Reciprocal rank fusion of the dense and keyword rankings (1 / (RRF_K + rank) summed), scaled so a
    key first in both scores 1.0, with the reuse boost; as `(key, score)` best first. The "hybrid-rrf" mode:
    the issue's first design, kept so `advisor eval retrieval` shows how it compares."""
    scores: dict[Key, float] = {}
    rankings = [similarity, keyword]
    for ranking in rankings:
        ordered = sorted(ranking, key=lambda key: -ranking[key])
        for rank, key in enumerate(ordered, start=1):
            scores[key] = scores.get(key, 0.0) + 1.0 / (RRF_K + rank)
    top = len(rankings) / (RRF_K + 1)
    boosted = [(key, score / top * reuse_boost(reuse_counts.get(key, 0))) for key, score in scores.items()]
    boosted.sort(key=lambda item: -item[1])
    return [(key, min(1.0, score)) for key, score in boosted]
