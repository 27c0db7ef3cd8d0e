"""The recommendations API: propose the chosen next steps, list them, move them along their lifecycle, and
change their plans (owner, due and review dates, checklist, comments)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, Field

from advisor.access import Permission, Principal
from advisor.models import ChosenStep, RecommendationStatus, TrackedRecommendation
from metrics.models import Period
from web.dependencies import AdvisorDep
from web.security import require

router = APIRouter(prefix="/api/recommendations", tags=["recommendations"])


class ProposeRequest(BaseModel):
    period: str | None = Field(default=None, description="START..END, END excluded")
    steps: list[ChosenStep] | None = Field(
        default=None,
        description='the steps to propose, each {practice_id, scope} (scope e.g. {"team": "Billing Desk"} '
        "or null for everyone); without it, all current next steps as ranked",
    )


class PlanRequest(BaseModel):
    """The plan fields to change; a field left out stays as it is, null clears it."""

    owner: str | None = Field(default=None, max_length=200)
    due: date | None = None
    review_on: date | None = None


class TickRequest(BaseModel):
    done: bool = True


class CommentRequest(BaseModel):
    text: str = Field(max_length=4000)


class TransitionRequest(BaseModel):
    to_status: RecommendationStatus
    reason: str | None = Field(default=None, max_length=2000)
    at: datetime | None = Field(default=None, description="when it happened (default: now)")


_VIEW = [Depends(require(Permission.VIEW_RECOMMENDATIONS))]
ChangerDep = Annotated[Principal, Depends(require(Permission.CHANGE_RECOMMENDATIONS))]


@router.get("", dependencies=_VIEW)
def list_recommendations(
    advisor: AdvisorDep, status: Annotated[list[RecommendationStatus] | None, Query()] = None
) -> dict[str, Any]:
    found = advisor.recommendations.list(
        organisation=advisor.organisation(), statuses=frozenset(status) if status else None
    )
    return {"recommendations": [rec.model_dump(mode="json") for rec in found]}


@router.post("")
def propose(request: ProposeRequest, advisor: AdvisorDep, principal: ChangerDep) -> dict[str, Any]:
    """Store the current next steps as proposals, made by the signed-in person."""
    period = Period.parse(request.period) if request.period else None
    if request.steps is not None:
        stored = advisor.propose_steps(request.steps, period, actor=principal.username)
    else:
        stored = advisor.propose_next_steps(period, actor=principal.username)
    return {"recommendations": [rec.model_dump(mode="json") for rec in stored]}


@router.get("/{recommendation_id}", dependencies=_VIEW)
def get_recommendation(recommendation_id: str, advisor: AdvisorDep) -> TrackedRecommendation:
    return advisor.recommendations.get(recommendation_id)


@router.post("/{recommendation_id}/transition")
def transition(
    recommendation_id: str, request: TransitionRequest, advisor: AdvisorDep, principal: ChangerDep
) -> TrackedRecommendation:
    return advisor.move_recommendation(
        recommendation_id, request.to_status, actor=principal.username, reason=request.reason, at=request.at
    )


@router.patch("/{recommendation_id}/plan")
def change_plan(
    recommendation_id: str, request: PlanRequest, advisor: AdvisorDep, principal: ChangerDep
) -> TrackedRecommendation:
    """Set the owner, due date and review date given (each change is kept with who and when)."""
    rec = advisor.recommendations.get(recommendation_id)
    given = request.model_fields_set
    if "owner" in given:
        rec = advisor.plans.assign(recommendation_id, request.owner, actor=principal.username)
    if "due" in given:
        rec = advisor.plans.set_due(recommendation_id, request.due, actor=principal.username)
    if "review_on" in given:
        rec = advisor.plans.set_review(recommendation_id, request.review_on, actor=principal.username)
    return rec


@router.post("/{recommendation_id}/checklist/{item_id}")
def tick(
    recommendation_id: str, item_id: int, request: TickRequest, advisor: AdvisorDep, principal: ChangerDep
) -> TrackedRecommendation:
    return advisor.plans.tick(recommendation_id, item_id, request.done, actor=principal.username)


@router.post("/{recommendation_id}/comments")
def comment(
    recommendation_id: str, request: CommentRequest, advisor: AdvisorDep, principal: ChangerDep
) -> TrackedRecommendation:
    return advisor.plans.comment(recommendation_id, request.text, actor=principal.username)
