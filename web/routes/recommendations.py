"""The recommendations API: propose the next steps, list them, move them along their lifecycle."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, Field

from advisor.access import Permission, Principal
from advisor.models import RecommendationStatus, TrackedRecommendation
from metrics.models import Period
from web.dependencies import AdvisorDep
from web.security import require

router = APIRouter(prefix="/api/recommendations", tags=["recommendations"])


class ProposeRequest(BaseModel):
    period: str | None = Field(default=None, description="START..END, END excluded")


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
    stored = advisor.propose_next_steps(
        Period.parse(request.period) if request.period else None, actor=principal.username
    )
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
