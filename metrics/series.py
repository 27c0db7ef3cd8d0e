"""One metric over many windows (weeks, say), for the whole organisation or per group: the raw series an
outcome is estimated from.

The figures are the metric's own aggregate over each window, from the same record queries as the scorecard
(one definition), with the records they rest on. Nothing is suppressed here: a series is an input to an
estimate, and whoever shows a point must hide those with fewer than the minimum group size (`size`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from metrics import records
from metrics.aggregation import Window, aggregate
from metrics.definitions import METRICS_BY_ID
from metrics.errors import UnknownMetric
from metrics.models import Dimension, Period
from metrics.scorecard import midnight, time_zone
from metrics.store import OrganisationStore


@dataclass(frozen=True)
class SeriesPoint:
    """A metric's value in one window, for one group (None: the whole organisation, or records without the
    dimension when grouped), with `n` records and the `size` small groups are judged by."""

    window: Period
    group: str | None
    value: float | None
    n: int
    size: int


def metric_series(
    store: OrganisationStore,
    metric_id: str,
    windows: Sequence[Period],
    *,
    by: Dimension | None = None,
) -> list[SeriesPoint]:
    """The metric in every window (per group of `by`, when given), in window order; windows (or groups)
    without records are absent. Empty when the metric is derived from others or its tables are missing."""
    metric = METRICS_BY_ID.get(metric_id)
    if metric is None:
        raise UnknownMetric(f"there is no metric {metric_id!r} on the scorecard")
    if by is not None and by not in records.DIMENSIONS:
        raise ValueError(f"cannot group by {by!r}; choose one of {', '.join(records.DIMENSIONS)}")
    if metric.derived or metric.records_sql is None or not windows:
        return []
    records_sql = metric.records_sql(store.tables)
    if records_sql is None:
        return []
    ordered = sorted(set(windows))
    with store.cursor() as cursor:
        zone = time_zone(cursor)
        named = [
            Window(f"w{index}", window, midnight(window.start, zone), midnight(window.end, zone))
            for index, window in enumerate(ordered)
        ]
        # Waiting times are counted up to the end of the last window, as a scorecard counts them to its end.
        for statement in records.prepare_sql(store.tables, as_of=midnight(ordered[-1].end, zone)):
            cursor.execute(statement)
        stats = aggregate(cursor, records_sql, metric.aggregation, named, people=metric.people, by=by)
    by_name = {window.name: window.period for window in named}
    points = [
        SeriesPoint(window=by_name[name], group=group, value=found.value, n=found.n, size=found.size)
        for (name, group), found in stats.items()
    ]
    return sorted(points, key=lambda point: (point.window, point.group is None, point.group or ""))
