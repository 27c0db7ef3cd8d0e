"""Drill-down of a metric by team, product, channel or segment: guiding, not grading.

Groups are listed by name, never ranked, and there is no per-person view (a person is not a dimension).
A group smaller than the minimum size (people for people-based metrics, else records) shows neither its
value nor its n. When exactly one group is hidden, the next smallest is hidden too, so the hidden group's
figures cannot be worked out from the organisation's total and the other groups.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from metrics import scoring
from metrics.aggregation import Stats, headline, noise_band
from metrics.definition_types import MetricDefinition
from metrics.models import GroupValue, MetricValue, Scorecard

if TYPE_CHECKING:
    from metrics.measure import Context

NOT_SET = "(not set)"
GROUP_WINDOWS = ("period", "previous", "baseline")


def attach_groups(context: Context, metric: MetricDefinition, records_sql: str, result: MetricValue) -> None:
    """Fill `result.groups` for `context.by` (or `groups_note` when the records carry no such dimension)."""
    by = context.by
    assert by is not None
    windows = [window for window in context.windows if window.name in GROUP_WINDOWS]
    stats = context.aggregate(records_sql, metric.aggregation, windows, people=metric.people, by=by)
    period = {group: value for (name, group), value in stats.items() if name == "period"}
    baseline = {group: value for (name, group), value in stats.items() if name == "baseline"}
    if not period:
        return
    if set(period) == {None}:
        result.groups_note = f"not available by {by}: its records carry no {by}"
        return
    hidden = _hidden(period, context.min_group_size)
    groups = []
    for group, current in period.items():
        label = NOT_SET if group is None else str(group)
        if group in hidden:
            groups.append(
                GroupValue(
                    group=label, value=None, n=None, status="no data", suppressed=True, note=hidden[group]
                )
            )
            continue
        value = headline(current, context.min_group_size)
        reference = headline(baseline.get(group), context.min_group_size)
        noise = noise_band(current, baseline.get(group))
        groups.append(group_value(metric, label, value, current.n, reference, noise=noise))
    result.groups = sort_groups(groups)


def group_value(
    metric: MetricDefinition,
    label: str,
    value: float | None,
    n: int | None,
    baseline: float | None,
    *,
    noise: float | None = None,
) -> GroupValue:
    """A visible group, judged like the metric: its target, else the group's own baseline, with the noise
    band of its own size (a small group's change must be larger before it is called worse)."""
    group = GroupValue(group=label, value=value, n=n, status="no data", baseline=baseline)
    if value is None:
        group.note = "no value in the period"
        return group
    if baseline is not None:
        group.change_vs_baseline = round(value - baseline, 2)
    assessed = scoring.assess(
        value,
        direction=metric.direction,
        target=metric.target.value if metric.target else None,
        target_tolerance=metric.target.tolerance if metric.target else None,
        baseline=baseline,
        baseline_relative=metric.baseline_tolerance,
        baseline_band=metric.baseline_band,
        noise_band=noise,
    )
    if assessed is None:
        group.status, group.note = "no baseline", "no baseline for this group yet"
    else:
        group.status, group.score, group.compared_with = assessed
    return group


def _hidden(period: dict[str | None, Stats], min_group_size: int) -> dict[str | None, str]:
    """Groups to suppress, with the reason shown in their place."""
    small = {group for group, stats in period.items() if stats.size < min_group_size}
    hidden = {group: f"fewer than {min_group_size} people or records: suppressed" for group in small}
    shown = [group for group in period if group not in small]
    if len(small) == 1 and shown:
        # Complementary suppression: one hidden group could be worked out from the total and the rest.
        smallest = min(shown, key=lambda group: (period[group].size, str(group)))
        hidden[smallest] = "suppressed too, so that a smaller group cannot be worked out from the total"
    return hidden


def sort_groups(groups: list[GroupValue]) -> list[GroupValue]:
    """By name, '(not set)' last: a drill-down lists groups, it never ranks them."""
    return sorted(groups, key=lambda group: (group.group == NOT_SET, group.group.lower()))


def focus_on_group(scorecard: Scorecard, group: str) -> Scorecard:
    """The drilled-down `scorecard` as one of its groups sees it: each metric takes that group's value,
    status and baseline, so next steps can be ranked for one team, product, channel or segment.

    A metric whose records carry no such dimension, or whose group is hidden as too small, becomes
    "suppressed" for the group: it is neither a weakness of the group nor a measurement gap.
    """
    if scorecard.drilldown is None:
        raise ValueError("focus_on_group needs a scorecard drilled down by the group's dimension")
    by, wanted = scorecard.drilldown.by, group.lower()
    categories = []
    for category in scorecard.categories:
        metrics = [_focused(metric, by, wanted) for metric in category.metrics]
        categories.append(category.model_copy(update={"metrics": metrics}))
    return scorecard.model_copy(update={"categories": categories})


def _focused(metric: MetricValue, by: str, wanted: str) -> MetricValue:
    if metric.value is None and not metric.groups:
        return metric  # no data for anyone: still a measurement gap
    found = next((g for g in metric.groups if g.group.lower() == wanted and not g.suppressed), None)
    if found is None or found.value is None:
        return metric.model_copy(
            update={
                "value": None, "status": "no data", "score": None, "availability": "suppressed",
                "note": f"no figure for this {by}", "groups": [], "trend": [],
            }
        )  # fmt: skip
    return metric.model_copy(
        update={
            "value": found.value, "n": found.n or 0, "status": found.status, "score": found.score,
            "baseline": found.baseline, "change_vs_baseline": found.change_vs_baseline,
            "compared_with": found.compared_with, "previous": None, "change_vs_previous": None,
            "availability": "ok" if found.status != "no baseline" else "no_baseline",
            "note": f"{found.group} only", "groups": [], "trend": [], "details": {},
        }
    )  # fmt: skip
