"""The OCMF scorecard of one organisation over one period: every metric, its status, trend and category roll-up."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import duckdb

from metrics import derived, records, scoring
from metrics.aggregation import Window
from metrics.definitions import CATEGORIES, METRICS
from metrics.measure import Context, measure
from metrics.models import (
    CategoryScore,
    Coverage,
    Dimension,
    Drilldown,
    MetricValue,
    Period,
    PeriodModel,
    Scorecard,
    add_months,
)
from metrics.store import OrganisationStore

TimeRange = tuple[datetime, datetime] | None


def default_period(store: OrganisationStore, today: date | None = None) -> Period:
    """The last three full calendar months covered by the data (or before `today` when there is none)."""
    return _default_period(store.time_range(), today)


def _default_period(time_range: TimeRange, today: date | None = None) -> Period:
    if time_range is None:
        if today is None:
            raise ValueError("the data holds no activity; pass a period")
        return Period.last_full_months(today)
    latest = time_range[1]
    # Data that reaches the last day of a month covers that month.
    return Period.last_full_months((latest + timedelta(days=1)).date())


def _first_full_month(time_range: tuple[datetime, datetime]) -> date:
    first_day = time_range[0].date()
    return first_day if first_day.day == 1 else add_months(first_day, 1)


def _baseline_period(time_range: TimeRange, period: Period) -> Period | None:
    """The organisation's first full window of the period's length, if it ends before the period starts."""
    if time_range is None:
        return None
    start = _first_full_month(time_range)
    months = period.month_count()
    if period.start.day == 1 and period.end.day == 1 and months > 0:
        baseline = Period(start, add_months(start, months))
    else:
        baseline = Period(start, start + timedelta(days=period.days))
    return baseline if baseline.end <= period.start else None


def trend_months(time_range: TimeRange, period: Period) -> list[Period]:
    """One period per full calendar month from the start of the data to the end of the period."""
    if time_range is None:
        return []
    month = _first_full_month(time_range)
    months = []
    while add_months(month, 1) <= period.end:
        months.append(Period(month, add_months(month, 1)))
        month = add_months(month, 1)
    return months


def time_zone(cursor: duckdb.DuckDBPyConnection) -> ZoneInfo:
    """The organisation's time zone: the store's DuckDB session setting (UTC unless set)."""
    row = cursor.execute("SELECT current_setting('TimeZone')").fetchone()
    return ZoneInfo(str(row[0]) if row else "UTC")


def midnight(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time.min, tzinfo=zone)


def _window(name: str, period: Period, zone: ZoneInfo) -> Window:
    return Window(name, period, midnight(period.start, zone), midnight(period.end, zone))


def compute_scorecard(
    store: OrganisationStore,
    period: Period | None = None,
    *,
    min_group_size: int = 5,
    by: Dimension | None = None,
) -> Scorecard:
    """Compute every defined metric for `period` (default: the last three full months of data).

    With `by` (team, product, channel or segment) each metric also lists its groups for the period; groups
    smaller than `min_group_size` are suppressed (see `metrics.drilldown`).
    """
    if by is not None and by not in records.DIMENSIONS:
        raise ValueError(f"cannot drill down by {by!r}; choose one of {', '.join(records.DIMENSIONS)}")
    time_range = store.time_range()
    period = period or _default_period(time_range)
    baseline = _baseline_period(time_range, period)
    # One cursor per scorecard: its temporary tables (ticket_facts, ...) go when it is closed.
    with store.cursor() as cursor:
        zone = time_zone(cursor)
        windows = [_window("period", period, zone), _window("previous", period.shifted_back(), zone)]
        if baseline is not None:
            windows.append(_window("baseline", baseline, zone))
        months = trend_months(time_range, period)
        windows += [_window(f"month:{month.start:%Y-%m}", month, zone) for month in months]
        for statement in records.prepare_sql(store.tables, as_of=midnight(period.end, zone)):
            cursor.execute(statement)
        values = _measure_all(Context(cursor, store.tables, windows, min_group_size, by))
    values = {metric.id: values[metric.id] for metric in METRICS if metric.id in values}  # scorecard order
    baseline_window = next((window for window in windows if window.name == "baseline"), None)
    for metric in METRICS:
        if metric.aggregation == "readiness":
            values[metric.id] = derived.readiness(metric, values, windows, baseline_window)
            if by is not None:
                values[metric.id].groups_note = "computed for the whole organisation"
    return Scorecard(
        period=PeriodModel(start=period.start, end=period.end),
        baseline_period=PeriodModel(start=baseline.start, end=baseline.end) if baseline else None,
        categories=[
            _category(category.id, category.name, category.focus_pct, values) for category in CATEGORIES
        ],
        min_group_size=min_group_size,
        drilldown=(
            Drilldown(
                by=by,
                min_group_size=min_group_size,
                note=(
                    f"Groups listed by name, never ranked; groups with fewer than {min_group_size} people or "
                    "records show no value (and, when one alone would be hidden, the next smallest is hidden "
                    "too). There is no view per person."
                ),
            )
            if by is not None
            else None
        ),
    )


def _measure_all(context: Context) -> dict[str, MetricValue]:
    """Every record-based metric, then the composites built from them."""
    values: dict[str, MetricValue] = {}
    for metric in METRICS:
        if not metric.derived:
            values[metric.id] = measure(context, metric)
    for metric in METRICS:
        if metric.aggregation == "composite":
            values[metric.id] = derived.composite(metric, values)
    return values


def _category(category_id: str, name: str, focus_pct: int, values: dict[str, MetricValue]) -> CategoryScore:
    definitions = [metric for metric in METRICS if metric.category == category_id]
    metrics = [values[metric.id] for metric in definitions]
    score = scoring.category_score(
        [values[metric.id].score for metric in definitions if metric.counts_in_category]
    )
    left_out = [
        (metric.id, "activity measure: a coaching signal" if metric.kind == "activity" else "composite of "
         + " and ".join(metric.components) + ", which are in the score")
        for metric in definitions
        if not metric.counts_in_category
    ]  # fmt: skip
    return CategoryScore(
        id=definitions[0].category,
        name=name,
        focus_pct=focus_pct,
        score=score,
        status=scoring.status_for_score(score),
        coverage=Coverage(with_data=sum(metric.value is not None for metric in metrics), total=len(metrics)),
        metrics=metrics,
        note=scoring.category_note(left_out),
    )
