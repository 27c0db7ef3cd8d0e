"""Each person's conversations with the advisor, and their feedback on its answers, in the app database.

A conversation belongs to the person who started it: nobody else can read it or continue it.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractContextManager
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, Boolean, DateTime, ForeignKey, Integer, String, Text, delete, func, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from advisor.database import Base, open_database, transaction
from advisor.errors import ConversationNotFound
from advisor.models import AnswerFeedback, ChatTurn, Citation, ConversationSummary, Understood

TITLE_CHARS = 120
#: Intents that answers stored before the chat read questions more finely carry, and what they are now.
LEGACY_INTENTS = {"search": "how_to", "metric": "status", "group": "status", "empty": "clarify"}


class ConversationRow(Base):
    __tablename__ = "conversations"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    owner: Mapped[str] = mapped_column(String(200), index=True)
    title: Mapped[str] = mapped_column(String(TITLE_CHARS))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)


class TurnRow(Base):
    __tablename__ = "conversation_turns"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    conversation_id: Mapped[str] = mapped_column(ForeignKey("conversations.id"), index=True)
    role: Mapped[str] = mapped_column(String(10))
    text: Mapped[str] = mapped_column(Text)
    intent: Mapped[str | None] = mapped_column(String(20))
    #: Citations, flags and follow-ups, as JSON.
    extras: Mapped[dict[str, Any]] = mapped_column(JSON)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class AnswerFeedbackRow(Base):
    __tablename__ = "answer_feedback"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    turn_id: Mapped[int] = mapped_column(ForeignKey("conversation_turns.id"), index=True)
    by: Mapped[str] = mapped_column(String(200))
    helpful: Mapped[bool] = mapped_column(Boolean)
    comment: Mapped[str | None] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


def _utc(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


class ConversationStore:
    """Conversations by owner; each method is one transaction."""

    def __init__(self, url: str) -> None:
        self._sessions = open_database(url)

    def _session(self) -> AbstractContextManager[Session]:
        return transaction(self._sessions)

    def add(self, conversation_id: str, owner: str, turns: Sequence[ChatTurn]) -> list[int]:
        """Append turns (starting the conversation if new); returns the stored turns' ids."""
        now = datetime.now(UTC)
        with self._session() as session:
            row = session.get(ConversationRow, conversation_id)
            if row is None:
                first = next((turn.text for turn in turns if turn.role == "user"), "") or "Conversation"
                title = " ".join(first.split())
                if len(title) > TITLE_CHARS:
                    title = title[: TITLE_CHARS - 1] + "…"
                row = ConversationRow(
                    id=conversation_id, owner=owner, title=title, created_at=now, updated_at=now
                )
                session.add(row)
            elif row.owner != owner:
                raise ConversationNotFound(f"no conversation {conversation_id!r}")
            row.updated_at = now
            stored = [
                TurnRow(
                    conversation_id=conversation_id,
                    role=turn.role,
                    text=turn.text,
                    intent=turn.intent,
                    extras={
                        "citations": [citation.model_dump() for citation in turn.citations],
                        "flags": turn.flags,
                        "follow_ups": turn.follow_ups,
                        "understood": turn.understood.model_dump(mode="json") if turn.understood else None,
                    },
                    at=now,
                )
                for turn in turns
            ]
            session.add_all(stored)
            session.flush()
            return [turn.id for turn in stored]

    def turns(self, conversation_id: str, owner: str) -> list[ChatTurn]:
        """The turns of one of `owner`'s conversations; an unknown id is a new, empty conversation."""
        with self._session() as session:
            row = session.get(ConversationRow, conversation_id)
            if row is None:
                return []
            if row.owner != owner:
                raise ConversationNotFound(f"no conversation {conversation_id!r}")
            found = session.scalars(
                select(TurnRow).where(TurnRow.conversation_id == conversation_id).order_by(TurnRow.id)
            )
            return [_turn(turn) for turn in found]

    def delete(self, conversation_id: str, owner: str) -> None:
        """Remove one of `owner`'s conversations with its turns and the feedback given on them."""
        with self._session() as session:
            row = session.get(ConversationRow, conversation_id)
            if row is None or row.owner != owner:
                raise ConversationNotFound(f"no conversation {conversation_id!r}")
            turns = select(TurnRow.id).where(TurnRow.conversation_id == conversation_id)
            session.execute(delete(AnswerFeedbackRow).where(AnswerFeedbackRow.turn_id.in_(turns)))
            session.execute(delete(TurnRow).where(TurnRow.conversation_id == conversation_id))
            session.delete(row)

    def conversations(self, owner: str, limit: int = 30) -> list[ConversationSummary]:
        """`owner`'s conversations, the most recent first."""
        with self._session() as session:
            counts = (
                select(TurnRow.conversation_id, func.count(TurnRow.id).label("turns"))
                .group_by(TurnRow.conversation_id)
                .subquery()
            )
            rows = session.execute(
                select(ConversationRow, counts.c.turns)
                .join(counts, counts.c.conversation_id == ConversationRow.id)
                .where(ConversationRow.owner == owner)
                .order_by(ConversationRow.updated_at.desc(), ConversationRow.id)
                .limit(limit)
            )
            return [
                ConversationSummary(
                    id=row.id,
                    title=row.title,
                    created_at=_utc(row.created_at),
                    updated_at=_utc(row.updated_at),
                    turns=int(turns),
                )
                for row, turns in rows
            ]

    def record_feedback(
        self, turn_id: int, *, by: str, helpful: bool, comment: str | None = None
    ) -> tuple[AnswerFeedback, list[Citation]]:
        """Keep a verdict on one of `by`'s own answers (a later verdict does not erase an earlier one);
        returns it with the sources the answer cited."""
        with self._session() as session:
            turn = session.get(TurnRow, turn_id)
            conversation = session.get(ConversationRow, turn.conversation_id) if turn else None
            if turn is None or turn.role != "advisor" or conversation is None or conversation.owner != by:
                raise ConversationNotFound(f"no answer {turn_id} in your conversations")
            row = AnswerFeedbackRow(
                turn_id=turn_id, by=by, helpful=helpful, comment=comment or None, at=datetime.now(UTC)
            )
            session.add(row)
            verdict = AnswerFeedback(
                turn_id=turn_id,
                conversation_id=conversation.id,
                helpful=helpful,
                comment=row.comment,
                by=by,
                at=row.at,
            )
            return verdict, _turn(turn).citations

    def feedback(self, turn_ids: Sequence[int] | None = None) -> list[AnswerFeedback]:
        """Stored verdicts (of the given answers, or all), oldest first."""
        with self._session() as session:
            query = (
                select(AnswerFeedbackRow, TurnRow.conversation_id)
                .join(TurnRow, TurnRow.id == AnswerFeedbackRow.turn_id)
                .order_by(AnswerFeedbackRow.id)
            )
            if turn_ids is not None:
                query = query.where(AnswerFeedbackRow.turn_id.in_(list(turn_ids)))
            return [
                AnswerFeedback(
                    turn_id=row.turn_id,
                    conversation_id=conversation_id,
                    helpful=row.helpful,
                    comment=row.comment,
                    by=row.by,
                    at=_utc(row.at),
                )
                for row, conversation_id in session.execute(query)
            ]


def _turn(row: TurnRow) -> ChatTurn:
    extras = row.extras or {}
    understood = extras.get("understood")
    return ChatTurn(
        id=row.id,
        role=row.role,  # type: ignore[arg-type]
        text=row.text,
        intent=LEGACY_INTENTS.get(row.intent or "", row.intent),  # type: ignore[arg-type]
        understood=Understood.model_validate(understood) if understood else None,
        citations=[Citation.model_validate(citation) for citation in extras.get("citations", [])],
        flags=list(extras.get("flags", [])),
        follow_ups=list(extras.get("follow_ups", [])),
        at=_utc(row.at),
    )
