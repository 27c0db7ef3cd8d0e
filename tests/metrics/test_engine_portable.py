"""The metric SQL is portable: every statement a scorecard runs avoids DuckDB-only syntax and transpiles.

The statements are recorded from a real DuckDB scorecard of the small demo, so nothing the scorecard runs
escapes the check. Spark runs them for real (and a drill-down) in test_spark_engine.py (slow).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlglot

from metrics.engines import Rows
from metrics.engines.duckdb_engine import DuckDBSession
from metrics.engines.portable import to_spark, transpile
from metrics.models import Period
from metrics.scorecard import compute_scorecard
from metrics.store import OrganisationStore, open_store

DUCKDB_ONLY = ("GROUP BY ALL", "EXCLUDE", "REPLACE (", "'-infinity'", "TEMP TABLE")


class RecordingSession(DuckDBSession):
    """The real DuckDB session, noting every statement it runs."""

    def __init__(self, session: DuckDBSession, seen: list[str]) -> None:
        super().__init__(session.cursor)
        self.seen = seen

    def fetch(self, sql: str, params: Mapping[str, object] | None = None) -> Rows:
        self.seen.append(sql)
        return super().fetch(sql, params)

    def create_table(self, name: str, sql: str) -> None:
        self.seen.append(sql)
        super().create_table(name, sql)


class RecordingStore:
    def __init__(self, store: OrganisationStore) -> None:
        self.store, self.seen = store, list[str]()
        self.tables, self.window = store.tables, store.window

    @contextlib.contextmanager
    def session(self) -> Iterator[RecordingSession]:
        with self.store.session() as session:
            yield RecordingSession(session, self.seen)

    def time_range(self) -> tuple[datetime, datetime] | None:
        return self.store.time_range()


@pytest.fixture(scope="module")
def statements(demo_dir: Path) -> list[str]:
    store = RecordingStore(open_store(demo_dir))
    compute_scorecard(store, Period.parse("2026-08-01..2026-11-01"))
    return store.seen


def test_a_scorecard_runs_dozens_of_statements_none_duckdb_only(statements: list[str]) -> None:
    assert len(statements) > 30
    for sql in statements:
        for construct in DUCKDB_ONLY:
            assert construct not in sql.upper(), f"{construct} in: {sql[:300]}"


def test_every_statement_becomes_spark_sql_that_spark_can_parse(statements: list[str]) -> None:
    params = {
        "period_start": datetime(2026, 8, 1, tzinfo=UTC),
        "period_end": datetime(2026, 11, 1, tzinfo=UTC),
    }
    for sql in statements:
        spark_sql = to_spark(sql, "Europe/Berlin", {**params, "median": 12.5} if "$" in sql else None)
        sqlglot.parse_one(spark_sql, read="spark")  # raises on text Spark's grammar does not accept
        assert "MATERIALIZED" not in spark_sql and "UNIX_TIMESTAMP" not in spark_sql
        assert "current_setting" not in spark_sql.lower()


@pytest.mark.slow
@pytest.mark.parametrize("dialect", ["trino", "snowflake", "bigquery", "databricks"])
def test_sqlglot_translates_every_statement_to_other_engines(statements: list[str], dialect: str) -> None:
    for sql in statements:
        translated = transpile(sql, dialect, "Europe/Berlin")
        assert "CURRENT_SETTING" not in translated.upper() and "TRY_STRPTIME" not in translated.upper()


def test_spark_rewrites_keep_duckdb_meanings() -> None:
    spark_sql = to_spark(
        "SELECT epoch(t)::BIGINT, avg(CASE WHEN x THEN 1.0 ELSE 0.0 END), arg_min(a, b) FROM e", "UTC"
    )
    assert "CAST(BROUND(UNIX_MICROS(t) / CAST(1000000.0 AS DOUBLE)) AS BIGINT)" in spark_sql
    assert "THEN CAST(1.0 AS DOUBLE) ELSE CAST(0.0 AS DOUBLE)" in spark_sql
    assert "MIN_BY(a, CASE WHEN NOT a IS NULL THEN b END)" in spark_sql
