"""The JSON API: scorecard, next steps and search (chat is in `chat_api`)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query

from advisor.access import Permission
from advisor.chat import capture_url
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
    """Hits, one per solution: `duplicates` counts the other documents folded into a hit (copies and
    near-duplicates; `duplicate_ids` lists up to 50). `no_good_match` is true when no hit reaches the
    calibrated relevance floor (each hit's `match` is then "weak": possibly related), with `capture_url`
    to write the missing article. A long query (up to 4,000 characters) is searched by its key sentences."""
    hits = advisor.search(q, k)
    good = any(hit.match == "good" for hit in hits)
    return {
        "hits": [hit.model_dump(mode="json", exclude={"metadata", "snippet_markdown"}) for hit in hits],
        "no_good_match": not good,
        "capture_url": None if good else capture_url(q),
    }
