"""The outcome estimators on hand-computed weekly figures: difference-in-differences, the parallel
pre-trends check, and the interrupted time series."""

from __future__ import annotations

import pytest

from advisor.outcome_estimates import (
    Cell,
    NotEstimable,
    difference_in_differences,
    interrupted_time_series,
)


def cells(group: str, first_week: int, values: list[float], n: int = 20) -> list[Cell]:
    return [Cell(group, first_week + offset, value, n) for offset, value in enumerate(values)]


BALANCED = cells("T", -2, [3, 5, 2, 2]) + cells("C", -2, [4, 6, 5, 7])
ADDITIVE = cells("T", -3, [2.0, 2.5, 3.0, 2.2, 2.7, 3.2]) + cells("C", -3, [1.0, 1.5, 2.0, 1.5, 2.0, 2.5])

# A balanced panel (every group in every week, equal weights): the estimate is the hand-computed
# (treated after - treated before) - (others after - others before), each a plain mean of weeks.
DID_CASES = [
    pytest.param(
        BALANCED,
        (2 - 4) - (6 - 5),
        id="two groups, two weeks each side: (2-4)-(6-5)",
    ),
    pytest.param(
        cells("T", -4, [1, 2, 3, 2, 0, 1]) + cells("C", -4, [2, 2, 2, 2, 3, 3]),
        (0.5 - 2) - (3 - 2),
        id="unequal windows, four weeks before and two after: (0.5-2)-(3-2)",
    ),
    pytest.param(
        cells("T", -2, [3, 5, 2, 2]) + cells("C", -2, [4, 6, 5, 7]) + cells("D", -2, [1, 3, 2, 4]),
        (2 - 4) - ((6 + 3) / 2 - (5 + 2) / 2),
        id="two comparison groups count as their mean",
    ),
    pytest.param(
        ADDITIVE,
        -0.3,
        id="exactly additive: shared weekly movement removed, -0.3 left",
    ),
]


@pytest.mark.parametrize(("panel", "expected"), DID_CASES)
def test_difference_in_differences_matches_the_hand_computed_effect(
    panel: list[Cell], expected: float
) -> None:
    estimate = difference_in_differences(panel, "T")
    assert estimate.method == "difference_in_differences"
    assert estimate.effect == pytest.approx(expected, abs=1e-9)
    assert estimate.low <= estimate.effect <= estimate.high
    assert estimate.confidence == 0.95


def test_figures_that_fit_exactly_have_their_estimate_as_interval() -> None:
    estimate = difference_in_differences(ADDITIVE, "T")
    assert estimate.low == pytest.approx(-0.3) and estimate.high == pytest.approx(-0.3)
    assert estimate.parallel is True  # same shape before the start: the trends agree exactly


def test_noise_widens_the_interval_around_the_estimate() -> None:
    noisy = cells("T", -4, [4.1, 3.8, 4.3, 3.9, 3.2, 2.7, 3.1, 2.9]) + cells(
        "C", -4, [4.0, 4.2, 3.9, 4.1, 4.0, 3.9, 4.2, 4.0]
    )
    estimate = difference_in_differences(noisy, "T")
    # hand-computed: (2.975 - 4.025) - (4.025 - 4.05) = -1.025
    assert estimate.effect == pytest.approx(-1.025)
    assert estimate.low < -1.025 < estimate.high
    assert estimate.high < 0  # a change this large against this little noise is clear


def test_groups_that_drifted_apart_before_the_start_fail_the_pre_trends_check() -> None:
    # the scoped group climbs a point a week before the start while the other stays level
    diverging = cells("T", -6, [1.0, 2.1, 2.9, 4.0, 5.1, 5.9, 6.0, 6.0]) + cells(
        "C", -6, [3.0, 3.1, 2.9, 3.0, 3.1, 2.9, 3.0, 3.0]
    )
    estimate = difference_in_differences(diverging, "T")
    assert estimate.pre_trend == pytest.approx(1.0, abs=0.05)
    assert estimate.pre_trend_p is not None and estimate.pre_trend_p < 0.05
    assert estimate.parallel is False


def test_too_few_weeks_before_the_start_leave_the_pre_trends_unchecked() -> None:
    estimate = difference_in_differences(BALANCED, "T")
    assert estimate.pre_trend_p is None and estimate.parallel is None


@pytest.mark.parametrize(
    ("panel", "reason"),
    [
        (cells("C", -2, [1, 2, 3, 4]), "no figures for 'T'"),
        (cells("T", -2, [1, 2, 3, 4]), "no comparison group"),
        (cells("T", -1, [1, 2]) + cells("C", -1, [1, 2]), "cannot fit"),
    ],
)
def test_what_cannot_be_estimated_says_why(panel: list[Cell], reason: str) -> None:
    with pytest.raises(NotEstimable, match=reason):
        difference_in_differences(panel, "T")


def test_interrupted_time_series_measures_the_step_against_the_line_history_drew() -> None:
    # 10 + 0.5 a week before the start; the same line 2 lower from the start on
    weeks = range(-4, 4)
    series = [Cell("organisation", week, 10 + 0.5 * week - (2 if week >= 0 else 0), 30) for week in weeks]
    estimate = interrupted_time_series(series)
    assert estimate.method == "interrupted_time_series"
    assert estimate.effect == pytest.approx(-2.0)
    assert estimate.predicted[2] == pytest.approx(11.0)  # what history predicted in week 2: 10 + 0.5 * 2
    with pytest.raises(NotEstimable, match="both sides"):
        interrupted_time_series([cell for cell in series if cell.week < 0])
