"""The shift-share decomposition of a change in a weighted mean into each group's rate and mix effects.

Kitagawa, E. M. (1955), "Components of a Difference Between Two Rates", JASA 50(272), 1168-1194: for
`V = sum_g w_g r_g` (shares w, rates r) between windows 0 and 1,
`V1 - V0 = sum_g w̄_g Δr_g + sum_g (r̄_g - V̄) Δw_g`, exactly (bars: means of the two windows).
`metrics.diagnosis` applies it to every metric's groups.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

Figures = tuple[float, float | None]  # (weight, rate) of one group in one window


@dataclass(frozen=True)
class Part:
    """One group's rate and mix effects."""

    rate: float
    mix: float

    @property
    def total(self) -> float:
        return self.rate + self.mix


def shift_share(before: Mapping[str, Figures], now: Mapping[str, Figures]) -> dict[str, Part]:
    """Kitagawa's decomposition of `sum w r` between two windows, per group (see the module docstring).

    `before` and `now` map a group to its (weight, rate); weights need not be normalised (they are turned
    into shares here). A group missing from a window, or with weight 0 or no rate there, has a share of 0
    and takes its rate from the other window (so its whole effect is mix).
    """
    shares0, rates0 = shares(before)
    shares1, rates1 = shares(now)
    level0 = sum(shares0[g] * rates0[g] for g in shares0)
    level1 = sum(shares1[g] * rates1[g] for g in shares1)
    mean_level = (level0 + level1) / 2
    parts = {}
    for group in sorted(set(shares0) | set(shares1)):
        w0, w1 = shares0.get(group, 0.0), shares1.get(group, 0.0)
        r1 = rates1.get(group, rates0.get(group, 0.0))
        r0 = rates0.get(group, r1)
        parts[group] = Part(rate=(w0 + w1) / 2 * (r1 - r0), mix=((r0 + r1) / 2 - mean_level) * (w1 - w0))
    return parts


def shares(figures: Mapping[str, Figures]) -> tuple[dict[str, float], dict[str, float]]:
    """Each usable group's share of the total weight, and its rate (groups without weight or rate left out)."""
    usable = {g: (w, r) for g, (w, r) in figures.items() if w > 0 and r is not None}
    total = sum(w for w, _ in usable.values())
    if total <= 0:
        return {}, {}
    return {g: w / total for g, (w, _) in usable.items()}, {g: float(r) for g, (_, r) in usable.items()}
