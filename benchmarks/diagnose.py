"""Benchmark: diagnosing one metric across every dimension (team, product, channel, segment) at 100k and 1M tickets.

    .venv/bin/python benchmarks/diagnose.py                                  # 100k and 1M, C6 and C1b
    .venv/bin/python benchmarks/diagnose.py --sizes 100000 --metrics C6

The organisations are the scorecard benchmark's (`benchmarks/scorecard.py`: generated straight to Parquet by
DuckDB SQL into a cache folder, ~10 events per ticket), so both benchmarks share their data. Each run opens the
store afresh (timed apart, as `open_store_seconds`: the app keeps its store open) and diagnoses with nothing
cached: the shared ticket facts are built from the events, the metric's records materialised, the four
dimensions aggregated, and the change split into rate and mix per group. Two modes: `app` is what
`Advisor.diagnose` does (the monthly series for "since when" comes from the scorecard the app already holds, so
only the tickets that reach the two windows are read); `standalone` computes the series too, over all the data.
`--repeat` runs of each; the fastest is kept (the machine may be shared), with its CPU seconds.
Printed as JSON. Goal: under 2 s at 1M tickets on 2 cores.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from datetime import date
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

PERIOD = (date(2026, 8, 1), date(2026, 11, 1))
BASELINE = (date(2024, 11, 1), date(2025, 2, 1))


def diagnose_once(folder: Path, metric_id: str, trend: list[Any] | None) -> dict[str, Any]:
    from metrics.definitions import METRICS_BY_ID
    from metrics.diagnosis import diagnose
    from metrics.models import Period
    from metrics.store import open_store

    opened = time.perf_counter()
    store = open_store(folder)
    open_seconds = time.perf_counter() - opened
    started, cpu = time.perf_counter(), time.process_time()
    result = diagnose(
        store, METRICS_BY_ID[metric_id], Period(*PERIOD), baseline=Period(*BASELINE), trend=trend
    )
    seconds, cpu_seconds = time.perf_counter() - started, time.process_time() - cpu
    store.close()
    top = result.segments[0] if result.segments else None
    return {
        "seconds": round(seconds, 3),
        "open_store_seconds": round(open_seconds, 3),
        "cpu_seconds": round(cpu_seconds, 3),
        "dimensions": result.dimensions,
        "segments": len(result.segments),
        "value": result.value,
        "change": result.change,
        "top_segment": f"{top.by}: {top.value} ({top.effect})" if top else None,
        "since": result.since,
    }


def monthly_trends(folder: Path, metric_ids: list[str]) -> dict[str, list[Any]]:
    """Each metric's monthly series from the scorecard (not timed: the app has it cached for the page)."""
    from metrics.models import Period
    from metrics.scorecard import compute_scorecard
    from metrics.store import open_store

    store = open_store(folder)
    scorecard = compute_scorecard(store, Period(*PERIOD))
    store.close()
    return {metric_id: scorecard.metric(metric_id).trend for metric_id in metric_ids}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--metrics", nargs="+", default=["C6", "C1b"])
    parser.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()) / "ocmf-bench")
    parser.add_argument(
        "--repeat", type=int, default=3, help="runs per metric and size (the fastest is kept)"
    )
    arguments = parser.parse_args()
    from scorecard import generate, generate_counts  # benchmarks/scorecard.py
    from targets import goal, goals  # benchmarks/targets.py

    runs = []
    for size in arguments.sizes:
        folder = arguments.cache / f"tickets-{size}"
        started = time.perf_counter()
        if not (folder / "initiatives.parquet").exists():
            counts = generate(folder, size)
            generated: float | None = round(time.perf_counter() - started, 2)
        else:
            counts, generated = generate_counts(folder), None
        trends = monthly_trends(folder, arguments.metrics)
        for metric_id in arguments.metrics:
            for mode, trend in (("app", trends[metric_id]), ("standalone", None)):
                tries = [diagnose_once(folder, metric_id, trend) for _ in range(arguments.repeat)]
                best = min(tries, key=lambda run: run["seconds"])
                runs.append(
                    {
                        "tickets": counts["tickets"],
                        "events": counts["ticket_events"],
                        "metric": metric_id,
                        "mode": mode,
                        "generate_seconds": generated,
                        "all_runs_seconds": [run["seconds"] for run in tries],
                        **best,
                        "goal": goal("diagnose", "seconds_1m").check(best["seconds"])
                        if counts["tickets"] == 1_000_000
                        else None,
                    }
                )
    sys.stdout.write(
        json.dumps(
            {
                "benchmark": "diagnose",
                "cpu_count": os.cpu_count(),
                "period": f"{PERIOD[0]}..{PERIOD[1]}",
                "baseline": f"{BASELINE[0]}..{BASELINE[1]}",
                "goals": goals("diagnose"),
                "runs": runs,
            },
            indent=2,
        )
        + "\n"
    )


if __name__ == "__main__":
    main()
