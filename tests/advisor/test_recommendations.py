"""Stored recommendations: lifecycle, history, outcomes measured before and after, and failure safety."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from advisor.composition import build_advisor
from advisor.errors import InvalidTransition, RecommendationNotFound, StateUnavailable
from advisor.models import Recommendation
from advisor.outcomes import outcome_windows
from advisor.recommendation_store import RecommendationStore
from advisor.settings import Settings
from metrics.models import Period
from tests.metrics.tables import event, ticket, write_tables

SPRING = Period(date(2026, 3, 1), date(2026, 6, 1))


def recommendation(
    practice_id: str = "cust-swarming-complex-cases", targets: tuple[str, ...] = ("C6",)
) -> Recommendation:
    return Recommendation(
        rank=1, title=practice_id.replace("-", " "), practice_id=practice_id, targets=list(targets),
        why="C6 is weak.", sources=[f"practice:{practice_id}"],
    )  # fmt: skip


def moment(day: str) -> datetime:
    return datetime.fromisoformat(day).replace(tzinfo=UTC)


def test_lifecycle_keeps_who_and_when(tmp_path: Path) -> None:
    store = RecommendationStore(f"sqlite:///{tmp_path}/state.db")
    [proposed] = store.propose(
        [recommendation()], organisation="acme", period=SPRING, at=moment("2026-06-01")
    )
    # proposing the same practice again while it is open does not duplicate it
    again = store.propose(
        [recommendation(), recommendation("emp-buddy-cohorts", ("E4",))], organisation="acme", period=SPRING
    )
    assert [rec.practice_id for rec in again] == ["cust-swarming-complex-cases", "emp-buddy-cohorts"]

    store.transition(proposed.id, "accepted", actor="maria", at=moment("2026-06-02"))
    store.transition(proposed.id, "in_progress", actor="maria", at=moment("2026-06-03"))
    done = store.transition(proposed.id, "done", actor="li", at=moment("2026-09-01"))
    assert [(change.from_status, change.to_status, change.actor) for change in done.history] == [
        (None, "proposed", "advisor"),
        ("proposed", "accepted", "maria"),
        ("accepted", "in_progress", "maria"),
        ("in_progress", "done", "li"),
    ]
    assert done.history[-1].at == moment("2026-09-01")

    reopened = RecommendationStore(f"sqlite:///{tmp_path}/state.db")
    assert reopened.get(proposed.id) == done
    assert [rec.status for rec in reopened.list(organisation="acme")] == ["done", "proposed"]
    assert reopened.list(organisation="other") == []


def test_invalid_steps_are_refused_and_change_nothing(tmp_path: Path) -> None:
    store = RecommendationStore(f"sqlite:///{tmp_path}/state.db")
    [rec] = store.propose([recommendation()], organisation="acme", period=SPRING, at=moment("2026-06-01"))
    with pytest.raises(
        InvalidTransition,
        match="a recommendation that is proposed cannot become done; allowed: accepted, dismissed",
    ):
        store.transition(rec.id, "done", actor="maria")
    with pytest.raises(InvalidTransition, match="needs a reason"):
        store.transition(rec.id, "dismissed", actor="maria", reason="  ")
    with pytest.raises(InvalidTransition, match="is before the last change"):
        store.transition(rec.id, "accepted", actor="maria", at=moment("2026-05-01"))
    with pytest.raises(RecommendationNotFound):
        store.transition("nope", "accepted", actor="maria")
    assert store.get(rec.id) == rec
    dismissed = store.transition(rec.id, "dismissed", actor="maria", reason="we already swarm")
    assert (dismissed.status, dismissed.history[-1].reason) == ("dismissed", "we already swarm")
    with pytest.raises(InvalidTransition, match="allowed: nothing"):
        store.transition(rec.id, "accepted", actor="maria")


def test_a_database_that_cannot_be_written_loses_nothing(tmp_path: Path) -> None:
    path = tmp_path / "state.db"
    store = RecommendationStore(f"sqlite:///{path}")
    [rec] = store.propose([recommendation()], organisation="acme", period=SPRING, at=moment("2026-06-01"))
    read_only = RecommendationStore(f"sqlite:///file:{path}?mode=ro&uri=true")
    with pytest.raises(StateUnavailable, match="could not be written; nothing changed"):
        read_only.transition(rec.id, "accepted", actor="maria")
    assert read_only.get(rec.id).status == "proposed"
    assert RecommendationStore(f"sqlite:///{path}").get(rec.id) == rec
    with pytest.raises(StateUnavailable, match="cannot open the application database"):
        RecommendationStore("sqlite:////proc/no/such/place.db")


@pytest.mark.parametrize(
    ("started", "finished", "data_end", "length", "expected"),
    [
        # a full window on both sides
        (
            "2026-06-01",
            "2026-09-01",
            "2026-09-01",
            92,
            ("2026-03-01", "2026-06-01", "2026-06-01", "2026-09-01"),
        ),
        # done after the data ends: the after window ends with the data, both shrink to what passed
        (
            "2026-06-01",
            "2026-10-15",
            "2026-08-01",
            92,
            ("2026-04-01", "2026-06-01", "2026-06-01", "2026-08-01"),
        ),  # 61 days
        # a long time after: the windows keep the period's length
        (
            "2026-01-01",
            "2026-12-01",
            "2026-12-01",
            30,
            ("2025-12-02", "2026-01-01", "2026-11-01", "2026-12-01"),
        ),
    ],
)
def test_outcome_windows_are_equal_and_around_the_work(
    started: str, finished: str, data_end: str, length: int, expected: tuple[str, ...]
) -> None:
    windows = outcome_windows(
        date.fromisoformat(started), date.fromisoformat(finished), date.fromisoformat(data_end), length
    )
    assert windows is not None
    before, after = windows
    assert (before.days == after.days) and [
        str(d) for d in (before.start, before.end, after.start, after.end)
    ] == list(expected)


def test_too_little_time_after_the_change_gives_no_outcome() -> None:
    assert outcome_windows(date(2026, 6, 1), date(2026, 6, 10), date(2026, 9, 1), 92) is None


def test_done_measures_the_outcome_and_indexes_it_as_a_prior_solution(tmp_path: Path) -> None:
    tickets, events = [], []
    # March to May: six tickets a month with two hand-offs each; June to August: six a month with none.
    for month in range(3, 9):
        for number in range(6):
            ticket_id = f"T{month}{number}"
            tickets.append(
                ticket(
                    ticket_id,
                    f"2026-0{month}-0{number + 1}T08:00:00+00:00",
                    f"2026-0{month}-0{number + 1}T12:00:00+00:00",
                )
            )
            for step in range(3 if month < 6 else 1):
                events.append(
                    event(
                        ticket_id,
                        f"2026-0{month}-0{number + 1}T0{8 + step}:30:00+00:00",
                        "assigned",
                        team=f"team{step}",
                    )
                )
    tickets.append(ticket("last", "2026-08-31T08:00:00+00:00", "2026-08-31T20:00:00+00:00"))
    folder = write_tables(tmp_path / "acme", {"tickets": tickets, "ticket_events": events})
    advisor = build_advisor(
        Settings(data_dir=folder, index_dir=tmp_path / "index", database_url=f"sqlite:///{tmp_path}/state.db")
    )
    [rec] = advisor.recommendations.propose(
        [recommendation()], organisation="acme", period=SPRING, at=moment("2026-06-01")
    )
    advisor.move_recommendation(rec.id, "accepted", actor="maria", at=moment("2026-06-01"))
    advisor.move_recommendation(rec.id, "in_progress", actor="maria", at=moment("2026-06-01"))
    done = advisor.move_recommendation(rec.id, "done", actor="maria", at=moment("2026-09-15"))

    [outcome] = done.outcomes
    assert (outcome.metric_id, outcome.before_value, outcome.after_value) == ("C6", 2.0, 0.0)
    assert (outcome.before_n, outcome.after_n) == (18, 19)
    assert (str(outcome.before_start), str(outcome.after_end)) == ("2026-03-01", "2026-09-01")
    assert outcome.improved is True
    assert advisor.recommendations.get(rec.id).outcomes == [outcome]

    hits = advisor.search("which step reduced hand-offs", k=5, kinds=["solution"])
    assert [hit.id for hit in hits] == [f"solution:{rec.id}"]
    assert "fell from 2 to 0 hand-offs" in hits[0].snippet
