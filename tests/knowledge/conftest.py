"""Knowledge fixtures: one index of the practices and a small folder of hand-made prior solutions, built once
through the real composition (MiniLM, embedded Chroma, bm25s), and a real `chroma run` server."""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from advisor.composition import build_knowledge_index
from knowledge.documents import folder_documents, practice_document
from knowledge.index import KnowledgeIndex
from knowledge.practices import load_practices
from tests.knowledge.helpers import NOTES, knowledge_settings


@pytest.fixture(scope="session")
def shared_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The folder of the shared index: `<root>/index` (see `shared_index`)."""
    return tmp_path_factory.mktemp("shared-index")


@pytest.fixture(scope="session")
def shared_index(shared_root: Path) -> KnowledgeIndex:
    """The practices and tests/knowledge/data/notes, indexed once through the composition root.

    Tests may add documents and votes only where other tests do not look (see test_cli_knowledge)."""
    index = build_knowledge_index(knowledge_settings(shared_root))
    documents = [practice_document(practice) for practice in load_practices()]
    documents += list(folder_documents(NOTES))
    index.build(documents)
    return index


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="session")
def chroma_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real Chroma server (`chroma run`, shipped with chromadb) on a free loopback port; its URL."""
    chroma = Path(sys.executable).parent / "chroma"
    command = [str(chroma)] if chroma.is_file() else [shutil.which("chroma") or "chroma"]
    port = _free_port()
    folder = tmp_path_factory.mktemp("chroma-server")
    log = (folder / "server.log").open("wb")
    process = subprocess.Popen(
        [*command, "run", "--path", str(folder / "data"), "--host", "127.0.0.1", "--port", str(port)],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                raise RuntimeError(
                    f"chroma run exited with {process.returncode}: see {folder / 'server.log'}"
                )
            try:
                if httpx.get(f"{url}/api/v2/heartbeat", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("chroma run did not answer its heartbeat within 60 s")
            time.sleep(0.2)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()
