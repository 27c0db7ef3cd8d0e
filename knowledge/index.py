"""The knowledge index: incremental builds by content hash, and search grouped by document."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from knowledge.chunking import chunk_document
from knowledge.embeddings import Embedder
from knowledge.errors import InvalidQuery
from knowledge.models import Chunk, Document, Hit
from knowledge.vector_store import ChromaVectorStore, StoredPassage

MAX_QUERY_CHARS = 2000
_WORD = re.compile(r"\w", re.UNICODE)


@dataclass(frozen=True)
class BuildReport:
    added: int
    updated: int
    unchanged: int
    removed: int
    chunks: int


def content_hash(document: Document) -> str:
    """Changes whenever anything that is indexed about the document changes."""
    payload = "\x1f".join(
        [
            document.title,
            document.kind,
            document.source,
            document.text,
            repr(sorted(document.metadata.items())),
        ]
    )
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


class KnowledgeIndex:
    """Practices and prior solutions, embedded once, searchable by meaning."""

    def __init__(self, embedder: Embedder, vectors: ChromaVectorStore, *, batch_size: int = 128) -> None:
        self.embedder = embedder
        self.vectors = vectors
        self.batch_size = batch_size

    def is_empty(self) -> bool:
        return self.vectors.count() == 0

    def build(
        self, documents: Iterable[Document], *, remove_missing_kinds: Sequence[str] = ()
    ) -> BuildReport:
        """Embed new and changed documents; drop documents of `remove_missing_kinds` that are gone."""
        stored = self.vectors.stored_documents()
        documents = list(documents)
        wanted = {document.id: content_hash(document) for document in documents}
        changed = [
            document for document in documents if stored.get(document.id, ("", ""))[0] != wanted[document.id]
        ]
        gone = [
            document_id
            for document_id, (_, kind) in stored.items()
            if document_id not in wanted and kind in remove_missing_kinds
        ]
        self.vectors.delete_documents([document.id for document in changed if document.id in stored] + gone)
        total = 0
        batch: list[Chunk] = []
        # A batch always holds whole documents, so an interrupted build never leaves a document half-stored
        # under its final hash: the next build sees it as missing and embeds it again.
        for document in changed:
            batch.extend(chunk_document(document))
            if len(batch) >= self.batch_size:
                total += self._store(batch, wanted)
                batch = []
        total += self._store(batch, wanted)
        updated = sum(document.id in stored for document in changed)
        return BuildReport(
            added=len(changed) - updated,
            updated=updated,
            unchanged=len(documents) - len(changed),
            removed=len(gone),
            chunks=total,
        )

    def _store(self, chunks: list[Chunk], hashes: dict[str, str]) -> int:
        if chunks:
            self.vectors.add(chunks, self.embedder.embed([chunk.text for chunk in chunks]), hashes)
        return len(chunks)

    def search(self, query: str, k: int = 5, *, kinds: Sequence[str] = ()) -> list[Hit]:
        """The `k` best documents for `query`, each with its best-matching passage as the snippet."""
        query = query.strip()
        if len(query) > MAX_QUERY_CHARS:
            raise InvalidQuery(f"the query has {len(query):,} characters; the limit is {MAX_QUERY_CHARS:,}")
        if not _WORD.search(query):
            return []
        where: dict[str, Any] | None = {"kind": {"$in": list(kinds)}} if kinds else None
        passages = self.vectors.query(self.embedder.embed([query])[0], n_results=max(k * 5, 20), where=where)
        best: dict[str, StoredPassage] = {}
        for passage in passages:
            if passage.document_id not in best or passage.distance < best[passage.document_id].distance:
                best[passage.document_id] = passage
        ranked = sorted(best.values(), key=lambda passage: passage.distance)[:k]
        return [_hit(passage) for passage in ranked]


def _hit(passage: StoredPassage) -> Hit:
    metadata = passage.metadata
    reserved = {"document_id", "title", "kind", "source", "content_hash"}
    return Hit(
        id=passage.document_id,
        title=str(metadata.get("title", passage.document_id)),
        kind=metadata.get("kind", "document"),  # type: ignore[arg-type]
        score=round(1.0 - passage.distance, 4),
        snippet=_snippet(passage.text),
        source=str(metadata.get("source", "")),
        metadata={key: value for key, value in metadata.items() if key not in reserved},
    )


def _snippet(text: str, limit: int = 320) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1].rsplit(" ", 1)[0] + "…"
