"""A step planted in the demo, so an outcome estimate can be checked against a known effect.

From `start`, one group's hand-offs per ticket (C6) change by `effect` (negative: fewer, better), while
every ticket of the organisation drifts with the seasons by up to `drift` hand-offs per ticket (most in
mid-January, least in mid-July): a before/after comparison of the group alone would credit the step with
the drift; a comparison with the other groups must not. Both are extra hand-offs drawn from a Poisson
distribution, so an improvement of 0.3 means the group carried 0.3 extra hand-offs per ticket before the
start and none after.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from metrics.demo.catalog import PLANT_DIMENSIONS
from metrics.demo.sampling import DAY, Floats, Ints, epoch_seconds

#: The seasonal drift peaks on this day of every year (and is lowest half a year later).
DRIFT_PEAK = dt.date(2000, 1, 15)
YEAR_DAYS = 365.25


@dataclass(frozen=True)
class Intervention:
    """From `start`, the tickets of `group` (a team, product, channel, priority or segment, by
    `dimension`) change their hand-offs per ticket by `effect`; all tickets drift by up to `drift`."""

    dimension: str
    group: str
    start: dt.date
    effect: float = 0.0
    drift: float = 0.0

    def __post_init__(self) -> None:
        names = PLANT_DIMENSIONS.get(self.dimension)
        if names is None:
            raise ValueError(
                f"an intervention cannot be planted by {self.dimension!r}; "
                f"choose one of {', '.join(PLANT_DIMENSIONS)}"
            )
        if self.group not in names:
            raise ValueError(
                f"the demo has no {self.dimension} {self.group!r}; its {self.dimension}s: {', '.join(names)}"
            )
        if self.drift < 0:
            raise ValueError(f"drift is an amplitude and cannot be negative, not {self.drift}")

    @property
    def code(self) -> int:
        return PLANT_DIMENSIONS[self.dimension].index(self.group)

    def to_json(self) -> dict[str, object]:
        return {
            "dimension": self.dimension,
            "group": self.group,
            "start": self.start.isoformat(),
            "effect": self.effect,
            "drift": self.drift,
        }


def seasonal_drift(created: Ints, amplitude: float) -> Floats:
    """Extra hand-offs per ticket of the whole organisation at each moment: `amplitude` in mid-January,
    0 in mid-July."""
    days = (created - epoch_seconds(DRIFT_PEAK)) / DAY
    return (amplitude * (1.0 + np.cos(2.0 * math.pi * days / YEAR_DAYS)) / 2.0).astype(np.float64)


def intervention_handoffs(
    rng: np.random.Generator, intervention: Intervention, created: Ints, groups: Mapping[str, Ints]
) -> Ints:
    """Extra hand-offs per ticket (by creation time): the shared drift plus the group's planted change."""
    treated = groups[intervention.dimension] == intervention.code
    after = created >= epoch_seconds(intervention.start)
    rate = seasonal_drift(created, intervention.drift)
    rate += treated * np.where(after, max(intervention.effect, 0.0), max(-intervention.effect, 0.0))
    return rng.poisson(rate).astype(np.int64)
