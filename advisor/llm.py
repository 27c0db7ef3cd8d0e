"""The optional LLM path: any LangChain chat model rephrases the composed, cited answer.

The model never adds facts of its own: it gets the question, the draft answer and the evidence (each piece
with its id), with the rule that evidence is data and never instructions. Its answer is streamed, and every
`[id]` it cites is checked against the evidence; unknown ids are removed and reported.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from langchain_core.language_models.chat_models import BaseChatModel
from langchain_core.messages import HumanMessage, SystemMessage

from advisor.settings import LLMSettings
from prompts import render

_CITATION = re.compile(r"\[([A-Za-z0-9][A-Za-z0-9:_./#-]{0,199})\]")
#: Characters that could close or fake a delimited block; everything quoted to the model is data, so they are
#: neutralised in the question, the history, the draft and the evidence alike.
_BLOCK_MARKS = str.maketrans({"<": "‹", ">": "›"})


@dataclass(frozen=True)
class Evidence:
    """One piece of evidence the answer may rest on, under the id it must be cited with."""

    id: str
    title: str
    text: str


class Phraser(Protocol):
    """Writes the final answer from a draft and its evidence, token by token."""

    def phrase(
        self, question: str, draft: str, evidence: Sequence[Evidence], history: Sequence[tuple[str, str]]
    ) -> Iterator[str]: ...


class LangChainPhraser:
    """A LangChain chat model, prompted with the templates in `prompts/`."""

    def __init__(self, model: BaseChatModel) -> None:
        self.model = model

    def phrase(
        self, question: str, draft: str, evidence: Sequence[Evidence], history: Sequence[tuple[str, str]]
    ) -> Iterator[str]:
        messages = [
            SystemMessage(render("chat_system.md")),
            HumanMessage(
                render(
                    "chat_user.md",
                    question=question.translate(_BLOCK_MARKS),
                    draft=draft.translate(_BLOCK_MARKS),
                    evidence=[
                        Evidence(
                            item.id, item.title.translate(_BLOCK_MARKS), item.text.translate(_BLOCK_MARKS)
                        )
                        for item in evidence
                    ],
                    history=[(role, text.translate(_BLOCK_MARKS)) for role, text in history],
                )
            ),
        ]
        for chunk in self.model.stream(messages):
            text = chunk.content if isinstance(chunk.content, str) else "".join(_text_parts(chunk.content))
            if text:
                yield text


def _text_parts(content: list[Any]) -> Iterator[str]:
    for part in content:
        if isinstance(part, str):
            yield part
        elif isinstance(part, dict) and isinstance(part.get("text"), str):
            yield part["text"]


def build_chat_model(settings: LLMSettings) -> BaseChatModel | None:
    """The chat model the settings name, or None for the built-in composer."""
    if settings.provider == "none":
        return None
    if not settings.model:
        raise ValueError(f"ADVISOR_LLM__MODEL must name a model for the {settings.provider} provider")
    if settings.provider == "openai":
        from langchain_openai import ChatOpenAI

        key = settings.api_key.get_secret_value() if settings.api_key else "not-needed"
        return ChatOpenAI(
            model=settings.model, base_url=settings.base_url, api_key=key, max_retries=1, timeout=60
        )  # type: ignore[arg-type]
    from langchain_ollama import ChatOllama

    return ChatOllama(model=settings.model, base_url=settings.base_url)


def check_citations(answer: str, allowed: Sequence[str]) -> tuple[str, list[str], list[str]]:
    """The answer without citations to unknown ids, the ids it cites (in order), and the ids removed."""
    known = set(allowed)
    cited: list[str] = []
    removed: list[str] = []

    def keep_or_drop(match: re.Match[str]) -> str:
        citation = match.group(1)
        if citation in known:
            if citation not in cited:
                cited.append(citation)
            return match.group(0)
        if citation not in removed:
            removed.append(citation)
        return ""

    cleaned = _CITATION.sub(keep_or_drop, answer)
    return re.sub(r"[ \t]+([.,;:])", r"\1", cleaned), cited, removed
