"""Metrics computed from other metrics: the customer composite (C1) and measurement readiness (A1)."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from metrics import scoring
from metrics.aggregation import Window
from metrics.definition_types import MetricDefinition
from metrics.drilldown import group_value, sort_groups
from metrics.measure import empty_value, judge
from metrics.models import GroupValue, MetricValue, TrendPoint


def nps_csat_composite(nps: float, csat: float) -> float:
    """C1: the mean of NPS mapped onto 0-100 and CSAT%."""
    return round(((nps + 100) / 2 + csat) / 2, 2)


COMBINE: dict[str, Callable[[float, float], float]] = {"C1": nps_csat_composite}


def composite(metric: MetricDefinition, values: Mapping[str, MetricValue]) -> MetricValue:
    """A metric combined from the same window's values of its two components (None when either has none)."""
    first, second = (values[component] for component in metric.components)
    combine = COMBINE[metric.id]

    def both(a: float | None, b: float | None) -> float | None:
        return None if a is None or b is None else combine(a, b)

    result = empty_value(metric)
    result.n = first.n + second.n
    result.value = both(first.value, second.value)
    result.previous = both(first.previous, second.previous)
    result.baseline = both(first.baseline, second.baseline)
    second_trend = {point.month: point for point in second.trend}
    result.trend = [
        TrendPoint(
            month=point.month,
            value=both(point.value, second_trend[point.month].value if point.month in second_trend else None),
            n=point.n + (second_trend[point.month].n if point.month in second_trend else 0),
        )
        for point in first.trend
    ]
    result.groups = _combined_groups(metric, first, second, both)
    result.groups_note = first.groups_note or second.groups_note
    if result.value is None:
        missing = [part for part in (first, second) if part.value is None]
        result.availability = missing[0].availability
        result.note = (
            "needs both "
            + " and ".join(metric.components)
            + ": "
            + "; ".join(f"{part.id} {part.note or 'has no value'}" for part in missing)
        )
        return result
    result.details = {
        f"{first.id}_mapped_0_100": round((first.value + 100) / 2, 2) if first.value is not None else None,
        f"{second.id}": second.value,
    }
    judge(metric, result)
    return result


def _combined_groups(
    metric: MetricDefinition,
    first: MetricValue,
    second: MetricValue,
    both: Callable[[float | None, float | None], float | None],
) -> list[GroupValue]:
    others = {group.group: group for group in second.groups}
    groups = []
    for group in first.groups:
        other = others.get(group.group)
        if other is None:
            continue
        if group.suppressed or other.suppressed:
            note = group.note if group.suppressed else other.note
            groups.append(
                GroupValue(
                    group=group.group, value=None, n=None, status="no data", suppressed=True, note=note
                )
            )
            continue
        n = None if group.n is None or other.n is None else group.n + other.n
        groups.append(
            group_value(
                metric, group.group, both(group.value, other.value), n, both(group.baseline, other.baseline)
            )
        )
    return sort_groups(groups)


def readiness(
    metric: MetricDefinition,
    values: Mapping[str, MetricValue],
    windows: list[Window],
    baseline: Window | None,
) -> MetricValue:
    """A1: the share of the other measures with a value in the period and a baseline."""
    scope = [value for metric_id, value in values.items() if metric_id != metric.id]
    result = empty_value(metric)
    result.n = len(scope)
    if not scope:
        result.note, result.availability = "no measures in scope", "no_records"
        return result

    def share(ready: int) -> float:
        return round(100 * ready / len(scope), 2)

    def has_baseline_by(window: Window) -> bool:
        return baseline is not None and baseline.period.end <= window.period.start

    with_data = [value for value in scope if value.value is not None]
    ready = [value for value in with_data if value.baseline is not None]
    if baseline is None:
        # Nothing before the period to compare with: readiness cannot be told yet, it is not 0%.
        result.details = {"in_scope": len(scope), "with_data": len(with_data), "with_data_and_baseline": 0}
        result.status, result.availability = "no baseline", "no_baseline"
        result.note = (
            f"no baseline yet: the data holds nothing before the period; {len(with_data)} of {len(scope)} "
            "measures have data in it and become ready once there is a baseline to compare with"
        )
        return result
    result.value = share(len(ready))
    previous = next((window for window in windows if window.name == "previous"), None)
    if previous is not None and has_baseline_by(previous):
        result.previous = share(
            sum(value.previous is not None and value.baseline is not None for value in scope)
        )
        result.change_vs_previous = round(result.value - result.previous, 2)
    months = [window for window in windows if window.name.startswith("month:")]
    result.trend = [
        TrendPoint(
            month=window.name.removeprefix("month:"),
            value=share(
                sum(
                    has_baseline_by(window)
                    and value.baseline is not None
                    and _month_value(value, window) is not None
                    for value in scope
                )
            ),
            n=len(scope),
        )
        for window in months
    ]
    result.details = {
        "in_scope": len(scope),
        "with_data": len(with_data),
        "with_data_and_baseline": len(ready),
    }
    result.score = result.value
    result.status = scoring.status_for_score(result.score)
    ready_ids = {value.id for value in ready}
    not_ready = [value.id for value in scope if value.id not in ready_ids]
    result.note = "scored by its own value; not ready: " + (", ".join(not_ready) if not_ready else "none")
    return result


def _month_value(value: MetricValue, window: Window) -> float | None:
    month = window.name.removeprefix("month:")
    return next((point.value for point in value.trend if point.month == month), None)
