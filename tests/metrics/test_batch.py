"""Metrics whose records share their rows are computed in one scan of them, with the figures each has alone
(issue 18 §5)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import duckdb
import pytest

from metrics import batch
from metrics.aggregation import Window, aggregate
from metrics.batch import Request, aggregate_shared
from metrics.engines.duckdb_engine import DuckDBSession
from metrics.models import Period
from metrics.records import RESOLVED_TICKETS, SharedRecords
from metrics.scorecard import compute_scorecard
from metrics.store import open_store


def _window(name: str, start: date, end: date) -> Window:
    def midnight(day: date) -> datetime:
        return datetime(day.year, day.month, day.day, tzinfo=UTC)

    return Window(name, Period(start, end), midnight(start), midnight(end))


WINDOWS = [
    _window("period", date(2026, 3, 1), date(2026, 4, 1)),
    _window("previous", date(2026, 2, 1), date(2026, 3, 1)),
    _window("baseline", date(2026, 1, 1), date(2026, 2, 1)),
    *(_window(f"month:2026-0{m}", date(2026, m, 1), date(2026, m + 1, 1)) for m in (1, 2, 3)),
]


@pytest.fixture
def session() -> Iterator[DuckDBSession]:
    """Hand-made rows: `b` is empty on some rows and in all of February, so its metrics keep fewer rows than
    those of `a`, and have no record at all in February."""
    connection = duckdb.connect()
    connection.execute("SET TimeZone = 'UTC'")
    connection.execute(
        """
        CREATE TABLE facts AS SELECT * FROM (VALUES
            (TIMESTAMPTZ '2026-01-05 10:00:00+00', 0.0, 1.0, 2.0, 'Billing', 'p1', false),
            (TIMESTAMPTZ '2026-01-20 10:00:00+00', 2.0, NULL, 1.0, 'Billing', 'p2', true),
            (TIMESTAMPTZ '2026-01-31 23:59:59+00', 3.0, 0.0, 0.0, 'Platform', 'p1', false),
            (TIMESTAMPTZ '2026-02-01 00:00:00+00', 1.0, NULL, 1.0, 'Platform', NULL, false),
            (TIMESTAMPTZ '2026-02-14 08:00:00+00', 5.0, NULL, 3.0, NULL, 'p3', true),
            (TIMESTAMPTZ '2026-03-02 09:00:00+00', 0.0, -1.0, 1.0, 'Billing', 'p3', false),
            (TIMESTAMPTZ '2026-03-09 09:00:00+00', 4.0, 1.0, NULL, 'Billing', 'p4', false),
            (TIMESTAMPTZ '2026-03-30 09:00:00+00', NULL, 0.0, 2.0, 'Platform', 'p4', true)
        ) v("at", a, b, c, team, person, flagged)
        """
    )
    yield DuckDBSession(connection)
    connection.close()


def _records(x: str, y: str | None = None) -> SharedRecords:
    return SharedRecords("facts f", at="f.at", x=x, y=y, person="f.person", flag="f.flagged", team="f.team")


MEMBERS = [
    Request(_records("f.a"), "count", False),
    Request(_records("f.b"), "distribution", False),
    Request(_records("f.a", "f.c"), "ratio", False),
    Request(_records("f.b"), "nps", True),
    Request(_records("f.b"), "percent", False),
    Request(_records("f.a"), "mean", True),
    Request(_records("f.b"), "sum", False),
]


@pytest.mark.parametrize("by", [None, "team"])
def test_one_query_gives_each_metric_its_own_figures(session: DuckDBSession, by: str | None) -> None:
    together = aggregate_shared(session, MEMBERS, WINDOWS, by=by)

    for member, shared in zip(MEMBERS, together, strict=True):
        alone = aggregate(session, member.records, member.aggregation, WINDOWS, people=member.people, by=by)
        assert shared == alone, member
    # `b` has no record in February: absent there, as in its own query, while `a` has its figures.
    assert ("month:2026-02", None) not in together[1] and ("previous", None) not in together[1]
    if by is None:
        assert together[0][("month:2026-02", None)].n == 2
        assert together[1][("period", None)].n == 3


def test_records_sql_is_the_same_text_as_before() -> None:
    """The SQL a shared record runs alone is the plain records query: series and diagnosis read it as is."""
    records = SharedRecords(RESOLVED_TICKETS, at="t.resolved_at", x="t.handoffs", team="t.team")
    assert records.startswith('SELECT t.resolved_at AS "at", t.handoffs AS "x", NULL::DOUBLE AS "y"')
    assert records.endswith(f"FROM {RESOLVED_TICKETS}")
    assert records.source == _records_source(RESOLVED_TICKETS, team="t.team")


def _records_source(rows: str, **common: str) -> tuple[str, tuple[tuple[str, str], ...]]:
    return rows, tuple(sorted({"at": "t.resolved_at", **common}.items()))


def test_the_ticket_metrics_take_one_scan_and_give_the_same_scorecard(
    demo_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    queries: list[str] = []
    fetch = DuckDBSession.fetch

    def counting(self: DuckDBSession, sql: str, params: object = None) -> object:
        queries.append(sql)
        return fetch(self, sql, params)  # type: ignore[arg-type]

    monkeypatch.setattr(DuckDBSession, "fetch", counting)
    store = open_store(demo_dir)
    period = Period.parse("2026-08-01..2026-11-01")
    together = compute_scorecard(store, period, by="team")
    ticket_scans = [sql for sql in queries if RESOLVED_TICKETS in sql]
    # C1r, C5, C6 and K3 with its link rate: one query for every window, one per team for the drill-down.
    assert len(ticket_scans) == 2
    assert all("x_3" in sql for sql in ticket_scans)

    queries.clear()
    monkeypatch.setattr(batch, "compute_ahead", lambda context, metrics: {})
    alone = compute_scorecard(store, period, by="team")
    assert len([sql for sql in queries if RESOLVED_TICKETS in sql]) >= 8
    assert together.model_dump_json() == alone.model_dump_json()
    store.close()
