"""Customer accounts of the demo: who they are, when they signed, their usage and their revenue."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from metrics.demo.catalog import (
    CURRENCY,
    FEATURE_ADOPTION,
    FEATURES,
    SEGMENT_LICENCES,
    SEGMENT_PRICE,
    SEGMENT_SHARES,
    SEGMENT_TICKET_WEIGHT,
    SEGMENTS,
)
from metrics.demo.output import booleans, build_table, id_column, labels, refs, times
from metrics.demo.sampling import (
    DAY,
    NEVER,
    Bools,
    Floats,
    Ints,
    Scenario,
    choose,
    epoch_seconds,
    loglogistic,
)

#: Share of accounts that were customers before the window; the rest sign during it.
EXISTING_SHARE = 0.55
#: Share of accounts that saw value in a trial or pilot before they signed.
PILOT_SHARE = 0.55
MONTHLY_CHURN = 0.007
MONTHLY_EXPANSION = 0.012
MONTHLY_CONTRACTION = 0.004


@dataclass(frozen=True)
class AccountBook:
    """Accounts ordered by contract signature (A0001 signed first)."""

    segment: Ints
    signed: Ints
    churned: Ints
    licences: Ints
    ticket_weight: Floats

    @property
    def count(self) -> int:
        return len(self.segment)

    @property
    def yearly_value(self) -> Floats:
        price: Floats = np.asarray(SEGMENT_PRICE, dtype=np.float64)[self.segment]
        return self.licences * price

    def pick(self, rng: np.random.Generator, at: Ints) -> Ints:
        """A customer for each moment: bigger accounts more often, only while under contract."""
        cumulative = np.cumsum(self.ticket_weight)
        signed_before = np.maximum(np.searchsorted(self.signed, at, side="right"), 1)
        account = np.zeros(len(at), dtype=np.int64)
        pending = np.arange(len(at))
        for _ in range(30):  # redraw the few that hit an account which had already churned
            draw = rng.random(len(pending)) * cumulative[signed_before[pending] - 1]
            account[pending] = np.searchsorted(cumulative, draw, side="right")
            pending = pending[self.churned[account[pending]] <= at[pending]]
            if not len(pending):
                break
        account[pending] = 0  # A0001 signed long ago and never churns
        return account


def build_accounts(rng: np.random.Generator, scenario: Scenario) -> AccountBook:
    n = scenario.scale.accounts
    segment = choose(rng, SEGMENT_SHARES, n)
    existing = rng.random(n) < EXISTING_SHARE
    existing[0] = True
    years_before = 0.1 + 3.9 * rng.random(n)
    # Sign-ups grow over the window (density 1 + 0.3 x for x from 0 to 1), like the ticket volume.
    position = (np.sqrt(1.0 + 0.6 * 1.15 * rng.random(n)) - 1.0) / 0.3
    signed = np.where(
        existing,
        scenario.start - (years_before * 365.25 * DAY).astype(np.int64),
        scenario.start + (position * (scenario.end - scenario.start - DAY)).astype(np.int64),
    )
    signed = np.maximum(signed, scenario.start - 4 * 365 * DAY)
    order = np.argsort(signed, kind="stable")
    segment, signed = segment[order], signed[order]
    months_to_churn = rng.exponential(1.0 / MONTHLY_CHURN, n) * 30.44 * DAY
    churned = np.maximum(signed, scenario.start) + months_to_churn.astype(np.int64)
    churned[0] = NEVER
    churned = np.where(churned < scenario.end, churned, NEVER)
    licences = np.maximum(
        1, np.round(np.asarray(SEGMENT_LICENCES)[segment] * rng.lognormal(0.0, 0.5, n))
    ).astype(np.int64)
    weight = np.asarray(SEGMENT_TICKET_WEIGHT)[segment] * rng.lognormal(0.0, 0.5, n)
    return AccountBook(segment, signed, churned, licences, weight.astype(np.float64))


def accounts_table(rng: np.random.Generator, scenario: Scenario, book: AccountBook) -> pa.Table:
    """Pilots show value 20-75 days before signing; first value after sale comes 5-60 days after it."""
    n = book.count
    pilot = rng.random(n) < PILOT_SHARE
    before = book.signed - ((20.0 + 55.0 * rng.random(n)) * DAY).astype(np.int64)
    after_days = np.clip(loglogistic(rng.random(n), 18.0, shape=2.5), 5.0, 60.0)
    after = book.signed + (after_days * DAY).astype(np.int64)
    return build_table(
        "accounts",
        {
            "id": id_column("A", n, 4),
            "segment": labels(SEGMENTS, book.segment),
            "first_value_before_sale_at": times(before, pilot & (before < scenario.end)),
            "contract_signed_at": times(book.signed, book.signed < scenario.end),
            "first_value_after_sale_at": times(after, after < scenario.end),
            "licences": pa.array(book.licences),
        },
    )


@dataclass(frozen=True)
class AccountMonths:
    """Every (account, month) with the account under contract for at least part of the month."""

    account: Ints
    month: Ints
    month_start: Ints


def account_months(scenario: Scenario, book: AccountBook) -> AccountMonths:
    bounds = np.array([epoch_seconds(day) for day in scenario.month_starts()], dtype=np.int64)
    active = (book.signed[:, None] < bounds[None, 1:]) & (book.churned[:, None] > bounds[None, :-1])
    account, month = np.nonzero(active)
    return AccountMonths(account.astype(np.int64), month.astype(np.int64), bounds[month])


def usage_table(rng: np.random.Generator, scenario: Scenario, book: AccountBook) -> pa.Table:
    """Licence utilisation, feature adoption and health checks: stable per account, no trend."""
    grid = account_months(scenario, book)
    utilisation = rng.beta(7.0, 3.0, book.count)
    health = rng.beta(9.0, 1.5, book.count)
    adopted_features = rng.random((book.count, len(FEATURES))) < np.asarray(FEATURE_ADOPTION)[None, :]
    monthly_users = (
        book.licences[grid.account] * utilisation[grid.account] * rng.normal(1.0, 0.05, len(grid.month))
    )
    active_users = np.clip(np.round(monthly_users), 0, book.licences[grid.account]).astype(np.int64)
    passed = rng.random(len(grid.month)) < health[grid.account]
    periods = [f"{day:%Y-%m}" for day in scenario.month_starts()[:-1]]
    row = np.repeat(np.arange(len(grid.month)), len(FEATURES))
    feature = np.tile(np.arange(len(FEATURES), dtype=np.int64), len(grid.month))
    account = grid.account[row]
    return build_table(
        "usage",
        {
            "account_id": refs(id_column("A", book.count, 4), account),
            "period": labels(periods, grid.month[row]),
            "active_users": pa.array(active_users[row]),
            "feature": labels(FEATURES, feature),
            "adopted": booleans(adopted_features[account, feature]),
            "health_check_passed": booleans(passed[row]),
        },
    )


def revenue_table(rng: np.random.Generator, scenario: Scenario, book: AccountBook) -> pa.Table:
    """New business at signing, occasional expansion and contraction, churn at the end of a contract."""
    grid = account_months(scenario, book)
    value = book.yearly_value
    signed_in_window = np.flatnonzero((book.signed >= scenario.start) & (book.signed < scenario.end))
    churned = np.flatnonzero(book.churned < scenario.end)
    draw = rng.random(len(grid.month))
    expanded: Bools = draw < MONTHLY_EXPANSION
    contracted: Bools = (draw >= MONTHLY_EXPANSION) & (draw < MONTHLY_EXPANSION + MONTHLY_CONTRACTION)
    changed = np.flatnonzero(expanded | contracted)
    change_at = grid.month_start[changed] + (rng.random(len(changed)) * 27 * DAY).astype(np.int64)
    change_account = grid.account[changed]
    in_contract = (change_at > book.signed[change_account]) & (change_at < book.churned[change_account])
    in_contract &= change_at < scenario.end
    changed, change_at, change_account = (
        changed[in_contract],
        change_at[in_contract],
        change_account[in_contract],
    )
    change_amount = value[change_account] * (0.05 + 0.25 * rng.random(len(changed)))
    account = np.concatenate([signed_in_window, change_account, churned])
    at = np.concatenate([book.signed[signed_in_window], change_at, book.churned[churned]])
    kind = np.concatenate(
        [
            np.zeros(len(signed_in_window), dtype=np.int64),
            np.where(expanded[changed], 2, 3),
            np.ones(len(churned), dtype=np.int64),
        ]
    )
    amount = np.concatenate([value[signed_in_window], change_amount, value[churned]])
    order = np.lexsort((account, at))
    return build_table(
        "revenue_events",
        {
            "account_id": refs(id_column("A", book.count, 4), account[order]),
            "at": times(at[order]),
            "kind": labels(("new", "churn", "expansion", "contraction"), kind[order]),
            "amount": pa.array(np.round(amount[order], 2)),
            "currency": pa.repeat(CURRENCY, len(order)),
        },
    )
