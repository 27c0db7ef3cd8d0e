"""Since when: the month a metric's monthly series left its usual band (a simple, documented change-point rule)."""

from __future__ import annotations

import statistics
from collections.abc import Sequence

from metrics.models import Direction, TrendPoint

#: Standard deviations of the earlier months that make the usual band (about 95 % of ordinary months).
BAND_SDS = 2.0
#: Months needed before a run to know what is usual.
MIN_HISTORY = 3


def since_month(trend: Sequence[TrendPoint], direction: Direction, *, k: float = BAND_SDS) -> str | None:
    """The month the series left its usual band on the worse side and stayed out, or None.

    The earliest month `s` such that every month from `s` to the last is worse than mean ± k·sd of the
    months before `s` (at least `MIN_HISTORY`; the sd is floored at 1 % of the mean's size so a flat history
    does not make every wobble a change). Months without a value are skipped.
    """
    points = [(point.month, point.value) for point in trend if point.value is not None]
    found = None
    for start in range(len(points) - 1, MIN_HISTORY - 1, -1):
        history = [value for _, value in points[:start] if value is not None]
        mean = statistics.fmean(history)
        sd = max(statistics.stdev(history) if len(history) > 1 else 0.0, 0.01 * abs(mean), 1e-9)
        run = [value for _, value in points[start:] if value is not None]
        outside = (
            all(value > mean + k * sd for value in run)
            if direction == "lower"
            else all(value < mean - k * sd for value in run)
        )
        if not outside:
            # A longer run would include this month too; with a new history it may still qualify, so go on.
            continue
        found = points[start][0]
    return found
