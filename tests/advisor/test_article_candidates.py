"""Candidate articles from the demo's resolved cases, with the real embedding model: the similarity threshold
is measured on the demo's case notes, clusters hold one problem each, and drafts use the cases' own words."""

from __future__ import annotations

from itertools import combinations
from pathlib import Path

import duckdb
import numpy as np
import pytest

from advisor.article_candidates import (
    DEFAULT_MIN_SIZE,
    DEFAULT_THRESHOLD,
    case_text,
    cluster_cases,
    draft_from,
)
from advisor.article_models import CaseRef
from knowledge.embeddings import SentenceTransformerEmbedder


def _unlinked_cases(demo_dir: Path) -> list[CaseRef]:
    """The demo's resolved cases with notes and no article event, read straight from its CSV files."""
    rows = duckdb.execute(
        f"""SELECT t.id, t.subject, t.resolution, t.team, t.product FROM '{demo_dir}/tickets.csv' t
            WHERE t.resolution IS NOT NULL AND t.resolved_at IS NOT NULL AND NOT EXISTS (
              SELECT 1 FROM '{demo_dir}/ticket_events.csv' e WHERE e.ticket_id = t.id
              AND e.kind IN ('article_linked', 'article_created'))
            ORDER BY t.id"""
    ).fetchall()
    return [
        CaseRef(ticket_id=i, title=subject, notes=notes, team=team, product=product)
        for i, subject, notes, team, product in rows
    ]


@pytest.mark.slow
def test_the_threshold_separates_the_demos_problems(
    demo_dir: Path, embedder: SentenceTransformerEmbedder
) -> None:
    """Every pair of distinct notes about different problems scores under the threshold; most pairs about
    the same problem score above it (the measurement behind DEFAULT_THRESHOLD)."""
    texts = {case_text(case): case.title for case in _unlinked_cases(demo_dir)}
    vectors = np.asarray(embedder.embed(list(texts)))
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    subjects = list(texts.values())
    same: list[float] = []
    different: list[float] = []
    for i, j in combinations(range(len(subjects)), 2):
        (same if subjects[i] == subjects[j] else different).append(float(vectors[i] @ vectors[j]))
    assert len(different) > 100 and len(same) >= 5
    assert max(different) < DEFAULT_THRESHOLD
    assert sum(score >= DEFAULT_THRESHOLD for score in same) / len(same) >= 0.7


def test_candidates_are_one_problem_each_largest_first(
    demo_dir: Path, embedder: SentenceTransformerEmbedder
) -> None:
    cases = _unlinked_cases(demo_dir)
    candidates = cluster_cases(cases, embedder.embed)
    assert len(candidates) >= 5
    sizes = [candidate.size for candidate in candidates]
    assert sizes == sorted(sizes, reverse=True) and min(sizes) >= DEFAULT_MIN_SIZE
    by_id = {case.ticket_id: case for case in cases}
    for candidate in candidates:
        subjects = {by_id[ticket_id].title for ticket_id in candidate.case_ids}
        assert subjects == {candidate.title}, "a candidate mixes problems"
        assert len(candidate.case_ids) == candidate.size == len(set(candidate.case_ids))
        assert candidate.case_ids[0] == candidate.representative.ticket_id
        teams = {by_id[ticket_id].team for ticket_id in candidate.case_ids}
        assert set(candidate.teams) == teams
        assert 1 <= len(candidate.examples) <= 5
    # no case is in two candidates, and the largest problem of the demo comes first
    every = [ticket_id for candidate in candidates for ticket_id in candidate.case_ids]
    assert len(every) == len(set(every))
    counts: dict[str, int] = {}
    for case in cases:
        counts[case.title] = counts.get(case.title, 0) + 1
    assert candidates[0].title == max(counts, key=lambda title: counts[title])


def test_identical_notes_group_without_the_model() -> None:
    """Cases with the same text are one group before any embedding is compared."""
    cases = [
        CaseRef(ticket_id=f"T{n}", title="Report times out", notes="Added a date filter. It runs now.")
        for n in range(4)
    ] + [CaseRef(ticket_id="T9", title="Other", notes="Something else.")]

    def orthogonal(texts: object) -> list[list[float]]:
        return [[1.0 if i == j else 0.0 for j in range(2)] for i, _ in enumerate(texts)]  # type: ignore[arg-type]

    candidates = cluster_cases(cases, orthogonal, min_size=2)
    assert [candidate.size for candidate in candidates] == [4]
    assert candidates[0].case_ids == ["T0", "T1", "T2", "T3"]


@pytest.mark.parametrize(
    ("notes", "cause", "resolution"),
    [
        (
            "Feed token expired after 90 days. Customer re-authorised the bank connection; it imported.",
            "Feed token expired after 90 days.",
            "Customer re-authorised the bank connection; it imported.",
        ),
        ("Reconnected the feed.", "", "Reconnected the feed."),
    ],
)
def test_a_draft_takes_the_representative_cases_own_words(notes: str, cause: str, resolution: str) -> None:
    cases = [
        CaseRef(ticket_id=f"T{n}", title="Bank feed stopped", notes=notes, team="Billing") for n in range(3)
    ]

    def flat(texts: object) -> list[list[float]]:
        return [[1.0, 0.0] for _ in texts]  # type: ignore[attr-defined]

    (candidate,) = cluster_cases(cases, flat)
    draft = draft_from(candidate)
    assert draft.title == "Bank feed stopped"
    assert draft.symptoms == "Bank feed stopped."
    assert (draft.cause, draft.resolution) == (cause, resolution)
