"""SQL that turns canonical tables into one record per counted thing, and the shared tables it builds on.

A record is `(at, x, y, flag, done_at, person, team, product, channel, segment)`: `at` places it in a window,
`x` (and for ratios `y`) is its value, `flag` marks records worth a count of their own (an account still
waiting for first value), `done_at` is when a snapshot record starts to count as done, `person` sizes
people-based groups, and the four dimensions allow drill-down. Every metric is an aggregate of its records
over any window, so the period, the baseline, the monthly trend and the drill-down share one definition.
The record queries themselves live beside their definitions, one module per category (`*_measures.py`).
"""

from __future__ import annotations

from datetime import datetime

DIMENSIONS: tuple[str, ...] = ("team", "product", "channel", "priority", "segment")
RECORD_COLUMNS: tuple[str, ...] = ("at", "x", "y", "flag", "done_at", "person", *DIMENSIONS)
_NULLS: dict[str, str] = {
    "at": "NULL::TIMESTAMPTZ",
    "x": "NULL::DOUBLE",
    "y": "NULL::DOUBLE",
    "flag": "NULL::BOOLEAN",
    "done_at": "NULL::TIMESTAMPTZ",
    "person": "NULL::VARCHAR",
    **{dimension: "NULL::VARCHAR" for dimension in DIMENSIONS},
}
#: Stands in for an unknown start (an article without `first_known_at` has existed all along).
EPOCH = "TIMESTAMPTZ '1900-01-01 00:00:00+00'"
#: The rows of the metrics counted per resolved ticket (C1r, C5, C6, K3): one scan serves them all.
RESOLVED_TICKETS = "ticket_facts t WHERE t.resolved_at IS NOT NULL"
#: Event kinds that link knowledge to a ticket (K3, K6).
ARTICLE_KINDS = "('article_linked', 'article_created')"


def columns(**expressions: str) -> str:
    """The select list of a record: every record column in order, NULL where no expression is given."""
    unknown = set(expressions) - set(RECORD_COLUMNS)
    if unknown:
        raise ValueError(f"not record columns: {sorted(unknown)}")
    return ", ".join(f'{expressions.get(name, _NULLS[name])} AS "{name}"' for name in RECORD_COLUMNS)


class SharedRecords(str):
    """Records SQL whose rows other metrics' records share, differing only in their values `x` and `y`.

    It is the SQL text itself (a `str`: every caller runs it as it is) and remembers how it was built, so the
    scorecard can compute every metric over the same rows in one scan of them (`metrics.batch`): `source`
    (the FROM clause and every other record column) says which records share their rows.
    """

    rows: str
    common: tuple[tuple[str, str], ...]
    x: str
    y: str | None

    def __new__(cls, rows: str, *, x: str, y: str | None = None, **expressions: str) -> SharedRecords:
        values = {"x": x} if y is None else {"x": x, "y": y}
        made = super().__new__(cls, f"SELECT {columns(**values, **expressions)} FROM {rows}")
        made.rows, made.x, made.y = rows, x, y
        made.common = tuple(sorted(expressions.items()))
        return made

    @property
    def source(self) -> tuple[str, tuple[tuple[str, str], ...]]:
        return self.rows, self.common


def shared_records_sql(source: SharedRecords, values: list[tuple[str, str | None]]) -> str:
    """One query for the records of several metrics over `source`'s rows: the common record columns, then
    `x_0`, `y_0`, `x_1`, ... for each (x, y) of `values` (y NULL where a metric has none)."""
    common = dict(source.common)
    shared = [
        f'{common.get(name, _NULLS[name])} AS "{name}"' for name in RECORD_COLUMNS if name not in ("x", "y")
    ]
    for index, (x, y) in enumerate(values):
        shared += [f'{x} AS "x_{index}"', f'{y or _NULLS["y"]} AS "y_{index}"']
    return f"SELECT {', '.join(shared)} FROM {source.rows}"


def ticket_dimensions(alias: str) -> dict[str, str]:
    """The dimensions taken from a `ticket_facts` row."""
    return {dimension: f"{alias}.{dimension}" for dimension in DIMENSIONS}


def seconds_between(start: str, end: str) -> str:
    """Elapsed seconds from `start` to `end`: real time, also across a daylight-saving change.

    Subtracting two TIMESTAMPTZ values gives a calendar interval in the session's time zone (noon to noon
    over a change of clocks is '1 day'), so durations compare instants instead.
    """
    return f"(epoch({end}) - epoch({start}))"


def local_day(expression: str) -> str:
    """The start of the day of a TIMESTAMPTZ in the session's time zone.

    In UTC (the default) whole days are plain arithmetic on epoch seconds, twice as fast on millions of
    events as the calendar of a time zone; DuckDB folds the test on the setting before it reads a row.
    """
    return (
        f"CASE WHEN current_setting('TimeZone') IN ('UTC', 'Etc/UTC') "
        f"THEN to_timestamp((epoch({expression})::BIGINT // 86400) * 86400) "
        f"ELSE date_trunc('day', {expression}) END"
    )


def timestamp_literal(moment: datetime) -> str:
    """A TIMESTAMPTZ literal with its offset, so it means the same instant in any session time zone."""
    return f"TIMESTAMPTZ '{moment.isoformat(sep=' ')}'"


def shared_tables(tables: frozenset[str], as_of: datetime) -> list[tuple[str, str]]:
    """The tables the record queries share, as (name, query) in build order (a session builds them).

    `scorecard_context.as_of` is the end of the period: waiting times ('still waiting for first value')
    are counted up to it, so a scorecard never reads the clock. `ticket_facts` holds one row per ticket with
    its resolution, dimensions and event counts, computed in one pass over `ticket_events`.
    `interruption_spans` holds one row per ended interruption of a customer (Time to Smile, B1 and B2).
    """
    built = [("scorecard_context", f"SELECT {timestamp_literal(as_of)} AS as_of")]
    if "tickets" in tables:
        built.append(("ticket_facts", _ticket_facts_sql(tables)))
    spans = _interruption_spans_sql(tables)
    if spans is not None:
        built.append(("interruption_spans", spans))
    return built


def prepare_sql(tables: frozenset[str], as_of: datetime) -> list[str]:
    """`shared_tables` as DuckDB statements that build them as temporary tables on one cursor."""
    return [f"CREATE OR REPLACE TEMP TABLE {name} AS {sql}" for name, sql in shared_tables(tables, as_of)]


def _ticket_facts_sql(tables: frozenset[str]) -> str:
    if "ticket_events" in tables:
        # Resolved by its status log only while nothing reopened it afterwards.
        events = """
            SELECT ticket_id, interactions, reopens, linked, created,
                   CASE WHEN undone_at IS NULL OR resolved_at >= undone_at THEN resolved_at END AS resolved_by_status
            FROM (
                SELECT ticket_id,
                       count(*) FILTER (WHERE kind IN ('customer_message', 'agent_message')) AS interactions,
                       count(*) FILTER (WHERE kind = 'reopened') AS reopens,
                       count(*) FILTER (WHERE kind = 'article_linked') AS linked,
                       count(*) FILTER (WHERE kind = 'article_created') AS created,
                       max("at") FILTER (WHERE kind = 'status' AND lower(status) = 'resolved') AS resolved_at,
                       max("at") FILTER (
                           WHERE kind = 'reopened'
                              OR (kind = 'status' AND lower(status) NOT IN ('resolved', 'closed'))
                       ) AS undone_at
                FROM ticket_events GROUP BY ticket_id
            ) event_counts
        """
        # A hand-off is an assignment whose team or agent differs from the previous one, in time order
        # (the first assignment, with no previous one, is not a hand-off). The assignments are read from the
        # file once, before the window sorts them: DuckDB splits a large window into partitions that would
        # each scan the whole file (10M tickets: 47 s for the ticket facts instead of 29 s).
        assignments = (
            "WITH assignments AS MATERIALIZED ("
            "SELECT ticket_id, \"at\", team, agent_id FROM ticket_events WHERE kind = 'assigned') "
        )
        handoffs = """
            SELECT ticket_id, count(*) FILTER (WHERE changed) AS handoffs
            FROM (
                SELECT ticket_id,
                       lag("at") OVER w IS NOT NULL
                       AND (team IS DISTINCT FROM lag(team) OVER w
                            OR agent_id IS DISTINCT FROM lag(agent_id) OVER w) AS changed
                FROM assignments
                WINDOW w AS (PARTITION BY ticket_id ORDER BY "at")
            ) changes GROUP BY ticket_id
        """
    else:
        events = (
            "SELECT NULL::VARCHAR AS ticket_id, 0 AS interactions, 0 AS reopens, 0 AS linked, 0 AS created, "
            "NULL::TIMESTAMPTZ AS resolved_by_status WHERE false"
        )
        handoffs = "SELECT NULL::VARCHAR AS ticket_id, 0 AS handoffs WHERE false"
        assignments = ""
    if "accounts" in tables:
        segment, accounts = "a.segment", "LEFT JOIN accounts a ON a.id = t.account_id"
    else:
        segment, accounts = "NULL::VARCHAR", ""
    return f"""{assignments}
        SELECT t.id, t.account_id, t.created_at, coalesce(t.resolved_at, e.resolved_by_status) AS resolved_at,
               t.team, t.product, t.channel, t.priority, {segment} AS segment, nullif(t.interruption_id, '') AS interruption_id,
               coalesce(e.interactions, 0)::DOUBLE AS interactions, coalesce(e.reopens, 0)::DOUBLE AS reopens,
               coalesce(e.linked, 0)::DOUBLE AS linked, coalesce(e.created, 0)::DOUBLE AS created,
               coalesce(h.handoffs, 0)::DOUBLE AS handoffs
        FROM tickets t
        LEFT JOIN ({events}) e ON e.ticket_id = t.id
        LEFT JOIN ({handoffs}) h ON h.ticket_id = t.id
        {accounts}
    """


def _interruption_spans_sql(tables: frozenset[str]) -> str | None:
    if "interruptions" in tables:
        segment = "a.segment" if "accounts" in tables else "NULL::VARCHAR"
        accounts = "LEFT JOIN accounts a ON a.id = i.account_id" if "accounts" in tables else ""
        if "tickets" in tables:
            # The first ticket of an interruption tells which team, product and channel it reached first.
            first = """
                LEFT JOIN (
                    SELECT interruption_id, arg_min(team, created_at) AS team,
                           arg_min(product, created_at) AS product, arg_min(channel, created_at) AS channel,
                           arg_min(priority, created_at) AS priority
                    FROM ticket_facts WHERE interruption_id IS NOT NULL GROUP BY interruption_id
                ) f ON f.interruption_id = i.id
            """
            dims = "f.team, f.product, f.channel, f.priority"
        else:
            first, dims = (
                "",
                ", ".join(f"NULL::VARCHAR AS {name}" for name in ("team", "product", "channel", "priority")),
            )
        hours = seconds_between("i.interrupted_at", "i.back_to_happy_at")
        return f"""
            SELECT i.account_id, i.back_to_happy_at AS ended_at, {hours} / 3600.0 AS hours, {dims},
                   {segment} AS segment
            FROM interruptions i {accounts} {first}
            WHERE i.back_to_happy_at IS NOT NULL
        """
    if "tickets" not in tables:
        return None
    # Per interruption_id (a ticket without one is its own interruption): earliest creation to latest
    # resolution; an interruption with any unresolved ticket has not ended.
    one = seconds_between("created_at", "resolved_at")
    several = seconds_between("min(created_at)", "max(resolved_at)")
    return f"""
        SELECT account_id, resolved_at AS ended_at, {one} / 3600.0 AS hours, team, product, channel, priority,
               segment
        FROM ticket_facts WHERE interruption_id IS NULL AND resolved_at IS NOT NULL
        UNION ALL
        SELECT arg_min(account_id, created_at), max(resolved_at), {several} / 3600.0,
               arg_min(team, created_at), arg_min(product, created_at), arg_min(channel, created_at),
               arg_min(priority, created_at), arg_min(segment, created_at)
        FROM ticket_facts WHERE interruption_id IS NOT NULL
        GROUP BY interruption_id
        HAVING count(*) = count(resolved_at)
    """


def survey_source(tables: frozenset[str], kind: str) -> tuple[str, dict[str, str]]:
    """FROM clause and dimensions for answers of one survey kind.

    Customer answers take their dimensions from the ticket they rate, else the segment of the account that
    answered; staff answers take the team of the employee who answered.
    """
    joins = []
    dims: dict[str, str] = {}
    if kind in {"engagement", "esat", "collaboration"}:
        if "employees" in tables:
            joins.append("LEFT JOIN employees emp ON emp.id = s.respondent_id")
            dims["team"] = "emp.team"
    else:
        if "tickets" in tables:
            joins.append("LEFT JOIN ticket_facts t ON t.id = s.ticket_id")
            dims.update(ticket_dimensions("t"))
        if "accounts" in tables:
            joins.append("LEFT JOIN accounts acc ON acc.id = s.respondent_id")
            dims["segment"] = "coalesce(t.segment, acc.segment)" if "tickets" in tables else "acc.segment"
    where = f"lower(s.kind) = '{kind}' AND s.score IS NOT NULL AND s.scale_max > 0"
    return f"surveys s {' '.join(joins)} WHERE {where}", dims
