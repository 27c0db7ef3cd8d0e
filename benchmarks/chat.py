"""Chat answer latency per intent on the no-LLM path, on the medium seed-42 demo organisation; prints JSON.

Run: .venv/bin/python benchmarks/chat.py [--questions ../shared/eval/chat-questions.jsonl] [--repeats 5]
     [--work DIR]
Generates the demo organisation (`advisor demo-data OUT --seed 42 --size medium`) and builds its knowledge
index in DIR (kept between runs). Each question is asked once cold (the scorecards, drill-downs and diagnoses
it needs are computed on the way, as on a fresh server) and then `--repeats` times warm (each in a new
conversation). Reports p50 and p95 per intent (the intent the chat read), cold and warm, in milliseconds.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from advisor.composition import build_advisor
from advisor.settings import Settings
from advisor.understanding_eval import read_questions
from metrics.demo import generate_demo

#: Questions of every intent, used when the shared evaluation set is absent.
FALLBACK = [
    "What should we improve next?",
    "Why are hand-offs high?",
    "Which team has the most hand-offs?",
    "How has NPS moved over the last six months?",
    "Compare this quarter with last quarter",
    "What's our NPS?",
    "What is Time to Smile?",
    "What worked for us before on hand-offs?",
    "How do I reconnect a bank feed that stopped importing?",
    "Show the status of our recommendations",
]


def percentiles(seconds: list[float]) -> dict[str, float | int]:
    ordered = sorted(seconds)
    p95 = statistics.quantiles(ordered, n=20)[18] if len(ordered) >= 2 else ordered[0]
    return {
        "p50_ms": round(statistics.median(ordered) * 1000, 1),
        "p95_ms": round(p95 * 1000, 1),
        "n": len(ordered),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--questions", type=Path, default=Path("../shared/eval/chat-questions.jsonl"))
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--work", type=Path, default=Path(tempfile.gettempdir()) / "ocmf-advisor-chat-bench")
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")

    data = args.work / "demo-medium-42"
    if not (data / "tickets.csv").exists():
        generate_demo(data, end=date(2026, 12, 1), seed=42, size="medium")
    settings = Settings(
        data_dir=data, index_dir=args.work / "index", database_url=f"sqlite:///{args.work}/state.db"
    )
    advisor = build_advisor(settings)
    advisor.ensure_index()
    if args.questions.exists():
        questions = [item.question for item in read_questions(args.questions)]
    else:
        questions = FALLBACK
    cold: dict[str, list[float]] = {}
    warm: dict[str, list[float]] = {}
    for question in questions:
        start = time.perf_counter()
        answer = advisor.chat(question)
        cold.setdefault(answer.intent, []).append(time.perf_counter() - start)
    for _ in range(args.repeats):
        for question in questions:
            start = time.perf_counter()
            answer = advisor.chat(question)
            warm.setdefault(answer.intent, []).append(time.perf_counter() - start)
    everything = [value for values in warm.values() for value in values]
    print(
        json.dumps(
            {
                "benchmark": "chat",
                "organisation": "demo medium, seed 42",
                "questions": len(questions),
                "llm": "none",
                "cold": {intent: percentiles(values) for intent, values in sorted(cold.items())},
                "warm": {intent: percentiles(values) for intent, values in sorted(warm.items())},
                "warm_all": percentiles(everything),
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
