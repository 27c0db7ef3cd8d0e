"""Stored recommendations and their lifecycle (SQLAlchemy; a SQLite file by default, any database URL by setting).

proposed -> accepted -> in_progress -> done, and any open one -> dismissed (with a reason). Every change is
kept with who made it and when; a done recommendation keeps its measured outcome.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from contextlib import AbstractContextManager
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import JSON, Date, DateTime, ForeignKey, Integer, String, Text, select
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, relationship

from advisor.database import open_database, transaction
from advisor.errors import InvalidTransition, RecommendationNotFound
from advisor.models import (
    MetricOutcome,
    Recommendation,
    RecommendationStatus,
    StatusChange,
    TrackedRecommendation,
)
from metrics.models import Period

TRANSITIONS: dict[str, frozenset[str]] = {
    "proposed": frozenset({"accepted", "dismissed"}),
    "accepted": frozenset({"in_progress", "dismissed"}),
    "in_progress": frozenset({"done", "dismissed"}),
    "done": frozenset(),
    "dismissed": frozenset(),
}
OPEN_STATUSES: frozenset[str] = frozenset({"proposed", "accepted", "in_progress"})


class Base(DeclarativeBase):
    pass


class RecommendationRow(Base):
    __tablename__ = "recommendations"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    organisation: Mapped[str] = mapped_column(String(200), index=True)
    practice_id: Mapped[str] = mapped_column(String(200), index=True)
    status: Mapped[str] = mapped_column(String(20), index=True)
    period_start: Mapped[date] = mapped_column(Date)
    period_end: Mapped[date] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    #: The recommendation as it was proposed (title, why, targets, metric values, sources, steps...).
    content: Mapped[dict[str, Any]] = mapped_column(JSON)
    changes: Mapped[list[StatusChangeRow]] = relationship(
        back_populates="recommendation", order_by="StatusChangeRow.id", cascade="all, delete-orphan"
    )
    outcomes: Mapped[list[OutcomeRow]] = relationship(
        back_populates="recommendation", order_by="OutcomeRow.id", cascade="all, delete-orphan"
    )


class StatusChangeRow(Base):
    __tablename__ = "recommendation_changes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    recommendation_id: Mapped[str] = mapped_column(ForeignKey("recommendations.id"), index=True)
    from_status: Mapped[str | None] = mapped_column(String(20))
    to_status: Mapped[str] = mapped_column(String(20))
    actor: Mapped[str] = mapped_column(String(200))
    reason: Mapped[str | None] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    recommendation: Mapped[RecommendationRow] = relationship(back_populates="changes")


class OutcomeRow(Base):
    __tablename__ = "recommendation_outcomes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    recommendation_id: Mapped[str] = mapped_column(ForeignKey("recommendations.id"), index=True)
    metric_id: Mapped[str] = mapped_column(String(20))
    content: Mapped[dict[str, Any]] = mapped_column(JSON)
    recommendation: Mapped[RecommendationRow] = relationship(back_populates="outcomes")


def _utc(moment: datetime) -> datetime:
    # SQLite hands back naive datetimes; everything we store is UTC.
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


class RecommendationStore:
    """Recommendations with their history and outcomes; each method is one transaction."""

    def __init__(self, url: str) -> None:
        self.url = url
        self._sessions = open_database(url, Base.metadata)

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
        """Store new recommendations; one still open for the same practice is kept, not duplicated."""
        moment = at or datetime.now(UTC)
        with self._session() as session:
            open_practices = set(
                session.scalars(
                    select(RecommendationRow.practice_id).where(
                        RecommendationRow.organisation == organisation,
                        RecommendationRow.status.in_(OPEN_STATUSES),
                    )
                )
            )
            for recommendation in recommendations:
                if recommendation.practice_id in open_practices:
                    continue
                row = RecommendationRow(
                    id=uuid.uuid4().hex,
                    organisation=organisation,
                    practice_id=recommendation.practice_id,
                    status="proposed",
                    period_start=period.start,
                    period_end=period.end,
                    created_at=moment,
                    updated_at=moment,
                    content=recommendation.model_dump(mode="json"),
                )
                row.changes.append(
                    StatusChangeRow(from_status=None, to_status="proposed", actor=actor, at=moment)
                )
                session.add(row)
                open_practices.add(recommendation.practice_id)
        return self.list(organisation=organisation, statuses=OPEN_STATUSES)

    def list(
        self, *, organisation: str | None = None, statuses: frozenset[str] | None = None
    ) -> list[TrackedRecommendation]:
        with self._session() as session:
            query = select(RecommendationRow).order_by(RecommendationRow.created_at, RecommendationRow.id)
            if organisation is not None:
                query = query.where(RecommendationRow.organisation == organisation)
            if statuses is not None:
                query = query.where(RecommendationRow.status.in_(statuses))
            return [_tracked(row) for row in session.scalars(query)]

    def get(self, recommendation_id: str) -> TrackedRecommendation:
        with self._session() as session:
            return _tracked(self._row(session, recommendation_id))

    def transition(
        self,
        recommendation_id: str,
        to_status: RecommendationStatus,
        *,
        actor: str,
        reason: str | None = None,
        at: datetime | None = None,
    ) -> TrackedRecommendation:
        """Move a recommendation one step along its lifecycle; a dismissal needs a reason."""
        moment = at or datetime.now(UTC)
        with self._session() as session:
            row = self._row(session, recommendation_id)
            if to_status not in TRANSITIONS[row.status]:
                allowed = ", ".join(sorted(TRANSITIONS[row.status])) or "nothing (it is closed)"
                raise InvalidTransition(
                    f"a recommendation that is {row.status} cannot become {to_status}; allowed: {allowed}"
                )
            if to_status == "dismissed" and not (reason or "").strip():
                raise InvalidTransition("dismissing a recommendation needs a reason")
            last = _utc(row.changes[-1].at) if row.changes else _utc(row.created_at)
            if moment < last:
                raise InvalidTransition(
                    f"{moment.isoformat()} is before the last change ({last.isoformat()})"
                )
            row.changes.append(
                StatusChangeRow(
                    from_status=row.status, to_status=to_status, actor=actor, reason=reason, at=moment
                )
            )
            row.status = to_status
            row.updated_at = moment
            return _tracked(row)

    def record_outcomes(
        self, recommendation_id: str, outcomes: Sequence[MetricOutcome]
    ) -> TrackedRecommendation:
        """Replace the measured outcome of a done recommendation."""
        with self._session() as session:
            row = self._row(session, recommendation_id)
            if row.status != "done":
                raise InvalidTransition("only a done recommendation has an outcome")
            row.outcomes.clear()
            for outcome in outcomes:
                row.outcomes.append(
                    OutcomeRow(metric_id=outcome.metric_id, content=outcome.model_dump(mode="json"))
                )
            return _tracked(row)

    @staticmethod
    def _row(session: Session, recommendation_id: str) -> RecommendationRow:
        row = session.get(RecommendationRow, recommendation_id)
        if row is None:
            raise RecommendationNotFound(f"no recommendation {recommendation_id!r}")
        return row


def _tracked(row: RecommendationRow) -> TrackedRecommendation:
    return TrackedRecommendation.model_validate(
        {
            **row.content,
            "id": row.id,
            "organisation": row.organisation,
            "period_start": row.period_start,
            "period_end": row.period_end,
            "status": row.status,
            "created_at": _utc(row.created_at),
            "updated_at": _utc(row.updated_at),
            "history": [
                StatusChange(
                    from_status=change.from_status,  # type: ignore[arg-type]
                    to_status=change.to_status,  # type: ignore[arg-type]
                    actor=change.actor,
                    reason=change.reason,
                    at=_utc(change.at),
                )
                for change in row.changes
            ],
            "outcomes": [MetricOutcome.model_validate(outcome.content) for outcome in row.outcomes],
        }
    )
