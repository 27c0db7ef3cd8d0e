"""Issue 16 §1: the production deployment, run here: `advisor serve --workers 2` on PostgreSQL with a Chroma
server (`chroma run`), the database migrated with `advisor db upgrade`; sign-in, search and chat work on
every worker, and a recommendation marked done from the CLI beside the server is found at once."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import httpx
import pytest

from advisor.composition import build_advisor
from advisor.database import dispose_engine
from advisor.models import RecommendationStatus
from advisor.settings import Settings
from advisor.users import UserStore
from knowledge.documents import practice_document
from knowledge.embeddings import build_embedder, default_cache_dir
from knowledge.index import KnowledgeIndex
from knowledge.keyword import KeywordIndex
from knowledge.practices import load_practices
from knowledge.vector_store import ChromaVectorStore
from metrics.definitions import SCORECARD_METRIC_IDS
from tests.deploy.serving import advisor_cli, chroma_run
from tests.deploy.workers import answered_by, pinned_clients, two_workers
from tests.postgres import PostgresServer, fresh_postgres_database, postgres_server  # noqa: F401
from tests.web.signed_in import add_role_users, sign_in

QUESTION = "how do we reduce reopened tickets"


@pytest.fixture
def postgres_url(postgres_server: PostgresServer) -> Iterator[str]:  # noqa: F811
    yield from fresh_postgres_database(postgres_server)


def signed_in_as_agent(client: httpx.Client) -> None:
    assert sign_in(client, "agent").status_code == 303
    client.headers["x-csrftoken"] = client.cookies["csrftoken"]


@pytest.mark.slow
def test_two_workers_on_postgresql_and_the_chroma_server(tmp_path: Path, postgres_url: str) -> None:
    from metrics.demo import generate_demo

    demo = tmp_path / "demo"
    generate_demo(demo, end=date(2026, 11, 1), seed=7, size="small")
    with chroma_run(tmp_path / "chroma") as chroma_url:
        environment = {
            "ADVISOR_DATA_DIR": str(demo),
            "ADVISOR_INDEX_DIR": str(tmp_path / "index"),  # the keyword index: each machine keeps its own
            "ADVISOR_DATABASE_URL": postgres_url,
            "ADVISOR_CHROMA_URL": chroma_url,
            "ADVISOR_SECRET_KEY": "a production secret from the operator's vault",
        }
        advisor_cli(environment, "db", "upgrade")  # as an operator migrates before starting the new version
        assert "latest" in advisor_cli(environment, "db", "current")  # exit code 0: it is at the latest
        add_role_users(UserStore(postgres_url))
        settings = Settings(
            data_dir=demo, index_dir=tmp_path / "seed", database_url=postgres_url, chroma_url=chroma_url
        )
        # a small index (a few practices) on the Chroma server, so that the workers start at once
        practices = list(load_practices(known_metric_ids=frozenset(SCORECARD_METRIC_IDS)))[:6]
        KnowledgeIndex(
            build_embedder(settings.embedding_backend, settings.embedding_model, default_cache_dir()),
            ChromaVectorStore.server(chroma_url),
            KeywordIndex(tmp_path / "seed" / "keyword"),
        ).build([practice_document(practice) for practice in practices])
        seeding = build_advisor(settings)
        chosen = seeding.propose_next_steps(actor="manager", at=datetime(2026, 5, 1, 9, tzinfo=UTC))[0]
        steps: list[tuple[RecommendationStatus, int]] = [("accepted", 4), ("in_progress", 5)]
        for status, day in steps:
            seeding.move_recommendation(
                chosen.id, status, actor="manager", at=datetime(2026, 5, day, 9, tzinfo=UTC)
            )
        dispose_engine(postgres_url)

        log = tmp_path / "server.log"
        with two_workers(environment, log) as url:
            with pinned_clients(url) as workers:
                for client in workers.values():  # each worker searches and chats on its own connection
                    signed_in_as_agent(client)
                    assert client.get("/api/search", params={"q": QUESTION}).status_code == 200
                    answer = client.post("/api/chat", json={"message": QUESTION})
                    assert answer.status_code == 200, answer.text
            advisor_cli(environment, "recommendations", "done", chosen.id[:8], "--at", "2026-09-01")
            with pinned_clients(url) as workers:  # new connections: the old ones timed out meanwhile
                for worker, client in workers.items():  # both see the CLI's change at once
                    signed_in_as_agent(client)
                    query: dict[str, str | int] = {"q": f"{chosen.title} measured effect", "k": 10}
                    found = client.get("/api/search", params=query)
                    assert found.status_code == 200, found.text
                    assert answered_by(client, found) == worker
                    assert f"solution:{chosen.id}" in [hit["id"] for hit in found.json()["hits"]], worker
                    chat = client.post("/api/chat", json={"message": QUESTION})
                    assert chat.status_code == 200, chat.text
        served_log = log.read_text(errors="replace")
        assert served_log.count("Started server process") == 2, served_log[-3000:]
        assert "Traceback" not in served_log and " 500 " not in served_log, served_log[-3000:]
