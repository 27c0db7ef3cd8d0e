"""Ranking next steps for the weak metrics of a scorecard (SCORECARD.md, "Smartest next step").

The walking skeleton applies: measurement gaps first, then the size of the gap (the metric's score) and its
trend, leverage across several weak metrics, and quick wins first when gaps are equal.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from advisor.models import Recommendation, TargetedMetric
from knowledge.models import Practice
from metrics.models import MetricValue, Scorecard
from prompts import format_number

MEASUREMENT_READINESS = "A1"
#: Metrics that cannot be judged until the organisation measures them (suppressed groups are not gaps).
MEASUREMENT_GAPS = frozenset({"missing_tables", "no_records", "no_baseline"})
EFFORT_ORDER = {"S": 0, "M": 1, "L": 2}


@dataclass(frozen=True)
class Concern:
    """A metric that asks for action, and how urgently."""

    metric: MetricValue
    severity: float
    reason: str


def concerns(scorecard: Scorecard) -> list[Concern]:
    """Weak, watch and unmeasured metrics, most urgent first."""
    found = []
    for metric in scorecard.all_metrics():
        if metric.availability in MEASUREMENT_GAPS:
            found.append(
                Concern(metric, 200.0, f"{metric.id} {metric.name} cannot be judged yet: {metric.note}.")
            )
            continue
        if metric.score is None or metric.status == "strong":
            continue
        severity = 100.0 - metric.score + (10.0 if worsening(metric) else 0.0)
        found.append(Concern(metric, severity, describe(metric)))
    return sorted(found, key=lambda concern: -concern.severity)


def worsening(metric: MetricValue) -> bool:
    if metric.change_vs_previous is None:
        return False
    change = metric.change_vs_previous
    return change > 0 if metric.direction == "lower" else change < 0


def describe(metric: MetricValue) -> str:
    """One sentence a leader can check: value, reference, trend."""
    unit = f" {metric.unit}" if metric.unit != "%" else "%"
    text = f"{metric.id} {metric.name} is {metric.status}: {format_number(metric.value, 2)}{unit}"
    if metric.compared_with == "target" and metric.target is not None:
        text += f" against a target of {format_number(metric.target, 2)}{unit}"
    elif metric.compared_with == "baseline" and metric.baseline is not None:
        text += f" against the organisation's baseline of {format_number(metric.baseline, 2)}{unit}"
    if metric.change_vs_previous is not None and worsening(metric):
        text += f", worse than the previous period ({format_number(metric.previous, 2)}{unit})"
    return text + f" (n = {metric.n:,})."


def rank_next_steps(
    scorecard: Scorecard, practices: Sequence[Practice], *, limit: int = 5
) -> list[Recommendation]:
    """The practices that best answer the scorecard's concerns, best first."""
    found = concerns(scorecard)
    gaps = [concern for concern in found if concern.metric.availability in MEASUREMENT_GAPS]
    candidates = []
    for practice in practices:
        matched = [
            concern for concern in found if concern not in gaps and concern.metric.id in practice.metrics
        ]
        if MEASUREMENT_READINESS in practice.metrics:
            matched = gaps + matched
        if not matched:
            continue
        leverage = 15.0 * (len(matched) - 1)
        score = max(concern.severity for concern in matched) + leverage
        candidates.append((score, -EFFORT_ORDER[practice.effort], practice.id, practice, matched))
    candidates.sort(key=lambda item: (-item[0], -item[1], item[2]))
    return [
        _recommendation(rank, practice, matched)
        for rank, (_, _, _, practice, matched) in enumerate(candidates[:limit], start=1)
    ]


def _recommendation(rank: int, practice: Practice, matched: list[Concern]) -> Recommendation:
    metrics = [concern.metric for concern in matched]
    return Recommendation(
        rank=rank,
        title=practice.title,
        practice_id=practice.id,
        targets=[metric.id for metric in metrics],
        why=" ".join(concern.reason for concern in matched),
        sources=[
            f"practice:{practice.id}",
            *(f"metric:{metric.id}" for metric in metrics),
            *practice.sources,
        ],
        metrics=[
            TargetedMetric(
                id=metric.id,
                name=metric.name,
                value=metric.value,
                unit=metric.unit,
                target=metric.target,
                baseline=metric.baseline,
                status=metric.status,
                compared_with=metric.compared_with,
            )
            for metric in metrics
        ],
        level=practice.level,
        effort=practice.effort,
        time_to_impact=practice.time_to_impact,
        steps=practice.section("Steps"),
        measure=practice.section("How success will be measured"),
    )
