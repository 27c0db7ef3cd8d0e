"""The OCMF scorecard of one organisation over one period: every metric, its status, trend and category roll-up."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import duckdb

from metrics import batch, derived, periods, records, scoring
from metrics.aggregation import Window
from metrics.definitions import CATEGORIES, METRICS
from metrics.engines import MetricsSession, MetricsStore
from metrics.engines.duckdb_engine import as_session
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
from metrics.store import FALLBACK_TIME_COLUMNS

TimeRange = tuple[datetime, datetime] | None


def default_period(store: MetricsStore, today: date | None = None) -> Period:
    """The default period (see `metrics.periods`): the latest full months holding representative data."""
    return periods.default_period(store.time_range(), monthly_volumes(store), today, store.window).period


def monthly_volumes(store: MetricsStore) -> periods.Volumes:
    """Records per calendar month in the organisation's time zone, as `metrics.periods` weighs months by:
    tickets resolved, else tickets created, else the other activity times."""
    tables = store.tables
    sources: list[tuple[str, str]] = []
    unit = "records"
    created_until = last_created = None
    with store.session() as session:
        if "tickets" in tables:
            row = session.fetch(
                "SELECT count(resolved_at), count(created_at), min(created_at), max(created_at) FROM tickets"
            ).first()
            if row and row[1]:
                allowance = periods.creation_allowance(row[2], row[3], int(row[1]))
                last_created = _as_date(row[3])
                created_until = _as_date(row[3] + allowance) + timedelta(days=1)
            if row and row[0]:
                sources, unit = [("tickets", "resolved_at")], "resolved tickets"
            elif row and row[1]:
                sources, unit = [("tickets", "created_at")], "tickets created"
        if not sources:
            sources = [(table, column) for table, column in FALLBACK_TIME_COLUMNS if table in tables]
        if not sources:
            return periods.Volumes({}, unit, created_until, last_created)
        parts = " UNION ALL ".join(
            f'SELECT date_trunc(\'month\', "{column}") AS month FROM {table} WHERE "{column}" IS NOT NULL'
            for table, column in sources
        )
        rows = session.fetch(f"SELECT month, count(*) FROM ({parts}) months GROUP BY month").rows
    per_month = {_as_date(month): int(count) for month, count in rows}
    return periods.Volumes(per_month, unit, created_until, last_created)


def _as_date(moment: date | datetime) -> date:
    return moment.date() if isinstance(moment, datetime) else moment


def _first_full_month(time_range: tuple[datetime, datetime]) -> date:
    first_day = time_range[0].date()
    return first_day if first_day.day == 1 else add_months(first_day, 1)


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


def time_zone(cursor: duckdb.DuckDBPyConnection | MetricsSession) -> ZoneInfo:
    """The organisation's time zone: the engine session's setting (UTC unless set)."""
    return ZoneInfo(as_session(cursor).time_zone)


def midnight(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time.min, tzinfo=zone)


def _window(name: str, period: Period, zone: ZoneInfo) -> Window:
    return Window(name, period, midnight(period.start, zone), midnight(period.end, zone))


def compute_scorecard(
    store: MetricsStore,
    period: Period | None = None,
    *,
    min_group_size: int = 5,
    baseline: Period | None = None,
    by: Dimension | None = None,
) -> Scorecard:
    """Compute every defined metric for `period` against `baseline` (defaults: see `metrics.periods`).

    Without a period, the latest full months holding representative data; without a baseline, the
    organisation's first representative window of the period's length, else (short history) a fallback
    window just before the period, whose statuses are provisional.
    With `by` (team, product, channel or segment) each metric also lists its groups for the period; groups
    smaller than `min_group_size` are suppressed (see `metrics.drilldown`).
    """
    if by is not None and by not in records.DIMENSIONS:
        raise ValueError(f"cannot drill down by {by!r}; choose one of {', '.join(records.DIMENSIONS)}")
    time_range = store.time_range()
    volumes = monthly_volumes(store)
    if period is None:
        chosen = periods.default_period(time_range, volumes, window=store.window)
        period, period_reason = chosen.period, chosen.reason
    else:
        period_reason = f"Given: {period}."
    chosen_baseline = periods.baseline_for(time_range, volumes, period, baseline, store.window)
    baseline = chosen_baseline.period
    # One engine session per scorecard: its shared tables (ticket_facts, ...) go when it is closed.
    with store.session() as session:
        zone = ZoneInfo(session.time_zone)
        windows = [_window("period", period, zone), _window("previous", period.shifted_back(), zone)]
        if baseline is not None:
            windows.append(_window("baseline", baseline, zone))
        months = trend_months(time_range, period)
        windows += [_window(f"month:{month.start:%Y-%m}", month, zone) for month in months]
        for name, sql in records.shared_tables(store.tables, as_of=midnight(period.end, zone)):
            session.create_table(name, sql)
        kinds = _event_kinds(session, store.tables)
        context = Context(session, store.tables, windows, min_group_size, by, kinds)
        # Metrics over the same rows (the ticket metrics above all) are computed in one scan of them.
        context = replace(context, known=batch.compute_ahead(context, METRICS))
        values = _measure_all(context)
    values = {metric.id: values[metric.id] for metric in METRICS if metric.id in values}  # scorecard order
    if chosen_baseline.kind == "fallback":
        for value in values.values():
            value.provisional = value.compared_with == "baseline"
    baseline_window = next((window for window in windows if window.name == "baseline"), None)
    for metric in METRICS:
        if metric.aggregation == "readiness":
            values[metric.id] = derived.readiness(metric, values, windows, baseline_window)
            if by is not None:
                values[metric.id].groups_note = "computed for the whole organisation"
    return Scorecard(
        period=PeriodModel(start=period.start, end=period.end),
        baseline_period=PeriodModel(start=baseline.start, end=baseline.end) if baseline else None,
        period_reason=period_reason,
        baseline_kind=chosen_baseline.kind,
        baseline_reason=chosen_baseline.reason,
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


def _event_kinds(session: MetricsSession, tables: frozenset[str]) -> frozenset[str]:
    """The event kinds the data holds at all (a metric counting kinds it lacks has no data, not 0)."""
    if "ticket_events" not in tables:
        return frozenset()
    rows = session.fetch("SELECT DISTINCT lower(kind) FROM ticket_events WHERE kind IS NOT NULL").rows
    return frozenset(str(row[0]) for row in rows)


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
        status=scoring.category_status(score, any(metric.value is not None for metric in metrics)),
        coverage=Coverage(with_data=sum(metric.value is not None for metric in metrics), total=len(metrics)),
        metrics=metrics,
        note=scoring.category_note(left_out),
    )
