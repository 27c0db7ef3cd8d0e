"""The lean query path of the vector store: no count per query, texts only when asked (issue 18)."""

from __future__ import annotations

from pathlib import Path

from knowledge.models import Chunk
from knowledge.vector_store import ChromaVectorStore


def _chunk(number: int) -> Chunk:
    return Chunk(
        id=f"d{number}#0",
        document_id=f"d{number}",
        title=f"Document {number}",
        kind="article",
        source=f"test:{number}",
        text=f"passage number {number}",
        metadata={"chunk_count": 1},
    )


def test_queries_need_no_count_and_fetch_texts_only_when_asked(tmp_path: Path) -> None:
    store = ChromaVectorStore.persistent(tmp_path / "chroma")
    assert store.query_many([[1.0, 0.0, 0.0]], 10) == [[]]  # an empty collection answers nothing
    assert store.query_many([], 10) == []
    chunks = [_chunk(number) for number in range(3)]
    vectors = [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.7071, 0.7071, 0.0]]
    store.add(chunks, vectors, {chunk.document_id: "hash" for chunk in chunks})
    # More wanted than stored: all three, nearest first, with their texts by default.
    [found] = store.query_many([[1.0, 0.0, 0.0]], 100)
    assert [p.chunk_id for p in found] == ["d0#0", "d2#0", "d1#0"]
    assert found[0].text == "passage number 0" and found[0].distance < 1e-6
    # Ids, scores and metadata first; the texts of what is shown afterwards.
    [lean] = store.query_many([[1.0, 0.0, 0.0]], 2, with_texts=False)
    assert [(p.chunk_id, p.document_id, p.text) for p in lean] == [("d0#0", "d0", ""), ("d2#0", "d2", "")]
    assert abs(lean[1].distance - found[1].distance) < 1e-6 and lean[1].metadata["title"] == "Document 2"
    assert store.texts([p.chunk_id for p in lean]) == {"d0#0": "passage number 0", "d2#0": "passage number 2"}
