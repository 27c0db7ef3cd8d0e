"""Candidate articles: resolved cases that no article covers, grouped by how alike their notes read, and a
draft pre-filled from a cluster (extractive: the representative case's own words, no LLM).

KCS: 60-90 % of support work has been done before, so a solution resolved again and again without an article is
an article waiting to be written. Cases with identical text are one group at once; groups then join the
first larger group whose representative is at least `threshold` similar (cosine of the embeddings).
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from advisor.article_models import ArticleDraft, Candidate, CaseRef

#: Cosine similarity at or above which two case texts count as the same solution. Measured on the demo's
#: case notes (tests/advisor/test_article_candidates.py): notes of one problem score 0.67-0.93, notes of
#: different problems at most 0.58, so 0.62 splits them with room on both sides.
DEFAULT_THRESHOLD = 0.62
#: A cluster smaller than this is no candidate yet (one or two cases may be one-offs).
DEFAULT_MIN_SIZE = 3
EXAMPLES = 5
_SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9])")

Embed = Callable[[Sequence[str]], list[list[float]]]


def case_text(case: CaseRef) -> str:
    """What is compared: the subject and the notes, the way the case is indexed."""
    return f"{case.title}\n\n{case.notes}".strip()


@dataclass
class _Group:
    text: str
    cases: list[CaseRef] = field(default_factory=list)


def cluster_cases(
    cases: Sequence[CaseRef],
    embed: Embed,
    *,
    threshold: float = DEFAULT_THRESHOLD,
    min_size: int = DEFAULT_MIN_SIZE,
) -> list[Candidate]:
    """Candidates from `cases` (resolved, with notes, no article linked), the largest first."""
    groups: dict[str, _Group] = {}
    for case in cases:
        text = case_text(case)
        groups.setdefault(text, _Group(text)).cases.append(case)
    ordered = sorted(groups.values(), key=lambda group: (-len(group.cases), group.text))
    if not ordered:
        return []
    vectors = np.asarray(embed([group.text for group in ordered]), dtype=np.float64)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    vectors = vectors / np.where(norms == 0, 1.0, norms)
    leaders: list[int] = []
    members: dict[int, list[int]] = {}
    for index in range(len(ordered)):
        if leaders:
            similarity = vectors[leaders] @ vectors[index]
            best = int(np.argmax(similarity))
            if similarity[best] >= threshold:
                members[leaders[best]].append(index)
                continue
        leaders.append(index)
        members[index] = [index]
    candidates = [
        _candidate([ordered[number] for number in members[leader]], vectors[members[leader]])
        for leader in leaders
    ]
    kept = [candidate for candidate in candidates if candidate.size >= min_size]
    return sorted(kept, key=lambda candidate: (-candidate.size, candidate.title))


def _candidate(groups: list[_Group], vectors: np.ndarray) -> Candidate:
    cases = [case for group in groups for case in group.cases]
    # the most common text stands for the cluster; among equals, the one closest to the others
    centre = vectors.mean(axis=0)
    best = max(range(len(groups)), key=lambda i: (len(groups[i].cases), float(vectors[i] @ centre)))
    representative = groups[best].cases[0]
    teams = [team for team, _ in Counter(case.team for case in cases if case.team).most_common()]
    products = [name for name, _ in Counter(case.product for case in cases if case.product).most_common()]
    resolved = sorted(case.resolved_at for case in cases if case.resolved_at is not None)
    examples = [groups[best].cases[0]] + [
        group.cases[0] for number, group in enumerate(groups) if number != best
    ]
    examples += [case for case in cases if case not in examples]
    ids = sorted(case.ticket_id for case in cases)
    digest = hashlib.sha1("\n".join(ids).encode("utf-8"), usedforsecurity=False).hexdigest()[:12]
    return Candidate(
        id=f"cand-{digest}",
        title=representative.title,
        size=len(cases),
        teams=teams,
        products=products,
        representative=representative,
        examples=examples[:EXAMPLES],
        case_ids=[representative.ticket_id] + [i for i in ids if i != representative.ticket_id],
        first_resolved_at=resolved[0] if resolved else None,
        last_resolved_at=resolved[-1] if resolved else None,
    )


def draft_from(candidate: Candidate) -> ArticleDraft:
    """A draft in the representative case's own words: its subject as title and symptom, the first sentence
    of its notes as the cause and the rest as the resolution (a one-sentence note is all resolution)."""
    case = candidate.representative
    sentences = [part.strip() for part in _SENTENCE.split(case.notes.strip()) if part.strip()]
    cause, resolution = (sentences[0], " ".join(sentences[1:])) if len(sentences) > 1 else ("", case.notes)
    return ArticleDraft(
        title=case.title[:300] or "Untitled article",
        symptoms=case.title.rstrip(".") + ".",
        cause=cause,
        resolution=resolution.strip(),
        product=candidate.products[0] if candidate.products else None,
    )
