"""The KCS loop's tables on the application database (migrated by advisor/migrations, revision 0003)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from advisor.database import Base


class ArticleRow(Base):
    __tablename__ = "kcs_articles"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    organisation: Mapped[str] = mapped_column(String(200), index=True)
    state: Mapped[str] = mapped_column(String(24), index=True)
    origin: Mapped[str] = mapped_column(String(20))
    #: Goes up with every edit, so that an edit made on a stale copy is refused.
    revision: Mapped[int] = mapped_column(Integer, default=1)
    title: Mapped[str] = mapped_column(String(300))
    symptoms: Mapped[str] = mapped_column(Text, default="")
    cause: Mapped[str] = mapped_column(Text, default="")
    resolution: Mapped[str] = mapped_column(Text, default="")
    audience: Mapped[str] = mapped_column(String(20), default="internal")
    product: Mapped[str | None] = mapped_column(String(200))
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    known_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    published_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    changes: Mapped[list[ArticleChangeRow]] = relationship(
        order_by="ArticleChangeRow.id", cascade="all, delete-orphan"
    )
    cases: Mapped[list[ArticleCaseRow]] = relationship(
        order_by="ArticleCaseRow.position", cascade="all, delete-orphan"
    )


class ArticleChangeRow(Base):
    __tablename__ = "kcs_article_changes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    article_id: Mapped[str] = mapped_column(ForeignKey("kcs_articles.id", ondelete="CASCADE"), index=True)
    action: Mapped[str] = mapped_column(String(20))
    from_state: Mapped[str | None] = mapped_column(String(24))
    to_state: Mapped[str | None] = mapped_column(String(24))
    actor: Mapped[str] = mapped_column(String(200))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    note: Mapped[str | None] = mapped_column(Text)


class ArticleCaseRow(Base):
    __tablename__ = "kcs_article_cases"

    article_id: Mapped[str] = mapped_column(
        ForeignKey("kcs_articles.id", ondelete="CASCADE"), primary_key=True
    )
    ticket_id: Mapped[str] = mapped_column(String(200), primary_key=True, index=True)
    #: 0 is the case the article was written from (its `article_created`); the others are linked to it.
    position: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(300), default="")
    team: Mapped[str | None] = mapped_column(String(200))
    product: Mapped[str | None] = mapped_column(String(200))
    resolved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class ArticleFlagRow(Base):
    __tablename__ = "kcs_article_flags"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    #: Any indexed article: one of the loop's (kcs-...) or one of the organisation's own (KB0001).
    article_id: Mapped[str] = mapped_column(String(200), index=True)
    organisation: Mapped[str] = mapped_column(String(200), index=True)
    reason: Mapped[str] = mapped_column(String(20))
    comment: Mapped[str] = mapped_column(Text)
    by: Mapped[str] = mapped_column(String(200))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    resolved_by: Mapped[str | None] = mapped_column(String(200))
    resolved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
