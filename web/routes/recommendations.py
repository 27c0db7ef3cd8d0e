"""The recommendations API: propose the next steps, list them, move them along their lifecycle."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from advisor.models import RecommendationStatus, TrackedRecommendation
from metrics.models import Period
from web.dependencies import AdvisorDep

router = APIRouter(prefix="/api/recommendations", tags=["recommendations"])


class ProposeRequest(BaseModel):
    period: str | None = Field(default=None, description="START..END, END excluded")
    actor: str = Field(default="web", min_length=1, max_length=200)


class TransitionRequest(BaseModel):
    to_status: RecommendationStatus
    actor: str = Field(min_length=1, max_length=200)
    reason: str | None = Field(default=None, max_length=2000)
    at: datetime | None = Field(default=None, description="when it happened (default: now)")


@router.get("")
def list_recommendations(
    advisor: AdvisorDep, status: Annotated[list[RecommendationStatus] | None, Query()] = None
) -> dict[str, Any]:
    found = advisor.recommendations.list(
        organisation=advisor.organisation(), statuses=frozenset(status) if status else None
    )
    return {"recommendations": [rec.model_dump(mode="json") for rec in found]}


@router.post("")
def propose(request: ProposeRequest, advisor: AdvisorDep) -> dict[str, Any]:
    stored = advisor.propose_next_steps(
        Period.parse(request.period) if request.period else None, actor=request.actor
    )
    return {"recommendations": [rec.model_dump(mode="json") for rec in stored]}


@router.get("/{recommendation_id}")
def get_recommendation(recommendation_id: str, advisor: AdvisorDep) -> TrackedRecommendation:
    return advisor.recommendations.get(recommendation_id)


@router.post("/{recommendation_id}/transition")
def transition(
    recommendation_id: str, request: TransitionRequest, advisor: AdvisorDep
) -> TrackedRecommendation:
    return advisor.move_recommendation(
        recommendation_id, request.to_status, actor=request.actor, reason=request.reason, at=request.at
    )
