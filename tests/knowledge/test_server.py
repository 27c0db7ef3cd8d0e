"""Chroma as a server: the same index over a real `chroma run` on a loopback port."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from advisor.composition import build_knowledge_index
from knowledge.embeddings import SentenceTransformerEmbedder
from knowledge.errors import IndexUnavailable
from knowledge.vector_store import ChromaVectorStore
from tests.knowledge.helpers import article, knowledge_settings, open_index

DOCS = [
    article("srv-1", "VPN drops every hour", "Renew the device certificate, then reconnect."),
    article("srv-2", "Export invoices", "Choose CSV in billing to export every invoice."),
]


def test_hybrid_search_and_incremental_builds_against_a_server(
    chroma_server: str, tmp_path: Path, embedder: SentenceTransformerEmbedder
) -> None:
    index = open_index(tmp_path / "a", embedder, chroma_url=chroma_server, collection="server-test")
    first = index.build(DOCS, remove_missing_kinds=("article",))
    assert (first.added, first.chunks) == (2, 2)
    assert index.search("the vpn keeps disconnecting", k=1)[0].id == "srv-1"
    assert index.search("invoice csv", k=1, mode="keyword")[0].id == "srv-2"
    assert index.build(DOCS, remove_missing_kinds=("article",)).chunks == 0
    # a second machine with its own index folder shares the server: its keyword index catches up
    other = open_index(tmp_path / "b", embedder, chroma_url=chroma_server, collection="server-test")
    assert other.search("invoice csv", k=1, mode="keyword")[0].id == "srv-2"
    report = index.build(DOCS[:1], remove_missing_kinds=("article",))
    assert report.removed == 1
    assert other.search("invoice csv", k=1, mode="keyword") == []
    assert index.record_feedback("srv-1", "solved") == 1


def test_settings_choose_the_server(chroma_server: str, tmp_path: Path) -> None:
    index = build_knowledge_index(knowledge_settings(tmp_path, chroma_url=chroma_server))
    index.build(DOCS[:1])
    assert index.search("certificate renewal for the vpn", k=1)[0].id == "srv-1"
    assert not (tmp_path / "index" / "chroma.sqlite3").exists()  # nothing embedded
    assert (tmp_path / "index" / "keyword" / "manifest.json").is_file()


def test_an_unreachable_server_is_a_clear_error() -> None:
    with pytest.raises(IndexUnavailable, match=r"cannot reach the Chroma server at http://127.0.0.1:9"):
        ChromaVectorStore.server("http://127.0.0.1:9")
    with pytest.raises(IndexUnavailable, match="is not a Chroma server URL"):
        ChromaVectorStore.server("localhost:8000")


def test_settings_refuse_a_url_that_is_not_http(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="is not a Chroma server URL"):
        knowledge_settings(tmp_path, chroma_url="ftp://example.org")
    assert knowledge_settings(tmp_path, chroma_url="").chroma_url is None
