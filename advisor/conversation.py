"""Chat: from a message to a cited answer, streamed. The message is read (`understanding`), answered by the
engine for its intent (`answering`), and phrased by an LLM with the same tools when one is configured."""

from __future__ import annotations

import re
import threading
import uuid
from collections.abc import Generator, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from advisor import chat
from advisor.answering import Draft
from advisor.answering_advice import AdviceAnswerer
from advisor.chat_tools import ChatTools
from advisor.conversation_store import ConversationStore
from advisor.llm import Evidence, LangChainPhraser, Phraser, check_answer
from advisor.models import ChatAnswer, ChatTurn, Citation, Understood
from advisor.understanding import understand
from advisor.vocabulary import Vocabulary, base_vocabulary, organisation_vocabulary
from metrics.definitions import METRICS_BY_ID
from metrics.errors import MetricsError

if TYPE_CHECKING:
    from advisor.service import Advisor
    from metrics.store import OrganisationStore

#: Earlier turns handed to the LLM, so that follow-ups keep their context.
HISTORY_TURNS = 6


@dataclass(frozen=True)
class ChatToken:
    """A piece of the answer as it is written."""

    text: str


class ChatResponder:
    """Understands a message, drafts a cited answer from the advisor's engines, and streams it."""

    def __init__(self, advisor: Advisor, phraser: Phraser | None, log: ConversationStore) -> None:
        self.advisor = advisor
        self.phraser = phraser
        self.log = log
        self.answerer = AdviceAnswerer(advisor)
        #: The vocabulary of the store last served (a new store, after the data changed, reads it again).
        self._vocabulary: tuple[OrganisationStore, Vocabulary] | None = None
        self._lock = threading.Lock()
        if isinstance(phraser, LangChainPhraser) and phraser.tools is None:
            phraser.tools = ChatTools(self.answerer, self.vocabulary)  # the model may call the same engines

    def vocabulary(self) -> Vocabulary:
        """The vocabulary of the organisation served, read again when its data changes (without data:
        the packaged words alone, so that questions about knowledge are still read)."""
        try:
            store = self.advisor.store()
        except (MetricsError, OSError):
            return base_vocabulary()
        with self._lock:
            cached = self._vocabulary
        if cached is not None and cached[0] is store:
            return cached[1]
        vocabulary = organisation_vocabulary(store)
        with self._lock:
            self._vocabulary = (store, vocabulary)
        return vocabulary

    def read(self, message: str, history: list[ChatTurn]) -> Understood:
        """How the message reads in this conversation."""
        readings = [turn.understood for turn in history if turn.role == "advisor" and turn.understood]
        return understand(message, self.vocabulary(), readings)

    def stream(
        self,
        message: str,
        conversation_id: str | None = None,
        *,
        owner: str,
        understood: Understood | None = None,
    ) -> Iterator[ChatToken | ChatAnswer]:
        """Tokens of the answer as they come, then the final ChatAnswer with its checked citations.

        `understood` overrides the reading of the message (the person corrected "Reading this as").
        The conversation is `owner`'s: another person's conversation id raises ConversationNotFound."""
        conversation_id = conversation_id or uuid.uuid4().hex
        message = message.strip()
        history = self.log.turns(conversation_id, owner)
        if len(message) > chat.MAX_MESSAGE_CHARS:
            reading = Understood(intent="clarify", question="Please keep the message under 4,000 characters.")
            draft = Draft(
                "clarify",
                f"That message has {len(message):,} characters; please keep it under "
                f"{chat.MAX_MESSAGE_CHARS:,} and ask one thing at a time.",
                [],
            )
        else:
            reading = understood or self.read(message, history)
            draft = self.draft(message, reading, history)
        draft.text = _without_repeats(draft.text, history)
        draft.follow_ups = draft.follow_ups or self._follow_ups(reading)
        flags: list[str] = []
        if self.phraser is None or reading.intent == "clarify":
            text = chat.linkify(draft.text, draft.citations)
            for piece in chat.stream_chunks(text):  # a few events, not one per word (issue 18)
                yield ChatToken(piece)
            citations = draft.citations
        else:
            text, citations, flags = yield from self._phrase(message, draft, history)
        _, turn_id = self.log.add(
            conversation_id,
            owner,
            [
                ChatTurn(role="user", text=message),
                ChatTurn(
                    role="advisor",
                    text=text,
                    citations=citations,
                    intent=reading.intent,
                    understood=reading,
                    flags=flags,
                    follow_ups=draft.follow_ups,
                ),
            ],
        )
        yield ChatAnswer(
            answer=text,
            citations=citations,
            conversation_id=conversation_id,
            intent=reading.intent,
            understood=reading,
            flags=flags,
            follow_ups=draft.follow_ups,
            turn_id=turn_id,
        )

    def answer(
        self,
        message: str,
        conversation_id: str | None = None,
        *,
        owner: str,
        understood: Understood | None = None,
    ) -> ChatAnswer:
        final = None
        for event in self.stream(message, conversation_id, owner=owner, understood=understood):
            if isinstance(event, ChatAnswer):
                final = event
        assert final is not None
        return final

    def draft(self, message: str, reading: Understood, history: list[ChatTurn]) -> Draft:
        """The composed answer for one reading, from the engine for its intent; a figure the data cannot
        give (no data folder yet, a period it does not cover) is said plainly instead."""
        try:
            return self._draft(message, reading, history)
        except MetricsError as error:
            return Draft(reading.intent, f"I cannot compute that from this organisation's data: {error}.", [])

    def _draft(self, message: str, reading: Understood, history: list[ChatTurn]) -> Draft:
        answerer = self.answerer
        shown = _shown(history)
        if reading.about_people:
            return answerer.people(reading)
        intent = reading.intent
        if intent == "clarify":
            return answerer.clarify(reading)
        if intent == "next_steps":
            return answerer.next_steps(reading, shown)
        if intent == "diagnose":
            return answerer.diagnose(reading) if reading.metrics else answerer.clarify(reading)
        if intent == "breakdown":
            return answerer.breakdown(reading)
        if intent == "trend":
            return answerer.trend(reading)
        if intent == "compare":
            return answerer.compare(reading)
        if intent == "status":
            return answerer.status(reading)
        if intent == "definition":
            return answerer.definition(reading)
        if intent == "what_worked":
            return answerer.what_worked(reading, message)
        if intent == "recommendations":
            return answerer.recommendations(reading, message)
        return answerer.how_to(reading, message, shown if (reading.more or reading.item) else ())

    def _phrase(
        self, message: str, draft: Draft, history: list[ChatTurn]
    ) -> Generator[ChatToken, None, tuple[str, list[Citation], list[str]]]:
        """Stream the LLM's answer (it may call the tools); keep only the sources and numbers the tools and
        the draft gave it."""
        assert self.phraser is not None
        past = [(turn.role, turn.text) for turn in history[-HISTORY_TURNS:]]
        pieces: list[str] = []
        found: list[Evidence] = []
        try:
            for piece in self.phraser.phrase(message, draft.text, draft.evidence, past, found):
                pieces.append(piece)
                yield ChatToken(piece)
        except Exception as error:  # any provider failure: the composed answer still stands
            flag = f"the language model failed ({error.__class__.__name__}); showing the composed answer"
            return chat.linkify(draft.text, draft.citations), draft.citations, [flag]
        evidence = [*draft.evidence, *found]
        known = {citation.id: citation for citation in draft.citations}
        for item in evidence:
            if item.id != "advisor":
                known.setdefault(item.id, _evidence_citation(item.id, item.title))
        sources = [message, draft.text, *(item.text for item in evidence)]
        text, cited, flags = check_answer("".join(pieces), known, sources)
        if not cited and draft.citations:
            flags.append("the model cited no source; the sources of the composed answer are listed")
            return chat.linkify(text, draft.citations), draft.citations, flags
        citations = [known[citation] for citation in cited]
        return chat.linkify(text, citations), citations, flags

    def _follow_ups(self, reading: Understood) -> list[str]:
        """Questions the person may ask next, phrased so that `understand` reads them right."""
        name = (
            METRICS_BY_ID[reading.metrics[0]].name
            if reading.metrics and reading.metrics[0] in METRICS_BY_ID
            else None
        )
        if reading.intent == "next_steps":
            return ["Why that one?", "What else?", "Show the status of our recommendations"]
        if name and reading.intent in {"status", "trend", "compare", "definition"}:
            return [f"Why is {name} where it is?", f"{name} by team", f"How do I improve {name}?"]
        if name and reading.intent == "breakdown":
            return [f"Why is {name} where it is?", f"How do I improve {name}?"]
        if name and reading.intent == "diagnose":
            return [f"How do I improve {name}?", f"What worked for us before on {name}?"]
        if reading.intent == "how_to":
            return ["What else?", "What should we improve next?"]
        return ["What should we improve next?"]


def _evidence_citation(evidence_id: str, title: str) -> Citation:
    """A citation for evidence a tool returned (a metric, a diagnosis, a document found by search)."""
    if evidence_id.startswith(("metric:", "diagnosis:")):
        metric = evidence_id.split(":", 1)[1]
        url = (
            chat.diagnosis_url(metric)
            if evidence_id.startswith("diagnosis:")
            else f"/scorecard/metrics/{metric}"
        )
        return Citation(id=evidence_id, title=title, kind="metric", url=url)
    kind = (
        "practice"
        if not evidence_id.startswith(("case:", "solution:")) and "/" not in evidence_id
        else "document"
    )
    if evidence_id.startswith("case:"):
        kind = "case"
    if evidence_id.startswith("solution:"):
        kind = "solution"
    return Citation(id=evidence_id, title=title, kind=kind, url=chat.document_url(evidence_id, kind))  # type: ignore[arg-type]


def _shown(history: list[ChatTurn]) -> list[str]:
    """The sources the last answer cited (not metrics), in order: "the second one" points into them."""
    for turn in reversed(history):
        if turn.role == "advisor":
            return [c.id for c in turn.citations if c.kind != "metric"]
    return []


def _without_repeats(text: str, history: list[ChatTurn]) -> str:
    """The answer without paragraphs the previous answer already gave, word for word."""
    previous = next((turn.text for turn in reversed(history) if turn.role == "advisor"), "")
    if not previous:
        return text
    said = {_key(paragraph) for paragraph in re.split(r"\n\s*\n", chat.unlinked(previous))}
    kept = [p for p in re.split(r"\n\s*\n", text) if _key(chat.unlinked(p)) not in said or len(p) < 60]
    if not kept:
        return "That is all I have on it beyond the last answer. Ask about another metric, team or period."
    return "\n\n".join(kept)


def _key(paragraph: str) -> str:
    return " ".join(re.sub(r"\[[^\]]*\]", "", paragraph).lower().split())
