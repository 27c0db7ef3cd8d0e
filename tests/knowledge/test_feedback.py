"""Reuse counts: votes raise a document's count, durably, show with its hits and lift it in ranking."""

from __future__ import annotations

from pathlib import Path

import pytest

from knowledge.embeddings import SentenceTransformerEmbedder
from knowledge.errors import KnowledgeError, UnknownDocument
from knowledge.feedback import ReuseCounts
from tests.knowledge.helpers import article, open_index

TWINS = [
    article("kb-1", "Reset a password", "Open the sign-in page and use the reset link in the email."),
    article("kb-2", "Reset a password", "Open the sign-in page and use the reset link in the e-mail."),
    article("kb-3", "Export invoices", "Choose CSV in billing."),
]


def test_votes_count_durably_and_show_with_the_hit(
    tmp_path: Path, embedder: SentenceTransformerEmbedder
) -> None:
    index = open_index(tmp_path, embedder)
    index.build(TWINS)
    assert index.record_feedback("kb-3", "helpful") == 1
    assert index.record_feedback("kb-3", "helpful") == 2
    assert index.record_feedback("kb-3", "solved") == 3
    hit = index.search("export invoices as csv", k=1)[0]
    assert (hit.id, hit.reuse_count) == ("kb-3", 3)
    assert hit.model_dump(mode="json", exclude={"metadata"})["reuse_count"] == 3
    # a fresh process reads the same counts
    again = ReuseCounts(tmp_path / "feedback.sqlite3")
    assert again.counts() == {"kb-3": 3}
    assert again.details("kb-3") == {"helpful": 2, "solved": 1, "reuse_count": 3}
    assert again.details("kb-1") == {"helpful": 0, "solved": 0, "reuse_count": 0}
    # a document nobody reused shows a count of 0
    other = index.search("reset password", k=1)[0]
    assert other.reuse_count == 0 and other.model_dump(mode="json")["reuse_count"] == 0


def test_unknown_documents_and_kinds_are_refused(
    tmp_path: Path, embedder: SentenceTransformerEmbedder
) -> None:
    index = open_index(tmp_path, embedder)
    index.build(TWINS[2:])
    with pytest.raises(UnknownDocument, match="no document 'nope' in the knowledge index"):
        index.record_feedback("nope", "helpful")
    with pytest.raises(KnowledgeError, match="feedback must be one of"):
        index.record_feedback("kb-3", "liked")  # type: ignore[arg-type]


def test_reuse_lifts_a_near_twin_above_the_other(
    tmp_path: Path, embedder: SentenceTransformerEmbedder
) -> None:
    index = open_index(tmp_path, embedder)
    index.build(TWINS)
    before = [hit.id for hit in index.search("reset my password", k=2)]
    assert set(before) == {"kb-1", "kb-2"}
    second = before[1]
    for _ in range(3):
        index.record_feedback(second, "solved")
    after = index.search("reset my password", k=2)
    assert after[0].id == second and after[0].reuse_count == 3
