"""The recommendations page: propose the next steps, move them along their lifecycle, see their outcomes."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from advisor.access import Permission, Principal
from advisor.errors import InvalidTransition
from advisor.models import RecommendationStatus
from advisor.outcomes import describe_outcome
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
