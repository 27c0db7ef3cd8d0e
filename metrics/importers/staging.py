"""Staging: mapped values of every source row in one DuckDB table, checked in bulk; problems go to `rejects`.

A stage table holds, per canonical column `c`: `v_c` (the typed value), `r_c` (the source text), `x_c` (the
value is present but unusable) and `m_c` (why), plus `__src`, `__line` and `__drop` (left out on purpose).
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb

from metrics.importers.sql import Compiled, ident, lit, quoted

#: Pairs (start, end) where an end before its start is a negative duration.
DURATIONS: dict[str, tuple[tuple[str, str], ...]] = {
    "tickets": (("created_at", "resolved_at"), ("created_at", "closed_at")),
    "interruptions": (("interrupted_at", "back_to_happy_at"),),
    "internal_requests": (("opened_at", "accepted_at"), ("opened_at", "resolved_at")),
    "suggestions": (("submitted_at", "decided_at"),),
    "competency": (("exam_passed_at", "peer_trust_at"),),
}


@dataclass(frozen=True)
class Stage:
    """A staged table and the label (source column) that messages use for each of its columns."""

    table: str
    labels: dict[str, str]

    def v(self, column: str) -> str:
        return ident(f"v_{column}")


def create_stage(
    connection: duckdb.DuckDBPyConnection,
    name: str,
    source_sql: str,
    values: dict[str, Compiled],
    *,
    where: str = "TRUE",
    extra: dict[str, str] | None = None,
) -> Stage:
    """Evaluate every compiled value over the rows of `source_sql` that pass `where`."""
    drops = " OR ".join(value.drop for value in values.values()) or "FALSE"
    selects = [f"__src, __line, ({drops}) AS __drop"]
    for column, value in values.items():
        selects.append(f"{value.value} AS {ident('v_' + column)}")
        selects.append(f"{value.raw} AS {ident('r_' + column)}")
        selects.append(f"{value.invalid} AS {ident('x_' + column)}")
        selects.append(f"{value.reason} AS {ident('m_' + column)}")
    for column, sql in (extra or {}).items():
        selects.append(f"{sql} AS {ident(column)}")
    connection.execute(
        f"CREATE TEMP TABLE {name} AS SELECT {', '.join(selects)} FROM ({source_sql}) WHERE {where}"
    )
    return Stage(name, {column: value.label or column for column, value in values.items()})


def keep_usable(
    connection: duckdb.DuckDBPyConnection,
    stage: Stage,
    *,
    table: str,
    required: tuple[str, ...] = (),
    key: str | None = None,
) -> str:
    """Reject unusable rows of `stage` (bad values, missing required values, negative durations, duplicate
    keys: the first occurrence stays) and return the name of a table with the usable rows."""
    problems: list[tuple[str, str, str]] = []
    for column in stage.labels:
        problems.append((f"{ident('x_' + column)}", column, ident("m_" + column)))
    for column in required:
        problems.append(
            (
                f"NOT {ident('x_' + column)} AND {stage.v(column)} IS NULL",
                column,
                lit(f"empty, but {table}.{column} is required"),
            )
        )
    for start, end in DURATIONS.get(table, ()):
        if start in stage.labels and end in stage.labels:
            problems.append(
                (
                    f"coalesce({stage.v(end)} < {stage.v(start)}, FALSE)",
                    end,
                    f"{quoted(ident('r_' + end))} || {lit(f' ({end}) is before {start} ')} || "
                    f"{quoted(ident('r_' + start))} || ': a negative duration'",
                )
            )
    for condition, column, reason in problems:
        connection.execute(
            f"""
            INSERT INTO rejects
            SELECT f.name, s.__line, {lit(stage.labels[column])}, {lit(table)}, {reason}
            FROM {stage.table} s JOIN files f ON f.idx = s.__src
            WHERE NOT s.__drop AND ({condition})
            """
        )
    usable = f"{stage.table}_usable"
    connection.execute(
        f"CREATE TEMP TABLE {usable} AS SELECT * FROM {stage.table} "
        f"WHERE NOT __drop AND NOT ({' OR '.join(condition for condition, _, _ in problems) or 'FALSE'})"
    )
    if key is not None:
        _reject_duplicates(connection, stage, usable, table, key)
    return usable


def _reject_duplicates(
    connection: duckdb.DuckDBPyConnection, stage: Stage, usable: str, table: str, key: str
) -> None:
    value = stage.v(key)
    connection.execute(
        f"""
        CREATE TEMP TABLE {usable}_ranked AS
        SELECT *, row_number() OVER w AS __rank, first_value(__src) OVER w AS __first_src,
               first_value(__line) OVER w AS __first_line
        FROM {usable} WINDOW w AS (PARTITION BY {value} ORDER BY __src, __line)
        """
    )
    connection.execute(
        f"""
        INSERT INTO rejects
        SELECT f.name, r.__line, {lit(stage.labels[key])}, {lit(table)},
               'duplicate id ' || {quoted(value)} || ' (first on line ' || r.__first_line ||
               CASE WHEN r.__first_src <> r.__src THEN ' of ' || first.name ELSE '' END || ')'
        FROM {usable}_ranked r JOIN files f ON f.idx = r.__src JOIN files first ON first.idx = r.__first_src
        WHERE r.__rank > 1
        """
    )
    connection.execute(
        f"CREATE OR REPLACE TEMP TABLE {usable} AS "
        f"SELECT * EXCLUDE (__rank, __first_src, __first_line) FROM {usable}_ranked WHERE __rank = 1"
    )
