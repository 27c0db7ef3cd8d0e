"""Ticket events of the demo: assignments and hand-offs, messages, status changes, escalations, links."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa

from metrics.demo.catalog import FIRST_LINE, TEAMS, TECHNICAL_L2
from metrics.demo.output import build_table, id_column, labels, refs, times
from metrics.demo.people import Staff
from metrics.demo.sampling import Floats, Ints, Scenario, expand
from metrics.demo.tickets import TicketSet
from metrics.schema import EVENT_KINDS

STATUSES: tuple[str, ...] = ("new", "open", "pending", "resolved", "closed")
ASSIGNED, CUSTOMER_MESSAGE, AGENT_MESSAGE, STATUS, REOPENED, ESCALATED, ARTICLE_LINKED, ARTICLE_CREATED = (
    EVENT_KINDS.index(kind)
    for kind in (
        "assigned",
        "customer_message",
        "agent_message",
        "status",
        "reopened",
        "escalated",
        "article_linked",
        "article_created",
    )
)
NEW, OPEN, PENDING, RESOLVED, CLOSED = range(len(STATUSES))
#: How often a hand-off goes to another team rather than a colleague (Billing Desk bounces: mostly).
OTHER_TEAM_SHARE = 0.5
BOUNCE_OTHER_TEAM_SHARE = 0.85


@dataclass(frozen=True)
class EventLog:
    """Events sorted by ticket and time; `team`/`agent` are the owner at that moment (-1: none)."""

    ticket: Ints
    at: Ints
    kind: Ints
    status: Ints
    team: Ints
    agent: Ints

    @property
    def count(self) -> int:
        return len(self.ticket)


@dataclass
class _Rows:
    """Event rows collected block by block; the block order breaks ties at the same second."""

    parts: list[tuple[Ints, Ints, Ints, Ints, Ints, Ints]] = field(default_factory=list)

    def add(
        self,
        ticket: Ints,
        at: Ints,
        kind: int,
        status: int = -1,
        team: Ints | None = None,
        agent: Ints | None = None,
    ) -> None:
        n = len(ticket)
        missing = np.full(n, -1, dtype=np.int64)
        self.parts.append(
            (
                ticket,
                at,
                np.full(n, kind, dtype=np.int64),
                np.full(n, status, dtype=np.int64),
                missing if team is None else team,
                missing if agent is None else agent,
            )
        )

    def build(self, end: int) -> EventLog:
        ticket, at, kind, status, team, agent = (
            np.concatenate(column) for column in zip(*self.parts, strict=True)
        )
        block = np.repeat(np.arange(len(self.parts)), [len(part[0]) for part in self.parts])
        happened = np.flatnonzero(at < end)
        order = happened[np.lexsort((block[happened], at[happened], ticket[happened]))]
        ticket, at, kind, status = ticket[order], at[order], kind[order], status[order]
        team, agent = _current_owner(ticket, kind, status, team[order], agent[order])
        return EventLog(ticket, at, kind, status, team, agent)


def _current_owner(ticket: Ints, kind: Ints, status: Ints, team: Ints, agent: Ints) -> tuple[Ints, Ints]:
    """Fill each event's team with the latest assignment; the agent only on what agents do."""
    position = np.arange(len(ticket))
    new_ticket = np.ones(len(ticket), dtype=bool)
    new_ticket[1:] = ticket[1:] != ticket[:-1]
    first_row = np.maximum.accumulate(np.where(new_ticket, position, 0))
    last_assigned = np.maximum.accumulate(np.where(kind == ASSIGNED, position, -1))
    owned = last_assigned >= first_row
    by_agent = np.isin(kind, [ASSIGNED, AGENT_MESSAGE, ESCALATED, ARTICLE_LINKED, ARTICLE_CREATED])
    by_agent |= (kind == STATUS) & np.isin(status, [PENDING, RESOLVED])
    current_team = np.where(owned, team[last_assigned], -1)
    current_agent = np.where(owned & by_agent, agent[last_assigned], -1)
    return current_team.astype(np.int64), current_agent.astype(np.int64)


def _assignments(rng: np.random.Generator, tickets: TicketSet, staff: Staff, rows: _Rows) -> None:
    """First assignment, then hand-offs to a colleague or another team; the ticket's team owns it last."""
    ticket, step = expand(1 + tickets.handoffs)
    handoffs = tickets.handoffs[ticket]
    start = tickets.assigned[ticket]
    span = tickets.first_resolved[ticket] - start
    fraction: Floats = np.where(
        step == 0, 0.0, (step - 1 + rng.random(len(step))) / np.maximum(handoffs, 1) * 0.75
    )
    at = start + (fraction * span).astype(np.int64)
    final_team = tickets.team[ticket]
    other_share = np.where(tickets.bounced[ticket], BOUNCE_OTHER_TEAM_SHARE, OTHER_TEAM_SHARE)
    other_team = (final_team + 1 + rng.integers(0, len(TEAMS) - 1, len(step))) % len(TEAMS)
    first_line = np.asarray(FIRST_LINE, dtype=np.int64)[rng.integers(0, len(FIRST_LINE), len(step))]
    escalates = final_team == TECHNICAL_L2
    team = np.where(
        step == handoffs,
        final_team,
        np.where(
            escalates, first_line, np.where(rng.random(len(step)) < other_share, other_team, final_team)
        ),
    )
    agent = staff.pick(rng, team, at)
    for _ in range(20):  # an assignment that changes neither team nor agent would be no hand-off
        repeated = np.flatnonzero(
            (ticket[1:] == ticket[:-1]) & (team[1:] == team[:-1]) & (agent[1:] == agent[:-1])
        )
        if not len(repeated):
            break
        again = repeated + 1
        agent[again] = staff.pick(rng, team[again], at[again], avoid=agent[repeated])
    rows.add(ticket, at, ASSIGNED, team=team, agent=agent)
    escalation = np.flatnonzero(escalates & (step == handoffs))
    rows.add(ticket[escalation], at[escalation] - 60, ESCALATED)


def _conversation(rng: np.random.Generator, tickets: TicketSet, rows: _Rows) -> None:
    """Opening message, alternating answers, pending cycles, resolutions, reopenings and closing."""
    everyone = np.arange(tickets.count, dtype=np.int64)
    rows.add(everyone, tickets.created, CUSTOMER_MESSAGE)
    rows.add(everyone, tickets.created, STATUS, NEW)

    reopen_at = tickets.reopen_at
    first_phase = 1 + 2 * tickets.message_pairs
    ticket, index = expand(first_phase + 2 * tickets.reopened)
    phase_length = first_phase[ticket]
    start, first_end = tickets.assigned[ticket], tickets.first_resolved[ticket]
    reopen, final = reopen_at[ticket], tickets.resolved[ticket]
    jitter = rng.random(len(ticket))
    at = np.where(
        index < phase_length,
        start + ((index + jitter) / phase_length * (first_end - start)).astype(np.int64),
        np.where(
            index == phase_length,
            reopen,
            reopen + ((0.2 + 0.7 * jitter) * (final - reopen)).astype(np.int64),
        ),
    )
    # The agent answers first; after a reopening the customer writes and the agent answers again.
    agent_turn = index % 2 == 0
    rows.add(ticket[agent_turn], at[agent_turn], AGENT_MESSAGE)
    rows.add(ticket[~agent_turn], at[~agent_turn], CUSTOMER_MESSAGE)
    waits = tickets.pending[ticket] & (phase_length >= 3)
    asks, replies = np.flatnonzero(waits & (index == 0)), np.flatnonzero(waits & (index == 1))
    rows.add(ticket[asks], at[asks] + 1, STATUS, PENDING)
    rows.add(ticket[replies], at[replies] + 1, STATUS, OPEN)

    reopened = np.flatnonzero(tickets.reopened)
    rows.add(reopened, tickets.first_resolved[reopened], STATUS, RESOLVED)
    rows.add(reopened, reopen_at[reopened] + 1, REOPENED)
    rows.add(reopened, reopen_at[reopened] + 2, STATUS, OPEN)
    rows.add(everyone, tickets.resolved, STATUS, RESOLVED)
    rows.add(everyone, tickets.closed, STATUS, CLOSED)


def _article_use(rng: np.random.Generator, tickets: TicketSet, rows: _Rows) -> None:
    """Links to existing articles while working, new articles just before the (first) resolution."""
    span = tickets.first_resolved - tickets.assigned
    linking = np.flatnonzero(tickets.links_article)
    link_at = tickets.assigned + ((0.3 + 0.65 * rng.random(tickets.count)) * span).astype(np.int64)
    rows.add(linking, link_at[linking], ARTICLE_LINKED)
    creating = np.flatnonzero(tickets.creates_article)
    create_at = tickets.first_resolved - 1 - (0.1 * rng.random(tickets.count) * span).astype(np.int64)
    rows.add(creating, create_at[creating], ARTICLE_CREATED)


def build_events(rng: np.random.Generator, scenario: Scenario, tickets: TicketSet, staff: Staff) -> EventLog:
    rows = _Rows()
    _assignments(rng, tickets, staff, rows)
    _conversation(rng, tickets, rows)
    _article_use(rng, tickets, rows)
    return rows.build(scenario.end)


def events_table(log: EventLog, tickets: TicketSet, staff: Staff, article: Ints, n_articles: int) -> pa.Table:
    return build_table(
        "ticket_events",
        {
            "ticket_id": refs(id_column("T", tickets.count, 6), log.ticket),
            "at": times(log.at),
            "kind": labels(EVENT_KINDS, log.kind),
            "team": labels(TEAMS, log.team),
            "agent_id": refs(id_column("E", staff.count, 3), log.agent),
            "article_id": refs(id_column("KB", n_articles, 4), article),
            "status": labels(STATUSES, log.status),
        },
    )
