"""Search latency and distinct solutions on a demo organisation's knowledge index (the app's own search).

    .venv/bin/python benchmarks/search_latency.py [--data DIR] [--index-dir DIR] [--database FILE]
        [--repeats N] [--out FILE]

Opens (and, when empty, builds) the knowledge index of the organisation in --data (default: the medium
seed-42 demo, generated when missing) through `build_advisor`, opens it as the app does, then searches, one query at a time with k = 10
as the knowledge page does, every question of tests/knowledge/data (the 30 practice questions, the 26
demo-case questions and the 52 relevance questions) once with the model embedding each query, then
--repeats times with the query vectors remembered (the index's own work). Reports p50/p95 in milliseconds, and for the demo-case questions how many distinct solutions (distinct resolution
notes of the demo's templates, `metrics.demo.resolutions.PROBLEMS`) the top 10 holds. Prints JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from knowledge.embeddings import SentenceTransformerEmbedder, packaged_model_path  # noqa: E402
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

    def __init__(self, model: SentenceTransformerEmbedder) -> None:
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
    args = parser.parse_args()
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
