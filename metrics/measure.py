"""One record-based metric over the period, its previous period, its baseline and each month: a MetricValue."""

from __future__ import annotations

from dataclasses import dataclass, field

from metrics import drilldown, scoring
from metrics.aggregation import Stats, Window, aggregate, headline, noise_band
from metrics.definition_types import Aggregation, MetricDefinition
from metrics.engines import MetricsSession, Rows
from metrics.models import Dimension, MetricValue, TrendPoint

Details = dict[str, float | int | None]
#: An aggregate the scorecard asks for: (records SQL, aggregation, people-based, drill-down dimension).
AggregateKey = tuple[str, Aggregation, bool, str | None]
WindowStats = dict[tuple[str, str | None], Stats]


@dataclass(frozen=True)
class Known:
    """Stats computed ahead (`metrics.batch`), for every window named in `windows`."""

    windows: frozenset[str]
    stats: WindowStats


@dataclass(frozen=True)
class Context:
    """What every metric of one scorecard shares."""

    #: The engine's session (DuckDB or Spark) that runs the metric SQL.
    session: MetricsSession
    tables: frozenset[str]
    windows: list[Window]
    min_group_size: int
    by: Dimension | None = None
    #: The event kinds `ticket_events` holds at all (lower case).
    event_kinds: frozenset[str] = frozenset()
    #: Aggregates computed ahead, several metrics in one query (`metrics.batch`).
    known: dict[AggregateKey, Known] = field(default_factory=dict)

    def window(self, name: str) -> Window:
        return next(window for window in self.windows if window.name == name)

    def lacks_events(self, kinds: tuple[str, ...]) -> bool:
        """Whether the data holds none of `kinds` (False when no kind is needed)."""
        return bool(kinds) and not (set(kinds) & self.event_kinds)

    def has_window(self, name: str) -> bool:
        return any(window.name == name for window in self.windows)

    def aggregate(
        self,
        records_sql: str,
        aggregation: Aggregation,
        windows: list[Window],
        *,
        people: bool = False,
        by: str | None = None,
    ) -> WindowStats:
        """`metrics.aggregation.aggregate` in this session, answered from what was computed ahead if it was."""
        names = {window.name for window in windows}
        known = self.known.get((records_sql, aggregation, people, by))
        if known is not None and names <= known.windows:
            return {key: stats for key, stats in known.stats.items() if key[0] in names}
        return aggregate(self.session, records_sql, aggregation, windows, people=people, by=by)


def empty_value(metric: MetricDefinition) -> MetricValue:
    """The metric with no data yet: its definition's fields filled in."""
    return MetricValue(
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


def measure(context: Context, metric: MetricDefinition) -> MetricValue:
    """Compute a record-based metric (not a composite or readiness)."""
    assert metric.records_sql is not None
    result = empty_value(metric)
    records_sql = metric.records_sql(context.tables)
    if records_sql is None:
        result.note = "needs the table(s): " + ", ".join(metric.tables)
        result.availability = "missing_tables"
        return result
    per_window = {
        name: stats
        for (name, _), stats in context.aggregate(
            records_sql, metric.aggregation, context.windows, people=metric.people
        ).items()
    }
    size = context.min_group_size
    current = per_window.get("period")
    if context.lacks_events(metric.needs_events) and current is not None and current.n:
        result.note = (
            "needs "
            + " or ".join(f"`{kind}`" for kind in metric.needs_events)
            + " events in ticket_events: the data holds none, so there is nothing to count"
        )
        result.availability = "missing_events"
        return result
    result.n = current.n if current else 0
    result.value = headline(current, size)
    result.previous = headline(per_window.get("previous"), size)
    result.baseline = headline(per_window.get("baseline"), size)
    result.trend = [
        TrendPoint(
            month=window.name.removeprefix("month:"),
            value=headline(per_window.get(window.name), size),
            n=per_window[window.name].n if window.name in per_window else 0,
        )
        for window in context.windows
        if window.name.startswith("month:")
    ]
    if context.by is not None:
        drilldown.attach_groups(context, metric, records_sql, result)
    if result.value is None:
        if current is not None and current.n and current.size < size:
            result.note = (
                f"fewer than {size} {'people' if metric.people else 'records'} in the period: not shown"
            )
            result.availability = "suppressed"
        elif current is not None and current.n and metric.aggregation == "ratio":
            result.note = "no article created in the period: the ratio is undefined"
            result.availability = "no_records"
            # The parts and the secondary figures (K3's link rate) stand without the ratio.
            result.details = details(context, metric, current)
        else:
            result.note, result.availability = "no records in the period", "no_records"
        return result
    assert current is not None
    result.details = details(context, metric, current)
    if metric.unit_sql is not None:
        row = _execute(context, metric.unit_sql, current).first()
        if row and row[0]:
            result.unit = str(row[0])
    if context.has_window("baseline") and result.baseline is None:
        reason = "the baseline window holds too few of its records to compare with"
    else:
        reason = None
    judge(metric, result, noise=noise_band(current, per_window.get("baseline")), no_baseline=reason)
    return result


def judge(
    metric: MetricDefinition,
    result: MetricValue,
    *,
    noise: float | None = None,
    no_baseline: str | None = None,
) -> None:
    """Changes against the previous period and the baseline, then status and score.

    Without a target or baseline the status is `no baseline` (a value that cannot be judged yet), never
    `no data`; `no_baseline` says why, when the reason is not that the data holds nothing before the period.
    """
    assert result.value is not None
    if result.previous is not None:
        result.change_vs_previous = round(result.value - result.previous, 2)
    if result.baseline is not None:
        result.change_vs_baseline = round(result.value - result.baseline, 2)
    assessed = scoring.assess(
        result.value,
        direction=metric.direction,
        target=metric.target.value if metric.target else None,
        target_tolerance=metric.target.tolerance if metric.target else None,
        baseline=result.baseline,
        baseline_relative=metric.baseline_tolerance,
        baseline_band=metric.baseline_band,
        noise_band=noise,
    )
    if assessed is None:
        result.status = "no baseline"
        result.note = f"no baseline yet: {no_baseline or 'no earlier data to compare with'}"
        result.availability = "no_baseline"
    else:
        result.status, result.score, result.compared_with = assessed
    if metric.coaching_range is not None:
        low, high = metric.coaching_range
        coaching = f"coaching signal, not a target; KCS sees this level off at {low:g}-{high:g}%"
        result.note = f"{result.note}; {coaching}" if result.note else coaching


def _rounded(value: float | None, scale: float = 1.0) -> float | None:
    return None if value is None else round(value * scale, 2)


def details(context: Context, metric: MetricDefinition, current: Stats) -> Details:
    """The figures beside the headline: spread, parts, flagged records, secondary figures, extra SQL."""
    found: Details
    if metric.aggregation == "count":
        # The headline is the mean per record; the share with at least one leads the details.
        found = {}
        if metric.share_above_zero:
            found[metric.share_above_zero] = _rounded(current.extra["share_above_zero"])
        found.update(
            {
                "median": _rounded(current.extra["median"]),
                "p80": _rounded(current.extra["p80"]),
                "n": current.n,
            }
        )
    elif metric.aggregation == "distribution":
        found = {
            "median": _rounded(current.extra["median"]),
            "p80": _rounded(current.extra["p80"]),
            "mean": _rounded(current.extra["mean"]),
        }
        if metric.share_above_zero:
            found[metric.share_above_zero] = _rounded(current.extra["share_above_zero"])
        if metric.also_in_days:
            found["median_days"] = _rounded(current.extra["median"], 1 / 24)
            found["p80_days"] = _rounded(current.extra["p80"], 1 / 24)
    elif metric.aggregation == "nps":
        found = {
            "promoters_pct": _rounded(current.extra["promoters_pct"]),
            "detractors_pct": _rounded(current.extra["detractors_pct"]),
            "n": current.n,
        }
    elif metric.aggregation == "ratio":
        numerator, denominator = metric.ratio_parts
        found = {
            numerator: _rounded(current.extra["numerator"]),
            denominator: _rounded(current.extra["denominator"]),
            "n": current.n,
        }
    elif metric.aggregation == "participation":
        found = {"percent": _rounded(current.value), "people": current.n}
    else:
        key = {"mean": "mean", "sum": "sum"}.get(metric.aggregation, "percent")
        found = {key: _rounded(current.value), "n": current.n}
    if metric.flag_detail:
        found[metric.flag_detail] = current.flagged
    period = [context.window("period")]
    for figure in metric.figures:
        sql = None if context.lacks_events(figure.needs_events) else figure.records_sql(context.tables)
        stats = (
            context.aggregate(sql, figure.aggregation, period, people=figure.people).get(("period", None))
            if sql is not None
            else None
        )
        found[figure.name] = headline(stats, context.min_group_size)
    if metric.extra_sql is not None:
        found.update(_named_row(context, metric.extra_sql, current))
    if metric.coaching_range is not None:
        found["coaching_range_low"], found["coaching_range_high"] = metric.coaching_range
    return found


def _execute(context: Context, sql: str, current: Stats) -> Rows:
    """Run a metric's extra SQL with the period's bounds and median as its parameters."""
    period = context.window("period")
    values = {"period_start": period.lo, "period_end": period.hi, "median": current.extra.get("median")}
    return context.session.fetch(sql, {name: value for name, value in values.items() if f"${name}" in sql})


def _named_row(context: Context, sql: str, current: Stats) -> Details:
    found = _execute(context, sql, current)
    row = found.first()
    if row is None:
        return {}
    names = found.columns
    return {
        name: None if value is None else int(value) if isinstance(value, int) else _rounded(float(value))
        for name, value in zip(names, row, strict=True)
    }
