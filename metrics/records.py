"""SQL that turns canonical tables into one record per counted thing: `(at, x, team, product, channel, segment)`.

`at` places the record in a period, `x` is its value, and the four dimensions allow drill-down. Every metric
is then an aggregate of its records over any window, so the period, the baseline, the monthly trend and the
drill-down all share one definition.
"""

from __future__ import annotations

DIMENSIONS: tuple[str, ...] = ("team", "product", "channel", "segment")


def derived_views_sql(tables: frozenset[str]) -> list[str]:
    """Views the record queries build on; `ticket_resolution` exists whenever `tickets` does."""
    if "tickets" not in tables:
        return []
    if "ticket_events" in tables:
        resolution = (
            'SELECT ticket_id, max("at") AS "at" FROM ticket_events '
            "WHERE kind = 'status' AND lower(status) = 'resolved' GROUP BY ticket_id"
        )
    else:
        resolution = 'SELECT NULL::VARCHAR AS ticket_id, NULL::TIMESTAMPTZ AS "at" WHERE false'
    segment = (
        "(SELECT a.segment FROM accounts a WHERE a.id = t.account_id LIMIT 1)"
        if "accounts" in tables
        else "NULL::VARCHAR"
    )
    return [
        f"""
        CREATE OR REPLACE TEMP VIEW ticket_resolution AS
        SELECT t.id, t.account_id, t.created_at, t.team, t.product, t.channel, t.interruption_id,
               coalesce(t.resolved_at, r.at) AS resolved_at,
               {segment} AS segment
        FROM tickets t LEFT JOIN ({resolution}) r ON r.ticket_id = t.id
        """
    ]


def handoff_records(tables: frozenset[str]) -> str | None:
    """C6: one record per resolved ticket, x = assignments that changed team or agent."""
    if not {"tickets", "ticket_events"} <= tables:
        return None
    return """
        WITH assigned AS (
            SELECT ticket_id,
                   row_number() OVER w AS k,
                   team IS DISTINCT FROM lag(team) OVER w
                       OR agent_id IS DISTINCT FROM lag(agent_id) OVER w AS changed
            FROM ticket_events
            WHERE kind = 'assigned'
            WINDOW w AS (PARTITION BY ticket_id ORDER BY "at")
        ), handoffs AS (
            SELECT ticket_id, count(*) FILTER (WHERE k > 1 AND changed) AS n
            FROM assigned GROUP BY ticket_id
        )
        SELECT r.resolved_at AS "at", coalesce(h.n, 0)::DOUBLE AS x, r.team, r.product, r.channel, r.segment
        FROM ticket_resolution r LEFT JOIN handoffs h ON h.ticket_id = r.id
        WHERE r.resolved_at IS NOT NULL
    """


def time_to_smile_records(tables: frozenset[str]) -> str | None:
    """B2: one record per interruption that ended, x = hours from interruption to back-to-happy."""
    if "interruptions" in tables:
        segment = (
            "(SELECT a.segment FROM accounts a WHERE a.id = i.account_id LIMIT 1)"
            if "accounts" in tables
            else "NULL::VARCHAR"
        )
        return f"""
            SELECT i.back_to_happy_at AS "at",
                   epoch(i.back_to_happy_at - i.interrupted_at) / 3600.0 AS x,
                   NULL::VARCHAR AS team, NULL::VARCHAR AS product, NULL::VARCHAR AS channel,
                   {segment} AS segment
            FROM interruptions i
            WHERE i.back_to_happy_at IS NOT NULL
        """
    if "tickets" not in tables:
        return None
    return """
        SELECT max(resolved_at) AS "at",
               epoch(max(resolved_at) - min(created_at)) / 3600.0 AS x,
               arg_min(team, created_at) AS team, arg_min(product, created_at) AS product,
               arg_min(channel, created_at) AS channel, arg_min(segment, created_at) AS segment
        FROM ticket_resolution
        GROUP BY interruption_id, CASE WHEN interruption_id IS NULL THEN id END
        HAVING count(*) = count(resolved_at)
    """


def csat_records(tables: frozenset[str]) -> str | None:
    """C1b: one record per CSAT answer, x = 1 when satisfied (4 or more once mapped onto 1-5)."""
    if "surveys" not in tables:
        return None
    if "tickets" in tables:
        source = "surveys s LEFT JOIN ticket_resolution t ON t.id = s.ticket_id"
        dims = "t.team, t.product, t.channel, t.segment"
    else:
        source = "surveys s"
        dims = "NULL::VARCHAR AS team, NULL::VARCHAR AS product, NULL::VARCHAR AS channel, NULL::VARCHAR AS segment"
    return f"""
        SELECT s.at,
               CASE WHEN 1 + (s.score - 1) * 4.0 / (s.scale_max - 1) >= 4 - 1e-9 THEN 1.0 ELSE 0.0 END AS x,
               {dims}
        FROM {source}
        WHERE lower(s.kind) = 'csat' AND s.scale_max > 1 AND s.score IS NOT NULL
    """


def competency_records(tables: frozenset[str]) -> str | None:
    """E4: one record per employee at their first peer-trust sign-off, x = days since they started."""
    if not {"employees", "competency"} <= tables:
        return None
    return """
        WITH first_trust AS (
            SELECT employee_id, min(peer_trust_at) AS "at"
            FROM competency WHERE peer_trust_at IS NOT NULL GROUP BY employee_id
        )
        SELECT f.at, epoch(f.at - e.started_at) / 86400.0 AS x, e.team,
               NULL::VARCHAR AS product, NULL::VARCHAR AS channel, NULL::VARCHAR AS segment
        FROM first_trust f JOIN employees e ON e.id = f.employee_id
    """


def competency_waiting_sql() -> str:
    """E4 detail: employees without a sign-off by the period's end whose tenure passes `median_days`."""
    return """
        SELECT count(*) FROM employees e
        WHERE e.started_at < $period_end
          AND NOT EXISTS (
              SELECT 1 FROM competency c
              WHERE c.employee_id = e.id AND c.peer_trust_at IS NOT NULL AND c.peer_trust_at < $period_end
          )
          AND epoch($period_end - e.started_at) / 86400.0 > $median_days
    """
