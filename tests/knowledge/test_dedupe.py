"""One result per solution: copies and near-duplicate resolution notes are one hit that counts them (teams,
votes, ids), settled in the real Chroma and bm25s, with the measured near-duplicate threshold."""

from __future__ import annotations

from pathlib import Path

import pytest

from knowledge.dedupe import SETTLED, TEXT_KEY, group_near_duplicates, text_key
from knowledge.embeddings import SentenceTransformerEmbedder
from knowledge.index import KnowledgeIndex
from knowledge.models import Document
from knowledge.vector_store import COPY_FLAG
from metrics.demo.resolutions import PROBLEMS
from tests.knowledge.helpers import open_index

TEAMS = ("Billing Desk", "Onboarding", "Billing Desk", "Platform Support", "Customer Success", "Technical L2")


def case(number: int, subject: str, notes: str, team: str) -> Document:
    """A resolved ticket's notes as `knowledge.documents.case_document` makes them."""
    return Document(
        id=f"case:T{number:04d}",
        title=subject,
        kind="case",
        text=f"# {subject}\n\n{notes}",
        source=f"ticket:T{number:04d}",
        metadata={"team": team, "product": "Ledger", "audience": "internal"},
    )


def demo_cases(copies: int) -> list[Document]:
    """`copies` tickets per note template of the demo generator (its 26 resolution ids), teams rotating."""
    documents = []
    number = 0
    for problems in PROBLEMS:
        for subject, notes in problems:
            for note in notes:
                for _ in range(copies):
                    documents.append(case(number, subject, note, TEAMS[number % len(TEAMS)]))
                    number += 1
    return documents


@pytest.fixture(scope="module")
def case_index(
    tmp_path_factory: pytest.TempPathFactory, embedder: SentenceTransformerEmbedder
) -> KnowledgeIndex:
    index = open_index(tmp_path_factory.mktemp("cases") / "index", embedder)
    index.build(demo_cases(12))
    return index


def test_copies_of_a_note_are_one_hit_that_counts_cases_teams_and_votes(case_index: KnowledgeIndex) -> None:
    hits = case_index.search("bank feed stopped importing transactions after the consent screen", k=10)
    ids = [hit.id for hit in hits]
    assert len(ids) == len(set(ids))
    top = hits[0]
    assert top.title == "Bank feed stopped importing transactions" and "consent screen" in top.snippet
    # the first copy by id stands for the 12; the others are counted and listed
    assert top.id == "case:T0000" and top.duplicates == 11
    assert top.duplicate_ids == [f"case:T{n:04d}" for n in range(1, 12)]
    assert top.kind_counts == {"case": 12}
    assert top.teams[0] == "Billing Desk" and set(top.teams) == set(TEAMS)
    # the other fix under the same subject is another solution, not a duplicate
    assert any("token expired" in hit.snippet for hit in hits[1:])


def test_votes_for_any_copy_count_for_the_solution(case_index: KnowledgeIndex) -> None:
    query = "payroll approver left the company, pay run stuck"
    before = case_index.search(query, k=3)[0]
    for document_id in before.duplicate_ids[:3]:
        case_index.record_feedback(document_id, "solved")
    case_index.record_feedback(before.id, "helpful")
    after = case_index.search(query, k=3)[0]
    assert after.id == before.id
    assert (after.reuse_count - before.reuse_count, after.solved_count - before.solved_count) == (4, 3)


def test_the_top_ten_holds_distinct_solutions(case_index: KnowledgeIndex) -> None:
    # 312 cases from 26 notes: without folding copies, the ten best would be one note ten times
    for query in ("bank feed not importing", "payslip problems", "problems closing the month in the ledger"):
        hits = case_index.search(query, k=10)
        notes = {hit.snippet for hit in hits}
        assert len(hits) >= 5 and len(notes) == len(hits), query


def test_agent_rewrites_fold_in_but_another_fix_does_not(
    tmp_path: Path, embedder: SentenceTransformerEmbedder
) -> None:
    subject = "Bank feed stopped importing transactions"
    note = PROBLEMS[0][0][1][0]
    other = PROBLEMS[0][0][1][1]
    documents = [
        case(1, subject, note, "Billing Desk"),
        case(2, subject, "Customer called in. " + note + " Closing the ticket.", "Onboarding"),
        case(3, subject, note.lower().replace(".", "").replace(">", ""), "Onboarding"),
        case(4, subject, other, "Technical L2"),
    ]
    index = open_index(tmp_path / "index", embedder)
    index.build(documents)
    hits = index.search("the bank renewed its consent screen and the feed stopped", k=5)
    # the best-ranked of the three leads; the other fix under the same subject is a result of its own
    assert [{hit.id, *hit.duplicate_ids} for hit in hits] == [
        {"case:T0001", "case:T0002", "case:T0003"},
        {"case:T0004"},
    ]
    assert hits[0].teams == ["Onboarding", "Billing Desk"]  # most cases first
    # case 3 has the same words as case 1 (case, punctuation): a copy, settled in Chroma
    stored = dict(index.vectors.chunk_metadatas())
    assert stored["case:T0003#0"][COPY_FLAG] is True and stored["case:T0001#0"][COPY_FLAG] is False
    assert stored["case:T0002#0"][COPY_FLAG] is False  # different words: a near-duplicate, folded at search


def test_removing_the_original_promotes_a_copy(tmp_path: Path, embedder: SentenceTransformerEmbedder) -> None:
    subject, notes = PROBLEMS[1][3]
    documents = [case(n, subject, notes[0], "Billing Desk") for n in range(4)]
    index = open_index(tmp_path / "index", embedder)
    index.build(documents)
    assert [(hit.id, hit.duplicates) for hit in index.search("approver left", k=3)] == [("case:T0000", 3)]
    index.build(documents[1:], remove_missing_kinds=("case",))
    assert [(hit.id, hit.duplicates) for hit in index.search("approver left", k=3)] == [("case:T0001", 2)]


def test_an_index_from_before_copies_were_marked_is_settled_on_first_search(
    tmp_path: Path, embedder: SentenceTransformerEmbedder
) -> None:
    subject, notes = PROBLEMS[2][0]
    documents = [case(n, subject, notes[n % 2], "Onboarding") for n in range(6)]
    index = open_index(tmp_path / "index", embedder)
    index.build(documents)
    # as an older version left it: no copy flags, no text keys, no marker
    old = {
        chunk_id: {key: value for key, value in metadata.items() if key not in (COPY_FLAG, TEXT_KEY)}
        for chunk_id, metadata in index.vectors.chunk_metadatas()
    }
    index.vectors.update_metadatas(old)
    index.vectors.mark(**{SETTLED: "never"})
    reopened = open_index(tmp_path / "index", embedder)
    hits = reopened.search("scheduled report owner was deactivated", k=5)
    assert [(hit.id, hit.duplicates) for hit in hits][:2] == [("case:T0000", 2), ("case:T0001", 2)]
    stored = dict(reopened.vectors.chunk_metadatas())
    assert stored["case:T0002#0"][TEXT_KEY] == text_key(documents[2].text)


def test_near_duplicates_group_by_kind_and_threshold() -> None:
    north, almost, east = [1.0, 0.0], [0.9, 0.43589], [0.0, 1.0]  # cos(north, almost) = 0.9
    groups = group_near_duplicates(["case", "case", "case", "solution"], [north, almost, east, almost], 10)
    assert [(g.lead, g.members) for g in groups] == [(0, [1]), (2, []), (3, [])]
    # articles and practices fold only exact copies (settled in the store), never near-duplicates
    articles = group_near_duplicates(["article", "article"], [north, almost], 10)
    assert [(g.lead, g.members) for g in articles] == [(0, []), (1, [])]
    strict = group_near_duplicates(["case", "case"], [north, almost], 10, threshold=0.95)
    assert [(g.lead, g.members) for g in strict] == [(0, []), (1, [])]
    # after `limit` groups, candidates only join existing ones (they still count)
    limited = group_near_duplicates(["case", "case", "case"], [north, east, almost], 1)
    assert [(g.lead, g.members) for g in limited] == [(0, [2])]
    # no vector (keyword search alone): a group of its own
    assert len(group_near_duplicates(["case", "case"], [None, north], 10)) == 2
