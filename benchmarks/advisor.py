"""Latency of the advisor's answers without an LLM, on the medium demo organisation; prints JSON.

Run: .venv/bin/python benchmarks/advisor.py [--size medium] [--repeats 30] [--work DIR]
Generates the demo organisation and builds its knowledge index in DIR (kept between runs), then times
`next_steps` (ranking on a computed scorecard), the first scorecard, and chat answers of each kind.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from advisor.composition import build_advisor
from advisor.settings import Settings
from metrics.demo import generate_demo

QUESTIONS = {
    "next_steps": "What should we improve next?",
    "metric": "How is C6 computed?",
    "search": "How do I export invoices from Ledger?",
    "tracked": "Show the recommendations",
}


def timings(action: Callable[[], object], repeats: int) -> dict[str, float]:
    seconds = []
    for _ in range(repeats):
        start = time.perf_counter()
        action()
        seconds.append(time.perf_counter() - start)
    ordered = sorted(seconds)
    return {
        "p50_ms": round(statistics.median(ordered) * 1000, 2),
        "p95_ms": round(statistics.quantiles(ordered, n=20)[18] * 1000, 2),
        "max_ms": round(ordered[-1] * 1000, 2),
        "repeats": repeats,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--size", default="medium", choices=["small", "medium", "large"])
    parser.add_argument("--repeats", type=int, default=30)
    parser.add_argument("--work", type=Path, default=Path(tempfile.gettempdir()) / "ocmf-advisor-bench")
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")

    data = args.work / f"demo-{args.size}"
    setup: dict[str, float] = {}
    if not (data / "tickets.csv").exists():
        start = time.perf_counter()
        generate_demo(data, end=date(2026, 11, 1), seed=42, size=args.size)
        setup["generate_s"] = round(time.perf_counter() - start, 2)
    counts = json.loads((data / "demo_manifest.json").read_text())["counts"]
    settings = Settings(
        data_dir=data,
        index_dir=args.work / f"index-{args.size}",
        database_url=f"sqlite:///{args.work}/state-{args.size}.db",
    )
    advisor = build_advisor(settings)
    start = time.perf_counter()
    report = advisor.ensure_index()
    setup["index_build_s"] = round(time.perf_counter() - start, 2)
    start = time.perf_counter()
    advisor.scorecard()
    setup["first_scorecard_s"] = round(time.perf_counter() - start, 2)

    result = {
        "benchmark": "advisor",
        "size": args.size,
        "tickets": counts["tickets"],
        "ticket_events": counts["ticket_events"],
        "indexed_now": None if report is None else {"documents": report.added, "passages": report.chunks},
        "setup": setup,
        "next_steps": timings(lambda: advisor.next_steps(limit=5), args.repeats),
        "chat": {
            kind: timings(lambda q=question: advisor.chat(q), args.repeats)
            for kind, question in QUESTIONS.items()
        },
    }
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
