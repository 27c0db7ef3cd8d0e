"""Aggregating a metric's records over windows (period, previous, baseline, months), whole or per group.

One query per metric answers every window at once: the records are joined to a small table of windows on
their time and aggregated per window (and per group for a drill-down), all inside the engine
(DuckDB, or Spark through `metrics.engines`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime

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


#: Figures each aggregation reports beside its value, as (name, SQL over the joined rows `rec` and `win`).
#: `stderr` is the standard error of the value (for a median, the large-sample 1.2533 sd / sqrt(n)): it tells
#: a real change against the baseline from noise.
_EXTRA: dict[str, tuple[tuple[str, str], ...]] = {
    "distribution": (
        ("median", "median(rec.x)"),
        ("p80", "quantile_cont(rec.x, 0.8)"),
        ("mean", "avg(rec.x)"),
        ("share_above_zero", "100 * avg(CASE WHEN rec.x > 0 THEN 1.0 ELSE 0.0 END)"),
        ("stderr", "1.2533 * stddev_samp(rec.x) / sqrt(count(rec.x))"),
    ),
    "count": (
        ("share_above_zero", "100 * avg(CASE WHEN rec.x > 0 THEN 1.0 ELSE 0.0 END)"),
        ("median", "median(rec.x)"),
        ("p80", "quantile_cont(rec.x, 0.8)"),
        ("stderr", "stddev_samp(rec.x) / sqrt(count(rec.x))"),
    ),
    "percent": (("stderr", "100 * stddev_samp(rec.x) / sqrt(count(rec.x))"),),
    "mean": (("stderr", "stddev_samp(rec.x) / sqrt(count(rec.x))"),),
    "nps": (
        ("promoters_pct", "100 * avg(CASE WHEN rec.x > 0 THEN 1.0 ELSE 0.0 END)"),
        ("detractors_pct", "100 * avg(CASE WHEN rec.x < 0 THEN 1.0 ELSE 0.0 END)"),
        ("stderr", "100 * stddev_samp(rec.x) / sqrt(count(rec.x))"),
    ),
    "ratio": (("numerator", "sum(rec.x)"), ("denominator", "sum(rec.y)")),
    # A sum of n draws (revenue events) varies by sqrt(n) standard deviations: a few large events on a small n
    # swing it far, so its noise band must see that.
    "sum": (("stderr", "sqrt(count(rec.x)) * stddev_samp(rec.x)"),),
}

_VALUE: dict[str, str] = {
    "distribution": "median(rec.x)",
    "count": "avg(rec.x)",
    "percent": "100 * avg(rec.x)",
    "mean": "avg(rec.x)",
    "nps": "100 * avg(rec.x)",
    "ratio": "sum(rec.x) / nullif(sum(rec.y), 0)",
    "sum": "sum(rec.x)",
    "snapshot": (
        "100 * avg(CASE WHEN rec.done_at IS NOT NULL THEN CASE WHEN rec.done_at < win.hi THEN 1.0 ELSE 0.0 END "
        "ELSE rec.x END)"
    ),
    "participation": "100.0 * count(DISTINCT rec.person) FILTER (WHERE rec.x > 0) / count(DISTINCT rec.person)",
}


def _stats_columns(aggregation: Aggregation, people: bool) -> list[str]:
    if aggregation not in _VALUE:
        raise ValueError(f"{aggregation!r} is derived from other metrics, not aggregated from records")
    n = "count(DISTINCT rec.person)" if aggregation == "participation" else "count(*)"
    size = (
        "count(DISTINCT rec.person) + count(*) FILTER (WHERE rec.person IS NULL)"
        if people or aggregation == "participation"
        else "count(*)"
    )
    columns = [n, size, _VALUE[aggregation], "count(*) FILTER (WHERE rec.flag)"]
    columns += [sql for _, sql in _EXTRA.get(aggregation, ())]
    return columns


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
    rows = as_session(cursor).fetch(_query(records_sql, aggregation, windows, people, by)).rows
    names = [name for name, _ in _EXTRA.get(aggregation, ())]
    result = {}
    for row in rows:
        n, size, value, flagged, *extra = row[2:]
        result[(row[0], row[1])] = Stats(
            n=int(n),
            size=int(size),
            value=None if value is None else float(value),
            flagged=int(flagged),
            extra={
                name: None if figure is None else float(figure)
                for name, figure in zip(names, extra, strict=True)
            },
        )
    return result


def _query(
    records_sql: str, aggregation: Aggregation, windows: list[Window], people: bool, by: str | None
) -> str:
    """One query for every window: calendar months by grouping on the month, other windows by a range join.

    Grouping each record under its month (in the session's time zone) is one pass; a range join against
    dozens of month windows would compare every record with each of them. A snapshot counts everything that
    exists by each window's end, so it always joins.
    """
    columns = _stats_columns(aggregation, people)
    stats = ", ".join(columns)
    named_stats = ", ".join(f"{sql} AS s{index}" for index, sql in enumerate(columns))
    outer_stats = ", ".join(f"s{index}" for index in range(len(columns)))
    group = f'rec."{by}"' if by else "NULL::VARCHAR"
    keep = "(rec.x IS NOT NULL OR rec.done_at IS NOT NULL)"
    months = [] if aggregation == "snapshot" else [w for w in windows if w.name.startswith(MONTH_PREFIX)]
    named = [window for window in windows if window not in months]
    parts = []
    if named:
        values = ", ".join(
            f"('{window.name}', {timestamp_literal(window.lo)}, {timestamp_literal(window.hi)})"
            for window in named
        )
        if aggregation == "snapshot":
            condition = 'rec."at" < win.hi'
        else:
            condition = 'rec."at" >= win.lo AND rec."at" < win.hi'
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
