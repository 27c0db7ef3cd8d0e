"""The knowledge index over the real MiniLM model and a real embedded Chroma: builds and reports."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pytest

from knowledge.embeddings import SentenceTransformerEmbedder
from knowledge.index import KnowledgeIndex
from knowledge.models import Document
from knowledge.vector_store import ChromaVectorStore
from tests.knowledge.helpers import open_index


def test_the_real_model_embeds_to_unit_vectors(embedder: SentenceTransformerEmbedder) -> None:
    vectors = embedder.embed(["hand-offs between teams", "time to competency for new hires"])
    assert len(vectors) == 2 and len(vectors[0]) == 384
    assert sum(x * x for x in vectors[0]) == pytest.approx(1.0, abs=1e-4)


def test_builds_are_incremental_and_idempotent(tmp_path: Path, embedder: SentenceTransformerEmbedder) -> None:
    index = open_index(tmp_path, embedder, batch_size=2)
    docs = [
        Document(id="a", title="Reset a password", kind="article", text="# Reset\n\nUse the reset link.", source="article:a"),
        Document(id="b", title="Export invoices", kind="article", text="# Export\n\nChoose CSV in billing.", source="article:b"),
    ]  # fmt: skip
    seen: list[tuple[int, int]] = []
    first = index.build(
        docs, remove_missing_kinds=("article",), progress=lambda done, total: seen.append((done, total))
    )
    assert (first.added, first.updated, first.unchanged, first.removed) == (2, 0, 0, 0)
    assert seen[0] == (0, 2) and seen[-1] == (2, 2)
    assert first.embedding_seconds > 0 and first.storing_seconds > 0
    count = index.vectors.count()
    again = index.build(docs, remove_missing_kinds=("article",))
    assert (again.added, again.updated, again.unchanged, again.chunks) == (0, 0, 2, 0)
    assert index.vectors.count() == count
    changed = [docs[0].model_copy(update={"text": "# Reset\n\nUse the reset link in the sign-in page."})]
    report = index.build(changed, remove_missing_kinds=("article",))
    assert (report.updated, report.removed) == (1, 1)
    assert [hit.id for hit in index.search("export invoices to CSV", k=5)] in ([], ["a"])
    # a reopened index sees the same content
    reopened = open_index(tmp_path, embedder)
    assert reopened.search("password reset link")[0].id == "a"


def test_without_a_keyword_index_search_is_dense(
    tmp_path: Path, embedder: SentenceTransformerEmbedder
) -> None:
    index = KnowledgeIndex(embedder, ChromaVectorStore.persistent(tmp_path))
    index.build(
        [
            Document(
                id="a",
                title="VPN drops",
                kind="document",
                text="# VPN drops\n\nRenew the certificate.",
                source="a.md",
            )
        ]
    )
    assert [hit.id for hit in index.search("vpn certificate renewal")] == ["a"]
    assert index.search("vpn", mode="keyword") == []
    assert index.reuse_count("a") == 0


def test_removed_folders_lose_their_deleted_files(
    tmp_path: Path, embedder: SentenceTransformerEmbedder
) -> None:
    from knowledge.documents import folder_documents

    folder = tmp_path / "notes"
    folder.mkdir()
    (folder / "one.md").write_text("# One\n\nThe first note about printers.", encoding="utf-8")
    (folder / "two.md").write_text("# Two\n\nThe second note about scanners.", encoding="utf-8")
    index = open_index(tmp_path / "index", embedder)
    index.build(folder_documents(folder), remove_missing_roots=[str(folder.resolve())])
    (folder / "three.md").write_text(
        "---\nkind: article\n---\n# Three\n\nAn article kept as a file.", encoding="utf-8"
    )
    index.build(folder_documents(folder), remove_missing_roots=[str(folder.resolve())])
    (folder / "two.md").unlink()
    report = index.build(folder_documents(folder), remove_missing_roots=[str(folder.resolve())])
    assert (report.removed, report.unchanged) == (1, 2)
    assert set(index.vectors.stored_documents()) == {"one.md", "three.md"}
    # a build that does not name the folder (`advisor index` alone) leaves its files, whatever their kind
    report = index.build([], remove_missing_kinds=("practice", "article", "solution"))
    assert report.removed == 0 and set(index.vectors.stored_documents()) == {"one.md", "three.md"}


def test_repeated_text_is_embedded_once_per_build(
    tmp_path: Path, embedder: SentenceTransformerEmbedder
) -> None:
    class Counting:
        name = embedder.name

        def __init__(self) -> None:
            self.texts: list[str] = []

        def embed(self, texts: Sequence[str]) -> list[list[float]]:
            self.texts += texts
            return embedder.embed(texts)

    counting = Counting()
    index = open_index(tmp_path, counting)
    body = "# Export invoices\n\nChoose CSV in the billing settings."
    copies = [
        Document(id=f"kb-{n}", title="Export invoices", kind="article", text=body, source=f"article:kb-{n}")
        for n in range(5)
    ]
    report = index.build(copies)
    assert report.chunks == 5 and len(counting.texts) == 1
    # copies are one result that counts them (knowledge.dedupe): the first by id stands for the others
    hits = index.search("export invoices csv", k=5)
    assert [(hit.id, hit.duplicates) for hit in hits] == [("kb-0", 4)]
    assert hits[0].duplicate_ids == [f"kb-{n}" for n in range(1, 5)] and hits[0].kind_counts == {"article": 5}
