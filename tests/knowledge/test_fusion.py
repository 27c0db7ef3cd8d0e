"""Score fusion and the reuse boost, on hand-made scores with hand-computed values."""

from __future__ import annotations

import math

import pytest

from knowledge.fusion import (
    KEYWORD_WEIGHT,
    convex_fusion,
    fuse_with_reuse,
    keyword_weight,
    reuse_boost,
    rrf_with_reuse,
)


def test_convex_fusion_normalises_each_part_and_mixes_them() -> None:
    # cosine min-max over the candidates: a 1.0, b 0.5, c 0.0; BM25 over its maximum: b 1.0, c 0.5, d 0.25
    similarity = {"a": 0.8, "b": 0.6, "c": 0.4}
    keyword = {"b": 8.0, "c": 4.0, "d": 2.0}
    fused = convex_fusion(similarity, keyword, weight=0.3)
    assert fused == pytest.approx(
        {"a": 0.7 * 1.0, "b": 0.7 * 0.5 + 0.3 * 1.0, "c": 0.7 * 0.0 + 0.3 * 0.5, "d": 0.3 * 0.25}
    )
    assert list(fused) == ["a", "b", "c", "d"]  # 0.70, 0.65, 0.15, 0.075
    # more keyword weight and BM25's favourite wins: b 0.5 * 0.5 + 0.5 = 0.75 > a 0.5
    assert next(iter(convex_fusion(similarity, keyword, weight=0.5))) == "b"


def test_each_retriever_alone_keeps_its_own_order_and_scores_one_at_the_top() -> None:
    similarity = {"a": 0.9, "b": 0.7, "c": 0.3}
    keyword = {"c": 5.0, "a": 1.0}
    dense = convex_fusion(similarity, {}, weight=0.0)
    assert list(dense) == ["a", "b", "c"] and dense["a"] == 1.0
    only_keyword = convex_fusion({}, keyword, weight=1.0)
    assert only_keyword == pytest.approx({"c": 1.0, "a": 0.2})
    # first for both is 1.0 whatever the weight
    assert convex_fusion({"x": 0.5, "y": 0.4}, {"x": 3.0, "y": 1.0}, weight=0.3)["x"] == pytest.approx(1.0)


def test_edge_cases_fuse_sensibly() -> None:
    assert convex_fusion({}, {}, weight=0.3) == {}
    assert fuse_with_reuse({}, {}, {}, weight=0.3) == []
    # one candidate (no spread): it is the best there is
    assert convex_fusion({"a": 0.4}, {}, weight=0.0) == {"a": 1.0}
    # a keyword-only candidate counts as the least similar; one without a keyword score has 0 there
    assert convex_fusion({"a": 0.6, "b": 0.5}, {"c": 2.0}, weight=0.5) == pytest.approx(
        {"a": 0.5, "c": 0.5, "b": 0.0}
    )
    # ties keep first appearance, similarity before keyword
    assert list(convex_fusion({"a": 0.5, "b": 0.5}, {}, weight=0.0)) == ["a", "b"]
    with pytest.raises(ValueError, match="keyword weight must be in"):
        convex_fusion({"a": 1.0}, {}, weight=1.5)


def test_the_cosine_scale_starts_at_the_querys_background() -> None:
    # two near twins among few candidates: against a background of 0.2 they stay near each other
    twins = {"a": 0.62, "b": 0.61}
    assert convex_fusion(twins, {}, weight=0.0, lowest=0.2) == pytest.approx({"a": 1.0, "b": 0.41 / 0.42})
    assert convex_fusion(twins, {}, weight=0.0) == pytest.approx(
        {"a": 1.0, "b": 0.0}
    )  # without one: stretched
    # a candidate below the background (a keyword match) counts as 0 on the cosine side
    assert convex_fusion({"a": 0.6, "c": 0.1}, {"c": 1.0}, weight=0.5, lowest=0.2) == pytest.approx(
        {"a": 0.5, "c": 0.5}
    )


@pytest.mark.parametrize(
    ("coverage", "weight"),
    [(0.0, 0.0), (0.5, KEYWORD_WEIGHT / 2), (1.0, KEYWORD_WEIGHT), (1.7, KEYWORD_WEIGHT), (-1.0, 0.0)],
)
def test_the_keyword_weight_follows_the_best_matchs_share_of_the_query(
    coverage: float, weight: float
) -> None:
    assert keyword_weight(coverage) == pytest.approx(weight)


@pytest.mark.parametrize(
    ("count", "factor"),
    [
        (0, 1.0),
        (1, 1 + 0.02 * math.log(2)),
        (10, 1 + 0.02 * math.log(11)),
        (50, 1 + 0.02 * math.log(51)),
        (500, 1.08),
    ],
)
def test_reuse_boost_is_small_and_capped(count: int, factor: float) -> None:
    assert reuse_boost(count) == pytest.approx(factor)


def test_reuse_orders_near_ties_and_scores_stay_at_most_one() -> None:
    similarity = {"a": 0.80, "b": 0.79, "c": 0.40}
    plain = fuse_with_reuse(similarity, {}, {}, weight=0.0)
    assert [key for key, _ in plain] == ["a", "b", "c"]
    assert plain[1][1] == pytest.approx(0.39 / 0.40)
    reused = fuse_with_reuse(similarity, {}, {"b": 3}, weight=0.0)
    assert [key for key, _ in reused] == ["b", "a", "c"]
    assert fuse_with_reuse({"a": 0.5}, {}, {"a": 50}, weight=0.0) == [("a", 1.0)]


def test_reuse_cannot_lift_a_document_that_scores_much_lower() -> None:
    # z scores 0.9 of a; even the largest boost (1.08) leaves it below
    similarity = {"a": 1.0, "b": 0.95, "z": 0.9, "floor": 0.0}
    order = [key for key, _ in fuse_with_reuse(similarity, {}, {"z": 1000}, weight=0.0)]
    assert order[:3] == ["a", "z", "b"]  # it passes b (0.95 < 0.9 * 1.08), never a


def test_reciprocal_rank_fusion_is_kept_for_comparison() -> None:
    similarity = {"a": 0.9, "b": 0.8, "c": 0.1}
    keyword = {"b": 12.0, "d": 3.0}
    fused = dict(rrf_with_reuse(similarity, keyword, {}))
    # b: 1/(60+2) + 1/(60+1); a: 1/(60+1); d: 1/(60+2); c: 1/(60+3); scaled by 2/(60+1)
    assert list(fused) == ["b", "a", "d", "c"]
    assert fused["b"] == pytest.approx((1 / 62 + 1 / 61) / (2 / 61))
    assert fused["a"] == pytest.approx((1 / 61) / (2 / 61))
    boosted = dict(rrf_with_reuse(similarity, keyword, {"d": 54}))
    assert boosted["d"] == pytest.approx(fused["d"] * 1.08)
