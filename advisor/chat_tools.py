"""The advisor's engines as LLM tools (diagnose, breakdown, trend, status, search): the same answers the
composer gives, returned as evidence the model must cite."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from advisor.answering import Draft
from advisor.answering_advice import AdviceAnswerer
from advisor.llm import Evidence
from advisor.models import DateRange, Understood
from advisor.understanding import understand
from advisor.vocabulary import Vocabulary
from metrics.definitions import METRICS_BY_ID
from metrics.models import Period

_METRIC = {"type": "string", "description": "metric id (for example C6) or name (for example hand-offs)"}
_PERIOD = {"type": "string", "description": "optional period START..END with ISO dates, END excluded"}
_GROUP = {
    "type": "object",
    "description": 'optional filter, dimension to group name, for example {"team": "Billing Desk"}',
    "additionalProperties": {"type": "string"},
}
_BY = {"type": "string", "enum": ["team", "product", "channel", "segment"]}
SPECS: list[dict[str, Any]] = [
    {
        "type": "function",
        "function": {
            "name": "status",
            "description": "A metric's value, n and status for a period, optionally for one group.",
            "parameters": {
                "type": "object",
                "properties": {"metric": _METRIC, "filters": _GROUP, "period": _PERIOD},
                "required": ["metric"],
            },
        },
    },
    {
        "type": "function",
        "function": {
            "name": "breakdown",
            "description": "A metric per team, product, channel or segment (never per person).",
            "parameters": {
                "type": "object",
                "properties": {"metric": _METRIC, "by": _BY, "period": _PERIOD},
                "required": ["metric", "by"],
            },
        },
    },
    {
        "type": "function",
        "function": {
            "name": "trend",
            "description": "A metric's monthly values.",
            "parameters": {
                "type": "object",
                "properties": {"metric": _METRIC, "period": _PERIOD},
                "required": ["metric"],
            },
        },
    },
    {
        "type": "function",
        "function": {
            "name": "diagnose",
            "description": "Why a metric moved: the groups that hold the change, since when, what was tried.",
            "parameters": {
                "type": "object",
                "properties": {"metric": _METRIC, "period": _PERIOD},
                "required": ["metric"],
            },
        },
    },
    {
        "type": "function",
        "function": {
            "name": "search",
            "description": "Search practices, knowledge articles, solved cases and prior solutions.",
            "parameters": {
                "type": "object",
                "properties": {"query": {"type": "string"}},
                "required": ["query"],
            },
        },
    },
]


class ChatTools:
    """Runs a tool call with the composer's engines; each result is the evidence it rests on."""

    def __init__(self, answerer: AdviceAnswerer, vocabulary: Callable[[], Vocabulary]) -> None:
        self.answerer = answerer
        self.vocabulary = vocabulary

    def specs(self) -> list[dict[str, Any]]:
        return SPECS

    def call(self, name: str, arguments: dict[str, Any]) -> list[Evidence]:
        answerer = self.answerer
        if name == "search":
            query = str(arguments.get("query", "")).strip()
            if not query:
                raise ValueError("search needs a query")
            draft = answerer.how_to(understand(query, self.vocabulary()), query)
            return _evidence(draft)
        reading = Understood(
            intent="status",
            metrics=[self._metric(str(arguments.get("metric", "")))],
            filters={str(k): str(v) for k, v in dict(arguments.get("filters") or {}).items()},
            by=arguments.get("by"),
            period=_period(arguments.get("period")),
        )
        engines: dict[str, Callable[[Understood], Draft]] = {
            "status": answerer.status,
            "breakdown": answerer.breakdown,
            "trend": answerer.trend,
            "diagnose": answerer.diagnose,
        }
        if name not in engines:
            raise ValueError(f"there is no tool {name!r}")
        return _evidence(engines[name](reading))

    def _metric(self, words: str) -> str:
        if words in METRICS_BY_ID:
            return words
        found = understand(words, self.vocabulary()).metrics
        if not found:
            raise ValueError(f"no metric is called {words!r}")
        return found[0]


def _period(text: Any) -> DateRange | None:
    if not text:
        return None
    period = Period.parse(str(text))
    return DateRange(start=period.start, end=period.end)


def _evidence(draft: Draft) -> list[Evidence]:
    """The draft as evidence: its text under each source it cites (so any of them may be cited)."""
    if not draft.citations:
        return [Evidence("advisor", "the advisor", draft.text)] if draft.text else []
    return [Evidence(citation.id, citation.title, draft.text) for citation in draft.citations]
