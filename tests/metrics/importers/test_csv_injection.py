"""Cells of the CSVs the product writes cannot run as spreadsheet formulas (OWASP CSV injection)."""

from __future__ import annotations

import csv
from pathlib import Path

import duckdb

from metrics.spreadsheet import neutralise, neutralised_sql
from tests.metrics.import_helpers import import_files

FORMULA = '=HYPERLINK("http://x","y")'
MAPPING = """
name: test
sources:
  tickets:
    match: ["*.csv"]
tables:
  tickets:
    from: tickets
    columns:
      id: Ticket
      created_at: '=HYPERLINK("http://x","y")'
      resolved_at: Solved
      team: Team
"""


def test_the_helper_quotes_formula_text_and_leaves_numbers() -> None:
    for text in (FORMULA, "+1", "-cmd", "@SUM(A1)", "\tx", "\rx"):
        assert neutralise(text) == "'" + text
    assert neutralise("Billing") == "Billing" and neutralise("") == ""
    assert neutralise(-12.5) == -12.5 and neutralise(None) is None
    with duckdb.connect() as connection:
        found = connection.execute(
            f"SELECT {neutralised_sql('v')} FROM (VALUES (?), ('-2'), ('ok'), (NULL)) t(v)", [FORMULA]
        ).fetchall()
    assert found == [("'" + FORMULA,), ("'-2",), ("ok",), (None,)]


def test_rejects_csv_neutralises_formulas_from_the_export(tmp_path: Path) -> None:
    header = FORMULA.replace('"', '""')
    text = (
        f'Ticket,"{header}",Solved,Team\n'
        "T1,2026-03-01T08:00:00Z,,Ops\n"
        "T2,not a date,,@Ops\n"
        "T3,2026-03-01T08:00:00Z,-1,-2\n"
    )
    report = import_files(tmp_path, {"=cmd.csv": text}, MAPPING)
    assert (report.rejects, report.warnings) == (1, 1)
    with (tmp_path / "org" / "rejects.csv").open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    cells = [cell for row in rows for cell in row.values()]
    assert all(not cell.startswith(("=", "+", "-", "@", "\t", "\r")) for cell in cells)
    assert {row["file"] for row in rows} == {"'=cmd.csv"}
    assert [(row["line"], row["column"], row["reason"]) for row in rows] == [
        ("3", "'" + FORMULA, "'not a date' is not an ISO-8601 date and time"),
        ("4", "Solved", "'-1' is not an ISO-8601 date and time: left empty"),
    ]  # the line numbers stay numbers
