"""The knowledge index over the real MiniLM model and a real embedded Chroma."""

from __future__ import annotations

from pathlib import Path

import pytest

from knowledge.documents import folder_documents, practice_document
from knowledge.embeddings import SentenceTransformerEmbedder
from knowledge.errors import InvalidDocument, InvalidQuery
from knowledge.index import KnowledgeIndex
from knowledge.models import Document
from knowledge.practices import load_practices
from knowledge.vector_store import ChromaVectorStore


@pytest.fixture(scope="module")
def practice_index(
    tmp_path_factory: pytest.TempPathFactory, embedder: SentenceTransformerEmbedder
) -> KnowledgeIndex:
    index = KnowledgeIndex(embedder, ChromaVectorStore.persistent(tmp_path_factory.mktemp("chroma")))
    index.build(practice_document(practice) for practice in load_practices())
    return index


def test_the_real_model_embeds_to_unit_vectors(embedder: SentenceTransformerEmbedder) -> None:
    vectors = embedder.embed(["hand-offs between teams", "time to competency for new hires"])
    assert len(vectors) == 2 and len(vectors[0]) == 384
    assert sum(x * x for x in vectors[0]) == pytest.approx(1.0, abs=1e-4)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("tickets bounce between too many teams before anyone fixes them", {"cust-swarming-complex-cases", "cust-skills-based-routing", "cust-own-the-case-end-to-end", "cust-warm-handoff-with-context"}),
        ("new hires take months before they can work with customers alone", {"emp-peer-trust-signoff", "emp-buddy-cohorts", "emp-agent-peer-vouch", "emp-team-defines-competency", "emp-learn-from-kb-day-one", "emp-ttc-cohort-review"}),
    ],
)  # fmt: skip
def test_search_finds_the_practice_that_fits(
    practice_index: KnowledgeIndex, query: str, expected: set[str]
) -> None:
    hits = practice_index.search(query, k=3)
    # dense retrieval alone with a small model: a fitting practice is among the first three
    assert {hit.id for hit in hits} & expected
    assert all(hit.kind == "practice" and hit.snippet for hit in hits)
    assert len({hit.id for hit in hits}) == len(hits)  # grouped by document
    assert hits == sorted(hits, key=lambda hit: -hit.score)


def test_punctuation_gives_no_hits_and_huge_queries_are_refused(practice_index: KnowledgeIndex) -> None:
    assert practice_index.search("?!... ---") == []
    with pytest.raises(InvalidQuery, match="10,000 characters; the limit is 2,000"):
        practice_index.search("x" * 10_000)


def test_builds_are_incremental_and_idempotent(tmp_path: Path, embedder: SentenceTransformerEmbedder) -> None:
    index = KnowledgeIndex(embedder, ChromaVectorStore.persistent(tmp_path / "chroma"), batch_size=2)
    docs = [
        Document(
            id="a",
            title="Reset a password",
            kind="article",
            text="# Reset\n\nUse the reset link.",
            source="article:a",
        ),
        Document(
            id="b",
            title="Export invoices",
            kind="article",
            text="# Export\n\nChoose CSV in billing.",
            source="article:b",
        ),
    ]
    first = index.build(docs, remove_missing_kinds=("article",))
    assert (first.added, first.updated, first.unchanged, first.removed) == (2, 0, 0, 0)
    count = index.vectors.count()
    again = index.build(docs, remove_missing_kinds=("article",))
    assert (again.added, again.updated, again.unchanged, again.chunks) == (0, 0, 2, 0)
    assert index.vectors.count() == count
    changed = [docs[0].model_copy(update={"text": "# Reset\n\nUse the reset link in the sign-in page."})]
    report = index.build(changed, remove_missing_kinds=("article",))
    assert (report.updated, report.removed) == (1, 1)
    assert [hit.id for hit in index.search("export invoices to CSV")] == ["a"]
    # a reopened index sees the same content
    reopened = KnowledgeIndex(embedder, ChromaVectorStore.persistent(tmp_path / "chroma"))
    assert reopened.search("password reset link")[0].id == "a"


def test_folder_documents_use_front_matter_id_or_relative_path(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "vpn.md").write_text("# VPN drops\n\nRenew the certificate.", encoding="utf-8")
    (tmp_path / "kb.md").write_text("---\nid: KB-7\ntitle: Printer jams\n---\nOpen tray 2.", encoding="utf-8")
    (tmp_path / "image.png").write_bytes(b"\x89PNG")
    documents = {document.id: document for document in folder_documents(tmp_path)}
    assert set(documents) == {"KB-7", "sub/vpn.md"}
    assert documents["sub/vpn.md"].title == "VPN drops"
    assert documents["KB-7"].title == "Printer jams"


def test_binary_or_broken_files_are_named(tmp_path: Path) -> None:
    (tmp_path / "bad.md").write_bytes(b"\xff\xfe\x00binary")
    with pytest.raises(InvalidDocument, match=r"bad.md: is not UTF-8 text"):
        list(folder_documents(tmp_path))
