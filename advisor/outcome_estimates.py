"""What a step changed, with an interval: pure statistics on weekly cells, fitted with statsmodels.

A step scoped to one group is judged by difference-in-differences: the group's change minus the change of
comparable groups the step did not touch, over the same weeks (a weighted least-squares fit with a fixed
effect per group and per week and one term for "the scoped group, after the start"; the weeks' fixed
effects absorb whatever moved the whole organisation, a seasonal dip or a release). Its errors are
heteroskedasticity-robust (HC3, the small-sample choice, since one group carries the effect).
A step that covered everyone has no untouched group: its weeks are compared with the line its own history
drew (an interrupted time series: level, trend, and a level shift from the start; Newey-West errors for weeks
that follow each other). That is weaker evidence and is reported as such.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

import numpy as np
import numpy.typing as npt

if TYPE_CHECKING:
    from statsmodels.regression.linear_model import RegressionResultsWrapper

#: The intervals are 95% intervals.
CONFIDENCE = 0.95
#: A difference in the groups' trends before the step this unlikely by chance (p below) means they did not
#: move together, so the comparison cannot be trusted.
PRE_TRENDS_ALPHA = 0.05
#: Weeks of lag the time series' errors allow for (Newey-West).
HAC_LAGS = 2

Method = Literal["difference_in_differences", "interrupted_time_series"]
Floats = npt.NDArray[np.float64]


class NotEstimable(ValueError):
    """Too few cells to fit the model and still have residual freedom to judge its error."""


@dataclass(frozen=True)
class Cell:
    """One group's value in one week: `week` counts from the step's start (negative before it), `n` is
    the records it rests on (its weight)."""

    group: str
    week: int
    value: float
    n: int


@dataclass(frozen=True)
class Estimate:
    """The step's effect in the metric's unit (after minus what would have been), with its interval."""

    method: Method
    effect: float
    low: float
    high: float
    confidence: float
    #: Difference-in-differences: the scoped group's trend minus the others' per week before the step,
    #: and how likely a difference this large is by chance (None when too few weeks to check).
    pre_trend: float | None = None
    pre_trend_p: float | None = None
    #: Interrupted time series: what the history before the step predicted, per week.
    predicted: dict[int, float] = field(default_factory=dict)

    @property
    def parallel(self) -> bool | None:
        """Whether the groups moved together before the step (None when it could not be checked)."""
        if self.pre_trend_p is None:
            return None
        return bool(self.pre_trend_p >= PRE_TRENDS_ALPHA)


def _dummies(labels: Sequence[object]) -> Floats:
    """One column per label but the first (the fixed effects)."""
    levels = sorted(set(labels), key=str)
    return np.array([[1.0 if label == level else 0.0 for level in levels[1:]] for label in labels]).reshape(
        len(labels), max(len(levels) - 1, 0)
    )


def _fit(y: Floats, x: Floats, weights: Floats, cov_type: str, **cov: object) -> RegressionResultsWrapper:
    """Weighted least squares with robust errors and t-based intervals (small samples)."""
    # imported here: statsmodels takes a second to load, and only measuring an outcome needs it
    import statsmodels.api as sm

    if len(y) <= x.shape[1]:
        raise NotEstimable(f"{len(y)} weekly figures cannot fit {x.shape[1]} parameters")
    return sm.WLS(y, x, weights=weights).fit(cov_type=cov_type, cov_kwds=cov or None, use_t=True)


def _interval(result: object, column: int, confidence: float) -> tuple[float, float, float]:
    params = np.asarray(result.params)  # type: ignore[attr-defined]
    bounds = np.asarray(result.conf_int(alpha=1.0 - confidence))  # type: ignore[attr-defined]
    effect, low, high = float(params[column]), float(bounds[column][0]), float(bounds[column][1])
    if not np.isfinite([low, high]).all():
        # no residual variation at all (figures that fit exactly): the estimate is its own interval
        low = high = effect
    return effect, low, high


def difference_in_differences(
    cells: Sequence[Cell], treated: str, *, confidence: float = CONFIDENCE
) -> Estimate:
    """The treated group's change from before (week < 0) to after (week >= 0) minus the change of the other
    groups over the same weeks, with a `confidence` interval, and the parallel pre-trends check."""
    if not any(cell.group == treated for cell in cells):
        raise NotEstimable(f"no figures for {treated!r}")
    if {cell.group for cell in cells} == {treated}:
        raise NotEstimable("no comparison group")
    y = np.array([cell.value for cell in cells], dtype=np.float64)
    weights = np.array([max(cell.n, 1) for cell in cells], dtype=np.float64)
    effect_column = np.array(
        [[1.0 if cell.group == treated and cell.week >= 0 else 0.0] for cell in cells], dtype=np.float64
    )
    x = np.hstack(
        [
            effect_column,
            np.ones((len(cells), 1)),
            _dummies([cell.group for cell in cells]),
            _dummies([cell.week for cell in cells]),
        ]
    )
    result = _fit(y, x, weights, "HC3")
    effect, low, high = _interval(result, 0, confidence)
    slope, p_value = _pre_trend(cells, treated)
    return Estimate(
        "difference_in_differences", effect, low, high, confidence, pre_trend=slope, pre_trend_p=p_value
    )


def _pre_trend(cells: Sequence[Cell], treated: str) -> tuple[float | None, float | None]:
    """Before the step only: the treated group's trend per week beyond the others' (week fixed effects
    take the shared movement), and its p-value; None when fewer than three weeks before the step."""
    before = [cell for cell in cells if cell.week < 0]
    treated_weeks = {cell.week for cell in before if cell.group == treated}
    if len(treated_weeks) < 3 or {cell.group for cell in before} == {treated}:
        return None, None
    y = np.array([cell.value for cell in before], dtype=np.float64)
    weights = np.array([max(cell.n, 1) for cell in before], dtype=np.float64)
    slope_column = np.array(
        [[float(cell.week) if cell.group == treated else 0.0] for cell in before], dtype=np.float64
    )
    x = np.hstack(
        [
            slope_column,
            np.ones((len(before), 1)),
            _dummies([cell.group for cell in before]),
            _dummies([cell.week for cell in before]),
        ]
    )
    try:
        result = _fit(y, x, weights, "HC3")
    except NotEstimable:
        return None, None
    slope = float(np.asarray(result.params)[0])
    p_value = float(np.asarray(result.pvalues)[0])
    if not np.isfinite(p_value):
        # an exact fit: the trends are equal (no difference) or plainly not
        p_value = 1.0 if abs(slope) < 1e-9 else 0.0
    return slope, p_value


def interrupted_time_series(cells: Sequence[Cell], *, confidence: float = CONFIDENCE) -> Estimate:
    """The level shift at the start (week 0) beyond the line the weeks before it drew (level and trend),
    with a `confidence` interval; `predicted` holds that line for every week."""
    if not any(cell.week < 0 for cell in cells) or not any(cell.week >= 0 for cell in cells):
        raise NotEstimable("weeks on both sides of the start are needed")
    weeks = np.array([float(cell.week) for cell in cells])
    y = np.array([cell.value for cell in cells], dtype=np.float64)
    weights = np.array([max(cell.n, 1) for cell in cells], dtype=np.float64)
    after = (weeks >= 0).astype(np.float64)
    x = np.column_stack([after, np.ones(len(cells)), weeks])
    result = _fit(y, x, weights, "HAC", maxlags=HAC_LAGS, use_correction=True)
    effect, low, high = _interval(result, 0, confidence)
    params = np.asarray(result.params)
    predicted = {cell.week: float(params[1] + params[2] * cell.week) for cell in cells}
    return Estimate("interrupted_time_series", effect, low, high, confidence, predicted=predicted)
