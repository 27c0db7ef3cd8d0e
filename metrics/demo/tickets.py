"""Tickets of the demo: when they come, who raises them, how they are routed and how long they take."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from metrics.demo.accounts import AccountBook
from metrics.demo.catalog import (
    BILLING_DESK,
    CHANNEL_PICKUP_MINUTES,
    CHANNEL_SHARES,
    CHANNELS,
    PRIORITIES,
    PRIORITY_HOURS,
    PRIORITY_SHARES,
    PRODUCT_SHARES,
    PRODUCTS,
    TEAM_SHARES,
    TEAMS,
    TECHNICAL_L2,
    VOLUME,
    VOLUME_SHIFT,
)
from metrics.demo.intervention import intervention_handoffs
from metrics.demo.output import build_table, id_column, labels, refs, times
from metrics.demo.sampling import (
    DAY,
    HOUR,
    MINUTE,
    Bools,
    Floats,
    Ints,
    Scenario,
    balanced_uniform,
    choose,
    loglogistic,
    pick_codes,
    poisson_shares,
    seasonal_times,
)

#: Share of interruptions that need 2-3 tickets in different teams, and of those that need three.
MULTI_TICKET_SHARE = 0.15
THREE_TICKET_SHARE = 0.3
#: Share of single-ticket interruptions that still carry an interruption id (logged by the incident tool).
LOGGED_SINGLE_SHARE = 0.05
#: Hand-offs per ticket (0, 1, 2, 3); Technical L2 tickets have one escalation plus these.
HANDOFF_SHARES = (0.66, 0.24, 0.08, 0.02)
L2_EXTRA_HANDOFF_SHARES = (0.75, 0.20, 0.05)
HANDOFF_WAIT_HOURS = 5.0
#: Planted: extra Billing Desk hand-offs per ticket at the end (Poisson mean).
BOUNCES = 3.0
REOPEN_SHARE = 0.06
PENDING_SHARE = 0.2
LINK_SHARE = 0.30
CREATE_SHARE = 0.06
#: Extra message pairs after the first answer (Poisson mean).
MESSAGE_PAIRS_MEAN = 0.6


@dataclass(frozen=True)
class TicketSet:
    """Tickets ordered by creation (T000001 first) with the plan their events are drawn from.

    Planned times at or after the end of the window have not happened yet.
    """

    created: Ints
    assigned: Ints
    first_resolved: Ints
    reopen_at: Ints
    resolved: Ints
    closed: Ints
    account: Ints
    team: Ints
    product: Ints
    channel: Ints
    priority: Ints
    interruption: Ints
    handoffs: Ints
    bounced: Bools
    message_pairs: Ints
    reopened: Bools
    pending: Bools
    links_article: Bools
    creates_article: Bools

    @property
    def count(self) -> int:
        return len(self.created)

    def resolved_by(self, end: int) -> Ints:
        """When each ticket counts as resolved at `end`: the final resolution, or the first one while the
        customer has not reopened the ticket yet; -1 when it is open."""
        waiting_to_reopen = self.reopened & (self.first_resolved < end) & (self.reopen_at >= end)
        return np.where(
            self.resolved < end, self.resolved, np.where(waiting_to_reopen, self.first_resolved, -1)
        )


@dataclass(frozen=True)
class _Contacts:
    """Tickets before routing and timing: when, who, what, and which interruption they belong to."""

    created: Ints
    account: Ints
    team: Ints
    product: Ints
    channel: Ints
    priority: Ints
    group: Ints
    stretch: Floats


def _contacts(rng: np.random.Generator, scenario: Scenario, book: AccountBook) -> _Contacts:
    """Seasonal first contacts; some interruptions bring 1-2 follow-up tickets in other teams."""
    n_first = round(scenario.scale.tickets / (1.0 + MULTI_TICKET_SHARE * (1.0 + THREE_TICKET_SHARE)))
    created = seasonal_times(rng, scenario, n_first)
    # Even mixes of teams, products and priorities keep small demos free of accidental trends.
    team = pick_codes(balanced_uniform(rng, created), TEAM_SHARES)
    severity = scenario.severity("time_to_smile", created)
    # Planted: more interruptions need several departments.
    multi = balanced_uniform(rng, created) < MULTI_TICKET_SHARE + 0.20 * severity
    anchor = np.flatnonzero(multi)
    follow_ups = 1 + (rng.random(len(anchor)) < THREE_TICKET_SHARE).astype(np.int64)
    source = np.repeat(anchor, follow_ups)
    second = np.zeros(len(source), dtype=bool)
    second[1:] = source[1:] == source[:-1]
    # Team offsets 1-4 (never the anchor's team), the two follow-ups of one anchor differ from each other.
    first_offset = 1 + rng.integers(0, 4, len(anchor))
    second_offset = 1 + (first_offset + rng.integers(0, 3, len(anchor))) % 4
    offset = np.where(second, np.repeat(second_offset, follow_ups), np.repeat(first_offset, follow_ups))
    # Planted: the departments involved take longer to pick the interruption up and to solve their part.
    stretch_follow = 1.0 + 2.0 * severity[source]
    delay = loglogistic(balanced_uniform(rng, created[source]), 5.0 * HOUR, shape=1.8) * stretch_follow
    follow_created = created[source] + delay.astype(np.int64)
    first_account = book.pick(rng, created)
    # A follow-up needs the customer still under contract.
    keep = (follow_created < scenario.end) & (follow_created < book.churned[first_account[source]])
    source, follow_created = source[keep], follow_created[keep]

    single_logged = ~multi & (rng.random(n_first) < LOGGED_SINGLE_SHARE)
    group = np.where(multi | single_logged, np.arange(n_first), -1)
    first_product = pick_codes(balanced_uniform(rng, created), PRODUCT_SHARES)
    first_priority = pick_codes(balanced_uniform(rng, created), PRIORITY_SHARES)
    return _Contacts(
        created=np.concatenate([created, follow_created]),
        account=np.concatenate([first_account, first_account[source]]),
        team=np.concatenate([team, (team[source] + offset[keep]) % len(TEAMS)]),
        product=np.concatenate([first_product, first_product[source]]),
        channel=choose(rng, CHANNEL_SHARES, n_first + len(source)),
        priority=np.concatenate([first_priority, first_priority[source]]),
        group=np.concatenate([group, source]),
        stretch=np.concatenate([np.ones(n_first), stretch_follow[keep]]),
    )


def _number_groups(group: Ints) -> Ints:
    """Interruption numbers 0.. in order of their first ticket; -1 stays -1."""
    has = group >= 0
    values, first = np.unique(group[has], return_index=True)
    rank = np.empty(len(values), dtype=np.int64)
    rank[np.argsort(first)] = np.arange(len(values))
    number = np.full(len(group), -1, dtype=np.int64)
    number[has] = rank[np.searchsorted(values, group[has])]
    return number


def build_tickets(rng: np.random.Generator, scenario: Scenario, book: AccountBook) -> TicketSet:
    """Tickets in creation order, with their routing (hand-offs), timing and knowledge use planned."""
    contacts = _contacts(rng, scenario, book)
    order = np.argsort(contacts.created, kind="stable")
    created = contacts.created[order]
    account = contacts.account[order]
    groups = {
        "team": contacts.team[order],
        "product": contacts.product[order],
        "channel": contacts.channel[order],
        "priority": contacts.priority[order],
    }
    if VOLUME in scenario.plant_in:
        # Planted: one group takes a growing share of the work; nothing about it gets worse (pure mix).
        dimension, code = scenario.plant_in[VOLUME]
        moved = rng.random(len(created)) < VOLUME_SHIFT * scenario.ramp(created)
        groups[dimension] = np.where(moved, code, groups[dimension])
    team, priority, channel = groups["team"], groups["priority"], groups["channel"]
    groups["segment"] = book.segment[account]
    n = len(created)

    u_handoff = balanced_uniform(rng, created, team)
    handoffs = np.where(
        team == TECHNICAL_L2,
        1 + pick_codes(u_handoff, L2_EXTRA_HANDOFF_SHARES),
        pick_codes(u_handoff, HANDOFF_SHARES),
    )
    # Planted: Billing Desk bounces more and more tickets to other teams and back.
    bouncing = scenario.planted_in("handoffs", team == BILLING_DESK, groups)
    bounce_rate = BOUNCES * scenario.severity("handoffs", created) * bouncing
    extra = rng.poisson(bounce_rate).astype(np.int64)
    handoffs = handoffs + extra
    if scenario.intervention is not None:
        # Planted step: one group's hand-offs change from a date while everyone drifts with the seasons.
        handoffs = handoffs + intervention_handoffs(rng, scenario.intervention, created, groups)

    pickup_minutes = np.asarray(CHANNEL_PICKUP_MINUTES)[channel] * MINUTE
    pickup = loglogistic(balanced_uniform(rng, created), pickup_minutes, shape=1.5)
    work_hours = np.asarray(PRIORITY_HOURS)[priority] * HOUR
    work = loglogistic(balanced_uniform(rng, created, priority), work_hours, shape=1.8, cap=12.0)
    queue = handoffs * loglogistic(balanced_uniform(rng, created), HANDOFF_WAIT_HOURS * HOUR, shape=2.0)
    duration = np.maximum((work + queue) * contacts.stretch[order], 10.0 * MINUTE)
    assigned = created + pickup.astype(np.int64) + 1
    first_resolved = assigned + duration.astype(np.int64)
    reopened = balanced_uniform(rng, created) < REOPEN_SHARE
    reopen_time = loglogistic(rng.random(n), 30.0 * HOUR, shape=1.5) * reopened
    resolved = first_resolved + reopen_time.astype(np.int64)
    reopen_at = first_resolved + ((0.1 + 0.5 * rng.random(n)) * reopen_time).astype(np.int64)
    closed = resolved + ((3.0 + 4.0 * rng.random(n)) * DAY).astype(np.int64)

    # Planted: fewer tickets link an existing article, more create a new one; it falls at twice the pace
    # of the other weaknesses, so the last three months' reuse ratio drops below the 1:1 KCS floor.
    everywhere = np.ones(n, dtype=np.bool_)
    reuse = np.minimum(1.0, 2.0 * scenario.severity("knowledge_reuse", created))
    reuse = reuse * scenario.planted_in("knowledge_reuse", everywhere, groups)
    links = balanced_uniform(rng, created) < LINK_SHARE - 0.27 * reuse
    creates = balanced_uniform(rng, created) < CREATE_SHARE + 0.08 * reuse
    return TicketSet(
        created=created,
        assigned=assigned,
        first_resolved=first_resolved,
        reopen_at=reopen_at,
        resolved=resolved,
        closed=closed,
        account=account,
        team=team,
        product=groups["product"],
        channel=channel,
        priority=priority,
        interruption=_number_groups(contacts.group[order]),
        handoffs=handoffs,
        bounced=extra > 0,
        message_pairs=pick_codes(balanced_uniform(rng, created), poisson_shares(MESSAGE_PAIRS_MEAN, 6)),
        reopened=reopened,
        pending=rng.random(n) < PENDING_SHARE,
        links_article=links,
        creates_article=creates,
    )


def tickets_table(
    scenario: Scenario, tickets: TicketSet, book: AccountBook, subject: pa.Array, resolution: pa.Array
) -> pa.Table:
    """The tickets as canonical rows; `subject` and `resolution` come from `metrics.demo.resolutions`."""
    resolved_at = tickets.resolved_by(scenario.end)
    resolved = resolved_at >= 0
    interruptions = int(tickets.interruption.max()) + 1 if tickets.count else 0
    return build_table(
        "tickets",
        {
            "id": id_column("T", tickets.count, 6),
            "account_id": refs(id_column("A", book.count, 4), tickets.account),
            "created_at": times(tickets.created),
            "resolved_at": times(resolved_at, resolved),
            "closed_at": times(tickets.closed, tickets.closed < scenario.end),
            "team": labels(TEAMS, tickets.team),
            "product": labels(PRODUCTS, tickets.product),
            "channel": labels(CHANNELS, tickets.channel),
            "priority": labels(PRIORITIES, tickets.priority),
            "interruption_id": refs(id_column("I", interruptions, 5), tickets.interruption),
            "subject": subject,
            "resolution": resolution,
        },
    )
