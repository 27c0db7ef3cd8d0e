"""Retrieval quality: Recall@1/5/10, MRR@10 and nDCG@10 of keyword, dense and hybrid search, per set.

    .venv/bin/python benchmarks/retrieval.py [--data ../shared/data/stackfaq/stackExchange-FAQ.xml]
        [--index-dir DIR] [--threads N] [--min-similarity X ...] [--tune] [--latency-queries N] [--demo DIR]
        [--sets stackfaq,practices,demo-cases] [--out FILE]

Three sets: StackFAQ (125 threads as documents, ~1,250 human paraphrases as queries, each relevant to its own
thread; Stack Exchange content, CC BY-SA 3.0) when ../shared/data is there, the practices library with
the 30 hand-written, graded queries of tests/knowledge/data, and the demo's resolved cases (duplicate-heavy:
~5,000 notes from 26 templates in the medium demo) with 26 questions, each judged by its one relevant cluster
(the resolution id of the note template; a cluster counts once in the ranking), where the ten hybrid hits
should also hold at least 5 distinct solutions (`distinct_solutions`). `--sets` picks some of them. Each is indexed with the real MiniLM model,
embedded Chroma and bm25s, in a temporary folder unless --index-dir is given (then reused incrementally).
Query latency (p50/p95, one query at a time, k = 10, as the app searches) is timed per mode on the first
--latency-queries queries of each set.

--tune runs the split-half protocol that chose the hybrid keyword weight: the queries of each set are split
in two folds (StackFAQ by thread number, so paraphrases of one thread stay together; the practices by query
number); the weight is chosen on one fold of both sets (the weight whose worst margin over the better single
retriever, in MRR@10 and nDCG@10, over the two sets is largest; ties: the higher mean) and scored on the
other fold, both ways round. Prints JSON.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from knowledge.documents import case_document, practice_document  # noqa: E402
from knowledge.embeddings import SentenceTransformerEmbedder, packaged_model_path  # noqa: E402
from knowledge.evaluation import RetrievalScores, evaluate_retrievers  # noqa: E402
from knowledge.feedback import ReuseCounts  # noqa: E402
from knowledge.fusion import KEYWORD_WEIGHT  # noqa: E402
from knowledge.index import DEFAULT_MIN_SIMILARITY, KnowledgeIndex  # noqa: E402
from knowledge.keyword import KeywordIndex  # noqa: E402
from knowledge.practices import load_practices  # noqa: E402
from knowledge.query_files import read_qrels, read_queries  # noqa: E402
from knowledge.stackfaq import ATTRIBUTION, EvaluationSet, load_stackfaq  # noqa: E402
from knowledge.vector_store import ChromaVectorStore  # noqa: E402
from metrics.demo import generate_demo  # noqa: E402
from metrics.demo.resolutions import PROBLEMS  # noqa: E402

DEFAULT_DATA = ROOT.parent / "shared" / "data" / "stackfaq" / "stackExchange-FAQ.xml"
PRACTICE_QUERIES = ROOT / "tests" / "knowledge" / "data" / "practices-queries.jsonl"
PRACTICE_QRELS = ROOT / "tests" / "knowledge" / "data" / "practices-qrels.txt"
CASE_QUERIES = ROOT / "tests" / "knowledge" / "data" / "demo-cases-queries.jsonl"
CASE_QRELS = ROOT / "tests" / "knowledge" / "data" / "demo-cases-qrels.txt"
#: The demo's note templates; a template's position is its resolution id (`r00` ... `r25`).
NOTES = [note for problems in PROBLEMS for _, notes in problems for note in notes]


def open_index(folder: Path) -> KnowledgeIndex:
    return KnowledgeIndex(
        SentenceTransformerEmbedder(packaged_model_path()),
        ChromaVectorStore.persistent(folder),
        KeywordIndex(folder / "keyword"),
        ReuseCounts(f"sqlite:///{folder / 'advisor.db'}"),
    )


Fold = Callable[[str], int]
TUNING_WEIGHTS = [round(0.05 * step, 2) for step in range(13)]  # 0.0 (dense alone) to 0.6
HEADLINE = ("mrr@10", "ndcg@10")


Label = Callable[[Any], str]


def resolution_label(hit: Any) -> str:
    """The resolution id of a demo case hit (the note template its passage holds), else its document id."""
    flat = " ".join(str(hit.snippet).split())
    return next((f"r{number:02d}" for number, note in enumerate(NOTES) if note in flat), str(hit.id))


def ranked(hits: Any, label: Label | None) -> list[str]:
    """Document ids, or with `label` the solutions, each once, in rank order (a cluster counts once)."""
    if label is None:
        return [hit.id for hit in hits]
    return list(dict.fromkeys(label(hit) for hit in hits))


def score_modes(
    index: KnowledgeIndex,
    queries: dict[str, str],
    qrels: dict[str, dict[str, int]],
    floor: float,
    modes: tuple[str, ...] = ("keyword", "dense", "hybrid", "hybrid-rrf"),
    label: Label | None = None,
) -> dict[str, RetrievalScores]:
    return evaluate_retrievers(
        lambda texts, mode: [
            ranked(hits, label)
            for hits in index.search_many(texts, 10, mode=mode, min_similarity=floor)  # type: ignore[arg-type]
        ],
        queries,
        qrels,
        modes,
    )


def distinct_solutions(
    index: KnowledgeIndex, queries: dict[str, str], floor: float, label: Label
) -> dict[str, Any]:
    """How many distinct solutions the 10 hybrid hits of each query hold. The goal: at least 5 where 5 exist,
    that is where the first 30 hits (everything above the similarity floor, in practice) hold 5 or more."""
    texts = list(queries.values())
    counts = [
        len({label(hit) for hit in hits}) for hits in index.search_many(texts, 10, min_similarity=floor)
    ]
    existing = [
        len({label(hit) for hit in hits}) for hits in index.search_many(texts, 30, min_similarity=floor)
    ]
    where_5_exist = [count for count, exist in zip(counts, existing, strict=True) if exist >= 5]
    return {
        "mean_distinct_in_top10": round(sum(counts) / max(len(counts), 1), 2),
        "min_distinct_in_top10": min(counts, default=0),
        "queries_with_at_least_5": sum(count >= 5 for count in counts),
        "queries_where_5_exist": len(where_5_exist),
        "of_those_with_at_least_5_in_top10": sum(count >= 5 for count in where_5_exist),
        "queries": len(counts),
    }


def margins(rows: dict[str, dict[str, float]]) -> dict[str, float]:
    return {
        metric: round(value - max(rows["keyword"][metric], rows["dense"][metric]), 4)
        for metric, value in rows["hybrid"].items()
    }


def latency(index: KnowledgeIndex, texts: list[str]) -> dict[str, dict[str, float]]:
    """p50/p95 milliseconds of single searches (k = 10) per mode, after one warm-up search each."""
    timings: dict[str, dict[str, float]] = {}
    for mode in ("keyword", "dense", "hybrid", "hybrid-rrf"):
        index.search(texts[0], 10, mode=mode)  # type: ignore[arg-type]
        spent = []
        for text in texts:
            started = time.perf_counter()
            index.search(text, 10, mode=mode)  # type: ignore[arg-type]
            spent.append((time.perf_counter() - started) * 1000)
        timings[mode] = {
            "p50_ms": round(float(np.percentile(spent, 50)), 1),
            "p95_ms": round(float(np.percentile(spent, 95)), 1),
        }
    return timings


@dataclass
class LoadedSet:
    name: str
    index: KnowledgeIndex
    dataset: EvaluationSet
    fold: Fold
    #: Judged by solution rather than document (the demo's cases: many documents, one resolution).
    label: Label | None = None

    def queries(self, fold: int | None = None) -> dict[str, str]:
        return {
            query.id: query.query
            for query in self.dataset.queries
            if fold is None or self.fold(query.id) == fold
        }


def evaluate_set(loaded: LoadedSet, floors: list[float], latency_queries: int) -> dict[str, Any]:
    queries = loaded.queries()
    runs = []
    for floor in floors:
        started = time.perf_counter()
        scores = score_modes(loaded.index, queries, loaded.dataset.qrels, floor, label=loaded.label)
        rows = {mode: result.as_row() for mode, result in scores.items()}
        runs.append(
            {
                "min_similarity": floor,
                "seconds": round(time.perf_counter() - started, 1),
                "scores": rows,
                "hybrid_minus_best_single": margins(rows),
                **(
                    {"distinct_solutions": distinct_solutions(loaded.index, queries, floor, loaded.label)}
                    if loaded.label is not None
                    else {}
                ),
            }
        )
    return {
        "name": loaded.name,
        "documents": len(loaded.dataset.documents),
        "queries": len(queries),
        "runs": runs,
        "latency": latency(loaded.index, list(queries.values())[:latency_queries]),
    }


def tune(sets: list[LoadedSet], floor: float) -> list[dict[str, Any]]:
    """Choose the keyword weight on one fold of every set, report it on the other fold, both ways round."""
    folds: dict[tuple[str, int], dict[str, Any]] = {}
    for loaded in sets:
        for fold in (0, 1):
            queries = loaded.queries(fold)
            singles = score_modes(loaded.index, queries, loaded.dataset.qrels, floor, ("keyword", "dense"))
            hybrid = {}
            for weight in TUNING_WEIGHTS:
                loaded.index.keyword_weight = weight
                hybrid[weight] = score_modes(loaded.index, queries, loaded.dataset.qrels, floor, ("hybrid",))[
                    "hybrid"
                ].as_row()
            loaded.index.keyword_weight = KEYWORD_WEIGHT
            folds[(loaded.name, fold)] = {
                "queries": len(queries),
                "singles": {mode: result.as_row() for mode, result in singles.items()},
                "hybrid": hybrid,
            }

    def objective(fold: int, weight: float) -> tuple[float, float]:
        gaps, values = [], []
        for loaded in sets:
            measured = folds[(loaded.name, fold)]
            for metric in HEADLINE:
                value = measured["hybrid"][weight][metric]
                best = max(row[metric] for row in measured["singles"].values())
                gaps.append(value - best)
                values.append(value)
        return round(min(gaps), 4), round(sum(values) / len(values), 4)

    protocol: list[dict[str, Any]] = []
    for tuned, held_out in ((0, 1), (1, 0)):
        ranked = sorted(TUNING_WEIGHTS, key=lambda weight: objective(tuned, weight), reverse=True)
        chosen = ranked[0]
        protocol.append(
            {
                "tuned_on_fold": tuned,
                "objective_by_weight": {str(weight): objective(tuned, weight) for weight in TUNING_WEIGHTS},
                "chosen_weight": chosen,
                "held_out_fold": held_out,
                "held_out": {
                    loaded.name: {
                        "queries": folds[(loaded.name, held_out)]["queries"],
                        "scores": {
                            **folds[(loaded.name, held_out)]["singles"],
                            "hybrid": folds[(loaded.name, held_out)]["hybrid"][chosen],
                        },
                    }
                    for loaded in sets
                },
            }
        )
    for entry in protocol:
        held: dict[str, dict[str, Any]] = entry["held_out"]
        for measured in held.values():
            measured["hybrid_minus_best_single"] = margins(measured["scores"])
    return protocol


def stackfaq_fold(query_id: str) -> int:
    """StackFAQ query ids are `stackfaq-<thread>-q<n>`: split by thread, so a thread's paraphrases stay
    together."""
    return int(query_id.split("-")[1]) % 2


def numbered_fold(query_id: str) -> int:
    return int("".join(character for character in query_id if character.isdigit()) or 0) % 2


def practices_set() -> EvaluationSet:
    """The practices library with the 30 hand-written queries and graded judgements of the tests."""
    documents = [practice_document(practice) for practice in load_practices()]
    return EvaluationSet(documents, read_queries(PRACTICE_QUERIES), read_qrels(PRACTICE_QRELS))


def demo_cases_set(demo: Path) -> EvaluationSet:
    """The demo organisation's resolved cases with notes (templated: ~190 tickets per note in the medium
    demo) and the 26 demo-case questions, each judged by its one relevant cluster (resolution id)."""
    with (demo / "tickets.csv").open(encoding="utf-8", newline="") as rows:
        documents = [document for row in csv.DictReader(rows) if (document := case_document(row)) is not None]
    return EvaluationSet(documents, read_queries(CASE_QUERIES), read_qrels(CASE_QRELS))


def load_set(
    name: str, dataset: EvaluationSet, folder: Path, fold: Fold, label: Label | None = None
) -> tuple[LoadedSet, dict[str, Any]]:
    index = open_index(folder)
    started = time.perf_counter()
    report = index.build(dataset.documents, remove_missing_kinds=("document", "practice", "case"))
    built = {
        "build_seconds": round(time.perf_counter() - started, 1),
        "passages_embedded": report.chunks,
        "documents_indexed": len(dataset.documents),
    }
    return LoadedSet(name, index, dataset, fold, label), built


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
    parser.add_argument("--tune", action="store_true", help="also run the split-half weight protocol")
    parser.add_argument(
        "--latency-queries", type=int, default=200, help="queries timed one at a time per set and mode"
    )
    parser.add_argument(
        "--demo",
        type=Path,
        help="a demo organisation folder for the demo-cases set (default: the medium seed-42 demo, generated "
        "under the index folder)",
    )
    parser.add_argument("--sets", default="stackfaq,practices,demo-cases", help="comma-separated sets to run")
    parser.add_argument("--out", type=Path, help="also write the JSON here")
    args = parser.parse_args()
    floors = args.min_similarity or [DEFAULT_MIN_SIMILARITY]
    sets: list[dict[str, Any]] = []
    result: dict[str, Any] = {"benchmark": "retrieval", "keyword_weight": KEYWORD_WEIGHT, "sets": sets}
    with tempfile.TemporaryDirectory() as scratch:
        root = args.index_dir or Path(scratch)
        loaded: list[LoadedSet] = []
        chosen = set(args.sets.split(","))
        if "stackfaq" not in chosen:
            pass
        elif args.data.is_file():
            stackfaq, built = load_set(
                "stackfaq", load_stackfaq(args.data, threads=args.threads), root / "stackfaq", stackfaq_fold
            )
            loaded.append(stackfaq)
            sets.append(
                {**evaluate_set(stackfaq, floors, args.latency_queries), **built, "attribution": ATTRIBUTION}
            )
        else:
            print(
                f"no StackFAQ file at {args.data} (see ../shared/data/README.md); skipping it",
                file=sys.stderr,
            )
        if "practices" in chosen:
            practices, built = load_set("practices", practices_set(), root / "practices", numbered_fold)
            loaded.append(practices)
            sets.append({**evaluate_set(practices, floors, args.latency_queries), **built})
        if "demo-cases" in chosen:
            demo = args.demo or root / "demo-medium-42"
            if not (demo / "tickets.csv").exists():
                generate_demo(demo, end=date(2026, 12, 1), seed=42, size="medium")
            cases, built = load_set(
                "demo-cases", demo_cases_set(demo), root / "demo-cases", numbered_fold, resolution_label
            )
            sets.append({**evaluate_set(cases, floors, args.latency_queries), **built})
        if args.tune:
            result["tuning"] = tune(loaded, floors[0])
    text = json.dumps(result, indent=2, ensure_ascii=False)
    print(text)
    if args.out:
        args.out.write_text(text + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
