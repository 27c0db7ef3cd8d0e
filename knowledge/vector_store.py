"""Chroma as the dense vector store: embedded and persistent in the index folder (server mode comes later)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import chromadb
from chromadb.config import Settings as ChromaSettings

from knowledge.models import Chunk, MetadataValue

COLLECTION = "ocmf-knowledge"


@dataclass(frozen=True)
class StoredPassage:
    chunk_id: str
    document_id: str
    distance: float
    text: str
    metadata: dict[str, MetadataValue]


class ChromaVectorStore:
    """Chunks with their embeddings, in one cosine-distance collection."""

    def __init__(self, client: Any, collection: str = COLLECTION) -> None:
        self._client = client
        self._collection = client.get_or_create_collection(
            collection, embedding_function=None, configuration={"hnsw": {"space": "cosine"}}
        )

    @classmethod
    def persistent(cls, path: Path, collection: str = COLLECTION) -> ChromaVectorStore:
        path.mkdir(parents=True, exist_ok=True)
        client = chromadb.PersistentClient(
            path=str(path), settings=ChromaSettings(anonymized_telemetry=False)
        )
        return cls(client, collection)

    def count(self) -> int:
        return int(self._collection.count())

    def stored_documents(self) -> dict[str, tuple[str, str]]:
        """`(content hash, kind)` of every stored document, by document id."""
        stored = self._collection.get(include=["metadatas"])
        documents: dict[str, tuple[str, str]] = {}
        for metadata in stored["metadatas"] or []:
            if metadata:
                documents[str(metadata["document_id"])] = (
                    str(metadata.get("content_hash", "")),
                    str(metadata.get("kind", "")),
                )
        return documents

    def add(
        self, chunks: Sequence[Chunk], embeddings: Sequence[Sequence[float]], content_hash: dict[str, str]
    ) -> None:
        if not chunks:
            return
        self._collection.upsert(
            ids=[chunk.id for chunk in chunks],
            embeddings=[list(vector) for vector in embeddings],
            documents=[chunk.text for chunk in chunks],
            metadatas=[
                {
                    **chunk.metadata,
                    "document_id": chunk.document_id,
                    "title": chunk.title,
                    "kind": chunk.kind,
                    "source": chunk.source,
                    "content_hash": content_hash[chunk.document_id],
                }
                for chunk in chunks
            ],
        )

    def delete_documents(self, document_ids: Sequence[str]) -> None:
        if document_ids:
            self._collection.delete(where={"document_id": {"$in": list(document_ids)}})

    def query(
        self, embedding: Sequence[float], n_results: int, where: dict[str, Any] | None = None
    ) -> list[StoredPassage]:
        if self.count() == 0:
            return []
        result = self._collection.query(
            query_embeddings=[list(embedding)],
            n_results=min(n_results, self.count()),
            where=where or None,
            include=["documents", "metadatas", "distances"],
        )
        passages = []
        for chunk_id, text, metadata, distance in zip(
            result["ids"][0],
            (result["documents"] or [[]])[0],
            (result["metadatas"] or [[]])[0],
            (result["distances"] or [[]])[0],
            strict=True,
        ):
            meta = dict(metadata or {})
            passages.append(
                StoredPassage(chunk_id, str(meta["document_id"]), float(distance), text or "", meta)
            )
        return passages
