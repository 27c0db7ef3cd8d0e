"""The relevance floor (knowledge.relevance): when search says "no good match", calibrated and held out.

    .venv/bin/python benchmarks/relevance.py [--index-dir DIR] [--database FILE] [--out FILE]

Searches the medium seed-42 demo's knowledge index (74 practices, the demo's articles and case notes; built by
benchmarks/search_latency.py, same defaults) with answerable questions (the 30 practice questions, the 26
demo-case questions and 12 questions on the demo's article topics) and 40 questions nothing there answers
(tests/knowledge/data/relevance-questions.jsonl: other policies, other products, office life, chit-chat).
"No good match" is the positive class: a search whose hits all stay below the similarity floor and below the
keyword-coverage floor. The floors are chosen for the best F1 on the questions with an odd number and reported
on those with an even number, and the other way round for comparison; the index uses the odd-half choice
(`in_use`, with its held-out figures). Prints JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
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
from knowledge.relevance import GOOD_MATCH_SIMILARITY  # noqa: E402
from knowledge.vector_store import ChromaVectorStore  # noqa: E402

DATA = ROOT / "tests" / "knowledge" / "data"
FLOORS = [round(0.25 + 0.01 * step, 2) for step in range(46)]  # 0.25 (the index's own floor) to 0.70
COVERAGES = [0.6, 0.8, 1.01]  # 1.01: words alone never make a good match


def questions() -> list[tuple[str, str, bool]]:
    """(id, question, answerable)."""
    asked = [(q.id, q.query, True) for q in read_queries(DATA / "practices-queries.jsonl")]
    asked += [(q.id, q.query, True) for q in read_queries(DATA / "demo-cases-queries.jsonl")]
    for line in (DATA / "relevance-questions.jsonl").read_text(encoding="utf-8").splitlines():
        if line.strip():
            item = json.loads(line)
            asked.append((item["id"], item["query"], bool(item["answerable"])))
    return asked


def fold(question_id: str) -> int:
    return int("".join(character for character in question_id if character.isdigit())) % 2


def rates(predicted: list[bool], truth: list[bool]) -> dict[str, float]:
    true_positive = sum(p and t for p, t in zip(predicted, truth, strict=True))
    precision = true_positive / max(sum(predicted), 1)
    recall = true_positive / max(sum(truth), 1)
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {
        "questions": len(truth),
        "unanswerable": sum(truth),
        "precision": round(precision, 4),
        "recall": round(recall, 4),
        "f1": round(f1, 4),
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    work = Path(tempfile.gettempdir()) / "ocmf-advisor-search-bench"
    parser.add_argument("--index-dir", type=Path, default=work / "index")
    parser.add_argument("--database", type=Path, default=work / "state.db")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    index = KnowledgeIndex(
        SentenceTransformerEmbedder(packaged_model_path()),
        ChromaVectorStore.persistent(args.index_dir),
        KeywordIndex(args.index_dir / "keyword"),
        ReuseCounts(f"sqlite:///{args.database}"),
    )
    asked = questions()
    found = index.search_many([text for _, text, _ in asked], 10)
    features = [
        (
            max((hit.similarity for hit in hits if hit.similarity is not None), default=0.0),
            max((hit.coverage for hit in hits), default=0.0),
        )
        for hits in found
    ]

    def predict(floor: float, coverage: float, which: list[int]) -> list[bool]:
        return [not (features[n][0] >= floor or features[n][1] >= coverage) for n in which]

    truth = [not answerable for _, _, answerable in asked]
    protocol: list[dict[str, Any]] = []
    for tuned in (1, 0):
        tune_on = [n for n, (question_id, _, _) in enumerate(asked) if fold(question_id) == tuned]
        held = [n for n, (question_id, _, _) in enumerate(asked) if fold(question_id) != tuned]
        grid = {
            (floor, coverage): rates(predict(floor, coverage, tune_on), [truth[n] for n in tune_on])
            for floor in FLOORS
            for coverage in COVERAGES
        }
        chosen = max(grid, key=lambda pair: (grid[pair]["f1"], pair[1], -pair[0]))
        protocol.append(
            {
                "tuned_on": "odd-numbered questions" if tuned else "even-numbered questions",
                "chosen": {"similarity_floor": chosen[0], "coverage_floor": chosen[1]},
                "tuning": grid[chosen],
                "held_out": rates(predict(*chosen, held), [truth[n] for n in held]),
            }
        )
    everyone = list(range(len(asked)))
    off = COVERAGES[-1]  # the index judges by the cosine alone (knowledge.relevance)
    in_use = predict(GOOD_MATCH_SIMILARITY, off, everyone)
    held_out = [n for n, (question_id, _, _) in enumerate(asked) if fold(question_id) == 0]
    result = {
        "benchmark": "relevance",
        "questions": len(asked),
        "unanswerable": sum(truth),
        "protocol": protocol,
        "in_use": {
            "similarity_floor": GOOD_MATCH_SIMILARITY,
            "held_out_even_numbered": rates(
                predict(GOOD_MATCH_SIMILARITY, off, held_out), [truth[n] for n in held_out]
            ),
            "all_questions": rates(in_use, truth),
            "wrongly_no_good_match": [asked[n][1] for n in everyone if in_use[n] and not truth[n]],
            "wrongly_good_match": [asked[n][1] for n in everyone if not in_use[n] and truth[n]],
        },
        "best_similarity": {asked[n][0]: round(features[n][0], 3) for n in everyone},
    }
    text = json.dumps(result, indent=2)
    print(text)
    if args.out:
        args.out.write_text(text + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
