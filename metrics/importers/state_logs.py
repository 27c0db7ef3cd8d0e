"""Events and tickets derived from a state log (one row per change or activity of a ticket), in DuckDB SQL.

Per ticket, rows are taken in time order (then file order). From them:
- `assigned`: the first assignment, and every row whose team or agent (as `on_change_of` says) differs from
  the previous assignment row's;
- `status`: every row whose status differs from the ticket's status so far (rows without a status change
  nothing);
- `reopened`: a status change from a resolved status (`resolved_statuses`) to one that is not;
- extra events from each `events` value map (e.g. an activity "Create SW anomaly" -> `escalated`): on every
  row that maps to a kind, or (`emit: on_change`) only on a row whose kind differs from the ticket's previous row's
  (a `knowledge` flag turning true links an article once, not on every later row);
- tickets: `created_at` = the first row, `resolved_at` = when the ticket last entered a resolved status, if
  it is still in one at the end (resolved then closed gives the time it was resolved), `closed_at` likewise for
  `closed_statuses`, `team` = the last team seen, other columns the first or last value seen (`pick`); a
  mapped column that stays empty for a ticket falls back to the derived value.
"""

from __future__ import annotations

from collections.abc import Mapping as MappingType

import duckdb

from metrics.importers.mapping import DERIVED_TICKET_COLUMNS, StateLogSpec
from metrics.importers.sql import Compiled, compile_value, condition_sql, ident, in_list
from metrics.importers.staging import Stage
from metrics.plausible import DateWindow
from metrics.schema import DUCKDB_TYPES, EVENT_KINDS, TABLES

#: The canonical columns of ticket_events, in order.
EVENT_COLUMNS: tuple[str, ...] = TABLES["ticket_events"].column_names


def compile_log(
    spec: StateLogSpec,
    columns: MappingType[str, str | None],
    time_zone: str,
    window: DateWindow | None = None,
) -> dict[str, Compiled]:
    """The staged values of one state-log row (ticket columns are staged as `ticket.<column>`); times
    outside `window` are unusable."""
    values = {
        "ticket_id": compile_value(spec.ticket_id, "id", columns, time_zone=time_zone),
        "at": compile_value(spec.at, "timestamp", columns, time_zone=time_zone, window=window),
        "status": compile_value(spec.status, "text", columns, time_zone=time_zone),
        "team": compile_value(spec.team, "text", columns, time_zone=time_zone),
        "agent_id": compile_value(spec.agent_id, "id", columns, time_zone=time_zone),
    }
    for number, event in enumerate(spec.events):
        values[f"event.{number}"] = compile_value(
            event,
            "text",
            columns,
            time_zone=time_zone,
            allowed=EVENT_KINDS,
            what="event kind",
            default_other="empty",
        )
    tickets = TABLES["tickets"]
    for column, value in spec.ticket_columns.items():
        values[f"ticket.{column}"] = compile_value(
            value, tickets.column(column).type, columns, time_zone=time_zone, window=window
        )
    return values


def assignment_sql(spec: StateLogSpec, columns: MappingType[str, str | None]) -> str:
    """SQL over a source row: its `assignment.when` condition holds (staged as `__assign`)."""
    return condition_sql(spec.assignment.when, columns)


def derive_events(connection: duckdb.DuckDBPyConnection, usable: str, spec: StateLogSpec, number: int) -> str:
    """Create `log_<n>` (rows in ticket order), `status_<n>` (status changes) and `events_<n>`; return the last."""
    resolved, closed = in_list(spec.resolved_statuses), in_list(spec.closed_statuses)
    connection.execute(
        f"""
        CREATE TEMP TABLE log_{number} AS
        SELECT *, row_number() OVER (PARTITION BY v_ticket_id ORDER BY v_at, __src, __line) AS __seq
        FROM {usable}
        """
    )
    connection.execute(
        f"""
        CREATE TEMP TABLE status_{number} AS
        WITH observed AS (
            SELECT v_ticket_id AS ticket_id, v_at AS "at", __src, __line, __seq, v_team AS team,
                   v_agent_id AS agent_id, v_status AS status, lower(v_status) AS state,
                   lag(lower(v_status)) OVER (PARTITION BY v_ticket_id ORDER BY __seq) AS previous
            FROM log_{number} WHERE v_status IS NOT NULL
        )
        SELECT *, state IN {resolved} AS now_resolved, coalesce(previous IN {resolved}, FALSE) AS was_resolved,
               state IN {closed} AS now_closed, coalesce(previous IN {closed}, FALSE) AS was_closed
        FROM observed WHERE previous IS DISTINCT FROM state
        """
    )
    changed = " OR ".join(
        f"{ident('v_' + key)} IS DISTINCT FROM {ident('previous_' + key)}"
        for key in spec.assignment.on_change_of
    )
    tail = "NULL::VARCHAR AS article_id"
    present = " OR ".join(f"{ident('v_' + key)} IS NOT NULL" for key in spec.assignment.on_change_of)
    connection.execute(
        f"""
        CREATE TEMP TABLE events_{number} AS
        WITH assignments AS (
            SELECT *, lag(v_team) OVER w AS previous_team, lag(v_agent_id) OVER w AS previous_agent_id,
                   row_number() OVER w AS __k
            FROM log_{number} WHERE __assign AND ({present})
            WINDOW w AS (PARTITION BY v_ticket_id ORDER BY __seq)
        )
        SELECT v_ticket_id AS ticket_id, v_at AS "at", 'assigned' AS kind, v_team AS team, v_agent_id AS agent_id,
               {tail}, NULL::VARCHAR AS status, __src, __line, 1 AS __order
        FROM assignments WHERE __k = 1 OR {changed}
        UNION ALL
        SELECT ticket_id, "at", 'status', team, agent_id, {tail}, status, __src, __line, 2 FROM status_{number}
        UNION ALL
        SELECT ticket_id, "at", 'reopened', team, agent_id, {tail}, NULL, __src, __line, 3
        FROM status_{number} WHERE was_resolved AND NOT now_resolved
        {"".join(_extra_events(spec, number, tail))}
        """
    )
    return f"events_{number}"


def _extra_events(spec: StateLogSpec, number: int, tail: str) -> list[str]:
    """The UNION ALL branches of the `events` value maps: every row, or only a change of kind per ticket."""
    branches = []
    for index, event in enumerate(spec.events):
        kind = ident(f"v_event.{index}")
        rows, condition = f"log_{number}", f"{kind} IS NOT NULL"
        if event.emit == "on_change":
            # the previous row of the ticket, whatever it holds: a flag true, false, true links twice
            rows = (
                f"(SELECT *, lag({kind}) OVER (PARTITION BY v_ticket_id ORDER BY __seq) AS __previous "
                f"FROM log_{number})"
            )
            condition += f" AND {kind} IS DISTINCT FROM __previous"
        branches.append(
            f"""
        UNION ALL
        SELECT v_ticket_id, v_at, {kind}, v_team, v_agent_id, {tail}, NULL, __src, __line, 4
        FROM {rows} WHERE {condition}"""
        )
    return branches


def derive_tickets(
    connection: duckdb.DuckDBPyConnection, spec: StateLogSpec, labels: dict[str, str], number: int
) -> Stage:
    """Stage one ticket per ticket id of `log_<n>`, ready for the usual checks of the tickets table."""
    overrides = spec.ticket_columns
    resolved, closed = in_list(spec.resolved_statuses), in_list(spec.closed_statuses)
    picks = []
    for name, spec_value in overrides.items():
        staged = ident(f"v_ticket.{name}")
        pick = spec_value.pick or ("first" if name == "created_at" else "last")
        function = "arg_min" if pick == "first" else "arg_max"
        picks.append(
            f"{function}({staged}, __seq) FILTER (WHERE {staged} IS NOT NULL) AS {ident('picked_' + name)}"
        )
    derived = {
        "id": "p.ticket_id",
        "created_at": "p.created_at",
        "resolved_at": f"CASE WHEN f.final_state IN {resolved} THEN f.resolved_entry END",
        "closed_at": f"CASE WHEN f.final_state IN {closed} THEN f.closed_entry END",
        "team": "p.team",
    }
    derived_labels = {
        "id": labels["ticket_id"],
        "created_at": labels["at"],
        "resolved_at": labels["status"],
        "closed_at": labels["status"],
        "team": labels["team"],
    }
    selects = ["p.__src", "p.__line", "FALSE AS __drop"]
    stage_labels = {}
    for column in TABLES["tickets"].columns:
        if column.name in overrides:
            sql = f"p.{ident('picked_' + column.name)}"
            if column.name in DERIVED_TICKET_COLUMNS:
                sql = f"coalesce({sql}, {derived[column.name]})"
            stage_labels[column.name] = overrides[column.name].label
        elif column.name in DERIVED_TICKET_COLUMNS:
            sql = derived[column.name]
            stage_labels[column.name] = derived_labels[column.name] or column.name
        else:
            continue
        selects += [
            f"CAST({sql} AS {DUCKDB_TYPES[column.type]}) AS {ident('v_' + column.name)}",
            f"CAST({sql} AS VARCHAR) AS {ident('r_' + column.name)}",
            f"FALSE AS {ident('x_' + column.name)}",
            f"FALSE AS {ident('k_' + column.name)}",
            f"NULL::VARCHAR AS {ident('m_' + column.name)}",
        ]
    connection.execute(
        f"""
        CREATE TEMP TABLE log_tickets_{number} AS
        WITH final AS (
            SELECT ticket_id, arg_max(state, __seq) AS final_state,
                   max("at") FILTER (WHERE now_resolved AND NOT was_resolved) AS resolved_entry,
                   max("at") FILTER (WHERE now_closed AND NOT was_closed) AS closed_entry
            FROM status_{number} GROUP BY ticket_id
        ), p AS (
            SELECT v_ticket_id AS ticket_id, min(v_at) AS created_at,
                   arg_min(__src, __seq) AS __src, arg_min(__line, __seq) AS __line,
                   arg_max(v_team, __seq) FILTER (WHERE v_team IS NOT NULL) AS team
                   {"".join(", " + pick for pick in picks)}
            FROM log_{number} GROUP BY v_ticket_id
        )
        SELECT {", ".join(selects)} FROM p LEFT JOIN final f ON f.ticket_id = p.ticket_id
        """
    )
    return Stage(f"log_tickets_{number}", stage_labels)
