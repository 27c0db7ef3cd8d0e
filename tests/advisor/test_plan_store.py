"""A step's plan in the store: scoped steps, checklist from the practice's steps, owner, due and review dates,
comments, and who changed what when; on SQLite and PostgreSQL."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime

import pytest

from advisor.errors import InvalidPlan, InvalidTransition
from advisor.models import Recommendation
from advisor.plan_store import PlanStore
from advisor.recommendation_store import RecommendationStore
from advisor.users import UserStore
from metrics.models import Period
from tests.postgres import database_url, postgres_server

#: pytest finds fixtures by name in the module: these two come from tests/postgres.py
FIXTURES = (database_url, postgres_server)

SPRING = Period(date(2026, 3, 1), date(2026, 6, 1))
STEPS = """1. Name a swarm lead for each shift.
2. Route complex cases to the swarm
   channel instead of escalating them.
3. Review the swarm's cases weekly."""


def step(
    scope: dict[str, str] | None = None, practice_id: str = "cust-swarming-complex-cases"
) -> Recommendation:
    return Recommendation(
        rank=1, title="Swarm complex cases", practice_id=practice_id, targets=["C6"], why="C6 is weak.",
        sources=[f"practice:{practice_id}"], steps=STEPS, scope=scope,
    )  # fmt: skip


def moment(day: str) -> datetime:
    return datetime.fromisoformat(day).replace(tzinfo=UTC)


def test_scoped_steps_of_one_practice_and_their_checklists(database_url: str) -> None:
    store = RecommendationStore(database_url)
    billing, onboarding = {"team": "Billing Desk"}, {"team": "Onboarding"}
    stored = store.propose(
        [step(billing), step(onboarding), step(billing), step()], organisation="acme", period=SPRING
    )
    # one open step per practice AND scope: the same practice runs for two teams and for everyone
    assert sorted(str(rec.scope) for rec in stored) == sorted(map(str, [billing, onboarding, None]))
    again = store.propose([step(onboarding)], organisation="acme", period=SPRING)
    assert len(again) == 3
    [first] = [rec for rec in stored if rec.scope == billing]
    assert [(item.position, item.text, item.done) for item in first.checklist] == [
        (1, "Name a swarm lead for each shift.", False),
        (2, "Route complex cases to the swarm channel instead of escalating them.", False),
        (3, "Review the swarm's cases weekly.", False),
    ]
    # once closed, the same practice and team can be proposed again
    store.transition(first.id, "dismissed", actor="li", reason="later")
    assert len(store.propose([step(billing)], organisation="acme", period=SPRING)) == 3


def test_owner_dates_ticks_and_comments_keep_who_and_when(database_url: str) -> None:
    users = UserStore(database_url)
    users.create_user("maria", "manager", "correct horse battery")
    store = RecommendationStore(database_url)
    plans = PlanStore(store)
    [rec] = store.propose(
        [step({"team": "Billing Desk"})], organisation="acme", period=SPRING, at=moment("2026-06-01")
    )
    # before it starts, the outcome is measurable two whole weeks after the soonest it could start
    assert rec.review_on == date(2026, 6, 15) and not rec.review_chosen

    plans.assign(rec.id, "maria", actor="li", at=moment("2026-06-01T10:00"))
    with pytest.raises(InvalidPlan, match="no user 'bob'"):
        plans.assign(rec.id, "bob", actor="li")
    plans.set_due(rec.id, date(2026, 7, 1), actor="li", at=moment("2026-06-01T10:01"))
    with pytest.raises(InvalidPlan, match="before the step was proposed"):
        plans.set_due(rec.id, date(2026, 5, 1), actor="li")
    store.transition(rec.id, "accepted", actor="maria", at=moment("2026-06-02"))
    store.transition(rec.id, "in_progress", actor="maria", at=moment("2026-06-03"))
    # started on 2026-06-03: measurable from 06-17 at the earliest, but not before it is due (07-01)
    assert store.get(rec.id).review_on == date(2026, 7, 1)
    with pytest.raises(InvalidPlan, match="measurable from 2026-07-01 at the earliest"):
        plans.set_review(rec.id, date(2026, 6, 20), actor="li")
    plans.set_review(rec.id, date(2026, 7, 15), actor="li", at=moment("2026-06-03T12:00"))

    task = store.get(rec.id).checklist[1]
    ticked = plans.tick(rec.id, task.id, actor="maria", at=moment("2026-06-10"))
    assert ticked.checklist[1].done and ticked.checklist[1].done_by == "maria"
    assert ticked.checklist[1].done_at == moment("2026-06-10") and ticked.tasks_done == 1
    assert plans.tick(rec.id, task.id, actor="li") == ticked  # ticking it again changes nothing
    with pytest.raises(InvalidPlan, match="no task"):
        plans.tick(rec.id, 10_000, actor="li")
    plans.comment(rec.id, "  Billing agrees; starting Monday.  ", actor="maria", at=moment("2026-06-11"))
    with pytest.raises(InvalidPlan, match="needs some text"):
        plans.comment(rec.id, "   ", actor="maria")

    users.set_disabled("maria", True)  # a disabled user cannot own a step (she still owns this one)
    with pytest.raises(InvalidPlan, match="disabled"):
        plans.assign(rec.id, "maria", actor="li")
    done = store.transition(rec.id, "done", actor="maria", at=moment("2026-07-02"))
    assert (done.owner, done.due, done.review_on, done.review_chosen) == (
        "maria",
        date(2026, 7, 1),
        date(2026, 7, 15),
        True,
    )
    assert [(note.author, note.text) for note in done.comments] == [
        ("maria", "Billing agrees; starting Monday.")
    ]
    assert [(change.actor, change.what) for change in done.plan_history] == [
        ("li", "owner: maria"),
        ("li", "due: 2026-07-01"),
        ("li", "review: 2026-07-15"),
        ("maria", "ticked: Route complex cases to the swarm channel instead of escalating them."),
        ("maria", "commented"),
    ]
    assert [change.what for change in done.changes()][:3] == ["proposed", "owner: maria", "due: 2026-07-01"]
    assert done.changes()[-1].what == "done" and not done.is_overdue(date(2026, 8, 1))
    # a closed step's plan no longer changes (comments still can), and nothing was written by the refusals
    with pytest.raises(InvalidPlan, match="is done"):
        plans.assign(rec.id, None, actor="li")
    with pytest.raises(InvalidTransition, match="is done"):
        plans.tick(rec.id, task.id, False, actor="li")
    assert len(plans.comment(rec.id, "It worked.", actor="li").comments) == 2
    assert RecommendationStore(database_url).get(rec.id).plan_history[:5] == done.plan_history


def test_simultaneous_ticks_record_one_change(database_url: str) -> None:
    store = RecommendationStore(database_url)
    plans = PlanStore(store)
    [rec] = store.propose([step()], organisation="acme", period=SPRING)
    item = rec.checklist[0].id
    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(lambda n: plans.tick(rec.id, item, actor=f"user{n}"), range(8)))
    after = store.get(rec.id)
    assert after.checklist[0].done and after.checklist[0].done_by in {f"user{n}" for n in range(8)}
    assert len(after.plan_history) == 1 and all(result.checklist[0].done for result in results)
    assert after.is_overdue(date(2027, 1, 1)) is False  # no due date: never overdue
