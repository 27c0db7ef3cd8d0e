"""Ranking next steps for the weak metrics of a scorecard (SCORECARD.md, "Smartest next step").

Next steps answer measured weaknesses: the size of the gap (the metric's score) and its trend, leading before
lagging, leverage across several weak metrics, the organisation's own evidence, and quick wins first when
gaps are equal. A metric without data or without a baseline is not a weakness: it goes to its own "measure
next" list (`measurement_gaps`), with the measurement practice that starts it, and never pushes a measured
weakness down. A practice is offered only for the metrics its front matter says it moves, and only when the
metrics it works from (`requires`) have data.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence, Set
from dataclasses import dataclass

from advisor.models import MeasurementGap, MetricOutcome, Recommendation, TargetedMetric
from advisor.outcomes import describe_outcome
from knowledge.models import Practice
from metrics.definitions import METRICS_BY_ID
from metrics.models import MetricValue, Scorecard
from prompts import format_value

MEASUREMENT_READINESS = "A1"
#: Metrics that cannot be judged until the organisation measures them (suppressed groups are not gaps).
MEASUREMENT_GAPS = frozenset({"missing_tables", "missing_events", "no_records", "no_baseline"})
#: The general measurement practices, for a gap no more specific practice starts.
START_MEASURING = "acc-capture-key-moments-at-source"
START_BASELINE = "acc-baseline-before-improving"
#: Gaps that need only time (a baseline) before those that need new data.
GAP_ORDER = {"no_baseline": 0, "no_records": 1, "missing_events": 2, "missing_tables": 3}
EFFORT_ORDER = {"S": 0, "M": 1, "L": 2}
#: Score added (or taken) per measured outcome of the organisation's own past use of a practice: a step
#: that measurably worked here rises, one that made things worse falls, and one with no clear change falls
#: by half as much (it did not show that it works here). Evidence against the metric's own history (no
#: untouched group to compare with) is weaker and counts half; "too early" and "cannot be judged" count nothing.
EVIDENCE_WEIGHT = 20.0
NO_CLEAR_CHANGE_WEIGHT = -0.5
VERDICT_WEIGHTS = {"better": 1.0, "worse": -1.0, "no_clear_change": NO_CLEAR_CHANGE_WEIGHT}
WEAKER_EVIDENCE = {"interrupted_time_series": 0.5}
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
    """A measured metric that asks for action, and how urgently."""

    metric: MetricValue
    severity: float
    reason: str


def concerns(scorecard: Scorecard) -> list[Concern]:
    """Weak and watch metrics that have data to judge them by, most urgent first.

    Unmeasured metrics are not concerns (see `measurement_gaps`), nor is measurement readiness (A1): it
    counts the gaps, which the "measure next" list answers one by one.
    """
    found = []
    for metric in scorecard.all_metrics():
        if metric.availability in MEASUREMENT_GAPS or metric.id == MEASUREMENT_READINESS:
            continue
        if metric.score is None or metric.value is None or metric.status == "strong":
            continue
        severity = 100.0 - metric.score + (10.0 if worsening(metric) else 0.0)
        severity += LEADING_WEIGHT if metric.id in LEADING_METRICS else 0.0
        severity *= ACTIVITY_WEIGHT if metric.kind == "activity" else 1.0
        found.append(Concern(metric, severity, describe(metric)))
    return sorted(_carried_by_components(found), key=lambda concern: -concern.severity)


def _carried_by_components(found: list[Concern]) -> list[Concern]:
    """A weak composite (C1, from NPS and CSAT) is answered through its weakest component: it carries the
    composite's urgency and the composite steps aside, as the category score does not count it again. A
    composite none of whose components asks for action stays a concern of its own."""
    by_id = {concern.metric.id: concern for concern in found}
    carried: dict[str, float] = {}
    composites = set()
    for concern in found:
        definition = METRICS_BY_ID.get(concern.metric.id)
        components = [by_id[c] for c in (definition.components if definition else ()) if c in by_id]
        if components:
            composites.add(concern.metric.id)
            weakest = min(components, key=lambda component: component.metric.score or 0.0)
            carried[weakest.metric.id] = max(carried.get(weakest.metric.id, 0.0), concern.severity)
    return [
        Concern(concern.metric, max(concern.severity, carried.get(concern.metric.id, 0.0)), concern.reason)
        for concern in found
        if concern.metric.id not in composites
    ]


def worsening(metric: MetricValue) -> bool:
    if metric.change_vs_previous is None:
        return False
    change = metric.change_vs_previous
    return change > 0 if metric.direction == "lower" else change < 0


def describe(metric: MetricValue) -> str:
    """One sentence a leader can check: value, reference, trend."""
    text = f"{metric.id} {metric.name} is {metric.status}: {format_value(metric.value, metric.unit)}"
    if metric.compared_with == "target" and metric.target is not None:
        text += f" against a target of {format_value(metric.target, metric.unit)}"
    elif metric.compared_with == "baseline" and metric.baseline is not None:
        text += f" against its baseline of {format_value(metric.baseline, metric.unit)}"
    if metric.change_vs_previous is not None and worsening(metric):
        text += f", worse than the previous period ({format_value(metric.previous, metric.unit)})"
    return text + f" (n = {metric.n:,})."


def has_data(scorecard: Scorecard, metric_id: str) -> bool:
    """Whether the scorecard holds a value for `metric_id` (one it does not define has none)."""
    try:
        return scorecard.metric(metric_id).value is not None
    except KeyError:
        return False


def is_measurement_practice(practice: Practice) -> bool:
    """A practice that starts or repairs measurement (it moves measurement readiness, A1): it answers a
    data gap, not a measured weakness."""
    return MEASUREMENT_READINESS in practice.metrics


def offered(practice: Practice, scorecard: Scorecard) -> bool:
    """Whether `practice` may be recommended as a next step: it improves (not measures), and every metric it
    works from has data."""
    return not is_measurement_practice(practice) and all(
        has_data(scorecard, metric_id) for metric_id in practice.requires
    )


def measurement_gaps(scorecard: Scorecard, practices: Sequence[Practice]) -> list[MeasurementGap]:
    """The metrics the organisation cannot be judged on yet, those that need only time first, each with
    the practice that starts measuring it (front matter `measures`; else the general one for its kind of
    gap): the "measure next" list."""
    by_id = {practice.id: practice for practice in practices}
    # the most specific first: a practice that starts few measures, then quick wins
    measuring = sorted(
        (practice for practice in practices if practice.measures),
        key=lambda practice: (len(practice.measures), EFFORT_ORDER[practice.effort], practice.id),
    )
    gaps = []
    for metric in scorecard.all_metrics():
        if metric.availability not in MEASUREMENT_GAPS or metric.id == MEASUREMENT_READINESS:
            continue
        specific = next((practice for practice in measuring if metric.id in practice.measures), None)
        general = by_id.get(START_BASELINE if metric.availability == "no_baseline" else START_MEASURING)
        practice = specific or general
        gaps.append(
            MeasurementGap(
                metric_id=metric.id,
                name=metric.name,
                category=metric.category,
                availability=metric.availability,  # type: ignore[arg-type]
                reason=_gap_reason(metric),
                tables=list(metric.tables),
                practice_id=practice.id if practice else None,
                practice_title=practice.title if practice else None,
            )
        )
    return sorted(gaps, key=lambda gap: GAP_ORDER[gap.availability])


def _gap_reason(metric: MetricValue) -> str:
    """'C1b CSAT%: needs the table(s): surveys.': the scorecard's own note, else what kind of gap it is."""
    if metric.note:
        reason = metric.note
    elif metric.availability == "no_baseline":
        reason = "it has data but no baseline yet to judge it against"
    elif metric.availability == "no_records":
        reason = "its tables hold no records for the period"
    elif metric.availability == "missing_events":
        reason = "its tables lack the events it counts"
    else:
        reason = f"needs the table(s): {', '.join(metric.tables)}" if metric.tables else "it has no data"
    return f"{metric.id} {metric.name}: {reason.rstrip('.')}."


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
        track_record = sum(evidence_weight(outcome) for outcome in self.proof)
        return max(weights) + LEVERAGE_WEIGHT * max(0, fresh - 1) + track_record


def rank_next_steps(
    scorecard: Scorecard,
    practices: Sequence[Practice],
    *,
    limit: int = 5,
    evidence: Mapping[str, Sequence[MetricOutcome]] | None = None,
) -> list[Recommendation]:
    """The practices that best answer the scorecard's measured weaknesses, best first.

    Chosen one at a time: each next practice is the one that adds most to what the earlier ones already
    answer, so the first is the clearest step and the alternatives reach the other weak categories.
    `evidence` holds the organisation's own measured outcomes per practice: a practice that moved one of
    the concerned metrics the right way before ranks higher, one that made it worse ranks lower.
    """
    evidence = evidence or {}
    found = concerns(scorecard)
    pool = []
    for practice in practices:
        if not offered(practice, scorecard):
            continue
        matched = [concern for concern in found if concern.metric.id in practice.metrics]
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
    described: set[str] = set()
    ranked = []
    for rank, candidate in enumerate(chosen, start=1):
        ranked.append(
            _recommendation(rank, candidate.practice, candidate.matched, candidate.proof, described)
        )
        described |= {concern.metric.id for concern in candidate.matched}
    return ranked


def _named(metric: MetricValue) -> str:
    """'Another way to move C6 Hand-offs per ticket, weak at 1.25 hand-offs per ticket.'"""
    return f"Another way to move {metric.id} {metric.name}, {metric.status} at {format_value(metric.value, metric.unit)}."


def evidence_weight(outcome: MetricOutcome) -> float:
    """What one measured outcome adds to its practice's value (see EVIDENCE_WEIGHT)."""
    if outcome.verdict is None:  # measured before verdicts: the plain before/after change
        return (
            0.0 if outcome.improved is None else (EVIDENCE_WEIGHT if outcome.improved else -EVIDENCE_WEIGHT)
        )
    weight = VERDICT_WEIGHTS.get(outcome.verdict, 0.0) * WEAKER_EVIDENCE.get(outcome.method, 1.0)
    return EVIDENCE_WEIGHT * weight


def _relevant_outcomes(outcomes: Iterable[MetricOutcome], matched: list[Concern]) -> list[MetricOutcome]:
    """The outcomes for the matched metrics that judge the step (a verdict of better, worse or no clear
    change; a plain change for outcomes measured before verdicts), so each is shown with its result."""
    wanted = {concern.metric.id for concern in matched}
    return [
        outcome
        for outcome in outcomes
        if outcome.metric_id in wanted
        and (outcome.verdict in VERDICT_WEIGHTS or (outcome.verdict is None and outcome.improved is not None))
    ]


def _recommendation(
    rank: int,
    practice: Practice,
    matched: list[Concern],
    proof: list[MetricOutcome],
    described: Set[str],
) -> Recommendation:
    """The step for `practice`; a metric an earlier step already explains is only named, with its value."""
    metrics = [concern.metric for concern in matched]
    why = " ".join(
        concern.reason if concern.metric.id not in described else _named(concern.metric)
        for concern in matched
    )
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
