"""Commands that track recommendations through their lifecycle: propose, accept, start, done, dismiss (the
plan's commands, assign, due, review, tick and comment, are in advisor.cli.plan_commands)."""

from __future__ import annotations

import getpass
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from advisor.cli.app import (
    PeriodOption,
    advisor_with,
    app,
    clean_errors,
    console,
    parse_period,
    print_json,
)
from advisor.models import RecommendationStatus, TrackedRecommendation
from prompts import format_number

if TYPE_CHECKING:
    from advisor.models import ChosenStep, MetricOutcome
    from advisor.service import Advisor
    from metrics.models import Period


def describe_outcome(outcome: MetricOutcome) -> str:
    """Imported when used: advisor.outcomes loads statsmodels (issue 18, `--help` < 1 s)."""
    from advisor.outcomes import describe_outcome as describe

    return describe(outcome)


recommendations_app = typer.Typer(help="Track recommendations until they worked.", no_args_is_help=True)
app.add_typer(recommendations_app, name="recommendations")

ActorOption = Annotated[
    str | None, typer.Option("--actor", help="who makes the change (default: your user name)")
]
AtOption = Annotated[
    str | None,
    typer.Option("--at", help="when it happened, YYYY-MM-DD (default: now); for recording the past"),
]


def _actor(actor: str | None) -> str:
    return actor or getpass.getuser()


def _moment(at: str | None) -> datetime | None:
    if at is None:
        return None
    try:
        return datetime.combine(date.fromisoformat(at), datetime.min.time(), tzinfo=UTC)
    except ValueError:
        raise ValueError(f"--at {at!r} is not a date like 2026-06-01") from None


def _print(recommendations: list[TrackedRecommendation]) -> None:
    table = Table(title="Recommendations")
    for column in ("id", "status", "title", "targets", "since", "outcome"):
        table.add_column(column)
    for rec in recommendations:
        outcome = "; ".join(describe_outcome(outcome) for outcome in rec.outcomes)
        table.add_row(
            rec.id[:8], rec.status, rec.title, ", ".join(rec.targets), f"{rec.updated_at:%Y-%m-%d}", outcome
        )
    console.print(table)


@recommendations_app.command("list")
def list_recommendations(
    status: Annotated[
        list[str] | None, typer.Option("--status", help="only these statuses (repeatable)")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
) -> None:
    """List stored recommendations with their status and measured outcomes."""
    with clean_errors():
        advisor = advisor_with()
        found = advisor.recommendations.list(
            organisation=advisor.organisation(), statuses=frozenset(status) if status else None
        )
    if as_json:
        print_json({"recommendations": [rec.model_dump(mode="json") for rec in found]})
    else:
        _print(found)


@recommendations_app.command("show")
def show(
    recommendation_id: str,
    as_json: Annotated[
        bool, typer.Option("--json", help="print JSON (the same as GET /api/recommendations/ID)")
    ] = False,
) -> None:
    """One recommendation with its measured outcome: verdict, estimate and 95% interval, comparison groups."""
    with clean_errors():
        advisor = advisor_with()
        rec = advisor.recommendations.get(
            _resolve(advisor.recommendations.list(organisation=advisor.organisation()), recommendation_id)
        )
    if as_json:
        print_json(rec.model_dump(mode="json"))
        return
    scope = ", ".join(f"{dimension} {group}" for dimension, group in (rec.scope or {}).items())
    console.print(
        f"[bold]{rec.title}[/bold] ({rec.id}): {rec.status}, targets {', '.join(rec.targets)}, "
        f"for {scope or 'the whole organisation'}",
        highlight=False,
        markup=True,
    )
    from advisor.cli.plan_commands import print_plan  # it registers its commands on this module's app

    print_plan(rec)
    if not rec.outcomes:
        console.print("No measured outcome yet.", highlight=False)
        return
    table = Table(title="Outcome")
    for column in ("metric", "verdict", "estimate", "interval", "method", "compared with", "in words"):
        table.add_column(column)
    for outcome in rec.outcomes:
        interval = (
            f"{format_number(outcome.low, 2)} to {format_number(outcome.high, 2)} "
            f"({round(100 * (outcome.confidence or 0.95))}%)"
            if outcome.low is not None and outcome.high is not None
            else ""
        )
        table.add_row(
            outcome.metric_id,
            (outcome.verdict or "").replace("_", " "),
            format_number(outcome.estimate, 2) if outcome.estimate is not None else "",
            interval,
            outcome.method.replace("_", " "),
            ", ".join(outcome.comparison),
            describe_outcome(outcome),
        )
    console.print(table)


@recommendations_app.command("propose")
def propose(
    period: PeriodOption = None,
    step: Annotated[
        list[str] | None,
        typer.Option(
            "--step",
            help="a practice id to propose, optionally with where it starts: 'ID' (as ranked), 'ID@' (the "
            "whole organisation) or 'ID@team=Billing Desk' (repeatable; default: all current next steps)",
        ),
    ] = None,
    actor: ActorOption = None,
    at: AtOption = None,
) -> None:
    """Store the chosen next steps (default: all current ones) as proposals (one still open for the same
    practice and scope is kept)."""
    with clean_errors():
        advisor = advisor_with()
        if step:
            stored = advisor.propose_steps(
                _chosen(advisor, step, parse_period(period)),
                parse_period(period),
                actor=_actor(actor),
                at=_moment(at),
            )
        else:
            stored = advisor.propose_next_steps(parse_period(period), actor=_actor(actor), at=_moment(at))
    _print(stored)


def _chosen(advisor: Advisor, steps: list[str], period: Period | None) -> list[ChosenStep]:
    """`ID` keeps the scope the ranking suggests; `ID@` is everyone; `ID@team=Billing Desk` one group."""
    from advisor.models import ChosenStep
    from advisor.plan_rules import parse_scope_key

    ranked = {rec.practice_id: rec.scope for rec in advisor.next_steps(period, limit=10)}
    chosen = []
    for text in steps:
        practice_id, at_sign, key = text.partition("@")
        scope = parse_scope_key(key) if at_sign else ranked.get(practice_id.strip())
        chosen.append(ChosenStep(practice_id=practice_id.strip(), scope=scope))
    return chosen


def _move(
    recommendation_id: str,
    to_status: RecommendationStatus,
    actor: str | None,
    at: str | None,
    reason: str | None = None,
) -> None:
    with clean_errors():
        advisor = advisor_with()
        full_id = _resolve(
            advisor.recommendations.list(organisation=advisor.organisation()), recommendation_id
        )
        moved = advisor.move_recommendation(
            full_id, to_status, actor=_actor(actor), reason=reason, at=_moment(at)
        )
    _print([moved])


def _resolve(recommendations: list[TrackedRecommendation], prefix: str) -> str:
    """Accept the short ids the table shows, as long as they are unambiguous."""
    matches = [rec.id for rec in recommendations if rec.id.startswith(prefix)]
    if len(matches) == 1:
        return matches[0]
    if not matches:
        raise ValueError(f"no recommendation {prefix!r}")
    raise ValueError(f"{prefix!r} matches {len(matches)} recommendations; give more of the id")


@recommendations_app.command("accept")
def accept(recommendation_id: str, actor: ActorOption = None, at: AtOption = None) -> None:
    """Accept a proposed recommendation."""
    _move(recommendation_id, "accepted", actor, at)


@recommendations_app.command("start")
def start(recommendation_id: str, actor: ActorOption = None, at: AtOption = None) -> None:
    """Mark an accepted recommendation as in progress (its 'before' window ends here)."""
    _move(recommendation_id, "in_progress", actor, at)


@recommendations_app.command("done")
def done(recommendation_id: str, actor: ActorOption = None, at: AtOption = None) -> None:
    """Mark a recommendation done; its targeted metrics are compared before and after."""
    _move(recommendation_id, "done", actor, at)


@recommendations_app.command("dismiss")
def dismiss(
    recommendation_id: str,
    reason: Annotated[str, typer.Option("--reason", help="why it is not for us")],
    actor: ActorOption = None,
    at: AtOption = None,
) -> None:
    """Dismiss an open recommendation, with a reason."""
    _move(recommendation_id, "dismissed", actor, at, reason)
