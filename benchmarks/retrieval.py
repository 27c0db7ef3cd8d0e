"""Retrieval quality: Recall@1/5/10, MRR@10 and nDCG@10 of keyword, dense and hybrid search, per set.

    .venv/bin/python benchmarks/retrieval.py [--data ../shared/data/stackfaq/stackExchange-FAQ.xml]
        [--index-dir DIR] [--threads N] [--min-similarity X ...] [--out FILE]

Two sets: StackFAQ (125 threads as documents, ~1,250 human paraphrases as queries, each relevant to its own
thread; Stack Exchange content, CC BY-SA 3.0) when ../shared/data is there, and the practices library with
the 30 hand-written, graded queries of tests/knowledge/data. Each is indexed with the real MiniLM model,
embedded Chroma and bm25s, in a temporary folder unless --index-dir is given (then reused incrementally).
Prints JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from knowledge.documents import practice_document  # noqa: E402
from knowledge.embeddings import SentenceTransformerEmbedder, packaged_model_path  # noqa: E402
from knowledge.evaluation import evaluate_retrievers  # noqa: E402
from knowledge.feedback import ReuseCounts  # noqa: E402
from knowledge.fusion import DENSE_WEIGHT, KEYWORD_WEIGHT  # noqa: E402
from knowledge.index import DEFAULT_MIN_SIMILARITY, KnowledgeIndex  # noqa: E402
from knowledge.keyword import KeywordIndex  # noqa: E402
from knowledge.practices import load_practices  # noqa: E402
from knowledge.query_files import read_qrels, read_queries  # noqa: E402
from knowledge.stackfaq import ATTRIBUTION, EvaluationSet, load_stackfaq  # noqa: E402
from knowledge.vector_store import ChromaVectorStore  # noqa: E402

DEFAULT_DATA = ROOT.parent / "shared" / "data" / "stackfaq" / "stackExchange-FAQ.xml"
PRACTICE_QUERIES = ROOT / "tests" / "knowledge" / "data" / "practices-queries.jsonl"
PRACTICE_QRELS = ROOT / "tests" / "knowledge" / "data" / "practices-qrels.txt"


def open_index(folder: Path) -> KnowledgeIndex:
    return KnowledgeIndex(
        SentenceTransformerEmbedder(packaged_model_path()),
        ChromaVectorStore.persistent(folder),
        KeywordIndex(folder / "keyword"),
        ReuseCounts(folder / "feedback.sqlite3"),
    )


def evaluate_set(name: str, dataset: EvaluationSet, folder: Path, floors: list[float]) -> dict[str, Any]:
    index = open_index(folder)
    started = time.perf_counter()
    report = index.build(dataset.documents, remove_missing_kinds=("document", "practice"))
    build_seconds = time.perf_counter() - started
    queries = {query.id: query.query for query in dataset.queries}
    runs = []
    for floor in floors:
        started = time.perf_counter()
        scores = evaluate_retrievers(
            lambda texts, mode, floor=floor: [
                [hit.id for hit in hits]
                for hits in index.search_many(texts, 10, mode=mode, min_similarity=floor)  # type: ignore[arg-type]
            ],
            queries,
            dataset.qrels,
        )
        rows = {mode: result.as_row() for mode, result in scores.items()}
        runs.append(
            {
                "min_similarity": floor,
                "seconds": round(time.perf_counter() - started, 1),
                "scores": rows,
                "hybrid_minus_best_single": {
                    metric: round(value - max(rows["keyword"][metric], rows["dense"][metric]), 4)
                    for metric, value in rows["hybrid"].items()
                },
            }
        )
    return {
        "name": name,
        "documents": len(dataset.documents),
        "queries": len(dataset.queries),
        "build_seconds": round(build_seconds, 1),
        "passages_embedded": report.chunks,
        "runs": runs,
    }


def practices_set() -> EvaluationSet:
    """The practices library with the 30 hand-written queries and graded judgements of the tests."""
    documents = [practice_document(practice) for practice in load_practices()]
    return EvaluationSet(documents, read_queries(PRACTICE_QUERIES), read_qrels(PRACTICE_QRELS))


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="the StackFAQ XML file")
    parser.add_argument(
        "--index-dir", type=Path, help="keep the indexes under here (default: a temporary folder)"
    )
    parser.add_argument("--threads", type=int, help="use only the first N StackFAQ threads")
    parser.add_argument(
        "--min-similarity",
        type=float,
        action="append",
        help=f"similarity floor(s) to evaluate (default: the index's, {DEFAULT_MIN_SIMILARITY}); repeatable",
    )
    parser.add_argument("--out", type=Path, help="also write the JSON here")
    args = parser.parse_args()
    floors = args.min_similarity or [DEFAULT_MIN_SIMILARITY]
    sets: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory() as scratch:
        root = args.index_dir or Path(scratch)
        if args.data.is_file():
            stackfaq = load_stackfaq(args.data, threads=args.threads)
            sets.append(
                {**evaluate_set("stackfaq", stackfaq, root / "stackfaq", floors), "attribution": ATTRIBUTION}
            )
        else:
            print(
                f"no StackFAQ file at {args.data} (see ../shared/data/README.md); skipping it",
                file=sys.stderr,
            )
        sets.append(evaluate_set("practices", practices_set(), root / "practices", floors))
    result = {
        "benchmark": "retrieval",
        "weights": {"dense": DENSE_WEIGHT, "keyword": KEYWORD_WEIGHT},
        "sets": sets,
    }
    text = json.dumps(result, indent=2, ensure_ascii=False)
    print(text)
    if args.out:
        args.out.write_text(text + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
