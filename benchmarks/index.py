"""Index throughput and query latency at growing sizes, as JSON.

    .venv/bin/python benchmarks/index.py [--sizes 1000,10000,100000] [--embed-sample 1000] [--queries 100]
        [--out FILE]

For each size: a fresh index (embedded Chroma, bm25s) of that many synthetic support passages (one
passage per document, ~50 words each, seeded), built through `KnowledgeIndex.build`, then `--queries`
hybrid, dense and keyword searches one at a time (each query embedded by the real model, as users do).

Embedding cost does not depend on the size of the index, storing does. So the real MiniLM model embeds
`--embed-sample` passages once (that gives the embedding rate); a size up to that many is built end to end
with the real model, and a larger one reuses those real vectors, each with small seeded noise and
re-normalised so every passage has its own vector near a real one (that gives the storing rate and a
realistic HNSW graph without hours of CPU). `ingest_chunks_per_s` combines both rates:
1 / (1/embedding + 1/storing).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from benchmarks.targets import goal, goals  # noqa: E402
from knowledge.embeddings import (  # noqa: E402
    Embedder,
    EmbeddingBackend,
    OnnxEmbedder,
    SentenceTransformerEmbedder,
    default_cache_dir,
    packaged_model_path,
)
from knowledge.feedback import ReuseCounts  # noqa: E402
from knowledge.index import KnowledgeIndex  # noqa: E402
from knowledge.keyword import KeywordIndex  # noqa: E402
from knowledge.models import Document  # noqa: E402
from knowledge.vector_store import ChromaVectorStore  # noqa: E402

PRODUCTS = ["billing", "vpn", "mobile app", "desktop sync", "reporting", "single sign-on", "api", "printer"]
SYMPTOMS = [
    "fails with error E-{code}", "is slow after the upgrade", "keeps disconnecting", "shows the wrong totals",
    "rejects the password", "does not send the email", "times out on large exports", "crashes on start",
]  # fmt: skip
ACTIONS = [
    "renew the certificate", "clear the local cache", "reset the sync token", "ask an admin to grant the role",
    "update the client to the latest version", "re-run the export with a smaller date range",
    "check the status page for an incident", "reconnect the integration", "rotate the API key",
]  # fmt: skip
FILLER = [
    "Customers usually notice this on Monday mornings.", "Support confirmed the fix with the customer.",
    "The owner captured the answer in the knowledge base.", "Escalate to tier 2 only if the steps fail.",
    "This affects accounts on the enterprise plan.", "Link this article when you resolve the case.",
]  # fmt: skip


def synthetic_documents(count: int, seed: int = 7) -> list[Document]:
    rng = random.Random(seed)
    documents = []
    for number in range(count):
        product, symptom = rng.choice(PRODUCTS), rng.choice(SYMPTOMS).format(code=rng.randint(1000, 9999))
        steps = rng.sample(ACTIONS, 3)
        title = f"{product.capitalize()} {symptom}"
        text = (
            f"# {title}\n\nWhen the {product} {symptom}, first {steps[0]}. If that does not help, {steps[1]}, "
            f"then {steps[2]}. {' '.join(rng.sample(FILLER, 2))} Case reference {number}."
        )
        documents.append(
            Document(
                id=f"doc-{number:06d}", title=title, kind="article", text=text, source=f"synthetic:{number}"
            )
        )
    return documents


def synthetic_queries(count: int, seed: int = 11) -> list[str]:
    rng = random.Random(seed)
    return [
        f"{rng.choice(PRODUCTS)} {rng.choice(SYMPTOMS).format(code=rng.randint(1000, 9999))} {rng.choice(['', 'how to fix', 'what now'])}".strip()
        for _ in range(count)
    ]


class PrecomputedEmbedder:
    """Hands out vectors computed beforehand, in order, while the build asks; then the real model (queries)."""

    def __init__(self, real: Embedder, vectors: np.ndarray) -> None:
        self.real, self.vectors, self.name, self.used = real, vectors, real.name, 0

    def embed(self, texts: Sequence[str]) -> list[list[float]]:
        if self.used >= len(self.vectors):
            return self.real.embed(texts)
        batch = self.vectors[self.used : self.used + len(texts)]
        self.used += len(texts)
        return [list(map(float, vector)) for vector in batch]


def percentile(values: list[float], q: float) -> float:
    return float(np.percentile(np.asarray(values), q))


def open_index(folder: Path, embedder: Any) -> KnowledgeIndex:
    return KnowledgeIndex(
        embedder,
        ChromaVectorStore.persistent(folder),
        KeywordIndex(folder / "keyword"),
        ReuseCounts(f"sqlite:///{folder / 'advisor.db'}"),
    )


def measure_size(
    size: int, real: Embedder, sample: dict[str, list[float]], queries: list[str]
) -> dict[str, Any]:
    documents = synthetic_documents(size)
    end_to_end = size <= len(sample)
    embedder: Any = real
    if not end_to_end:
        rng = np.random.default_rng(size)
        base = np.asarray(list(sample.values()), dtype=np.float32)
        noisy = base[np.arange(size) % len(base)] + rng.normal(0, 0.03, (size, base.shape[1])).astype(
            np.float32
        )
        noisy /= np.linalg.norm(noisy, axis=1, keepdims=True)
        embedder = PrecomputedEmbedder(real, noisy)
    with tempfile.TemporaryDirectory() as scratch:
        index = open_index(Path(scratch), embedder)
        started = time.perf_counter()
        report = index.build(documents)
        build_seconds = time.perf_counter() - started
        latencies: dict[str, dict[str, float]] = {}
        for mode in ("hybrid", "dense", "keyword"):
            index.search(queries[0], 5, mode=mode)  # type: ignore[arg-type]  # warm caches
            timings = []
            for query in queries:
                started = time.perf_counter()
                index.search(query, 5, mode=mode)  # type: ignore[arg-type]
                timings.append((time.perf_counter() - started) * 1000)
            latencies[mode] = {
                "p50_ms": round(percentile(timings, 50), 1),
                "p95_ms": round(percentile(timings, 95), 1),
            }
        disk = sum(path.stat().st_size for path in Path(scratch).rglob("*") if path.is_file())
    if not end_to_end and embedder.used != size:
        raise RuntimeError(f"expected one passage per document, embedded {embedder.used} for {size}")
    storing = report.storing_seconds + report.keyword_seconds
    result: dict[str, Any] = {
        "chunks": report.chunks,
        "vectors": "real MiniLM" if end_to_end else "real MiniLM sample + noise",
        "build_seconds": round(build_seconds, 1),
        "chroma_seconds": report.storing_seconds,
        "keyword_seconds": report.keyword_seconds,
        "storing_chunks_per_s": round(report.chunks / storing, 1) if storing else None,
        "index_mb": round(disk / 1e6, 1),
        "query_latency": latencies,
    }
    if end_to_end:
        result["embedding_seconds"] = report.embedding_seconds
        result["embedding_chunks_per_s"] = round(report.chunks / report.embedding_seconds, 1)
    return result


BACKENDS: tuple[EmbeddingBackend, ...] = ("torch", "onnx", "onnx-int8")
#: The side-by-side also runs ONNX fp32 as it was opened before issue 18 (ONNX Runtime's default spinning
#: threads), to show what the session settings and the unpadded, length-sorted batches gain.
BEFORE = "onnx-spinning"


def make_embedder(backend: str) -> Embedder:
    if backend == "torch":
        return SentenceTransformerEmbedder(packaged_model_path())
    return OnnxEmbedder(
        packaged_model_path(),
        default_cache_dir(),
        quantized=backend == "onnx-int8",
        spinning=backend == BEFORE,
    )


def cases(count: int, seed: int) -> list[Document]:
    """Case notes as a help desk writes them (benchmarks.case_corpus): ~50 tokens each, all distinct here
    (copies are embedded once per build, which would flatter the rate)."""
    from benchmarks.case_corpus import synthetic_cases

    documents = synthetic_cases(count * 2, seed=seed).documents
    return list({document.text: document for document in documents}.values())[:count]


def case_texts(count: int) -> list[str]:
    return [document.text for document in cases(count, seed=3)]


def load() -> float:
    return round(os.getloadavg()[0], 2)


def compare_backends(texts: list[str], rounds: int, quality: bool) -> dict[str, Any]:
    """Each backend's embedding rate on the same passages (rounds interleaved, so a busy machine slows all
    alike; the median is kept), per second of wall time and per second of this process's CPU (what other
    work on a shared machine does not take away), its vectors against PyTorch's, an end-to-end build of
    those passages, and (with `quality`) its retrieval quality on StackFAQ and the practices set. The load
    average is printed beside every figure."""
    backends = [*BACKENDS, BEFORE]
    embedders = {backend: make_embedder(backend) for backend in backends}
    for embedder in embedders.values():
        embedder.embed(["warm up"])
    rates: dict[str, list[tuple[float, float, float]]] = {backend: [] for backend in backends}
    vectors: dict[str, np.ndarray] = {}
    for _ in range(rounds):
        for backend, embedder in embedders.items():
            started, used = time.perf_counter(), time.process_time()
            vectors[backend] = np.asarray(embedder.embed(texts))
            wall, cpu = time.perf_counter() - started, time.process_time() - used
            rates[backend].append((len(texts) / wall, len(texts) / cpu, load()))
    result: dict[str, Any] = {}
    for backend, embedder in embedders.items():
        cosine = (vectors[backend] * vectors["torch"]).sum(axis=1)
        with tempfile.TemporaryDirectory() as scratch:
            index = open_index(Path(scratch), embedder)
            documents = cases(len(texts), seed=5)
            started, used = time.perf_counter(), time.process_time()
            report = index.build(documents)
            seconds, cpu = time.perf_counter() - started, time.process_time() - used
        middle = sorted(rates[backend])[len(rates[backend]) // 2]
        result[backend] = {
            "model": embedder.name,
            "embedding_chunks_per_s": round(middle[0], 1),
            "embedding_chunks_per_cpu_s": round(middle[1], 1),
            "load_average": middle[2],
            "ingest_chunks_per_s": round(report.chunks / seconds, 1),
            "ingest_chunks_per_cpu_s": round(report.chunks / cpu, 1),
            "ingest_load_average": load(),
            "cosine_vs_torch": {"min": round(float(cosine.min()), 5), "mean": round(float(cosine.mean()), 5)},
        }
        result[backend]["goals"] = {"ingest_per_s": goal("index", "ingest_per_s").check(
            result[backend]["ingest_chunks_per_s"]
        )}  # fmt: skip
        if backend == "onnx":
            result[backend]["goals"]["onnx_cosine_vs_torch_min"] = goal(
                "index", "onnx_cosine_vs_torch_min"
            ).check(round(float(cosine.min()), 5))
        if quality and backend != BEFORE:
            result[backend]["retrieval"] = retrieval_quality(embedder)
    for backend in backends[1:]:
        result[backend]["cpu_speedup_vs_torch"] = round(
            result[backend]["embedding_chunks_per_cpu_s"] / result["torch"]["embedding_chunks_per_cpu_s"], 2
        )
    if quality:
        fp32, int8 = result["onnx"]["retrieval"], result["onnx-int8"]["retrieval"]
        losses = {
            name: round(fp32[name]["hybrid_ndcg@10"] - int8[name]["hybrid_ndcg@10"], 4) for name in fp32
        }
        result["onnx-int8"]["hybrid_ndcg10_loss_vs_fp32"] = losses
        result["onnx-int8"]["goals"]["int8_ndcg10_loss"] = goal("index", "int8_ndcg10_loss").check(
            max(losses.values())
        )
    return result


def query_concurrency(queries: list[str], clients: int, seconds: float = 10.0) -> dict[str, Any]:
    """Query embeddings per second with 1 and with `clients` threads asking one query at a time, through
    the ONNX model alone and through BatchingEmbedder (what the app uses), with p95 latency."""
    from concurrent.futures import ThreadPoolExecutor

    from knowledge.embeddings import BatchingEmbedder

    inner = make_embedder("onnx")
    inner.embed(["warm up"])
    batching = BatchingEmbedder(inner)

    def run(embedder: Embedder, threads: int) -> dict[str, float]:
        deadline = time.perf_counter() + seconds
        spent: list[float] = []

        def client(number: int) -> None:
            position = number
            while time.perf_counter() < deadline:
                started = time.perf_counter()
                embedder.embed([queries[position % len(queries)]])
                spent.append((time.perf_counter() - started) * 1000)
                position += threads

        with ThreadPoolExecutor(threads) as pool:
            list(pool.map(client, range(threads)))
        return {
            "queries_per_s": round(len(spent) / seconds, 1),
            "p50_ms": round(percentile(spent, 50), 1),
            "p95_ms": round(percentile(spent, 95), 1),
        }

    result: dict[str, Any] = {}
    for name, embedder in (("onnx_alone", inner), ("batching", batching)):
        one, many = run(embedder, 1), run(embedder, clients)
        result[name] = {
            "1_client": one,
            f"{clients}_clients": many,
            "throughput_ratio": round(many["queries_per_s"] / one["queries_per_s"], 2),
        }
    return result


def retrieval_quality(embedder: Embedder) -> dict[str, dict[str, float]]:
    """nDCG@10 and MRR@10 of hybrid and dense search with this embedder, per evaluation set."""
    from benchmarks.retrieval import DEFAULT_DATA, practices_set, score_modes
    from knowledge.index import DEFAULT_MIN_SIMILARITY
    from knowledge.stackfaq import load_stackfaq

    sets = {"practices": practices_set()}
    if DEFAULT_DATA.is_file():
        sets["stackfaq"] = load_stackfaq(DEFAULT_DATA)
    found: dict[str, dict[str, float]] = {}
    for name, dataset in sets.items():
        with tempfile.TemporaryDirectory() as scratch:
            index = open_index(Path(scratch), embedder)
            index.build(dataset.documents, remove_missing_kinds=("document", "practice"))
            queries = {query.id: query.query for query in dataset.queries}
            scores = score_modes(index, queries, dataset.qrels, DEFAULT_MIN_SIMILARITY, ("dense", "hybrid"))
        found[name] = {
            f"{mode}_{metric}": round(value, 4)
            for mode, result in scores.items()
            for metric, value in result.as_row().items()
            if metric in ("ndcg@10", "mrr@10")
        }
    return found


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--sizes", default="1000,10000", help="comma-separated passage counts (e.g. 1000,10000,100000)"
    )
    parser.add_argument("--embed-sample", type=int, default=1000, help="passages the real model embeds")
    parser.add_argument("--queries", type=int, default=100, help="queries timed per size and mode")
    parser.add_argument("--out", type=Path, help="also write the JSON here")
    parser.add_argument(
        "--backend", default="onnx", choices=BACKENDS, help="the embedder of the size runs (default: onnx)"
    )
    parser.add_argument("--compare", type=int, default=0, help="passages for the side-by-side of backends")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds of the side-by-side")
    parser.add_argument("--quality", action="store_true", help="retrieval quality of each backend too")
    parser.add_argument("--clients", type=int, default=0, help="also time N concurrent query embedders")
    args = parser.parse_args()
    concurrency = query_concurrency(synthetic_queries(200), args.clients) if args.clients else None
    sizes = [int(size) for size in args.sizes.split(",") if size.strip()]
    backends = compare_backends(case_texts(args.compare), args.rounds, args.quality) if args.compare else None
    real = make_embedder(args.backend)
    real.embed(["warm up"])
    sample_texts = [document.text for document in synthetic_documents(args.embed_sample, seed=3)]
    started = time.perf_counter()
    sample = dict(zip(sample_texts, real.embed(sample_texts), strict=True))
    embedding_rate = len(sample_texts) / (time.perf_counter() - started)
    queries = synthetic_queries(args.queries)
    results = []
    for size in sizes:
        measured = measure_size(size, real, sample, queries)
        storing_rate = measured["storing_chunks_per_s"] or float("inf")
        measured["ingest_chunks_per_s"] = round(1 / (1 / embedding_rate + 1 / storing_rate), 1)
        results.append(measured)
        print(json.dumps(measured), file=sys.stderr)
    output = {
        "benchmark": "index",
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        "goals": goals("index"),
        "embedding": {
            "backend": args.backend,
            "chunks": len(sample_texts),
            "chunks_per_s": round(embedding_rate, 1),
            "model": real.name,
        },
        "backends": backends,
        "query_concurrency": concurrency,
        "sizes": results,
    }
    text = json.dumps(output, indent=2)
    print(text)
    if args.out:
        args.out.write_text(text + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
