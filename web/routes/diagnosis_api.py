"""The diagnosis API: why a metric is weak, where, since when, and what was tried before (issue 11's JSON)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query

from advisor.access import Permission
from metrics.models import Period
from web.dependencies import AdvisorDep
from web.security import require

router = APIRouter()


@router.get("/api/diagnose/{metric_id}", dependencies=[Depends(require(Permission.VIEW_SCORECARD))])
def diagnose(
    metric_id: str,
    advisor: AdvisorDep,
    period: Annotated[str | None, Query(max_length=40, description="START..END, END excluded")] = None,
    baseline: Annotated[
        str | None, Query(max_length=40, description="START..END to compare with (default: the baseline)")
    ] = None,
) -> dict[str, Any]:
    report = advisor.diagnose(
        metric_id,
        period=Period.parse(period) if period else None,
        baseline=Period.parse(baseline) if baseline else None,
    )
    return report.model_dump(mode="json")
