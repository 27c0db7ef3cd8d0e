"""The optional LLM path: any LangChain chat model answers from the composed, cited draft and may call the
advisor's tools (diagnose, breakdown, trend, status, search) through LangChain tool calling.

The model never adds facts of its own: it gets the question, the draft answer and the evidence (each piece
with its id), with the rule that evidence is data and never instructions. Its answer is streamed, then
checked against what the draft and the tools gave it: every `[id]` and link it cites must be one of their
sources, and every number must be one of their numbers; anything else is removed and flagged.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from langchain_core.language_models.chat_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage, ToolMessage

from advisor.settings import LLMSettings
from prompts import render

if TYPE_CHECKING:
    from advisor.models import Citation

_CITATION = re.compile(r"\[([A-Za-z0-9][A-Za-z0-9:_./#-]{0,199})\](?!\()")
_LINK = re.compile(r"\[([^\]]+)\]\(([^)\s]+)\)")
_NUMBER = re.compile(r"(?<![\w.])[-+]?\d[\d,]*(?:\.\d+)?")
#: Rounds of tool calls the model may make before it must answer.
MAX_TOOL_ROUNDS = 3
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
    """Writes the final answer from a draft and its evidence, token by token. Evidence that tools return on
    the way is appended to `found`."""

    def phrase(
        self,
        question: str,
        draft: str,
        evidence: Sequence[Evidence],
        history: Sequence[tuple[str, str]],
        found: list[Evidence] | None = None,
    ) -> Iterator[str]: ...


class Toolbox(Protocol):
    """The advisor's engines as tools: their JSON schemas, and a call that returns evidence."""

    def specs(self) -> list[dict[str, Any]]: ...

    def call(self, name: str, arguments: dict[str, Any]) -> list[Evidence]: ...


class LangChainPhraser:
    """A LangChain chat model, prompted with the templates in `prompts/`, with the advisor's tools bound."""

    def __init__(self, model: BaseChatModel, tools: Toolbox | None = None) -> None:
        self.model = model
        self.tools = tools

    def phrase(
        self,
        question: str,
        draft: str,
        evidence: Sequence[Evidence],
        history: Sequence[tuple[str, str]],
        found: list[Evidence] | None = None,
    ) -> Iterator[str]:
        messages: list[BaseMessage] = [
            SystemMessage(render("chat_system.md", tools=self.tools is not None)),
            HumanMessage(
                render(
                    "chat_user.md",
                    question=question.translate(_BLOCK_MARKS),
                    draft=draft.translate(_BLOCK_MARKS),
                    evidence=[_quoted(item) for item in evidence],
                    history=[(role, text.translate(_BLOCK_MARKS)) for role, text in history],
                )
            ),
        ]
        model: Any = self.model.bind_tools(self.tools.specs()) if self.tools is not None else self.model
        for _ in range(MAX_TOOL_ROUNDS + 1):
            gathered: Any = None
            for chunk in model.stream(messages):
                gathered = chunk if gathered is None else gathered + chunk
                text = (
                    chunk.content if isinstance(chunk.content, str) else "".join(_text_parts(chunk.content))
                )
                if text:
                    yield text
            calls = list(getattr(gathered, "tool_calls", None) or [])
            if not calls or self.tools is None:
                return
            messages.append(AIMessage(content=gathered.content or "", tool_calls=calls))
            for call in calls:
                try:
                    results = self.tools.call(call["name"], dict(call.get("args") or {}))
                except (KeyError, ValueError, TypeError) as error:
                    results = [Evidence("tool-error", "tool error", f"{call['name']} failed: {error}")]
                if found is not None:
                    found.extend(item for item in results if item.id != "tool-error")
                content = "\n\n".join(
                    f'<evidence id="{item.id}" title="{item.title}">\n{item.text}\n</evidence>'
                    for item in map(_quoted, results)
                )
                messages.append(ToolMessage(content=content or "nothing found", tool_call_id=call["id"]))


def _quoted(item: Evidence) -> Evidence:
    return Evidence(item.id, item.title.translate(_BLOCK_MARKS), item.text.translate(_BLOCK_MARKS))


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


def check_answer(
    answer: str, known: dict[str, Citation], sources: Sequence[str]
) -> tuple[str, list[str], list[str]]:
    """The model's answer kept to its sources: citations and links to unknown sources are removed, and so is
    every sentence with a number that none of `sources` (the draft and the tools' outputs) holds. Returns
    the cleaned answer, the cited ids (in order) and the flags saying what was removed."""
    text, cited, removed = check_citations(answer, list(known))
    flags = [f"removed a citation to an unknown source: [{citation}]" for citation in removed]
    urls = {citation.url: citation.id for citation in known.values()}

    def keep_link(match: re.Match[str]) -> str:
        url = match.group(2)
        if url in urls:
            if urls[url] not in cited:
                cited.append(urls[url])
            return match.group(0)
        flags.append(f"removed a link to an unknown source: {url}")
        return match.group(1)

    text = _LINK.sub(keep_link, text)
    supported = [_number(value) for source in sources for value in _NUMBER.findall(source)]
    kept_lines = []
    for line in text.split("\n"):
        sentences = re.split(r"(?<=[.!?])\s+", line)
        kept = []
        for sentence in sentences:
            bare = re.sub(r"^\s*\d+\.\s", "", _LINK.sub(r"\1", sentence))
            numbers = [value for value in _NUMBER.findall(bare) if not _is_small_ordinal(value)]
            missing = [value for value in numbers if not _supported(value, supported)]
            if missing:
                flags.append(
                    f"removed a sentence with a number no tool returned ({missing[0]}): {sentence.strip()[:120]}"
                )
                continue
            kept.append(sentence)
        kept_lines.append(" ".join(kept))
    return "\n".join(kept_lines).strip(), cited, flags


def _number(text: str) -> float | None:
    try:
        return float(text.replace(",", "").lstrip("+"))
    except ValueError:
        return None


def _is_small_ordinal(text: str) -> bool:
    value = _number(text)
    return value is not None and value.is_integer() and 0 <= value <= 10


def _supported(text: str, supported: Sequence[float | None]) -> bool:
    """Whether a number of the answer is one of the sources' numbers (at the answer's rounding)."""
    value = _number(text)
    if value is None:
        return True
    digits = len(text.split(".", 1)[1]) if "." in text else 0
    return any(
        source is not None and (round(source, digits) == value or round(abs(source), digits) == abs(value))
        for source in supported
    )
