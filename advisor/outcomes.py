"""Measuring what a done recommendation changed, and turning that into evidence for later advice.

The targeted metrics are compared over two windows of equal length: the one that ends when the work started,
and the one that ends when it was done (or where the data ends, if sooner). The length is that of the period
the recommendation was made for, shortened when less time has passed since the start.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date, timedelta

from advisor.models import MetricOutcome, TrackedRecommendation
from knowledge.models import Document
from metrics.models import Period, Scorecard
from prompts import format_number, format_value

#: Shorter windows than this say more about noise than about the change.
MIN_WINDOW_DAYS = 14


def outcome_windows(
    started: date, finished: date, data_end: date, length_days: int
) -> tuple[Period, Period] | None:
    """Equal before/after windows around the work, or None when too little time has passed to tell."""
    end = min(finished, data_end)
    length = min(length_days, (end - started).days)
    if length < MIN_WINDOW_DAYS:
        return None
    return (
        Period(started - timedelta(days=length), started),
        Period(end - timedelta(days=length), end),
    )


def measure_outcomes(
    recommendation: TrackedRecommendation,
    scorecard_for: Callable[[Period], Scorecard],
    data_end: date,
) -> list[MetricOutcome]:
    """The targeted metrics before and after the work; empty when the windows are too short."""
    started = next(
        (change.at.date() for change in recommendation.history if change.to_status == "in_progress"), None
    )
    finished = next(
        (change.at.date() for change in recommendation.history if change.to_status == "done"), None
    )
    if started is None or finished is None:
        return []
    length = (recommendation.period_end - recommendation.period_start).days
    windows = outcome_windows(started, finished, data_end, length)
    if windows is None:
        return []
    before, after = windows
    before_card, after_card = scorecard_for(before), scorecard_for(after)
    outcomes = []
    for metric_id in recommendation.targets:
        try:
            was, now = before_card.metric(metric_id), after_card.metric(metric_id)
        except KeyError:
            continue
        outcomes.append(
            MetricOutcome(
                metric_id=metric_id,
                name=now.name,
                unit=now.unit,
                direction=now.direction,
                before_start=before.start,
                before_end=before.end,
                before_value=was.value,
                before_n=was.n,
                after_start=after.start,
                after_end=after.end,
                after_value=now.value,
                after_n=now.n,
            )
        )
    return outcomes


def describe_outcome(outcome: MetricOutcome) -> str:
    """'C6 Hand-offs per ticket fell from 2.4 to 1.1 hand-offs per ticket, better (2026-03-01..2026-06-01
    against ...)': the change, in the metric's unit, and whether it went the right way."""
    if outcome.change is None:
        return f"{outcome.metric_id} {outcome.name} could not be compared (too few records in a window)"
    verb = "did not change" if outcome.change == 0 else ("rose" if outcome.change > 0 else "fell")
    judgement = "no better, no worse" if outcome.change == 0 else ("better" if outcome.improved else "worse")
    return (
        f"{outcome.metric_id} {outcome.name} {verb} "
        f"{_from_to(outcome.before_value, outcome.after_value, outcome.unit)}, {judgement} "
        f"({outcome.before_start}..{outcome.before_end} against {outcome.after_start}..{outcome.after_end})"
    )


def _from_to(before: float | None, after: float | None, unit: str) -> str:
    """'from 2.4 to 1.1 hand-offs per ticket' (a unit written after the number once), 'from 88% to 70%'."""
    written = format_value(after, unit)
    suffix = written.removeprefix(format_number(after, 2)) if after is not None else ""
    if suffix.startswith(" ") and not suffix.startswith((" / ", " : ")):
        return f"from {format_number(before, 2)} to {written}"
    return f"from {format_value(before, unit)} to {written}"


def solution_document(recommendation: TrackedRecommendation) -> Document:
    """A done recommendation with its measured effect, as a prior solution others can find."""
    finished = next(
        (change.at.date() for change in recommendation.history if change.to_status == "done"), None
    )
    quarter = f"{finished.year}-Q{(finished.month - 1) // 3 + 1}" if finished else "an earlier period"
    effects = (
        "; ".join(describe_outcome(outcome) for outcome in recommendation.outcomes)
        or "no measured effect yet"
    )
    title = f"{recommendation.title} ({recommendation.organisation}, {quarter})"
    text = (
        f"# {title}\n\n"
        f"In {quarter} {recommendation.organisation} applied the practice '{recommendation.title}' "
        f"({recommendation.practice_id}) for {', '.join(recommendation.targets)}. Measured effect: {effects}.\n\n"
        f"Why it was chosen: {recommendation.why}"
    )
    return Document(
        id=f"solution:{recommendation.id}",
        title=title,
        kind="solution",
        text=text,
        source=f"recommendation:{recommendation.id}",
        metadata={"practice_id": recommendation.practice_id, "metrics": ",".join(recommendation.targets)},
    )


def evidence_by_practice(recommendations: Iterable[TrackedRecommendation]) -> dict[str, list[MetricOutcome]]:
    """The measured outcomes of each practice's done recommendations."""
    evidence: dict[str, list[MetricOutcome]] = {}
    for recommendation in recommendations:
        if recommendation.status == "done" and recommendation.outcomes:
            evidence.setdefault(recommendation.practice_id, []).extend(recommendation.outcomes)
    return evidence
