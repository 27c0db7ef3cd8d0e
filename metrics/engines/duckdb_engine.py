"""The embedded engine: the portable metric SQL runs on DuckDB as written, with no transpiling."""

from __future__ import annotations

from collections.abc import Mapping

import duckdb

from metrics.engines import MetricsSession, Rows


class DuckDBSession:
    """A `MetricsSession` on one DuckDB cursor (one thread); its temporary tables go with the cursor."""

    def __init__(self, cursor: duckdb.DuckDBPyConnection) -> None:
        self.cursor = cursor

    @property
    def time_zone(self) -> str:
        row = self.cursor.execute("SELECT current_setting('TimeZone')").fetchone()
        return str(row[0]) if row else "UTC"

    def fetch(self, sql: str, params: Mapping[str, object] | None = None) -> Rows:
        result = self.cursor.execute(sql, dict(params) if params else None)
        columns = [column[0] for column in result.description or []]
        return Rows(columns, result.fetchall())

    def create_table(self, name: str, sql: str) -> None:
        self.cursor.execute(f"CREATE OR REPLACE TEMP TABLE {name} AS {sql}")


def as_session(executor: duckdb.DuckDBPyConnection | MetricsSession) -> MetricsSession:
    """A DuckDB cursor wrapped as a session; a session passes through (callers that still hold a cursor)."""
    if isinstance(executor, duckdb.DuckDBPyConnection):
        return DuckDBSession(executor)
    return executor
