"""Chat: from a message to a cited answer, streamed; composed without an LLM, phrased by one when configured."""

from __future__ import annotations

import re
import uuid
from collections.abc import Generator, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from advisor import chat
from advisor.conversation_store import ConversationStore
from advisor.llm import Evidence, Phraser, check_citations
from advisor.models import ChatAnswer, ChatTurn, Citation
from advisor.outcomes import describe_outcome
from metrics.models import Dimension

if TYPE_CHECKING:
    from advisor.service import Advisor

#: Earlier turns handed to the LLM, so that follow-ups keep their context.
HISTORY_TURNS = 6


@dataclass(frozen=True)
class ChatToken:
    """A piece of the answer as it is written."""

    text: str


@dataclass
class Draft:
    """The composed answer and the evidence behind it."""

    intent: chat.Intent
    text: str
    citations: list[Citation]
    evidence: list[Evidence] = field(default_factory=list)
    follow_ups: list[str] = field(default_factory=list)


class ChatResponder:
    """Understands a message, drafts a cited answer from the advisor's evidence, and streams it."""

    def __init__(self, advisor: Advisor, phraser: Phraser | None, log: ConversationStore) -> None:
        self.advisor = advisor
        self.phraser = phraser
        self.log = log

    def stream(
        self, message: str, conversation_id: str | None = None, *, owner: str
    ) -> Iterator[ChatToken | ChatAnswer]:
        """Tokens of the answer as they come, then the final ChatAnswer with its checked citations.

        The conversation is `owner`'s: another person's conversation id raises ConversationNotFound."""
        conversation_id = conversation_id or uuid.uuid4().hex
        message = message.strip()
        history = self.log.turns(conversation_id, owner)
        draft = self._draft(message, history)
        draft.follow_ups = self._follow_ups(draft)
        flags: list[str] = []
        if self.phraser is None or draft.intent == "empty":
            text = draft.text
            for piece in re.findall(r"\S+\s*", text):
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
                    intent=draft.intent,
                    flags=flags,
                    follow_ups=draft.follow_ups,
                ),
            ],
        )
        yield ChatAnswer(
            answer=text,
            citations=citations,
            conversation_id=conversation_id,
            intent=draft.intent,
            flags=flags,
            follow_ups=draft.follow_ups,
            turn_id=turn_id,
        )

    def answer(self, message: str, conversation_id: str | None = None, *, owner: str) -> ChatAnswer:
        final = None
        for event in self.stream(message, conversation_id, owner=owner):
            if isinstance(event, ChatAnswer):
                final = event
        assert final is not None
        return final

    def _phrase(
        self, message: str, draft: Draft, history: list[ChatTurn]
    ) -> Generator[ChatToken, None, tuple[str, list[Citation], list[str]]]:
        """Stream the LLM's wording of the draft; keep only citations to the evidence it was given."""
        assert self.phraser is not None
        past = [(turn.role, turn.text) for turn in history[-HISTORY_TURNS:]]
        pieces: list[str] = []
        try:
            for piece in self.phraser.phrase(message, draft.text, draft.evidence, past):
                pieces.append(piece)
                yield ChatToken(piece)
        except Exception as error:  # any provider failure: the composed answer still stands
            flag = f"the language model failed ({error.__class__.__name__}); showing the composed answer"
            return draft.text, draft.citations, [flag]
        by_id = {citation.id: citation for citation in draft.citations}
        text, cited, removed = check_citations("".join(pieces), list(by_id))
        flags = [f"removed a citation to an unknown source: [{citation}]" for citation in removed]
        if not cited and draft.citations:
            flags.append("the model cited no source; the sources of the composed answer are listed")
            return text, draft.citations, flags
        return text, [by_id[citation] for citation in cited], flags

    def _follow_ups(self, draft: Draft) -> list[str]:
        """Questions the person may ask next, each phrased so that `chat.understand` reads it right."""
        metric_ids = [c.id.removeprefix("metric:") for c in draft.citations if c.kind == "metric"]
        group = next((team for team in map(self._a_team, metric_ids) if team), None)
        if draft.intent == "next_steps":
            asks = ["Why that one?"]
            if group:
                asks.append(f"And for the {group}?")
            return [*asks, "Show the status of our recommendations"]
        if draft.intent in {"metric", "group"}:
            asks = [f"And for the {group}?"] if group and draft.intent == "metric" else []
            return [*asks, "What should we improve next?"]
        if draft.intent == "recommendations":
            return ["What should we improve next?"]
        if draft.intent == "empty":
            return ["What should we improve next?", "How is Time to Smile (B2) measured?"]
        return ["What should we improve next?"]

    def _a_team(self, metric_id: str) -> str | None:
        """The largest team shown (not suppressed) in the metric's drill-down, to suggest as a follow-up."""
        try:
            metric = self.advisor.scorecard(by="team").metric(metric_id)
        except KeyError:
            return None
        shown = [group for group in metric.groups if not group.suppressed and group.n]
        return max(shown, key=lambda group: group.n or 0).group if shown else None

    def _draft(self, message: str, history: list[ChatTurn]) -> Draft:
        if len(message) > chat.MAX_MESSAGE_CHARS:
            text = (
                f"That message has {len(message):,} characters; please keep it under "
                f"{chat.MAX_MESSAGE_CHARS:,} and ask one thing at a time."
            )
            return Draft("empty", text, [])
        understanding = chat.understand(message, previous=_last_intent(history))
        advisor = self.advisor
        if understanding.intent == "empty":
            return Draft("empty", *chat.compose_empty())
        if understanding.intent == "metric" and understanding.metric_id:
            scorecard = advisor.scorecard()
            metric = scorecard.metric(understanding.metric_id)
            text, citations = chat.compose_metric(metric, _period_label(advisor))
            return Draft("metric", text, citations, [Evidence(f"metric:{metric.id}", metric.name, text)])
        if understanding.intent == "next_steps":
            recommendations = advisor.next_steps(limit=3)
            text, citations = chat.compose_next_steps(recommendations, _period_label(advisor))
            evidence = [
                Evidence(
                    rec.practice_id, rec.title, f"{rec.why}\nSteps:\n{rec.steps}\nMeasure:\n{rec.measure}"
                )
                for rec in recommendations
            ]
            return Draft("next_steps", text, citations, evidence)
        if understanding.intent == "why_that":
            recommendations = advisor.next_steps(limit=1)
            text, citations = chat.compose_why(recommendations)
            evidence = [Evidence(rec.practice_id, rec.title, text) for rec in recommendations]
            return Draft("next_steps", text, citations, evidence)
        if understanding.intent == "group" and understanding.group:
            return self._group_draft(understanding.group, understanding.metric_id, history)
        if understanding.intent == "recommendations":
            tracked = advisor.recommendations.list(organisation=advisor.organisation())
            text, citations = chat.compose_tracked(tracked)
            evidence = [
                Evidence(
                    rec.practice_id,
                    rec.title,
                    "; ".join(describe_outcome(o) for o in rec.outcomes) or rec.status,
                )
                for rec in tracked
            ]
            return Draft("recommendations", text, citations, evidence)
        hits = advisor.search(message, k=12)  # collapsed to four distinct answers
        text, citations = chat.compose_search(hits)
        relevant = {citation.id for citation in citations}
        evidence = [Evidence(hit.id, hit.title, hit.snippet) for hit in hits if hit.id in relevant]
        return Draft("search", text, citations, evidence)

    def _group_draft(self, words: str, metric_id: str | None, history: list[ChatTurn]) -> Draft:
        """A follow-up such as "and for the Billing Desk?": the metrics in question for that group."""
        advisor = self.advisor
        wanted = [metric_id] if metric_id else _metrics_in_context(history)
        if not wanted:
            wanted = [target for rec in advisor.next_steps(limit=1) for target in rec.targets]
        known: dict[str, list[str]] = {}
        for dimension in DIMENSIONS:
            card = advisor.scorecard(by=dimension)
            rows = []
            for wanted_id in wanted:
                try:
                    metric = card.metric(wanted_id)
                except KeyError:
                    continue
                known.setdefault(dimension, sorted({group.group for group in metric.groups}))
                match = next((group for group in metric.groups if _same_name(group.group, words)), None)
                if match is not None:
                    rows.append((metric, match))
            if rows:
                text, citations = chat.compose_group(
                    dimension, rows[0][1].group, rows, _period_label(advisor)
                )
                evidence = [Evidence(f"metric:{metric.id}", metric.name, text) for metric, _ in rows]
                return Draft("group", text, citations, evidence)
        text, citations = chat.compose_unknown_group(
            words, {key: names for key, names in known.items() if names}
        )
        return Draft("group", text, citations)


DIMENSIONS: tuple[Dimension, ...] = ("team", "product", "channel", "segment")


def _same_name(name: str, words: str) -> bool:
    simple = " ".join(words.lower().replace("the ", " ").split())
    return name.lower() == simple or (len(simple) >= 4 and simple in name.lower())


def _metrics_in_context(history: list[ChatTurn]) -> list[str]:
    """The metrics the advisor's last answer was about (its metric citations)."""
    for turn in reversed(history):
        if turn.role == "advisor":
            return [c.id.removeprefix("metric:") for c in turn.citations if c.kind == "metric"]
    return []


def _last_intent(history: list[ChatTurn]) -> str | None:
    for turn in reversed(history):
        if turn.role == "advisor" and turn.intent:
            return turn.intent
    return None


def _period_label(advisor: Advisor) -> str:
    period = advisor.scorecard().period
    return f"{period.start.isoformat()}..{period.end.isoformat()}"
