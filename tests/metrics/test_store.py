"""Loading an organisation's folder: clear errors that say what and where."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from metrics.errors import InvalidInputData, InvalidPeriod
from metrics.models import Period
from metrics.scorecard import compute_scorecard, default_period
from metrics.store import open_store
from tests.metrics.tables import ticket, write_tables


def test_a_date_that_does_not_parse_names_file_line_and_column(tmp_path: Path) -> None:
    write_tables(
        tmp_path,
        {"tickets": [ticket("T1", "2026-03-01T08:00:00+00:00"), ticket("T2", "31/02/2024")]},
    )
    with pytest.raises(
        InvalidInputData,
        match=r"tickets.csv line 3, column 'created_at': '31/02/2024' is not a valid timestamp",
    ):
        open_store(tmp_path)


def test_missing_required_columns_are_named(tmp_path: Path) -> None:
    (tmp_path / "tickets.csv").write_text("id,team\nT1,Billing\n", encoding="utf-8")
    with pytest.raises(InvalidInputData, match=r"tickets.csv: missing required column\(s\): created_at"):
        open_store(tmp_path)


def test_duplicate_ids_are_named(tmp_path: Path) -> None:
    write_tables(
        tmp_path,
        {"tickets": [ticket("T1", "2026-03-01T08:00:00+00:00"), ticket("T1", "2026-03-02T08:00:00+00:00")]},
    )
    with pytest.raises(InvalidInputData, match=r"tickets.csv, column 'id': id 'T1' appears 2 times"):
        open_store(tmp_path)


def test_unknown_columns_are_ignored_with_a_warning(tmp_path: Path) -> None:
    (tmp_path / "tickets.csv").write_text(
        "id,created_at,mood\nT1,2026-03-01T08:00:00+00:00,happy\n", encoding="utf-8"
    )
    store = open_store(tmp_path)
    assert store.tables == frozenset({"tickets"})
    assert store.warnings == ["tickets.csv: ignored unknown column(s): mood"]


def test_a_missing_folder_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(InvalidInputData, match="does not exist"):
        open_store(tmp_path / "nowhere")


def test_default_period_is_the_last_three_full_months_covered(tmp_path: Path) -> None:
    # a ticket resolved every month from December 2025 to October 2026: a long, even history
    months = ["2025-12"] + [f"2026-{month:02d}" for month in range(1, 11)]
    tickets = [ticket(f"T{number}", f"{month}-10T08:00:00+00:00", f"{month}-11T08:00:00+00:00")
               for number, month in enumerate(months)]  # fmt: skip
    tickets.append(ticket("T-last", "2026-10-31T22:00:00+00:00", "2026-10-31T23:00:00+00:00"))
    write_tables(tmp_path, {"tickets": tickets})
    # the data reaches the last day of October, so October is a full month
    assert default_period(open_store(tmp_path)) == Period(date(2026, 8, 1), date(2026, 11, 1))
    tickets[-1] = ticket("T-last", "2026-10-10T08:00:00+00:00", "2026-11-21T08:00:00+00:00")
    write_tables(tmp_path, {"tickets": tickets})
    # part of November is not a full month
    assert default_period(open_store(tmp_path)) == Period(date(2026, 8, 1), date(2026, 11, 1))


def test_scorecard_keeps_the_json_contract(tmp_path: Path) -> None:
    write_tables(
        tmp_path, {"tickets": [ticket("T1", "2026-03-01T08:00:00+00:00", "2026-03-01T10:00:00+00:00")]}
    )
    data = compute_scorecard(open_store(tmp_path), Period.parse("2026-03-01..2026-04-01")).model_dump(
        mode="json"
    )
    assert data["period"] == {"start": "2026-03-01", "end": "2026-04-01"}
    assert [category["id"] for category in data["categories"]] == [
        "customer",
        "employee",
        "business",
        "knowledge",
        "acceleration",
    ]
    assert [category["focus_pct"] for category in data["categories"]] == [20, 20, 30, 20, 10]
    for category in data["categories"]:
        assert {"id", "name", "focus_pct", "score", "coverage", "metrics"} <= category.keys()
        assert category["coverage"]["total"] == len(category["metrics"])
        for metric in category["metrics"]:
            assert {
                "id",
                "name",
                "value",
                "unit",
                "direction",
                "status",
                "n",
                "target",
                "details",
            } <= metric.keys()
            assert metric["direction"] in {"lower", "higher"}
            assert metric["status"] in {"strong", "watch", "weak", "no baseline", "no data"}


@pytest.mark.parametrize("text", ["2026-07-01", "2026-07-01..2026-13-01", "2026-10-01..2026-07-01", "x..y"])
def test_bad_periods_are_rejected(text: str) -> None:
    with pytest.raises(InvalidPeriod):
        Period.parse(text)


def test_period_is_half_open_and_shifts_by_months() -> None:
    period = Period.parse("2026-07-01..2026-10-01")
    assert period.shifted_back() == Period(date(2026, 4, 1), date(2026, 7, 1))
    assert period.month_count() == 3


def test_the_covered_months_come_from_the_tickets_when_there_are_any(tmp_path: Path) -> None:
    write_tables(
        tmp_path,
        {
            "tickets": [ticket("T1", "2026-01-05T08:00:00+00:00", "2026-10-31T08:00:00+00:00")],
            "competency": [{"employee_id": "E1", "peer_trust_at": "2015-03-01T00:00:00+00:00"}],
        },
    )
    time_range = open_store(tmp_path).time_range()
    assert time_range is not None and time_range[0].year == 2026
    (tmp_path / "tickets.csv").unlink()
    only_people = open_store(tmp_path).time_range()
    assert only_people is not None and only_people[0].year == 2015
