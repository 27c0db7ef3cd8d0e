"""The OCMF scorecard of one organisation over one period: every metric, its status, trend and category roll-up."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

import duckdb

from metrics import records, scoring
from metrics.definitions import CATEGORIES, METRICS, MetricDefinition
from metrics.models import (
    CategoryScore,
    Coverage,
    MetricValue,
    Period,
    PeriodModel,
    Scorecard,
    TrendPoint,
    add_months,
)
from metrics.store import OrganisationStore


@dataclass(frozen=True)
class Window:
    name: str
    period: Period


@dataclass(frozen=True)
class Aggregate:
    n: int
    median: float | None
    p80: float | None
    mean: float | None
    share_above_zero: float | None


def default_period(store: OrganisationStore, today: date | None = None) -> Period:
    """The last three full calendar months covered by the data (or before `today` when there is none)."""
    time_range = store.time_range()
    if time_range is None:
        if today is None:
            raise ValueError("the data holds no activity; pass a period")
        return Period.last_full_months(today)
    latest = time_range[1]
    # Data that reaches the last day of a month covers that month.
    return Period.last_full_months((latest + timedelta(days=1)).date())


def baseline_period(store: OrganisationStore, period: Period) -> Period | None:
    """The organisation's first full window of the period's length, if it ends before the period starts."""
    time_range = store.time_range()
    if time_range is None:
        return None
    first_day = time_range[0].date()
    start = first_day if first_day.day == 1 else add_months(first_day, 1)
    months = period.month_count()
    if period.start.day == 1 and period.end.day == 1 and months > 0:
        baseline = Period(start, add_months(start, months))
    else:
        baseline = Period(start, start + timedelta(days=period.days))
    return baseline if baseline.end <= period.start else None


def trend_windows(store: OrganisationStore, period: Period) -> list[Window]:
    """One window per full calendar month from the start of the data to the end of the period."""
    time_range = store.time_range()
    if time_range is None:
        return []
    first_day = time_range[0].date()
    month = first_day if first_day.day == 1 else add_months(first_day, 1)
    windows = []
    while add_months(month, 1) <= period.end:
        windows.append(Window(f"month:{month:%Y-%m}", Period(month, add_months(month, 1))))
        month = add_months(month, 1)
    return windows


def compute_scorecard(
    store: OrganisationStore,
    period: Period | None = None,
    *,
    min_group_size: int = 5,
) -> Scorecard:
    """Compute every defined metric for `period` (default: the last three full months of data)."""
    period = period or default_period(store)
    baseline = baseline_period(store, period)
    windows = [Window("period", period), Window("previous", period.shifted_back())]
    if baseline is not None:
        windows.append(Window("baseline", baseline))
    windows.extend(trend_windows(store, period))
    cursor = store.cursor()
    for statement in records.derived_views_sql(store.tables):
        cursor.execute(statement)
    values = {
        metric.id: _metric_value(cursor, store.tables, metric, windows, period, min_group_size)
        for metric in METRICS
    }
    categories = []
    for category in CATEGORIES:
        metrics = [values[metric.id] for metric in METRICS if metric.category == category.id]
        score = scoring.category_score([metric.score for metric in metrics])
        categories.append(
            CategoryScore(
                id=category.id,
                name=category.name,
                focus_pct=category.focus_pct,
                score=score,
                status=scoring.status_for_score(score),
                coverage=Coverage(
                    with_data=sum(metric.value is not None for metric in metrics), total=len(metrics)
                ),
                metrics=metrics,
            )
        )
    return Scorecard(
        period=PeriodModel(start=period.start, end=period.end),
        baseline_period=PeriodModel(start=baseline.start, end=baseline.end) if baseline else None,
        categories=categories,
        min_group_size=min_group_size,
    )


def _timestamp(day: date) -> str:
    return f"TIMESTAMPTZ '{day.isoformat()} 00:00:00+00'"


def _aggregate(
    cursor: duckdb.DuckDBPyConnection, records_sql: str, windows: list[Window]
) -> dict[str, Aggregate]:
    values = ", ".join(
        f"('{window.name}', {_timestamp(window.period.start)}, {_timestamp(window.period.end)})"
        for window in windows
    )
    rows = cursor.execute(
        f"""
        WITH rec AS ({records_sql}),
             win(name, lo, hi) AS (VALUES {values})
        SELECT win.name, count(rec.x), median(rec.x), quantile_cont(rec.x, 0.8), avg(rec.x),
               avg(CASE WHEN rec.x > 0 THEN 1.0 ELSE 0.0 END)
        FROM win LEFT JOIN rec ON rec."at" >= win.lo AND rec."at" < win.hi AND rec.x IS NOT NULL
        GROUP BY win.name
        """
    ).fetchall()
    return {row[0]: Aggregate(int(row[1]), row[2], row[3], row[4], row[5]) for row in rows}


def _headline(metric: MetricDefinition, aggregate: Aggregate | None, min_group_size: int) -> float | None:
    if aggregate is None or aggregate.n == 0 or aggregate.n < min_group_size:
        return None
    if metric.aggregation == "percent":
        return None if aggregate.mean is None else round(aggregate.mean * 100, 2)
    return None if aggregate.median is None else round(aggregate.median, 2)


def _metric_value(
    cursor: duckdb.DuckDBPyConnection,
    tables: frozenset[str],
    metric: MetricDefinition,
    windows: list[Window],
    period: Period,
    min_group_size: int,
) -> MetricValue:
    base = MetricValue(
        id=metric.id,
        name=metric.name,
        category=metric.category,
        value=None,
        unit=metric.unit,
        direction=metric.direction,
        status="no data",
        score=None,
        n=0,
        target=metric.target.value if metric.target else None,
        target_source=metric.target.source if metric.target else None,
        kind=metric.kind,
        tables=list(metric.tables),
    )
    records_sql = metric.records_sql(tables)
    if records_sql is None:
        base.note = "needs the table(s): " + ", ".join(metric.tables)
        base.availability = "missing_tables"
        return base
    aggregates = _aggregate(cursor, records_sql, windows)
    current = aggregates.get("period")
    base.n = current.n if current else 0
    base.value = _headline(metric, current, min_group_size)
    base.previous = _headline(metric, aggregates.get("previous"), min_group_size)
    base.baseline = _headline(metric, aggregates.get("baseline"), min_group_size)
    base.trend = [
        TrendPoint(
            month=window.name.removeprefix("month:"),
            value=_headline(metric, aggregates[window.name], min_group_size),
            n=aggregates[window.name].n,
        )
        for window in windows
        if window.name.startswith("month:")
    ]
    if base.value is None:
        if base.n:
            base.note, base.availability = (
                f"fewer than {min_group_size} records in the period: not shown",
                "suppressed",
            )
        else:
            base.note, base.availability = "no records in the period", "no_records"
        return base
    assert current is not None
    base.details = _details(metric, current)
    if metric.extra_detail is not None:
        name, sql = metric.extra_detail
        row = cursor.execute(
            sql,
            {"period_end": datetime.combine(period.end, time.min, tzinfo=UTC), "median_days": current.median},
        ).fetchone()
        base.details[name] = int(row[0]) if row else 0
    if base.previous is not None:
        base.change_vs_previous = round(base.value - base.previous, 2)
    if base.baseline is not None:
        base.change_vs_baseline = round(base.value - base.baseline, 2)
    if metric.target is not None:
        base.status, base.score = scoring.score_against(
            base.value, metric.target.value, metric.target.tolerance, metric.direction
        )
        base.compared_with = "target"
    elif base.baseline is not None:
        tolerance = scoring.baseline_tolerance(base.baseline, metric.baseline_tolerance)
        base.status, base.score = scoring.score_against(
            base.value, base.baseline, tolerance, metric.direction
        )
        base.compared_with = "baseline"
    else:
        base.note, base.availability = "no baseline yet: this period can become the baseline", "no_baseline"
    return base


def _details(metric: MetricDefinition, aggregate: Aggregate) -> dict[str, float | int | None]:
    def rounded(value: float | None, scale: float = 1.0) -> float | None:
        return None if value is None else round(value * scale, 2)

    if metric.aggregation == "percent":
        return {"percent": rounded(aggregate.mean, 100), "n": aggregate.n}
    details: dict[str, float | int | None] = {
        "median": rounded(aggregate.median),
        "p80": rounded(aggregate.p80),
        "mean": rounded(aggregate.mean),
    }
    if metric.share_above_zero:
        details[metric.share_above_zero] = rounded(aggregate.share_above_zero, 100)
    return details
