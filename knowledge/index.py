"""The knowledge index: incremental builds by content hash, and hybrid search grouped by document."""

from __future__ import annotations

import hashlib
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from knowledge import build_state as states
from knowledge.build_state import BuildState
from knowledge.chunking import chunk_document
from knowledge.dedupe import TEXT_KEY, has_copies, is_settled, settle_copies, text_key
from knowledge.embeddings import Embedder
from knowledge.errors import InvalidQuery, UnknownDocument
from knowledge.feedback import ReuseCounts
from knowledge.fusion import (
    KEYWORD_WEIGHT,
    convex_fusion,
    fuse_with_reuse,
    keyword_weight,
    rrf_with_reuse,
)
from knowledge.hits import Candidates, assemble_hits
from knowledge.key_sentences import key_sentences
from knowledge.keyword import KeywordIndex, KeywordMatch
from knowledge.models import Chunk, Document, FeedbackKind, Hit, SearchFilters, SearchMode
from knowledge.vector_store import ID_SLICE, ChromaVectorStore, StoredPassage, chroma_where

#: The longest query searched: the chat box's limit (advisor.chat.MAX_MESSAGE_CHARS), so a pasted e-mail that
#: the chat takes is searched too, by its key sentences (knowledge.key_sentences).
MAX_QUERY_CHARS = 4000
#: Passages less similar to the query than this do not count as matches (keyword matches that hold most of
#: the query's terms excepted, see KEYWORD_COVERAGE): with MiniLM, unrelated texts score about 0.0-0.25
#: (even keyboard noise reaches 0.25 against the practices), so a message about something the index does
#: not hold finds nothing rather than the least unrelated documents. It is the floor the chat used on
#: dense scores before search was hybrid.
DEFAULT_MIN_SIMILARITY = 0.25
#: A keyword match below the similarity floor still counts when its passage holds this share of the query's
#: term weight (IDF): "what does E-4711 mean" is about the one passage with E-4711 in it, however little
#: MiniLM makes of the code, while "tell me a joke" matching "tell" somewhere is not evidence of anything.
KEYWORD_COVERAGE = 0.6
#: Searches look for a build by another process (a new generation) at most this often; a build in this
#: process is seen at once.
SYNC_CHECK_SECONDS = 1.0
#: A dense search that comes back short is redone exactly over the passages its filter allows, when at most
#: this many (knowledge.vector_store.matching).
EXACT_SEARCH_LIMIT = 5000
#: Passages each retriever hands to fusion. Fixed rather than a multiple of k (for k up to 10), because fusion
#: normalises similarities over the candidates: asking for 3 hits or 10 must not change their order.
CANDIDATES = 100
#: Query vectors a search remembers (KnowledgeIndex._query_vectors).
QUERY_CACHE_SIZE = 1024
#: Dense search asks for this many times its candidates and drops copies itself (KnowledgeIndex._originals).
OVERFETCH = 2
_WORD = re.compile(r"\w", re.UNICODE)

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class BuildReport:
    added: int
    updated: int
    unchanged: int
    removed: int
    chunks: int
    embedding_seconds: float = 0.0
    storing_seconds: float = 0.0
    keyword_seconds: float = 0.0


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


def validate_query(query: str) -> str | None:
    """The query to search for; None when it has no letter or digit; InvalidQuery when it is too long."""
    query = query.strip()
    if len(query) > MAX_QUERY_CHARS:
        raise InvalidQuery(f"the query has {len(query):,} characters; the limit is {MAX_QUERY_CHARS:,}")
    return query if _WORD.search(query) else None


class KnowledgeIndex:
    """Practices and prior solutions: embedded in Chroma, tokenised for BM25, searched with both.

    Without a keyword index only dense search is available; without reuse counts every count is 0.
    """

    def __init__(
        self,
        embedder: Embedder,
        vectors: ChromaVectorStore,
        keywords: KeywordIndex | None = None,
        reuse: ReuseCounts | None = None,
        *,
        batch_size: int = 256,
        min_similarity: float = DEFAULT_MIN_SIMILARITY,
        keyword_weight: float = KEYWORD_WEIGHT,
    ) -> None:
        self.embedder = embedder
        self.vectors = vectors
        self.keywords = keywords
        self.reuse = reuse
        self.batch_size = batch_size
        self.min_similarity = min_similarity
        #: The keyword share of hybrid scores for a query whose terms one passage holds (knowledge.fusion).
        self.keyword_weight = keyword_weight
        self._sync_lock = threading.Lock()
        #: Whether the store holds copies to leave out of dense search (knowledge.dedupe).
        self._copies = True
        #: When the store was last checked for a new generation (searches check at most once a second).
        self._checked = -SYNC_CHECK_SECONDS
        self._cache: OrderedDict[str, list[float]] = OrderedDict()
        self._cache_lock = threading.Lock()

    def is_empty(self) -> bool:
        return self.vectors.count() == 0

    def build_state(self) -> BuildState:
        """Whether the last whole build finished (knowledge.build_state): a killed one leaves it incomplete."""
        return states.read_state(self.vectors)

    # -- building -----------------------------------------------------------------------------------------
    def build(
        self,
        documents: Iterable[Document],
        *,
        remove_missing_kinds: Sequence[str] = (),
        remove_missing_roots: Sequence[str] = (),
        progress: Progress | None = None,
    ) -> BuildReport:
        """Embed new and changed documents and drop those that are gone; then bring BM25 in step.

        A stored document that is not among `documents` is removed when it was read from a folder in
        `remove_missing_roots`, or, when it came from no folder, its kind is in `remove_missing_kinds`. `progress` is
        called with (passages done, passages to do) as batches are stored.
        """
        stored = self.vectors.stored_documents()
        documents = list(documents)
        wanted = {document.id: content_hash(document) for document in documents}
        changed = [
            document
            for document in documents
            if document.id not in stored
            or stored[document.id].content_hash != wanted[document.id]
            or not stored[document.id].complete
        ]
        gone = [
            document_id
            for document_id, document in stored.items()
            if document_id not in wanted
            and (
                document.root in remove_missing_roots
                if document.root
                else document.kind in remove_missing_kinds
            )
        ]
        # recorded before anything changes: a build killed from here on is seen as unfinished (build_state)
        whole = bool(remove_missing_kinds)  # it brings every kind in step: a whole build
        before = states.mark_building(self.vectors, len(documents), tuple(remove_missing_roots))
        started = time.perf_counter()
        self.vectors.delete_documents([document.id for document in changed if document.id in stored] + gone)
        storing = time.perf_counter() - started
        chunked = [_counted(chunk_document(document)) for document in changed]
        total = sum(len(chunks) for chunks in chunked)
        if progress is not None:
            progress(0, total)
        embedding = 0.0
        done = 0
        batch: list[Chunk] = []
        memo: dict[str, list[float]] = {}
        # A batch always holds whole documents, and every chunk records its document's chunk count, so a
        # build that stops half-way leaves documents that the next build sees as incomplete and redoes.
        for number, chunks in enumerate(chunked):
            batch.extend(chunks)
            if len(batch) < self.batch_size and number < len(chunked) - 1:
                continue
            if batch:
                started = time.perf_counter()
                vectors = _embed_once(self.embedder, [chunk.text for chunk in batch], memo)
                embedding += time.perf_counter() - started
                started = time.perf_counter()
                self.vectors.add(batch, vectors, wanted)
                storing += time.perf_counter() - started
                done += len(batch)
                if progress is not None:
                    progress(done, total)
            batch = []
        started = time.perf_counter()
        if changed or gone:
            building = states.building_markers(self.vectors)
            self.vectors.new_generation()
            self.vectors.mark(**building)  # a new generation replaces the markers
        self.sync_keywords()  # settles which passages are copies first (knowledge.dedupe)
        states.mark_finished(self.vectors, before, whole=whole)
        keyword = time.perf_counter() - started
        updated = sum(document.id in stored for document in changed)
        return BuildReport(
            added=len(changed) - updated,
            updated=updated,
            unchanged=len(documents) - len(changed),
            removed=len(gone),
            chunks=total,
            embedding_seconds=round(embedding, 3),
            storing_seconds=round(storing, 3),
            keyword_seconds=round(keyword, 3),
        )

    def sync_keywords(self) -> None:
        """Settle which stored passages are copies when Chroma's generation has moved on (knowledge.dedupe),
        and bring the keyword index in step; both are cheap checks when nothing changed."""
        with self._sync_lock:
            markers = self.vectors.markers()
            generation = markers.get("generation") or None
            if not is_settled(markers) and self.vectors.count():
                settle_copies(self.vectors, generation)
                markers = self.vectors.markers()
            self._copies = has_copies(markers)
            if self.keywords is not None and not self.keywords.in_step_with(generation):
                self.keywords.sync(self.vectors, generation)
            self._checked = time.monotonic()

    # -- searching ----------------------------------------------------------------------------------------
    def search(
        self,
        query: str,
        k: int = 5,
        *,
        kinds: Sequence[str] = (),
        filters: SearchFilters | None = None,
        mode: SearchMode = "hybrid",
    ) -> list[Hit]:
        """The `k` best documents for `query`, each with its best-matching passage as the snippet."""
        if kinds:
            filters = (filters or SearchFilters()).model_copy(update={"kinds": list(kinds)})
        return self.search_many([query], k, filters=filters, mode=mode)[0]

    def search_many(
        self,
        queries: Sequence[str],
        k: int = 5,
        *,
        filters: SearchFilters | None = None,
        mode: SearchMode = "hybrid",
        min_similarity: float | None = None,
    ) -> list[list[Hit]]:
        """`search` for many queries at once (one embedding batch, one Chroma call).

        Dense and hybrid search keep only passages whose cosine similarity to the query reaches
        `min_similarity` (default: the index's), and keyword matches that reach it or hold most of the
        query's term weight (`KEYWORD_COVERAGE`), so a query about something the index does not hold finds
        nothing. Keyword-only search keeps every passage sharing a term.
        """
        floor = self.min_similarity if min_similarity is None else min_similarity
        cleaned = [validate_query(query) for query in queries]
        active = [self._searchable(query) for query in cleaned if query is not None]
        n = max(k * 10, CANDIDATES)
        dense: list[list[StoredPassage]] = [[] for _ in active]
        keyword: list[list[KeywordMatch]] = [[] for _ in active]
        similarity: list[dict[str, float]] = [{} for _ in active]
        vectors: list[dict[str, Sequence[float]]] = [{} for _ in active]
        background: list[float | None] = [None for _ in active]
        embedded: list[list[float]] = []
        if active and time.monotonic() - self._checked >= SYNC_CHECK_SECONDS:
            self.sync_keywords()
        if active and mode != "keyword":
            embedded = self._query_vectors(active)
            fields = _filter_fields(filters)
            where = chroma_where(**fields, originals_only=self._copies)
            # ids, distances and vectors first; texts only for the hits shown (knowledge.hits fetches them in
            # one read); document ids and kinds from the keyword index's records when there is one
            lean = self.keywords is not None and self.keywords.loaded
            if lean and self._copies and not any(fields.values()):
                dense = self._originals(embedded, n, where)
            else:
                dense = self.vectors.query_many(
                    embedded, n, where, with_embeddings=True, with_texts=False, with_metadata=not lean
                )
            if lean:
                dense = self._identified(dense)
            dense = self._exact_when_short(dense, embedded, n, where)
            similarity = [{p.chunk_id: 1.0 - p.distance for p in found} for found in dense]
            vectors = [{p.chunk_id: p.embedding for p in found if p.embedding is not None} for found in dense]
            # The least similar passage fetched is the bottom of the query's cosine scale (knowledge.fusion).
            background = [min(known.values(), default=None) for known in similarity]
            dense = [[p for p in found if 1.0 - p.distance >= floor] for found in dense]
        if active and mode != "dense" and self.keywords is not None:
            keyword = self.keywords.search_many(active, n, filters)
            if mode in ("hybrid", "hybrid-rrf"):
                keyword = self._similar_enough(keyword, embedded, similarity, vectors, floor)
        answers = iter(
            self._fuse(Candidates(found, matches, similar, lowest, known), k, mode)
            for found, matches, similar, lowest, known in zip(
                dense, keyword, similarity, background, vectors, strict=True
            )
        )
        return [next(answers) if query is not None else [] for query in cleaned]

    def _query_vectors(self, queries: list[str]) -> list[list[float]]:
        """The queries' vectors, remembered (the same question asked again, or by the page and the chat
        alike, is embedded once; up to QUERY_CACHE_SIZE of them)."""
        with self._cache_lock:
            known = {query: self._cache[query] for query in queries if query in self._cache}
        missing = [query for query in dict.fromkeys(queries) if query not in known]
        if missing:
            known.update(zip(missing, self.embedder.embed(missing), strict=True))
        with self._cache_lock:
            for query in queries:
                self._cache[query] = known[query]
                self._cache.move_to_end(query)
            while len(self._cache) > QUERY_CACHE_SIZE:
                self._cache.popitem(last=False)
        return [known[query] for query in queries]

    def _originals(
        self, embedded: list[list[float]], n: int, where: dict[str, Any] | None
    ) -> list[list[StoredPassage]]:
        """The `n` nearest passages that are not copies, without Chroma's `copy` filter: a metadata filter
        makes Chroma read every passage's flag (50 ms at 10,000 passages, against 2 ms for the query). The
        `OVERFETCH` times `n` nearest are asked, copies dropped (the keyword index knows them); a query whose
        nearest are mostly copies of a few notes is asked again with the filter."""
        assert self.keywords is not None
        wanted = n * OVERFETCH
        fetched = self.vectors.query_many(
            embedded, wanted, None, with_embeddings=True, with_texts=False, with_metadata=False
        )
        copies = self.keywords.copy_ids(p.chunk_id for found in fetched for p in found)
        dense = [[p for p in found if p.chunk_id not in copies] for found in fetched]
        # short of originals while the index holds more passages than were fetched (HNSW may also answer
        # fewer than asked when many passages share one vector)
        everything = len(self.keywords) <= wanted
        crowded = [number for number, kept in enumerate(dense) if len(kept) < n and not everything]
        if crowded:
            again = self.vectors.query_many(
                [embedded[number] for number in crowded],
                n,
                where,
                with_embeddings=True,
                with_texts=False,
                with_metadata=False,
            )
            for number, found in zip(crowded, again, strict=True):
                dense[number] = found
        return [found[:n] for found in dense]

    def _identified(self, dense: list[list[StoredPassage]]) -> list[list[StoredPassage]]:
        """Dense candidates with their document ids and kinds, from the keyword index's records; a passage
        it does not know yet (stored by another process since the last sync) is read from the store."""
        assert self.keywords is not None
        wanted = {passage.chunk_id for found in dense for passage in found}
        known = self.keywords.records(wanted)
        unknown = sorted(wanted - set(known))
        stored = self.vectors.passages(unknown) if unknown else {}
        identified = []
        for found in dense:
            passages = []
            for passage in found:
                record = known.get(passage.chunk_id)
                if record is not None:
                    passages.append(
                        replace(passage, document_id=record.document_id, metadata={"kind": record.kind})
                    )
                elif passage.chunk_id in stored:
                    full = stored[passage.chunk_id]
                    passages.append(replace(passage, document_id=full.document_id, metadata=full.metadata))
            identified.append(passages)
        return identified

    def _exact_when_short(
        self,
        dense: list[list[StoredPassage]],
        embedded: list[list[float]],
        n: int,
        where: dict[str, Any] | None,
    ) -> list[list[StoredPassage]]:
        """HNSW with a selective filter (few originals among many copies, a rare product) can come back short
        or empty; then, when few passages match the filter, search them exactly (one read, a matrix product)."""
        if all(len(found) >= n for found in dense):
            return dense
        matching = self.vectors.matching(where, EXACT_SEARCH_LIMIT)
        if not matching:
            return dense
        vectors = np.asarray([passage.embedding for passage in matching], dtype=np.float32)
        exact = []
        for query, found in zip(embedded, dense, strict=True):
            if len(found) >= n:
                exact.append(found)
                continue
            similarity = vectors @ np.asarray(query, dtype=np.float32)
            order = np.argsort(-similarity, kind="stable")[:n]
            exact.append([replace(matching[i], distance=1.0 - float(similarity[i])) for i in order])
        return exact

    def _searchable(self, query: str) -> str:
        """A long message (a pasted e-mail) is searched by its most informative sentences."""
        keywords = self.keywords
        if keywords is None:
            return key_sentences(query, lambda token: 1.0)
        return key_sentences(query, lambda token: keywords.idf(token) if keywords.knows(token) else 0.0)

    def _similar_enough(
        self,
        keyword: list[list[KeywordMatch]],
        embedded: list[list[float]],
        similarity: list[dict[str, float]],
        vectors: list[dict[str, Sequence[float]]],
        floor: float,
    ) -> list[list[KeywordMatch]]:
        """Keyword matches whose passages reach the similarity floor or hold most of the query's term weight
        (an error code, a product name the model does not know); `similarity` learns the similarity of
        every keyword match, which fusion needs, and `vectors` their stored vectors (near-duplicates)."""
        unknown = {
            match.chunk_id
            for found, known in zip(keyword, similarity, strict=True)
            for match in found
            if match.chunk_id not in known
        }
        wanted = sorted(unknown)
        stored: dict[str, Sequence[float]] = {}
        for start in range(0, len(wanted), ID_SLICE):
            stored.update(self.vectors.embeddings(wanted[start : start + ID_SLICE]))
        kept = []
        for number, found in enumerate(keyword):
            query = np.asarray(embedded[number])
            known = similarity[number]
            for match in found:
                if match.chunk_id not in known and match.chunk_id in stored:
                    known[match.chunk_id] = float(query @ np.asarray(stored[match.chunk_id]))
                    vectors[number][match.chunk_id] = stored[match.chunk_id]
            kept.append(
                [
                    m
                    for m in found
                    if floor <= 0 or known.get(m.chunk_id, 0.0) >= floor or m.coverage >= KEYWORD_COVERAGE
                ]
            )
        return kept

    def _fuse(self, found: Candidates, k: int, mode: SearchMode) -> list[Hit]:
        # A document scores with its most similar passage and its best BM25 passage; its snippet is the
        # passage with the best fused score of its own (see knowledge.fusion). Copies of a passage were left
        # out of the candidates; knowledge.hits folds them, and near-duplicates, back in as counts.
        dense, keyword, passage_similarity, lowest = (
            found.dense,
            found.keyword,
            found.similarity,
            found.lowest,
        )
        if mode == "keyword":
            dense, passage_similarity, weight = [], {}, 1.0
        elif mode == "dense":
            keyword, weight = [], 0.0
        else:
            weight = keyword_weight(keyword[0].coverage if keyword else 0.0, weight=self.keyword_weight)
        chunk_similarity = {
            chunk_id: passage_similarity[chunk_id]
            for chunk_id in [p.chunk_id for p in dense] + [m.chunk_id for m in keyword]
            if chunk_id in passage_similarity
        }
        chunk_keyword = {match.chunk_id: match.score for match in keyword}
        document_of = {p.chunk_id: p.document_id for p in dense} | {
            m.chunk_id: m.document_id for m in keyword
        }
        similarity: dict[str, float] = {}
        bm25: dict[str, float] = {}
        coverage: dict[str, float] = {}
        for chunk_id, document_id in document_of.items():
            if chunk_id in chunk_similarity:
                similarity[document_id] = max(chunk_similarity[chunk_id], similarity.get(document_id, -1.0))
            if chunk_id in chunk_keyword:
                bm25[document_id] = max(chunk_keyword[chunk_id], bm25.get(document_id, 0.0))
        for match in keyword:
            coverage[match.document_id] = max(match.coverage, coverage.get(match.document_id, 0.0))
        passage_score = convex_fusion(chunk_similarity, chunk_keyword, weight=weight, lowest=lowest)
        best: dict[str, str] = {}
        for chunk_id in passage_score:  # best first
            best.setdefault(document_of[chunk_id], chunk_id)
        copies = self.keywords.copies(best.values()) if self.keywords is not None else {}
        everyone = {document_id: [document_id] for document_id in best}
        for document_id, chunk_id in best.items():
            if chunk_id in copies:
                everyone[document_id] = list(dict.fromkeys(r.document_id for r in copies[chunk_id]))
        votes = (
            self.reuse.reuse_and_solved({member for members in everyone.values() for member in members})
            if self.reuse is not None and best
            else {}
        )
        # A solution's reuse is that of every copy of it: votes for a note logged 200 times all count.
        reuse = {
            document_id: sum(votes.get(member, (0, 0))[0] for member in members)
            for document_id, members in everyone.items()
        }
        if mode == "hybrid-rrf":
            fused = rrf_with_reuse(similarity, bm25, reuse)
        else:
            fused = fuse_with_reuse(similarity, bm25, reuse, weight=weight, lowest=lowest)
        return assemble_hits(
            fused,
            k,
            best=best,
            passages={p.chunk_id: p for p in dense},
            fetch=self.vectors.passages,
            vectors=found.vectors if mode != "keyword" else {},
            similarity=similarity,
            coverage=coverage,
            copies=copies,
            votes=votes,
            kinds={p.document_id: str(p.metadata.get("kind", "")) for p in dense}
            | {record.document_id: record.kind for records in copies.values() for record in records},
        )

    # -- feedback -----------------------------------------------------------------------------------------
    def record_feedback(self, document_id: str, kind: FeedbackKind, *, voter: str | None = None) -> int:
        """Count one "helpful" or "solved" vote for an indexed document (once per `voter`, document and
        kind); returns its new reuse count."""
        if self.reuse is None:
            raise UnknownDocument("this index keeps no reuse counts")
        if not self.vectors.has_document(document_id):
            raise UnknownDocument(f"no document {document_id!r} in the knowledge index")
        return self.reuse.record(document_id, kind, voter=voter)

    def reuse_count(self, document_id: str) -> int:
        return self.reuse.counts([document_id]).get(document_id, 0) if self.reuse is not None else 0


def _counted(chunks: list[Chunk]) -> list[Chunk]:
    for chunk in chunks:
        chunk.metadata["chunk_count"] = len(chunks)
        chunk.metadata[TEXT_KEY] = text_key(chunk.text)
    return chunks


def _filter_fields(filters: SearchFilters | None) -> dict[str, list[str]]:
    if filters is None:
        return {}
    return {
        "kinds": list(filters.kinds),
        "products": filters.products,
        "categories": filters.categories,
        "audiences": filters.audiences,
    }


#: Passages whose vectors a build remembers, so text repeated across documents is embedded once.
EMBEDDING_MEMO_SIZE = 20_000


def _embed_once(embedder: Embedder, texts: list[str], memo: dict[str, list[float]]) -> list[list[float]]:
    """Vectors for `texts`, embedding each distinct text only once per build (templated articles, copies)."""
    if len(memo) + len(texts) > EMBEDDING_MEMO_SIZE:
        memo.clear()
    missing = list(dict.fromkeys(text for text in texts if text not in memo))
    if missing:
        memo.update(zip(missing, embedder.embed(missing), strict=True))
    return [memo[text] for text in texts]
