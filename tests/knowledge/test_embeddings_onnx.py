"""The ONNX Runtime embedder: same vectors as PyTorch, exported once; batching of concurrent queries."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from advisor.settings import Settings
from knowledge.embeddings import (
    BatchingEmbedder,
    OnnxEmbedder,
    SentenceTransformerEmbedder,
    build_embedder,
    export_onnx,
    packaged_model_path,
)

TEXTS = [
    "How do I reset the VPN password?",
    "Customers on the enterprise plan see the wrong totals in the monthly billing report after the upgrade.",
    "E-4021",
    "Clear the local cache, then reconnect the integration and re-run the export with a smaller date range. "
    * 12,  # longer than the model's 256 tokens: truncated alike
]


@pytest.fixture(scope="module")
def onnx_embedder(tmp_path_factory: pytest.TempPathFactory) -> OnnxEmbedder:
    embedder = OnnxEmbedder(packaged_model_path(), tmp_path_factory.mktemp("models"))
    embedder.load()
    return embedder


def test_onnx_vectors_match_pytorch(
    onnx_embedder: OnnxEmbedder, embedder: SentenceTransformerEmbedder
) -> None:
    onnx = np.asarray(onnx_embedder.embed(TEXTS))
    torch = np.asarray(embedder.embed(TEXTS))
    assert onnx.shape == torch.shape == (len(TEXTS), 384)
    assert np.allclose(np.linalg.norm(onnx, axis=1), 1.0, atol=1e-5)
    assert (onnx * torch).sum(axis=1).min() >= 0.9999
    # Same vectors, same name: an index built by either backend is valid for the other.
    assert onnx_embedder.name == embedder.name
    # A text embedded alone and in a batch of other lengths gets the same vector (padding is masked).
    alone = np.asarray(onnx_embedder.embed([TEXTS[2]]))[0]
    assert float(alone @ onnx[2]) >= 0.9999


def test_the_export_is_made_once_and_reused(onnx_embedder: OnnxEmbedder) -> None:
    exported = export_onnx(onnx_embedder.model_path, onnx_embedder.cache_dir)
    before = exported.stat().st_mtime_ns
    again = OnnxEmbedder(onnx_embedder.model_path, onnx_embedder.cache_dir)
    again.load()
    assert export_onnx(onnx_embedder.model_path, onnx_embedder.cache_dir) == exported
    assert exported.stat().st_mtime_ns == before
    # Only the finished model is left; no half-written temporary files.
    assert [path.name for path in exported.parent.iterdir()] == ["model.onnx"]


def test_falls_back_to_pytorch_when_the_export_cannot_be_made(
    tmp_path: Path, embedder: SentenceTransformerEmbedder
) -> None:
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("a file where the cache folder should be")
    onnx = OnnxEmbedder(packaged_model_path(), blocked, fallback=embedder)
    vectors = onnx.embed(TEXTS[:2])
    assert np.allclose(vectors, embedder.embed(TEXTS[:2]))
    without = OnnxEmbedder(packaged_model_path(), blocked)
    with pytest.raises(OSError):
        without.embed(TEXTS[:1])


def test_the_settings_pick_the_backend(tmp_path: Path) -> None:
    assert Settings().embedding_backend == "onnx"
    torch = build_embedder("torch", packaged_model_path(), tmp_path)
    assert isinstance(torch, BatchingEmbedder) and isinstance(torch.inner, SentenceTransformerEmbedder)
    onnx = build_embedder("onnx", packaged_model_path(), tmp_path, batching=False)
    assert isinstance(onnx, OnnxEmbedder) and isinstance(onnx.fallback, SentenceTransformerEmbedder)
    int8 = build_embedder("onnx-int8", packaged_model_path(), tmp_path, batching=False)
    assert isinstance(int8, OnnxEmbedder) and int8.quantized and int8.fallback is None
    assert int8.name != onnx.name == torch.name  # other vectors, another name


def test_int8_vectors_keep_their_own_index_collection(tmp_path: Path) -> None:
    from advisor.composition import build_knowledge_index
    from knowledge.vector_store import COLLECTION

    fp32 = build_knowledge_index(Settings(index_dir=tmp_path, database_url=f"sqlite:///{tmp_path}/a.db"))
    int8 = build_knowledge_index(
        Settings(index_dir=tmp_path, database_url=f"sqlite:///{tmp_path}/a.db", embedding_backend="onnx-int8")
    )
    assert fp32.vectors._name == COLLECTION and int8.vectors._name == COLLECTION + "-int8"


class _Gated:
    """The real embedder behind a gate: its first call waits until every other caller has queued."""

    def __init__(self, inner: OnnxEmbedder, others: int) -> None:
        self.inner = inner
        self.name = inner.name
        self.others = others
        self.calls: list[int] = []
        self.batching: BatchingEmbedder | None = None

    def embed(self, texts: Sequence[str]) -> list[list[float]]:
        if not self.calls:
            assert self.batching is not None
            for _ in range(5000):
                if len(self.batching._waiting) == self.others:
                    break
                threading.Event().wait(0.002)
        self.calls.append(len(texts))
        return self.inner.embed(texts)


def test_concurrent_queries_are_embedded_together(onnx_embedder: OnnxEmbedder) -> None:
    queries = [f"{text} ({number})" for number, text in enumerate(TEXTS * 2)]
    gated = _Gated(onnx_embedder, others=len(queries) - 1)
    batching = gated.batching = BatchingEmbedder(gated, max_batch=32, parallel=1)
    results: dict[int, list[list[float]]] = {}

    def ask(number: int) -> None:
        results[number] = batching.embed([queries[number]])

    threads = [threading.Thread(target=ask, args=(number,)) for number in range(len(queries))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert sorted(results) == list(range(len(queries)))
    # The first query went alone; every query that arrived meanwhile went in the one next model call.
    assert gated.calls == [1, len(queries) - 1]
    expected = np.asarray(onnx_embedder.embed(queries))
    for number, vectors in results.items():
        assert float(np.asarray(vectors[0]) @ expected[number]) >= 0.9999


class _Failing:
    name = "failing"

    def embed(self, texts: Sequence[str]) -> list[list[float]]:
        raise RuntimeError("model crashed")


def test_a_failed_batch_fails_its_callers_and_the_next_call_works(onnx_embedder: OnnxEmbedder) -> None:
    batching = BatchingEmbedder(_Failing())
    with pytest.raises(RuntimeError, match="model crashed"):
        batching.embed(["a question"])
    batching.inner = onnx_embedder
    assert len(batching.embed(["a question"])[0]) == 384


class _Echo:
    """Vectors that spell their text (a deterministic stand-in), with a short pause like a model call."""

    name = "echo"

    def __init__(self) -> None:
        self.calls: list[int] = []

    def embed(self, texts: Sequence[str]) -> list[list[float]]:
        self.calls.append(len(texts))
        threading.Event().wait(0.005)
        return [[float(len(text)), float(sum(map(ord, text)))] for text in texts]


def test_every_caller_gets_its_own_vectors_with_parallel_calls() -> None:
    echo = _Echo()
    batching = BatchingEmbedder(echo, max_batch=4, parallel=2)
    asked = {number: [f"question {number}-{part}" for part in range(1 + number % 3)] for number in range(40)}
    answers: dict[int, list[list[float]]] = {}

    def ask(number: int) -> None:
        answers[number] = batching.embed(asked[number])

    threads = [threading.Thread(target=ask, args=(number,)) for number in asked]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert answers == {number: _Echo().embed(texts) for number, texts in asked.items()}
    assert sum(echo.calls) == sum(len(texts) for texts in asked.values())
    assert len(echo.calls) < len(asked) and max(echo.calls) <= 4  # batched, never past max_batch


def test_the_process_exits_cleanly_while_a_daemon_thread_embeds(onnx_embedder: OnnxEmbedder) -> None:
    """ONNX Runtime unwound by the interpreter's exit aborts the process; the exit waits for calls instead."""
    import subprocess
    import sys

    script = (
        "import threading, time\n"
        "from pathlib import Path\n"
        "from knowledge.embeddings import OnnxEmbedder, packaged_model_path\n"
        f"embedder = OnnxEmbedder(packaged_model_path(), Path({str(onnx_embedder.cache_dir)!r}))\n"
        "embedder.load()\n"
        "def forever():\n"
        "    while True:\n"
        "        embedder.embed(['a question about the VPN'] * 8)\n"
        "threading.Thread(target=forever, daemon=True).start()\n"
        "time.sleep(0.5)\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]


def test_texts_are_tokenised_once_without_padding_to_128(onnx_embedder: OnnxEmbedder) -> None:
    # tokenizer.json pads every text to 128 tokens; each batch is padded to its own longest text instead
    assert onnx_embedder._tokenizer.padding is None
    assert onnx_embedder._session.get_session_options().intra_op_num_threads >= 1
    mixed = [TEXTS[2], TEXTS[0], TEXTS[3], TEXTS[1]]  # short and long, out of order
    together = np.asarray(onnx_embedder.embed(mixed))
    alone = np.asarray([onnx_embedder.embed([text])[0] for text in mixed])
    assert (together * alone).sum(axis=1).min() >= 0.9999
