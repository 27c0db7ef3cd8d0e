"""The index's build state (knowledge.build_state), in one process: a build that stops midway leaves the index
marked incomplete, a one-document build after it does not hide that, and a whole build completes it."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pytest

from knowledge.embeddings import Embedder
from knowledge.index import KnowledgeIndex
from knowledge.keyword import KeywordIndex
from knowledge.models import Document
from knowledge.vector_store import ChromaVectorStore


class StopsAfter:
    """The real model, until the `calls`-th batch: then the build stops as a killed one would, half-way."""

    def __init__(self, inner: Embedder, calls: int) -> None:
        self.inner = inner
        self.calls = calls
        self.name = inner.name

    def embed(self, texts: Sequence[str]) -> list[list[float]]:
        self.calls -= 1
        if self.calls < 0:
            raise KeyboardInterrupt("stopped")
        return self.inner.embed(texts)


def _documents(count: int) -> list[Document]:
    return [
        Document(
            id=f"note:{n}",
            title=f"Printer P{n}",
            kind="article",
            text=f"When printer P{n} jams, reset tray {n % 4} and check the rollers.",
            source=f"note-{n}",
        )
        for n in range(count)
    ]


def test_a_stopped_build_is_incomplete_until_a_whole_build(tmp_path: Path, embedder: Embedder) -> None:
    vectors = ChromaVectorStore.persistent(tmp_path / "index")
    documents = _documents(12)
    stopping = KnowledgeIndex(
        StopsAfter(embedder, 1), vectors, KeywordIndex(tmp_path / "keyword"), batch_size=4
    )
    assert stopping.build_state().complete  # new and empty: nothing unfinished
    with pytest.raises(KeyboardInterrupt):
        stopping.build(documents, remove_missing_kinds=("article",))

    index = KnowledgeIndex(embedder, vectors, KeywordIndex(tmp_path / "keyword"), batch_size=4)
    state = index.build_state()
    assert not state.complete and state.expected == 12 and not state.alive
    assert "incomplete" in state.describe()
    assert 0 < len(vectors.stored_documents()) < 12
    assert index.search("printer jams", 3)  # what is there is searchable

    index.build(_documents(13)[12:])  # one more document (a published article): still incomplete
    assert not index.build_state().complete

    whole = len(vectors.stored_documents())
    report = index.build(_documents(13), remove_missing_kinds=("article",))
    assert index.build_state().complete
    # only what was missing is embedded
    assert (report.unchanged, report.added, report.updated) == (whole, 13 - whole, 0)
    assert set(vectors.stored_documents()) == {f"note:{n}" for n in range(13)}
