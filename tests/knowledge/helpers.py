"""Paths and small builders the knowledge tests share."""

from __future__ import annotations

from pathlib import Path

from advisor.settings import Settings
from knowledge.embeddings import Embedder
from knowledge.feedback import ReuseCounts
from knowledge.index import KnowledgeIndex
from knowledge.keyword import KeywordIndex
from knowledge.models import Document
from knowledge.vector_store import COLLECTION, ChromaVectorStore

DATA = Path(__file__).parent / "data"
NOTES = DATA / "notes"
STACKFAQ = (
    Path(__file__).resolve().parents[2].parent / "shared" / "data" / "stackfaq" / "stackExchange-FAQ.xml"
)


def knowledge_settings(root: Path, **overrides: object) -> Settings:
    """Settings for an index in `root` that read nothing from the environment that matters here."""
    values: dict[str, object] = {
        "index_dir": root / "index",
        "data_dir": root / "no-data",
        "database_url": f"sqlite:///{root}/advisor.db",
        "chroma_url": None,
    }
    return Settings(**{**values, **overrides})  # type: ignore[arg-type]


def open_index(
    folder: Path,
    embedder: Embedder,
    *,
    chroma_url: str | None = None,
    collection: str = COLLECTION,
    batch_size: int = 256,
    database_url: str | None = None,
) -> KnowledgeIndex:
    """An index in `folder`: Chroma embedded there (or the server at `chroma_url`) and bm25s; reuse counts in
    the application database at `database_url` (default: `<folder>-state.db` beside the folder, as the
    application keeps it apart from the rebuildable index)."""
    vectors = (
        ChromaVectorStore.server(chroma_url, collection)
        if chroma_url
        else ChromaVectorStore.persistent(folder, collection)
    )
    return KnowledgeIndex(
        embedder,
        vectors,
        KeywordIndex(folder / "keyword"),
        ReuseCounts(database_url or state_database_url(folder)),
        batch_size=batch_size,
    )


def state_database_url(folder: Path) -> str:
    """The SQLite application database `open_index` uses for `folder` by default."""
    return f"sqlite:///{folder.with_name(folder.name + '-state.db')}"


def article(document_id: str, title: str, body: str, **metadata: str | int | float | bool) -> Document:
    return Document(
        id=document_id,
        title=title,
        kind="article",
        text=f"# {title}\n\n{body}",
        source=f"article:{document_id}",
        metadata=dict(metadata),
    )
