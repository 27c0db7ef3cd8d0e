"""Chat without an LLM: recognise what the person came for, and compose a cited answer from the evidence."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal
from urllib.parse import quote, urlencode

from advisor.models import Citation, Recommendation, TrackedRecommendation
from advisor.outcomes import describe_outcome
from knowledge.models import Hit
from metrics.definitions import METRICS_BY_ID, MetricDefinition
from metrics.models import GroupValue, MetricValue
from prompts import render

Intent = Literal["next_steps", "why_that", "group", "search", "metric", "recommendations", "empty"]

MAX_MESSAGE_CHARS = 4000
#: Cosine similarity below which a passage is not considered an answer.
RELEVANCE_FLOOR = 0.25

_NEXT_STEPS = re.compile(
    r"\b(improve|next step|next steps|recommend\w*|priorit\w*|focus on|what should we|where should we|weak(est)?)\b",
    re.IGNORECASE,
)
_METRIC_QUESTION = re.compile(r"\b(why|how|what)\b", re.IGNORECASE)
_METRIC_WORDS: dict[str, tuple[str, ...]] = {
    "C1b": ("csat", "satisfaction"),
    "C6": ("hand-off", "handoff", "hand off", "handoffs", "hand-offs"),
    "B2": ("time to smile",),
    "E4": ("time to competency", "competency", "onboarding of new staff"),
}


@dataclass(frozen=True)
class Understanding:
    intent: Intent
    metric_id: str | None = None
    #: For a follow-up about one team, product, channel or segment: the words that name it.
    group: str | None = None


_TRACKED = re.compile(
    r"\b(show|list|status|track\w*|progress)\b.*\brecommendations?\b|\bwhat did we (accept|start|do)\b",
    re.IGNORECASE,
)
_FOR_GROUP = re.compile(
    r"^\W*(and\s+|what\s+about\s+|how\s+about\s+)?(for|in|at)\s+(the\s+)?(?P<group>[\w &/.-]{2,60}?)\s*\??\s*$",
    re.IGNORECASE,
)
_WHY_THAT = re.compile(r"^\W*(why|how come)\b.{0,40}\b(that|this|it|one|first)\b", re.IGNORECASE)


def understand(message: str, previous: str | None = None) -> Understanding:
    """The intent of a message: a metric question, next steps, tracked recommendations, a follow-up, or a search.

    `previous` is the intent of the advisor's last answer in the conversation, for follow-ups such as
    "why that one?".
    """
    text = message.strip()
    if not re.search(r"\w", text):
        return Understanding("empty")
    if previous == "next_steps" and _WHY_THAT.search(text) and len(text) <= 60:
        return Understanding("why_that")
    follow_up = _FOR_GROUP.match(text)
    if previous in {"next_steps", "metric", "group"} and follow_up and len(text) <= 80:
        return Understanding("group", mentioned_metric(text), follow_up.group("group").strip())
    if _TRACKED.search(text):
        return Understanding("recommendations")
    metric_id = mentioned_metric(text)
    if metric_id and _METRIC_QUESTION.search(text) and not re.search(r"\bimprove\b", text, re.IGNORECASE):
        return Understanding("metric", metric_id)
    if _NEXT_STEPS.search(text):
        return Understanding("next_steps", metric_id)
    return Understanding("search")


def mentioned_metric(text: str) -> str | None:
    for metric_id in METRICS_BY_ID:
        if re.search(rf"\b{re.escape(metric_id)}\b", text, re.IGNORECASE):
            return metric_id
    lowered = text.lower()
    for metric_id, words in _METRIC_WORDS.items():
        if any(word in lowered for word in words):
            return metric_id
    return None


def compose_empty() -> tuple[str, list[Citation]]:
    return "Ask me what to improve next, how a metric is computed, or how to solve a problem.", []


def compose_next_steps(recommendations: list[Recommendation], period: str) -> tuple[str, list[Citation]]:
    answer = render("chat_next_steps.md", recommendations=recommendations, period=period)
    citations = [practice_citation(rec) for rec in recommendations]
    metric_ids = dict.fromkeys(target for rec in recommendations for target in rec.targets)
    citations += [
        metric_citation(METRICS_BY_ID[metric_id]) for metric_id in metric_ids if metric_id in METRICS_BY_ID
    ]
    return answer, citations


def compose_why(recommendations: list[Recommendation]) -> tuple[str, list[Citation]]:
    answer = render("chat_why.md", recommendations=recommendations)
    return answer, [practice_citation(rec) for rec in recommendations]


def compose_tracked(tracked: list[TrackedRecommendation]) -> tuple[str, list[Citation]]:
    answer = render("chat_tracked.md", tracked=tracked, describe_outcome=describe_outcome)
    seen: dict[str, Citation] = {}
    for rec in tracked:
        seen.setdefault(rec.practice_id, practice_citation(rec))
    return answer, list(seen.values())


def practice_citation(recommendation: Recommendation) -> Citation:
    return Citation(
        id=recommendation.practice_id,
        title=recommendation.title,
        kind="practice",
        url=f"/practices/{recommendation.practice_id}",
    )


def compose_group(
    dimension: str, group: str, metrics: list[tuple[MetricValue, GroupValue]], period: str
) -> tuple[str, list[Citation]]:
    answer = render("chat_group.md", dimension=dimension, group=group, rows=metrics, period=period)
    return answer, [
        metric_citation(METRICS_BY_ID[metric.id]) for metric, _ in metrics if metric.id in METRICS_BY_ID
    ]


def compose_unknown_group(words: str, known: dict[str, list[str]]) -> tuple[str, list[Citation]]:
    return render("chat_group.md", unknown=words, known=known), []


def compose_search(hits: list[Hit], limit: int = 4) -> tuple[str, list[Citation]]:
    """The relevant hits, each distinct text once: cases solved the same way are one entry ("and 3 more
    cases like it"), so four copies of one note never crowd out the other answers."""
    # `similarity` is the cosine of query and passage; keyword-only hits (None) already passed the index's
    # own floor on the share of the query's terms they match.
    relevant = [hit for hit in hits if hit.similarity is None or hit.similarity >= RELEVANCE_FLOOR]
    distinct: dict[str, SearchEntry] = {}
    for hit in relevant:
        snippet = _plain_snippet(hit.snippet, hit.title)
        key = " ".join(snippet.lower().split())
        if key in distinct:
            distinct[key].alike += 1
        elif len(distinct) < limit:
            distinct[key] = SearchEntry(hit, snippet)
    entries = list(distinct.values())
    answer = render("chat_search.md", entries=entries)
    return answer, [hit_citation(entry.hit) for entry in entries]


@dataclass
class SearchEntry:
    """One distinct answer found by search, and how many other documents say the same."""

    hit: Hit
    snippet: str
    alike: int = 0


def _plain_snippet(snippet: str, title: str) -> str:
    """The matched passage on one line, without a leading Markdown heading that repeats the title."""
    text = " ".join(snippet.split())
    heading = re.match(r"#+\s*", text)
    if heading:
        rest = text[heading.end() :]
        text = rest[len(title) :].lstrip() if rest.startswith(title) else rest
    return text


def compose_metric(metric: MetricValue, period: str) -> tuple[str, list[Citation]]:
    definition = METRICS_BY_ID[metric.id]
    answer = render(
        "chat_metric.md", metric=metric, period=period, formula=definition.formula, choices=definition.choices
    )
    return answer, [metric_citation(definition)]


def metric_citation(definition: MetricDefinition) -> Citation:
    return Citation(
        id=f"metric:{definition.id}",
        title=definition.name,
        kind="metric",
        url=f"/scorecard/metrics/{definition.id}",
    )


def hit_citation(hit: Hit) -> Citation:
    return Citation(id=hit.id, title=hit.title, kind=hit.kind, url=document_url(hit.id, hit.kind))


def document_url(document_id: str, kind: str) -> str:
    """Where a cited document leads in the web app: its practice or article page, the recommendation a
    solution came from, or the stored text of any other document (a case, a file from an indexed folder)."""
    if kind == "practice":
        return f"/practices/{quote(document_id, safe='')}"
    if kind == "article":
        return f"/articles/{quote(document_id, safe='')}"
    if kind == "solution" and document_id.startswith("solution:"):
        return f"/recommendations#rec-{quote(document_id.removeprefix('solution:'), safe='')}"
    return f"/knowledge/document?{urlencode({'id': document_id})}"
