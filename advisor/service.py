"""The Advisor: the use cases the CLI and the web app call (scorecard, next steps, search, chat)."""

from __future__ import annotations

import threading
import uuid
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from pathlib import Path

from advisor import chat
from advisor.models import ChatAnswer, ChatTurn, Recommendation
from advisor.ranking import rank_next_steps
from knowledge.documents import article_document, folder_documents, practice_document, unique_documents
from knowledge.index import BuildReport, KnowledgeIndex
from knowledge.models import Document, Hit, Practice
from metrics.models import Period, Scorecard
from metrics.scorecard import compute_scorecard
from metrics.store import OrganisationStore, open_store

MAX_CONVERSATIONS = 1000


class Advisor:
    """Everything the edges need, built once by `build_advisor` and shared by requests."""

    def __init__(
        self,
        *,
        data_dir: Path,
        index: KnowledgeIndex,
        practices: Sequence[Practice],
        min_group_size: int = 5,
    ) -> None:
        self.data_dir = data_dir
        self.index = index
        self.practices = {practice.id: practice for practice in practices}
        self.min_group_size = min_group_size
        self._stores: dict[Path, OrganisationStore] = {}
        self._scorecards: dict[tuple[Path, Period | None], Scorecard] = {}
        self._conversations: OrderedDict[str, list[ChatTurn]] = OrderedDict()
        self._lock = threading.Lock()

    # -- metrics -----------------------------------------------------------------------------------------
    def store(self, data_dir: Path | None = None) -> OrganisationStore:
        path = (data_dir or self.data_dir).resolve()
        with self._lock:
            if path not in self._stores:
                self._stores[path] = open_store(path)
            return self._stores[path]

    def scorecard(self, period: Period | None = None, data_dir: Path | None = None) -> Scorecard:
        """The scorecard for `period` (default: the last three full months of data), computed once."""
        key = ((data_dir or self.data_dir).resolve(), period)
        if key not in self._scorecards:
            self._scorecards[key] = compute_scorecard(
                self.store(data_dir), period, min_group_size=self.min_group_size
            )
        return self._scorecards[key]

    def next_steps(
        self, period: Period | None = None, data_dir: Path | None = None, *, limit: int = 5
    ) -> list[Recommendation]:
        return rank_next_steps(self.scorecard(period, data_dir), list(self.practices.values()), limit=limit)

    # -- knowledge ---------------------------------------------------------------------------------------
    def documents(self, data_dir: Path | None = None, paths: Iterable[Path] = ()) -> list[Document]:
        """The practices, the organisation's knowledge articles, and any folders given."""
        documents = [practice_document(practice) for practice in self.practices.values()]
        store = self.store(data_dir) if (data_dir or self.data_dir).is_dir() else None
        if store is not None and "articles" in store.tables:
            cursor = store.cursor()
            result = cursor.execute("SELECT id, title, body, audience, state, product FROM articles")
            columns = [column[0] for column in result.description or []]
            documents += [article_document(dict(zip(columns, row, strict=True))) for row in result.fetchall()]
        for path in paths:
            documents += list(folder_documents(path))
        return unique_documents(documents)

    def build_index(self, data_dir: Path | None = None, paths: Iterable[Path] = ()) -> BuildReport:
        return self.index.build(self.documents(data_dir, paths), remove_missing_kinds=("practice", "article"))

    def ensure_index(self) -> BuildReport | None:
        """Build the index when it is empty (first start); otherwise leave it as it is."""
        return self.build_index() if self.index.is_empty() else None

    def search(self, query: str, k: int = 5, *, kinds: Sequence[str] = ()) -> list[Hit]:
        return self.index.search(query, k, kinds=kinds)

    # -- chat --------------------------------------------------------------------------------------------
    def chat(self, message: str, conversation_id: str | None = None) -> ChatAnswer:
        """Answer one message with citations; no LLM is needed."""
        conversation_id = conversation_id or uuid.uuid4().hex
        message = message.strip()
        if len(message) > chat.MAX_MESSAGE_CHARS:
            answer = (
                f"That message has {len(message):,} characters; please keep it under "
                f"{chat.MAX_MESSAGE_CHARS:,} and ask one thing at a time."
            )
            return ChatAnswer(answer=answer, citations=[], conversation_id=conversation_id, intent="empty")
        understanding = chat.understand(message)
        if understanding.intent == "empty":
            text, citations = chat.compose_empty()
        elif understanding.intent == "metric" and understanding.metric_id:
            scorecard = self.scorecard()
            text, citations = chat.compose_metric(
                scorecard.metric(understanding.metric_id), _period_label(scorecard)
            )
        elif understanding.intent == "next_steps":
            scorecard = self.scorecard()
            text, citations = chat.compose_next_steps(self.next_steps(limit=3), _period_label(scorecard))
        else:
            text, citations = chat.compose_search(self.search(message, k=4))
        self._remember(
            conversation_id,
            [ChatTurn(role="user", text=message), ChatTurn(role="advisor", text=text, citations=citations)],
        )
        return ChatAnswer(
            answer=text, citations=citations, conversation_id=conversation_id, intent=understanding.intent
        )

    def _remember(self, conversation_id: str, turns: list[ChatTurn]) -> None:
        # Conversations live in memory until the application database arrives; keep the most recent ones.
        with self._lock:
            self._conversations.setdefault(conversation_id, []).extend(turns)
            self._conversations.move_to_end(conversation_id)
            while len(self._conversations) > MAX_CONVERSATIONS:
                self._conversations.popitem(last=False)

    def conversation(self, conversation_id: str) -> list[ChatTurn]:
        with self._lock:
            return list(self._conversations.get(conversation_id, []))

    def article(self, article_id: str) -> dict[str, object] | None:
        """One row of the organisation's `articles` table, or None."""
        store = self.store()
        if "articles" not in store.tables:
            return None
        result = store.cursor().execute("SELECT * FROM articles WHERE id = ?", [article_id])
        row = result.fetchone()
        if row is None:
            return None
        return dict(zip([column[0] for column in result.description or []], row, strict=True))


def _period_label(scorecard: Scorecard) -> str:
    return f"{scorecard.period.start.isoformat()}..{scorecard.period.end.isoformat()}"
