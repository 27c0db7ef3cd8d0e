"""From fused candidates to hits: one hit per solution, with its copies and near-duplicates counted."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from knowledge.dedupe import group_near_duplicates
from knowledge.keyword import KeywordMatch, KeywordRecord
from knowledge.models import Hit
from knowledge.relevance import verdict
from knowledge.rendering import markdown_to_html, passage_markdown
from knowledge.vector_store import StoredPassage

#: Ids of other documents a hit lists (`duplicate_ids`); `duplicates` counts them all.
DUPLICATE_IDS_SHOWN = 50
_RESERVED = {
    "document_id",
    "title",
    "kind",
    "source",
    "content_hash",
    "chunk_count",
    "root",
    "copy",
    "text_key",
}


@dataclass
class Candidates:
    """What the retrievers found for one query."""

    dense: list[StoredPassage]
    keyword: list[KeywordMatch]
    #: Cosine similarity of the query and each candidate passage.
    similarity: dict[str, float]
    #: The bottom of the query's cosine scale (knowledge.fusion).
    lowest: float | None
    #: Stored vectors of candidate passages, by chunk id.
    vectors: dict[str, Sequence[float]] = field(default_factory=dict)


def assemble_hits(
    fused: Sequence[tuple[str, float]],
    k: int,
    *,
    best: Mapping[str, str],
    passages: Mapping[str, StoredPassage],
    fetch: Callable[[Sequence[str]], dict[str, StoredPassage]],
    vectors: Mapping[str, Sequence[float]],
    similarity: Mapping[str, float],
    coverage: Mapping[str, float],
    copies: Mapping[str, list[KeywordRecord]],
    votes: Mapping[str, tuple[int, int]],
    kinds: Mapping[str, str],
) -> list[Hit]:
    """The `k` best groups of `fused` (document, score; best first) as hits. A group is a document, the
    near-duplicates folded into it (knowledge.dedupe) and the copies of each one's snippet passage; its
    counts, teams and votes are those of all of them. One batched read fetches the snippet passages that
    dense search did not return."""
    documents = [document_id for document_id, _ in fused]
    groups = group_near_duplicates(
        [kinds.get(document_id, "") for document_id in documents],
        [vectors.get(best[document_id]) for document_id in documents],
        k,
    )
    wanted = [best[documents[g.lead]] for g in groups if not _has_text(passages.get(best[documents[g.lead]]))]
    known = {**passages, **fetch(wanted)}
    hits = []
    for group in groups:
        lead = documents[group.lead]
        passage = known.get(best[lead])
        if passage is None:  # removed by a build running beside this search
            continue
        members = [lead, *(documents[position] for position in group.members)]
        records = [record for member in members for record in copies.get(best[member], [])]
        everyone = list(dict.fromkeys([*members, *(record.document_id for record in records)]))
        others = [document_id for document_id in everyone if document_id != lead]
        teams = Counter(record.team for record in records if record.team)
        if not records and passage.metadata.get("team"):
            teams[str(passage.metadata["team"])] += 1
        kind_counts = Counter({record.document_id: record.kind for record in records}.values()) or Counter(
            {str(passage.metadata.get("kind", "document")): 1}
        )
        shown = round(similarity[lead], 4) if lead in similarity else None
        hit = _hit(passage, dict(fused)[lead], shown)
        hit.duplicates = len(others)
        hit.duplicate_ids = others[:DUPLICATE_IDS_SHOWN]
        hit.teams = [team for team, _ in sorted(teams.items(), key=lambda item: (-item[1], item[0]))]
        hit.kind_counts = dict(kind_counts)
        hit.reuse_count = sum(votes.get(document_id, (0, 0))[0] for document_id in everyone)
        hit.solved_count = sum(votes.get(document_id, (0, 0))[1] for document_id in everyone)
        hit.coverage = round(max((coverage.get(member, 0.0) for member in members), default=0.0), 4)
        hit.match = verdict(shown, hit.coverage)
        hits.append(hit)
    return hits


def _has_text(passage: StoredPassage | None) -> bool:
    """Dense search returns passages without their texts (fetched only for the hits shown)."""
    return passage is not None and bool(passage.text)


def _hit(passage: StoredPassage, score: float, similarity: float | None) -> Hit:
    metadata = passage.metadata
    title = str(metadata.get("title", passage.document_id))
    markdown = passage_markdown(passage.text, title)
    return Hit(
        id=passage.document_id,
        title=title,
        kind=metadata.get("kind", "document"),  # type: ignore[arg-type]
        score=round(score, 4),
        snippet=_snippet(passage.text),
        source=str(metadata.get("source", "")),
        metadata={key: value for key, value in metadata.items() if key not in _RESERVED},
        similarity=similarity,
        snippet_markdown=markdown,
        snippet_html=markdown_to_html(markdown),
    )


def _snippet(text: str, limit: int = 320) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1].rsplit(" ", 1)[0] + "…"
