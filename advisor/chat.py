"""Pieces of composed chat answers: search results, tracked recommendations, citations and their links."""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import quote, urlencode

from advisor.models import Citation, Recommendation, TrackedRecommendation
from advisor.outcomes import describe_outcome
from knowledge.models import Hit
from metrics.definitions import MetricDefinition
from prompts import render

MAX_MESSAGE_CHARS = 4000
#: Cosine similarity below which a passage is not considered an answer.
RELEVANCE_FLOOR = 0.25


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


def _plain_snippet(snippet: str, title: str, limit: int = 320) -> str:
    """The matched passage as one line of plain text: no leading heading that repeats the title, no Markdown
    headings, list marks, emphasis or link syntax, cut at a sentence end near `limit` characters."""
    text = " ".join(snippet.split())
    heading = re.match(r"#+\s*", text)
    if heading:
        rest = text[heading.end() :]
        text = rest[len(title) :].lstrip() if rest.startswith(title) else rest
    text = re.sub(r"(^|\s)#{1,6}\s+", r"\1", text)
    text = re.sub(r"(^|\s)(?:[-*+]|\d+\.)\s+(?=\S)", r"\1", text)
    text = re.sub(r"\[([^\]]+)\]\([^)]+\)", r"\1", text)
    text = re.sub(r"\*{1,3}|`+|(?<!\w)_{1,3}|_{1,3}(?!\w)", "", text)
    text = " ".join(text.split())
    if len(text) > limit:
        cut = text.rfind(". ", 0, limit)
        text = text[: cut + 1] if cut > limit // 3 else text[:limit].rsplit(" ", 1)[0] + "…"
    return text


def metric_citation(definition: MetricDefinition) -> Citation:
    return Citation(
        id=f"metric:{definition.id}",
        title=definition.name,
        kind="metric",
        url=f"/scorecard/metrics/{definition.id}",
    )


def diagnosis_url(metric_id: str) -> str:
    """The diagnosis page of a metric (where and since when it changed)."""
    return f"/scorecard/metrics/{metric_id}/why"


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


def linkify(text: str, citations: list[Citation]) -> str:
    """The answer as people read it: each `[id]` mark becomes a link to its source, under its title (a bold
    title right before the mark becomes the link itself); a source cited twice is linked once."""
    for citation in citations:
        mark = f"[{citation.id}]"
        if mark not in text:
            continue
        bold = f"**{citation.title}**"
        link = f"[{_link_text(citation.title)}]({citation.url})"
        if bold in text[: text.index(mark)]:
            text = text.replace(bold, f"**{link}**", 1)
        else:
            text = (
                text.replace(f" {mark}", f" ({link})", 1)
                if f" {mark}" in text
                else text.replace(mark, link, 1)
            )
        text = text.replace(f" {mark}", "").replace(mark, "")
    return re.sub(r"[ \t]+([.,;:])", r"\1", text)


def unlinked(text: str) -> str:
    """Text without the links `linkify` added (for comparing answers)."""
    text = re.sub(r" \(\[[^\]]*\]\([^)]*\)\)", "", text)
    return re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", text)


def _link_text(title: str) -> str:
    return title.replace("[", "(").replace("]", ")")
