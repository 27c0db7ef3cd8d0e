"""Keyword search with BM25 (bm25s), kept in the index folder in step with the Chroma content.

The keyword index is derived from the chunks stored in Chroma: every build (and any search that finds the
Chroma generation moved on) brings it in step by content hash, re-reading only the documents that changed,
and saves it to a fresh folder that then replaces the old one, so it is never left half-written.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
import shutil
import threading
import uuid
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import bm25s
import numpy as np
import Stemmer
from bm25s.stopwords import STOPWORDS_EN_PLUS
from filelock import FileLock

from knowledge.errors import IndexUnavailable
from knowledge.models import SearchFilters
from knowledge.vector_store import ChromaVectorStore, StoredPassage

FORMAT = 2  # 2: records keep the team (duplicate counts say which teams saw a solution)
TOKENIZER = "words2+/en-stopwords-plus/snowball-english"
_WORD = re.compile(r"(?u)\b\w\w+\b")
_STOPWORDS = frozenset(STOPWORDS_EN_PLUS)
_STEMMER = Stemmer.Stemmer("english")
_STEMMER_LOCK = threading.Lock()


def tokenize(text: str) -> list[str]:
    """Lower-cased words of two or more letters or digits (any script), English stop words out, stemmed."""
    words = [word for word in _WORD.findall(text.lower()) if word not in _STOPWORDS]
    with _STEMMER_LOCK:  # a PyStemmer stemmer is not safe to share between threads
        return list(_STEMMER.stemWords(words))


@dataclass(frozen=True)
class KeywordRecord:
    """One chunk as the keyword index knows it: its tokens and the metadata filters need."""

    chunk_id: str
    document_id: str
    content_hash: str
    tokens: tuple[str, ...]
    kind: str = ""
    product: str = ""
    audience: str = ""
    categories: tuple[str, ...] = ()
    team: str = ""

    @property
    def text_key(self) -> str:
        """Equal for passages with the same words (knowledge.dedupe.text_key of the passage text)."""
        return tokens_key(self.tokens)

    @classmethod
    def from_passage(cls, passage: StoredPassage) -> KeywordRecord:
        metadata = passage.metadata
        categories = str(metadata.get("categories", ""))
        return cls(
            chunk_id=passage.chunk_id,
            document_id=passage.document_id,
            content_hash=str(metadata.get("content_hash", "")),
            tokens=tuple(tokenize(passage.text)),
            kind=str(metadata.get("kind", "")),
            product=str(metadata.get("product", "")),
            audience=str(metadata.get("audience", "")),
            categories=tuple(name for name in categories.split(",") if name),
            team=str(metadata.get("team", "")),
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.chunk_id,
            "doc": self.document_id,
            "hash": self.content_hash,
            "tokens": " ".join(self.tokens),
            "kind": self.kind,
            "product": self.product,
            "audience": self.audience,
            "categories": list(self.categories),
            "team": self.team,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> KeywordRecord:
        return cls(
            chunk_id=data["id"],
            document_id=data["doc"],
            content_hash=data["hash"],
            tokens=tuple(data["tokens"].split()),
            kind=data.get("kind", ""),
            product=data.get("product", ""),
            audience=data.get("audience", ""),
            categories=tuple(data.get("categories", ())),
            team=data.get("team", ""),
        )


@dataclass(frozen=True)
class KeywordMatch:
    chunk_id: str
    document_id: str
    score: float
    #: Share of the query's term weight (IDF) that the passage holds: 1.0 when it has every query term.
    coverage: float = 1.0


class KeywordIndex:
    """BM25 over the chunks' tokens, persisted in `folder` (normally `<index dir>/keyword`)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.generation: str | None = None
        self.loaded = False
        self._records: list[KeywordRecord] = []
        self._bm25: bm25s.BM25 | None = None
        self._frequencies: Counter[str] = Counter()
        #: Per record: False when an earlier record (by chunk id) has the same text key (a copy).
        self._original = np.zeros(0, dtype=bool)
        self._groups: dict[str, list[int]] = {}
        self._position: dict[str, int] = {}
        self._lock = threading.RLock()
        self._load()

    def __len__(self) -> int:
        return len(self._records)

    def document_hashes(self) -> dict[str, str]:
        return {record.document_id: record.content_hash for record in self._records}

    def chunk_ids(self) -> list[str]:
        return [record.chunk_id for record in self._records]

    # -- persistence --------------------------------------------------------------------------------------
    def _load(self) -> None:
        manifest_path = self.folder / "manifest.json"
        if not manifest_path.is_file():
            return
        try:
            manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
            if manifest.get("format") != FORMAT or manifest.get("tokenizer") != TOKENIZER:
                return  # written by another version: the next sync rebuilds it from Chroma
            with (self.folder / "records.jsonl").open(encoding="utf-8") as lines:
                records = [KeywordRecord.from_json(json.loads(line)) for line in lines if line.strip()]
            bm25 = bm25s.BM25.load(str(self.folder / "bm25")) if records else None
        except (OSError, ValueError, KeyError) as error:
            raise IndexUnavailable(f"{self.folder}: the keyword index cannot be read ({error})") from None
        if len(records) != manifest.get("chunks"):
            return
        self._records, self._bm25 = records, bm25
        self._frequencies = _document_frequencies(records)
        self._group_copies()
        self.generation = manifest.get("generation")
        self.loaded = True

    def _save(self) -> None:
        parent = self.folder.parent
        parent.mkdir(parents=True, exist_ok=True)
        for leftover in parent.glob(f".{self.folder.name}.*"):
            shutil.rmtree(leftover, ignore_errors=True)  # from a run that stopped half-way
        temporary = parent / f".{self.folder.name}.tmp-{uuid.uuid4().hex}"
        temporary.mkdir()
        with (temporary / "records.jsonl").open("w", encoding="utf-8") as out:
            for record in self._records:
                out.write(json.dumps(record.to_json(), ensure_ascii=False) + "\n")
        if self._bm25 is not None:
            self._bm25.save(str(temporary / "bm25"), show_progress=False)
        manifest = {
            "format": FORMAT,
            "tokenizer": TOKENIZER,
            "generation": self.generation,
            "chunks": len(self._records),
        }
        (temporary / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
        # Two renames: the old folder steps aside, the new one takes its name. A stop between them leaves
        # no keyword folder, which the next open treats as "rebuild from Chroma", never as half an index.
        retired = parent / f".{self.folder.name}.old-{uuid.uuid4().hex}"
        if self.folder.exists():
            self.folder.rename(retired)
        temporary.rename(self.folder)
        shutil.rmtree(retired, ignore_errors=True)

    # -- keeping in step with Chroma ----------------------------------------------------------------------
    def in_step_with(self, generation: str | None) -> bool:
        return self.loaded and self.generation == generation

    def sync(self, vectors: ChromaVectorStore, generation: str | None) -> int:
        """Bring the index in step with what `vectors` holds; returns how many chunks were re-read."""
        with self._lock:
            stored = {
                document_id: document.content_hash
                for document_id, document in vectors.stored_documents().items()
            }
            mine = self.document_hashes()
            stale = [
                document_id for document_id, content in stored.items() if mine.get(document_id) != content
            ]
            keep = [
                record
                for record in self._records
                if record.document_id in stored and record.document_id not in stale
            ]
            # Re-read only what changed; when most of it did (a first build), one pass over everything is
            # cheaper than asking Chroma for hundreds of slices of document ids.
            passages: Iterator[StoredPassage]
            if len(stale) > len(stored) // 2:
                wanted = set(stale)
                passages = (p for p in vectors.all_chunks() if p.document_id in wanted)
            else:
                passages = iter(vectors.chunks_of(stale))
            fresh = [KeywordRecord.from_passage(passage) for passage in passages]
            if fresh or len(keep) != len(self._records) or not self.loaded:
                self._reindex(keep + fresh)
            self.generation = generation
            # several processes on one machine (workers, a CLI command) sync the same folder: one saves at a
            # time, so none removes another's half-written folder as a leftover (issue 16)
            self.folder.parent.mkdir(parents=True, exist_ok=True)
            with FileLock(self.folder.parent / f"{self.folder.name}.lock"):
                self._save()
            self.loaded = True
            return len(fresh)

    def _reindex(self, records: Sequence[KeywordRecord]) -> None:
        self._records = sorted(records, key=lambda record: record.chunk_id)
        self._frequencies = _document_frequencies(self._records)
        self._group_copies()
        if not self._records:
            self._bm25 = None
            return
        bm25 = bm25s.BM25()
        bm25.index([list(record.tokens) for record in self._records], show_progress=False)
        self._bm25 = bm25

    def _group_copies(self) -> None:
        """Records with the same text key form a group; the first by chunk id is the original (the same
        rule as knowledge.dedupe.settle_copies applies to Chroma)."""
        groups: dict[str, list[int]] = {}
        for number, record in enumerate(self._records):  # sorted by chunk id
            groups.setdefault(record.text_key, []).append(number)
        original = np.zeros(len(self._records), dtype=bool)
        for members in groups.values():
            original[members[0]] = True
        self._groups, self._original = groups, original
        self._position = {record.chunk_id: number for number, record in enumerate(self._records)}

    def records(self, chunk_ids: Iterable[str]) -> dict[str, KeywordRecord]:
        """What the index knows of these chunks (document id, kind, team...), by chunk id; those it knows.
        Dense search asks Chroma for ids and distances only and learns the rest here (issue 18)."""
        with self._lock:
            records, position = self._records, self._position
        return {chunk_id: records[position[chunk_id]] for chunk_id in chunk_ids if chunk_id in position}

    def copy_ids(self, chunk_ids: Iterable[str]) -> set[str]:
        """Those of `chunk_ids` that are copies of an earlier passage (not their group's original)."""
        with self._lock:
            original, position = self._original, self._position
        return {
            chunk_id for chunk_id in chunk_ids if chunk_id in position and not original[position[chunk_id]]
        }

    def copies(self, chunk_ids: Iterable[str]) -> dict[str, list[KeywordRecord]]:
        """Every passage with the same text as each of `chunk_ids` (itself included), originals first."""
        with self._lock:
            records, groups, position = self._records, self._groups, self._position
        found: dict[str, list[KeywordRecord]] = {}
        for chunk_id in chunk_ids:
            number = position.get(chunk_id)
            if number is not None:
                found[chunk_id] = [records[member] for member in groups[records[number].text_key]]
        return found

    def knows(self, token: str) -> bool:
        """Whether any passage has this (tokenised) term."""
        return self._frequencies[token] > 0

    def idf(self, token: str) -> float:
        """Lucene's IDF of a (tokenised) term over the passages; a term no passage has weighs most."""
        total, frequency = len(self._records), self._frequencies[token]
        return math.log(1 + (total - frequency + 0.5) / (frequency + 0.5))

    # -- searching ----------------------------------------------------------------------------------------
    def search(self, query: str, n_results: int, filters: SearchFilters | None = None) -> list[KeywordMatch]:
        """Up to `n_results` chunks sharing at least one term with `query`, best BM25 score first."""
        return self.search_many([query], n_results, filters)[0]

    def search_many(
        self, queries: Iterable[str], n_results: int, filters: SearchFilters | None = None
    ) -> list[list[KeywordMatch]]:
        with self._lock:
            records, bm25, frequencies = self._records, self._bm25, self._frequencies
            original = self._original
        queries = list(queries)
        if bm25 is None or not records:
            return [[] for _ in queries]
        # Copies of a passage another document already has are found through that original
        # (knowledge.dedupe), so a note logged 200 times takes one place among the candidates, not 100.
        mask = original
        if filters is not None and not filters.is_empty():
            mask = mask & _mask(records, filters)
        answers: list[list[KeywordMatch]] = []
        for query in queries:
            tokens = list(dict.fromkeys(tokenize(query)))
            if not tokens:
                answers.append([])
                continue
            scores = np.asarray(bm25.get_scores(tokens), dtype=np.float64)
            scores = np.where(mask, scores, 0.0)
            n = min(n_results, len(scores))
            top = np.argpartition(-scores, n - 1)[:n]
            top = top[np.argsort(-scores[top], kind="stable")]
            # Lucene's IDF; a term no passage has weighs like the rarest one.
            weights = {
                token: math.log(1 + (len(records) - frequencies[token] + 0.5) / (frequencies[token] + 0.5))
                for token in tokens
            }
            total = sum(weights.values())
            matches = []
            for i in top:
                if scores[i] <= 0:
                    continue
                held = set(records[i].tokens)
                covered = sum(weight for token, weight in weights.items() if token in held)
                matches.append(
                    KeywordMatch(
                        records[i].chunk_id, records[i].document_id, float(scores[i]), covered / total
                    )
                )
            answers.append(matches)
        return answers


def tokens_key(tokens: Sequence[str]) -> str:
    """A short hash of a passage's tokens: passages that differ only in case, punctuation, stop words or
    word endings share it."""
    return hashlib.sha1(" ".join(tokens).encode("utf-8"), usedforsecurity=False).hexdigest()[:20]


def _document_frequencies(records: Sequence[KeywordRecord]) -> Counter[str]:
    frequencies: Counter[str] = Counter()
    for record in records:
        frequencies.update(set(record.tokens))
    return frequencies


def _mask(records: Sequence[KeywordRecord], filters: SearchFilters) -> np.ndarray:
    def allowed(record: KeywordRecord) -> bool:
        return (
            (not filters.kinds or record.kind in filters.kinds)
            and (not filters.products or record.product in filters.products)
            and (not filters.audiences or record.audience in filters.audiences)
            and (not filters.categories or any(name in filters.categories for name in record.categories))
        )

    return np.fromiter((allowed(record) for record in records), dtype=bool, count=len(records))
