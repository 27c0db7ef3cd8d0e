"""Drill-down by team, product, channel or segment: groups by name, small groups suppressed, no person view."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from advisor.cli import app
from advisor.service import Advisor
from advisor.settings import Settings
from metrics.models import GroupValue, Period, Scorecard
from metrics.scorecard import compute_scorecard
from metrics.store import open_store
from tests.metrics.tables import event, ticket, write_tables
from web.app import create_app

MARCH = Period.parse("2026-03-01..2026-04-01")


def teams_folder(folder: Path, sizes: dict[str | None, tuple[int, int]]) -> Path:
    """Per team: (tickets resolved in March, hand-offs on each); January holds each team's baseline."""
    tickets, events = [], []
    for team, (count, handoffs) in sizes.items():
        for month, month_handoffs in (("01", 0), ("03", handoffs)):
            for number in range(count):
                ticket_id = f"T{team}{month}{number}"
                tickets.append(
                    ticket(ticket_id, f"2026-{month}-01T00:00:00+00:00", f"2026-{month}-02T00:00:00+00:00",
                           **({"team": team} if team else {}))
                )  # fmt: skip
                for step in range(month_handoffs + 1):
                    events.append(
                        event(ticket_id, f"2026-{month}-01T0{step}:00:00+00:00", "assigned", team=f"q{step}")
                    )
    return write_tables(folder, {"tickets": tickets, "ticket_events": events})


def drill(folder: Path, by: str = "team", min_group_size: int = 5) -> Scorecard:
    return compute_scorecard(open_store(folder), MARCH, min_group_size=min_group_size, by=by)  # type: ignore[arg-type]


def shown(group: GroupValue) -> tuple[str, float | None, int | None, str, bool]:
    return group.group, group.value, group.n, group.status, group.suppressed


def test_groups_are_listed_by_name_and_small_ones_suppressed(tmp_path: Path) -> None:
    card = drill(teams_folder(tmp_path, {"B": (7, 0), "A": (6, 1), "C": (2, 3), None: (5, 0)}))
    groups = card.metric("C6").groups
    assert [shown(group) for group in groups] == [
        # A: 1 hand-off each against its own baseline of 0 -> weak; B: 0 against 0 -> strong
        ("A", 1.0, 6, "weak", False),
        ("B", 0.0, 7, "strong", False),
        # C has 2 tickets: hidden, value and n
        ("C", None, None, "no data", True),
        # hidden too (the smallest other group), so C cannot be worked out from the total of 20
        ("(not set)", None, None, "no data", True),
    ]
    assert groups[2].note == "fewer than 5 people or records: suppressed"
    assert groups[3].note == "suppressed too, so that a smaller group cannot be worked out from the total"
    # the whole organisation is still shown: 20 tickets, mean hand-offs (6 * 1 + 2 * 3) / 20
    assert (card.metric("C6").n, card.metric("C6").value) == (20, 0.6)
    assert card.drilldown is not None and card.drilldown.by == "team"
    assert "never ranked" in card.drilldown.note


def test_two_small_groups_hide_each_other(tmp_path: Path) -> None:
    groups = drill(teams_folder(tmp_path, {"A": (6, 1), "B": (2, 0), "C": (3, 0)})).metric("C6").groups
    assert [(group.group, group.suppressed) for group in groups] == [("A", False), ("B", True), ("C", True)]


def test_a_group_is_judged_by_the_target_where_one_is_sourced(tmp_path: Path) -> None:
    def csat(number: int, score: int, team_ticket: str) -> dict[str, object]:
        return {"id": f"S{number}", "kind": "csat", "ticket_id": team_ticket, "at": "2026-03-15T00:00:00+00:00",
                "score": score, "scale_max": 5}  # fmt: skip

    folder = write_tables(
        tmp_path,
        {
            "tickets": [ticket("TA", "2026-03-01T00:00:00+00:00", team="A"),
                        ticket("TB", "2026-03-01T00:00:00+00:00", team="B")],
            "surveys": [csat(1, 5, "TA"), csat(2, 4, "TA"), csat(3, 5, "TB"), csat(4, 2, "TB")],
        },
    )  # fmt: skip
    groups = drill(folder, min_group_size=2).metric("C1b").groups
    # A 100% (strong against 80%), B 50% (weak)
    assert [(group.group, group.value, group.compared_with, group.status) for group in groups] == [
        ("A", 100.0, "target", "strong"),
        ("B", 50.0, "target", "weak"),
    ]


def test_people_metrics_size_groups_by_people(tmp_path: Path) -> None:
    answers = [
        {"id": f"S{who}{round_}", "kind": "engagement", "respondent_id": who, "at": "2026-03-10T00:00:00+00:00",
         "score": 70, "scale_max": 100}
        for who in ("E1", "E2", "E3", "E4", "E5", "E6")
        for round_ in range(3)
    ]  # fmt: skip
    employees = [{"id": who, "team": "A" if who in {"E1", "E2"} else "B", "started_at": "2025-01-01T00:00:00+00:00"}
                 for who in ("E1", "E2", "E3", "E4", "E5", "E6")]  # fmt: skip
    card = drill(write_tables(tmp_path, {"surveys": answers, "employees": employees}), min_group_size=3)
    groups = card.metric("E1").groups
    # team A: six answers but only two people -> hidden; B (four people) alone would then reveal A: hidden too
    assert [(group.group, group.suppressed) for group in groups] == [("A", True), ("B", True)]
    assert card.metric("E1").value == 70.0


def test_metrics_without_the_dimension_say_so(tmp_path: Path) -> None:
    folder = write_tables(
        tmp_path,
        {
            "revenue_events": [
                {"account_id": "A1", "at": "2026-03-05T00:00:00+00:00", "kind": "new", "amount": 10}
            ]
        },
    )
    card = drill(folder, min_group_size=1)
    assert card.metric("B3").groups == []
    assert card.metric("B3").groups_note == "not available by team: its records carry no team"
    assert card.metric("A1").groups_note == "computed for the whole organisation"


def test_there_is_no_drill_down_by_person(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="cannot drill down by 'agent_id'"):
        drill(teams_folder(tmp_path, {"A": (5, 0)}), by="agent_id")


def test_without_a_drill_down_the_json_contract_is_unchanged(tmp_path: Path) -> None:
    card = compute_scorecard(open_store(teams_folder(tmp_path, {"A": (5, 0)})), MARCH)
    data = card.model_dump(mode="json")
    assert data["drilldown"] is None
    assert all(metric["groups"] == [] for category in data["categories"] for metric in category["metrics"])


def test_cli_drills_down_by_team(tmp_path: Path) -> None:
    folder = teams_folder(tmp_path, {"A": (6, 1), "B": (7, 0)})
    runner = CliRunner()
    result = runner.invoke(
        app, ["scorecard", str(folder), "--period", "2026-03-01..2026-04-01", "--by", "team", "--json"]
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["drilldown"]["by"] == "team"
    c6 = next(
        metric for category in data["categories"] for metric in category["metrics"] if metric["id"] == "C6"
    )
    assert [(group["group"], group["value"], group["n"]) for group in c6["groups"]] == [
        ("A", 1.0, 6),
        ("B", 0.0, 7),
    ]
    text = runner.invoke(
        app, ["scorecard", str(folder), "--period", "2026-03-01..2026-04-01", "--by", "team"]
    )
    assert text.exit_code == 0 and "Customer by team" in text.stdout and "never ranked" in text.stdout
    refused = runner.invoke(app, ["scorecard", str(folder), "--by", "agent"])
    assert refused.exit_code != 0


def test_api_drills_down_by_team(settings: Settings, advisor: Advisor) -> None:
    with TestClient(create_app(settings, advisor=advisor)) as client:
        body = client.get("/api/scorecard", params={"by": "team"}).json()
        assert body["drilldown"]["by"] == "team"
        c6 = next(
            metric
            for category in body["categories"]
            for metric in category["metrics"]
            if metric["id"] == "C6"
        )
        groups = [group["group"] for group in c6["groups"]]
        assert groups == sorted(groups, key=lambda name: (name == "(not set)", name.lower())) and groups
        assert client.get("/api/scorecard", params={"by": "agent_id"}).status_code == 422
        assert client.get("/api/scorecard").json()["drilldown"] is None
