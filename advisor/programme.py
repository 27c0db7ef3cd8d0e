"""The programme view leaders run their improvement programme in: the steps by state with owner and due date,
what is overdue, and a timeline of the targeted metrics with the moments each step started and ended.

`build_programme` is pure (the metric series come through `series_for`); `programme_for` wires it to an
Advisor. The timeline is the whole organisation's metric per month (per week while the data spans fewer than
`MONTHS_FOR_MONTHLY` full months), from the same series the outcomes are judged on; points resting on fewer
records than the minimum group size are not shown.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING

from advisor.models import RecommendationStatus, TrackedRecommendation
from advisor.outcome_reading import verdict_of
from advisor.outcomes import started_and_finished
from metrics.definitions import METRICS_BY_ID
from metrics.models import Period, add_months
from metrics.series import SeriesPoint

if TYPE_CHECKING:
    from advisor.service import Advisor
    from metrics.models import Scorecard

#: The states in the order a leader reads them: the work under way first, what is settled last.
STATES: tuple[tuple[RecommendationStatus, str], ...] = (
    ("in_progress", "In progress"),
    ("accepted", "Accepted"),
    ("proposed", "Proposed"),
    ("done", "Done"),
    ("dismissed", "Dismissed"),
)
OPEN: frozenset[str] = frozenset({"proposed", "accepted", "in_progress"})
#: A step due within this many days is "due soon".
DUE_SOON_DAYS = 7
#: Timelines drawn at most (the metrics the open steps target come first), and their length.
MAX_TIMELINES = 6
MAX_MONTHS = 18
MAX_WEEKS = 26
#: Data spanning fewer full months than this is shown week by week.
MONTHS_FOR_MONTHLY = 6

SeriesFor = Callable[[str, Sequence[Period]], list[SeriesPoint]]


@dataclass(frozen=True)
class ProgrammeStep:
    """One step as the programme shows it: the stored recommendation and its dates in the programme."""

    rec: TrackedRecommendation
    started: date | None
    finished: date | None
    #: Days past its due date while still open (0 when not overdue).
    overdue_days: int = 0
    #: Days until it is due while open (None without a due date, or once overdue).
    due_in_days: int | None = None

    @property
    def overdue(self) -> bool:
        return self.overdue_days > 0


@dataclass(frozen=True)
class StateGroup:
    status: RecommendationStatus
    label: str
    steps: list[ProgrammeStep]


@dataclass(frozen=True)
class StepMark:
    """A step's start or end on a timeline: the window it falls in (None: outside the timeline)."""

    rec_id: str
    title: str
    kind: str  # "start" or "end"
    day: date
    label: str | None
    #: For an end: the verdict of the outcome measured on this metric (advisor.outcome_reading), if any.
    verdict: str | None = None


@dataclass(frozen=True)
class Timeline:
    """One targeted metric per window, with its reference line and the steps' marks."""

    metric_id: str
    name: str
    unit: str
    direction: str
    labels: list[str]
    values: list[float | None]
    n: list[int]
    marks: list[StepMark]
    reference: tuple[str, float] | None = None

    def chart(self) -> dict[str, object]:
        """What static/programme_chart.js draws."""
        return {
            "id": self.metric_id,
            "name": f"{self.metric_id} {self.name}",
            "unit": self.unit,
            "labels": self.labels,
            "values": self.values,
            "n": self.n,
            "reference": {"label": self.reference[0], "value": self.reference[1]} if self.reference else None,
            "marks": [
                {
                    "label": mark.label,
                    "kind": mark.kind,
                    "text": f"{mark.kind} {mark.title}"
                    + (f": {mark.verdict.replace('_', ' ')}" if mark.verdict else ""),
                    "day": str(mark.day),
                    "verdict": mark.verdict,
                }
                for mark in self.marks
                if mark.label is not None
            ],
        }


@dataclass(frozen=True)
class Programme:
    today: date
    groups: list[StateGroup]
    overdue: list[ProgrammeStep]
    due_soon: list[ProgrammeStep]
    timelines: list[Timeline] = field(default_factory=list)
    #: Why there is no timeline (no data, no targeted metric with figures), when there is none.
    timeline_note: str | None = None

    @property
    def steps(self) -> list[ProgrammeStep]:
        return [step for group in self.groups for step in group.steps]

    def charts(self) -> dict[str, dict[str, object]]:
        return {timeline.metric_id: timeline.chart() for timeline in self.timelines}


def programme_step(rec: TrackedRecommendation, today: date) -> ProgrammeStep:
    started, finished = started_and_finished(rec)
    overdue = (today - rec.due).days if rec.is_overdue(today) and rec.due is not None else 0
    due_in = (rec.due - today).days if rec.status in OPEN and rec.due is not None and not overdue else None
    return ProgrammeStep(rec, started, finished, overdue, due_in)


def build_programme(
    recommendations: Sequence[TrackedRecommendation],
    today: date,
    *,
    series_for: SeriesFor | None = None,
    data_end: date | None = None,
    data_start: date | None = None,
    references: dict[str, tuple[str, float]] | None = None,
    min_group_size: int = 5,
) -> Programme:
    """The steps by state (each state oldest first), the overdue ones (most overdue first), those due within
    `DUE_SOON_DAYS`, and, given the series and the data's span, a timeline per targeted metric."""
    steps = [programme_step(rec, today) for rec in recommendations]
    groups = [
        StateGroup(status, label, [step for step in steps if step.rec.status == status])
        for status, label in STATES
    ]
    overdue = sorted((step for step in steps if step.overdue), key=lambda step: -step.overdue_days)
    due_soon = sorted(
        (step for step in steps if step.due_in_days is not None and step.due_in_days <= DUE_SOON_DAYS),
        key=lambda step: step.due_in_days or 0,
    )
    if series_for is None or data_end is None or data_start is None:
        return Programme(
            today, groups, overdue, due_soon, timeline_note="There is no data to draw a timeline from."
        )
    windows = timeline_windows(data_start, data_end)
    if not windows:
        return Programme(
            today, groups, overdue, due_soon, timeline_note="The data spans less than two weeks."
        )
    shown = [step for group in groups for step in group.steps if step.rec.status != "dismissed"]
    timelines = []
    for metric_id in targeted_metrics([step.rec for step in shown]):
        timeline = metric_timeline(
            metric_id, windows, series_for(metric_id, windows), shown, references or {}, min_group_size
        )
        if any(value is not None for value in timeline.values):
            timelines.append(timeline)
        if len(timelines) == MAX_TIMELINES:
            break
    note = None if timelines else "No step targets a metric with figures to draw yet."
    return Programme(today, groups, overdue, due_soon, timelines, note)


def targeted_metrics(recommendations: Sequence[TrackedRecommendation]) -> list[str]:
    """The metrics the steps target, in the order given, each once; unknown and derived ones left out."""
    found: list[str] = []
    for rec in recommendations:
        for metric_id in rec.targets:
            definition = METRICS_BY_ID.get(metric_id)
            if definition is not None and not definition.derived and metric_id not in found:
                found.append(metric_id)
    return found


def timeline_windows(data_start: date, data_end: date) -> list[Period]:
    """Whole months from the first full month of the data to `data_end` (the first day it does not cover),
    the last `MAX_MONTHS`; or whole weeks (from Mondays) when the data spans fewer than
    `MONTHS_FOR_MONTHLY` full months, the last `MAX_WEEKS`."""
    month = data_start if data_start.day == 1 else add_months(data_start, 1)
    months = []
    while add_months(month, 1) <= data_end:
        months.append(Period(month, add_months(month, 1)))
        month = add_months(month, 1)
    if len(months) >= MONTHS_FOR_MONTHLY:
        return months[-MAX_MONTHS:]
    monday = data_start + timedelta(days=(7 - data_start.weekday()) % 7)
    weeks = []
    while monday + timedelta(weeks=1) <= data_end:
        weeks.append(Period(monday, monday + timedelta(weeks=1)))
        monday += timedelta(weeks=1)
    return weeks[-MAX_WEEKS:] if len(weeks) >= 2 else []


def window_label(window: Period) -> str:
    """'2026-06' for a month, the Monday's date for a week."""
    return (
        f"{window.start:%Y-%m}" if window.start.day == 1 and window.days >= 28 else window.start.isoformat()
    )


def metric_timeline(
    metric_id: str,
    windows: Sequence[Period],
    points: Sequence[SeriesPoint],
    steps: Sequence[ProgrammeStep],
    references: dict[str, tuple[str, float]],
    min_group_size: int,
) -> Timeline:
    """The whole organisation's figure per window (hidden below the minimum group size) and the start and end
    of every step targeting the metric."""
    definition = METRICS_BY_ID[metric_id]
    by_window = {point.window: point for point in points if point.group is None}
    values: list[float | None] = []
    counts: list[int] = []
    for window in windows:
        point = by_window.get(window)
        if point is None or point.value is None or point.size < min_group_size:
            values.append(None)
            counts.append(0)
        else:
            values.append(round(point.value, 4))
            counts.append(point.n)
    marks = []
    for step in steps:
        if metric_id not in step.rec.targets:
            continue
        for kind, day in (("start", step.started), ("end", step.finished)):
            if day is not None:
                holding = next((w for w in windows if w.start <= day < w.end), None)
                label = window_label(holding) if holding else None
                measured = [o for o in step.rec.outcomes if o.metric_id == metric_id] if kind == "end" else []
                verdict = verdict_of(measured[0]) if measured else None
                marks.append(StepMark(step.rec.id, step.rec.title, kind, day, label, verdict))
    return Timeline(
        metric_id,
        definition.name,
        definition.unit,
        definition.direction,
        [window_label(window) for window in windows],
        values,
        counts,
        marks,
        references.get(metric_id),
    )


def references_from(scorecard: Scorecard) -> dict[str, tuple[str, float]]:
    """Each metric's target (or, without one, the baseline it is judged by), for the timeline's dashed line."""
    found = {}
    for metric in scorecard.all_metrics():
        if metric.compared_with == "target" and metric.target is not None:
            found[metric.id] = ("target", metric.target)
        elif metric.compared_with == "baseline" and metric.baseline is not None:
            found[metric.id] = ("baseline", metric.baseline)
    return found


def programme_for(advisor: Advisor, *, today: date | None = None) -> Programme:
    """The organisation's programme with its timelines, from the advisor's stored steps and data."""
    from metrics.series import metric_series

    recommendations = advisor.recommendations.list(organisation=advisor.organisation())
    day = today or datetime.now(UTC).date()
    time_range = advisor.store().time_range() if advisor.data_dir.is_dir() else None
    if time_range is None:
        return build_programme(recommendations, day)
    store = advisor.store()

    def series_for(metric_id: str, windows: Sequence[Period]) -> list[SeriesPoint]:
        return metric_series(store, metric_id, windows)

    return build_programme(
        recommendations,
        day,
        series_for=series_for,
        data_start=time_range[0].date(),
        data_end=time_range[1].date() + timedelta(days=1),
        references=references_from(advisor.scorecard()),
        min_group_size=advisor.min_group_size,
    )
