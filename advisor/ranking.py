"""Ranking next steps for the weak metrics of a scorecard (SCORECARD.md, "Smartest next step").

The walking skeleton applies: measurement gaps first, then the size of the gap (the metric's score) and its
trend, leverage across several weak metrics, and quick wins first when gaps are equal.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from advisor.models import MetricOutcome, Recommendation, TargetedMetric
from advisor.outcomes import describe_outcome
from knowledge.models import Practice
from metrics.models import MetricValue, Scorecard
from prompts import format_number

MEASUREMENT_READINESS = "A1"
#: Metrics that cannot be judged until the organisation measures them (suppressed groups are not gaps).
MEASUREMENT_GAPS = frozenset({"missing_tables", "no_records", "no_baseline"})
EFFORT_ORDER = {"S": 0, "M": 1, "L": 2}
#: Score added (or taken) per measured outcome of the organisation's own past use of a practice.
EVIDENCE_WEIGHT = 20.0
#: Added per further weak metric a practice moves at once (leverage).
LEVERAGE_WEIGHT = 15.0
#: What a concern still counts once an earlier recommendation answers it.
COVERED_WEIGHT = 0.25
#: Leading measures move before the lagging outcomes they drive (knowledge use, people, hand-offs before
#: self-service success, satisfaction and revenue), so their concerns come first when gaps are equal.
LEADING_METRICS = frozenset({"K1", "K2", "K3", "K4", "K6", "E1", "E2", "E3", "E4", "C5", "C6"})
LEADING_WEIGHT = 10.0
#: Months of trend a recommendation carries for each metric it targets.
TREND_MONTHS = 6
#: Activity measures are coaching signals, not targets: they count for half.
ACTIVITY_WEIGHT = 0.5


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
        severity += LEADING_WEIGHT if metric.id in LEADING_METRICS else 0.0
        severity *= ACTIVITY_WEIGHT if metric.kind == "activity" else 1.0
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


@dataclass(frozen=True)
class Candidate:
    practice: Practice
    matched: list[Concern]
    proof: list[MetricOutcome]

    def value(self, covered: frozenset[str]) -> float:
        """How much choosing this practice now would add: concerns already answered count for little."""
        weights = [
            concern.severity * (COVERED_WEIGHT if concern.metric.id in covered else 1.0)
            for concern in self.matched
        ]
        fresh = sum(concern.metric.id not in covered for concern in self.matched)
        track_record = sum(
            EVIDENCE_WEIGHT if outcome.improved else -EVIDENCE_WEIGHT for outcome in self.proof
        )
        return max(weights) + LEVERAGE_WEIGHT * max(0, fresh - 1) + track_record


def rank_next_steps(
    scorecard: Scorecard,
    practices: Sequence[Practice],
    *,
    limit: int = 5,
    evidence: Mapping[str, Sequence[MetricOutcome]] | None = None,
) -> list[Recommendation]:
    """The practices that best answer the scorecard's concerns, best first.

    Chosen one at a time: each next practice is the one that adds most to what the earlier ones already
    answer, so the first is the clearest step and the alternatives reach the other weak categories.
    `evidence` holds the organisation's own measured outcomes per practice: a practice that moved one of
    the concerned metrics the right way before ranks higher, one that made it worse ranks lower.
    """
    evidence = evidence or {}
    found = concerns(scorecard)
    gaps = [concern for concern in found if concern.metric.availability in MEASUREMENT_GAPS]
    pool = []
    for practice in practices:
        matched = [
            concern for concern in found if concern not in gaps and concern.metric.id in practice.metrics
        ]
        if MEASUREMENT_READINESS in practice.metrics:
            matched = gaps + matched
        if matched:
            proof = _relevant_outcomes(evidence.get(practice.id, ()), matched)
            pool.append(Candidate(practice, matched, proof))
    chosen: list[Candidate] = []
    covered: frozenset[str] = frozenset()
    while pool and len(chosen) < limit:
        best = min(
            pool,
            key=lambda c: (-c.value(covered), EFFORT_ORDER[c.practice.effort], c.practice.id),
        )
        pool.remove(best)
        chosen.append(best)
        covered |= {concern.metric.id for concern in best.matched}
    return [
        _recommendation(rank, candidate.practice, candidate.matched, candidate.proof)
        for rank, candidate in enumerate(chosen, start=1)
    ]


def _relevant_outcomes(outcomes: Iterable[MetricOutcome], matched: list[Concern]) -> list[MetricOutcome]:
    wanted = {concern.metric.id for concern in matched}
    return [outcome for outcome in outcomes if outcome.metric_id in wanted and outcome.improved is not None]


def _recommendation(
    rank: int, practice: Practice, matched: list[Concern], proof: list[MetricOutcome]
) -> Recommendation:
    metrics = [concern.metric for concern in matched]
    why = " ".join(concern.reason for concern in matched)
    if proof:
        why += " Our own evidence: " + "; ".join(describe_outcome(outcome) for outcome in proof) + "."
    return Recommendation(
        rank=rank,
        title=practice.title,
        practice_id=practice.id,
        targets=[metric.id for metric in metrics],
        why=why,
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
                previous=metric.previous,
                change_vs_previous=metric.change_vs_previous,
                trend=metric.trend[-TREND_MONTHS:],
            )
            for metric in metrics
        ],
        level=practice.level,
        effort=practice.effort,
        time_to_impact=practice.time_to_impact,
        steps=practice.section("Steps"),
        measure=practice.section("How success will be measured"),
    )
