"""The fast paths of issue 18: batches without padding waste, ids-first dense search, one read of the votes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from knowledge.embeddings import SentenceTransformerEmbedder, _batches
from knowledge.feedback import ReuseCounts
from knowledge.index import KnowledgeIndex
from knowledge.models import Document, Hit
from tests.knowledge.helpers import article, open_index

QUERIES = [
    "the VPN keeps dropping every few minutes",
    "customer was charged twice for one invoice",
    "how do we escalate a case to tier 2",
    "Passwort vergessen",
    "sync error E-4711",
]


def test_batches_are_length_sorted_and_bounded_by_tokens() -> None:
    lengths = np.asarray([5, 300, 40, 40, 7, 256, 41])
    order = np.argsort(-lengths, kind="stable")
    batches = [list(part) for part in _batches(order, lengths, batch_size=3, max_tokens=600)]
    # every text once, longest first; a batch's padded size (rows x its longest text) within the budget,
    # except a single text longer than the budget, which goes alone
    assert [number for part in batches for number in part] == list(order)
    assert all(len(part) <= 3 for part in batches)
    assert all(len(part) * lengths[part[0]] <= 600 or len(part) == 1 for part in batches)
    assert batches[0] == [1, 5]  # 300 and 256 tokens: two rows of 300 fit 600, three would not
    assert batches[1] == [6, 2, 3]


def _search_all(index: KnowledgeIndex) -> list[list[dict[str, Any]]]:
    return [[hit.model_dump() for hit in index.search(query, 5)] for query in QUERIES]


def _as_before(index: KnowledgeIndex, monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """Make `index` search the way it did before issue 18: Chroma filters out copies and hands back every
    candidate's metadata. Returns the keyword arguments of its dense queries."""
    calls: list[dict[str, Any]] = []
    original = index.vectors.query_many

    def with_metadata(*args: Any, **kwargs: Any) -> Any:
        calls.append(kwargs)
        return original(*args, **{**kwargs, "with_metadata": True})

    def filtered(embedded: list[list[float]], n: int, where: Any) -> Any:
        return original(embedded, n, where, with_embeddings=True, with_texts=False)

    monkeypatch.setattr(index.vectors, "query_many", with_metadata)
    monkeypatch.setattr(index, "_identified", lambda dense: dense)
    monkeypatch.setattr(index, "_originals", filtered)
    return calls


def test_ids_first_dense_search_finds_the_same_hits(
    shared_index: KnowledgeIndex, monkeypatch: pytest.MonkeyPatch
) -> None:
    lean = _search_all(shared_index)
    assert any(hits for hits in lean)
    calls = _as_before(shared_index, monkeypatch)
    assert _search_all(shared_index) == lean
    assert calls and all(call["with_metadata"] is False and call["with_texts"] is False for call in calls)


def _cases(count: int, text: str, start: int = 0) -> list[Document]:
    return [
        Document(
            id=f"case:{number}",
            title="Bank feed stopped importing",
            kind="case",
            text=f"# Bank feed stopped importing\n\n{text}",
            source=f"ticket:{number}",
            metadata={"team": "Billing Desk"},
        )
        for number in range(start, start + count)
    ]


def test_copies_are_left_out_without_a_chroma_filter(
    tmp_path: Path, embedder: SentenceTransformerEmbedder, monkeypatch: pytest.MonkeyPatch
) -> None:
    # 230 tickets closed with one templated note (copies), a few with their own notes, two articles
    documents = [
        *_cases(230, "Reconnected the bank feed under Settings > Bank accounts; the import caught up."),
        *_cases(1, "The bank renewed its consent screen; the customer re-authorised the feed.", start=500),
        *_cases(1, "Feed token expired after 90 days: re-authorised the connection.", start=501),
        article("kb-1", "Reset a password", "Open the sign-in page and use the reset link."),
        article("kb-2", "Export invoices", "Choose CSV in billing."),
    ]
    index = open_index(tmp_path / "index", embedder)
    index.build(documents)
    queries = ["bank feed stopped importing transactions", "reset my password", "export invoices as CSV"]
    lean = [[hit.model_dump() for hit in index.search(query, 5)] for query in queries]
    # the templated note is one hit that counts its copies, whichever way the copies are left out
    assert lean[0][0]["duplicates"] >= 229
    wheres: list[Any] = []
    original = index.vectors.query_many

    def recorded(*args: Any, **kwargs: Any) -> Any:
        wheres.append(args[2] if len(args) > 2 else kwargs.get("where"))
        return original(*args, **kwargs)

    monkeypatch.setattr(index.vectors, "query_many", recorded)
    assert [[hit.model_dump() for hit in index.search(query, 5)] for query in queries] == lean
    # first without a filter; a query whose 200 nearest were mostly copies of one note (of 234 passages)
    # was asked again with Chroma's filter
    assert wheres[0] is None and {"copy": False} in wheres
    monkeypatch.undo()
    _as_before(index, monkeypatch)
    assert [[hit.model_dump() for hit in index.search(query, 5)] for query in queries] == lean


def test_ids_first_candidates_carry_their_documents_and_kinds(shared_index: KnowledgeIndex) -> None:
    [query] = shared_index.embedder.embed(["reset a forgotten password"])
    [full] = shared_index.vectors.query_many([query], 20, with_embeddings=True)
    [bare] = shared_index.vectors.query_many(
        [query], 20, with_embeddings=True, with_texts=False, with_metadata=False
    )
    [lean] = shared_index._identified([bare])
    assert [p.chunk_id for p in lean] == [p.chunk_id for p in full]
    assert [(p.document_id, p.metadata["kind"]) for p in lean] == [
        (p.document_id, p.metadata["kind"]) for p in full
    ]
    assert all(p.text == "" for p in lean)  # texts are read only for the hits shown


def test_the_votes_of_many_documents_are_one_read(tmp_path: Path) -> None:
    reuse = ReuseCounts(f"sqlite:///{tmp_path / 'advisor.db'}")
    reuse.record("a", "helpful", voter="ann")
    reuse.record("a", "solved", voter="ann")
    reuse.record("b", "helpful", voter="bob")
    reuse.record("b", "helpful", voter="cy")
    together = reuse.reuse_and_solved(["a", "b", "c", "a"])
    one_by_one = {name: reuse.reuse_and_solved([name]) for name in ("a", "b", "c")}
    assert together == {"a": (2, 1), "b": (2, 0)}
    assert together == {key: value for part in one_by_one.values() for key, value in part.items()}
    assert together["a"][0] == reuse.counts(["a"])["a"]


def test_hits_show_texts_read_after_ranking(shared_index: KnowledgeIndex) -> None:
    hits: list[Hit] = shared_index.search("VPN drops", 3)
    assert hits and all(hit.snippet and hit.title for hit in hits)


class _Counting:
    def __init__(self, inner: Any) -> None:
        self.inner, self.name = inner, inner.name
        self.texts: list[str] = []

    def embed(self, texts: Any) -> list[list[float]]:
        self.texts += list(texts)
        return self.inner.embed(texts)  # type: ignore[no-any-return]


def test_a_query_asked_again_is_embedded_once(
    shared_index: KnowledgeIndex, monkeypatch: pytest.MonkeyPatch
) -> None:
    counting = _Counting(shared_index.embedder)
    monkeypatch.setattr(shared_index, "embedder", counting)
    query = "printer queue stuck after the driver update (asked twice)"
    first = shared_index.search(query, 5)
    assert shared_index.search(query, 5) == first
    shared_index.search_many([query, "another question about the VPN", query], 5)
    assert counting.texts == [query, "another question about the VPN"]
