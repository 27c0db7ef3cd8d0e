"""Measuring what a done recommendation changed, and turning that into evidence for later advice.

The plain figures compare the targeted metrics over two windows of equal length: the one that ends when the
work started, and the one that ends when it was done (or where the data ends, if sooner). The length is that
of the period the recommendation was made for, shortened when less time has passed since the start. The
judgement comes from `advisor.outcome_measuring`: the step's effect against the groups it did not touch (or
against the metric's own history), with a 95% interval and a verdict in words.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date, timedelta

from advisor.models import MetricOutcome, StatusChange, TrackedRecommendation
from advisor.outcome_measuring import COMPARISON_WEEKS, SeriesFor, Step, judge_metric, scope_of
from advisor.outcome_reading import direction_words
from knowledge.models import Document
from metrics.aggregation import Stats, headline
from metrics.definitions import METRICS_BY_ID
from metrics.models import Period
from metrics.series import SeriesPoint
from prompts import format_difference, format_number, format_value

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


def started_and_finished(recommendation: TrackedRecommendation) -> tuple[date | None, date | None]:
    """The day the work started (in progress) and the day it was done, from its history."""
    return _first_day(recommendation.history, "in_progress"), _first_day(recommendation.history, "done")


def _first_day(history: Iterable[StatusChange], status: str) -> date | None:
    return next((change.at.date() for change in history if change.to_status == status), None)


def judge_outcomes(
    recommendation: TrackedRecommendation,
    series_for: SeriesFor,
    data_end: date,
    *,
    min_group_size: int,
    touched: Callable[[str], Iterable[str]] = lambda metric_id: (),
) -> list[MetricOutcome]:
    """Each targeted metric's plain before/after figures (of the scoped group, when the step has a scope)
    and the step's estimated effect with its interval and verdict; empty before the work started.

    `series_for(metric_id, windows, by)` gives the metric per window (and group); `touched(metric_id)` names
    the groups other steps for that metric worked on meanwhile, which are no fair comparison."""
    started, finished = started_and_finished(recommendation)
    if started is None:
        return []
    step = Step(scope_of(recommendation.scope), started, finished, data_end)
    outcomes = []
    for metric_id in recommendation.targets:
        if metric_id not in METRICS_BY_ID:
            continue
        plain = _plain_outcome(recommendation, metric_id, step, series_for, min_group_size)
        outcomes.append(
            judge_metric(
                metric_id,
                step,
                series_for,
                plain=plain,
                min_group_size=min_group_size,
                touched=set(touched(metric_id)),
            )
        )
    return outcomes


def touched_groups(
    recommendation: TrackedRecommendation, others: Iterable[TrackedRecommendation], metric_id: str
) -> set[str]:
    """Groups of the same dimension that other steps for `metric_id` worked on while this one is measured
    (from the weeks before its start to its end): their change is no fair comparison."""
    scope = scope_of(recommendation.scope)
    started, finished = started_and_finished(recommendation)
    if scope is None or started is None:
        return set()
    since, until = started - timedelta(weeks=COMPARISON_WEEKS), finished or date.max
    touched = set()
    for other in others:
        other_scope = scope_of(other.scope)
        if other_scope is None or other_scope[0] != scope[0] or metric_id not in other.targets:
            continue
        other_start, other_end = started_and_finished(other)
        if other_start is not None and other_start < until and (other_end or date.max) > since:
            touched.add(other_scope[1])
    return touched - {scope[1]}


def _plain_outcome(
    recommendation: TrackedRecommendation,
    metric_id: str,
    step: Step,
    series_for: SeriesFor,
    min_group_size: int,
) -> MetricOutcome:
    """The metric over equal windows before and after the start, for the scoped group or everyone (a
    window resting on fewer than the minimum group size shows no value)."""
    definition = METRICS_BY_ID[metric_id]
    length = (recommendation.period_end - recommendation.period_start).days
    windows = outcome_windows(step.start, step.end or step.data_end, step.data_end, length)
    if windows is None:
        after_end = max(min(step.end or step.data_end, step.data_end), step.start + timedelta(days=1))
        windows = (
            Period(step.start - timedelta(days=MIN_WINDOW_DAYS), step.start),
            Period(step.start, after_end),
        )
    before, after = windows
    by = step.scope[0] if step.scope else None
    wanted = step.scope[1] if step.scope else None
    figures = {
        point.window: point
        for point in ([] if definition.derived else series_for(metric_id, [before, after], by))
        if point.group == wanted
    }
    was, now = figures.get(before), figures.get(after)
    return MetricOutcome(
        metric_id=metric_id,
        name=definition.name,
        unit=definition.unit,
        direction=definition.direction,
        before_start=before.start,
        before_end=before.end,
        before_value=_shown(was, min_group_size),
        before_n=was.n if was and was.size >= min_group_size else 0,
        after_start=after.start,
        after_end=after.end,
        after_value=_shown(now, min_group_size),
        after_n=now.n if now and now.size >= min_group_size else 0,
    )


def _shown(point: SeriesPoint | None, min_group_size: int) -> float | None:
    if point is None:
        return None
    return headline(Stats(n=point.n, size=point.size, value=point.value), min_group_size)


def describe_outcome(outcome: MetricOutcome) -> str:
    """'C6 Hand-offs per ticket in team Billing Desk fell from 2.4 to 1.1 hand-offs per ticket (2026-03-01..
    2026-06-01 against ...); better than the rest of the organisation by 0.31 hand-offs per ticket (95%
    interval 0.18 to 0.44)': the plain change, then what the evidence says about the step.

    Outcomes measured before verdicts existed say only whether the plain change went the right way."""
    where = ""
    if outcome.scope:
        (dimension, group), *_ = outcome.scope.items()
        where = f" in {dimension} {group}"
    if outcome.change is None:
        plain = (
            f"{outcome.metric_id} {outcome.name}{where} could not be compared (too few records in a window)"
        )
    else:
        verb = "did not change" if outcome.change == 0 else ("rose" if outcome.change > 0 else "fell")
        plain = (
            f"{outcome.metric_id} {outcome.name}{where} {verb} "
            f"{_from_to(outcome.before_value, outcome.after_value, outcome.unit)}"
        )
    windows = (
        f"({outcome.before_start}..{outcome.before_end} against {outcome.after_start}..{outcome.after_end})"
    )
    if outcome.verdict is not None and outcome.change is None:
        # no plain figures to show (a window too small): the judgement alone
        return f"{outcome.metric_id} {outcome.name}{where}: {verdict_words(outcome)}"
    if outcome.verdict is None:
        if outcome.change is None:
            return plain
        judgement = (
            "no better, no worse" if outcome.change == 0 else ("better" if outcome.improved else "worse")
        )
        return f"{plain}, {judgement} {windows}"
    if (moved := direction_words(outcome)) is not None:
        # the plain change said as better or worse by the metric's direction ("fell from 5.14 to 5.07" alone
        # leaves the reader to know that a higher effort score is the good side)
        plain += f", {moved}"
    return f"{plain} {windows}; {verdict_words(outcome)}"


def verdict_words(outcome: MetricOutcome) -> str:
    """The verdict alone: 'better than the rest of the organisation by 0.31 hand-offs per ticket (95%
    interval 0.18 to 0.44)', 'no clear change ...', 'worse ...', 'too early to tell: measurable from ...'."""
    if outcome.verdict == "too_early":
        when = f": measurable from {outcome.measurable_from}" if outcome.measurable_from else ""
        return f"too early to tell{when}" + (f" ({outcome.note})" if outcome.note else "")
    measured = _measured(outcome)
    if outcome.verdict == "not_comparable":
        text = f"cannot be judged: {outcome.note or 'no fair comparison'}"
        return f"{text}; the measured difference was {measured}" if measured else text
    against = (
        "what its own history predicted"
        if outcome.method == "interrupted_time_series"
        else "the rest of the organisation"
    )
    if outcome.verdict == "no_clear_change":
        text = f"no clear change against {against}: {measured}, inside the noise"
    else:
        assert outcome.estimate is not None and outcome.low is not None and outcome.high is not None
        # the size of the gain (or loss) and its interval, as positive numbers
        low, high = sorted((abs(outcome.low), abs(outcome.high)))
        comparative = "better than" if outcome.verdict == "better" else "worse than"
        text = (
            f"{comparative} {against} by {format_difference(outcome.estimate, outcome.unit)} "
            f"({_percent(outcome.confidence)} interval {format_number(low, 2)} to {format_number(high, 2)})"
        )
    if outcome.method == "interrupted_time_series" and outcome.note:
        text += f"; {outcome.note}"
    return text


def _measured(outcome: MetricOutcome) -> str | None:
    """'-0.05 hand-offs per ticket (95% interval -0.2 to 0.1)', signed: after minus what would have been."""
    if outcome.estimate is None or outcome.low is None or outcome.high is None:
        return None
    sign = "-" if outcome.estimate < 0 else "+"
    return (
        f"{sign}{format_difference(outcome.estimate, outcome.unit)} ({_percent(outcome.confidence)} interval "
        f"{format_number(outcome.low, 2)} to {format_number(outcome.high, 2)})"
    )


def _percent(confidence: float | None) -> str:
    return f"{round(100 * (confidence or 0.95))}%"


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
