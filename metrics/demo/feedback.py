"""What customers and employees tell the demo company: surveys and self-service sessions."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from metrics.demo.accounts import AccountBook, account_months
from metrics.demo.catalog import CSAT_PRODUCT
from metrics.demo.output import booleans, build_table, id_column, refs, times
from metrics.demo.people import PulseAnswers, Staff
from metrics.demo.sampling import (
    DAY,
    HOUR,
    MINUTE,
    Ints,
    Scenario,
    balanced_uniform,
    expand,
    loglogistic,
    pick_codes,
    seasonal_times,
)
from metrics.demo.tickets import TicketSet
from metrics.schema import SURVEY_KINDS

CSAT_RESPONSE_RATE = 0.22
CSAT_SATISFIED = 0.88
#: Planted: how far the share of happy Payroll answers falls by the end.
CSAT_DROP = 0.64
CES_RESPONSE_RATE = 0.10
NPS_RESPONSE_RATE = 0.55
#: Scores 1-5 of unhappy (1, 2, 3) and happy (4, 5) CSAT answers, CES 1-7, NPS 0-10.
CSAT_UNHAPPY_SHARES = (0.25, 0.30, 0.45)
CSAT_HAPPY_SHARES = (0.38, 0.62)
CES_SHARES = (0.03, 0.04, 0.06, 0.12, 0.25, 0.30, 0.20)
NPS_SHARES = (0.01, 0.01, 0.01, 0.02, 0.02, 0.04, 0.07, 0.15, 0.20, 0.25, 0.22)
#: Self-service: sessions not tied to a ticket per ticket, how often they help, and how often a ticket
#: follows a session (85/85: customers try self-service first and find what they need).
SESSIONS_PER_TICKET = 6.0
SESSION_HELPFUL = 0.95
TICKET_AFTER_SESSION = 0.88
HELPFUL_BEFORE_TICKET = 0.25

_KIND = {kind: code for code, kind in enumerate(SURVEY_KINDS)}
_SCALE_MAX = {"nps": 10, "csat": 5, "ces": 7, "engagement": 100, "esat": 100, "collaboration": 100}


def _answered(rng: np.random.Generator, scenario: Scenario, tickets: TicketSet, rate: float) -> Ints:
    """Resolved tickets whose customer answered a survey (evenly per product over time)."""
    answers = balanced_uniform(rng, tickets.resolved, tickets.product) < rate
    return np.flatnonzero((tickets.resolved < scenario.end) & answers)


def surveys_table(
    rng: np.random.Generator,
    scenario: Scenario,
    tickets: TicketSet,
    book: AccountBook,
    staff: Staff,
    pulses: PulseAnswers,
) -> pa.Table:
    """CSAT and CES after tickets, NPS per account each quarter, and the employee pulses."""
    csat = _answered(rng, scenario, tickets, CSAT_RESPONSE_RATE)
    csat_at = tickets.resolved[csat] + loglogistic(rng.random(len(csat)), 3.0 * HOUR, 1.5).astype(np.int64)
    # Planted: Payroll customers are less and less satisfied.
    groups = {
        "team": tickets.team[csat],
        "product": tickets.product[csat],
        "channel": tickets.channel[csat],
        "priority": tickets.priority[csat],
        "segment": book.segment[tickets.account[csat]],
    }
    payroll = tickets.product[csat] == CSAT_PRODUCT
    severity = scenario.severity("csat", csat_at) * scenario.planted_in("csat", payroll, groups)
    happy = balanced_uniform(rng, csat_at, tickets.product[csat]) < CSAT_SATISFIED - CSAT_DROP * severity
    csat_score = np.where(
        happy,
        4 + pick_codes(rng.random(len(csat)), CSAT_HAPPY_SHARES),
        1 + pick_codes(rng.random(len(csat)), CSAT_UNHAPPY_SHARES),
    )
    ces = _answered(rng, scenario, tickets, CES_RESPONSE_RATE)
    ces_at = tickets.resolved[ces] + loglogistic(rng.random(len(ces)), 5.0 * HOUR, 1.5).astype(np.int64)
    ces_score = 1 + pick_codes(rng.random(len(ces)), CES_SHARES)

    quarters = account_months(scenario, book)
    asked = np.flatnonzero((quarters.month % 3 == 1) & (rng.random(len(quarters.month)) < NPS_RESPONSE_RATE))
    nps_at = quarters.month_start[asked] + ((5.0 + 20.0 * rng.random(len(asked))) * DAY).astype(np.int64)
    nps_account = quarters.account[asked]
    nps_ok = (nps_at > book.signed[nps_account]) & (nps_at < book.churned[nps_account])
    asked, nps_at, nps_account = asked[nps_ok], nps_at[nps_ok], nps_account[nps_ok]
    nps_score = pick_codes(rng.random(len(asked)), NPS_SHARES)

    account_ids = id_column("A", book.count, 4)
    ticket_ids = id_column("T", tickets.count, 6)
    no_ticket = np.full(len(asked) + len(pulses.at), -1, dtype=np.int64)
    at = np.concatenate([csat_at, ces_at, nps_at, pulses.at])
    kind = np.concatenate(
        [
            np.full(len(csat), _KIND["csat"]),
            np.full(len(ces), _KIND["ces"]),
            np.full(len(asked), _KIND["nps"]),
            pulses.kind,
        ]
    ).astype(np.int64)
    scale_max = np.array([_SCALE_MAX[name] for name in SURVEY_KINDS], dtype=np.int64)[kind]
    respondent = pa.concat_arrays(
        [
            refs(account_ids, np.concatenate([tickets.account[csat], tickets.account[ces], nps_account])),
            refs(id_column("E", staff.count, 3), pulses.respondent),
        ]
    )
    ticket = refs(ticket_ids, np.concatenate([csat, ces, no_ticket]))
    score = np.concatenate([csat_score, ces_score, nps_score, pulses.score]).astype(np.int64)
    keep = np.flatnonzero(at < scenario.end)
    order = keep[np.argsort(at[keep], kind="stable")]
    take = pa.array(order)
    return build_table(
        "surveys",
        {
            "id": id_column("S", len(order), 6),
            "kind": pa.array(list(SURVEY_KINDS)).take(pa.array(kind[order])),
            "respondent_id": respondent.take(take),
            "ticket_id": ticket.take(take),
            "at": times(at[order]),
            "score": pa.array(score[order]),
            "scale_max": pa.array(scale_max[order]),
        },
    )


def self_service_table(
    rng: np.random.Generator, scenario: Scenario, tickets: TicketSet, book: AccountBook
) -> pa.Table:
    """Help-centre and bot sessions: most tickets follow a failed session; most sessions need no ticket."""
    # Planted: customers who open a ticket tried self-service more often first ...
    severity_ticket = scenario.severity("self_service", tickets.created)
    tried = balanced_uniform(rng, tickets.created) < TICKET_AFTER_SESSION
    attempts = (tried + tried * rng.poisson(1.6 * severity_ticket)).astype(np.int64)
    ticket, attempt = expand(attempts)
    before = loglogistic(rng.random(len(ticket)), 20.0 * MINUTE, 1.5) * (1 + attempt)
    ticket_at = tickets.created[ticket] - before.astype(np.int64) - 1
    ticket_helpful = (attempt == 0) & (rng.random(len(ticket)) < HELPFUL_BEFORE_TICKET)
    # ... while fewer try it on its own, and fewer of those find what they need.
    standalone_at = seasonal_times(rng, scenario, round(SESSIONS_PER_TICKET * tickets.count))
    severity_alone = scenario.severity("self_service", standalone_at)
    standalone_at = standalone_at[rng.random(len(standalone_at)) >= 0.4 * severity_alone]
    severity_alone = scenario.severity("self_service", standalone_at)
    alone_helpful = balanced_uniform(rng, standalone_at) < SESSION_HELPFUL - 0.4 * severity_alone
    at = np.concatenate([ticket_at, standalone_at])
    account = np.concatenate([tickets.account[ticket], book.pick(rng, standalone_at)])
    helpful = np.concatenate([ticket_helpful, alone_helpful])
    followed_by = np.concatenate([ticket, np.full(len(standalone_at), -1, dtype=np.int64)])
    keep = np.flatnonzero(at >= scenario.start)
    order = keep[np.lexsort((followed_by[keep], at[keep]))]
    return build_table(
        "self_service_sessions",
        {
            "id": id_column("SS", len(order), 6),
            "account_id": refs(id_column("A", book.count, 4), account[order]),
            "at": times(at[order]),
            "helpful": booleans(helpful[order]),
            "ticket_id": refs(id_column("T", tickets.count, 6), followed_by[order]),
        },
    )
