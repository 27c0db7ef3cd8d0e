"""Changing a step's plan: its owner, due and review dates, its checklist and its comments.

Each change is one transaction that also records who made it and when (`recommendation_plan_changes`). It
locks the recommendation's row first (`SELECT ... FOR UPDATE` on PostgreSQL; SQLite's write lock serialises
writers anyway), so a change never lands on a step that was closed (done or dismissed) at the same moment:
plans are changed while a step is open; comments are welcome at any time.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from advisor.errors import InvalidPlan, RecommendationNotFound
from advisor.models import TrackedRecommendation
from advisor.plan_rules import earliest_review
from advisor.plan_tables import CommentRow, PlanChangeRow, TaskRow
from advisor.recommendation_store import OPEN_STATUSES, RecommendationStore
from advisor.recommendation_tables import RecommendationRow, tracked, without_plan
from advisor.users import UserRow

#: The longest comment kept.
MAX_COMMENT_CHARS = 4000


class PlanStore:
    """The plan of each stored recommendation, in the recommendation store's database."""

    def __init__(self, recommendations: RecommendationStore) -> None:
        self.recommendations = recommendations

    def assign(
        self, recommendation_id: str, owner: str | None, *, actor: str, at: datetime | None = None
    ) -> TrackedRecommendation:
        """Make `owner` (a user of the app; None or "" for nobody) responsible for the step."""
        owner = (owner or "").strip() or None
        with self.recommendations.transaction() as session:
            row = _open_row(session, recommendation_id)
            if owner is not None:
                _check_user(session, owner)
            if row.owner == owner:
                return tracked(row)
            return _change(session, row, {"owner": owner}, actor, at, f"owner: {owner or 'nobody'}")

    def set_due(
        self, recommendation_id: str, due: date | None, *, actor: str, at: datetime | None = None
    ) -> TrackedRecommendation:
        """The day the step should be finished (None: no due date); not before it was proposed."""
        with self.recommendations.transaction() as session:
            row = _open_row(session, recommendation_id)
            if due is not None and due < row.created_at.date():
                raise InvalidPlan(f"due {due} is before the step was proposed ({row.created_at.date()})")
            if row.due == due:
                return tracked(row)
            return _change(session, row, {"due": due}, actor, at, f"due: {due or 'none'}")

    def set_review(
        self, recommendation_id: str, review_on: date | None, *, actor: str, at: datetime | None = None
    ) -> TrackedRecommendation:
        """The day the outcome will be measured (None: as soon as the data allows). Refused when it is before
        the outcome can be judged: two whole weeks after the step starts, and not before it is due."""
        with self.recommendations.transaction() as session:
            row = _open_row(session, recommendation_id)
            if review_on is not None:
                earliest = earliest_review(without_plan(row).history, row.due)
                if review_on < earliest:
                    raise InvalidPlan(
                        f"the outcome is measurable from {earliest} at the earliest (two whole weeks of data "
                        "after the step starts, and not before it is due); choose that day or later"
                    )
            if row.review_on == review_on:
                return tracked(row)
            words = review_on.isoformat() if review_on else "as soon as measurable"
            return _change(session, row, {"review_on": review_on}, actor, at, f"review: {words}")

    def tick(
        self,
        recommendation_id: str,
        item_id: int,
        done: bool = True,
        *,
        actor: str,
        at: datetime | None = None,
    ) -> TrackedRecommendation:
        """Mark a checklist task done (or not done again); ticking a done task again changes nothing."""
        moment = at or datetime.now(UTC)
        with self.recommendations.transaction() as session:
            row = _open_row(session, recommendation_id)
            task = session.get(TaskRow, item_id)
            if task is None or task.recommendation_id != row.id:
                raise InvalidPlan(f"this step has no task {item_id}")
            # conditional on the task's state and the step being open, in the update itself: of two people
            # ticking at once one records it, and nothing is ticked on a step closed meanwhile
            still_open = select(RecommendationRow.id).where(
                RecommendationRow.id == row.id, RecommendationRow.status.in_(OPEN_STATUSES)
            )
            ticked = session.execute(
                update(TaskRow)
                .where(TaskRow.id == item_id, TaskRow.done != done, TaskRow.recommendation_id.in_(still_open))
                .values(done=done, done_by=actor if done else None, done_at=moment if done else None)
                .execution_options(synchronize_session=False)
            )
            if getattr(ticked, "rowcount", 0) != 1:
                session.expire_all()
                current = _locked(session, recommendation_id)
                if current.status not in OPEN_STATUSES:
                    raise InvalidPlan(f"the step is {current.status}: its plan can no longer change")
                return tracked(current)  # it already was as asked
            verb = "ticked" if done else "unticked"
            session.add(
                PlanChangeRow(recommendation_id=row.id, actor=actor, at=moment, what=f"{verb}: {task.text}")
            )
            session.flush()
            session.expire_all()
            return tracked(row)

    def comment(
        self, recommendation_id: str, text: str, *, actor: str, at: datetime | None = None
    ) -> TrackedRecommendation:
        """Add a comment (at any time, also once the step is closed)."""
        text = text.strip()
        if not text:
            raise InvalidPlan("a comment needs some text")
        if len(text) > MAX_COMMENT_CHARS:
            raise InvalidPlan(f"a comment has at most {MAX_COMMENT_CHARS} characters")
        moment = at or datetime.now(UTC)
        with self.recommendations.transaction() as session:
            row = _locked(session, recommendation_id)
            session.add(CommentRow(recommendation_id=row.id, author=actor, text=text, at=moment))
            session.add(PlanChangeRow(recommendation_id=row.id, actor=actor, at=moment, what="commented"))
            session.flush()
            session.expire_all()
            return tracked(row)


def _locked(session: Session, recommendation_id: str) -> RecommendationRow:
    row = session.get(RecommendationRow, recommendation_id, with_for_update=True)
    if row is None:
        raise RecommendationNotFound(f"no recommendation {recommendation_id!r}")
    return row


def _open_row(session: Session, recommendation_id: str) -> RecommendationRow:
    """The recommendation's row, locked, refused when it is closed."""
    row = _locked(session, recommendation_id)
    if row.status not in OPEN_STATUSES:
        raise InvalidPlan(f"the step is {row.status}: its plan can no longer change (comments still can)")
    return row


def _check_user(session: Session, username: str) -> None:
    """An owner is a user of the app, when it has users (in local single-user mode, anyone)."""
    users = {name: disabled for name, disabled in session.execute(select(UserRow.username, UserRow.disabled))}
    if not users:
        return
    if username not in users:
        raise InvalidPlan(f"there is no user {username!r} to own the step")
    if users[username]:
        raise InvalidPlan(f"{username} is disabled and cannot own a step")


def _change(
    session: Session,
    row: RecommendationRow,
    values: dict[str, object],
    actor: str,
    at: datetime | None,
    what: str,
) -> TrackedRecommendation:
    """Write `values` while the step is still open (the status is checked in the update itself) and keep
    the change in the plan's history, in the same transaction."""
    moment = at or datetime.now(UTC)
    moved = session.execute(
        update(RecommendationRow)
        .where(RecommendationRow.id == row.id, RecommendationRow.status.in_(OPEN_STATUSES))
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    if getattr(moved, "rowcount", 0) != 1:
        raise InvalidPlan("the step was closed meanwhile; its plan can no longer change")
    session.add(PlanChangeRow(recommendation_id=row.id, actor=actor, at=moment, what=what))
    session.flush()
    session.expire_all()
    return tracked(row)
