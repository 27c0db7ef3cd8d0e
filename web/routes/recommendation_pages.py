"""The recommendations pages: propose the chosen next steps (each for everyone or one group), move them along
their lifecycle, run each one's plan (owner, due and review dates, checklist, comments), and see its outcome
(verdict, interval, and a chart of the group against its comparison, week by week)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from advisor.access import Permission, Principal
from advisor.errors import InvalidTransition
from advisor.models import ChosenStep, MetricOutcome, RecommendationStatus, TrackedRecommendation
from advisor.outcomes import describe_outcome, verdict_words
from advisor.plan_rules import parse_scope_key
from advisor.programme import programme_for
from advisor.recommendation_store import OPEN_STATUSES
from web.dependencies import AdvisorDep, TemplatesDep
from web.security import UsersDep, current_principal, require

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
        "propose_options": advisor.propose_options(steps=ranked),
        "today": datetime.now(UTC).date(),
        # the programme view (advisor/programme.py): steps by state, overdue, timelines of the targets
        "programme": programme_for(advisor),
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
    recommendation_id: str,
    request: Request,
    advisor: AdvisorDep,
    templates: TemplatesDep,
    users: UsersDep,
    error: str | None = None,
) -> Response:
    """One recommendation: what it asked, its plan, where it stands, and its measured outcome with the chart."""
    rec = advisor.recommendations.get(recommendation_id)
    principal = current_principal(request)
    owners = [user.username for user in users.list_users() if not user.disabled]
    if rec.owner and rec.owner not in owners:
        owners.append(rec.owner)
    context = {
        "rec": rec,
        "describe_outcome": describe_outcome,
        "verdict_words": verdict_words,
        "charts": outcome_charts([rec]),
        "transitions": FORWARD,
        "may_change": principal.can(Permission.CHANGE_RECOMMENDATIONS),
        "is_open": rec.status in OPEN_STATUSES,
        "owners": owners,
        "today": datetime.now(UTC).date(),
        "error": error,
    }
    return templates.TemplateResponse(
        request, "recommendation.html", context, status_code=409 if error else 200
    )


@router.post("/recommendations/propose")
def propose(
    request: Request,
    advisor: AdvisorDep,
    templates: TemplatesDep,
    principal: ChangerDep,
    practice_id: Annotated[list[str] | None, Form(max_length=200)] = None,
    scope: Annotated[list[str] | None, Form(max_length=700)] = None,
    chosen: Annotated[str, Form(max_length=1)] = "",
    everything: Annotated[str, Form(alias="all", max_length=1)] = "",
) -> Response:
    """The ticked steps (`practice_id`, repeated), each where its `scope` ("<practice_id>|team=Billing Desk",
    "<practice_id>|" for everyone) says; `all` (or a form without `chosen`, from before plans) proposes all
    the current next steps, each where the ranking suggests."""
    if everything or not chosen:
        advisor.propose_next_steps(actor=principal.username)
        return RedirectResponse("/recommendations", status_code=303)
    if not practice_id:
        return _page(request, advisor, templates, error="Choose at least one step to propose.")
    scopes = dict(value.partition("|")[::2] for value in scope or [])
    try:
        steps = [
            ChosenStep(practice_id=pid, scope=parse_scope_key(scopes.get(pid, ""))) for pid in practice_id
        ]
    except ValueError as error:
        return _page(request, advisor, templates, error=str(error))
    advisor.propose_steps(steps, actor=principal.username)
    return RedirectResponse("/recommendations#tracked", status_code=303)


@router.post("/recommendations/{recommendation_id}/transition")
def transition(
    recommendation_id: str,
    request: Request,
    advisor: AdvisorDep,
    templates: TemplatesDep,
    users: UsersDep,
    principal: ChangerDep,
    to_status: Annotated[RecommendationStatus, Form()],
    reason: Annotated[str, Form(max_length=2000)] = "",
    back: Annotated[str, Form(max_length=10)] = "",
) -> Response:
    """One lifecycle step; `back=detail` returns to the recommendation's own page (else the list)."""
    try:
        advisor.move_recommendation(
            recommendation_id, to_status, actor=principal.username, reason=reason or None
        )
    except InvalidTransition as error:
        if back == "detail":
            return recommendation_page(
                recommendation_id, request, advisor, templates, users, error=str(error)
            )
        return _page(request, advisor, templates, error=str(error))
    if back == "detail":
        return RedirectResponse(f"/recommendations/{recommendation_id}", status_code=303)
    return RedirectResponse(f"/recommendations#rec-{recommendation_id}", status_code=303)


def _plan_changed(
    recommendation_id: str,
    request: Request,
    advisor: AdvisorDep,
    templates: TemplatesDep,
    users: UsersDep,
    change: Callable[[], object],
) -> Response:
    """Make one plan change and go back to the recommendation, or show it again with what was refused."""
    try:
        change()
    except (InvalidTransition, ValueError) as error:
        return recommendation_page(recommendation_id, request, advisor, templates, users, error=str(error))
    return RedirectResponse(f"/recommendations/{recommendation_id}#plan", status_code=303)


def _day(text: str, what: str) -> date | None:
    """A date field: empty is none; anything else must be YYYY-MM-DD."""
    if not text.strip():
        return None
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(f"{what} {text!r} is not a date like 2026-07-01") from None


@router.post("/recommendations/{recommendation_id}/owner")
def set_owner(
    recommendation_id: str,
    request: Request,
    advisor: AdvisorDep,
    templates: TemplatesDep,
    users: UsersDep,
    principal: ChangerDep,
    owner: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    return _plan_changed(
        recommendation_id, request, advisor, templates, users,
        lambda: advisor.plans.assign(recommendation_id, owner or None, actor=principal.username),
    )  # fmt: skip


@router.post("/recommendations/{recommendation_id}/due")
def set_due(
    recommendation_id: str,
    request: Request,
    advisor: AdvisorDep,
    templates: TemplatesDep,
    users: UsersDep,
    principal: ChangerDep,
    due: Annotated[str, Form(max_length=20)] = "",
) -> Response:
    return _plan_changed(
        recommendation_id, request, advisor, templates, users,
        lambda: advisor.plans.set_due(recommendation_id, _day(due, "due"), actor=principal.username),
    )  # fmt: skip


@router.post("/recommendations/{recommendation_id}/review")
def set_review(
    recommendation_id: str,
    request: Request,
    advisor: AdvisorDep,
    templates: TemplatesDep,
    users: UsersDep,
    principal: ChangerDep,
    review_on: Annotated[str, Form(max_length=20)] = "",
) -> Response:
    return _plan_changed(
        recommendation_id, request, advisor, templates, users,
        lambda: advisor.plans.set_review(
            recommendation_id, _day(review_on, "review date"), actor=principal.username
        ),
    )  # fmt: skip


@router.post("/recommendations/{recommendation_id}/checklist/{item_id}")
def tick(
    recommendation_id: str,
    item_id: int,
    request: Request,
    advisor: AdvisorDep,
    templates: TemplatesDep,
    users: UsersDep,
    principal: ChangerDep,
    done: Annotated[str, Form(max_length=1)] = "1",
) -> Response:
    return _plan_changed(
        recommendation_id, request, advisor, templates, users,
        lambda: advisor.plans.tick(recommendation_id, item_id, done == "1", actor=principal.username),
    )  # fmt: skip


@router.post("/recommendations/{recommendation_id}/comments")
def comment(
    recommendation_id: str,
    request: Request,
    advisor: AdvisorDep,
    templates: TemplatesDep,
    users: UsersDep,
    principal: ChangerDep,
    text: Annotated[str, Form(max_length=4000)] = "",
) -> Response:
    return _plan_changed(
        recommendation_id, request, advisor, templates, users,
        lambda: advisor.plans.comment(recommendation_id, text, actor=principal.username),
    )  # fmt: skip
