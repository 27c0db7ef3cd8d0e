"""One result per solution: copies and near-duplicates of a passage are one hit that says how often it was seen.

Two levels. *Copies* (passages with the same words once case, punctuation, stop words and word endings are
set aside: the same BM25 tokens) are settled in the store: the first by chunk id is the original, the others
carry `copy: True` in Chroma and are masked in BM25, so a resolution note logged 200 times takes one place
among the candidates instead of crowding out every other answer. *Near-duplicates* (the same resolution in
other words) are merged at query time: a case or prior solution whose passage vector has a cosine of at least
`DUPLICATE_SIMILARITY` with a better hit's of the same kind is folded into it.

`DUPLICATE_SIMILARITY` is measured, not guessed: `benchmarks/dedupe.py` labels pairs of the demo's
resolution notes as duplicates when the generator wrote them from the same note template (its resolution
id), rewrites each the way agents vary a note, and takes the threshold with the best F1 on half of the
subjects, checked on the other half; docs/search-dedupe-and-relevance.md has the figures.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from knowledge.keyword import tokenize, tokens_key
from knowledge.vector_store import COPY_FLAG, ChromaVectorStore

#: Cosine similarity (MiniLM, passage vectors) at or above which two hits of one kind are the same
#: solution. Measured by benchmarks/dedupe.py on 208 agent-style rewrites of the demo's 26 note templates
#: (728 duplicate pairs, 704 hard negatives under a shared subject): the best F1 was at 0.79 tuned on half the
#: subjects (held out: precision 0.94, recall 0.97) and 0.81 tuned on the other half (held out: 0.997, 0.94);
#: 0.80 on all pairs: precision 0.97, recall 0.97 (docs/search-dedupe-and-relevance.md).
DUPLICATE_SIMILARITY = 0.80
#: Kinds whose near-duplicates fold together: resolution notes, what the threshold was measured on. Other
#: kinds (practices, articles, files) fold only exact copies: two articles on one topic are kept apart.
NEAR_DUPLICATE_KINDS = frozenset({"case", "solution"})
#: Chunk metadata holding the passage's text key.
TEXT_KEY = "text_key"
#: Collection markers: the generation whose copies were last settled, and how many copies it has (searches of
#: a store without copies skip the Chroma filter, which costs about 25 ms a query at 9,000 passages).
SETTLED = "copies_settled"
COPIES = "copies"


def text_key(text: str) -> str:
    """Equal for passages with the same words (as BM25 sees them): the copy test."""
    return tokens_key(tokenize(text))


def settle_copies(vectors: ChromaVectorStore, generation: str | None) -> int:
    """Mark every stored passage that repeats an earlier one (by chunk id) as a copy, and unmark the rest;
    returns how many passages changed. Keys missing in older indexes are computed from the stored text."""
    stored = dict(vectors.chunk_metadatas())
    missing = [chunk_id for chunk_id, metadata in stored.items() if TEXT_KEY not in metadata]
    texts = vectors.texts(missing) if missing else {}
    keys = {
        chunk_id: str(metadata[TEXT_KEY]) if TEXT_KEY in metadata else text_key(texts.get(chunk_id, ""))
        for chunk_id, metadata in stored.items()
    }
    seen: set[str] = set()
    changed: dict[str, dict[str, object]] = {}
    copies = 0
    for chunk_id in sorted(stored):
        is_copy = keys[chunk_id] in seen
        copies += is_copy
        seen.add(keys[chunk_id])
        metadata = stored[chunk_id]
        if metadata.get(COPY_FLAG) is not is_copy or TEXT_KEY not in metadata:
            changed[chunk_id] = {**metadata, COPY_FLAG: is_copy, TEXT_KEY: keys[chunk_id]}
    if changed:
        vectors.update_metadatas(changed)
    vectors.mark(**{SETTLED: generation or "", COPIES: str(copies)})
    return len(changed)


def has_copies(markers: dict[str, str]) -> bool:
    """Whether the settled store holds copies (True when unknown)."""
    return markers.get(COPIES, "1") != "0"


def is_settled(markers: dict[str, str]) -> bool:
    return markers.get(SETTLED) == (markers.get("generation") or "")


@dataclass
class Group:
    """A hit with the near-duplicates folded into it (positions in the candidate list)."""

    lead: int
    members: list[int] = field(default_factory=list)


def group_near_duplicates(
    kinds: Sequence[str],
    vectors: Sequence[Sequence[float] | None],
    limit: int,
    *,
    threshold: float = DUPLICATE_SIMILARITY,
) -> list[Group]:
    """Candidates in ranked order folded into at most `limit` groups: a candidate joins the first group
    whose lead has the same kind and a cosine of at least `threshold` with it (unit vectors; a candidate
    without a vector stays on its own). Candidates after the `limit`-th group only join groups."""
    groups: list[Group] = []
    # Every candidate's cosine with every other, in one product (a search has a few hundred candidates).
    rows = {position: row for row, position in enumerate(i for i, v in enumerate(vectors) if v is not None)}
    matrix = np.asarray([vectors[position] for position in rows], dtype=np.float32)
    similarity = matrix @ matrix.T if rows else np.zeros((0, 0), dtype=np.float32)
    leads: list[int] = []  # the matrix rows of the groups that have a vector
    owners: list[int] = []  # which group each of `leads` belongs to
    for position, kind in enumerate(kinds):
        mine = rows.get(position)
        if mine is not None and leads:
            similar = similarity[mine, leads]
            match = next(
                (
                    owners[row]
                    for row in np.flatnonzero(similar >= threshold)
                    if kinds[groups[owners[row]].lead] == kind and kind in NEAR_DUPLICATE_KINDS
                ),
                None,
            )
            if match is not None:
                groups[match].members.append(position)
                continue
        if len(groups) < limit:
            if mine is not None:
                leads.append(mine)
                owners.append(len(groups))
            groups.append(Group(position))
    return groups
