"""The composition root: the only place that picks concrete classes."""

from __future__ import annotations

from advisor.app_secrets import shared_secret
from advisor.article_store import ArticleStore
from advisor.articles import KnowledgeLoop
from advisor.conversation_store import ConversationStore
from advisor.database import SECRET_KEY_FILE, state_folder
from advisor.llm import LangChainPhraser, Phraser, build_chat_model
from advisor.recommendation_store import RecommendationStore
from advisor.schema import upgrade_once
from advisor.service import Advisor
from advisor.settings import Settings
from advisor.users import UserStore
from knowledge.embeddings import build_embedder, default_cache_dir
from knowledge.feedback import LEGACY_FILE_NAME, ReuseCounts
from knowledge.index import KnowledgeIndex
from knowledge.keyword import KeywordIndex
from knowledge.practices import load_practices
from knowledge.vector_store import COLLECTION, ChromaVectorStore
from metrics.definitions import SCORECARD_METRIC_IDS


def build_advisor(settings: Settings) -> Advisor:
    """An Advisor wired from `settings`: the packaged MiniLM model and embedded Chroma by default. The
    application database is migrated first, solution documents a crash left unindexed are indexed, and
    outcomes that were too early to tell are measured again once the data reaches their date."""
    upgrade_once(settings.database_url)
    advisor = Advisor(
        data_dir=settings.data_dir,
        index=build_knowledge_index(settings),
        recommendations=RecommendationStore(settings.database_url),
        conversations=ConversationStore(settings.database_url),
        phraser=_phraser(settings),
        practices=load_practices(known_metric_ids=frozenset(SCORECARD_METRIC_IDS)),
        min_group_size=settings.min_group_size,
        date_window=settings.date_window(),
        metrics_memory_bytes=settings.metrics_memory_bytes,
        metrics_spill_dir=settings.metrics_spill_dir,
    )
    advisor.index_pending_solutions()
    advisor.remeasure_due_outcomes()
    return advisor


def build_knowledge_index(settings: Settings) -> KnowledgeIndex:
    """Chroma embedded in the index folder, or the server at `chroma_url`; the keyword index (bm25s) always
    lives in the index folder, the reuse counts in the application database (votes must survive a rebuilt
    index; an old `feedback.sqlite3` in the index folder is imported once)."""
    # int8 vectors differ from fp32 ones (PyTorch and ONNX fp32 agree): they live in a collection of their
    # own, so switching backends never mixes the two kinds in one index (a switch builds that collection).
    collection = COLLECTION + ("-int8" if settings.embedding_backend == "onnx-int8" else "")
    vectors = (
        ChromaVectorStore.server(settings.chroma_url, collection)
        if settings.chroma_url
        else ChromaVectorStore.persistent(settings.index_dir, collection)
    )
    return KnowledgeIndex(
        build_embedder(
            settings.embedding_backend,
            settings.embedding_model,
            settings.model_cache_dir or default_cache_dir(),
        ),
        vectors,
        KeywordIndex(settings.index_dir / "keyword"),
        ReuseCounts(settings.database_url, import_from=settings.index_dir / LEGACY_FILE_NAME),
    )


def build_knowledge_loop(settings: Settings, advisor: Advisor) -> KnowledgeLoop:
    """The KCS loop (candidates, articles, flags) over `advisor`, its articles on the application database."""
    return KnowledgeLoop(advisor, ArticleStore(settings.database_url))


def build_users(settings: Settings) -> UserStore:
    """Users, sign-in sessions and personal API tokens, on the application database."""
    return UserStore(settings.database_url, session_hours=settings.session_hours)


def signing_secret(settings: Settings) -> str:
    """The key that signs cookies: the setting, else one made once and kept in the application database, so
    that every worker and machine signs alike (an older version's `secret_key` file beside it is adopted)."""
    if settings.secret_key is not None:
        return settings.secret_key.get_secret_value()
    return shared_secret(settings.database_url, adopt=state_folder(settings.database_url) / SECRET_KEY_FILE)


def _phraser(settings: Settings) -> Phraser | None:
    """The configured LLM, if any, wrapped to phrase composed answers."""
    model = build_chat_model(settings.llm)
    return LangChainPhraser(model) if model is not None else None
