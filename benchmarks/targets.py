"""The benchmarks' goals, read from targets.json: each benchmark prints a goal beside the figure it is about.

Goals live in one JSON file (with the sizes they apply to) so that they are stated once, reviewed in one
place and never hidden in a timed unit test.
"""

from __future__ import annotations

import json
import operator
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

TARGETS = Path(__file__).with_name("targets.json")
_COMPARE = {"<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge}


@dataclass(frozen=True)
class Target:
    op: str
    value: float
    unit: str
    size: str
    source: str

    def text(self) -> str:
        return f"{self.op} {self.value:g} {self.unit} ({self.size})"

    def check(self, measured: float | None) -> dict[str, Any]:
        """The goal beside the measured figure, and whether it is met (None when nothing was measured)."""
        met = None if measured is None else bool(_COMPARE[self.op](measured, self.value))
        return {"goal": self.text(), "measured": measured, "met": met}


@cache
def _all() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(TARGETS.read_text(encoding="utf-8"))
    return loaded


def goal(benchmark: str, name: str) -> Target:
    """The target `name` of `benchmark` (KeyError when targets.json has none: a typo should fail loudly)."""
    return Target(**_all()[benchmark][name])


def goals(benchmark: str) -> dict[str, str]:
    """Every goal of `benchmark` as text, for the head of its JSON output."""
    return {name: goal(benchmark, name).text() for name in _all()[benchmark]}
