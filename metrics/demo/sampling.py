"""Time and randomness for the demo: the data window, seasonality, planted trends and low-noise draws."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from metrics.demo.catalog import Scale

if TYPE_CHECKING:
    from metrics.demo.intervention import Intervention

Ints = npt.NDArray[np.int64]
Floats = npt.NDArray[np.float64]
Bools = npt.NDArray[np.bool_]

MINUTE = 60
HOUR = 3_600
DAY = 86_400
#: A time that never comes (an account that never churns).
NEVER = 2**62

#: Ticket volume by weekday (Monday first) and by month of the year (January first).
WEEKDAY_FACTORS = np.array([1.15, 1.12, 1.08, 1.05, 0.95, 0.35, 0.30])
MONTH_FACTORS = np.array([1.20, 1.05, 1.00, 0.95, 0.95, 0.90, 0.85, 0.82, 1.20, 1.05, 1.00, 0.90])
YEARLY_GROWTH = 0.25


def epoch_seconds(day: dt.date) -> int:
    """Seconds since 1970 at midnight UTC of `day`."""
    return int(dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC).timestamp())


def add_months(day: dt.date, months: int) -> dt.date:
    """The first day of the month `months` after (or before) the month of `day`."""
    index = day.year * 12 + day.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


@dataclass(frozen=True)
class Scenario:
    """The demo's data window, size and planted weaknesses."""

    start_date: dt.date
    end_date: dt.date
    months: int
    scale: Scale
    weaknesses: frozenset[str]
    #: Where planted weaknesses start to worsen (default: four months before the end).
    ramp_from: dt.date | None = None
    #: Weaknesses (and `volume`) planted in one group: name -> (dimension, code of the group).
    plant_in: Mapping[str, tuple[str, int]] = field(default_factory=dict)
    #: A step planted in one group with a shared seasonal drift (`metrics.demo.intervention`), or None.
    intervention: Intervention | None = None

    @property
    def start(self) -> int:
        return epoch_seconds(self.start_date)

    @property
    def end(self) -> int:
        return epoch_seconds(self.end_date)

    @property
    def ramp_start(self) -> int:
        """Where planted weaknesses start to worsen: `ramp_from`, or four months before the end."""
        return epoch_seconds(self.ramp_from or add_months(self.end_date, -4))

    def month_starts(self) -> list[dt.date]:
        """First day of each month in the window, plus the end."""
        return [add_months(self.start_date, offset) for offset in range(self.months + 1)]

    def planted_in(self, weakness: str, default: Bools, groups: Mapping[str, Ints]) -> Bools:
        """Where `weakness` sits: the group it was planted in (`groups` holds each record's codes per
        dimension), else `default`."""
        if weakness not in self.plant_in:
            return default
        dimension, code = self.plant_in[weakness]
        return np.asarray(groups[dimension] == code, dtype=np.bool_)

    def ramp(self, at: Ints) -> Floats:
        """0 before the ramp, rising linearly to 1 at the end (whatever is planted)."""
        progress = (at - self.ramp_start) / float(self.end - self.ramp_start)
        return np.clip(progress, 0.0, 1.0).astype(np.float64)

    def severity(self, weakness: str, at: Ints) -> Floats:
        """0 before the ramp (or when `weakness` is not planted), rising linearly to 1 at the end."""
        if weakness not in self.weaknesses:
            return np.zeros(len(at))
        progress = (at - self.ramp_start) / float(self.end - self.ramp_start)
        return np.clip(progress, 0.0, 1.0).astype(np.float64)


def seasonal_times(rng: np.random.Generator, scenario: Scenario, n: int) -> Ints:
    """`n` sorted moments in the window, busier on weekdays, in January and September, quiet at Christmas."""
    first_day = scenario.start // DAY
    days = np.arange(first_day, scenario.end // DAY, dtype=np.int64)
    dates = days.astype("datetime64[D]")
    month_of_year = dates.astype("datetime64[M]").astype(np.int64) % 12
    day_of_month = (dates - dates.astype("datetime64[M]").astype("datetime64[D]")).astype(np.int64) + 1
    weekday = (days + 3) % 7  # 1970-01-01 was a Thursday
    holidays = ((month_of_year == 11) & (day_of_month >= 22)) | ((month_of_year == 0) & (day_of_month == 1))
    weights = WEEKDAY_FACTORS[weekday] * MONTH_FACTORS[month_of_year] * np.where(holidays, 0.45, 1.0)
    weights *= (1.0 + YEARLY_GROWTH) ** ((days - first_day) / 365.25)
    per_day = rng.multinomial(n, weights / weights.sum()).astype(np.int64)
    if n and not per_day[0]:  # the window's first day always shows activity, so readers see where it starts
        per_day[np.argmax(per_day)] -= 1
        per_day[0] = 1
    day = np.repeat(days, per_day)
    # Most contacts come in office hours (around 13:00 UTC), some at any time.
    office = rng.random(n) < 0.88
    hour = np.where(office, 6.0 + 7.0 * (rng.random(n) + rng.random(n)), 24.0 * rng.random(n))
    return np.sort(day * DAY + (hour * HOUR).astype(np.int64))


def choose(rng: np.random.Generator, shares: Sequence[float], n: int) -> Ints:
    """`n` codes drawn with the given shares."""
    return pick_codes(rng.random(n), shares)


def pick_codes(u: Floats, shares: Sequence[float]) -> Ints:
    """Codes for uniform draws `u` by the given shares (inverse of the cumulative distribution)."""
    cumulative = np.cumsum(np.asarray(shares, dtype=np.float64))
    codes = np.searchsorted(cumulative / cumulative[-1], u, side="right")
    return np.minimum(codes, len(shares) - 1).astype(np.int64)


def poisson_shares(mean: float, top: int) -> list[float]:
    """Shares of 0..top for a Poisson count, the tail folded into `top`."""
    shares = [float(np.exp(-mean))]
    for k in range(1, top + 1):
        shares.append(shares[-1] * mean / k)
    shares[-1] += max(0.0, 1.0 - sum(shares))
    return shares


def loglogistic(u: Floats, median: Floats | float, shape: float, cap: float = 25.0) -> Floats:
    """Durations with the given median and a long right tail, capped at `cap` times the median."""
    u = np.clip(u, 1e-6, 1.0 - 1e-6)
    return (np.asarray(median, dtype=np.float64) * np.minimum((u / (1.0 - u)) ** (1.0 / shape), cap)).astype(
        np.float64
    )


def balanced_uniform(
    rng: np.random.Generator, order: Ints, groups: Ints | None = None, block: int = 10
) -> Floats:
    """Uniform draws that are evenly spread within every run of `block` records (by `order`, per group).

    Any few months of a small demo then see the intended rates instead of sampling noise, so a stable
    metric stays stable and a planted trend stands out.
    """
    n = len(order)
    group_keys = np.zeros(n, dtype=np.int64) if groups is None else groups
    by_order = np.lexsort((order, group_keys))
    sorted_groups = group_keys[by_order]
    new_group = np.ones(n, dtype=bool)
    new_group[1:] = sorted_groups[1:] != sorted_groups[:-1]
    group_start = np.maximum.accumulate(np.where(new_group, np.arange(n), 0))
    position = np.arange(n) - group_start
    block_id = np.cumsum(position % block == 0) - 1
    block_size = np.bincount(block_id)[block_id]
    block_start = np.arange(n) - position % block
    shuffled = np.lexsort((rng.random(n), block_id))
    rank = np.empty(n, dtype=np.int64)
    rank[shuffled] = np.arange(n) - block_start[shuffled]
    result = np.empty(n, dtype=np.float64)
    result[by_order] = (rank + rng.random(n)) / block_size
    return result


def expand(counts: Ints) -> tuple[Ints, Ints]:
    """For `counts[i]` rows of owner i: the owner of each row and the row's position within its owner."""
    owner = np.repeat(np.arange(len(counts), dtype=np.int64), counts)
    starts = np.cumsum(counts) - counts
    return owner, np.arange(len(owner), dtype=np.int64) - starts[owner]


def allocate(total: int, shares: Sequence[float], minimum: int) -> list[int]:
    """Split `total` by `shares`, giving each part at least `minimum`."""
    parts = [max(minimum, int(total * share)) for share in shares]
    by_share = sorted(range(len(shares)), key=lambda index: -shares[index])
    index = 0
    while sum(parts) < total:
        parts[by_share[index % len(parts)]] += 1
        index += 1
    return parts
