"""Reciprocal rank fusion and the reuse boost, on hand-made rankings with hand-computed values."""

from __future__ import annotations

import math

import pytest

from knowledge.fusion import fuse_with_reuse, reciprocal_rank_fusion, reuse_boost


def test_rrf_sums_one_over_k_plus_rank() -> None:
    fused = reciprocal_rank_fusion([["a", "b", "c"], ["b", "c", "d"]], k=60)
    assert fused == pytest.approx({"b": 1 / 62 + 1 / 61, "c": 1 / 63 + 1 / 62, "a": 1 / 61, "d": 1 / 63})
    # agreement beats one retriever's first place: b (2nd and 1st) > c (3rd and 2nd) > a (1st once)
    assert list(fused) == ["b", "c", "a", "d"]


def test_rrf_with_small_k_and_weights() -> None:
    fused = reciprocal_rank_fusion([["x", "y"], ["y", "z"]], k=1, weights=[1.0, 0.5])
    # x: 1/2; y: 1/3 + 0.5/2 = 7/12; z: 0.5/3 = 1/6
    assert fused == pytest.approx({"y": 7 / 12, "x": 1 / 2, "z": 1 / 6})
    assert list(fused) == ["y", "x", "z"]
    with pytest.raises(ValueError, match="one weight per ranking"):
        reciprocal_rank_fusion([["x"]], weights=[1.0, 2.0])


def test_empty_rankings_fuse_to_nothing() -> None:
    assert reciprocal_rank_fusion([[], []]) == {}
    assert fuse_with_reuse([[], []], {}) == []


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


def test_fused_scores_are_scaled_to_one_and_reuse_breaks_near_ties() -> None:
    rankings = [["a", "b", "c"], ["b", "a", "c"]]
    plain = fuse_with_reuse(rankings, {}, k=60)
    # a and b tie exactly (1/61 + 1/62 each); the first seen stays first; scaled by the best possible 2/61
    assert [key for key, _ in plain] == ["a", "b", "c"]
    assert plain[0][1] == pytest.approx((1 / 61 + 1 / 62) / (2 / 61))
    assert plain[2][1] == pytest.approx((2 / 63) / (2 / 61))
    reused = fuse_with_reuse(rankings, {"b": 3}, k=60)
    assert [key for key, _ in reused] == ["b", "a", "c"]
    # first in every ranking is 1.0; a boost beyond that is capped
    assert fuse_with_reuse([["a"], ["a"]], {"a": 50})[0] == ("a", 1.0)


def test_reuse_cannot_lift_a_document_both_retrievers_ranked_low() -> None:
    # z: 6th in both rankings, reused without end; a: first in both, never reused
    rankings = [["a", "b", "c", "d", "e", "z"], ["a", "b", "c", "d", "e", "z"]]
    order = [key for key, _ in fuse_with_reuse(rankings, {"z": 1000}, k=60)]
    assert order[0] == "a" and order.index("z") < 5  # it climbs, but not to the top
