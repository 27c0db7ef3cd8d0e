"""The JSON API: health, scorecard, next steps, search and chat."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, Field

from advisor.access import Permission
from advisor.models import ChatAnswer
from metrics.models import Dimension, Period
from web.dependencies import AdvisorDep
from web.security import require

router = APIRouter()


class ChatRequest(BaseModel):
    message: str = Field(max_length=20_000)
    conversation_id: str | None = Field(default=None, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")


@router.get("/healthz")
def healthz(advisor: AdvisorDep) -> dict[str, Any]:
    return {"status": "ok", "practices": len(advisor.practices), "index_empty": advisor.index.is_empty()}


@router.get("/api/scorecard", dependencies=[Depends(require(Permission.VIEW_SCORECARD))])
def scorecard(
    advisor: AdvisorDep,
    period: Annotated[str | None, Query(description="START..END, END excluded")] = None,
    by: Annotated[
        Dimension | None,
        Query(description="drill down by team, product, channel or segment; small groups are suppressed"),
    ] = None,
) -> dict[str, Any]:
    return advisor.scorecard(Period.parse(period) if period else None, by=by).model_dump(mode="json")


@router.get("/api/next-steps", dependencies=[Depends(require(Permission.VIEW_RECOMMENDATIONS))])
def next_steps(
    advisor: AdvisorDep,
    period: Annotated[str | None, Query(description="START..END, END excluded")] = None,
) -> dict[str, Any]:
    recommendations = advisor.next_steps(Period.parse(period) if period else None)
    return {"recommendations": [rec.model_dump(mode="json") for rec in recommendations]}


@router.get("/api/search", dependencies=[Depends(require(Permission.SEARCH))])
def search(
    advisor: AdvisorDep,
    q: Annotated[str, Query(max_length=10_000)],
    k: Annotated[int, Query(ge=1, le=50)] = 5,
) -> dict[str, Any]:
    return {"hits": [hit.model_dump(mode="json", exclude={"metadata"}) for hit in advisor.search(q, k)]}


@router.post("/api/chat", dependencies=[Depends(require(Permission.CHAT))])
def chat(request: ChatRequest, advisor: AdvisorDep) -> ChatAnswer:
    return advisor.chat(request.message, request.conversation_id)
