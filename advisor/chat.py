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
#: A composed answer is complete at once: it streams in pieces of about this many characters, so the page
#: shows it progressively without one server-sent event per word (issue 18).
STREAM_CHUNK_CHARS = 240
#: Cosine similarity below which a passage is not considered an answer.
RELEVANCE_FLOOR = 0.25


def stream_chunks(text: str, size: int = STREAM_CHUNK_CHARS) -> list[str]:
    """`text` in a few pieces of about `size` characters, cut after whitespace; they join back to `text`."""
    chunks: list[str] = []
    current = ""
    for piece in re.findall(r"\s*\S+\s*", text) or ([text] if text else []):
        current += piece
        if len(current) >= size:
            chunks.append(current)
            current = ""
    if current:
        chunks.append(current)
    return chunks


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


def compose_search(hits: list[Hit], limit: int = 4, query: str = "") -> tuple[str, list[Citation]]:
    """The relevant hits, one per solution (search folds copies and near-duplicates into one hit, "seen in 37
    cases"), each with its passage as Markdown. When no hit is a good match (knowledge.relevance) the answer
    says so, lists the nearest as possibly related, and offers to capture an article for `query`."""
    # `similarity` is the cosine of query and passage; keyword-only hits (None) already passed the index's
    # own floor on the share of the query's terms they match.
    relevant = [hit for hit in hits if hit.similarity is None or hit.similarity >= RELEVANCE_FLOOR]
    good = [hit for hit in relevant if hit.match == "good"]
    shown = good or relevant[: min(limit, WEAK_SHOWN)]
    distinct: dict[str, SearchEntry] = {}
    for hit in shown:
        snippet = _plain_snippet(hit.snippet, hit.title)
        key = " ".join(snippet.lower().split())
        if key in distinct:  # hits from an index without duplicate counts
            distinct[key].alike += 1
        elif len(distinct) < limit:
            distinct[key] = SearchEntry(hit, snippet, passage=_quoted(hit))
    entries = list(distinct.values())
    answer = render(
        "chat_search.md",
        entries=entries,
        good=bool(good),
        capture=capture_url(query) if query and not good else None,
        usage_line=usage_line,
    )
    return answer, [hit_citation(entry.hit) for entry in entries]


#: Possibly related hits a chat answer shows when nothing is a good match.
WEAK_SHOWN = 3


@dataclass
class SearchEntry:
    """One distinct answer found by search, and how many other documents say the same."""

    hit: Hit
    snippet: str
    alike: int = 0
    #: The passage as a Markdown block quote (headings and lists kept), or "" without one.
    passage: str = ""


def _quoted(hit: Hit) -> str:
    """The hit's passage as a Markdown block quote; the chat renders and sanitises the answer."""
    markdown = hit.snippet_markdown.strip()
    return "\n".join(f"> {line}".rstrip() for line in markdown.splitlines()) if markdown else ""


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


_KIND_PLURALS = {
    "case": ("case", "cases"),
    "article": ("knowledge article", "knowledge articles"),
    "solution": ("prior solution", "prior solutions"),
    "practice": ("practice", "practices"),
    "document": ("document", "documents"),
}


def usage_line(hit: Hit) -> str | None:
    """How often a solution was used, for new staff to trust it: "Seen in 37 cases, across Billing Desk,
    Onboarding and 3 more teams; marked as solving it 12 times". None for a single document nobody marked."""
    seen = hit.duplicates + 1
    parts: list[str] = []
    if seen > 1:
        kinds = [kind for kind, count in hit.kind_counts.items() if count]
        one, many = (
            _KIND_PLURALS.get(kinds[0], ("document", "documents")) if len(kinds) == 1 else ("", "documents")
        )
        phrase = f"Seen in {seen:,} {many if seen != 1 else one}"
        if len(hit.teams) == 1:
            phrase += f", by {hit.teams[0]}"
        elif len(hit.teams) == 2:
            phrase += f", across {hit.teams[0]} and {hit.teams[1]}"
        elif len(hit.teams) > 2:
            rest = len(hit.teams) - 2
            phrase += f", across {hit.teams[0]}, {hit.teams[1]} and {rest} more team{'s' if rest > 1 else ''}"
        parts.append(phrase)
    if hit.solved_count:
        times = (
            "once"
            if hit.solved_count == 1
            else "twice"
            if hit.solved_count == 2
            else f"{hit.solved_count:,} times"
        )
        parts.append(f"marked as solving it {times}")
    if not parts:
        return None
    text = "; ".join(parts)
    return text[0].upper() + text[1:]


def capture_url(query: str) -> str:
    """Where to capture a new article for a question the knowledge does not answer (the KCS loop)."""
    return "/knowledge/articles/new?" + urlencode({"title": " ".join(query.split())[:200]})


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
    return Citation(
        id=hit.id,
        title=hit.title,
        kind=hit.kind,
        url=document_url(hit.id, hit.kind),
        duplicates=hit.duplicates,
        duplicate_ids=hit.duplicate_ids,
        usage=usage_line(hit),
        good_match=hit.match == "good",
    )


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
