"""Status and 0-100 score of a metric against its target or baseline, and the category roll-up.

Bands (SCORECARD.md): 0-50 weak, 51-75 watch, 76-100 strong. A value at or better than its reference is
strong (76, rising to 100 once it is a whole tolerance better); up to one tolerance worse is watch (75 down
to 51); further away is weak (50 down to 0 at three tolerances).

A category's score is the mean of the scores of its outcome measures. Activity measures (K6 participation)
are coaching signals: they get a status from their own baseline, so a worsening shows, but they never move a
category's score, because a score on an activity is a target in disguise (KCS, Joslin). A composite (C1) is
left out too, as its components are already in the mean. Coverage counts every measure with data.
"""

from __future__ import annotations

from statistics import fmean
from typing import Literal

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


def category_status(score: float | None, has_values: bool) -> Status:
    """A category's status: from its score, else `no baseline` while its measures have values that cannot
    be judged yet, else `no data`."""
    if score is None and has_values:
        return "no baseline"
    return status_for_score(score)


def category_score(scores: list[float | None]) -> float | None:
    """Mean of the metric scores that exist (focus % is never a weight)."""
    present = [score for score in scores if score is not None]
    return round(fmean(present), 1) if present else None


def assess(
    value: float,
    *,
    direction: Direction,
    target: float | None,
    target_tolerance: float | None,
    baseline: float | None,
    baseline_relative: float,
    baseline_band: float | None = None,
    noise_band: float | None = None,
) -> tuple[Status, float, Literal["target", "baseline"]] | None:
    """Status, score and reference of a value: its sourced target first, else its own baseline, else None.

    KCS's 'positive trends, not absolutes': without a sourced target a metric is judged only against where
    the organisation itself started, with a watch band of `baseline_band` (absolute) or a share of the
    baseline's size, widened to `noise_band` (the change that chance alone could make) when that is wider.
    """
    if target is not None and target_tolerance is not None:
        status, score = score_against(value, target, target_tolerance, direction)
        return status, score, "target"
    if baseline is not None:
        tolerance = (
            baseline_band if baseline_band is not None else baseline_tolerance(baseline, baseline_relative)
        )
        tolerance = max(tolerance, noise_band or 0.0)
        status, score = score_against(value, baseline, tolerance, direction)
        return status, score, "baseline"
    return None


def category_note(left_out: list[tuple[str, str]]) -> str | None:
    """Says which measures a category score leaves out: `(metric id, reason)` pairs."""
    if not left_out:
        return None
    return "Not in the score: " + "; ".join(f"{metric_id} ({reason})" for metric_id, reason in left_out) + "."
