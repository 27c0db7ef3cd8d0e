"""The diagnosis page ("Why is this weak?"): the change, the largest contributions (rate and mix), since when,
what was tried before, and the practices, each with a form to propose it scoped to the segment."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from advisor.access import Permission, Principal
from advisor.models import DiagnosisReport
from metrics.models import Period, Segment
from prompts import format_number
from web.dependencies import AdvisorDep, TemplatesDep
from web.routes.scorecard_pages import month_label, period_label, value_text
from web.security import current_principal, require

router = APIRouter()

_VIEW = [Depends(require(Permission.VIEW_SCORECARD))]
ChangerDep = Annotated[Principal, Depends(require(Permission.CHANGE_RECOMMENDATIONS))]
#: Bars drawn in the chart (the table below it lists every segment).
CHART_SEGMENTS = 8
PeriodQuery = Annotated[str | None, Query(max_length=40, description="START..END, END excluded")]


@router.get("/scorecard/metrics/{metric_id}/why", response_class=HTMLResponse, dependencies=_VIEW)
def diagnosis_page(
    metric_id: str,
    request: Request,
    advisor: AdvisorDep,
    templates: TemplatesDep,
    period: PeriodQuery = None,
    baseline: PeriodQuery = None,
) -> Response:
    period_text, baseline_text = (period or "").strip(), (baseline or "").strip()
    report = advisor.diagnose(
        metric_id,
        period=Period.parse(period_text) if period_text else None,
        baseline=Period.parse(baseline_text) if baseline_text else None,
    )
    principal = current_principal(request)
    context: dict[str, Any] = {
        "report": report,
        "bars": chart_bars(report),
        "query": f"?{urlencode({'period': period_text})}" if period_text else "",
        "period_text": period_text,
        "can_propose": principal.can(Permission.CHANGE_RECOMMENDATIONS),
        "value_text": value_text,
        "contribution_text": contribution_text,
        "signed": signed,
        "plain": plain,
        "share_text": share_percent,
        "period_label": period_label,
        "month_label": month_label,
        "number": format_number,
        "chart_summary": chart_summary(report),
    }
    return templates.TemplateResponse(request, "diagnosis.html", context)


@router.post("/scorecard/metrics/{metric_id}/why/propose")
def propose(
    metric_id: str,
    advisor: AdvisorDep,
    principal: ChangerDep,
    practice_id: Annotated[str, Form(max_length=200)],
    scope_by: Annotated[str, Form(max_length=20)] = "",
    scope_value: Annotated[str, Form(max_length=200)] = "",
    period: Annotated[str, Form(max_length=40)] = "",
) -> Response:
    scope = {scope_by: scope_value} if scope_by and scope_value else None
    advisor.propose_from_diagnosis(
        metric_id,
        practice_id,
        scope=scope,
        period=Period.parse(period) if period.strip() else None,
        actor=principal.username,
    )
    return RedirectResponse("/recommendations", status_code=303)


def contribution_text(report: DiagnosisReport, value: float) -> str:
    """`+0.52 hand-offs per ticket`, `-17.3 pts` (percentages change by points)."""
    unit = report.contribution_unit
    return signed(value) + (" pts" if unit == "%" else f" {unit}")


def signed(value: float) -> str:
    """`+0.52`, `-17.3`, `0` (a change too small to show is no change, never `-0`)."""
    digits = 2 if abs(value) < 10 else 1
    if round(abs(value), digits) == 0:
        return "0"
    return f"{'+' if value > 0 else '-'}{format_number(abs(value), digits)}"


def plain(value: float | None) -> str:
    return "-" if value is None else format_number(value, 2)


def share_percent(value: float | None) -> str:
    return "-" if value is None else f"{round(100 * value)}%"


def chart_bars(report: DiagnosisReport) -> list[dict[str, Any]]:
    """The largest contributions as bars: widths in % of the largest, the rate and mix parts apart."""
    shown = report.segments[:CHART_SEGMENTS]
    largest = max((abs(s.rate_effect) + abs(s.mix_effect) for s in shown), default=0.0) or 1.0
    return [
        {
            "segment": segment,
            "label": f"{segment.by}: {segment.value}",
            "rate_width": round(100 * abs(segment.rate_effect) / largest, 1),
            "mix_width": round(100 * abs(segment.mix_effect) / largest, 1),
            "worse": _worse(report, segment),
        }
        for segment in shown
    ]


def _worse(report: DiagnosisReport, segment: Segment) -> bool:
    higher_is_worse = report.direction == "lower"
    return (segment.contribution > 0) == higher_is_worse


def chart_summary(report: DiagnosisReport) -> str:
    """The chart's text alternative: the largest contributions in words."""
    if not report.segments:
        return "No group contributions to show."
    parts = [
        f"{s.by} {s.value} {contribution_text(report, s.contribution)} ({s.effect})"
        for s in report.segments[:CHART_SEGMENTS]
    ]
    return "Largest contributions to the change: " + "; ".join(parts) + "."
