"""The composition root: the only place that picks concrete classes."""

from __future__ import annotations

from advisor.service import Advisor
from advisor.settings import Settings
from knowledge.embeddings import SentenceTransformerEmbedder
from knowledge.index import KnowledgeIndex
from knowledge.practices import load_practices
from knowledge.vector_store import ChromaVectorStore
from metrics.definitions import SCORECARD_METRIC_IDS


def build_advisor(settings: Settings) -> Advisor:
    """An Advisor wired from `settings`: the packaged MiniLM model and embedded Chroma by default."""
    index = KnowledgeIndex(
        SentenceTransformerEmbedder(settings.embedding_model),
        ChromaVectorStore.persistent(settings.index_dir),
    )
    return Advisor(
        data_dir=settings.data_dir,
        index=index,
        practices=load_practices(known_metric_ids=frozenset(SCORECARD_METRIC_IDS)),
        min_group_size=settings.min_group_size,
    )
