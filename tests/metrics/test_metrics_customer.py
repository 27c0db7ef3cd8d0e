"""Customer metrics on small hand-made tables, against figures worked out by hand in the comments."""

from __future__ import annotations

from pathlib import Path

import pytest

from metrics.models import MetricValue, Period
from metrics.scorecard import compute_scorecard
from metrics.store import open_store
from tests.metrics.tables import event, ticket, write_tables

MARCH = Period.parse("2026-03-01..2026-04-01")


def metric(folder: Path, metric_id: str, min_group_size: int = 1) -> MetricValue:
    return compute_scorecard(open_store(folder), MARCH, min_group_size=min_group_size).metric(metric_id)


def answer(
    number: int, kind: str, score: float, scale: float, at: str = "2026-03-15T10:00:00+00:00"
) -> dict[str, object]:
    return {"id": f"S{number}", "kind": kind, "at": at, "score": score, "scale_max": scale}


def nps_answers() -> list[dict[str, object]]:
    return [
        answer(1, "nps", 10, 10), answer(2, "nps", 9, 10), answer(3, "nps", 9, 10),  # promoters
        answer(4, "nps", 8, 10), answer(5, "nps", 7, 10),  # passives
        answer(6, "nps", 6, 10), answer(7, "nps", 0, 10),  # detractors
        answer(8, "nps", 5, 5),  # 5 of 5 is 10 of 10: promoter
        answer(9, "nps", 3, 5),  # 3 of 5 is 6 of 10: detractor
        answer(10, "nps", 10, 10, at="2026-04-01T00:00:00+00:00"),  # April: not this period
        answer(11, "csat", 5, 5),  # not an NPS answer
    ]  # fmt: skip


def test_nps_is_promoters_minus_detractors(tmp_path: Path) -> None:
    result = metric(write_tables(tmp_path, {"surveys": nps_answers()}), "C1a")
    # 9 answers: 4 promoters, 3 detractors -> 100 * (4 - 3) / 9
    assert (result.n, result.value) == (9, 11.11)
    assert result.details == {"promoters_pct": 44.44, "detractors_pct": 33.33, "n": 9}
    # no target and no baseline (all data is in March): a value that cannot be judged yet, not "no data"
    assert (result.status, result.availability) == ("no baseline", "no_baseline")
    assert result.note == "no baseline yet: no earlier data to compare with"


def test_customer_composite_averages_nps_on_0_100_and_csat(tmp_path: Path) -> None:
    csat = [
        answer(20, "csat", 5, 5),
        answer(21, "csat", 4, 5),
        answer(22, "csat", 4, 5),
        answer(23, "csat", 2, 5),
    ]
    folder = write_tables(tmp_path, {"surveys": [*nps_answers()[:9], *csat]})
    result = metric(folder, "C1")
    # NPS 11.11 -> (11.11 + 100) / 2 = 55.555; CSAT 3 of 4 = 75 -> (55.555 + 75) / 2 = 65.28
    assert result.value == 65.28
    assert result.n == 9 + 4
    assert result.details == {"C1a_mapped_0_100": 55.55, "C1b": 75.0}  # 55.555 is stored just below


def test_customer_composite_needs_both_components(tmp_path: Path) -> None:
    result = metric(write_tables(tmp_path, {"surveys": nps_answers()[:9]}), "C1")
    assert (result.value, result.status, result.availability) == (None, "no data", "no_records")
    assert result.note is not None and result.note.startswith("needs both C1a and C1b: C1b")


def ticket_events() -> dict[str, list[dict[str, object]]]:
    return {
        "tickets": [
            ticket("T1", "2026-03-01T08:00:00+00:00", "2026-03-02T08:00:00+00:00"),
            ticket("T2", "2026-03-01T08:00:00+00:00", "2026-03-03T08:00:00+00:00"),
            ticket("T3", "2026-03-01T08:00:00+00:00", "2026-03-04T08:00:00+00:00"),
            ticket("T4", "2026-03-01T08:00:00+00:00"),  # resolved by its status event
            ticket("T5", "2026-03-01T08:00:00+00:00"),  # never resolved: only backlog
        ],
        "ticket_events": [
            event("T1", "2026-03-01T08:00:00+00:00", "customer_message"),
            event("T1", "2026-03-01T09:00:00+00:00", "agent_message"),
            event("T1", "2026-03-01T10:00:00+00:00", "agent_message"),
            event("T1", "2026-03-01T10:30:00+00:00", "assigned", team="A"),  # not an interaction
            event("T2", "2026-03-01T08:00:00+00:00", "customer_message"),
            event("T2", "2026-03-05T08:00:00+00:00", "reopened"),
            # T3 has no events at all: 0 interactions, not reopened
            event("T4", "2026-03-01T08:00:00+00:00", "customer_message"),
            event("T4", "2026-03-02T08:00:00+00:00", "agent_message"),
            event("T4", "2026-03-03T08:00:00+00:00", "status", status="Resolved"),
            event("T4", "2026-03-04T08:00:00+00:00", "reopened"),
            event("T4", "2026-03-05T08:00:00+00:00", "reopened"),
            event("T4", "2026-03-06T08:00:00+00:00", "agent_message"),
            event("T4", "2026-03-07T08:00:00+00:00", "status", status="resolved"),
            event("T5", "2026-03-01T08:00:00+00:00", "reopened"),
            event("T5", "2026-03-01T09:00:00+00:00", "customer_message"),
        ],
    }


def test_interactions_to_close_count_customer_and_agent_messages(tmp_path: Path) -> None:
    result = metric(write_tables(tmp_path, ticket_events()), "C5")
    # resolved in March: T1 3, T2 1, T3 0, T4 3 (also after its reopening) -> sorted 0 1 3 3
    # headline: the mean per ticket, 7 / 4 (issue 10); 3 of 4 tickets with at least one interaction
    assert (result.n, result.value, result.unit) == (4, 1.75, "interactions per ticket")
    assert result.details == {"share_with_interaction_pct": 75.0, "median": 2.0, "p80": 3.0, "n": 4}


def test_reopen_rate_counts_resolved_tickets_reopened_at_least_once(tmp_path: Path) -> None:
    result = metric(write_tables(tmp_path, ticket_events()), "C1r")
    # T2 once and T4 twice (counted once) of T1-T4; T5 is unresolved and does not count
    assert (result.n, result.value, result.direction) == (4, 50.0, "lower")


def test_customer_effort_maps_onto_one_to_seven(tmp_path: Path) -> None:
    answers = [
        answer(1, "ces", 7, 7), answer(2, "ces", 5, 7), answer(3, "ces", 4, 7), answer(4, "ces", 2, 7),
        answer(5, "ces", 5, 5),  # 1 + 4 * 6 / 4 = 7
        answer(6, "ces", 3, 5),  # 1 + 2 * 6 / 4 = 4
    ]  # fmt: skip
    result = metric(write_tables(tmp_path, {"surveys": answers}), "C2")
    # mapped 7 5 4 2 7 4: mean 29 / 6; agreeing (5-7): 3 of 6
    assert (result.n, result.value) == (6, 4.83)
    assert result.details == {"mean": 4.83, "n": 6, "agree_pct": 50.0}


def test_self_service_find_rate_and_self_service_first(tmp_path: Path) -> None:
    def session(number: int, helpful: object, ticket_id: str = "") -> dict[str, object]:
        return {
            "id": f"SS{number}",
            "at": "2026-03-10T10:00:00+00:00",
            "helpful": helpful,
            "ticket_id": ticket_id,
        }

    folder = write_tables(
        tmp_path,
        {
            "self_service_sessions": [
                session(1, "true"),  # helpful
                session(2, "false"),  # answered not helpful: failed, although no ticket followed
                session(3, ""),  # unanswered, no ticket followed: succeeded
                session(4, "", "T1"),  # unanswered, a ticket followed: failed
                session(5, "true", "T2"),  # answered helpful: succeeded
            ],
            "tickets": [
                ticket("T1", "2026-03-10T11:00:00+00:00", "2026-03-11T11:00:00+00:00"),
                ticket("T2", "2026-03-10T11:00:00+00:00", "2026-03-11T11:00:00+00:00"),
                ticket("T3", "2026-03-10T11:00:00+00:00", "2026-03-11T11:00:00+00:00"),
            ],
        },
    )
    result = metric(folder, "C4")
    # find rate 3 of 5; self-service first: T1 and T2 of 3 resolved tickets
    assert (result.n, result.value) == (5, 60.0)
    assert result.details["self_service_first_pct"] == 66.67
    # 60% against the 85/85 goal with a 10-point watch band: 2.5 bands short -> 50 - 25 * 1.5
    assert (result.compared_with, result.status, result.score) == ("target", "weak", 12.5)


def test_customer_outcome_signals(tmp_path: Path) -> None:
    def usage(
        account: str, active: int, feature: str, adopted: str, health: str, month: str = "2026-03"
    ) -> dict[str, object]:
        return {"account_id": account, "period": month, "active_users": active, "feature": feature,
                "adopted": adopted, "health_check_passed": health}  # fmt: skip

    folder = write_tables(
        tmp_path,
        {
            "accounts": [
                {"id": "A1", "licences": 10},
                {"id": "A2", "licences": 4},
                {"id": "A3", "licences": 0},  # no licences: no utilisation
            ],
            "usage": [
                usage("A1", 5, "Reports", "true", "true"),
                usage("A1", 5, "API", "false", "true"),
                usage("A2", 6, "Reports", "true", "false"),  # more active users than licences: 100%
                usage("A3", 3, "Reports", "false", "true"),
                usage("A1", 10, "Reports", "true", "false", month="2026-04"),  # April
            ],
        },
    )
    result = metric(folder, "C7")
    # utilisation: A1 5/10, A2 capped at 1 -> 75%; adoption 2 of 4 feature rows; health: A1 1, A2 0, A3 1
    assert (result.n, result.value) == (2, 75.0)
    assert result.details["feature_adoption_pct"] == 50.0
    assert result.details["health_check_pass_pct"] == 66.67


@pytest.mark.parametrize("metric_id", ["C1", "C1a", "C1r", "C2", "C4", "C5", "C7"])
def test_missing_tables_mean_no_data_not_an_error(tmp_path: Path, metric_id: str) -> None:
    result = metric(write_tables(tmp_path, {"employees": []}), metric_id)
    assert (result.value, result.status, result.availability) == (None, "no data", "missing_tables")


@pytest.mark.parametrize("metric_id", ["C1a", "C1r", "C2", "C4", "C5", "C7"])
def test_empty_tables_mean_no_records(tmp_path: Path, metric_id: str) -> None:
    tables = ("surveys", "tickets", "ticket_events", "self_service_sessions", "usage", "accounts")
    result = metric(write_tables(tmp_path, {name: [] for name in tables}), metric_id)
    assert (result.value, result.n, result.availability) == (None, 0, "no_records")
