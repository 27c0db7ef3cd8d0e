"""Issue 14 §5 and 16 §1: a recommendation marked done from the CLI (back-dated with --at) while `advisor serve`
runs on the same embedded index: search and chat keep answering, and find the new solution document at once.
Before, the CLI's write left the server's Chroma stale and both answered a bare 500 until a restart."""

from __future__ import annotations

import shutil
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from advisor.composition import build_advisor
from advisor.settings import Settings
from advisor.users import UserStore
from knowledge.documents import practice_document
from knowledge.embeddings import build_embedder, default_cache_dir
from knowledge.index import KnowledgeIndex
from knowledge.keyword import KeywordIndex
from knowledge.practices import load_practices
from knowledge.vector_store import ChromaVectorStore
from metrics.definitions import SCORECARD_METRIC_IDS
from tests.deploy.serving import advisor_cli, served
from tests.web.signed_in import add_role_users, signed_in

QUESTION = "how do we reduce reopened tickets"


def seed(tmp_path: Path) -> tuple[dict[str, str], str, str]:
    """A small demo organisation, users, a small index (a few practices) and one recommendation in progress
    since May (inside the demo's data, so its outcome is measured); the settings, its id and title."""
    from metrics.demo import generate_demo

    demo = tmp_path / "demo"
    generate_demo(demo, end=date(2026, 11, 1), seed=7, size="small")
    database = f"sqlite:///{tmp_path}/advisor.db"
    add_role_users(UserStore(database))
    practices = list(load_practices(known_metric_ids=frozenset(SCORECARD_METRIC_IDS)))[:6]
    settings = Settings(data_dir=demo, index_dir=tmp_path / "seed-index", database_url=database)
    index = KnowledgeIndex(
        build_embedder(settings.embedding_backend, settings.embedding_model, default_cache_dir()),
        ChromaVectorStore.persistent(settings.index_dir),
        KeywordIndex(settings.index_dir / "keyword"),
    )
    index.build([practice_document(practice) for practice in practices])
    seeding = build_advisor(settings)
    proposed = seeding.propose_next_steps(actor="manager", at=datetime(2026, 5, 1, 9, tzinfo=UTC))
    chosen = proposed[0].id
    title = proposed[0].title
    seeding.move_recommendation(chosen, "accepted", actor="manager", at=datetime(2026, 5, 4, 9, tzinfo=UTC))
    seeding.move_recommendation(
        chosen, "in_progress", actor="manager", at=datetime(2026, 5, 5, 9, tzinfo=UTC)
    )
    shutil.copytree(settings.index_dir, tmp_path / "index")  # this process never opens the served index
    return (
        {
            "ADVISOR_DATA_DIR": str(demo),
            "ADVISOR_INDEX_DIR": str(tmp_path / "index"),
            "ADVISOR_DATABASE_URL": database,
        },
        chosen,
        title,
    )


@pytest.mark.slow
def test_a_recommendation_done_from_the_cli_beside_the_server_breaks_nothing(tmp_path: Path) -> None:
    settings, chosen, title = seed(tmp_path)
    with served(settings, tmp_path / "server.log") as url, signed_in(url, "agent") as agent:
        # the server has its index open and in use
        assert agent.get("/api/search", params={"q": QUESTION}).status_code == 200
        assert agent.post("/api/chat", json={"message": QUESTION}).status_code == 200

        output = advisor_cli(settings, "recommendations", "done", chosen[:8], "--at", "2026-09-01")
        assert "done" in output

        for _ in range(3):  # every request after the CLI's write, not only the first
            found = agent.get("/api/search", params={"q": f"{title} measured effect", "k": 10})
            assert found.status_code == 200, found.text
            chat = agent.post("/api/chat", json={"message": QUESTION})
            assert chat.status_code == 200, chat.text
        hits = [hit["id"] for hit in found.json()["hits"]]
        assert f"solution:{chosen}" in hits, hits
        page = agent.get("/knowledge/document", params={"id": f"solution:{chosen}"})
        assert page.status_code == 200
        # a read-only command beside the server is fine too
        assert advisor_cli(settings, "search", QUESTION).strip()
