"""Status bands and scores: 0-50 weak, 51-75 watch, 76-100 strong."""

from __future__ import annotations

import pytest

from metrics.definitions import METRICS, SCORECARD_METRIC_IDS
from metrics.scoring import baseline_tolerance, category_score, score_against, status_for_score


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


def test_every_metric_is_defined_completely() -> None:
    for metric in METRICS:
        assert metric.id in SCORECARD_METRIC_IDS
        assert metric.formula and metric.tables and metric.unit
        if metric.kind == "activity":
            assert metric.target is None
        if metric.target is not None:
            assert "https://" in metric.target.source
