"""The import's results: one ordered table per canonical table, the rule that fails an import, Parquet files."""

from __future__ import annotations

from pathlib import Path

import duckdb

from metrics.errors import InvalidInputData
from metrics.importers.sql import ident, lit
from metrics.schema import TABLES
from metrics.spreadsheet import neutralised_sql

#: The text columns of rejects.csv (`line` is a number).
REJECT_TEXT_COLUMNS = ("file", "column", "table", "severity", "reason")


def _order(name: str) -> str:
    if name == "ticket_events":
        return 'ticket_id, "at", __src, __line, __order'
    key = TABLES[name].key
    return f"{ident(key)}, __src, __line" if key else "__src, __line"


def collect_outputs(connection: duckdb.DuckDBPyConnection, outputs: dict[str, list[str]]) -> dict[str, int]:
    """Build `out_<table>` from each table's selects; fail when a table's rows were all unusable or none at all."""
    counts: dict[str, int] = {}
    for name, selects in sorted(outputs.items()):
        if not selects:
            continue
        connection.execute(
            f"CREATE TEMP TABLE out_{name} AS SELECT * FROM ({' UNION ALL '.join(selects)}) ORDER BY {_order(name)}"
        )
        row = connection.execute(f"SELECT count(*) FROM out_{name}").fetchone()
        counts[name] = int(row[0]) if row else 0
    failed = [name for name, rows in counts.items() if rows == 0 and _problems(connection, name)]
    if not counts or failed or not any(counts.values()):
        what = f"no usable rows for {', '.join(failed)}" if failed else "nothing could be imported"
        problems = connection.execute(
            "SELECT file, line, \"column\", reason FROM rejects WHERE severity = 'rejected' "
            "ORDER BY file, line NULLS FIRST LIMIT 5"
        ).fetchall()
        details = "; ".join(
            f"{file}{f' line {line}' if line is not None else ''}"
            f"{f', column {column!r}' if column else ''}: {reason}"
            for file, line, column, reason in problems
        )
        raise InvalidInputData(
            f"{what}, the data folder is unchanged" + (f". First problems: {details}" if details else "")
        )
    return counts


def _problems(connection: duckdb.DuckDBPyConnection, table: str) -> int:
    row = connection.execute(
        "SELECT count(*) FROM rejects WHERE \"table\" = ? AND severity = 'rejected'", [table]
    ).fetchone()
    return int(row[0]) if row else 0


def write_outputs(connection: duckdb.DuckDBPyConnection, counts: dict[str, int], folder: Path) -> None:
    for name in counts:
        columns = ", ".join(ident(column) for column in TABLES[name].column_names)
        target = lit(str(folder / f"{name}.parquet"))
        connection.execute(
            f"COPY (SELECT {columns} FROM out_{name} ORDER BY {_order(name)}) TO {target} (FORMAT parquet)"
        )
    target = lit(str(folder / "rejects.csv"))
    # rejects quote the export's own cells, which may hold formulas: neutralised for spreadsheets
    cells = {name: f"{neutralised_sql(ident(name))} AS {ident(name)}" for name in REJECT_TEXT_COLUMNS}
    connection.execute(
        f"""COPY (SELECT {cells["file"]}, line, {cells["column"]}, {cells["table"]}, {cells["severity"]},
                         {cells["reason"]} FROM rejects
                  ORDER BY file, line NULLS FIRST, "table", "column", reason)
            TO {target} (FORMAT csv, HEADER true)"""
    )
