"""Diagnosis of a metric: where its change between two windows comes from (per group, rate vs mix) and since when.

**Where.** A metric that is a weighted mean over groups, `V = sum_g w_g r_g` (a rate or share: weights are the
groups' shares of the records; a mean: the same; a ratio sum(x)/sum(y): shares of y), changes between the
comparison window (0) and the period (1) by

    V1 - V0 = sum_g  w̄_g (r1_g - r0_g)            (rate: the group itself got better or worse)
            + sum_g (r̄_g - V̄) (w1_g - w0_g)       (mix: work moved toward a group above or below the average)

with w̄, r̄, V̄ the means of the two windows (`metrics.shift_share`). This is the shift-share (Kitagawa-Bennet)
decomposition of a difference between two rates: Kitagawa, E. M. (1955), "Components of a Difference Between Two
Rates", JASA 50(272), 1168-1194; it is exact (rate and mix add up to the change, with no interaction term).
Centring the mix term on V̄ (allowed because the shares' changes sum to zero) gives each group its own mix
effect: more volume in a group worse than average raises a lower-is-better metric. It is the contribution
analysis behind Power BI's "Analyze: explain the increase" and Amazon QuickSight's "contribution analysis"
(which report each category's contribution to a change), with the change split into rate and mix as in
"price-volume-mix" analyses. A group present in only one window has no rate change: all of it is mix.
A group's `effect` is whichever of its rate and mix parts is larger.

**Medians.** A median is not a weighted mean of its groups' medians. Its change is driven by the share of
records above the comparison window's median m0 (the median moves exactly when that share leaves 50 %), and
that share *is* a weighted mean, so it is decomposed as above; this is the recentred influence function of the
median (Firpo, Fortin and Lemieux (2009), "Unconditional Quantile Regressions", Econometrica 77(3)), where
RIF = m0 + (1{y > m0} - 1/2) / f(m0). Rather than estimate the density f (ill-defined for counts such as
hand-offs), the share contributions are scaled so they add up to the median's actual change; when the median
did not move (counts often stick at one value), contributions stay in points of the share above m0 and
`contribution_unit` says so.

**Sums** (revenue) have no mix: each group's contribution is its own change. **Snapshots** and
**participation** are weighted means of their records and people. **Composites** and **readiness** are built
from other metrics and are not decomposed (diagnose their components).

**Comparison window.** The baseline when given or when the organisation has one; else the previous period;
else the target (then each group's contribution is its weight times its gap to the target).

**Small groups and people.** Groups smaller than the minimum size in a window they appear in are merged into
"other" per dimension; dimensions are team, product, channel and segment, never a person.

**Since when.** `metrics.change_point.since_month`: the first month of the final run of months that all lie
outside the usual band (mean ± 2 standard deviations of the months before the run, at least three of them) on
the worse side.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import duckdb

from metrics import records
from metrics.aggregation import Stats, Window, aggregate
from metrics.change_point import since_month
from metrics.definition_types import MetricDefinition
from metrics.models import (
    ComparedWith,
    Diagnosis,
    Period,
    PeriodModel,
    Segment,
    TrendPoint,
)
from metrics.scorecard import midnight, time_zone, trend_months
from metrics.shift_share import Figures, Part, shares, shift_share
from metrics.store import OrganisationStore

OTHER = "other"
NOT_SET = "(not set)"
#: Segments returned at most (largest contributions first).
MAX_SEGMENTS = 40
#: Aggregations whose value is a weighted mean of per-group values (weights: records, people or y).
_WEIGHTED = frozenset({"percent", "mean", "count", "nps", "ratio", "snapshot", "participation"})


@dataclass(frozen=True)
class Request:
    """One metric to diagnose: its definition, its target (the last resort to compare with) and, when the
    caller has it, its monthly series up to the period's end (a scorecard does)."""

    metric: MetricDefinition
    target: float | None = None
    trend: Sequence[TrendPoint] | None = None


def diagnose(
    store: OrganisationStore,
    metric: MetricDefinition,
    period: Period,
    *,
    baseline: Period | None = None,
    target: float | None = None,
    min_group_size: int = 5,
    dimensions: Sequence[str] = records.DIMENSIONS,
    trend: Sequence[TrendPoint] | None = None,
) -> Diagnosis:
    """Decompose `metric`'s change over `period` against `baseline` (else the previous period, else
    `target`) into the contributions of every group of every dimension, and find since when it is off.

    `trend` is the metric's monthly series up to the period's end when the caller has it (a scorecard
    does); without it the series is computed here, over all the data.
    """
    request = Request(metric, target, trend)
    return diagnose_many(
        store, [request], period, baseline=baseline, min_group_size=min_group_size, dimensions=dimensions
    )[0]


def diagnose_many(
    store: OrganisationStore,
    requests: Sequence[Request],
    period: Period,
    *,
    baseline: Period | None = None,
    min_group_size: int = 5,
    dimensions: Sequence[str] = records.DIMENSIONS,
) -> list[Diagnosis]:
    """`diagnose` for several metrics over one period: the shared tables their records read (ticket facts
    built from every event, ...) are built once for all of them."""
    if any(dimension not in records.DIMENSIONS for dimension in dimensions):
        raise ValueError(f"diagnosis dimensions must be among {', '.join(records.DIMENSIONS)}")
    with store.cursor() as cursor:
        zone = time_zone(cursor)
        statements = records.prepare_sql(store.tables, as_of=midnight(period.end, zone))
        built: set[str] = set()
        found = []
        for request in requests:
            records_sql = request.metric.records_sql(store.tables) if request.metric.records_sql else None
            if records_sql is not None:
                for statement in _needed(statements, records_sql):
                    if statement not in built:
                        cursor.execute(statement)
                        built.add(statement)
            found.append(
                _diagnose_one(
                    cursor, zone, store, request, records_sql, period, baseline, min_group_size, dimensions
                )
            )
    return found


def _diagnose_one(
    cursor: duckdb.DuckDBPyConnection,
    zone: ZoneInfo,
    store: OrganisationStore,
    request: Request,
    records_sql: str | None,
    period: Period,
    baseline: Period | None,
    min_group_size: int,
    dimensions: Sequence[str],
) -> Diagnosis:
    metric, target, trend = request.metric, request.target, request.trend
    result = Diagnosis(
        metric=metric.id,
        name=metric.name,
        unit=metric.unit,
        direction=metric.direction,
        period=PeriodModel(start=period.start, end=period.end),
        compared_with=None,
        value=None,
        change=None,
        contribution_unit=metric.unit,
        method=_method(metric),
    )
    if metric.records_sql is None:
        result.decomposable = False
        parts = " and ".join(metric.components) if metric.components else "the other measures"
        result.note = (
            f"{metric.id} is built from {parts}, not from records of its own, so it cannot be split by group: "
            "diagnose its components instead."
        )
        return result
    if records_sql is None:
        result.note = "needs the table(s): " + ", ".join(metric.tables)
        return result

    def window(name: str, span: Period) -> Window:
        return Window(name, span, midnight(span.start, zone), midnight(span.end, zone))

    months = (
        []
        if trend is not None
        else [window(f"month:{m.start:%Y-%m}", m) for m in trend_months(store.time_range(), period)]
    )
    candidates = [("baseline", baseline), ("previous", period.shifted_back())]
    current = window("period", period)
    tried = [window(kind, span) for kind, span in candidates if span is not None and span.end <= period.start]
    # Every query below reads the records once built, only those of the windows (a snapshot needs all).
    keep = ""
    if metric.aggregation != "snapshot":
        lo = min(w.lo for w in [current, *tried, *months])
        keep = f'WHERE "at" >= {records.timestamp_literal(lo)} AND "at" < {records.timestamp_literal(current.hi)}'
    cursor.execute(f"CREATE OR REPLACE TEMP TABLE diagnosis_records AS SELECT * FROM ({records_sql}) {keep}")
    records_sql = "SELECT * FROM diagnosis_records"
    overall = aggregate(
        cursor, records_sql, metric.aggregation, [current, *tried, *months], people=metric.people
    )
    value = _headline(overall.get(("period", None)), min_group_size)
    result.value = None if value is None else round(value, 4)
    series = (
        [point for point in trend if point.month < f"{period.end:%Y-%m}"]
        if trend is not None
        else [
            TrendPoint(
                month=month.name.removeprefix("month:"),
                value=_headline(overall.get((month.name, None)), min_group_size),
                n=0,
            )
            for month in months
        ]
    )
    result.since = since_month(series, metric.direction)
    if value is None:
        result.note = "no value in the period: nothing to explain"
        return result
    before: Window | None = None
    for found in tried:
        reference = _headline(overall.get((found.name, None)), min_group_size)
        if reference is not None:
            before = found
            result.compared_with = ComparedWith(
                kind="baseline" if found.name == "baseline" else "previous",
                start=found.period.start,
                end=found.period.end,
                value=round(reference, 4),
            )
            break
    if before is None:
        if target is None or metric.aggregation == "sum":
            result.note = "no baseline, previous period or target to compare with"
            return result
        result.compared_with = ComparedWith(kind="target", value=target)
    reference_value = result.compared_with.value if result.compared_with else None
    assert reference_value is not None
    result.change = round(value - reference_value, 4)
    _decompose(
        cursor, metric, records_sql, current, before, reference_value, min_group_size, dimensions, result
    )
    return result


_TEMP_TABLE = re.compile(r"TEMP TABLE (\w+)")


def _needed(statements: Sequence[str], records_sql: str) -> list[str]:
    """The shared tables the metric's records read (interruption spans are built on ticket facts)."""
    wanted = {
        name for name in ("scorecard_context", "ticket_facts", "interruption_spans") if name in records_sql
    }
    if "interruption_spans" in wanted:
        wanted.add("ticket_facts")
    kept = []
    for statement in statements:
        match = _TEMP_TABLE.search(statement)
        if match is None or match.group(1) in wanted:
            kept.append(statement)
    return kept


def _headline(stats: Stats | None, min_group_size: int) -> float | None:
    if stats is None or stats.n == 0 or stats.size < min_group_size or stats.value is None:
        return None
    return stats.value


def _decompose(
    cursor: duckdb.DuckDBPyConnection,
    metric: MetricDefinition,
    records_sql: str,
    current: Window,
    before: Window | None,
    reference: float,
    min_group_size: int,
    dimensions: Sequence[str],
    result: Diagnosis,
) -> None:
    """Fill `result.segments` (and `dimensions`, `contribution_unit`) for every dimension."""
    aggregation = metric.aggregation
    median = aggregation == "distribution"
    if median:
        # The share of records above the reference median, in %: a weighted mean whose change moves the median.
        above = f"(x > {float(reference)!r})"
        sql = f"SELECT * REPLACE (CASE WHEN x IS NULL THEN NULL ELSE {above}::DOUBLE END AS x) FROM ({records_sql})"
        kind = "percent"
    else:
        sql, kind = records_sql, aggregation
    windows = [current] if before is None else [current, before]
    change = result.change or 0.0
    segments: list[Segment] = []
    share_change = 0.0
    for dimension in dimensions:
        stats = aggregate(cursor, sql, kind, windows, people=metric.people, by=dimension)  # type: ignore[arg-type]
        now = {group: s for (name, group), s in stats.items() if name == "period"}
        if not now or set(now) == {None}:
            continue
        then = {group: s for (name, group), s in stats.items() if name != "period"}
        now_groups, then_groups = _merge_small(now, then, min_group_size)
        now_figures = {g: _figures(s, kind) for g, s in now_groups.items()}
        if before is None:
            level = 50.0 if median else reference
            then_figures: dict[str, Figures] = {g: (w, level) for g, (w, _) in now_figures.items()}
        else:
            then_figures = {g: _figures(s, kind) for g, s in then_groups.items()}
        parts = (
            _sum_parts(now_figures, then_figures) if kind == "sum" else shift_share(then_figures, now_figures)
        )
        result.dimensions.append(dimension)
        shares_now, _ = shares(now_figures)
        shares_then, _ = shares(then_figures)
        if median and not segments:
            share_change = sum(part.total for part in parts.values())
        for group, part in parts.items():
            segments.append(
                Segment(
                    by=dimension,
                    value=group,
                    n=now_groups[group].n if group in now_groups else 0,
                    value_now=_group_value(now_groups.get(group), min_group_size),
                    value_before=_group_value(then_groups.get(group), min_group_size),
                    share_now=round(shares_now.get(group, 0.0), 4),
                    share_before=round(shares_then.get(group, 0.0), 4)
                    if before is not None
                    else round(shares_now.get(group, 0.0), 4),
                    contribution=part.total,
                    effect="rate" if abs(part.rate) >= abs(part.mix) else "mix",
                    rate_effect=part.rate,
                    mix_effect=part.mix,
                )
            )
    if median:
        _medians_in_metric_units(segments, metric, change, share_change, result)
    if median:
        # Group values of a distribution are the groups' share above m0; show their medians instead.
        _median_values(cursor, records_sql, windows, metric, min_group_size, segments)
    sign = 1.0 if change >= 0 else -1.0
    for segment in segments:
        segment.share_of_change = round(segment.contribution / change, 4) if change else None
        segment.contribution = round(segment.contribution, 4)
        segment.rate_effect = round(segment.rate_effect, 4)
        segment.mix_effect = round(segment.mix_effect, 4)
    if change:
        segments.sort(key=lambda s: (-sign * s.contribution, s.value == OTHER, s.by, s.value))
    else:
        segments.sort(key=lambda s: (-abs(s.contribution), s.value == OTHER, s.by, s.value))
    result.segments = segments[:MAX_SEGMENTS]


def _medians_in_metric_units(
    segments: list[Segment], metric: MetricDefinition, change: float, share_change: float, result: Diagnosis
) -> None:
    if change and abs(share_change) > 1e-12:
        scale = change / share_change
        for segment in segments:
            segment.contribution *= scale
            segment.rate_effect *= scale
            segment.mix_effect *= scale
        return
    result.contribution_unit = "points of the share of records above the comparison median"
    result.note = (
        "the median did not move; contributions are to the share of records above the comparison window's "
        f"median ({result.compared_with.value if result.compared_with else ''} {metric.unit})"
    )


def _median_values(
    cursor: duckdb.DuckDBPyConnection,
    records_sql: str,
    windows: list[Window],
    metric: MetricDefinition,
    min_group_size: int,
    segments: list[Segment],
) -> None:
    """Replace each segment's values (shares above m0) with its medians, in the metric's unit."""
    by_dimension: dict[str, dict[tuple[str, str | None], Stats]] = {}
    for dimension in {segment.by for segment in segments}:
        by_dimension[dimension] = aggregate(
            cursor, records_sql, "distribution", windows, people=metric.people, by=dimension
        )
    for segment in segments:
        stats = by_dimension[segment.by]
        segment.value_now = _value_of(stats, "period", segment.value, min_group_size)
        segment.value_before = (
            _value_of(stats, windows[-1].name, segment.value, min_group_size) if len(windows) > 1 else None
        )


def _value_of(
    stats: Mapping[tuple[str, str | None], Stats], window: str, group: str, min_group_size: int
) -> float | None:
    if group == OTHER:
        return None
    key = None if group == NOT_SET else group
    value = _headline(stats.get((window, key)), min_group_size)
    return None if value is None else round(value, 4)


def _sum_parts(now: Mapping[str, Figures], then: Mapping[str, Figures]) -> dict[str, Part]:
    """A sum has no mix: each group's contribution is the change of its own sum."""
    return {
        group: Part(
            rate=(now.get(group, (0.0, 0.0))[1] or 0.0) - (then.get(group, (0.0, 0.0))[1] or 0.0), mix=0.0
        )
        for group in sorted(set(now) | set(then))
    }


def _figures(stats: Stats, aggregation: str) -> Figures:
    """A group's (weight, rate): its records (or y for a ratio, people for participation) and value."""
    if aggregation == "ratio":
        denominator = stats.extra.get("denominator") or 0.0
        return float(denominator), stats.value
    if aggregation == "sum":
        return 1.0, stats.value
    return float(stats.n), stats.value


def _group_value(stats: Stats | None, min_group_size: int) -> float | None:
    value = _headline(stats, min_group_size)
    return None if value is None else round(value, 4)


def _label(group: str | None) -> str:
    return NOT_SET if group is None else str(group)


def _merge_small(
    now: Mapping[str | None, Stats], then: Mapping[str | None, Stats], min_group_size: int
) -> tuple[dict[str, Stats], dict[str, Stats]]:
    """Groups smaller than the minimum in a window they appear in are pooled as "other" in both windows."""
    groups = set(now) | set(then)
    small = {
        group
        for group in groups
        if any(group in window and window[group].size < min_group_size for window in (now, then))
    }
    merged: list[dict[str, Stats]] = []
    for window in (now, then):
        kept = {_label(group): stats for group, stats in window.items() if group not in small}
        pooled = [stats for group, stats in window.items() if group in small]
        if pooled:
            kept[OTHER] = _pool(pooled)
        merged.append(kept)
    return merged[0], merged[1]


def _pool(parts: Sequence[Stats]) -> Stats:
    """Stats of several groups together, for weighted-mean aggregations (a sum adds up)."""
    n = sum(part.n for part in parts)
    size = sum(part.size for part in parts)
    valued = [part for part in parts if part.value is not None]
    denominator = sum(part.extra.get("denominator") or 0.0 for part in parts)
    if any("denominator" in part.extra for part in parts):
        numerator = sum(part.extra.get("numerator") or 0.0 for part in parts)
        value = numerator / denominator if denominator else None
        extra: dict[str, float | None] = {"numerator": float(numerator), "denominator": float(denominator)}
        return Stats(n=n, size=size, value=value, extra=extra)
    weight = sum(part.n for part in valued)
    value = sum(part.n * (part.value or 0.0) for part in valued) / weight if weight else None
    return Stats(n=n, size=size, value=value)


def _method(metric: MetricDefinition) -> str:
    if metric.aggregation in _WEIGHTED:
        return "shift-share (Kitagawa 1955): rate + mix per group"
    if metric.aggregation == "distribution":
        return (
            "shift-share of the share of records above the comparison median (recentred influence function, "
            "Firpo, Fortin and Lemieux 2009), scaled to the median's change"
        )
    if metric.aggregation == "sum":
        return "change of each group's own sum"
    return "not decomposable"
