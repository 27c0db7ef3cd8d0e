"""The composition root: the only place that picks concrete classes."""

from __future__ import annotations

from advisor.llm import LangChainPhraser, Phraser, build_chat_model
from advisor.recommendation_store import RecommendationStore
from advisor.service import Advisor
from advisor.settings import Settings
from knowledge.embeddings import SentenceTransformerEmbedder
from knowledge.feedback import FILE_NAME as FEEDBACK_FILE
from knowledge.feedback import ReuseCounts
from knowledge.index import KnowledgeIndex
from knowledge.keyword import KeywordIndex
from knowledge.practices import load_practices
from knowledge.vector_store import ChromaVectorStore
from metrics.definitions import SCORECARD_METRIC_IDS


def build_advisor(settings: Settings) -> Advisor:
    """An Advisor wired from `settings`: the packaged MiniLM model and embedded Chroma by default."""
    return Advisor(
        data_dir=settings.data_dir,
        index=build_knowledge_index(settings),
        recommendations=RecommendationStore(settings.database_url),
        phraser=_phraser(settings),
        practices=load_practices(known_metric_ids=frozenset(SCORECARD_METRIC_IDS)),
        min_group_size=settings.min_group_size,
    )


def build_knowledge_index(settings: Settings) -> KnowledgeIndex:
    """Chroma embedded in the index folder, or the server at `chroma_url`; the keyword index (bm25s) and
    the reuse counts always live in the index folder."""
    vectors = (
        ChromaVectorStore.server(settings.chroma_url)
        if settings.chroma_url
        else ChromaVectorStore.persistent(settings.index_dir)
    )
    return KnowledgeIndex(
        SentenceTransformerEmbedder(settings.embedding_model),
        vectors,
        KeywordIndex(settings.index_dir / "keyword"),
        ReuseCounts(settings.index_dir / FEEDBACK_FILE),
    )


def _phraser(settings: Settings) -> Phraser | None:
    """The configured LLM, if any, wrapped to phrase composed answers."""
    model = build_chat_model(settings.llm)
    return LangChainPhraser(model) if model is not None else None
