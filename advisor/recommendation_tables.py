"""The recommendations' tables (SQLAlchemy rows on advisor.database.Base) and how a row becomes the model
the rest of the advisor reads (`tracked`), plan included."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import JSON, Date, DateTime, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship, selectinload

from advisor.database import Base
from advisor.models import (
    ChecklistItem,
    MetricOutcome,
    PlanChange,
    PlanComment,
    StatusChange,
    TrackedRecommendation,
)
from advisor.plan_rules import review_day
from advisor.plan_tables import CommentRow, PlanChangeRow, TaskRow

#: The rows the partial unique index covers: one open recommendation per organisation, practice and scope
#: (the same practice may run for two teams at once; revision 0005).
OPEN_ONLY = text("status IN ('proposed', 'accepted', 'in_progress')")


class RecommendationRow(Base):
    __tablename__ = "recommendations"
    __table_args__ = (
        Index(
            "uq_recommendations_open_scope",
            "organisation",
            "practice_id",
            "scope_key",
            unique=True,
            sqlite_where=OPEN_ONLY,
            postgresql_where=OPEN_ONLY,
        ),
    )

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
    #: "" for the whole organisation, else "team=Billing Desk" (advisor.plan_rules.scope_key).
    scope_key: Mapped[str] = mapped_column(String(400), default="", server_default="")
    owner: Mapped[str | None] = mapped_column(String(200))
    due: Mapped[date | None] = mapped_column(Date)
    #: The review date someone chose (None: the earliest the outcome can be judged).
    review_on: Mapped[date | None] = mapped_column(Date)
    tasks: Mapped[list[TaskRow]] = relationship(order_by=TaskRow.position, cascade="all, delete-orphan")
    comments: Mapped[list[CommentRow]] = relationship(order_by=CommentRow.id, cascade="all, delete-orphan")
    plan_changes: Mapped[list[PlanChangeRow]] = relationship(
        order_by=PlanChangeRow.id, cascade="all, delete-orphan"
    )
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


class IndexOutboxRow(Base):
    """A done recommendation's solution document, queued for the knowledge index in the transaction that
    made it done; removed once written there (the outbox: a crash in between is repaired at the next start)."""

    __tablename__ = "index_outbox"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    recommendation_id: Mapped[str] = mapped_column(ForeignKey("recommendations.id"), index=True)
    queued_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


#: Everything `tracked` reads, loaded with the rows (a few queries for any number of recommendations).
LOAD_ALL = (
    selectinload(RecommendationRow.changes),
    selectinload(RecommendationRow.outcomes),
    selectinload(RecommendationRow.tasks),
    selectinload(RecommendationRow.comments),
    selectinload(RecommendationRow.plan_changes),
)


def utc(moment: datetime) -> datetime:
    # SQLite hands back naive datetimes; everything we store is UTC.
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def tracked(row: RecommendationRow) -> TrackedRecommendation:
    found = without_plan(row)
    return found.model_copy(
        update={
            "owner": row.owner,
            "due": row.due,
            "review_on": review_day(found.history, row.due, row.review_on, found.outcomes),
            "review_chosen": row.review_on is not None,
            "checklist": [
                ChecklistItem(
                    id=task.id,
                    position=task.position,
                    text=task.text,
                    done=bool(task.done),
                    done_by=task.done_by,
                    done_at=utc(task.done_at) if task.done_at else None,
                )
                for task in row.tasks
            ],
            "comments": [
                PlanComment(id=c.id, author=c.author, at=utc(c.at), text=c.text) for c in row.comments
            ],
            "plan_history": [PlanChange(actor=c.actor, at=utc(c.at), what=c.what) for c in row.plan_changes],
        }
    )


def without_plan(row: RecommendationRow) -> TrackedRecommendation:
    return TrackedRecommendation.model_validate(
        {
            **row.content,
            "id": row.id,
            "organisation": row.organisation,
            "period_start": row.period_start,
            "period_end": row.period_end,
            "status": row.status,
            "created_at": utc(row.created_at),
            "updated_at": utc(row.updated_at),
            "history": [
                StatusChange(
                    from_status=change.from_status,  # type: ignore[arg-type]
                    to_status=change.to_status,  # type: ignore[arg-type]
                    actor=change.actor,
                    reason=change.reason,
                    at=utc(change.at),
                )
                for change in row.changes
            ],
            "outcomes": [MetricOutcome.model_validate(outcome.content) for outcome in row.outcomes],
        }
    )
