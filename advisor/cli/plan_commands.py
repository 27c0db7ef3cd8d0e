"""Commands that run a recommendation's plan: assign an owner, set the due and review dates, tick tasks,
comment (`advisor recommendations assign|due|review|tick|comment`); `show` prints the plan."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from advisor.cli.app import advisor_with, clean_errors, console
from advisor.cli.recommendation_commands import (
    ActorOption,
    AtOption,
    _actor,
    _moment,
    _resolve,
    recommendations_app,
)
from advisor.models import TrackedRecommendation

if TYPE_CHECKING:
    from advisor.service import Advisor


def _day(text: str, what: str) -> date | None:
    if text.strip().lower() in {"", "none"}:
        return None
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(f"{what} {text!r} is not a date like 2026-07-01 (or 'none')") from None


def _full_id(advisor: Advisor, prefix: str) -> str:
    return _resolve(advisor.recommendations.list(organisation=advisor.organisation()), prefix)


def print_plan(rec: TrackedRecommendation) -> None:
    """Owner, dates, checklist and comments, as the recommendation page shows them."""
    measured = rec.status == "done" and any(o.verdict != "too_early" for o in rec.outcomes)
    review = "outcome measured" if measured else f"outcome measurable from {rec.review_on}"
    console.print(
        f"owner: {rec.owner or 'nobody yet'}; due: {rec.due or 'no due date'}; {review}; "
        f"tasks: {rec.tasks_done} of {rec.tasks_total} done",
        highlight=False,
        markup=False,
        soft_wrap=True,
    )
    if rec.checklist:
        table = Table(title="Checklist")
        for column in ("#", "done", "task", "by"):
            table.add_column(column)
        for item in rec.checklist:
            by = f"{item.done_by} {item.done_at:%Y-%m-%d}" if item.done and item.done_at else ""
            table.add_row(str(item.position), "x" if item.done else "", item.text, by)
        console.print(table)
    for note in rec.comments:
        console.print(
            f"{note.author} on {note.at:%Y-%m-%d %H:%M}: {note.text}", highlight=False, markup=False
        )


@recommendations_app.command("assign")
def assign(
    recommendation_id: str,
    owner: Annotated[str, typer.Argument(help="a user name; 'none' for nobody")],
    actor: ActorOption = None,
    at: AtOption = None,
) -> None:
    """Make a user the owner of a step."""
    with clean_errors():
        advisor = advisor_with()
        who = None if owner.strip().lower() == "none" else owner
        rec = advisor.plans.assign(
            _full_id(advisor, recommendation_id), who, actor=_actor(actor), at=_moment(at)
        )
    print_plan(rec)


@recommendations_app.command("due")
def due(
    recommendation_id: str,
    day: Annotated[str, typer.Argument(help="YYYY-MM-DD, or 'none'")],
    actor: ActorOption = None,
    at: AtOption = None,
) -> None:
    """Set (or clear) the day a step should be finished."""
    with clean_errors():
        advisor = advisor_with()
        rec = advisor.plans.set_due(
            _full_id(advisor, recommendation_id), _day(day, "due"), actor=_actor(actor), at=_moment(at)
        )
    print_plan(rec)


@recommendations_app.command("review")
def review(
    recommendation_id: str,
    day: Annotated[str, typer.Argument(help="YYYY-MM-DD, or 'none' for as soon as measurable")],
    actor: ActorOption = None,
    at: AtOption = None,
) -> None:
    """Set the day the outcome will be measured (not before the data allows it)."""
    with clean_errors():
        advisor = advisor_with()
        rec = advisor.plans.set_review(
            _full_id(advisor, recommendation_id),
            _day(day, "review date"),
            actor=_actor(actor),
            at=_moment(at),
        )
    print_plan(rec)


@recommendations_app.command("tick")
def tick(
    recommendation_id: str,
    task: Annotated[int, typer.Argument(help="the task's number in the checklist (1, 2, ...)")],
    undo: Annotated[bool, typer.Option("--undo", help="mark it not done again")] = False,
    actor: ActorOption = None,
    at: AtOption = None,
) -> None:
    """Tick a checklist task of a step."""
    with clean_errors():
        advisor = advisor_with()
        full_id = _full_id(advisor, recommendation_id)
        items = {item.position: item.id for item in advisor.recommendations.get(full_id).checklist}
        if task not in items:
            raise ValueError(f"the checklist has tasks 1 to {len(items)}, not {task}")
        rec = advisor.plans.tick(full_id, items[task], not undo, actor=_actor(actor), at=_moment(at))
    print_plan(rec)


@recommendations_app.command("comment")
def comment(
    recommendation_id: str,
    text: Annotated[str, typer.Argument(help="the comment")],
    actor: ActorOption = None,
    at: AtOption = None,
) -> None:
    """Add a comment to a step."""
    with clean_errors():
        advisor = advisor_with()
        rec = advisor.plans.comment(
            _full_id(advisor, recommendation_id), text, actor=_actor(actor), at=_moment(at)
        )
    print_plan(rec)
