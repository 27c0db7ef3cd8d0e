"""The programme view model: steps by state, overdue and due soon, the timeline's windows and marks, and
outcomes read as better, worse or no clear change by the metric's direction and the noise band."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from typing import Any

import pytest

from advisor.models import MetricOutcome, RecommendationStatus, StatusChange, TrackedRecommendation
from advisor.outcome_reading import read_outcome, short_change
from advisor.outcomes import describe_outcome
from advisor.programme import build_programme, metric_timeline, programme_step, timeline_windows
from metrics.models import Period
from metrics.series import SeriesPoint

TODAY = date(2026, 7, 20)


def at(day: str) -> datetime:
    return datetime.combine(date.fromisoformat(day), time(9), tzinfo=UTC)


def step(
    rec_id: str,
    status: RecommendationStatus,
    *,
    moves: tuple[tuple[RecommendationStatus, str], ...] = (),
    targets: tuple[str, ...] = ("C6",),
    **plan: Any,
) -> TrackedRecommendation:
    history = [StatusChange(from_status=None, to_status="proposed", actor="advisor", at=at("2026-05-01"))]
    history += [StatusChange(from_status=None, to_status=to, actor="lead", at=at(day)) for to, day in moves]
    return TrackedRecommendation(
        rank=1, title=f"Step {rec_id}", practice_id=f"p-{rec_id}", targets=list(targets), why="", sources=[],
        id=rec_id, organisation="acme", period_start=date(2026, 2, 1), period_end=date(2026, 5, 1),
        status=status, created_at=at("2026-05-01"), updated_at=at("2026-05-01"), history=history, **plan,
    )  # fmt: skip


def outcome(before: float, after: float, direction: str = "higher", **judged: Any) -> MetricOutcome:
    return MetricOutcome(
        metric_id="C2", name="Customer effort", unit="1-7", direction=direction,
        before_start=date(2026, 5, 1), before_end=date(2026, 6, 1), before_value=before, before_n=40,
        after_start=date(2026, 6, 1), after_end=date(2026, 7, 1), after_value=after, after_n=40, **judged,
    )  # fmt: skip


def test_steps_are_grouped_by_state_with_what_is_overdue_and_due_soon() -> None:
    recs = [
        step("a", "in_progress", moves=(("accepted", "2026-05-02"), ("in_progress", "2026-05-04")), due=date(2026, 7, 10)),
        step("b", "accepted", moves=(("accepted", "2026-05-02"),), due=date(2026, 7, 25), owner="maria"),
        step("c", "proposed", due=date(2026, 9, 1)),
        step("d", "done", moves=(("in_progress", "2026-05-04"), ("done", "2026-06-15")), due=date(2026, 6, 1)),
        step("e", "dismissed", due=date(2026, 6, 1)),
    ]  # fmt: skip
    programme = build_programme(recs, TODAY)
    assert [(group.status, [s.rec.id for s in group.steps]) for group in programme.groups] == [
        ("in_progress", ["a"]), ("accepted", ["b"]), ("proposed", ["c"]), ("done", ["d"]), ("dismissed", ["e"]),
    ]  # fmt: skip
    # only open steps are overdue: a done or dismissed one past its date is not
    assert [(s.rec.id, s.overdue_days) for s in programme.overdue] == [("a", 10)]
    assert [(s.rec.id, s.due_in_days) for s in programme.due_soon] == [("b", 5)]
    done = programme_step(recs[3], TODAY)
    assert (done.started, done.finished, done.overdue) == (date(2026, 5, 4), date(2026, 6, 15), False)
    assert programme.timelines == [] and programme.timeline_note


def test_long_data_is_shown_by_month_and_short_data_by_week() -> None:
    months = timeline_windows(date(2024, 11, 1), date(2026, 11, 1))
    assert len(months) == 18 and months[-1] == Period(date(2026, 10, 1), date(2026, 11, 1))
    weeks = timeline_windows(date(2026, 4, 1), date(2026, 6, 10))  # two full months: weekly
    assert weeks[0] == Period(date(2026, 4, 6), date(2026, 4, 13)) and weeks[-1].end <= date(2026, 6, 10)
    assert timeline_windows(date(2026, 6, 1), date(2026, 6, 10)) == []


def test_the_timeline_marks_each_start_and_end_and_hides_small_figures() -> None:
    windows = timeline_windows(date(2025, 11, 1), date(2026, 8, 1))  # nine months
    points = [
        SeriesPoint(window=windows[0], group=None, value=1.2, n=40, size=40),
        SeriesPoint(window=windows[1], group=None, value=9.0, n=3, size=3),  # too few records to show
        SeriesPoint(window=windows[1], group="Billing Desk", value=1.0, n=20, size=20),  # a group: not drawn
    ]
    recs = [
        step("a", "done", moves=(("in_progress", "2026-05-04"), ("done", "2026-06-15"))),
        step("b", "in_progress", moves=(("in_progress", "2025-01-04"),)),  # started before the timeline
        step("c", "in_progress", moves=(("in_progress", "2026-05-20"),), targets=("C5",)),
    ]
    steps = [programme_step(rec, TODAY) for rec in recs]
    timeline = metric_timeline("C6", windows, points, steps, {"C6": ("baseline", 0.9)}, min_group_size=5)
    assert timeline.labels[:2] == ["2025-11", "2025-12"] and timeline.values[:3] == [1.2, None, None]
    assert timeline.n[:2] == [40, 0]
    assert [(m.rec_id, m.kind, m.label) for m in timeline.marks] == [
        ("a", "start", "2026-05"), ("a", "end", "2026-06"), ("b", "start", None),
    ]  # fmt: skip
    chart = timeline.chart()
    assert chart["reference"] == {"label": "baseline", "value": 0.9}
    assert chart["marks"] == [
        {"label": "2026-05", "kind": "start", "text": "start Step a", "day": "2026-05-04", "verdict": None},
        {"label": "2026-06", "kind": "end", "text": "end Step a", "day": "2026-06-15", "verdict": None},
    ]


def test_a_fall_in_a_higher_is_better_score_reads_as_worse_and_inside_the_noise_as_no_clear_change() -> None:
    # the example: "effort score fell from 5.14 to 5.07" did not say that is worse
    noisy = outcome(5.14, 5.07, method="interrupted_time_series", estimate=-0.07, low=-0.2, high=0.06,
                    confidence=0.95, verdict="no_clear_change")  # fmt: skip
    reading = read_outcome(noisy)
    assert (reading.verdict, reading.label, reading.tone) == ("no_clear_change", "No clear change", "watch")
    assert reading.change == "fell from 5.14 / 7 to 5.07 / 7: worse, as higher is better"
    assert reading.noise == (
        "noise band -0.2 to +0.06 points (95% interval of the step's effect): it spans no change, "
        "so the change is inside the noise"
    )
    words = describe_outcome(noisy)
    assert "C2 Customer effort fell from 5.14 / 7 to 5.07 / 7, worse, as higher is better (" in words
    assert "no clear change against what its own history predicted" in words and "inside the noise" in words
    assert short_change(noisy) == "no clear change"


def test_a_change_beyond_the_noise_is_better_or_worse_in_words_and_colour() -> None:
    better = read_outcome(
        outcome(5.0, 5.6, estimate=0.5, low=0.2, high=0.8, confidence=0.95, verdict="better")
    )
    assert (better.label, better.tone) == ("Better", "strong")
    assert better.change == "rose from 5 / 7 to 5.6 / 7: better, as higher is better"
    assert better.noise is not None and "beyond the noise" in better.noise
    worse = outcome(2.0, 2.6, "lower", estimate=0.5, low=0.2, high=0.8, confidence=0.95, verdict="worse")
    assert (read_outcome(worse).label, read_outcome(worse).tone) == ("Worse", "weak")
    assert short_change(worse) == "worse by 0.5 points"
    # outcomes stored before verdicts were kept are read from their plain change, with no noise band
    legacy = read_outcome(outcome(2.0, 1.5, "lower"))
    assert (legacy.verdict, legacy.tone, legacy.noise) == ("better", "strong", None)
    assert read_outcome(outcome(2.0, 2.0)).verdict == "no_clear_change"


@pytest.mark.parametrize(
    ("verdict", "label"), [("too_early", "Too early to tell"), ("not_comparable", "Cannot be judged")]
)
def test_what_cannot_be_judged_says_so(verdict: str, label: str) -> None:
    reading = read_outcome(outcome(5.0, 5.1, verdict=verdict))
    assert reading.label == label and reading.noise is None
