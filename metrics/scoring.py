"""Status and 0-100 score of a metric against its target or baseline, and the category roll-up.

Bands (SCORECARD.md): 0-50 weak, 51-75 watch, 76-100 strong. A value at or better than its reference is
strong (76, rising to 100 once it is a whole tolerance better); up to one tolerance worse is watch (75 down
to 51); further away is weak (50 down to 0 at three tolerances).
"""

from __future__ import annotations

from statistics import fmean

from metrics.models import Direction, Status


def score_against(
    value: float, reference: float, tolerance: float, direction: Direction
) -> tuple[Status, float]:
    """Status and score of `value` compared with `reference` (a target or a baseline)."""
    if tolerance <= 0:
        raise ValueError("tolerance must be positive")
    shortfall = (value - reference) if direction == "lower" else (reference - value)
    gap = shortfall / tolerance
    if gap <= 0:
        return "strong", round(76 + 24 * min(1.0, -gap), 1)
    if gap <= 1:
        return "watch", round(75 - 24 * gap, 1)
    return "weak", round(max(0.0, 50 - 25 * (gap - 1)), 1)


def baseline_tolerance(baseline: float, relative: float) -> float:
    """The watch band around a baseline: a share of its size, never zero (a baseline of 0 hand-offs)."""
    return max(abs(baseline) * relative, 1e-9 if baseline else relative)


def status_for_score(score: float | None) -> Status:
    if score is None:
        return "no data"
    if score > 75:
        return "strong"
    if score > 50:
        return "watch"
    return "weak"


def category_score(scores: list[float | None]) -> float | None:
    """Mean of the metric scores that exist (focus % is never a weight)."""
    present = [score for score in scores if score is not None]
    return round(fmean(present), 1) if present else None
