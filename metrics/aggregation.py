"""Aggregating a metric's records over windows (period, previous, baseline, months), whole or per group.

One query per metric answers every window at once: the records are joined to a small table of windows on
their time and aggregated per window (and per group for a drill-down), all inside the engine
(DuckDB, or Spark through `metrics.engines`). Metrics whose records share their rows can share the query too
(`metrics.batch`), each reading its own columns (`Values`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import duckdb

from metrics.definition_types import Aggregation
from metrics.engines import MetricsSession
from metrics.engines.duckdb_engine import as_session
from metrics.models import Period
from metrics.records import timestamp_literal

#: Names of the windows that are calendar months of the trend: `month:2026-03`.
MONTH_PREFIX = "month:"


@dataclass(frozen=True)
class Window:
    """A named window with its boundaries as instants at midnight in the organisation's time zone."""

    name: str
    period: Period
    lo: datetime
    hi: datetime


@dataclass(frozen=True)
class Stats:
    """One aggregate of records: `value` is the figure; `size` is what small groups are judged by."""

    n: int
    size: int
    value: float | None
    flagged: int = 0
    extra: dict[str, float | None] = field(default_factory=dict)


@dataclass(frozen=True)
class Values:
    """The record columns one metric's aggregates read, and the rows they count.

    A metric aggregated alone reads `rec.x` and `rec.y` of the rows its query keeps. Metrics computed together
    over shared rows (`metrics.batch`) each read their own columns, and each aggregate is filtered to the rows
    the metric would have kept alone (`kept`), so its figures are the same.
    """

    x: str = "rec.x"
    y: str = "rec.y"
    kept: str | None = None

    def only(self, condition: str | None = None) -> str:
        """The FILTER clause of one aggregate: its own `condition` and the metric's rows ("" for neither)."""
        parts = [part for part in (condition, self.kept) if part]
        return f" FILTER (WHERE {' AND '.join(parts)})" if parts else ""


def _extra(aggregation: Aggregation, v: Values) -> tuple[tuple[str, str], ...]:
    """Figures each aggregation reports beside its value, as (name, SQL over the joined rows `rec` and `win`).

    `stderr` is the standard error of the value (for a median, the large-sample 1.2533 sd / sqrt(n)): it tells
    a real change against the baseline from noise.
    """
    x, only = v.x, v.only()
    above_zero = f"100 * avg(CASE WHEN {x} > 0 THEN 1.0 ELSE 0.0 END){only}"
    if aggregation == "distribution":
        return (
            ("median", f"median({x}){only}"),
            ("p80", f"quantile_cont({x}, 0.8){only}"),
            ("mean", f"avg({x}){only}"),
            ("share_above_zero", above_zero),
            ("stderr", f"1.2533 * stddev_samp({x}){only} / sqrt(count({x}){only})"),
        )
    if aggregation == "count":
        return (
            ("share_above_zero", above_zero),
            ("median", f"median({x}){only}"),
            ("p80", f"quantile_cont({x}, 0.8){only}"),
            ("stderr", f"stddev_samp({x}){only} / sqrt(count({x}){only})"),
        )
    if aggregation in ("percent", "nps"):
        stderr = ("stderr", f"100 * stddev_samp({x}){only} / sqrt(count({x}){only})")
        if aggregation == "percent":
            return (stderr,)
        return (
            ("promoters_pct", above_zero),
            ("detractors_pct", f"100 * avg(CASE WHEN {x} < 0 THEN 1.0 ELSE 0.0 END){only}"),
            stderr,
        )
    if aggregation == "mean":
        return (("stderr", f"stddev_samp({x}){only} / sqrt(count({x}){only})"),)
    if aggregation == "ratio":
        return (("numerator", f"sum({x}){only}"), ("denominator", f"sum({v.y}){only}"))
    if aggregation == "sum":
        # A sum of n draws (revenue events) varies by sqrt(n) standard deviations: a few large events on a
        # small n swing it far, so its noise band must see that.
        return (("stderr", f"sqrt(count({x}){only}) * stddev_samp({x}){only}"),)
    return ()


def _value(aggregation: Aggregation, v: Values) -> str:
    x, only = v.x, v.only()
    if aggregation == "distribution":
        return f"median({x}){only}"
    if aggregation in ("count", "mean"):
        return f"avg({x}){only}"
    if aggregation in ("percent", "nps"):
        return f"100 * avg({x}){only}"
    if aggregation == "ratio":
        return f"sum({x}){only} / nullif(sum({v.y}){only}, 0)"
    if aggregation == "sum":
        return f"sum({x}){only}"
    if aggregation == "snapshot":
        return (
            "100 * avg(CASE WHEN rec.done_at IS NOT NULL THEN CASE WHEN rec.done_at < win.hi THEN 1.0 ELSE 0.0 "
            f"END ELSE {x} END){only}"
        )
    if aggregation == "participation":
        return f"100.0 * count(DISTINCT rec.person){v.only(f'{x} > 0')} / count(DISTINCT rec.person){only}"
    raise ValueError(f"{aggregation!r} is derived from other metrics, not aggregated from records")


def stats_columns(aggregation: Aggregation, people: bool, values: Values | None = None) -> list[str]:
    """The aggregates of one metric's Stats, in the order `read_stats` reads them."""
    v = values or Values()
    value = _value(aggregation, v)
    only = v.only()
    n = f"count(DISTINCT rec.person){only}" if aggregation == "participation" else f"count(*){only}"
    size = (
        f"count(DISTINCT rec.person){only} + count(*){v.only('rec.person IS NULL')}"
        if people or aggregation == "participation"
        else f"count(*){only}"
    )
    columns = [n, size, value, f"count(*){v.only('rec.flag')}"]
    columns += [sql for _, sql in _extra(aggregation, v)]
    return columns


def read_stats(aggregation: Aggregation, figures: Sequence[Any]) -> Stats:
    """Stats from one row's figures in the order of `stats_columns`."""
    n, size, value, flagged, *extra = figures
    names = [name for name, _ in _extra(aggregation, Values())]
    return Stats(
        n=int(n),
        size=int(size),
        value=None if value is None else float(value),
        flagged=int(flagged),
        extra={
            name: None if figure is None else float(figure) for name, figure in zip(names, extra, strict=True)
        },
    )


def aggregate(
    cursor: duckdb.DuckDBPyConnection | MetricsSession,
    records_sql: str,
    aggregation: Aggregation,
    windows: list[Window],
    *,
    people: bool = False,
    by: str | None = None,
) -> dict[tuple[str, str | None], Stats]:
    """Stats per window (and per group of `by`, when given); windows without records are absent.

    `cursor` is the engine's session (a DuckDB cursor still works: it is the embedded engine's session)."""
    columns = stats_columns(aggregation, people)
    query = windows_query(
        records_sql,
        columns,
        windows,
        snapshot=aggregation == "snapshot",
        by=by,
        keep="(rec.x IS NOT NULL OR rec.done_at IS NOT NULL)",
    )
    rows = as_session(cursor).fetch(query).rows
    return {(row[0], row[1]): read_stats(aggregation, row[2:]) for row in rows}


def windows_query(
    records_sql: str, columns: list[str], windows: list[Window], *, snapshot: bool, by: str | None, keep: str
) -> str:
    """One query for every window: calendar months by grouping on the month, other windows by a range join.

    Grouping each record under its month (in the session's time zone) is one pass; a range join against
    dozens of month windows would compare every record with each of them. A snapshot counts everything that
    exists by each window's end, so it always joins. Rows are `(window name, group, *columns)` for the
    records `keep` keeps.
    """
    stats = ", ".join(columns)
    named_stats = ", ".join(f"{sql} AS s{index}" for index, sql in enumerate(columns))
    outer_stats = ", ".join(f"s{index}" for index in range(len(columns)))
    group = f'rec."{by}"' if by else "NULL::VARCHAR"
    months = [] if snapshot else [w for w in windows if w.name.startswith(MONTH_PREFIX)]
    named = [window for window in windows if window not in months]
    parts = []
    if named:
        values = ", ".join(
            f"('{window.name}', {timestamp_literal(window.lo)}, {timestamp_literal(window.hi)})"
            for window in named
        )
        condition = 'rec."at" < win.hi' if snapshot else 'rec."at" >= win.lo AND rec."at" < win.hi'
        parts.append(
            f"SELECT win.name AS name, {group} AS grp, {stats} FROM rec "
            f"JOIN (VALUES {values}) win(name, lo, hi) ON {condition} WHERE {keep} GROUP BY 1, 2"
        )
    if months:
        lo, hi = min(window.lo for window in months), max(window.hi for window in months)
        parts.append(
            f"SELECT '{MONTH_PREFIX}' || strftime(month, '%Y-%m') AS name, grp, {outer_stats} FROM ("
            f"SELECT date_trunc('month', rec.\"at\") AS month, {group} AS grp, {named_stats} FROM rec "
            f'WHERE {keep} AND rec."at" >= {timestamp_literal(lo)} AND rec."at" < {timestamp_literal(hi)} '
            "GROUP BY 1, 2) months"
        )
    return f"WITH rec AS MATERIALIZED ({records_sql}) " + " UNION ALL ".join(parts)


def headline(stats: Stats | None, min_group_size: int) -> float | None:
    """The figure a window shows: none without records, or when fewer than the minimum rest on it."""
    if stats is None or stats.n == 0 or stats.size < min_group_size or stats.value is None:
        return None
    return round(stats.value, 2)


def noise_band(current: Stats | None, baseline: Stats | None) -> float | None:
    """Two standard errors of the difference between the period and the baseline (about 95%): a change
    smaller than this may be chance, so it is not called worse."""
    errors = [stats.extra.get("stderr") for stats in (current, baseline) if stats is not None]
    if len(errors) != 2 or any(error is None for error in errors):
        return None
    return 2.0 * math.sqrt(sum(error**2 for error in errors if error is not None))
