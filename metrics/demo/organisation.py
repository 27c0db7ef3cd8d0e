"""How the demo company improves itself: suggestions, requests between teams, initiatives."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from metrics.demo.catalog import DEPARTMENTS, INITIATIVES, TEAM_SHARES, TEAMS
from metrics.demo.output import build_table, id_column, labels, times
from metrics.demo.sampling import (
    DAY,
    HOUR,
    Scenario,
    balanced_uniform,
    choose,
    loglogistic,
    seasonal_times,
)

SUGGESTION_SOURCES: tuple[str, ...] = ("customer", "employee")
SUGGESTION_STATUSES: tuple[str, ...] = ("accepted", "declined", "open")
#: Suggestions per employee and month, per account and month; share accepted by source.
EMPLOYEE_SUGGESTIONS = 0.15
CUSTOMER_SUGGESTIONS = 0.01
ACCEPTED_SHARE = (0.25, 0.40)
REQUESTS_PER_TICKET = 0.05


def suggestions_table(rng: np.random.Generator, scenario: Scenario) -> pa.Table:
    """Ideas from employees and customers, decided within days to weeks."""
    n_employee = round(EMPLOYEE_SUGGESTIONS * scenario.scale.employees * scenario.months)
    n_customer = round(CUSTOMER_SUGGESTIONS * scenario.scale.accounts * scenario.months)
    submitted = seasonal_times(rng, scenario, n_employee + n_customer)
    source = rng.permutation(np.repeat(np.array([1, 0], dtype=np.int64), [n_employee, n_customer]))
    decided = submitted + loglogistic(rng.random(len(source)), 7.0 * DAY, 2.0).astype(np.int64)
    accepted = balanced_uniform(rng, submitted, source) < np.asarray(ACCEPTED_SHARE)[source]
    is_decided = decided < scenario.end
    status = np.where(is_decided, np.where(accepted, 0, 1), 2).astype(np.int64)
    return build_table(
        "suggestions",
        {
            "id": id_column("SG", len(source), 4),
            "source": labels(SUGGESTION_SOURCES, source),
            "submitted_at": times(submitted),
            "status": labels(SUGGESTION_STATUSES, status),
            "decided_at": times(decided, is_decided),
        },
    )


def internal_requests_table(rng: np.random.Generator, scenario: Scenario) -> pa.Table:
    """Support teams asking each other and other departments for help: accepted in hours, done in days."""
    n = round(REQUESTS_PER_TICKET * scenario.scale.tickets)
    opened = seasonal_times(rng, scenario, n)
    from_team = choose(rng, TEAM_SHARES, n)
    targets = TEAMS + DEPARTMENTS
    # Other support teams in 40% of requests, Engineering, Product, Finance or Sales in the rest.
    other_team = (from_team + 1 + rng.integers(0, len(TEAMS) - 1, n)) % len(TEAMS)
    department = len(TEAMS) + choose(rng, (0.5, 0.2, 0.2, 0.1), n)
    to_team = np.where(rng.random(n) < 0.4, other_team, department)
    accepted = opened + loglogistic(rng.random(n), 3.0 * HOUR, 1.6).astype(np.int64)
    resolved = accepted + loglogistic(rng.random(n), 30.0 * HOUR, 1.5).astype(np.int64)
    return build_table(
        "internal_requests",
        {
            "id": id_column("R", n, 5),
            "from_team": labels(TEAMS, from_team),
            "to_team": labels(targets, to_team),
            "opened_at": times(opened),
            "accepted_at": times(accepted, accepted < scenario.end),
            "resolved_at": times(resolved, resolved < scenario.end),
        },
    )


def initiatives_table(scenario: Scenario) -> pa.Table:
    """A fixed portfolio of improvement initiatives, dated relative to the window."""
    window = scenario.end - scenario.start
    starts = [scenario.start + int(share * window) for _, _, share, _, _ in INITIATIVES]
    started = np.array(starts, dtype=np.int64) // DAY * DAY + 9 * HOUR
    return build_table(
        "initiatives",
        {
            "id": id_column("IN", len(INITIATIVES), 2),
            "name": pa.array([initiative[0] for initiative in INITIATIVES]),
            "kind": pa.array([initiative[1] for initiative in INITIATIVES]),
            "started_at": times(started),
            "status": pa.array([initiative[3] for initiative in INITIATIVES]),
            "on_track": pa.array([initiative[4] for initiative in INITIATIVES], type=pa.bool_()),
        },
    )
