"""Time zones, daylight-saving changes, Parquet files read in place, and duplicate ids."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from metrics.errors import InvalidInputData
from metrics.models import Period, Scorecard
from metrics.scorecard import compute_scorecard
from metrics.store import open_store
from tests.metrics.tables import event, ticket, write_tables

MARCH = Period.parse("2026-03-01..2026-04-01")


def border_tickets(folder: Path) -> Path:
    """Tickets resolved just before midnight UTC at the ends of February and March."""
    messages = {"TA": 1, "TB": 3, "TC": 5}
    return write_tables(
        folder,
        {
            "tickets": [
                # 22:30 UTC on 31 March is 00:30 on 1 April in Berlin (summer time, +02:00)
                ticket("TA", "2026-03-20T08:00:00+00:00", "2026-03-31T22:30:00+00:00"),
                # 23:30 UTC on 28 February is 00:30 on 1 March in Berlin (winter time, +01:00)
                ticket("TB", "2026-01-20T08:00:00+00:00", "2026-02-28T23:30:00+00:00"),
                ticket("TC", "2026-03-10T08:00:00+00:00", "2026-03-15T08:00:00+00:00"),
            ],
            "ticket_events": [
                event(ticket_id, f"2026-01-2{number}T09:00:00+00:00", "agent_message", agent_id="a1")
                for ticket_id, count in messages.items()
                for number in range(count)
            ],
        },
    )


@pytest.mark.parametrize(
    ("time_zone", "march", "median", "february"),
    [
        ("UTC", ["TA", "TC"], 3.0, 1),  # 1 and 5 messages; TB in February
        ("Europe/Berlin", ["TB", "TC"], 4.0, 0),  # 3 and 5 messages; TA in April
    ],
)
def test_the_period_is_in_the_organisations_time_zone(
    tmp_path: Path, time_zone: str, march: list[str], median: float, february: int
) -> None:
    card = compute_scorecard(
        open_store(border_tickets(tmp_path), time_zone=time_zone), MARCH, min_group_size=1
    )
    result = card.metric("C5")
    assert (result.n, result.value) == (len(march), median)
    # the monthly trend has the same boundaries (the data starts in January, February is its first full month)
    assert [(point.month, point.n) for point in result.trend] == [("2026-02", february), ("2026-03", 2)]


def test_durations_across_a_daylight_saving_change_are_real_hours(tmp_path: Path) -> None:
    folder = write_tables(
        tmp_path,
        {
            "tickets": [
                # Berlin's clocks go forward on 29 March 2026: noon to noon is 23 hours
                ticket("T1", "2026-03-28T12:00:00+01:00", "2026-03-29T12:00:00+02:00"),
                # and back on 25 October: noon to noon is 25 hours
                ticket("T2", "2026-10-24T12:00:00+02:00", "2026-10-25T12:00:00+01:00"),
            ]
        },
    )
    store = open_store(folder, time_zone="Europe/Berlin")
    march = compute_scorecard(store, MARCH, min_group_size=1).metric("B2")
    october = compute_scorecard(store, Period.parse("2026-10-01..2026-11-01"), min_group_size=1).metric("B2")
    assert (march.value, october.value) == (23.0, 25.0)


def as_parquet(folder: Path, target: Path) -> Path:
    """The same tables as typed Parquet files, as an importer writes them."""
    target.mkdir()
    store = open_store(folder)
    for name in store.tables:
        table = store.cursor().sql(f"SELECT * FROM {name}").to_arrow_table()
        pq.write_table(table, target / f"{name}.parquet")
    return target


def scorecard_json(card: Scorecard) -> dict[str, object]:
    return card.model_dump(mode="json")


def test_parquet_files_are_read_in_place_with_the_same_results(tmp_path: Path) -> None:
    csv_folder = border_tickets(tmp_path / "csv")
    parquet_folder = as_parquet(csv_folder, tmp_path / "parquet")
    store = open_store(parquet_folder)
    views = {
        row[0]
        for row in store.cursor()
        .execute("SELECT view_name FROM duckdb_views() WHERE NOT internal")
        .fetchall()
    }
    assert {"tickets", "ticket_events"} <= views
    assert scorecard_json(compute_scorecard(store, MARCH, min_group_size=1)) == scorecard_json(
        compute_scorecard(open_store(csv_folder), MARCH, min_group_size=1)
    )


def test_parquet_with_text_times_is_checked_like_a_csv_file(tmp_path: Path) -> None:
    table = pa.table({"id": ["T1", "T2"], "created_at": ["2026-03-01T08:00:00+00:00", "31/02/2024"]})
    pq.write_table(table, tmp_path / "tickets.parquet")
    with pytest.raises(InvalidInputData, match=r"tickets.parquet row 2, column 'created_at': '31/02/2024'"):
        open_store(tmp_path)


@pytest.mark.parametrize("suffix", ["csv", "parquet"])
def test_duplicate_ids_are_refused_in_any_format(tmp_path: Path, suffix: str) -> None:
    folder = write_tables(
        tmp_path / "csv",
        {
            "surveys": [
                {"id": "S1", "kind": "csat", "at": "2026-03-01T08:00:00+00:00", "score": 5, "scale_max": 5},
                {"id": "S1", "kind": "csat", "at": "2026-03-02T08:00:00+00:00", "score": 1, "scale_max": 5},
            ]
        },
    )
    if suffix == "parquet":
        target = tmp_path / "parquet"
        target.mkdir()
        connection = __import__("duckdb").connect()
        connection.execute(
            f"COPY (SELECT * FROM read_csv('{folder / 'surveys.csv'}', header = true)) TO "
            f"'{target / 'surveys.parquet'}' (FORMAT parquet)"
        )
        folder = target
    with pytest.raises(InvalidInputData, match=rf"surveys.{suffix}, column 'id': id 'S1' appears 2 times"):
        open_store(folder)


@pytest.mark.parametrize(
    ("time_zone", "people", "participation"), [("UTC", 2, 50.0), ("Europe/Berlin", 1, 0.0)]
)
def test_participation_days_are_days_of_the_organisations_time_zone(
    tmp_path: Path, time_zone: str, people: int, participation: float
) -> None:
    folder = write_tables(
        tmp_path,
        {
            "ticket_events": [
                event("T1", "2026-03-10T09:00:00+00:00", "agent_message", agent_id="a1"),
                # 22:30 UTC on 31 March is already 1 April in Berlin
                event("T2", "2026-03-31T22:30:00+00:00", "article_linked", agent_id="a2"),
            ]
        },
    )
    result = compute_scorecard(open_store(folder, time_zone=time_zone), MARCH, min_group_size=1).metric("K6")
    assert (result.details["people"], result.value) == (people, participation)
