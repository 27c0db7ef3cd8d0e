"""The recommendations pages: propose the next steps, move them along their lifecycle, and see each one's
outcome (verdict, interval, and a chart of the group against its comparison, week by week)."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from advisor.access import Permission, Principal
from advisor.errors import InvalidTransition
from advisor.models import MetricOutcome, RecommendationStatus, TrackedRecommendation
from advisor.outcomes import describe_outcome, verdict_words
from advisor.recommendation_store import OPEN_STATUSES
from web.dependencies import AdvisorDep, TemplatesDep
from web.security import require

router = APIRouter()

ChangerDep = Annotated[Principal, Depends(require(Permission.CHANGE_RECOMMENDATIONS))]
GROUPS = (
    ("proposed", "Proposed"),
    ("accepted", "Accepted"),
    ("in_progress", "In progress"),
    ("done", "Done"),
    ("dismissed", "Dismissed"),
)
FORWARD: dict[str, list[tuple[str, str]]] = {
    "proposed": [("accepted", "Accept")],
    "accepted": [("in_progress", "Start")],
    "in_progress": [("done", "Mark done")],
    "done": [],
    "dismissed": [],
}


def outcome_chart(recommendation: TrackedRecommendation, outcome: MetricOutcome) -> dict[str, object]:
    """What the chart of one outcome draws (static/outcome_chart.js): the weeks, the scoped group (or the
    organisation) and its comparison, and the weeks the step started and ended in."""
    weeks = [point.week for point in outcome.series]

    def week_of(day: date | None) -> str | None:
        """The chart's week holding `day`."""
        found = [week for week in weeks if day is not None and week <= day]
        return found[-1].isoformat() if found else None

    if outcome.scope:
        (dimension, group), *_ = outcome.scope.items()
        together = f"other {dimension}s together ({len(outcome.comparison)})"
        label, compared = group, outcome.comparison[0] if len(outcome.comparison) == 1 else together
    else:
        label, compared = "Organisation", "what its history predicted"
    if outcome.method == "interrupted_time_series" and outcome.scope:
        compared = "what its history predicted"
    return {
        "id": f"{recommendation.id}-{outcome.metric_id}",
        "name": f"{outcome.metric_id} {outcome.name}",
        "unit": outcome.unit,
        "labels": [week.isoformat() for week in weeks],
        "group": [point.group for point in outcome.series],
        "comparison": [point.comparison for point in outcome.series],
        "groupLabel": label,
        "comparisonLabel": compared,
        "start": week_of(outcome.step_start),
        "end": week_of(outcome.step_end) if outcome.step_end else None,
    }


def outcome_charts(recommendations: list[TrackedRecommendation]) -> dict[str, dict[str, object]]:
    charts = {}
    for rec in recommendations:
        for outcome in rec.outcomes:
            if outcome.series:
                chart = outcome_chart(rec, outcome)
                charts[str(chart["id"])] = chart
    return charts


def _page(
    request: Request, advisor: AdvisorDep, templates: TemplatesDep, error: str | None = None
) -> Response:
    tracked = advisor.recommendations.list(organisation=advisor.organisation())
    open_by_practice = {rec.practice_id: rec for rec in tracked if rec.status in OPEN_STATUSES}
    ranked = advisor.next_steps(limit=5)
    context = {
        "organisation": advisor.organisation(),
        "ranked": ranked,
        "measure_next": advisor.measure_next(),
        # The public sources a practice rests on (its own id and the metrics are linked separately).
        "web_sources": {
            rec.practice_id: [s for s in rec.sources if s.startswith(("https://", "http://"))]
            for rec in ranked
        },
        "open_by_practice": open_by_practice,
        "recommendations": tracked,
        "groups": GROUPS,
        "transitions": FORWARD,
        "describe_outcome": describe_outcome,
        "verdict_words": verdict_words,
        "charts": outcome_charts(tracked),
        "error": error,
    }
    return templates.TemplateResponse(
        request, "recommendations.html", context, status_code=409 if error else 200
    )


@router.get(
    "/recommendations",
    response_class=HTMLResponse,
    dependencies=[Depends(require(Permission.VIEW_RECOMMENDATIONS))],
)
def recommendations_page(request: Request, advisor: AdvisorDep, templates: TemplatesDep) -> Response:
    return _page(request, advisor, templates)


@router.get(
    "/recommendations/{recommendation_id}",
    response_class=HTMLResponse,
    dependencies=[Depends(require(Permission.VIEW_RECOMMENDATIONS))],
)
def recommendation_page(
    recommendation_id: str, request: Request, advisor: AdvisorDep, templates: TemplatesDep
) -> Response:
    """One recommendation: what it asked, where it stands, and its measured outcome with the chart."""
    rec = advisor.recommendations.get(recommendation_id)
    context = {
        "rec": rec,
        "describe_outcome": describe_outcome,
        "verdict_words": verdict_words,
        "charts": outcome_charts([rec]),
        "transitions": FORWARD,
    }
    return templates.TemplateResponse(request, "recommendation.html", context)


@router.post("/recommendations/propose")
def propose(advisor: AdvisorDep, principal: ChangerDep) -> Response:
    advisor.propose_next_steps(actor=principal.username)
    return RedirectResponse("/recommendations", status_code=303)


@router.post("/recommendations/{recommendation_id}/transition")
def transition(
    recommendation_id: str,
    request: Request,
    advisor: AdvisorDep,
    templates: TemplatesDep,
    principal: ChangerDep,
    to_status: Annotated[RecommendationStatus, Form()],
    reason: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    try:
        advisor.move_recommendation(
            recommendation_id, to_status, actor=principal.username, reason=reason or None
        )
    except InvalidTransition as error:
        return _page(request, advisor, templates, error=str(error))
    return RedirectResponse(f"/recommendations#rec-{recommendation_id}", status_code=303)
