"""Acceptance: on demo organisations with different planted weaknesses, the advice finds what was planted.

For 20 seeds, each with one or two planted weaknesses, the top recommendation should target a planted weak
metric, and the top three should reach every planted weak category. The rates are kept with a threshold,
not required to be perfect: on real-sized data a few unplanted metrics drift by chance too.

The same holds across the shapes real exports have (issue 10): tickets and events only, ten weeks of history,
surveys missing, and a weakness that sits in one team, product or channel. There the top step must target a
planted weakness for at least 90% of 20 seeds per shape, and no step of the top three may target a metric the
organisation has no data for. The shapes use the small demo and plant only weaknesses the shape holds data for.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest

from advisor.ranking import rank_next_steps
from knowledge.models import Practice
from knowledge.practices import load_practices
from metrics.demo import PLANTED_WEAKNESSES, generate_demo
from metrics.demo.catalog import (
    CHANNEL_SHARES,
    CHANNELS,
    PLANTABLE_IN,
    PRODUCT_SHARES,
    PRODUCTS,
    TEAM_SHARES,
    TEAMS,
)
from metrics.demo.shapes import check_shape
from metrics.scorecard import compute_scorecard
from metrics.store import open_store

pytestmark = pytest.mark.slow

SEEDS = range(20)
THRESHOLD = 0.8
SHAPE_THRESHOLD = 0.9
END = date(2026, 11, 1)
#: Weaknesses a shape holds the data for (a shape without surveys cannot show falling CSAT).
SHAPE_WEAKNESSES: dict[str, tuple[str, ...]] = {
    "full": tuple(sorted(PLANTED_WEAKNESSES)),
    "tickets_events": ("handoffs", "knowledge_reuse", "time_to_smile"),
    "no_surveys": tuple(name for name in sorted(PLANTED_WEAKNESSES) if name not in {"csat", "engagement"}),
    # ten weeks of a small organisation hold too few peer-trust sign-offs to judge time to competency
    "ten_weeks": tuple(name for name in sorted(PLANTED_WEAKNESSES) if name != "competency"),
    # a weakness in one group moves the organisation's figure: knowledge reuse falling in one team leaves
    # the organisation's ratio far above the KCS floor, so finding it is the diagnosis's work (issue 11)
    "in_one_group": ("csat", "handoffs"),
}
#: Where the `in_one_group` shape plants its weakness: one team, product or channel that holds at least a fifth
#: of the tickets (a group of 6% cannot move the organisation's figures), never the weakness's usual place.
GROUP_SHARES: dict[str, tuple[tuple[str, ...], tuple[float, ...]]] = {
    "team": (TEAMS, TEAM_SHARES),
    "product": (PRODUCTS, PRODUCT_SHARES),
    "channel": (CHANNELS, CHANNEL_SHARES),
}
MIN_GROUP_SHARE = 0.2


def planted(seed: int, names: tuple[str, ...] | None = None) -> tuple[str, ...]:
    """Every third seed plants one weakness, the others a pair, cycling through all combinations."""
    names = tuple(sorted(PLANTED_WEAKNESSES)) if names is None else names
    pairs = list(itertools.combinations(names, 2))
    return (names[seed % len(names)],) if seed % 3 == 0 else pairs[seed % len(pairs)]


def placed(seed: int) -> dict[str, tuple[str, str]]:
    """One weakness in one large group other than its usual place, cycling through weaknesses and groups."""
    names = SHAPE_WEAKNESSES["in_one_group"]
    name = names[seed % len(names)]
    places = [
        (dimension, group)
        for dimension, (groups, shares) in GROUP_SHARES.items()
        for group, share in zip(groups, shares, strict=True)
        if share >= MIN_GROUP_SHARE and (dimension, group) != PLANTABLE_IN[name]
    ]
    return {name: places[seed // len(names) % len(places)]}


@pytest.fixture(scope="module")
def practices() -> list[Practice]:
    """One practice set for every organisation: ranking needs the scorecard and the practices, no index."""
    return load_practices()


@pytest.fixture(scope="module")
def outcomes(
    tmp_path_factory: pytest.TempPathFactory, practices: list[Practice]
) -> list[tuple[tuple[str, ...], bool, bool]]:
    results = []
    for seed in SEEDS:
        weaknesses = planted(seed)
        folder = tmp_path_factory.mktemp(f"seed{seed}")
        generate_demo(folder, end=END, seed=seed, size="medium", weaknesses=weaknesses, months=12)
        scorecard = compute_scorecard(open_store(folder), min_group_size=5)
        top = rank_next_steps(scorecard, practices, limit=3)
        planted_metrics = {metric for name in weaknesses for metric in PLANTED_WEAKNESSES[name].metric_ids}
        planted_categories = {PLANTED_WEAKNESSES[name].category for name in weaknesses}
        reached = {
            metric.category for rec in top for metric in scorecard.all_metrics() if metric.id in rec.targets
        }
        results.append(
            (weaknesses, bool(top and set(top[0].targets) & planted_metrics), planted_categories <= reached)
        )
    return results


def test_every_planted_weakness_is_tried(outcomes: list[tuple[tuple[str, ...], bool, bool]]) -> None:
    tried = {name for weaknesses, _, _ in outcomes for name in weaknesses}
    assert tried == set(PLANTED_WEAKNESSES)


def test_the_top_recommendation_targets_a_planted_weak_metric(
    outcomes: list[tuple[tuple[str, ...], bool, bool]], record_property: pytest.RecordProperty
) -> None:
    rate = sum(hit for _, hit, _ in outcomes) / len(outcomes)
    record_property("top1_rate", rate)
    missed = [weaknesses for weaknesses, hit, _ in outcomes if not hit]
    assert rate >= THRESHOLD, f"top recommendation missed the planted weakness for {missed}"


def test_the_top_three_cover_every_planted_category(
    outcomes: list[tuple[tuple[str, ...], bool, bool]], record_property: pytest.RecordProperty
) -> None:
    rate = sum(covered for _, _, covered in outcomes) / len(outcomes)
    record_property("top3_coverage", rate)
    missed = [weaknesses for weaknesses, _, covered in outcomes if not covered]
    assert rate >= THRESHOLD, f"top three missed a planted category for {missed}"


@dataclass(frozen=True)
class ShapedRun:
    """One generated organisation of a shape: what was planted, and what the top three steps target."""

    seed: int
    weaknesses: tuple[str, ...]
    plant_in: Mapping[str, tuple[str, str]]
    top: list[tuple[str, list[str]]]
    hit: bool
    #: Targets of the top three that the organisation has no data for.
    without_data: list[str]


def shaped_run(folder: Path, shape: str, seed: int, practices: list[Practice]) -> ShapedRun:
    plant_in = placed(seed) if shape == "in_one_group" else {}
    weaknesses = tuple(plant_in) if plant_in else planted(seed, SHAPE_WEAKNESSES[shape])
    generate_demo(
        folder,
        end=END,
        seed=seed,
        size="small",
        weaknesses=weaknesses,
        months=12,
        shape=check_shape("full" if shape == "in_one_group" else shape),
        plant_in=plant_in or None,
    )
    scorecard = compute_scorecard(open_store(folder), min_group_size=5)
    top = rank_next_steps(scorecard, practices, limit=3)
    planted_metrics = {metric for name in weaknesses for metric in PLANTED_WEAKNESSES[name].metric_ids}
    return ShapedRun(
        seed=seed,
        weaknesses=weaknesses,
        plant_in=plant_in,
        top=[(rec.practice_id, rec.targets) for rec in top],
        hit=bool(top and set(top[0].targets) & planted_metrics),
        without_data=[
            target for rec in top for target in rec.targets if scorecard.metric(target).value is None
        ],
    )


@pytest.mark.parametrize("shape", list(SHAPE_WEAKNESSES))
def test_the_top_step_targets_the_planted_weakness_in_every_shape(
    shape: str,
    tmp_path: Path,
    practices: list[Practice],
    record_property: pytest.RecordProperty,
) -> None:
    runs = [shaped_run(tmp_path / f"seed{seed}", shape, seed, practices) for seed in SEEDS]
    rate = sum(run.hit for run in runs) / len(runs)
    record_property(f"top1_rate_{shape}", rate)
    assert {name for run in runs for name in run.weaknesses} == set(SHAPE_WEAKNESSES[shape])
    missed = [(run.seed, run.weaknesses, dict(run.plant_in), run.top) for run in runs if not run.hit]
    assert rate >= SHAPE_THRESHOLD, f"{shape}: top step missed the planted weakness ({rate:.0%}) for {missed}"
    without_data = [(run.seed, run.without_data, run.top) for run in runs if run.without_data]
    assert not without_data, f"{shape}: a top-3 step targets a metric without data: {without_data}"
