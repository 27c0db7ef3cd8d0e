"""The bm25s keyword index: tokens, persistence, and staying in step with Chroma through every build."""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path

import pytest

from knowledge.embeddings import SentenceTransformerEmbedder
from knowledge.index import SYNC_CHECK_SECONDS, KnowledgeIndex
from knowledge.keyword import KeywordIndex, tokenize
from tests.knowledge.helpers import article, open_index

DOCS = [
    article("a", "Reset a password", "Use the reset link on the sign-in page.", product="accounts"),
    article("b", "Export invoices", "Choose CSV in billing to export every invoice.", product="billing"),
    article(
        "c",
        "Printer jams",
        "\n\n".join(
            f"## Tray {n}\n\n" + f"Open tray {n} and remove the jammed paper sheet. " * 12
            for n in range(1, 6)
        ),
    ),
]


def chroma_chunk_ids(index: KnowledgeIndex) -> list[str]:
    stored = index.vectors.stored_documents()
    return sorted(passage.chunk_id for passage in index.vectors.chunks_of(sorted(stored)))


def keyword_ids(index: KnowledgeIndex, query: str) -> list[str]:
    return [hit.id for hit in index.search(query, k=5, mode="keyword")]


def test_tokens_are_lowercased_stemmed_words_without_stop_words() -> None:
    assert tokenize("The tickets are bouncing between Teams!") == ["ticket", "bounc", "team"]
    assert tokenize("E-4711 in 2026") == ["4711", "2026"]
    # the English stemmer leaves other languages' words whole
    assert tokenize("Passwörter zurücksetzen") == ["passwörter", "zurücksetzen"]
    assert tokenize("?! -- a") == []


def test_keyword_index_persists_and_reopens(tmp_path: Path, embedder: SentenceTransformerEmbedder) -> None:
    index = open_index(tmp_path, embedder)
    index.build(DOCS)
    assert keyword_ids(index, "invoice csv") == ["b"]
    assert (tmp_path / "keyword" / "manifest.json").is_file()
    reopened = KeywordIndex(tmp_path / "keyword")
    assert reopened.loaded and len(reopened) == len(index.keywords or [])
    assert reopened.generation == index.vectors.generation()
    assert [match.document_id for match in reopened.search("invoice csv", 5)] == ["b"]


def test_builds_keep_keywords_in_step_with_chroma(
    tmp_path: Path, embedder: SentenceTransformerEmbedder
) -> None:
    index = open_index(tmp_path, embedder, batch_size=2)
    index.build(DOCS, remove_missing_kinds=("article",))
    assert index.keywords is not None
    assert sorted(index.keywords.chunk_ids()) == chroma_chunk_ids(index)
    assert len(chroma_chunk_ids(index)) > 3  # the printer article has several passages
    changed = [
        DOCS[0].model_copy(update={"text": "# Reset a password\n\nAsk the helpdesk for a one-time code."}),
        DOCS[2],
    ]
    report = index.build(changed, remove_missing_kinds=("article",))
    assert (report.updated, report.removed, report.unchanged) == (1, 1, 1)
    assert sorted(index.keywords.chunk_ids()) == chroma_chunk_ids(index)
    assert keyword_ids(index, "one-time code") == ["a"]
    assert keyword_ids(index, "reset link sign-in") == ["a"]  # title still matches, the old link text is gone
    assert keyword_ids(index, "sign-in link") == []
    assert keyword_ids(index, "invoice csv") == []
    # the same content again changes nothing, and the keyword folder keeps its generation
    generation = index.keywords.generation
    assert index.build(changed, remove_missing_kinds=("article",)).chunks == 0
    assert index.keywords.generation == generation


def test_a_lost_or_stale_keyword_folder_is_rebuilt_from_chroma(
    tmp_path: Path, embedder: SentenceTransformerEmbedder
) -> None:
    index = open_index(tmp_path, embedder)
    index.build(DOCS[:2])
    # another process (or a stop between the two renames) leaves leftovers and no keyword folder
    (tmp_path / ".keyword.tmp-123").mkdir()
    (tmp_path / ".keyword.tmp-123" / "records.jsonl").write_text("{broken", encoding="utf-8")
    for path in sorted((tmp_path / "keyword").rglob("*"), reverse=True):
        path.unlink() if path.is_file() else path.rmdir()
    (tmp_path / "keyword").rmdir()
    fresh = open_index(tmp_path, embedder)
    assert fresh.keywords is not None and not fresh.keywords.loaded
    assert keyword_ids(fresh, "invoice csv") == ["b"]
    assert not (tmp_path / ".keyword.tmp-123").exists()
    # a second index object over the same folder builds; the first notices Chroma moved on at its next
    # check (at most one a second, so a busy server does not read Chroma's markers on every query)
    other = open_index(tmp_path, embedder)
    other.build([DOCS[2]])
    time.sleep(SYNC_CHECK_SECONDS)
    assert keyword_ids(fresh, "jammed paper tray") == ["c"]


class StopsAfter:
    """The real embedder, interrupted (as by Ctrl-C or a crash) after `calls` batches."""

    def __init__(self, embedder: SentenceTransformerEmbedder, calls: int) -> None:
        self.embedder, self.calls, self.name = embedder, calls, embedder.name

    def embed(self, texts: Sequence[str]) -> list[list[float]]:
        if self.calls == 0:
            raise KeyboardInterrupt
        self.calls -= 1
        return self.embedder.embed(texts)


def test_an_interrupted_build_resumes_without_duplicates(
    tmp_path: Path, embedder: SentenceTransformerEmbedder
) -> None:
    interrupted = open_index(tmp_path, embedder, batch_size=1)
    interrupted.embedder = StopsAfter(embedder, calls=1)
    with pytest.raises(KeyboardInterrupt):
        interrupted.build(DOCS)
    assert set(interrupted.vectors.stored_documents()) == {"a"}
    resumed = open_index(tmp_path, embedder, batch_size=1)
    report = resumed.build(DOCS)
    assert (report.added, report.unchanged) == (2, 1)
    ids = chroma_chunk_ids(resumed)
    assert len(ids) == len(set(ids)) == resumed.vectors.count()
    assert resumed.keywords is not None and sorted(resumed.keywords.chunk_ids()) == ids


def test_a_half_stored_document_is_stored_again(
    tmp_path: Path, embedder: SentenceTransformerEmbedder
) -> None:
    index = open_index(tmp_path, embedder)
    index.build(DOCS)
    printer = sorted(p.chunk_id for p in index.vectors.chunks_of(["c"]))
    index.vectors._collection.delete(ids=printer[-1:])  # as if a build had stopped inside Chroma's write
    assert index.vectors.stored_documents()["c"].complete is False
    report = index.build(DOCS)
    assert (report.updated, report.unchanged) == (1, 2)
    assert sorted(p.chunk_id for p in index.vectors.chunks_of(["c"])) == printer
    assert index.keywords is not None and sorted(index.keywords.chunk_ids()) == chroma_chunk_ids(index)
