"""Chroma as the dense vector store: embedded and persistent in the index folder, or a `chroma run` server."""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from knowledge.chroma_client import SharedCollection
from knowledge.models import Chunk, MetadataValue

COLLECTION = "ocmf-knowledge"
#: Chroma caps `$in` lists and batch sizes; reads and deletes go in slices of this many ids.
ID_SLICE = 500
QUERY_SLICE = 32
#: Chunk metadata: True on a passage whose text (as BM25 tokens) another document's passage already has.
COPY_FLAG = "copy"


@dataclass(frozen=True)
class StoredPassage:
    chunk_id: str
    document_id: str
    distance: float
    text: str
    metadata: dict[str, MetadataValue]
    #: The stored vector (as Chroma returns it, a numpy row), when the query asked for it (near-duplicates).
    embedding: Sequence[float] | None = None


@dataclass(frozen=True)
class StoredDocument:
    """What the store holds of one document: its content hash, kind, source folder and completeness."""

    content_hash: str
    kind: str
    root: str
    #: False when fewer chunks are stored than the document had (a build stopped half-way).
    complete: bool


class ChromaVectorStore:
    """Chunks with their embeddings, in one cosine-distance collection.

    The collection's metadata holds a `generation` that changes on every build, so a keyword index made
    from this content can tell cheaply whether it is still in step.
    """

    def __init__(self, collection: SharedCollection) -> None:
        # opened in knowledge.chroma_client: embedded (safe beside other processes) or a server
        self._collection = collection
        self._name = collection.name

    @classmethod
    def persistent(cls, path: Path, collection: str = COLLECTION) -> ChromaVectorStore:
        """Embedded Chroma, kept in `path`."""
        return cls(SharedCollection(collection, folder=path))

    @classmethod
    def server(cls, url: str, collection: str = COLLECTION) -> ChromaVectorStore:
        """A Chroma server (`chroma run`) at `url`, such as http://127.0.0.1:8001."""
        return cls(SharedCollection(collection, url=url))

    def count(self) -> int:
        return int(self._collection.count())

    # -- the generation marker ----------------------------------------------------------------------------
    def generation(self) -> str | None:
        metadata = self._collection.metadata
        value = metadata.get("generation")
        return str(value) if value else None

    def new_generation(self) -> str:
        generation = uuid.uuid4().hex
        self._collection.modify(metadata={"generation": generation})
        return generation

    def markers(self) -> dict[str, str]:
        """The collection's metadata: the generation and what was last settled for it (copies)."""
        metadata = self._collection.metadata
        return {str(key): str(value) for key, value in metadata.items() if value is not None}

    def mark(self, **values: str) -> None:
        """Record markers beside the generation (which is kept)."""
        current = self.markers()
        self._collection.modify(metadata={**current, **values})

    def chunk_metadatas(self, page: int = 5000) -> Iterator[tuple[str, dict[str, Any]]]:
        """Every stored chunk's id and metadata, a page at a time."""
        offset = 0
        while True:
            stored = self._collection.get(include=["metadatas"], limit=page, offset=offset)
            for chunk_id, metadata in zip(stored["ids"], stored["metadatas"] or [], strict=True):
                yield chunk_id, dict(metadata or {})
            if len(stored["ids"]) < page:
                return
            offset += page

    def update_metadatas(self, metadatas: dict[str, dict[str, Any]]) -> None:
        """Replace the metadata of these chunks (whole dictionaries), leaving text and vectors alone."""
        ids = list(metadatas)
        for start in range(0, len(ids), ID_SLICE):
            part = ids[start : start + ID_SLICE]
            self._collection.update(ids=part, metadatas=[metadatas[chunk_id] for chunk_id in part])

    # -- what is stored -----------------------------------------------------------------------------------
    def _all_metadatas(self, page: int = 5000) -> Iterator[dict[str, Any]]:
        offset = 0
        while True:
            stored = self._collection.get(include=["metadatas"], limit=page, offset=offset)
            metadatas = stored["metadatas"] or []
            yield from (dict(metadata) for metadata in metadatas if metadata)
            if len(stored["ids"]) < page:
                return
            offset += page

    def stored_documents(self) -> dict[str, StoredDocument]:
        """What is stored of every document, by document id."""
        found: dict[str, list[dict[str, Any]]] = {}
        for metadata in self._all_metadatas():
            found.setdefault(str(metadata["document_id"]), []).append(metadata)
        documents: dict[str, StoredDocument] = {}
        for document_id, chunks in found.items():
            first = chunks[0]
            # Indexes written before chunk counts were kept have none: take them as complete.
            expected = int(first.get("chunk_count", len(chunks)))
            hashes = {str(chunk.get("content_hash", "")) for chunk in chunks}
            documents[document_id] = StoredDocument(
                content_hash=hashes.pop() if len(hashes) == 1 else "",
                kind=str(first.get("kind", "")),
                root=str(first.get("root", "")),
                complete=len(chunks) == expected,
            )
        return documents

    def all_chunks(self, page: int = 5000) -> Iterator[StoredPassage]:
        """Every stored chunk with its text and metadata, a page at a time."""
        offset = 0
        while True:
            stored = self._collection.get(include=["documents", "metadatas"], limit=page, offset=offset)
            yield from _passages(stored["ids"], stored["documents"], stored["metadatas"])
            if len(stored["ids"]) < page:
                return
            offset += page

    def chunks_of(self, document_ids: Sequence[str]) -> list[StoredPassage]:
        """Every stored chunk of these documents, with its text and metadata."""
        passages: list[StoredPassage] = []
        for start in range(0, len(document_ids), ID_SLICE):
            stored = self._collection.get(
                where={"document_id": {"$in": list(document_ids[start : start + ID_SLICE])}},
                include=["documents", "metadatas"],
            )
            passages += _passages(stored["ids"], stored["documents"], stored["metadatas"])
        return passages

    def embeddings(self, chunk_ids: Sequence[str]) -> dict[str, Sequence[float]]:
        """Stored embeddings by chunk id (those that exist), as numpy rows (no Python floats: a search
        reads a hundred of them)."""
        if not chunk_ids:
            return {}
        stored = self._collection.get(ids=list(chunk_ids), include=["embeddings"])
        vectors = stored["embeddings"]
        if vectors is None or not len(stored["ids"]):
            return {}
        rows = np.asarray(vectors, dtype=np.float32)
        return {chunk_id: rows[number] for number, chunk_id in enumerate(stored["ids"])}

    def has_document(self, document_id: str) -> bool:
        return bool(self._collection.get(where={"document_id": document_id}, limit=1, include=[])["ids"])

    def matching(self, where: dict[str, Any] | None, limit: int) -> list[StoredPassage] | None:
        """Every chunk matching `where` with its vector and metadata (no text), or None when more than
        `limit` match: for an exact search when a filtered HNSW query comes back short."""
        stored = self._collection.get(
            where=where or None, include=["metadatas", "embeddings"], limit=limit + 1
        )
        if len(stored["ids"]) > limit:
            return None
        vectors = stored["embeddings"]
        return _passages(
            stored["ids"], None, stored["metadatas"], None, vectors if len(stored["ids"]) else None
        )

    def texts(self, chunk_ids: Sequence[str]) -> dict[str, str]:
        """Stored passage texts by chunk id (those that exist), in slices."""
        found: dict[str, str] = {}
        for start in range(0, len(chunk_ids), ID_SLICE):
            stored = self._collection.get(
                ids=list(chunk_ids[start : start + ID_SLICE]), include=["documents"]
            )
            found.update(zip(stored["ids"], [text or "" for text in stored["documents"] or []], strict=True))
        return found

    def passages(self, chunk_ids: Sequence[str]) -> dict[str, StoredPassage]:
        """Stored chunks by id (those that exist)."""
        if not chunk_ids:
            return {}
        stored = self._collection.get(ids=list(chunk_ids), include=["documents", "metadatas"])
        return {
            passage.chunk_id: passage
            for passage in _passages(stored["ids"], stored["documents"], stored["metadatas"])
        }

    # -- writing ------------------------------------------------------------------------------------------
    def add(
        self, chunks: Sequence[Chunk], embeddings: Sequence[Sequence[float]], content_hash: dict[str, str]
    ) -> None:
        """Store chunks; a chunk's metadata should say how many chunks its document has (`chunk_count`),
        so that `stored_documents` can tell a document a stopped build left half-stored."""
        if not chunks:
            return
        self._collection.upsert(
            ids=[chunk.id for chunk in chunks],
            embeddings=[list(vector) for vector in embeddings],
            documents=[chunk.text for chunk in chunks],
            metadatas=[
                {
                    COPY_FLAG: False,  # until knowledge.dedupe settles which passages are copies
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
        for start in range(0, len(document_ids), ID_SLICE):
            self._collection.delete(
                where={"document_id": {"$in": list(document_ids[start : start + ID_SLICE])}}
            )

    # -- searching ----------------------------------------------------------------------------------------
    def query(
        self, embedding: Sequence[float], n_results: int, where: dict[str, Any] | None = None
    ) -> list[StoredPassage]:
        return self.query_many([embedding], n_results, where)[0]

    def query_many(
        self,
        embeddings: Sequence[Sequence[float]],
        n_results: int,
        where: dict[str, Any] | None = None,
        *,
        with_embeddings: bool = False,
        with_texts: bool = True,
        with_metadata: bool = True,
    ) -> list[list[StoredPassage]]:
        """The nearest passages to each embedding (one Chroma call per slice of queries), with their stored
        vectors when `with_embeddings`, and without their texts unless `with_texts` (fetch the texts of what
        is shown with `texts`). Without `with_metadata` only ids and distances come back (metadata of 100
        candidates is most of a query's cost): each passage's `document_id` is then its chunk id and its
        metadata empty, for the caller to fill in from what it knows (knowledge.keyword's records).

        No count is asked first: Chroma answers fewer than `n_results` (none from an empty collection), and
        a count per query is one more round trip to a Chroma server (issue 18)."""
        if not embeddings:
            return []
        answers: list[list[StoredPassage]] = []
        include: list[Any] = ["distances"]
        include += ["metadatas"] if with_metadata else []
        include += ["documents"] if with_texts else []
        include += ["embeddings"] if with_embeddings else []
        # Chroma answers a query call with one SQL statement; too many queries at once overflow its variables.
        for start in range(0, len(embeddings), QUERY_SLICE):
            result = self._collection.query(
                query_embeddings=[list(embedding) for embedding in embeddings[start : start + QUERY_SLICE]],
                n_results=n_results,
                where=where or None,
                include=include,
            )
            vectors = result.get("embeddings") if with_embeddings else None
            for number, ids in enumerate(result["ids"]):
                answers.append(
                    _passages(
                        ids,
                        result["documents"][number] if result["documents"] else None,
                        (result["metadatas"] or [])[number] if with_metadata else None,
                        (result["distances"] or [])[number],
                        vectors[number] if vectors is not None else None,
                    )
                )
        return answers


def _passages(
    ids: Sequence[str],
    texts: Sequence[str | None] | None,
    metadatas: Sequence[Any] | None,
    distances: Sequence[float] | None = None,
    vectors: Any = None,
) -> list[StoredPassage]:
    passages = []
    for number, chunk_id in enumerate(ids):
        metadata = dict(metadatas[number] or {}) if metadatas else {}
        passages.append(
            StoredPassage(
                chunk_id,
                str(metadata.get("document_id", chunk_id)),
                float(distances[number]) if distances is not None else float("nan"),
                (texts[number] if texts else None) or "",
                metadata,
                vectors[number] if vectors is not None else None,
            )
        )
    return passages


def chroma_where(
    kinds: Sequence[str] = (),
    products: Sequence[str] = (),
    categories: Sequence[str] = (),
    audiences: Sequence[str] = (),
    *,
    originals_only: bool = False,
) -> dict[str, Any] | None:
    """A Chroma `where` clause: one of the values of every field that is given; with `originals_only`, no
    passage that is a copy of another document's (knowledge.dedupe)."""
    clauses: list[dict[str, Any]] = [{COPY_FLAG: False}] if originals_only else []
    for field, values in (("kind", kinds), ("product", products), ("audience", audiences)):
        if values:
            clauses.append({field: {"$in": list(values)}})
    if categories:
        flags = [{f"category_{category}": True} for category in categories]
        clauses.append(flags[0] if len(flags) == 1 else {"$or": flags})
    if not clauses:
        return None
    return clauses[0] if len(clauses) == 1 else {"$and": clauses}
