"""Shutting down waits for the warm-up: a daemon thread left inside DuckDB at exit aborts the process."""

from __future__ import annotations

import threading
from types import SimpleNamespace
from typing import Any, cast

from advisor.readiness import Readiness


def _advisor(release: threading.Event) -> Any:
    """The parts of an Advisor the warm-up calls; the scorecard waits until `release` is set."""
    index = SimpleNamespace(is_empty=lambda: False, build_state=lambda: SimpleNamespace(complete=True))
    return SimpleNamespace(
        index=index,
        search=lambda query, k: [],
        scorecard=lambda: release.wait(10),
        warm_up=lambda: None,
    )


def test_stop_waits_for_the_warm_up_and_says_whether_it_finished() -> None:
    release = threading.Event()
    readiness = Readiness(cast(Any, _advisor(release)))
    thread = readiness.start()

    assert readiness.stop(0.2) is False  # still computing the scorecard
    assert thread.is_alive()

    release.set()
    assert readiness.stop(5) is True
    assert not thread.is_alive()
    assert readiness.report().ready


def test_a_model_that_failed_to_load_is_tried_again_and_the_server_becomes_ready() -> None:
    calls: list[str] = []

    def search(query: str, k: int) -> list[object]:
        calls.append(query)
        if len(calls) == 1:
            raise IndexError("list index out of range")  # a load that failed once
        return []

    release = threading.Event()
    release.set()
    advisor = _advisor(release)
    advisor.search = search
    now = [0.0]
    readiness = Readiness(cast(Any, advisor), recheck_seconds=5, clock=lambda: now[0])
    readiness.start().join(5)
    first = readiness.report()
    assert not first.ready
    assert first.checks["embedding model"].startswith("IndexError")

    now[0] = 10.0  # the next report after recheck_seconds starts a background check
    readiness.report()
    assert readiness.stop(5)
    assert readiness.report().ready
    assert len(calls) == 2
