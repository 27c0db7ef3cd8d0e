"""Issue 16 §1: an embedded Chroma folder written by another process (a CLI command beside `advisor serve`)
is seen by this one before its next query, never as "Error finding id"; writes are taken one at a time."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from knowledge.chroma_client import LOCK, STAMP
from knowledge.models import Chunk
from knowledge.vector_store import ChromaVectorStore

ROOT = Path(__file__).resolve().parents[2]
DIMENSIONS = 16
#: The other process: replaces documents 0-99 with 100-299 (vectors from the seed given), as a build would.
WRITER = """
import sys
from pathlib import Path
import numpy as np
from knowledge.models import Chunk
from knowledge.vector_store import ChromaVectorStore
store = ChromaVectorStore.persistent(Path(sys.argv[1]), "shared-test")
store.delete_documents([f"doc{number}" for number in range(100)])
chunks = [Chunk(id=f"doc{n}#0", document_id=f"doc{n}", text=f"passage {n}", title=f"Doc {n}", kind="case",
                source="test", metadata={}) for n in range(100, 300)]
vectors = np.random.default_rng(int(sys.argv[2])).random((200, 16))
store.add(chunks, vectors.tolist(), {chunk.document_id: "hash" for chunk in chunks})
store.new_generation()
"""


def _chunks(numbers: range) -> list[Chunk]:
    return [
        Chunk(
            id=f"doc{n}#0",
            document_id=f"doc{n}",
            text=f"passage {n}",
            title=f"Doc {n}",
            kind="case",
            source="test",
            metadata={},
        )
        for n in numbers
    ]


def test_a_write_by_another_process_is_seen_before_the_next_query(tmp_path: Path) -> None:
    folder = tmp_path / "index"
    store = ChromaVectorStore.persistent(folder, "shared-test")
    chunks = _chunks(range(100))
    store.add(
        chunks,
        np.random.default_rng(1).random((100, DIMENSIONS)).tolist(),
        dict.fromkeys((chunk.document_id for chunk in chunks), "hash"),
    )
    probe = np.random.default_rng(2).random(DIMENSIONS).tolist()
    assert len(store.query(probe, 50, {"copy": False})) == 50  # this process has the folder open
    generation = store.generation()

    subprocess.run(
        [sys.executable, "-c", WRITER, str(folder), "3"], cwd=ROOT, check=True, env={"PYTHONPATH": str(ROOT)}
    )

    # Before, embedded Chroma answered "Error finding id" here until the process restarted.
    found = store.query(probe, 50, {"copy": False})
    assert len(found) == 50
    assert all(int(passage.document_id.removeprefix("doc")) >= 100 for passage in found)
    written = np.random.default_rng(3).random((200, DIMENSIONS))
    exact = store.query(written[7].tolist(), 1)
    assert exact[0].document_id == "doc107"  # the other process's vectors, not a stale in-memory index
    assert store.count() == 200
    assert store.generation() not in (None, generation)
    assert set(store.stored_documents()) == {f"doc{n}" for n in range(100, 300)}
    assert store.texts(["doc150#0"]) == {"doc150#0": "passage 150"}
    assert (folder / STAMP).is_file() and (folder / LOCK).exists()


@pytest.mark.slow
def test_this_process_writes_after_another_without_losing_either(tmp_path: Path) -> None:
    folder = tmp_path / "index"
    store = ChromaVectorStore.persistent(folder, "shared-test")
    store.add(
        _chunks(range(50)),
        np.random.default_rng(1).random((50, DIMENSIONS)).tolist(),
        {f"doc{n}": "hash" for n in range(50)},
    )
    subprocess.run(
        [sys.executable, "-c", WRITER, str(folder), "4"], cwd=ROOT, check=True, env={"PYTHONPATH": str(ROOT)}
    )
    # this process's next write lands on what the other wrote (it reopens before writing)
    store.add(
        _chunks(range(300, 310)),
        np.random.default_rng(5).random((10, DIMENSIONS)).tolist(),
        {f"doc{n}": "hash" for n in range(300, 310)},
    )
    store.mark(checked="yes")
    assert store.count() == 210
    assert store.markers()["checked"] == "yes" and store.generation()
    fresh = ChromaVectorStore.persistent(folder, "shared-test")
    assert fresh.count() == 210
