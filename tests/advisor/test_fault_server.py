"""Issue 15 §4: `advisor serve` (a real subprocess) SIGKILLed at random moments while clients move
recommendations to done, vote and chat over HTTP; after each restart nothing acknowledged is lost, nothing is
stored twice, every done recommendation has its outcome and its solution document in the index."""

from __future__ import annotations

import os
import random
import shutil
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from collections import Counter
from datetime import UTC, date, datetime
from pathlib import Path

import httpx
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
from tests.web.signed_in import add_role_users, signed_in

ROOT = Path(__file__).resolve().parents[2]
KILLS = 5
#: When each step happened: inside the demo's data, so every done recommendation has a measured outcome.
STEPS = {
    "accepted": "2026-05-04T09:00:00Z",
    "in_progress": "2026-05-05T09:00:00Z",
    "done": "2026-09-01T09:00:00Z",
}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _serve(folder: Path, demo: Path, port: int) -> subprocess.Popen[bytes]:
    environment = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "ADVISOR_DATABASE_URL": f"sqlite:///{folder}/advisor.db",
        "ADVISOR_INDEX_DIR": str(folder / "index"),
        "ADVISOR_COOKIE_SECURE": "false",
    }
    command = [
        sys.executable,
        "-c",
        "from advisor.cli import app; app()",
        "serve",
        "--data",
        str(demo),
        "--port",
        str(port),
    ]
    return subprocess.Popen(
        command, cwd=ROOT, env=environment, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )


def _wait_ready(url: str, server: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline:
        assert server.poll() is None, server.stderr.read() if server.stderr else ""
        try:
            if httpx.get(f"{url}/healthz", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.3)
    raise AssertionError("the server did not become ready")


class Clients:
    """Managers moving recommendations to done, three people voting, one chatting; what the server
    acknowledged (2xx) is recorded, everything else (the kill) is let go."""

    def __init__(self, url: str, documents: list[str]) -> None:
        self.url = url
        self.documents = documents
        self.stop = threading.Event()
        self.moved: list[tuple[str, str]] = []
        #: Set once a move is acknowledged or none is left to make: a round with moves left gets at least
        #: one in before its kill.
        self.moved_once = threading.Event()
        self.votes: list[tuple[str, str]] = []
        self.chats = 0
        self.refused: list[str] = []
        self.conversation: str | None = None
        self.threads = [
            threading.Thread(target=self._move, daemon=True),
            *(threading.Thread(target=self._vote, args=(role,), daemon=True) for role in ("agent", "leader")),
            threading.Thread(target=self._chat, daemon=True),
        ]

    def start(self) -> None:
        for thread in self.threads:
            thread.start()

    def join(self) -> None:
        self.stop.set()
        for thread in self.threads:
            thread.join(timeout=60)

    def _move(self) -> None:
        try:
            with signed_in(self.url, "manager") as client:
                found = client.get(
                    "/api/recommendations", params={"status": ["proposed", "accepted", "in_progress"]}
                )
                for rec in found.json()["recommendations"]:
                    for status in ("accepted", "in_progress", "done"):
                        if self.stop.is_set():
                            return
                        if _rank(rec["status"]) >= _rank(status):
                            continue
                        answer = client.post(
                            f"/api/recommendations/{rec['id']}/transition",
                            json={"to_status": status, "at": STEPS[status]},
                        )
                        if answer.status_code == 200:
                            self.moved.append((rec["id"], status))
                            self.moved_once.set()
                        else:
                            self.refused.append(f"{status}: {answer.status_code} {answer.text[:300]}")
        except (httpx.TransportError, AssertionError):
            return
        finally:
            self.moved_once.set()  # nothing (more) to wait for

    def _vote(self, role: str) -> None:
        try:
            with signed_in(self.url, role) as client:
                while not self.stop.is_set():
                    for document in self.documents:
                        answer = client.post("/api/knowledge/feedback", json={"document_id": document})
                        if answer.status_code == 200:
                            self.votes.append((document, role))
        except (httpx.TransportError, AssertionError):
            return

    def _chat(self) -> None:
        try:
            with signed_in(self.url, "agent") as client:
                while not self.stop.is_set():
                    message = {
                        "message": "how do we reduce reopened tickets",
                        "conversation_id": self.conversation,
                    }
                    answer = client.post("/api/chat", json=message)
                    if answer.is_success:  # one conversation, a question and an answer more each time
                        self.conversation = answer.json()["conversation_id"]
                        self.chats += 1
        except (httpx.TransportError, AssertionError):
            return


def _rank(status: str) -> int:
    return ["proposed", "accepted", "in_progress", "done"].index(status) if status != "dismissed" else 9


@pytest.mark.slow
def test_a_server_killed_while_in_use_loses_and_duplicates_nothing(tmp_path: Path) -> None:
    from metrics.demo import generate_demo

    demo = tmp_path / "demo"
    generate_demo(demo, end=date(2026, 11, 1), seed=7, size="small")
    folder = tmp_path / "state"
    folder.mkdir()
    database = f"sqlite:///{folder}/advisor.db"
    add_role_users(UserStore(database))
    # a small complete index (a few practices), so that the server starts without a long first build
    settings = Settings()
    practices = list(load_practices(known_metric_ids=frozenset(SCORECARD_METRIC_IDS)))[:6]
    index = KnowledgeIndex(
        build_embedder(settings.embedding_backend, settings.embedding_model, default_cache_dir()),
        ChromaVectorStore.persistent(tmp_path / "seed-index"),
        KeywordIndex(tmp_path / "seed-index" / "keyword"),
    )
    index.build([practice_document(practice) for practice in practices])
    # proposals made in May, inside the demo's data, so that every done one has a measured outcome
    seeding = build_advisor(Settings(data_dir=demo, index_dir=tmp_path / "seed-index", database_url=database))
    seeding.propose_next_steps(actor="manager", at=datetime(2026, 5, 1, 9, tzinfo=UTC))
    shutil.copytree(tmp_path / "seed-index", folder / "index")  # this process never opens the served one
    documents = [practice_document(practice).id for practice in practices]

    rng = random.Random(15)
    acknowledged = Clients("", [])
    moved: list[tuple[str, str]] = []
    votes: set[tuple[str, str]] = set()
    tried: list[str] = []
    chats: dict[str, int] = {}
    for kill in range(KILLS + 1):
        port = _free_port()
        url = f"http://127.0.0.1:{port}"
        server = _serve(folder, demo, port)
        try:
            _wait_ready(url, server)
            if kill == KILLS:
                break
            acknowledged = Clients(url, documents)
            acknowledged.start()
            moment = rng.uniform(0.5, 10.0)
            time.sleep(moment)
            # on a slow machine the moment may come before any move: wait for one, so the five rounds
            # carry a recommendation through "done" (moves go depth first: accepted, in progress, done)
            acknowledged.moved_once.wait(timeout=120)
            server.kill()
            server.wait(30)
            acknowledged.join()
            moved += acknowledged.moved
            votes |= set(acknowledged.votes)
            if acknowledged.conversation is not None:
                chats[acknowledged.conversation] = acknowledged.chats
            tried.append(
                f"{moment:.2f} s: {len(acknowledged.moved)} moves, {len(acknowledged.votes)} votes, "
                f"{acknowledged.chats} chats acknowledged"
            )
        finally:
            if server.poll() is None and kill < KILLS:
                server.kill()
                server.wait(30)
        # the restarted server answers from what was committed
    try:
        with signed_in(url, "manager") as client:
            recommendations = client.get("/api/recommendations").json()["recommendations"]
            for rec in recommendations:
                if rec["status"] == "done":
                    page = client.get("/knowledge/document", params={"id": f"solution:{rec['id']}"})
                    assert page.status_code == 200, rec["id"]
        with signed_in(url, "agent") as client:
            for conversation, answered in chats.items():
                turns = client.get(f"/api/conversations/{conversation}").json()
                # every acknowledged exchange is kept, once; the one in flight at the kill may have been saved
                assert 2 * answered <= len(turns) <= 2 * answered + 2, (conversation, answered, len(turns))
                assert len({turn["id"] for turn in turns}) == len(turns), conversation
                roles = [turn["role"] for turn in turns]
                assert roles[: 2 * answered] == ["user", "advisor"] * answered, conversation
    finally:
        server.terminate()
        server.wait(60)
    done = sum(rec["status"] == "done" for rec in recommendations)
    print(tried, f"after the last restart: {done} of {len(recommendations)} recommendations done")

    by_id = {rec["id"]: rec for rec in recommendations}
    for rec in recommendations:
        statuses = [change["to_status"] for change in rec["history"]]
        assert len(statuses) == len(set(statuses)), f"duplicated transitions: {statuses}"
        if rec["status"] == "done":
            assert rec["outcomes"], f"{rec['id']} is done without its outcome"
    for rec_id, status in moved:  # nothing acknowledged is lost
        assert status in [change["to_status"] for change in by_id[rec_id]["history"]], (rec_id, status)
    assert any(status == "done" for _, status in moved)

    with sqlite3.connect(folder / "advisor.db") as connection:
        assert connection.execute("SELECT count(*) FROM index_outbox").fetchone() == (0,)
        counted = dict(connection.execute("SELECT document_id, helpful FROM knowledge_reuse").fetchall())
        voted = Counter(
            row[0]
            for row in connection.execute(
                "SELECT document_id FROM knowledge_reuse_votes WHERE kind='helpful'"
            )
        )
        voters = set(connection.execute("SELECT document_id, voter FROM knowledge_reuse_votes").fetchall())
    assert votes <= voters  # every acknowledged vote is kept
    assert all(counted.get(document, 0) == voted[document] for document in documents), (counted, voted)
    assert all(voted[document] <= 2 for document in documents)  # counted once per person

    served = ChromaVectorStore.persistent(folder / "index")
    for rec in recommendations:
        if rec["status"] == "done":
            assert served.has_document(f"solution:{rec['id']}")
