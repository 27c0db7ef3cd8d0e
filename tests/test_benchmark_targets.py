"""The benchmarks' goals (benchmarks/targets.json): every target is well formed, and a goal is judged by its
own comparison, so a benchmark prints the right "met" beside each figure."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from benchmarks.targets import TARGETS, goal, goals

ROOT = Path(__file__).resolve().parents[1]


def test_every_target_states_its_comparison_value_unit_size_and_source() -> None:
    targets = json.loads(TARGETS.read_text(encoding="utf-8"))
    benchmarks = {name: entries for name, entries in targets.items() if name != "about"}
    assert {"index", "search_latency", "load", "scorecard"} <= benchmarks.keys()
    for benchmark, entries in benchmarks.items():
        for name, entry in entries.items():
            assert entry.keys() == {"op", "value", "unit", "size", "source"}, (benchmark, name)
            assert entry["op"] in {"<", "<=", ">", ">="}
            assert isinstance(entry["value"], int | float) and entry["size"] and entry["source"]


def test_a_goal_is_met_by_its_own_comparison_and_not_judged_without_a_figure() -> None:
    ratio = goal("load", "chat_throughput_10_vs_1")  # >= 2.5
    assert ratio.check(2.5)["met"] is True and ratio.check(2.49)["met"] is False
    latency = goal("search_latency", "hybrid_k5_p50_ms_100000")  # < 60
    assert latency.check(59.9)["met"] is True and latency.check(60)["met"] is False
    assert latency.check(None) == {"goal": latency.text(), "measured": None, "met": None}
    assert "100,000 passages" in latency.text() and latency.text().startswith("< 60 ms")


def test_an_unknown_goal_fails_loudly() -> None:
    with pytest.raises(KeyError):
        goal("load", "no_such_goal")
    assert "chat_p95_ms" in goals("load")


def test_every_goal_a_benchmark_asks_for_exists() -> None:
    """A typo in a benchmark's goal name would fail only when someone runs it; read them all here."""
    asked = set()
    for script in (ROOT / "benchmarks").glob("*.py"):
        text = script.read_text(encoding="utf-8")
        asked |= set(re.findall(r'goal\("(\w+)", "(\w+)"\)', text))
        asked |= {(name, "") for name in re.findall(r'goals\("(\w+)"\)', text)}
    # the scorecard benchmark names its goals in a table (GOAL_FIGURES) and reads them in a loop
    scorecard = (ROOT / "benchmarks" / "scorecard.py").read_text(encoding="utf-8")
    table = scorecard.split("GOAL_FIGURES", 1)[1].split("}", 1)[0]
    asked |= {("scorecard", name) for name in re.findall(r'"(\w+)": \(', table)}
    assert ("scorecard", "seconds_10m") in asked
    assert asked, "no benchmark reads its goals from targets.json"
    for benchmark, name in asked:
        if name:
            goal(benchmark, name)
        else:
            goals(benchmark)
