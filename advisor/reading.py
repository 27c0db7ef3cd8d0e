"""How a reading of a question is shown to people ("hand-offs · Billing Desk · Jul–Sep 2026") and how their
correction of it (intent, metric, filter, period fields) becomes a reading again."""

from __future__ import annotations

from datetime import date, timedelta
from typing import get_args

from advisor.models import ChatIntent, DateRange, Understood
from metrics.definitions import METRICS_BY_ID
from metrics.models import Period

INTENT_LABELS: dict[str, str] = {
    "next_steps": "next steps",
    "diagnose": "why it moved",
    "breakdown": "breakdown",
    "trend": "trend",
    "compare": "comparison",
    "status": "figures",
    "definition": "definition",
    "what_worked": "what worked before",
    "how_to": "how to",
    "recommendations": "tracked recommendations",
    "clarify": "not sure yet",
}
INTENTS: tuple[str, ...] = get_args(ChatIntent)


def period_text(start: date, end: date) -> str:
    """ "Aug 2026", "Jul–Sep 2026", "2026", "Nov 2025–Jan 2026", else "2026-04-03 to 2026-05-09"."""
    if start.day == 1 and end.day == 1:
        last = end - timedelta(days=1)
        if start.month == 1 and end.month == 1 and end.year == start.year + 1:
            return str(start.year)
        if (start.year, start.month) == (last.year, last.month):
            return start.strftime("%b %Y")
        if start.year == last.year:
            return f"{start.strftime('%b')}–{last.strftime('%b %Y')}"
        return f"{start.strftime('%b %Y')}–{last.strftime('%b %Y')}"
    return f"{start.isoformat()} to {(end - timedelta(days=1)).isoformat()}"


def reading_label(understood: Understood) -> str:
    """The reading in a few words: intent, metrics, groups, "by" dimension, period and comparison."""
    parts = [INTENT_LABELS.get(understood.intent, understood.intent)]
    parts += [METRICS_BY_ID[m].name if m in METRICS_BY_ID else m for m in understood.metrics]
    parts += list(understood.filters.values())
    if understood.by:
        parts.append(f"by {understood.by}")
    if understood.period:
        parts.append(period_text(understood.period.start, understood.period.end))
    other = understood.compare_to or {}
    if {"start", "end"} <= set(other):
        parts.append(
            "against " + period_text(date.fromisoformat(other["start"]), date.fromisoformat(other["end"]))
        )
    elif other:
        parts.append("against " + ", ".join(other.values()))
    if understood.about_people:
        parts.append("about people")
    return " · ".join(parts)


def corrected_reading(
    *,
    intent: str,
    metric: str = "",
    filter_dimension: str = "",
    filter_value: str = "",
    by: str = "",
    period: str = "",
) -> Understood:
    """A reading from the correction form's fields (empty means "none"). Raises ValueError on a bad field."""
    if intent not in INTENTS:
        raise ValueError(f"intent must be one of {', '.join(INTENTS)}")
    metrics = [part.strip() for part in metric.split(",") if part.strip()]
    unknown = [m for m in metrics if m not in METRICS_BY_ID]
    if unknown:
        raise ValueError(f"unknown metric id {unknown[0]!r}")
    filters = (
        {filter_dimension.strip(): filter_value.strip()}
        if filter_dimension.strip() and filter_value.strip()
        else {}
    )
    span = Period.parse(period) if period.strip() else None
    return Understood(
        intent=intent,  # type: ignore[arg-type]
        metrics=metrics,
        filters=filters,
        by=by.strip() or None,
        period=DateRange(start=span.start, end=span.end) if span else None,
    )
