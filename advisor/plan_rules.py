"""What a step's plan may be: its checklist from the practice's steps, its scope key, and the review date,
which is aligned with the day the outcome measurement (advisor.outcome_measuring) can first judge it."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date, timedelta

from advisor.models import MetricOutcome, StatusChange

_NUMBERED = re.compile(r"^\s*(?:\d+[.)]|[-*])\s+(?P<text>.+)$")
#: The longest task kept (a practice's step is a sentence or two).
MAX_TASK_CHARS = 1000


def checklist_items(steps: str) -> list[str]:
    """The tasks of a practice's "Steps" (a numbered or bulleted list; lines that continue an item join it;
    without a list, one task per line)."""
    items: list[str] = []
    listed = False
    for line in steps.splitlines():
        if not line.strip():
            continue
        found = _NUMBERED.match(line)
        if found:
            items.append(found.group("text").strip())
            listed = True
        elif listed and items:
            items[-1] = f"{items[-1]} {line.strip()}"
        else:
            items.append(line.strip())
    return [item[:MAX_TASK_CHARS] for item in items]


def scope_key(scope: dict[str, str] | None) -> str:
    """ "" for the whole organisation, else "team=Billing Desk": one open step per practice and scope."""
    return ";".join(f"{dimension}={group}" for dimension, group in sorted((scope or {}).items()))


def parse_scope_key(key: str) -> dict[str, str] | None:
    """The scope a key names (the inverse of `scope_key`); "" is the whole organisation."""
    if not key.strip():
        return None
    scope = {}
    for part in key.split(";"):
        dimension, separator, group = part.partition("=")
        if not separator or not dimension.strip() or not group.strip():
            raise ValueError(f"{key!r} is not a scope like team=Billing Desk")
        scope[dimension.strip()] = group.strip()
    return scope


def min_weeks_after_start() -> int:
    """Whole weeks of data after a step starts before its outcome can be judged (outcome_measuring's rule;
    imported when needed: it loads numpy)."""
    from advisor.outcome_measuring import MIN_WEEKS

    return MIN_WEEKS


def started_on(history: Sequence[StatusChange], status: str = "in_progress") -> date | None:
    return next((change.at.date() for change in history if change.to_status == status), None)


def earliest_review(history: Sequence[StatusChange], due: date | None) -> date:
    """The first day a step's outcome can be judged: `MIN_WEEKS` weeks after it started (before it starts,
    after its last change: the soonest it could start), and not before it ends (its due date while it runs,
    the day it was done once done), since it is judged over the weeks it ran."""
    started = started_on(history)
    last = max((change.at.date() for change in history), default=date.min)
    start = started or last
    end = started_on(history, "done") or due or start
    return max(start + timedelta(weeks=min_weeks_after_start()), end)


def review_day(
    history: Sequence[StatusChange],
    due: date | None,
    chosen: date | None,
    outcomes: Sequence[MetricOutcome] = (),
) -> date:
    """The day the outcome is measurable from: the chosen review date, never before the earliest the data
    allows, nor before the day a "too early to tell" outcome named."""
    later = [o.measurable_from for o in outcomes if o.verdict == "too_early" and o.measurable_from]
    return max([earliest_review(history, due), *([chosen] if chosen else []), *later])
