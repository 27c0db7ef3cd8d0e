"""A real `advisor serve --workers 2` for the deployment tests, and HTTP clients pinned to one worker each.

A client keeps one keep-alive connection, and a connection belongs to one worker process; `/healthz/live`
names the process that answered. `answered_by` asks it over the same connection right after a request (the
same local port proves it), so a test knows which worker answered each request instead of hoping.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Mapping
from contextlib import ExitStack, contextmanager
from datetime import date
from pathlib import Path

import httpx

from advisor.settings import Settings
from advisor.users import UserStore
from knowledge.documents import practice_document
from knowledge.embeddings import build_embedder, default_cache_dir
from knowledge.index import KnowledgeIndex
from knowledge.keyword import KeywordIndex
from knowledge.practices import load_practices
from knowledge.vector_store import ChromaVectorStore
from metrics.definitions import SCORECARD_METRIC_IDS
from tests.deploy.serving import served
from tests.web.signed_in import add_role_users

#: Practices in the seeded index: enough to search and chat, small enough to build in seconds.
SEEDED_PRACTICES = 8


def seed_deployment(tmp_path: Path, database_url: str) -> dict[str, str]:
    """A small demo organisation, a user per role and a small knowledge index; the `ADVISOR_*` settings
    that serve them (add `ADVISOR_CHROMA_URL` for a Chroma server)."""
    from metrics.demo import generate_demo

    demo = tmp_path / "demo"
    generate_demo(demo, end=date(2026, 11, 1), seed=7, size="small")
    add_role_users(UserStore(database_url))
    settings = Settings(data_dir=demo, index_dir=tmp_path / "index", database_url=database_url)
    practices = list(load_practices(known_metric_ids=frozenset(SCORECARD_METRIC_IDS)))[:SEEDED_PRACTICES]
    index = KnowledgeIndex(
        build_embedder(settings.embedding_backend, settings.embedding_model, default_cache_dir()),
        ChromaVectorStore.persistent(settings.index_dir),
        KeywordIndex(settings.index_dir / "keyword"),
    )
    index.build([practice_document(practice) for practice in practices])
    return {
        "ADVISOR_DATA_DIR": str(demo),
        "ADVISOR_INDEX_DIR": str(settings.index_dir),
        "ADVISOR_DATABASE_URL": database_url,
        "ADVISOR_JOBS_DIR": str(tmp_path / "jobs"),
    }


@contextmanager
def two_workers(settings: Mapping[str, str], log: Path, workers: int = 2) -> Iterator[str]:
    """`advisor serve --workers N` with `settings`; its URL once every worker answers /healthz with 200."""
    with served(settings, log, "--workers", str(workers)) as url:
        ready: set[int] = set()
        deadline = time.monotonic() + 300
        while len(ready) < workers:
            assert time.monotonic() < deadline, f"only workers {ready} became ready in 300 s"
            with httpx.Client(base_url=url, timeout=30) as client:  # a new connection: maybe another worker
                if client.get("/healthz").status_code == 200:
                    ready.add(answered_by(client, client.get("/healthz/live")))
            time.sleep(0.2)
        yield url


def answered_by(client: httpx.Client, response: httpx.Response) -> int:
    """The worker process that answered `response` (asked over the same connection just after)."""
    probe = client.get("/healthz/live")
    assert _local_port(probe) == _local_port(response), "the connection changed between the two requests"
    worker: int = probe.json()["worker"]
    return worker


def _local_port(response: httpx.Response) -> int:
    port: int = response.extensions["network_stream"].get_extra_info("client_addr")[1]
    return port


@contextmanager
def pinned_clients(url: str, workers: int = 2) -> Iterator[dict[int, httpx.Client]]:
    """One client per worker process (worker pid -> client), each on its own keep-alive connection."""
    with ExitStack() as stack:
        found: dict[int, httpx.Client] = {}
        for _ in range(200):
            client = stack.enter_context(
                httpx.Client(base_url=url, timeout=120, limits=httpx.Limits(max_connections=1))
            )
            response = client.get("/healthz/live")
            worker = answered_by(client, response)
            if worker not in found:
                found[worker] = client
            if len(found) == workers:
                yield found
                return
        raise AssertionError(f"200 connections reached only workers {sorted(found)}")
