"""The JSON API: health, scorecard, next steps and search (chat is in `chat_api`)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query

from advisor.access import Permission
from metrics.models import Dimension, Period
from web.dependencies import AdvisorDep
from web.security import require

router = APIRouter()

PeriodParam = Annotated[
    str | None,
    Query(max_length=40, description="START..END, END excluded (default: the latest representative months)"),
]
BaselineParam = Annotated[
    str | None,
    Query(max_length=40, description="START..END to judge against (default: the first window of its length)"),
]


def _period(text: str | None) -> Period | None:
    return Period.parse(text) if text and text.strip() else None


@router.get("/healthz")
def healthz(advisor: AdvisorDep) -> dict[str, Any]:
    return {"status": "ok", "practices": len(advisor.practices), "index_empty": advisor.index.is_empty()}


@router.get("/api/scorecard", dependencies=[Depends(require(Permission.VIEW_SCORECARD))])
def scorecard(
    advisor: AdvisorDep,
    period: PeriodParam = None,
    baseline: BaselineParam = None,
    by: Annotated[
        Dimension | None,
        Query(description="drill down by team, product, channel or segment; small groups are suppressed"),
    ] = None,
) -> dict[str, Any]:
    return advisor.scorecard(_period(period), baseline=_period(baseline), by=by).model_dump(mode="json")


@router.get("/api/next-steps", dependencies=[Depends(require(Permission.VIEW_RECOMMENDATIONS))])
def next_steps(
    advisor: AdvisorDep,
    period: PeriodParam = None,
    baseline: BaselineParam = None,
) -> dict[str, Any]:
    recommendations = advisor.next_steps(_period(period), baseline=_period(baseline))
    gaps = advisor.measure_next(_period(period), baseline=_period(baseline))
    return {
        "recommendations": [rec.model_dump(mode="json") for rec in recommendations],
        "measure_next": [gap.model_dump(mode="json") for gap in gaps],
    }


@router.get("/api/search", dependencies=[Depends(require(Permission.SEARCH))])
def search(
    advisor: AdvisorDep,
    q: Annotated[str, Query(max_length=10_000)],
    k: Annotated[int, Query(ge=1, le=50)] = 5,
) -> dict[str, Any]:
    return {"hits": [hit.model_dump(mode="json", exclude={"metadata"}) for hit in advisor.search(q, k)]}
