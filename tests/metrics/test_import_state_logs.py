"""Events and tickets derived from a state log, checked by hand on a small log."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import duckdb
import pytest

from metrics.importers import import_sources, parse_mapping
from metrics.models import Period
from metrics.scorecard import compute_scorecard
from metrics.store import open_store

MAPPING = """
name: state log
sources:
  log: {}
state_logs:
  - from: log
    ticket_id: Ticket
    at: At
    status:
      column: State
      values: {New: new, Open: in_progress, Solved: resolved, Closed: closed, Note: null, Escalate: null}
      other: reject
    team: Group
    agent_id: Agent
    assignment: {on_change_of: [team]}
    events:
      column: State
      values: {Escalate: escalated}
    tickets:
      columns:
        product: {column: Product, pick: first}
        priority: Priority
"""

# A: assigned L1, moves to L2 (a hand-off), resolved, reopened, resolved again, closed.
# B: resolved, then reopened and still open. C: closed at once. D: two rows at the same time, file order decides.
LOG = """Ticket,At,State,Group,Agent,Product,Priority
A,2026-03-01T08:00:00Z,New,L1,,Mail,P3
A,2026-03-01T09:00:00Z,Open,L1,ann,Mail,P3
A,2026-03-01T10:00:00Z,Open,L2,bob,Calendar,P2
A,2026-03-01T11:00:00Z,Solved,L2,bob,,P2
A,2026-03-02T09:00:00Z,Open,L2,bob,,P1
A,2026-03-02T09:30:00Z,Note,L2,bob,,
A,2026-03-02T12:00:00Z,Solved,L2,bob,,
A,2026-03-03T12:00:00Z,Closed,L2,bob,,
B,2026-03-01T08:00:00Z,New,L1,,,
B,2026-03-01T09:00:00Z,Solved,L1,cy,,
B,2026-03-01T10:00:00Z,Escalate,L3,dee,,
B,2026-03-01T11:00:00Z,Open,L3,dee,,
C,2026-03-04T08:00:00Z,Closed,L1,,,
D,2026-03-05T08:00:00Z,New,L1,,,
D,2026-03-05T08:00:00Z,Open,L2,,,
D,2026-03-05T09:00:00Z,Wandering,L2,,,
"""


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


@pytest.fixture(scope="module")
def org(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("state-log")
    (folder / "log.csv").write_text(LOG, encoding="utf-8")
    import_sources([folder / "log.csv"], folder / "org", parse_mapping(MAPPING, "log.yaml"))
    return folder / "org"


def query(org: Path, sql: str) -> list[tuple[object, ...]]:
    with duckdb.connect() as connection:
        connection.execute("SET TimeZone = 'UTC'")
        connection.execute(
            f"CREATE VIEW ticket_events AS SELECT * FROM read_parquet('{org / 'ticket_events.parquet'}')"
        )
        connection.execute(f"CREATE VIEW tickets AS SELECT * FROM read_parquet('{org / 'tickets.parquet'}')")
        return connection.execute(sql).fetchall()


def test_events_of_a_ticket_with_a_hand_off_and_a_reopen(org: Path) -> None:
    events = query(
        org,
        """SELECT strftime("at", '%d %H:%M'), kind, team, agent_id, status
                           FROM ticket_events WHERE ticket_id = 'A'""",
    )
    assert events == [
        ("01 08:00", "assigned", "L1", None, None),
        ("01 08:00", "status", "L1", None, "new"),
        ("01 09:00", "status", "L1", "ann", "in_progress"),
        ("01 10:00", "assigned", "L2", "bob", None),
        ("01 11:00", "status", "L2", "bob", "resolved"),
        ("02 09:00", "status", "L2", "bob", "in_progress"),
        ("02 09:00", "reopened", "L2", "bob", None),
        ("02 12:00", "status", "L2", "bob", "resolved"),
        ("03 12:00", "status", "L2", "bob", "closed"),
    ]


def test_derived_tickets(org: Path) -> None:
    tickets = query(
        org, "SELECT id, created_at, resolved_at, closed_at, team, product, priority FROM tickets"
    )
    assert tickets == [
        # resolved at its last return to a resolved status, closed when it was closed
        ("A", utc("2026-03-01T08:00"), utc("2026-03-02T12:00"), utc("2026-03-03T12:00"), "L2", "Mail", "P1"),
        # reopened and still open: not resolved
        ("B", utc("2026-03-01T08:00"), None, None, "L3", None, None),
        # closed at once: resolved when closed
        ("C", utc("2026-03-04T08:00"), utc("2026-03-04T08:00"), utc("2026-03-04T08:00"), "L1", None, None),
        ("D", utc("2026-03-05T08:00"), None, None, "L2", None, None),
    ]


def test_other_event_kinds_from_the_value_map(org: Path) -> None:
    assert query(org, "SELECT ticket_id, kind, team FROM ticket_events WHERE kind = 'escalated'") == [
        ("B", "escalated", "L3")
    ]
    # the escalation row has no mapped status: B stays resolved until it opens again
    assert query(
        org, "SELECT kind, status FROM ticket_events WHERE ticket_id = 'B' AND kind <> 'assigned'"
    ) == [
        ("status", "new"),
        ("status", "resolved"),
        ("escalated", None),
        ("status", "in_progress"),
        ("reopened", None),
    ]


def test_rows_at_the_same_time_keep_file_order(org: Path) -> None:
    assert query(org, "SELECT kind, team, status FROM ticket_events WHERE ticket_id = 'D'") == [
        ("assigned", "L1", None),
        ("status", "L1", "new"),
        ("assigned", "L2", None),
        ("status", "L2", "in_progress"),
    ]
    assert query(org, "SELECT created_at, team FROM tickets WHERE id = 'D'") == [
        (utc("2026-03-05T08:00"), "L2")
    ]


def test_an_unmapped_status_is_rejected_with_its_line(org: Path) -> None:
    assert (org / "rejects.csv").read_text(encoding="utf-8").splitlines() == [
        "file,line,column,table,severity,reason",
        "log.csv,17,State,ticket_events,rejected,'Wandering' is not one of the values mapped for State",
    ]


def test_the_scorecard_counts_hand_offs_of_resolved_tickets(org: Path) -> None:
    scorecard = compute_scorecard(
        open_store(org), Period(date(2026, 3, 2), date(2026, 4, 1)), min_group_size=1
    )
    handoffs = scorecard.metric("C6")
    # A (1 hand-off) and C (none) are resolved in the period; B is open again
    assert (handoffs.n, handoffs.value) == (2, 0.5)  # the mean per ticket (issue 10)
