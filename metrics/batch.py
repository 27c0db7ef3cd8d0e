"""The scorecard's aggregates planned together (issue 18 §5): metrics whose records share their rows are
computed in one scan of those rows, for every window at once, instead of one scan each.

The metrics counted per resolved ticket (C1r, C5, C6, K3 and K3's link rate) read the same rows of
`ticket_facts`; C2 and its share agreeing read the same CES answers; K2 and its minutes to publish the same
customer-facing articles. Their records say so by being `metrics.records.SharedRecords`. One query builds the
shared rows once with every metric's values (`x_0`, `y_0`, `x_1`, ...), and each metric's aggregates are
filtered to the rows it would have kept alone (`metrics.aggregation.Values`), so every figure is the one its
own query gives. Conditional aggregates (`FILTER (WHERE ...)`) are portable SQL: Spark runs the same query.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from metrics.aggregation import Values, Window, read_stats, stats_columns, windows_query
from metrics.definition_types import Aggregation, MetricDefinition
from metrics.drilldown import GROUP_WINDOWS
from metrics.engines import MetricsSession
from metrics.measure import AggregateKey, Context, Known, WindowStats
from metrics.records import SharedRecords, shared_records_sql

#: Aggregations computed together: a snapshot joins windows on their end only, and a participation counts
#: distinct people, so both keep a query of their own.
_SHAREABLE: frozenset[Aggregation] = frozenset(
    {"distribution", "count", "percent", "mean", "nps", "ratio", "sum"}
)


@dataclass(frozen=True)
class Request:
    """One aggregate over shared rows: a metric's (or a figure's) records and how they are aggregated."""

    records: SharedRecords
    aggregation: Aggregation
    people: bool


def requests(context: Context, metrics: Sequence[MetricDefinition]) -> list[Request]:
    """The aggregates over shared rows that measuring `metrics` asks for: each metric's and its figures'."""
    found: dict[tuple[str, Aggregation, bool], Request] = {}

    def add(sql: str | None, aggregation: Aggregation, people: bool) -> None:
        if isinstance(sql, SharedRecords) and aggregation in _SHAREABLE:
            found.setdefault((sql, aggregation, people), Request(sql, aggregation, people))

    for metric in metrics:
        if metric.records_sql is None:
            continue
        add(metric.records_sql(context.tables), metric.aggregation, metric.people)
        for figure in metric.figures:
            if not context.lacks_events(figure.needs_events):
                add(figure.records_sql(context.tables), figure.aggregation, figure.people)
    return list(found.values())


def compute_ahead(context: Context, metrics: Sequence[MetricDefinition]) -> dict[AggregateKey, Known]:
    """Every aggregate over rows that two or more of them share, in one query per set of rows: over all the
    windows, and (with a drill-down) per group over the drill-down's windows.

    A request alone on its rows is left out: it runs as its own query when the metric is measured.
    """
    by_source: dict[tuple[str, tuple[tuple[str, str], ...]], list[Request]] = {}
    for request in requests(context, metrics):
        by_source.setdefault(request.records.source, []).append(request)
    known: dict[AggregateKey, Known] = {}
    for shared in by_source.values():
        if len(shared) < 2:
            continue
        passes: list[tuple[list[Request], list[Window], str | None]] = [(shared, context.windows, None)]
        if context.by is not None:
            # Only the metrics' own records are drilled down; their figures are not.
            own = [request for request in shared if _is_metric(request, metrics, context.tables)]
            group_windows = [window for window in context.windows if window.name in GROUP_WINDOWS]
            if len(own) >= 2 and group_windows:
                passes.append((own, group_windows, context.by))
        for members, windows, by in passes:
            answers = aggregate_shared(context.session, members, windows, by=by)
            names = frozenset(window.name for window in windows)
            for request, stats in zip(members, answers, strict=True):
                known[(request.records, request.aggregation, request.people, by)] = Known(names, stats)
    return known


def _is_metric(request: Request, metrics: Sequence[MetricDefinition], tables: frozenset[str]) -> bool:
    return any(
        metric.records_sql is not None
        and metric.aggregation == request.aggregation
        and metric.people == request.people
        and metric.records_sql(tables) == request.records
        for metric in metrics
    )


def aggregate_shared(
    session: MetricsSession, members: Sequence[Request], windows: list[Window], *, by: str | None = None
) -> list[WindowStats]:
    """`metrics.aggregation.aggregate` for each of `members` (records over the same rows), in one query.

    A window (or group) where a member keeps no record is absent from its stats, as it is from its own query.
    """
    if not members:
        return []
    sql = shared_records_sql(members[0].records, [(member.records.x, member.records.y) for member in members])
    kept = [f"(rec.x_{index} IS NOT NULL OR rec.done_at IS NOT NULL)" for index in range(len(members))]
    column_sets = [
        stats_columns(
            member.aggregation, member.people, Values(f"rec.x_{index}", f"rec.y_{index}", kept[index])
        )
        for index, member in enumerate(members)
    ]
    query = windows_query(
        sql,
        [column for columns in column_sets for column in columns],
        windows,
        snapshot=False,
        by=by,
        keep=f"({' OR '.join(kept)})",
    )
    answers: list[WindowStats] = [{} for _ in members]
    for row in session.fetch(query).rows:
        offset = 2
        for member, columns, answer in zip(members, column_sets, answers, strict=True):
            figures = row[offset : offset + len(columns)]
            offset += len(columns)
            if figures[0]:  # the member's records in this window: none means absent, not zero
                answer[(row[0], row[1])] = read_stats(member.aggregation, figures)
    return answers
