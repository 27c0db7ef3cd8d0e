""" "Done" records the outcome and queues the solution's indexing in one transaction; a crash after it is
repaired at the next start (real SQLite, DuckDB, Chroma and the embedding model; the queue also on PostgreSQL)."""

from __future__ import annotations

from pathlib import Path

import pytest

from advisor.composition import build_advisor
from advisor.errors import InvalidTransition
from advisor.models import MetricOutcome
from advisor.recommendation_store import RecommendationStore
from advisor.settings import Settings
from tests.advisor.test_recommendations import SPRING, moment, recommendation
from tests.metrics.tables import event, ticket, write_tables
from tests.postgres import database_url, postgres_server

#: pytest finds fixtures by name in the module: these two come from tests/postgres.py
FIXTURES = (database_url, postgres_server)


def _outcome() -> MetricOutcome:
    return MetricOutcome(
        metric_id="C6", name="Hand-offs per ticket", unit="hand-offs per ticket", direction="lower",
        before_start=SPRING.start, before_end=SPRING.end, before_value=2.0, before_n=18,
        after_start=SPRING.start, after_end=SPRING.end, after_value=0.0, after_n=19,
    )  # fmt: skip


def test_done_outcome_and_queue_entry_are_one_transaction(database_url: str) -> None:
    store = RecommendationStore(database_url)
    [rec] = store.propose([recommendation()], organisation="acme", period=SPRING, at=moment("2026-06-01"))
    store.transition(rec.id, "accepted", actor="maria", at=moment("2026-06-01"))
    store.transition(rec.id, "in_progress", actor="maria", at=moment("2026-06-02"))
    # a refused step (here: a time before the last change) writes neither outcome nor queue entry
    with pytest.raises(InvalidTransition):
        store.transition(
            rec.id, "done", actor="li", at=moment("2026-05-01"), outcomes=[_outcome()], queue_indexing=True
        )
    assert store.get(rec.id).outcomes == [] and store.pending_indexing() == []
    done = store.transition(
        rec.id, "done", actor="li", at=moment("2026-09-01"), outcomes=[_outcome()], queue_indexing=True
    )
    assert (done.status, done.outcomes) == ("done", [_outcome()])
    [(entry, queued)] = store.pending_indexing()
    assert queued == done
    store.indexed([entry])
    assert store.pending_indexing() == []


def _organisation(folder: Path) -> Path:
    """March to May: two hand-offs per ticket; June to August: none (as in test_recommendations)."""
    tickets, events = [], []
    for month in range(3, 9):
        for number in range(6):
            ticket_id = f"T{month}{number}"
            day = f"2026-0{month}-0{number + 1}"
            tickets.append(ticket(ticket_id, f"{day}T08:00:00+00:00", f"{day}T12:00:00+00:00"))
            for step in range(3 if month < 6 else 1):
                events.append(
                    event(ticket_id, f"{day}T0{8 + step}:30:00+00:00", "assigned", team=f"team{step}")
                )
    tickets.append(ticket("last", "2026-08-31T08:00:00+00:00", "2026-08-31T20:00:00+00:00"))
    return write_tables(folder, {"tickets": tickets, "ticket_events": events})


@pytest.mark.slow
def test_a_crash_after_done_is_repaired_at_the_next_start(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = Settings(
        data_dir=_organisation(tmp_path / "acme"),
        index_dir=tmp_path / "index",
        database_url=f"sqlite:///{tmp_path}/state.db",
    )
    advisor = build_advisor(settings)
    [rec] = advisor.recommendations.propose(
        [recommendation()], organisation="acme", period=SPRING, at=moment("2026-06-01")
    )
    advisor.move_recommendation(rec.id, "accepted", actor="maria", at=moment("2026-06-01"))
    advisor.move_recommendation(rec.id, "in_progress", actor="maria", at=moment("2026-06-01"))

    # a failure while measuring (before the transaction) leaves the recommendation as it was
    def broken_measure(*_: object) -> list[MetricOutcome]:
        raise RuntimeError("scorecard failed")

    monkeypatch.setattr(advisor, "measure_recommendation", broken_measure)
    with pytest.raises(RuntimeError, match="scorecard failed"):
        advisor.move_recommendation(rec.id, "done", actor="maria", at=moment("2026-09-15"))
    assert advisor.recommendations.get(rec.id).status == "in_progress"
    assert advisor.recommendations.pending_indexing() == []
    monkeypatch.undo()

    # the process dies after the commit, before the index is written
    def power_cut(*_: object, **__: object) -> None:
        raise SystemExit("power cut")

    monkeypatch.setattr(advisor.index, "build", power_cut)
    with pytest.raises(SystemExit):
        advisor.move_recommendation(rec.id, "done", actor="maria", at=moment("2026-09-15"))
    stored = advisor.recommendations.get(rec.id)
    assert stored.status == "done"
    assert [(o.metric_id, o.before_value, o.after_value) for o in stored.outcomes] == [("C6", 2.0, 0.0)]
    assert [queued.id for _, queued in advisor.recommendations.pending_indexing()] == [rec.id]

    restarted = build_advisor(settings)  # the next start repairs it
    assert restarted.recommendations.pending_indexing() == []
    hits = restarted.search("which step reduced hand-offs", k=5, kinds=["solution"])
    assert [hit.id for hit in hits] == [f"solution:{rec.id}"]
    assert "fell from 2 to 0 hand-offs" in hits[0].snippet
    assert restarted.index_pending_solutions() == 0
