"""The scorecard pages: categories, metrics with their monthly trend charts, drill-down by group."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Annotated, Any, Literal, get_args
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, Response
from fastapi.templating import Jinja2Templates

from advisor.access import Permission
from advisor.ranking import LEADING_METRICS
from metrics.definitions import METRICS_BY_ID
from metrics.models import Dimension, MetricValue, Period, PeriodModel, Scorecard
from prompts import format_number
from web.dependencies import AdvisorDep, TemplatesDep
from web.security import require

router = APIRouter()

_VIEW = [Depends(require(Permission.VIEW_SCORECARD))]
DIMENSIONS: tuple[Dimension, ...] = get_args(Dimension)
_SCALE = re.compile(r"\d+-\d+")
#: Units whose changes are differences of points (percentages and scores), not of the unit itself.
_POINT_UNITS = frozenset({"%", "NPS points", "points (0-100)"})

PeriodQuery = Annotated[
    str | None,
    Query(max_length=40, description="START..END, END excluded (default: the latest representative months)"),
]
BaselineQuery = Annotated[
    str | None,
    Query(max_length=40, description="START..END to judge against (default: the first window of its length)"),
]
ByQuery = Annotated[
    str | None, Query(max_length=20, description="drill down by team, product, channel or segment")
]


@router.get("/scorecard", response_class=HTMLResponse, dependencies=_VIEW)
def scorecard_page(
    request: Request,
    advisor: AdvisorDep,
    templates: TemplatesDep,
    period: PeriodQuery = None,
    baseline: BaselineQuery = None,
    by: ByQuery = None,
) -> Response:
    wanted = (by or "").strip()
    if wanted and wanted not in DIMENSIONS:
        return _error_page(
            templates,
            request,
            f"The scorecard cannot be drilled down by {wanted!r}; choose one of {', '.join(DIMENSIONS)}.",
            422,
        )
    dimension = next((known for known in DIMENSIONS if known == wanted), None)
    period_text, baseline_text = (period or "").strip(), (baseline or "").strip()
    scorecard = advisor.scorecard(_parse(period_text), baseline=_parse(baseline_text), by=dimension)
    context = {
        **_helpers(scorecard, period_text, baseline_text),
        "by": dimension,
        "dimensions": DIMENSIONS,
        "trends": {metric.id: trend_data(metric, scorecard) for metric in scorecard.all_metrics()},
    }
    return templates.TemplateResponse(request, "scorecard.html", context)


@router.get("/scorecard/metrics/{metric_id}", response_class=HTMLResponse, dependencies=_VIEW)
def metric_page(
    metric_id: str,
    request: Request,
    advisor: AdvisorDep,
    templates: TemplatesDep,
    period: PeriodQuery = None,
    baseline: BaselineQuery = None,
) -> Response:
    definition = METRICS_BY_ID.get(metric_id)
    if definition is None:
        return _error_page(templates, request, f"There is no metric {metric_id!r} on the scorecard.", 404)
    period_text, baseline_text = (period or "").strip(), (baseline or "").strip()
    chosen, against = _parse(period_text), _parse(baseline_text)
    scorecard = advisor.scorecard(chosen, baseline=against)
    metric = scorecard.metric(metric_id)
    # Each drill-down is a cached scorecard of its own, so a second visit costs nothing.
    drilldowns = [
        (dimension, advisor.scorecard(chosen, baseline=against, by=dimension).metric(metric_id))
        for dimension in DIMENSIONS
    ]
    context = {
        **_helpers(scorecard, period_text, baseline_text),
        "metric": metric,
        "definition": definition,
        "category": next(category for category in scorecard.categories if category.id == metric.category),
        "leading": metric.id in LEADING_METRICS,
        "drilldowns": drilldowns,
        "trends": {metric.id: trend_data(metric, scorecard)},
    }
    return templates.TemplateResponse(request, "metric.html", context)


def _error_page(templates: Jinja2Templates, request: Request, message: str, status: int) -> Response:
    return templates.TemplateResponse(
        request, "error.html", {"message": message, "status": status}, status_code=status
    )


def _parse(text: str) -> Period | None:
    return Period.parse(text) if text else None


def _helpers(scorecard: Scorecard, period_text: str, baseline_text: str = "") -> dict[str, Any]:
    """What both pages show with: the scorecard, the query that keeps its period and baseline, and the
    formatters."""
    kept = {name: text for name, text in (("period", period_text), ("baseline", baseline_text)) if text}
    query = f"?{urlencode(kept)}" if kept else ""
    return {
        "scorecard": scorecard,
        "period_query": period_text,
        "baseline_query": baseline_text,
        "query": query,
        "number": format_number,
        "value_text": value_text,
        "metric_value_text": metric_value_text,
        "count_share": count_share,
        "status_word": status_word,
        "change_view": change_view,
        "compared_text": compared_text,
        "ask_url": ask_url,
        "period_label": period_label,
        "month_label": month_label,
        "trend_summary": trend_summary,
        "detail_label": detail_label,
        "needs_why": needs_why,
        "has_monthly_values": has_monthly_values,
    }


# -- formatting ----------------------------------------------------------------------------------------------
def value_text(value: float | None, unit: str) -> str:
    """A value with its unit as people read it: `70.4%`, `5.4 (1-7)`, `6.06 : 1`, `2.4 days`."""
    if value is None:
        return "no data"
    if unit == "ratio":
        return f"{format_number(value, 2)} : 1"
    number = format_number(value)
    if unit == "%":
        return f"{number}%"
    if _SCALE.fullmatch(unit):
        return f"{number} ({unit})"
    return f"{number} {unit}"


def metric_value_text(metric: MetricValue) -> str:
    """A metric's headline: its value, or why it has none (`no data`; `not yet` while it waits for a
    baseline)."""
    if metric.value is None and metric.status == "no baseline":
        return "not yet"
    return value_text(metric.value, metric.unit)


def count_share(metric: MetricValue) -> str | None:
    """Beside a count measure's mean per ticket: the share of tickets with at least one (`49% of tickets
    with at least one`)."""
    definition = METRICS_BY_ID.get(metric.id)
    if definition is None or definition.aggregation != "count" or not definition.share_above_zero:
        return None
    share = metric.details.get(definition.share_above_zero)
    return None if share is None else f"{format_number(share)}% of tickets with at least one"


def status_word(metric: MetricValue) -> str:
    """The status as shown: `weak, provisional` when judged against a fallback baseline."""
    return f"{metric.status}, provisional" if metric.provisional else metric.status


@dataclass(frozen=True)
class Change:
    """A change against an earlier window, and whether it is for the better (activity measures: neither)."""

    text: str
    tone: Literal["better", "worse", "same", "neutral"]
    word: str


def change_view(metric: MetricValue, change: float | None) -> Change | None:
    if change is None:
        return None
    if abs(change) < 0.005:
        return Change("0", "same", "no change")
    # Small changes keep a second decimal, so that a real change never reads as "0".
    digits = 2 if metric.unit == "ratio" or abs(change) < 1 else 1
    if metric.unit in _POINT_UNITS:
        suffix = " pts"
    elif metric.unit == "ratio" or _SCALE.fullmatch(metric.unit) or metric.unit.endswith(" per ticket"):
        # Counts per ticket keep the change short ("+0.47 worse"): the value beside it carries the unit.
        suffix = ""
    else:
        suffix = f" {metric.unit}"
    text = f"{'+' if change > 0 else '-'}{format_number(abs(change), digits)}{suffix}"
    if metric.kind == "activity":
        return Change(text, "neutral", "up" if change > 0 else "down")
    better = (change > 0) == (metric.direction == "higher")
    return Change(text, "better" if better else "worse", "better" if better else "worse")


def compared_text(metric: MetricValue) -> str:
    """What the status rests on: a sourced target, the baseline, or (activity measures) a coaching range."""
    definition = METRICS_BY_ID.get(metric.id)
    if metric.kind == "activity":
        if definition is not None and definition.coaching_range is not None:
            low, high = definition.coaching_range
            return f"no target; coaching range {format_number(low)}-{value_text(high, metric.unit)}"
        return "no target (activity measure)"
    if metric.compared_with == "target":
        return f"target {value_text(metric.target, metric.unit)}"
    if metric.compared_with == "baseline":
        return f"baseline {value_text(metric.baseline, metric.unit)}"
    return metric.note or "nothing to compare with yet"


def needs_why(metric: MetricValue) -> bool:
    """Outcome measures that are weak or on watch get a "why?" question; activity measures are not graded."""
    return metric.kind == "outcome" and metric.status in {"weak", "watch"}


def ask_url(metric: MetricValue) -> str:
    """The chat page asking why this metric is weak (or on watch)."""
    state = "weak" if metric.status == "weak" else "on watch"
    return "/?" + urlencode({"ask": f"Why is {metric.id} {metric.name} {state}?"})


def period_label(period: PeriodModel) -> str:
    """`1 Aug 2026 to 31 Oct 2026`: the last day included, as people say it."""
    last = period.end - timedelta(days=1)
    return f"{_day(period.start)} to {_day(last)}"


def _day(day: date) -> str:
    return f"{day.day} {day:%b %Y}"


def month_label(month: str) -> str:
    """`2026-08` as `Aug 2026`."""
    try:
        return f"{date.fromisoformat(month + '-01'):%b %Y}"
    except ValueError:
        return month


def detail_label(name: str) -> str:
    """A detail's key (`share_with_handoff_pct`) as words (`share with handoff %`)."""
    return re.sub(r"\bpct\b", "%", name.replace("_", " "))


# -- trends --------------------------------------------------------------------------------------------------
def trend_data(metric: MetricValue, scorecard: Scorecard) -> dict[str, Any]:
    """What scorecard.js draws: months, values, n, and the line the status is compared with."""
    reference: dict[str, Any] | None = None
    if metric.kind == "outcome" and metric.compared_with == "target" and metric.target is not None:
        reference = {"label": "Target", "value": metric.target}
    elif metric.kind == "outcome" and metric.compared_with == "baseline" and metric.baseline is not None:
        reference = {"label": "Baseline", "value": metric.baseline}
    return {
        "name": f"{metric.id} {metric.name}",
        "unit": metric.unit,
        "months": [point.month for point in metric.trend],
        "labels": [month_label(point.month) for point in metric.trend],
        "values": [point.value for point in metric.trend],
        "n": [point.n for point in metric.trend],
        "reference": reference,
        "periodFrom": f"{scorecard.period.start:%Y-%m}",
    }


def has_monthly_values(metric: MetricValue) -> bool:
    """Whether any month has a value to draw (months resting on too few records have none)."""
    return any(point.value is not None for point in metric.trend)


def trend_summary(metric: MetricValue) -> str:
    """The text alternative of a trend chart: its span, first and last values, lowest and highest."""
    points = [point for point in metric.trend if point.value is not None]
    if not points:
        return f"{metric.id} {metric.name}: no monthly values yet"
    values = [point.value for point in points if point.value is not None]
    first, last = points[0], points[-1]
    return (
        f"{metric.id} {metric.name} by month, {month_label(first.month)} to {month_label(last.month)}: "
        f"{value_text(first.value, metric.unit)} in {month_label(first.month)}, "
        f"{value_text(last.value, metric.unit)} in {month_label(last.month)}; "
        f"lowest {value_text(min(values), metric.unit)}, highest {value_text(max(values), metric.unit)}"
    )
