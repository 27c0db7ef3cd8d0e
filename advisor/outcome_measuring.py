"""Judging a recommendation's targeted metrics: weekly figures around the step, the right comparison,
and a verdict in words a leader can act on.

The weeks are counted from the day the work started (week 0 is its first week). A scoped step is compared
with the other groups of its dimension that have enough records on both sides and that no other step for
the same metric touched at the time (`outcome_estimates.difference_in_differences`); a step for everyone,
or one whose group has no comparable neighbour, with its own history (`interrupted_time_series`). Groups
smaller than the minimum group size are never shown; too few records after the start is "too early to tell",
with the day more data should make it measurable.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from advisor.models import MetricOutcome, OutcomePoint, OutcomeVerdict
from advisor.outcome_estimates import (
    Cell,
    Estimate,
    NotEstimable,
    difference_in_differences,
    interrupted_time_series,
)
from metrics.definitions import METRICS_BY_ID
from metrics.models import Dimension, Period
from metrics.records import DIMENSIONS
from metrics.series import SeriesPoint

#: Weeks before the start that a comparison with other groups looks at (a quarter), and that a comparison
#: with the metric's own history looks at (half a year: its trend needs the longer view).
COMPARISON_WEEKS = 13
HISTORY_WEEKS = 26
#: At most this many weeks after the start count (later ones say more about other changes than the step).
MAX_WEEKS_AFTER = 26
#: Fewest weeks with figures, and fewest records, on each side of the start before anything is judged.
MIN_WEEKS = 2
MIN_RECORDS = 10
ORGANISATION = "organisation"

SeriesFor = Callable[[str, Sequence[Period], Dimension | None], list[SeriesPoint]]


@dataclass(frozen=True)
class Step:
    """Where and when the step happened: its scope (dimension and group, or None for everyone), its start,
    its end (None while it runs), and the data's end (exclusive)."""

    scope: tuple[Dimension, str] | None
    start: date
    end: date | None
    data_end: date

    @property
    def until(self) -> date:
        """The end of the weeks after the start: the step's end (or at least two weeks), the data's end,
        or half a year, whichever comes first."""
        wanted = max(self.end or self.data_end, self.start + timedelta(weeks=MIN_WEEKS))
        return min(self.data_end, wanted, self.start + timedelta(weeks=MAX_WEEKS_AFTER))


def scope_of(scope: dict[str, str] | None) -> tuple[Dimension, str] | None:
    """The recommendation's scope as a (dimension, group) to compare, or None (a step for everyone)."""
    if not scope:
        return None
    dimension, group = next(iter(scope.items()))
    return (dimension, group) if dimension in DIMENSIONS else None  # type: ignore[return-value]


def weeks_around(step: Step, weeks_before: int) -> dict[int, Period]:
    """Whole weeks counted from the start: `weeks_before` before it, then those that fit before `until`."""
    weeks = {index: _week(step.start, index) for index in range(-weeks_before, 0)}
    index = 0
    while step.start + timedelta(weeks=index + 1) <= step.until:
        weeks[index] = _week(step.start, index)
        index += 1
    return weeks


def _week(start: date, index: int) -> Period:
    first = start + timedelta(weeks=index)
    return Period(first, first + timedelta(weeks=1))


def judge_metric(
    metric_id: str,
    step: Step,
    series_for: SeriesFor,
    *,
    plain: MetricOutcome,
    min_group_size: int,
    touched: Collection[str] = (),
) -> MetricOutcome:
    """`plain` (the before/after figures) with the step's estimated effect, interval, verdict and chart.

    `touched` names groups another step for this metric worked on at the time: they are no comparison."""
    definition = METRICS_BY_ID[metric_id]
    fields: dict[str, object] = {"step_start": step.start, "step_end": step.end, "scope": None}
    if step.scope is not None:
        fields["scope"] = {step.scope[0]: step.scope[1]}
    if definition.derived:
        parts = " and ".join(definition.components) or "the other measures"
        return plain.model_copy(
            update={
                **fields, "verdict": "not_comparable",
                "note": f"{metric_id} is built from {parts}, not counted record by record: judge those",
            }
        )  # fmt: skip
    if step.until < step.start + timedelta(weeks=MIN_WEEKS):
        return plain.model_copy(
            update={
                **fields, "verdict": "too_early", "measurable_from": step.start + timedelta(weeks=MIN_WEEKS),
                "note": f"fewer than {MIN_WEEKS} weeks of data since the step started",
            }
        )  # fmt: skip
    history = step.scope is None
    weeks = weeks_around(step, HISTORY_WEEKS if history else COMPARISON_WEEKS)
    by = None if step.scope is None else step.scope[0]
    week_of = {period: index for index, period in weeks.items()}
    points = series_for(metric_id, list(weeks.values()), by)
    labelled = [(_label(point, by), point) for point in points]
    cells = [
        Cell(label, week_of[point.window], point.value, point.n)
        for label, point in labelled
        if label is not None and point.value is not None
    ]
    sizes = {(label, week_of[point.window]): point.size for label, point in labelled if label is not None}
    treated = ORGANISATION if step.scope is None else step.scope[1]
    mine = [cell for cell in cells if cell.group == treated]
    need = max(min_group_size, MIN_RECORDS)
    problem = _too_little(mine, need, step, treated)
    if problem is not None:
        return plain.model_copy(
            update={**fields, "verdict": problem[0], "note": problem[1], "measurable_from": problem[2]}
        )
    comparison = sorted(
        group
        for group in {cell.group for cell in cells} - {treated} - set(touched)
        if _enough([cell for cell in cells if cell.group == group], need)
    )
    note: str | None = None
    try:
        if comparison:
            used = [cell for cell in cells if cell.group in {treated, *comparison}]
            estimate = difference_in_differences(used, treated)
        else:
            estimate = interrupted_time_series(mine)
            note = _weaker_evidence(step)
    except NotEstimable as error:
        return plain.model_copy(
            update={**fields, "verdict": "not_comparable", "note": f"cannot be estimated: {error}"}
        )
    verdict: OutcomeVerdict = _verdict(estimate, plain.direction)
    pre_trends = {True: "parallel", False: "diverged", None: "unchecked"}[estimate.parallel]
    if estimate.parallel is False:
        verdict = "not_comparable"
        note = (
            f"before the step, {treated} and the groups it is compared with did not move together "
            f"(a difference of {estimate.pre_trend:+.3g} a week, p = {estimate.pre_trend_p:.2g}), "
            "so the comparison cannot be trusted"
        )
    chart = _chart(weeks, cells, sizes, treated, comparison, estimate, min_group_size)
    return plain.model_copy(
        update={
            **fields,
            "method": estimate.method,
            "comparison": comparison,
            "estimate": round(estimate.effect, 4),
            "low": round(estimate.low, 4),
            "high": round(estimate.high, 4),
            "confidence": estimate.confidence,
            "verdict": verdict,
            "pre_trends": pre_trends,
            "note": note,
            "series": chart,
        }
    )


def _label(point: SeriesPoint, by: Dimension | None) -> str | None:
    """The cell's group: the organisation when not grouped; None for records without the dimension."""
    return ORGANISATION if by is None else point.group


def _enough(cells: Sequence[Cell], need: int) -> bool:
    before = [cell for cell in cells if cell.week < 0]
    after = [cell for cell in cells if cell.week >= 0]
    return all(
        len({cell.week for cell in side}) >= MIN_WEEKS and sum(cell.n for cell in side) >= need
        for side in (before, after)
    )


def _too_little(
    mine: Sequence[Cell], need: int, step: Step, treated: str
) -> tuple[OutcomeVerdict, str, date | None] | None:
    """Why the scoped group (or organisation) cannot be judged yet, or None when it can."""
    before = [cell for cell in mine if cell.week < 0]
    after = [cell for cell in mine if cell.week >= 0]
    records_before, records_after = sum(c.n for c in before), sum(c.n for c in after)
    if records_before and not records_after:
        return (
            "not_comparable",
            f"{treated} has no records since the step started (renamed, merged or closed?)",
            None,
        )
    if len({c.week for c in before}) < MIN_WEEKS or records_before < need:
        small = " (a group this small is not shown)" if records_before < need else ""
        return "not_comparable", f"too few records of {treated} before the step to compare with{small}", None
    if len({c.week for c in after}) >= MIN_WEEKS and records_after >= need:
        return None
    days = max((step.until - step.start).days, 1)
    per_day = records_after / days
    if per_day <= 0:
        return "too_early", f"no records of {treated} since the step started yet", None
    wait = math.ceil(max(need - records_after, 0) / per_day)
    ready = max(step.until + timedelta(days=wait), step.start + timedelta(weeks=MIN_WEEKS))
    return (
        "too_early",
        f"{records_after} records of {treated} since the step started; {need} are needed",
        ready,
    )


def _verdict(estimate: Estimate, direction: str) -> OutcomeVerdict:
    """Better or worse only when the whole interval lies on one side of no change."""
    if estimate.low > 0 or estimate.high < 0:
        lower = estimate.high < 0
        return "better" if lower == (direction == "lower") else "worse"
    return "no_clear_change"


def _weaker_evidence(step: Step) -> str:
    if step.scope is None:
        return (
            "weaker evidence: the step covered the whole organisation, so there is no untouched group to "
            "compare with; the weeks after the start are compared with the line the weeks before drew, and "
            "anything else that changed at the same time is counted too"
        )
    return (
        f"weaker evidence: no other {step.scope[0]} has enough records to compare {step.scope[1]} with; "
        "it is compared with the line its own weeks before the start drew"
    )


def _chart(
    weeks: dict[int, Period],
    cells: Sequence[Cell],
    sizes: dict[tuple[str, int], int],
    treated: str,
    comparison: Sequence[str],
    estimate: Estimate,
    min_group_size: int,
) -> list[OutcomePoint]:
    """Week by week: the scoped group against the comparison groups together (weighted by their records),
    or against what its history predicted; a week resting on fewer than the minimum group size is blank."""
    points = []
    for index, period in sorted(weeks.items()):
        own = next((cell for cell in cells if cell.group == treated and cell.week == index), None)
        group = (
            round(own.value, 3)
            if own is not None and sizes.get((treated, index), 0) >= min_group_size
            else None
        )
        if comparison:
            others = [cell for cell in cells if cell.group in comparison and cell.week == index]
            size = sum(sizes.get((cell.group, index), 0) for cell in others)
            weight = sum(cell.n for cell in others)
            value = sum(cell.value * cell.n for cell in others) / weight if weight else None
            other = round(value, 3) if value is not None and size >= min_group_size else None
        else:
            predicted = estimate.predicted.get(index)
            other = None if predicted is None else round(predicted, 3)
        points.append(OutcomePoint(week=period.start, group=group, comparison=other))
    return points
