"""Judging a step on hand-made tickets in a real store: the comparison it gets, the verdict in words, and
the cases that cannot be judged (a group that vanishes, a tiny group, too early, a touched neighbour)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import pytest

from advisor.composition import build_advisor
from advisor.models import (
    MetricOutcome,
    Recommendation,
    RecommendationStatus,
    StatusChange,
    TrackedRecommendation,
)
from advisor.outcomes import describe_outcome, judge_outcomes, touched_groups
from advisor.settings import Settings
from metrics.models import Dimension, Period
from metrics.series import SeriesPoint, metric_series
from metrics.store import open_store
from tests.metrics.tables import event, ticket, write_tables

#: The step starts on a Monday; weeks are counted from it.
START = date(2026, 6, 1)

#: team -> week -> hand-offs of each ticket resolved that week
Plan = Mapping[str, Mapping[int, Sequence[int]]]


def write_org(folder: Path, plan: Plan) -> Path:
    """Tickets created and resolved on the Tuesday of their week, each with its hand-offs as assignments
    to alternating teams (the first assignment is not a hand-off)."""
    tickets, events = [], []
    for team, weeks in plan.items():
        for week, handoffs in weeks.items():
            day = START + timedelta(weeks=week, days=1)
            for number, count in enumerate(handoffs):
                ticket_id = f"{team[:3]}{week + 100}-{number}"
                created = datetime.combine(day, time(8), tzinfo=UTC)
                resolved = created + timedelta(hours=6)
                tickets.append(ticket(ticket_id, created.isoformat(), resolved.isoformat(), team=team))
                for step in range(count + 1):
                    at = created + timedelta(minutes=10 * (step + 1))
                    events.append(event(ticket_id, at.isoformat(), "assigned", team=f"queue{step % 2}"))
    return write_tables(folder, {"tickets": tickets, "ticket_events": events})


def tracked(
    scope: dict[str, str] | None, *, done: date | None = START + timedelta(weeks=2), rec_id: str = "r1"
) -> TrackedRecommendation:
    def at(day: date) -> datetime:
        return datetime.combine(day, time(9), tzinfo=UTC)

    history = [StatusChange(from_status="accepted", to_status="in_progress", actor="lead", at=at(START))]
    if done is not None:
        history.append(StatusChange(from_status="in_progress", to_status="done", actor="lead", at=at(done)))
    return TrackedRecommendation(
        rank=1, title="Route billing tickets once", practice_id="cust-route-once", targets=["C6"],
        why="C6 is weak.", sources=[], scope=scope, id=rec_id, organisation="acme",
        period_start=START - timedelta(weeks=4), period_end=START, status="done" if done else "in_progress",
        created_at=at(START), updated_at=at(done or START), history=history,
    )  # fmt: skip


def judge(
    folder: Path, recommendation: TrackedRecommendation, data_end: date, touched: Sequence[str] = ()
) -> MetricOutcome:
    store = open_store(folder)

    def series_for(metric_id: str, windows: Sequence[Period], by: Dimension | None) -> list[SeriesPoint]:
        return metric_series(store, metric_id, windows, by=by)

    [outcome] = judge_outcomes(
        recommendation, series_for, data_end, min_group_size=5, touched=lambda metric_id: touched
    )
    return outcome


SIX = 6  # tickets a week: above the minimum group size of 5
BEFORE = range(-4, 0)
AFTER = range(0, 2)
#: Billing Desk: 2 hand-offs a ticket before the step, 1 after; Onboarding: 1 throughout (so the whole drop
#: is the step's); Archive: only before the step (a comparison group that vanished).
BASE: dict[str, dict[int, list[int]]] = {
    "Billing Desk": {
        **{week: [1, 2, 3, 2, 2, 2] for week in BEFORE},
        **{week: [1] * SIX for week in AFTER},
    },
    "Onboarding": {week: [0, 1, 2, 1, 1, 1] for week in [*BEFORE, *AFTER]},
    "Archive": {week: [3] * SIX for week in BEFORE},
}
DATA_END = START + timedelta(weeks=2)


def test_a_scoped_step_is_compared_with_the_groups_it_did_not_touch(tmp_path: Path) -> None:
    outcome = judge(write_org(tmp_path / "acme", BASE), tracked({"team": "Billing Desk"}), DATA_END)
    # four weeks before against two after (unequal windows): (1 - 2) - (1 - 1) = -1 hand-off per ticket
    assert outcome.method == "difference_in_differences"
    assert outcome.comparison == ["Onboarding"]  # Archive has no tickets after the start: left out
    assert (outcome.estimate, outcome.low, outcome.high) == (-1.0, -1.0, -1.0)
    assert (outcome.verdict, outcome.pre_trends, outcome.confidence) == ("better", "parallel", 0.95)
    assert outcome.scope == {"team": "Billing Desk"}
    # the plain figures are the group's own, over equal two-week windows
    assert (outcome.before_value, outcome.after_value, outcome.before_n, outcome.after_n) == (
        2.0,
        1.0,
        12,
        12,
    )
    assert describe_outcome(outcome).endswith(
        "; better than the rest of the organisation by 1 hand-off per ticket (95% interval 1 to 1)"
    )
    assert describe_outcome(outcome).startswith(
        "C6 Hand-offs per ticket in team Billing Desk fell from 2 to 1"
    )
    weeks = [(point.week, point.group, point.comparison) for point in outcome.series]
    assert weeks[-6:] == [
        (START + timedelta(weeks=week), 2.0 if week < 0 else 1.0, 1.0) for week in [*BEFORE, *AFTER]
    ]
    assert (outcome.step_start, outcome.step_end) == (START, DATA_END)


def test_the_same_change_in_every_group_is_no_change_of_the_step(tmp_path: Path) -> None:
    # a shared drift: every team's hand-offs drop by one at the start
    plan = {
        "Billing Desk": BASE["Billing Desk"],
        "Onboarding": {
            **{week: [2] * SIX for week in BEFORE},
            **{week: [1] * SIX for week in AFTER},
        },
    }
    outcome = judge(write_org(tmp_path / "acme", plan), tracked({"team": "Billing Desk"}), DATA_END)
    assert outcome.change == -1.0  # before against after, the group alone improved ...
    assert outcome.estimate == pytest.approx(0.0, abs=1e-9)  # ... but no more than the others
    assert outcome.verdict == "no_clear_change"
    assert "no clear change against the rest of the organisation" in describe_outcome(outcome)


@pytest.mark.parametrize(
    ("plan", "data_end", "verdict", "words", "measurable_from"),
    [
        pytest.param(
            {**BASE, "Billing Desk": {week: [2] * SIX for week in BEFORE}},
            DATA_END,
            "not_comparable",
            "cannot be judged: Billing Desk has no records since the step started",
            None,
            id="the scoped group vanishes",
        ),
        pytest.param(
            {**BASE, "Billing Desk": {week: [2] for week in [*BEFORE, *AFTER]}},
            DATA_END,
            "not_comparable",
            "too few records of Billing Desk before the step to compare with (a group this small is not shown)",
            None,
            id="a tiny group",
        ),
        pytest.param(
            BASE,
            START + timedelta(days=10),
            "too_early",
            "too early to tell: measurable from 2026-06-15",
            START + timedelta(weeks=2),
            id="ten days after the start",
        ),
        pytest.param(
            {
                **BASE,
                "Billing Desk": {
                    **{week: [2] * SIX for week in BEFORE},
                    **{week: [1, 1] for week in AFTER},
                },
            },
            DATA_END,
            "too_early",
            # 4 records in 14 days, 10 needed: 6 more at 2 a week take 21 days
            "too early to tell: measurable from 2026-07-06 (4 records of Billing Desk since the step started",
            START + timedelta(weeks=2, days=21),
            id="too few records after the start",
        ),
    ],
)
def test_what_cannot_be_judged_yet_says_why_and_when(
    tmp_path: Path,
    plan: Plan,
    data_end: date,
    verdict: str,
    words: str,
    measurable_from: date | None,
) -> None:
    outcome = judge(write_org(tmp_path / "acme", plan), tracked({"team": "Billing Desk"}), data_end)
    assert outcome.verdict == verdict
    assert outcome.measurable_from == measurable_from
    assert words in describe_outcome(outcome)
    assert outcome.estimate is None and outcome.series == []
    assert outcome.improved is None


def test_a_tiny_group_shows_no_figures(tmp_path: Path) -> None:
    plan = {**BASE, "Billing Desk": {week: [2] for week in [*BEFORE, *AFTER]}}
    outcome = judge(write_org(tmp_path / "acme", plan), tracked({"team": "Billing Desk"}), DATA_END)
    assert (outcome.before_value, outcome.before_n, outcome.after_value, outcome.after_n) == (
        None,
        0,
        None,
        0,
    )


def test_a_neighbour_another_step_worked_on_is_no_comparison(tmp_path: Path) -> None:
    recommendation = tracked({"team": "Billing Desk"})
    other = tracked({"team": "Onboarding"}, rec_id="r2")
    assert touched_groups(recommendation, [other], "C6") == {"Onboarding"}
    assert touched_groups(recommendation, [other], "C5") == set()
    outcome = judge(write_org(tmp_path / "acme", BASE), recommendation, DATA_END, touched=["Onboarding"])
    # nothing left to compare with: the group's own history, said to be weaker evidence
    assert outcome.method == "interrupted_time_series" and outcome.comparison == []
    assert "weaker evidence: no other team has enough records to compare Billing Desk with" in (
        describe_outcome(outcome)
    )


def test_a_step_for_everyone_is_judged_against_its_own_history_as_weaker_evidence(tmp_path: Path) -> None:
    outcome = judge(write_org(tmp_path / "acme", BASE), tracked(None), DATA_END)
    assert outcome.method == "interrupted_time_series" and outcome.pre_trends == "unchecked"
    assert outcome.scope is None and outcome.comparison == []
    words = describe_outcome(outcome)
    assert "what its own history predicted" in words
    assert "weaker evidence: the step covered the whole organisation" in words
    assert all(point.comparison is not None for point in outcome.series if point.group is not None)


def test_outcomes_stored_before_verdicts_still_load_and_read_as_before() -> None:
    stored = {
        "metric_id": "C6", "name": "Hand-offs per ticket", "unit": "hand-offs per ticket",
        "direction": "lower", "before_start": "2026-03-01", "before_end": "2026-06-01", "before_value": 2.4,
        "before_n": 40, "after_start": "2026-06-01", "after_end": "2026-09-01", "after_value": 1.1,
        "after_n": 42,
    }  # fmt: skip
    outcome = MetricOutcome.model_validate(stored)
    assert (outcome.method, outcome.verdict, outcome.improved) == ("before_after", None, True)
    assert describe_outcome(outcome).startswith("C6 Hand-offs per ticket fell from 2.4 to 1.1 hand-offs")


def test_the_advisor_measures_a_done_recommendation(tmp_path: Path) -> None:
    folder = write_org(tmp_path / "acme", BASE)
    advisor = build_advisor(
        Settings(data_dir=folder, index_dir=tmp_path / "index", database_url=f"sqlite:///{tmp_path}/state.db")
    )
    step = Recommendation(
        rank=1, title="Route once", practice_id="cust-route-once", targets=["C6"], why="C6 is weak.",
        sources=[], scope={"team": "Billing Desk"},
    )  # fmt: skip
    [rec] = advisor.recommendations.propose(
        [step], organisation="acme", period=Period(START - timedelta(weeks=4), START),
        at=datetime.combine(START, time(8), tzinfo=UTC),
    )  # fmt: skip
    steps: list[tuple[RecommendationStatus, date]] = [
        ("accepted", START), ("in_progress", START), ("done", DATA_END),
    ]  # fmt: skip
    for status, day in steps:
        advisor.recommendations.transition(
            rec.id,
            status,
            actor="lead",
            at=datetime.combine(day, time(9), tzinfo=UTC),
        )
    [outcome] = advisor.measure_recommendation(advisor.recommendations.get(rec.id), DATA_END)
    assert (outcome.verdict, outcome.estimate, outcome.comparison) == ("better", -1.0, ["Onboarding"])


def test_groups_that_did_not_move_together_before_the_step_make_no_verdict(tmp_path: Path) -> None:
    # Billing Desk's hand-offs climbed a step a week before the start while Onboarding's stayed level
    climbing = {week: [week + 5] * SIX for week in BEFORE}
    plan = {**BASE, "Billing Desk": {**climbing, **{week: [1] * SIX for week in AFTER}}}
    outcome = judge(write_org(tmp_path / "acme", plan), tracked({"team": "Billing Desk"}), DATA_END)
    assert (outcome.verdict, outcome.pre_trends) == ("not_comparable", "diverged")
    assert outcome.improved is None
    words = describe_outcome(outcome)
    assert (
        "cannot be judged: before the step, Billing Desk and the groups it is compared with did not move"
        in words
    )
    assert "so the comparison cannot be trusted; the measured difference was -" in words
