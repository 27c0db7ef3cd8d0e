"""Status bands and scores: 0-50 weak, 51-75 watch, 76-100 strong."""

from __future__ import annotations

import pytest

from metrics.definitions import METRICS, SCORECARD_METRIC_IDS
from metrics.scoring import (
    assess,
    baseline_tolerance,
    category_note,
    category_score,
    score_against,
    status_for_score,
)


@pytest.mark.parametrize(
    ("value", "reference", "tolerance", "direction", "expected"),
    [
        (80, 80, 5, "higher", ("strong", 76.0)),  # exactly on target
        (85, 80, 5, "higher", ("strong", 100.0)),  # a whole tolerance better
        (77.5, 80, 5, "higher", ("watch", 63.0)),  # half a tolerance short
        (75, 80, 5, "higher", ("watch", 51.0)),  # one tolerance short
        (70, 80, 5, "higher", ("weak", 25.0)),  # two tolerances short
        (50, 80, 5, "higher", ("weak", 0.0)),  # far short
        (1.0, 1.1, 0.1, "lower", ("strong", 100.0)),  # lower is better
        (1.15, 1.1, 0.1, "lower", ("watch", 63.0)),
    ],
)
def test_score_against(
    value: float, reference: float, tolerance: float, direction: str, expected: tuple[str, float]
) -> None:
    status, score = score_against(value, reference, tolerance, direction)  # type: ignore[arg-type]
    assert (status, pytest.approx(score)) == (expected[0], expected[1])


def test_status_for_score_follows_the_bands() -> None:
    assert [status_for_score(s) for s in (None, 0, 50, 51, 75, 76, 100)] == [
        "no data", "weak", "weak", "watch", "watch", "strong", "strong",
    ]  # fmt: skip


def test_category_score_is_the_mean_of_scores_that_exist() -> None:
    assert category_score([80.0, None, 40.0]) == 60.0
    assert category_score([None]) is None


def test_baseline_tolerance_is_never_zero() -> None:
    assert baseline_tolerance(2.0, 0.1) == pytest.approx(0.2)
    assert baseline_tolerance(0.0, 0.1) == 0.1


def test_every_metric_of_the_scorecard_is_defined_once_and_completely() -> None:
    assert [metric.id for metric in METRICS] == list(SCORECARD_METRIC_IDS)
    for metric in METRICS:
        assert metric.formula and metric.unit and metric.choices, metric.id
        assert metric.tables or metric.derived, metric.id
        if metric.kind == "activity":
            assert metric.target is None and not metric.counts_in_category
        if metric.target is not None:
            assert "://" in metric.target.source and metric.target.tolerance > 0


def test_only_sourced_targets_exist() -> None:
    targets = {metric.id: metric.target.value for metric in METRICS if metric.target is not None}
    # CSAT > 80% (weak source), 85/85 self-service, TTCV <= 0 days, 90/0 publishing, reuse >= creation
    assert targets == {"C1b": 80.0, "C4": 85.0, "B1": 0.0, "K2": 90.0, "K3": 1.0}


@pytest.mark.parametrize(
    ("value", "target", "baseline", "band", "expected"),
    [
        (70.0, 80.0, 60.0, None, ("weak", 25.0, "target")),  # a target wins over a better baseline
        (66.0, None, 60.0, None, ("strong", 100.0, "baseline")),  # 10% of 60 = 6 better
        (57.0, None, 60.0, None, ("watch", 63.0, "baseline")),  # half a band worse
        (57.0, None, 60.0, 3.0, ("watch", 51.0, "baseline")),  # an absolute band of 3: one band worse
        (57.0, None, None, None, None),  # nothing to compare with
    ],
)
def test_assess_prefers_a_sourced_target_then_the_baseline(
    value: float, target: float | None, baseline: float | None, band: float | None, expected: object
) -> None:
    assessed = assess(
        value,
        direction="higher",
        target=target,
        target_tolerance=5.0 if target is not None else None,
        baseline=baseline,
        baseline_relative=0.10,
        baseline_band=band,
    )
    assert assessed == expected


def test_category_note_names_what_the_score_leaves_out() -> None:
    assert category_note([]) is None
    assert category_note([("K6", "activity measure")]) == "Not in the score: K6 (activity measure)."
