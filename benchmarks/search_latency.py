"""Search latency and distinct solutions on a demo organisation's knowledge index (the app's own search).

    .venv/bin/python benchmarks/search_latency.py [--data DIR] [--index-dir DIR] [--database FILE]
        [--repeats N] [--out FILE]
    .venv/bin/python benchmarks/search_latency.py --sizes 1000,10000,100000 [--queries N] [--out FILE]

Opens (and, when empty, builds) the knowledge index of the organisation in --data (default: the medium
seed-42 demo, generated when missing) through `build_advisor`, opens it as the app does, then searches, one query at a time with k = 10
as the knowledge page does, every question of tests/knowledge/data (the 30 practice questions, the 26
demo-case questions and the 52 relevance questions) once with the model embedding each query, then
--repeats times with the query vectors remembered (the index's own work). Reports p50/p95 in milliseconds, and for the demo-case questions how many distinct solutions (distinct resolution
notes of the demo's templates, `metrics.demo.resolutions.PROBLEMS`) the top 10 holds. Prints JSON.

With --sizes, the lean query path at scale instead (issue 18 §3): for each size an index of that many case
notes written the way agents vary the demo's notes (knowledge_corpus.synthetic_cases: lead-ins, closings,
product names, ticket numbers, a share logged verbatim again, which become copies), built once and kept
under the work folder, then k = 5 hybrid searches of the demo-case and practice questions, one at a time:
p50/p95 with the query embedded by the model, and without it (vectors remembered). The real model embeds
a sample of the distinct notes; every other note gets the vector of its nearest sampled template plus
small noise (benchmarks/index.py does the same), which keeps the HNSW graph realistic without an hour
of CPU. The goals are printed beside the figures.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import asdict
from datetime import date
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from benchmarks.targets import goal, goals  # noqa: E402
from knowledge.embeddings import (  # noqa: E402
    Embedder,
    SentenceTransformerEmbedder,
    packaged_model_path,
)
from knowledge.feedback import ReuseCounts  # noqa: E402
from knowledge.index import KnowledgeIndex  # noqa: E402
from knowledge.keyword import KeywordIndex  # noqa: E402
from knowledge.query_files import read_queries  # noqa: E402
from knowledge.vector_store import ChromaVectorStore  # noqa: E402
from metrics.demo import generate_demo  # noqa: E402
from metrics.demo.resolutions import PROBLEMS  # noqa: E402

DATA = ROOT / "tests" / "knowledge" / "data"
NOTES = [note for problems in PROBLEMS for _, notes in problems for note in notes]


def resolution_of(text: str) -> int | None:
    """The demo note template a passage holds (None: not a demo case note)."""
    flat = " ".join(text.split())
    return next((number for number, note in enumerate(NOTES) if note in flat), None)


class RememberingEmbedder:
    """The model, remembering each query's vector: repeats time the search without the model, whose CPU time
    dominates and varies most when other work shares the cores."""

    def __init__(self, model: Embedder) -> None:
        self.model = model
        self.name = model.name
        self.memo: dict[str, list[float]] = {}

    def embed(self, texts: Sequence[str]) -> list[list[float]]:
        missing = [text for text in texts if text not in self.memo]
        if missing:
            self.memo.update(zip(missing, self.model.embed(missing), strict=True))
        return [self.memo[text] for text in texts]


def percentiles(milliseconds: list[float]) -> dict[str, float]:
    ordered = sorted(milliseconds)
    return {
        "p50_ms": round(statistics.median(ordered), 1),
        "p95_ms": round(statistics.quantiles(ordered, n=20)[18], 1),
        "n": len(ordered),
    }


def open_synthetic(
    size: int, work: Path, model: Embedder, real: bool = False
) -> tuple[KnowledgeIndex, float | None]:
    """The index of `size` synthetic case notes in `work`, built the first time (seconds, else None).
    `real`: the model embeds every passage (the whole build as `advisor index` does it), not a sample."""
    from benchmarks.case_corpus import CorpusEmbedder, synthetic_cases

    folder = work / f"synthetic-{size}{'-real' if real else ''}"
    built = (folder / "built").is_file()
    if not built:
        shutil.rmtree(folder, ignore_errors=True)
    corpus = None if built else synthetic_cases(size)
    embedder: Embedder = model if corpus is None or real else CorpusEmbedder(model, corpus)
    index = KnowledgeIndex(
        embedder,
        ChromaVectorStore.persistent(folder),
        KeywordIndex(folder / "keyword"),
        ReuseCounts(f"sqlite:///{folder / 'state.db'}"),
    )
    if corpus is None:
        return index, None
    started = time.perf_counter()
    report = index.build(
        corpus.documents, remove_missing_kinds=("case",), progress=_progress_printer(started)
    )
    seconds = time.perf_counter() - started
    (folder / "built").write_text(f"{seconds:.1f}\n")
    print(json.dumps({"built": size, "seconds": round(seconds, 1), **asdict(report)}), file=sys.stderr)
    index.embedder = model
    return index, round(seconds, 1)


def _progress_printer(started: float) -> Any:
    """A progress callback that prints a line every 5 % (the CLI shows a bar; a benchmark log wants lines)."""
    shown = [-1]

    def show(done: int, total: int) -> None:
        step = done * 20 // max(total, 1)
        if step > shown[0]:
            shown[0] = step
            elapsed = time.perf_counter() - started
            print(f"embedded {done:,}/{total:,} in {elapsed:.0f} s", file=sys.stderr, flush=True)

    return show


def measure_sizes(sizes: list[int], work: Path, queries: int, real: bool = False) -> dict[str, Any]:
    """k = 5 hybrid search latency at each size, with and without the query embedding."""
    from benchmarks.index import make_embedder

    model = make_embedder("onnx")
    questions = [
        question.query
        for name in ("demo-cases-queries.jsonl", "practices-queries.jsonl")
        for question in read_queries(DATA / name)
    ][:queries]
    results: dict[str, Any] = {}
    for size in sizes:
        index, build_seconds = open_synthetic(size, work, model, real)
        remembering = RememberingEmbedder(model)
        index.embedder = remembering
        index.search("warm up the model and the stores", 5)
        with_model: list[float] = []
        without_model: list[float] = []
        cpu: list[float] = []
        for repeat in range(2):
            for question in questions:
                begun, used = time.perf_counter(), time.process_time()
                index.search(question, 5)
                (with_model if repeat == 0 else without_model).append((time.perf_counter() - begun) * 1000)
                (cpu if repeat == 0 else []).append((time.process_time() - used) * 1000)
        results[str(size)] = {
            "passages": index.vectors.count(),
            "build_seconds": build_seconds,
            "every_passage_embedded": real,
            "hybrid_k5": percentiles(with_model),
            "hybrid_k5_without_the_query_embedding": percentiles(without_model),
            # CPU time of this process per search: what a busy machine's other work does not inflate
            "hybrid_k5_cpu_ms": percentiles(cpu),
            "goal_p50_ms": _size_goal(size, percentiles(with_model)["p50_ms"]),
            "load_average": [round(value, 2) for value in os.getloadavg()],
        }
        print(json.dumps({size: results[str(size)]}), file=sys.stderr)
    return {"benchmark": "search_latency_sizes", "goals": goals("search_latency"), "sizes": results}


def _size_goal(size: int, p50_ms: float) -> dict[str, Any] | None:
    """The p50 goal of this size beside the figure (None: targets.json has no goal at this size)."""
    try:
        return goal("search_latency", f"hybrid_k5_p50_ms_{size}").check(p50_ms)
    except KeyError:
        return None


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    work = Path(tempfile.gettempdir()) / "ocmf-advisor-search-bench"
    parser.add_argument("--data", type=Path, default=work / "demo-medium-42")
    parser.add_argument("--index-dir", type=Path, default=work / "index")
    parser.add_argument("--database", type=Path, default=work / "state.db")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--out", type=Path)
    parser.add_argument("--sizes", help="comma-separated passage counts of synthetic case notes")
    parser.add_argument("--queries", type=int, default=56, help="questions timed per size (--sizes)")
    parser.add_argument(
        "--embed-all", action="store_true", help="with --sizes: the model embeds every passage, not a sample"
    )
    args = parser.parse_args()
    if args.sizes:
        sizes = [int(size) for size in args.sizes.split(",") if size.strip()]
        text = json.dumps(measure_sizes(sizes, work, args.queries, args.embed_all), indent=2)
        print(text)
        if args.out:
            args.out.write_text(text + "\n", encoding="utf-8")
        return
    if not (args.data / "tickets.csv").exists():
        generate_demo(args.data, end=date(2026, 12, 1), seed=42, size="medium")
    build_seconds = None
    if not (args.index_dir / "chroma.sqlite3").exists():
        from advisor.composition import build_advisor
        from advisor.settings import Settings

        settings = Settings(
            data_dir=args.data, index_dir=args.index_dir, database_url=f"sqlite:///{args.database}"
        )
        started = time.perf_counter()
        build_advisor(settings).ensure_index()
        build_seconds = round(time.perf_counter() - started, 1)
    # The index as the app opens it (advisor.composition), without the rest of the app.
    advisor = KnowledgeIndex(
        RememberingEmbedder(SentenceTransformerEmbedder(packaged_model_path())),
        ChromaVectorStore.persistent(args.index_dir),
        KeywordIndex(args.index_dir / "keyword"),
        ReuseCounts(f"sqlite:///{args.database}"),
    )
    started = time.perf_counter()
    advisor.sync_keywords()  # an index from an older version is brought in step once, here
    prepare_seconds = round(time.perf_counter() - started, 1)
    questions = [
        *read_queries(DATA / "practices-queries.jsonl"),
        *read_queries(DATA / "demo-cases-queries.jsonl"),
        *read_queries(DATA / "relevance-questions.jsonl"),
    ]
    advisor.search("warm up the model and the stores", 10)
    spent: list[float] = []
    without_model: list[float] = []
    for repeat in range(args.repeats + 1):
        for question in questions:
            begun = time.perf_counter()
            advisor.search(question.query, 10)
            (spent if repeat == 0 else without_model).append((time.perf_counter() - begun) * 1000)
    distinct: dict[str, Any] = {}
    for question in read_queries(DATA / "demo-cases-queries.jsonl"):
        hits = advisor.search(question.query, 10)
        notes = [resolution_of(hit.snippet) for hit in hits]
        # a hit is the solution its note template is, or (an article, a practice) a solution of its own
        solutions = [
            f"r{note}" if note is not None else hit.id for note, hit in zip(notes, hits, strict=True)
        ]
        wanted = int(question.id[1:])
        distinct[question.id] = {
            "hits": len(hits),
            "distinct_solutions": len(set(solutions)),
            "distinct_case_notes": len({note for note in notes if note is not None}),
            "rank_of_its_solution": notes.index(wanted) + 1 if wanted in notes else None,
        }
    counts = [entry["distinct_solutions"] for entry in distinct.values()]
    result = {
        "benchmark": "search_latency",
        "data": str(args.data),
        "build_seconds": build_seconds,
        "prepare_seconds": prepare_seconds,
        "passages": advisor.vectors.count(),
        "latency_k10": percentiles(spent),
        "latency_k10_without_the_query_embedding": percentiles(without_model),
        "demo_cases": {
            "queries": len(counts),
            "mean_distinct_solutions_in_top10": round(sum(counts) / len(counts), 2),
            "queries_with_at_least_5": sum(count >= 5 for count in counts),
            "found_its_solution_in_top10": sum(
                e["rank_of_its_solution"] is not None for e in distinct.values()
            ),
            "per_query": distinct,
        },
    }
    text = json.dumps(result, indent=2)
    print(text)
    if args.out:
        args.out.write_text(text + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
