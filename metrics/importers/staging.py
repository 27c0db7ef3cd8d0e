"""Staging: mapped values of every source row in one DuckDB table, checked in bulk; problems go to `rejects`.

A stage table holds, per canonical column `c`: `v_c` (the typed value), `r_c` (the source text), `x_c` (the
value is present but unusable), `k_c` (the mapping says such a value rejects the row: `other: reject`) and
`m_c` (why), plus `__src`, `__line` and `__drop` (left out on purpose).

An unusable value of a required column (or the key) rejects its row; one of an optional column is emptied and
listed as a warning, and the row stays.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb

from metrics.importers.sql import Compiled, ident, lit, quoted
from metrics.schema import DUCKDB_TYPES, TABLES

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
        selects.append(f"{value.refuse} AS {ident('k_' + column)}")
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
    """Reject unusable rows of `stage` (bad values or missing values of required columns, values the mapping
    refuses, duplicate keys: the first occurrence stays), empty the bad values of optional columns (a warning
    each, also for an end before its start), and return the name of a table with the usable rows."""
    needed = set(required) | ({key} if key else set())
    fatal: list[tuple[str, str, str]] = []
    warnings: list[tuple[str, str, str]] = []
    for column in stage.labels:
        bad, refused = ident("x_" + column), ident("k_" + column)
        if column in needed:
            fatal.append((bad, column, ident("m_" + column)))
        else:
            fatal.append((refused, column, ident("m_" + column)))
            warnings.append((f"{bad} AND NOT {refused}", column, _emptied(ident("m_" + column))))
    for column in required:
        fatal.append(
            (
                f"NOT {ident('x_' + column)} AND {stage.v(column)} IS NULL",
                column,
                lit(f"empty, but {table}.{column} is required"),
            )
        )
    any_fatal = " OR ".join(condition for condition, _, _ in fatal) or "FALSE"
    _record(connection, stage, table, fatal, "rejected", "TRUE")
    _record(connection, stage, table, warnings, "warning", f"NOT ({any_fatal})")
    usable = f"{stage.table}_usable"
    cleaned = [
        f"CASE WHEN {ident('x_' + column)} THEN NULL ELSE {stage.v(column)} END AS {stage.v(column)}"
        for column in stage.labels
        if column not in needed
    ]
    replace = f" REPLACE ({', '.join(cleaned)})" if cleaned else ""
    connection.execute(
        f"CREATE TEMP TABLE {usable} AS SELECT *{replace} FROM {stage.table} WHERE NOT __drop AND NOT ({any_fatal})"
    )
    _empty_negative_durations(connection, stage, usable, table, needed)
    if key is not None:
        _reject_duplicates(connection, stage, usable, table, key)
    return usable


def _emptied(reason: str) -> str:
    return f"{reason} || ': left empty'"


def _record(
    connection: duckdb.DuckDBPyConnection,
    stage: Stage,
    table: str,
    problems: list[tuple[str, str, str]],
    severity: str,
    only: str,
    source: str | None = None,
) -> None:
    for condition, column, reason in problems:
        connection.execute(
            f"""
            INSERT INTO rejects
            SELECT f.name, s.__line, {lit(stage.labels[column])}, {lit(table)}, {reason}, {lit(severity)}
            FROM {source or stage.table} s JOIN files f ON f.idx = s.__src
            WHERE NOT s.__drop AND ({only}) AND ({condition})
            """
        )


def _empty_negative_durations(
    connection: duckdb.DuckDBPyConnection, stage: Stage, usable: str, table: str, needed: set[str]
) -> None:
    """An end before its start: the end is emptied (a warning), or the row rejected when the end is required."""
    for start, end in DURATIONS.get(table, ()):
        if start not in stage.labels or end not in stage.labels:
            continue
        condition = f"coalesce({stage.v(end)} < {stage.v(start)}, FALSE)"
        reason = (
            f"{quoted(ident('r_' + end))} || {lit(f' ({end}) is before {start} ')} || "
            f"{quoted(ident('r_' + start))} || ': a negative duration'"
        )
        if end in needed:
            _record(connection, stage, table, [(condition, end, reason)], "rejected", "TRUE", usable)
            connection.execute(f"DELETE FROM {usable} WHERE {condition}")
        else:
            _record(connection, stage, table, [(condition, end, _emptied(reason))], "warning", "TRUE", usable)
            connection.execute(f"UPDATE {usable} SET {stage.v(end)} = NULL WHERE {condition}")


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
               CASE WHEN r.__first_src <> r.__src THEN ' of ' || first.name ELSE '' END || ')', 'rejected'
        FROM {usable}_ranked r JOIN files f ON f.idx = r.__src JOIN files first ON first.idx = r.__first_src
        WHERE r.__rank > 1
        """
    )
    connection.execute(
        f"CREATE OR REPLACE TEMP TABLE {usable} AS "
        f"SELECT * EXCLUDE (__rank, __first_src, __first_line) FROM {usable}_ranked WHERE __rank = 1"
    )


def lost_tickets(
    connection: duckdb.DuckDBPyConnection, stage: Stage, usable: str, column: str, *, name_them: bool
) -> int:
    """How many ticket ids of `stage` (column `column`) have no usable row left; with `name_them`, each gets a
    line in rejects (the ticket's first row), so that a ticket is never lost without a word."""
    value = stage.v(column)
    connection.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE {stage.table}_lost AS
        SELECT {value} AS ticket_id, arg_min(__src, (__src, __line)) AS __src, min(__line) AS __first,
               count(*) AS rows
        FROM {stage.table} s
        WHERE NOT __drop AND {value} IS NOT NULL
          AND NOT EXISTS (SELECT 1 FROM {usable} u WHERE u.{value} = s.{value})
        GROUP BY {value}
        """
    )
    if name_them:
        connection.execute(
            f"""
            INSERT INTO rejects
            SELECT f.name, l.__first, {lit(stage.labels[column])}, 'tickets',
                   'ticket ' || {quoted("l.ticket_id")} || ' has no usable row: ' ||
                   CASE WHEN l.rows = 1 THEN 'its only row was' ELSE 'all ' || l.rows || ' of its rows were' END
                   || ' rejected, so the ticket is left out', 'rejected'
            FROM {stage.table}_lost l JOIN files f ON f.idx = l.__src
            """
        )
    row = connection.execute(f"SELECT count(*) FROM {stage.table}_lost").fetchone()
    return int(row[0]) if row else 0


def canonical_select(name: str, stage: Stage, usable: str) -> str:
    """The usable rows of `stage` as canonical table `name` (unmapped columns empty), with their origin."""
    selects = [
        f"{stage.v(column.name)} AS {ident(column.name)}"
        if column.name in stage.labels
        else f"NULL::{DUCKDB_TYPES[column.type]} AS {ident(column.name)}"
        for column in TABLES[name].columns
    ]
    return f"SELECT {', '.join(selects)}, __src, __line, 0 AS __order FROM {usable}"
