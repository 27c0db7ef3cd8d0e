"""Stored recommendations and their lifecycle (SQLAlchemy; a SQLite file by default, any database URL by setting).

proposed -> accepted -> in_progress -> done, and any open one -> dismissed (with a reason). Every change is
kept with who made it and when; a done recommendation keeps its measured outcome. Each step has a plan (owner,
due and review dates on its row; checklist, comments and plan changes in advisor.plan_tables, changed through
advisor.plan_store).
"""

from __future__ import annotations

import builtins
import uuid
from collections.abc import Sequence
from contextlib import AbstractContextManager
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    delete,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from advisor.database import open_database, transaction
from advisor.errors import InvalidTransition, RecommendationNotFound
from advisor.models import (
    MetricOutcome,
    Recommendation,
    RecommendationStatus,
    StatusChange,
    TrackedRecommendation,
)
from advisor.plan_rules import checklist_items, scope_key
from advisor.plan_tables import TaskRow
from advisor.recommendation_tables import (
    LOAD_ALL,
    OPEN_ONLY,
    IndexOutboxRow,
    OutcomeRow,
    RecommendationRow,
    StatusChangeRow,
    tracked,
    utc,
)
from metrics.models import Period

__all__ = ["OPEN_ONLY", "OPEN_STATUSES", "TRANSITIONS", "RecommendationRow", "RecommendationStore"]

TRANSITIONS: dict[str, frozenset[str]] = {
    "proposed": frozenset({"accepted", "dismissed"}),
    "accepted": frozenset({"in_progress", "dismissed"}),
    "in_progress": frozenset({"done", "dismissed"}),
    "done": frozenset(),
    "dismissed": frozenset(),
}
OPEN_STATUSES: frozenset[str] = frozenset({"proposed", "accepted", "in_progress"})


class RecommendationStore:
    """Recommendations with their history and outcomes; each method is one transaction.

    Changes are conditional updates (`... WHERE status = <the status it was read in>`): of two people moving
    the same recommendation at once, one wins and the other gets InvalidTransition, on SQLite and PostgreSQL.
    A partial unique index keeps one open recommendation per practice and organisation.
    """

    def __init__(self, url: str) -> None:
        self.url = url
        self._sessions = open_database(url)

    def _session(self) -> AbstractContextManager[Session]:
        return transaction(self._sessions)

    def propose(
        self,
        recommendations: Sequence[Recommendation],
        *,
        organisation: str,
        period: Period,
        actor: str = "advisor",
        at: datetime | None = None,
    ) -> list[TrackedRecommendation]:
        """Store new recommendations, each with its checklist made from the practice's steps; one still open
        for the same practice and scope is kept, not duplicated (also when two processes propose it at the
        same moment: the database's unique index settles it)."""
        moment = at or datetime.now(UTC)
        with self._session() as session:
            open_steps = {
                (practice, key)
                for practice, key in session.execute(
                    select(RecommendationRow.practice_id, RecommendationRow.scope_key).where(
                        RecommendationRow.organisation == organisation,
                        RecommendationRow.status.in_(OPEN_STATUSES),
                    )
                )
            }
            for recommendation in recommendations:
                key = (recommendation.practice_id, scope_key(recommendation.scope))
                if key in open_steps:
                    continue
                new_id = uuid.uuid4().hex
                values = {
                    "id": new_id,
                    "organisation": organisation,
                    "practice_id": recommendation.practice_id,
                    "status": "proposed",
                    "period_start": period.start,
                    "period_end": period.end,
                    "created_at": moment,
                    "updated_at": moment,
                    "content": recommendation.model_dump(mode="json"),
                    "scope_key": key[1],
                }
                if _insert_unless_open(session, values):
                    session.add(
                        StatusChangeRow(
                            recommendation_id=new_id,
                            from_status=None,
                            to_status="proposed",
                            actor=actor,
                            at=moment,
                        )
                    )
                    session.add_all(
                        TaskRow(recommendation_id=new_id, position=position, text=text, done=False)
                        for position, text in enumerate(checklist_items(recommendation.steps), start=1)
                    )
                open_steps.add(key)
        return self.list(organisation=organisation, statuses=OPEN_STATUSES)

    def transaction(self) -> AbstractContextManager[Session]:
        """One transaction on the store's database (advisor.plan_store changes plans in it)."""
        return self._session()

    def list(
        self, *, organisation: str | None = None, statuses: frozenset[str] | None = None
    ) -> list[TrackedRecommendation]:
        with self._session() as session:
            query = (
                select(RecommendationRow)
                .options(*LOAD_ALL)
                .order_by(RecommendationRow.created_at, RecommendationRow.id)
            )
            if organisation is not None:
                query = query.where(RecommendationRow.organisation == organisation)
            if statuses is not None:
                query = query.where(RecommendationRow.status.in_(statuses))
            return [tracked(row) for row in session.scalars(query)]

    def get(self, recommendation_id: str) -> TrackedRecommendation:
        with self._session() as session:
            return tracked(self._row(session, recommendation_id))

    def preview(
        self,
        recommendation_id: str,
        to_status: RecommendationStatus,
        *,
        actor: str,
        reason: str | None = None,
        at: datetime,
    ) -> TrackedRecommendation:
        """The recommendation as `transition` would leave it, without changing anything (so that the outcome
        of "done" can be measured before the one transaction that records it). Raises as `transition` would."""
        current = self.get(recommendation_id)
        _check(current.status, to_status, reason, at, current.history[-1].at if current.history else None)
        change = StatusChange(
            from_status=current.status, to_status=to_status, actor=actor, reason=reason, at=at
        )
        return current.model_copy(
            update={"status": to_status, "updated_at": at, "history": [*current.history, change]}
        )

    def transition(
        self,
        recommendation_id: str,
        to_status: RecommendationStatus,
        *,
        actor: str,
        reason: str | None = None,
        at: datetime | None = None,
        outcomes: Sequence[MetricOutcome] | None = None,
        queue_indexing: bool = False,
    ) -> TrackedRecommendation:
        """Move a recommendation one step along its lifecycle; a dismissal needs a reason. With `outcomes`
        (reaching done) the outcome is recorded, and with `queue_indexing` its solution document is queued
        for the index, in the same transaction: all of it happens, or none."""
        moment = at or datetime.now(UTC)
        with self._session() as session:
            row = self._row(session, recommendation_id)
            was = row.status
            _check(was, to_status, reason, moment, None)
            moved = session.execute(
                update(RecommendationRow)
                .where(RecommendationRow.id == recommendation_id, RecommendationRow.status == was)
                .values(status=to_status, updated_at=moment)
                .execution_options(synchronize_session=False)
            )
            if getattr(moved, "rowcount", 0) != 1:  # someone moved it since we read it: judge it as it is now
                now = session.scalar(select(RecommendationRow.status).where(RecommendationRow.id == row.id))
                _check(str(now), to_status, reason, moment, None)
                raise InvalidTransition(f"the recommendation changed to {now} meanwhile; try again")
            # read only now, holding the row: a change committed since the row was read is judged above by its
            # status ("cannot become ..."), never as a time out of order; an error here undoes the update
            last = session.scalar(
                select(func.max(StatusChangeRow.at)).where(StatusChangeRow.recommendation_id == row.id)
            )
            _check(was, to_status, reason, moment, utc(last or row.created_at))
            session.add(
                StatusChangeRow(
                    recommendation_id=recommendation_id,
                    from_status=was,
                    to_status=to_status,
                    actor=actor,
                    reason=reason,
                    at=moment,
                )
            )
            if outcomes is not None:
                _replace_outcomes(session, recommendation_id, outcomes)
            if queue_indexing:
                session.add(IndexOutboxRow(recommendation_id=recommendation_id, queued_at=moment))
            session.flush()
            session.expire(row)
            return tracked(row)

    def record_outcomes(
        self, recommendation_id: str, outcomes: Sequence[MetricOutcome], *, queue_indexing: bool = False
    ) -> TrackedRecommendation:
        """Replace the measured outcome of a done recommendation (and queue its document for the index)."""
        with self._session() as session:
            row = self._row(session, recommendation_id)
            if row.status != "done":
                raise InvalidTransition("only a done recommendation has an outcome")
            _replace_outcomes(session, recommendation_id, outcomes)
            if queue_indexing:
                session.add(IndexOutboxRow(recommendation_id=recommendation_id, queued_at=datetime.now(UTC)))
            session.flush()
            session.expire(row)
            return tracked(row)

    # -- the index outbox ---------------------------------------------------------------------------------
    def pending_indexing(self) -> builtins.list[tuple[int, TrackedRecommendation]]:
        """Recommendations whose solution document was queued for the index and not yet written there
        (after a crash, or while the indexing runs), oldest first, with their queue entry."""
        with self._session() as session:
            found = session.execute(
                select(IndexOutboxRow.id, RecommendationRow)
                .join(RecommendationRow, RecommendationRow.id == IndexOutboxRow.recommendation_id)
                .order_by(IndexOutboxRow.id)
            ).all()
            return [(entry, tracked(row)) for entry, row in found]

    def indexed(self, entries: Sequence[int]) -> None:
        """Take written entries off the index queue."""
        with self._session() as session:
            session.execute(delete(IndexOutboxRow).where(IndexOutboxRow.id.in_(list(entries))))

    @staticmethod
    def _row(session: Session, recommendation_id: str) -> RecommendationRow:
        row = session.get(RecommendationRow, recommendation_id)
        if row is None:
            raise RecommendationNotFound(f"no recommendation {recommendation_id!r}")
        return row


def _check(status: str, to_status: str, reason: str | None, moment: datetime, last: datetime | None) -> None:
    """Raise InvalidTransition unless `status` may become `to_status` at `moment` (after `last`)."""
    if to_status not in TRANSITIONS[status]:
        allowed = ", ".join(sorted(TRANSITIONS[status])) or "nothing (it is closed)"
        raise InvalidTransition(
            f"a recommendation that is {status} cannot become {to_status}; allowed: {allowed}"
        )
    if to_status == "dismissed" and not (reason or "").strip():
        raise InvalidTransition("dismissing a recommendation needs a reason")
    if last is not None and moment < last:
        raise InvalidTransition(f"{moment.isoformat()} is before the last change ({last.isoformat()})")


def _replace_outcomes(session: Session, recommendation_id: str, outcomes: Sequence[MetricOutcome]) -> None:
    session.execute(delete(OutcomeRow).where(OutcomeRow.recommendation_id == recommendation_id))
    session.add_all(
        OutcomeRow(
            recommendation_id=recommendation_id,
            metric_id=outcome.metric_id,
            content=outcome.model_dump(mode="json"),
        )
        for outcome in outcomes
    )


def _insert_unless_open(session: Session, values: dict[str, Any]) -> bool:
    """Insert a proposed recommendation unless one is open for its practice (the partial unique index);
    True when inserted. PostgreSQL and SQLite skip the clash themselves (ON CONFLICT DO NOTHING); whether
    the row went in is read from RETURNING, not from a row count some drivers cannot give."""
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        statement: Any = postgresql_insert(RecommendationRow).values(values).on_conflict_do_nothing()
    elif dialect == "sqlite":
        statement = sqlite_insert(RecommendationRow).values(values).on_conflict_do_nothing()
    else:  # other databases: the index still refuses a second open one, as an error
        statement = insert(RecommendationRow).values(values)
    with session.no_autoflush:
        inserted = session.execute(statement.returning(RecommendationRow.id)).scalar_one_or_none()
    return inserted is not None
