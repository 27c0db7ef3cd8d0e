"""Implausible times (never markers, typos, BC dates) are rejected or emptied at import, and hidden when an
older import let them into the data folder."""

from __future__ import annotations

import csv
import shutil
import time
from contextlib import closing
from datetime import UTC, date, datetime
from pathlib import Path

import duckdb
import pytest

from advisor.service import Advisor
from metrics.importers import ImportReport
from metrics.plausible import DateWindow
from metrics.scorecard import compute_scorecard, default_period
from metrics.store import open_store
from tests.metrics.import_helpers import import_files

MAPPING = """
name: test
sources:
  tickets:
    time_zone: Europe/Rome
tables:
  tickets:
    from: tickets
    columns:
      id: Ticket
      created_at: Opened
      resolved_at: Solved
      team: Team
"""
HEADER = "Ticket,Opened,Solved,Team\n"
WINDOW = DateWindow(date(1990, 1, 1), date(2027, 6, 30))


def run(tmp_path: Path, text: str, **options: object) -> ImportReport:
    return import_files(tmp_path, {"tickets.csv": HEADER + text}, MAPPING, date_window=WINDOW, **options)


def rejects(tmp_path: Path) -> list[dict[str, str]]:
    with (tmp_path / "org" / "rejects.csv").open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def tickets(folder: Path) -> dict[str, tuple[datetime, datetime | None]]:
    with duckdb.connect() as connection:
        connection.execute("SET TimeZone = 'UTC'")
        found = connection.execute(
            "SELECT id, created_at, resolved_at FROM read_parquet(?)", [str(folder / "tickets.parquet")]
        ).fetchall()
    return {row[0]: (row[1], row[2]) for row in found}


def test_implausible_required_times_reject_their_row_with_file_line_column_and_reason(tmp_path: Path) -> None:
    report = run(
        tmp_path,
        "T1,2026-03-01 08:00,2026-03-02 09:00,Ops\n"
        "T2,9999-12-31,,Ops\n"
        "T3,0001-01-01 00:00:00,,Ops\n"
        "T4,2999-01-01,,Ops\n"
        "T5,0044-03-15 (BC),,Ops\n"
        "T6,20245-01-01,,Ops\n"
        "T7,1985-06-01,,Ops\n",
    )
    assert set(tickets(tmp_path / "org")) == {"T1"}
    assert report.rejects == 6
    found = {row["line"]: row for row in rejects(tmp_path)}
    assert {row["file"] for row in found.values()} == {"tickets.csv"}
    assert {row["column"] for row in found.values()} == {"Opened"}
    assert {row["severity"] for row in found.values()} == {"rejected"}
    plausible = "plausible dates: 1990-01-01 to 2027-06-30"
    assert found["3"]["reason"] == f"'9999-12-31' is a 'never' marker, not a date ({plausible})"
    assert found["4"]["reason"] == f"'0001-01-01 00:00:00' is a 'never' marker, not a date ({plausible})"
    outside = "is outside the plausible dates 1990-01-01 to 2027-06-30 (setting import date window)"
    assert found["5"]["reason"] == f"'2999-01-01' {outside}"
    assert found["6"]["reason"] == f"'0044-03-15 (BC)' is a 'never' marker, not a date ({plausible})"
    assert found["7"]["reason"].startswith("'20245-01-01' ")
    assert found["8"]["reason"] == f"'1985-06-01' {outside}"


def test_implausible_optional_times_are_emptied_with_a_warning_naming_the_marker(tmp_path: Path) -> None:
    report = run(
        tmp_path,
        "T1,2026-03-01 08:00,9999-12-31 23:59:59,Ops\n"
        "T2,2026-03-01 08:00,0001-01-01,Ops\n"
        "T3,2026-03-01 08:00,2999-05-01,Ops\n"
        "T4,2026-03-01 08:00,2026-03-01 09:00,Ops\n",
    )
    stored = tickets(tmp_path / "org")
    assert [stored[name][1] for name in ("T1", "T2", "T3")] == [None, None, None]
    assert stored["T4"][1] == datetime(2026, 3, 1, 8, tzinfo=UTC)
    assert (report.rejects, report.warnings) == (0, 3)
    reasons = {row["line"]: (row["severity"], row["column"], row["reason"]) for row in rejects(tmp_path)}
    plausible = "plausible dates: 1990-01-01 to 2027-06-30"
    assert reasons == {
        "2": (
            "warning",
            "Solved",
            f"'9999-12-31 23:59:59' is a 'never' marker, not a date ({plausible}): left empty",
        ),
        "3": ("warning", "Solved", f"'0001-01-01' is a 'never' marker, not a date ({plausible}): left empty"),
        "4": (
            "warning",
            "Solved",
            "'2999-05-01' is outside the plausible dates 1990-01-01 to 2027-06-30 (setting import date window): "
            "left empty",
        ),
    }


def test_the_window_is_a_setting(tmp_path: Path) -> None:
    wide = DateWindow(date(1980, 1, 1), date(2030, 12, 31))
    report = import_files(
        tmp_path, {"tickets.csv": HEADER + "T1,1985-06-01,,Ops\n"}, MAPPING, date_window=wide
    )
    assert report.rejects == 0 and set(tickets(tmp_path / "org")) == {"T1"}
    # a later import merges with the folder's rows as the same window reads them: T1 stays
    import_files(tmp_path, {"tickets.csv": HEADER + "T2,1986-06-01,,Ops\n"}, MAPPING, date_window=wide)
    assert set(tickets(tmp_path / "org")) == {"T1", "T2"}
    # the default window would hide both (and an import under it would leave them out)
    with closing(open_store(tmp_path / "org", window=WINDOW)) as store:
        assert store.cursor().execute("SELECT count(*) FROM tickets").fetchone() == (0,)
    today = date(2026, 12, 3)
    assert DateWindow.default(today) == DateWindow(date(1990, 1, 1), date(2027, 12, 3))
    assert DateWindow.default(date(2028, 2, 29)).latest == date(2029, 2, 28)


def _poisoned(demo_dir: Path, folder: Path, *, as_parquet: bool) -> Path:
    """The demo organisation with three tickets an old import let in: resolved 9999-12-31, created in year 1,
    created and resolved in 2999."""
    shutil.copytree(demo_dir, folder)
    with duckdb.connect() as connection:
        connection.execute("SET TimeZone = 'UTC'")
        connection.execute(
            "CREATE TABLE t AS SELECT * FROM read_csv(?, header = true, all_varchar = true)",
            [str(folder / "tickets.csv")],
        )
        for ticket_id, created, resolved in (
            ("BAD1", "2026-03-01 08:00:00+00", "9999-12-31 00:00:00+00"),
            ("BAD2", "0001-01-01 00:00:00+00", None),
            ("BAD3", "2999-01-01 00:00:00+00", "2999-01-02 00:00:00+00"),
        ):
            connection.execute(
                "INSERT INTO t (id, created_at, resolved_at, team) VALUES (?, ?, ?, 'Ops')",
                [ticket_id, created, resolved],
            )
        if as_parquet:
            (folder / "tickets.csv").unlink()
            connection.execute(
                "COPY (SELECT * REPLACE (created_at::TIMESTAMPTZ AS created_at, resolved_at::TIMESTAMPTZ AS "
                "resolved_at, closed_at::TIMESTAMPTZ AS closed_at) FROM t) TO ? (FORMAT parquet)",
                [str(folder / "tickets.parquet")],
            )
        else:
            connection.execute("COPY t TO ? (FORMAT csv, HEADER true)", [str(folder / "tickets.csv")])
    return folder


@pytest.mark.parametrize("as_parquet", [True, False], ids=["parquet", "csv"])
def test_stored_implausible_times_do_not_break_or_move_the_scorecard(
    demo_dir: Path, tmp_path: Path, as_parquet: bool
) -> None:
    bad = _poisoned(demo_dir, tmp_path / "org", as_parquet=as_parquet)
    with closing(open_store(demo_dir)) as clean_store:
        expected = default_period(clean_store)
    started = time.monotonic()
    store = open_store(bad)
    try:
        assert any("outside the plausible dates" in warning for warning in store.warnings)
        time_range = store.time_range()
        assert time_range is not None and store.window.contains(time_range[1])
        assert default_period(store) == expected
        scorecard = compute_scorecard(store, None)
        assert (scorecard.period.start, scorecard.period.end) == (expected.start, expected.end)
        ids = {
            row[0] for row in store.cursor().execute("SELECT id FROM tickets WHERE id LIKE 'BAD%'").fetchall()
        }
        assert ids == {"BAD1"}  # a required time out of the window leaves the row out; BAD1 loses its end
        resolved = store.cursor().execute("SELECT resolved_at FROM tickets WHERE id = 'BAD1'").fetchone()
        assert resolved == (None,)
    finally:
        store.close()
    assert time.monotonic() - started < 60


def test_next_steps_and_warm_up_work_over_stored_implausible_times(
    advisor: Advisor, demo_dir: Path, tmp_path: Path
) -> None:
    bad = _poisoned(demo_dir, tmp_path / "org", as_parquet=True)
    started = time.monotonic()
    scorecard = advisor.scorecard(data_dir=bad)
    assert scorecard.period == advisor.scorecard().period
    steps = advisor.next_steps(data_dir=bad)
    assert steps and [step.practice_id for step in steps] == [
        step.practice_id for step in advisor.next_steps()
    ]
    assert time.monotonic() - started < 120
