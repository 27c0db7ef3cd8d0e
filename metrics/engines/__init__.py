"""The engines that run the metric SQL: DuckDB embedded (the default) or Apache Spark (distributed).

The metric definitions are SQL written once, in DuckDB's dialect kept to a portable subset (no `GROUP BY
ALL`, no `* EXCLUDE`, no DuckDB-only types); `metrics.engines.portable` transpiles it with SQLGlot for other
engines. A scorecard talks to its engine through a `MetricsSession` (run a query, build a shared table) and
reads the data through a `MetricsStore`; both are small protocols, so another engine is one more module.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal, Protocol

from metrics.plausible import DateWindow

#: The engines that can compute a scorecard.
EngineName = Literal["duckdb", "spark"]
ENGINES: tuple[EngineName, ...] = ("duckdb", "spark")


@dataclass(frozen=True)
class Rows:
    """A query's answer: column names and rows (times as aware datetimes in the session's time zone)."""

    columns: list[str]
    rows: list[tuple[Any, ...]]

    def first(self) -> tuple[Any, ...] | None:
        return self.rows[0] if self.rows else None


class MetricsSession(Protocol):
    """One scorecard's conversation with an engine: queries and the shared tables they read."""

    @property
    def time_zone(self) -> str:
        """The organisation's time zone, in which months and days are cut."""
        ...

    def fetch(self, sql: str, params: Mapping[str, object] | None = None) -> Rows:
        """Run one query of the portable SQL (DuckDB dialect; `$name` parameters) and return its rows."""
        ...

    def create_table(self, name: str, sql: str) -> None:
        """Build (or replace) a table of this session only from a query, for later queries to read."""
        ...


class MetricsStore(Protocol):
    """An organisation's canonical tables, readable by one engine."""

    @property
    def tables(self) -> frozenset[str]: ...

    @property
    def window(self) -> DateWindow: ...

    def time_range(self) -> tuple[datetime, datetime] | None:
        """Earliest and latest activity time in the data, or None when there is none."""
        ...

    def session(self) -> AbstractContextManager[MetricsSession]:
        """A session for one scorecard: its shared tables go when it closes."""
        ...


def union_time_range(
    session: MetricsSession, columns: Sequence[tuple[str, str]]
) -> tuple[datetime, datetime] | None:
    """Earliest and latest of `columns` ((table, column) pairs) in one query, or None when all are empty."""
    parts = [f'SELECT min("{column}") AS lo, max("{column}") AS hi FROM {table}' for table, column in columns]
    if not parts:
        return None
    row = session.fetch(f"SELECT min(lo), max(hi) FROM ({' UNION ALL '.join(parts)}) ranges").first()
    if row is None or row[0] is None:
        return None
    return row[0], row[1]
