"""Outcome estimates against a step planted in the demo, over 20 seeds: the interval covers the planted
effect, no step means no claimed change, and a seasonal drift shared by every team is not credited to it."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, date, datetime, time
from pathlib import Path

import pytest

from advisor.models import MetricOutcome, StatusChange, TrackedRecommendation
from advisor.outcomes import judge_outcomes
from metrics.demo import Intervention, generate_demo
from metrics.models import Dimension, Period
from metrics.series import SeriesPoint, metric_series
from metrics.store import open_store

END = date(2026, 3, 1)
START = date(2025, 12, 1)
DONE = date(2026, 2, 23)
SEEDS = range(20)
#: Platform Support sheds 0.3 hand-offs per ticket from December, while every team drifts with the seasons by
#: up to 0.6 (rising from September to January): the group alone, before against after, looks no better.
EFFECT = -0.3
DRIFT = 0.6


def recommendation() -> TrackedRecommendation:
    def at(day: date) -> datetime:
        return datetime.combine(day, time(9), tzinfo=UTC)

    return TrackedRecommendation(
        rank=1, title="Swarm instead of routing", practice_id="cust-swarming-complex-cases", targets=["C6"],
        why="C6 is weak.", sources=[], scope={"team": "Platform Support"}, id="r1", organisation="demo",
        period_start=date(2025, 9, 1), period_end=START, status="done", created_at=at(START),
        updated_at=at(DONE),
        history=[
            StatusChange(from_status="accepted", to_status="in_progress", actor="lead", at=at(START)),
            StatusChange(from_status="in_progress", to_status="done", actor="lead", at=at(DONE)),
        ],
    )  # fmt: skip


def measured(folder: Path, seed: int, effect: float) -> MetricOutcome:
    """The planted organisation for `seed` (six months, 2,000 tickets, hand-offs only), judged."""
    planted = Intervention("team", "Platform Support", START, effect=effect, drift=DRIFT)
    generate_demo(
        folder, end=END, seed=seed, size="small", months=6, weaknesses=(), shape="tickets_events",
        intervention=planted,
    )  # fmt: skip
    store = open_store(folder)

    def series_for(metric_id: str, windows: Sequence[Period], by: Dimension | None) -> list[SeriesPoint]:
        return metric_series(store, metric_id, windows, by=by)

    [outcome] = judge_outcomes(recommendation(), series_for, END, min_group_size=5)
    return outcome


@pytest.mark.slow
def test_the_interval_covers_a_planted_effect_in_at_least_90_percent_of_seeds(tmp_path: Path) -> None:
    outcomes = [measured(tmp_path / f"seed{seed}", seed, EFFECT) for seed in SEEDS]
    assert all(outcome.method == "difference_in_differences" for outcome in outcomes)
    covered = [outcome.low <= EFFECT <= outcome.high for outcome in outcomes]  # type: ignore[operator]
    assert sum(covered) / len(SEEDS) >= 0.9, [(o.low, o.high) for o in outcomes]
    # and it finds the step most of the time, never the wrong way round
    verdicts = [outcome.verdict for outcome in outcomes]
    assert verdicts.count("better") >= 14 and "worse" not in verdicts


@pytest.mark.slow
def test_without_a_step_it_claims_a_change_in_at_most_10_percent_and_ignores_the_shared_drift(
    tmp_path: Path,
) -> None:
    outcomes = [measured(tmp_path / f"seed{seed}", seed, 0.0) for seed in SEEDS]
    claimed = [outcome.verdict in ("better", "worse") for outcome in outcomes]
    assert sum(claimed) / len(SEEDS) <= 0.1, [(o.estimate, o.low, o.high) for o in outcomes]
    # The seasons raise every team's hand-offs from autumn into winter: the group alone got worse before
    # against after, but the step is not blamed (nor credited) for what every team went through.
    rises = [outcome.change for outcome in outcomes]
    assert all(rise is not None and rise > 0.1 for rise in rises)
    assert all(abs(outcome.estimate or 0.0) < 0.2 for outcome in outcomes)


def test_the_planted_step_is_in_the_manifest_and_checked(tmp_path: Path) -> None:
    planted = Intervention("team", "Platform Support", START, effect=EFFECT, drift=DRIFT)
    generate_demo(
        tmp_path, end=END, seed=1, size="small", months=6, weaknesses=(), shape="tickets_events",
        intervention=planted,
    )  # fmt: skip
    manifest = json.loads((tmp_path / "demo_manifest.json").read_text())
    assert manifest["intervention"] == {
        "dimension": "team", "group": "Platform Support", "start": "2025-12-01", "effect": -0.3, "drift": 0.6,
    }  # fmt: skip
    with pytest.raises(ValueError, match="the demo has no team 'Night Shift'"):
        Intervention("team", "Night Shift", START)
    with pytest.raises(ValueError, match="cannot be planted by 'person'"):
        Intervention("person", "Ana", START)
