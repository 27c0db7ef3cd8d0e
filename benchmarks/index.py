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

from knowledge.embeddings import SentenceTransformerEmbedder, packaged_model_path  # noqa: E402
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

    def __init__(self, real: SentenceTransformerEmbedder, vectors: np.ndarray) -> None:
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
    size: int, real: SentenceTransformerEmbedder, sample: dict[str, list[float]], queries: list[str]
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
    args = parser.parse_args()
    sizes = [int(size) for size in args.sizes.split(",") if size.strip()]
    real = SentenceTransformerEmbedder(packaged_model_path())
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
        "embedding": {
            "chunks": len(sample_texts),
            "chunks_per_s": round(embedding_rate, 1),
            "model": real.name,
        },
        "sizes": results,
    }
    text = json.dumps(output, indent=2)
    print(text)
    if args.out:
        args.out.write_text(text + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
