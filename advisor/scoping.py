"""Scoping next steps to the segment that drives a weakness, from the metric's diagnosis.

A step aimed at the place the problem lives beats one spread over everyone: when one group (a team, product,
channel or segment) holds a large part of a weak metric's change, the step starts there, and its "why" says
so, citing the diagnosis.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from advisor.models import Recommendation
from metrics.diagnosis import OTHER
from metrics.models import Diagnosis, Segment

#: The share of a change one segment must hold before a step is scoped to it.
MIN_SCOPE_SHARE = 0.3
#: How many times its share of the work a segment's share of the change must be: a group that holds 60 % of
#: the tickets and 60 % of the change (the "normal" priority, the biggest segment) only mirrors the whole.
MIN_CONCENTRATION = 1.5
#: Statuses whose metrics are worth a diagnosis when scoping.
SCOPED_STATUSES = frozenset({"weak", "watch"})

Diagnose = Callable[[str], Diagnosis | None]


def driving_segment(diagnosis: Diagnosis) -> Segment | None:
    """The group where the change lives: the largest contributor that holds at least `MIN_SCOPE_SHARE` of
    the change and at least `MIN_CONCENTRATION` times its share of the work (never "other", which pools
    small groups). None when the change is spread in proportion to the work."""
    if not diagnosis.change:
        return None
    for segment in diagnosis.segments:
        share = segment.share_of_change
        if share is None or share < MIN_SCOPE_SHARE:
            return None  # sorted by contribution: no later segment holds more
        work = max(segment.share_now, segment.share_before)
        if segment.value != OTHER and share >= MIN_CONCENTRATION * work:
            return segment
    return None


def segment_name(segment: Segment) -> str:
    """`the Billing Desk team`, `the Payroll product`, `the chat channel`, `the smb segment`."""
    return f"the {segment.value} {segment.by}"


def change_word(diagnosis: Diagnosis) -> str:
    """`rise` or `fall`: how the metric moved."""
    return "rise" if (diagnosis.change or 0) > 0 else "fall"


def share_text(segment: Segment) -> str:
    """`70 %` of the change; a segment can hold more than all of it when other groups moved the other way."""
    share = segment.share_of_change or 0.0
    if share > 1.0:
        return "more than all"
    return f"{round(100 * share)} %"


def scope_sentence(diagnosis: Diagnosis, segment: Segment) -> str:
    """'Start with the Billing Desk team: it holds 70 % of the rise in C6 against the baseline (its own rate
    worsened; off its usual band since 2026-08).'"""
    against = diagnosis.compared_with.kind if diagnosis.compared_with else "reference"
    how = "its own rate worsened" if segment.effect == "rate" else "more of the work moved to it"
    since = f"; off its usual band since {diagnosis.since}" if diagnosis.since else ""
    return (
        f"Start with {segment_name(segment)}: it holds {share_text(segment)} of the {change_word(diagnosis)} "
        f"in {diagnosis.metric} against the {against} ({how}{since})."
    )


def first_weak_target(recommendation: Recommendation, statuses: Mapping[str, str]) -> str | None:
    """The metric a step is scoped by: its first target that is weak or on watch."""
    return next(
        (metric for metric in recommendation.targets if statuses.get(metric) in SCOPED_STATUSES), None
    )


def scope_next_steps(
    recommendations: Sequence[Recommendation], diagnose: Diagnose, statuses: Mapping[str, str]
) -> list[Recommendation]:
    """Each recommendation scoped to the segment driving its first weak (or watch) target, when one does.

    `statuses` maps metric ids to their status; `diagnose` returns a metric's diagnosis (or None). The
    ranking itself is left as it is: scoping says where to start, not what to do.
    """
    scoped = []
    for recommendation in recommendations:
        target = first_weak_target(recommendation, statuses)
        diagnosis = diagnose(target) if target else None
        segment = driving_segment(diagnosis) if diagnosis else None
        if diagnosis is None or segment is None:
            scoped.append(recommendation)
            continue
        scoped.append(
            recommendation.model_copy(
                update={
                    "scope": {segment.by: segment.value},
                    "scope_share": round(min(segment.share_of_change or 0.0, 1.0), 4),
                    "why": f"{scope_sentence(diagnosis, segment)} {recommendation.why}",
                    "sources": [*recommendation.sources, f"diagnosis:{diagnosis.metric}"],
                }
            )
        )
    return scoped
