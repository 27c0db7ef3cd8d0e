"""Ready when the server is: the warm-up that loads what the first visitor would otherwise wait for, and the
readiness it reports (to `/healthz`), kept honest while the server runs.

Ready means the knowledge index is built and loaded, the embedding model answered a query, and the default
scorecard of the data folder computes. The scorecard is checked again (in the background, never inside the
health request) whenever readiness is asked and the last check is older than `recheck_seconds`: data that
stops computing turns the server not ready, with the reason.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from advisor.service import Advisor

log = logging.getLogger(__name__)

CheckName = Literal["knowledge index", "embedding model", "scorecard"]
CHECKS: tuple[CheckName, ...] = ("knowledge index", "embedding model", "scorecard")
#: A check that has not finished yet; any other text than "ok" is the reason it failed.
WAITING = "waiting"
OK = "ok"


@dataclass(frozen=True)
class ReadinessReport:
    """What `/healthz` says: `ready` when every check is "ok"; `checks` holds "ok", "waiting" or a reason."""

    ready: bool
    checks: dict[str, str]
    started_at: float
    ready_after_s: float | None = None
    notes: list[str] = field(default_factory=list)


class Readiness:
    """Runs the warm-up in a thread (`start`) and answers `report()` at once, from what it found."""

    def __init__(
        self, advisor: Advisor, *, recheck_seconds: float = 5.0, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.advisor = advisor
        self.recheck_seconds = recheck_seconds
        self._clock = clock
        self._checks: dict[str, str] = dict.fromkeys(CHECKS, WAITING)
        self._started = clock()
        self._ready_after: float | None = None
        self._last_check = 0.0
        self._lock = threading.Lock()
        self._busy = threading.Event()
        self._warm = False
        self._threads: list[threading.Thread] = []

    def start(self) -> threading.Thread:
        """Warm up in a daemon thread: the index, the model, the default scorecard (then its drill-downs)."""
        self._busy.set()
        thread = threading.Thread(target=self._warm_up, name="warm-up", daemon=True)
        thread.start()
        self._threads.append(thread)
        return thread

    def stop(self, timeout_s: float) -> bool:
        """Wait (at most `timeout_s` in all) for the warm-up and checks to finish, so that shutting down never
        ends the interpreter while one of them is inside DuckDB; True when none is left running."""
        deadline = self._clock() + timeout_s
        with self._lock:
            threads = list(self._threads)
        for thread in threads:
            thread.join(max(0.0, deadline - self._clock()))
        running = [thread.name for thread in threads if thread.is_alive()]
        if running:
            log.warning("shutting down while %s still run", ", ".join(running))
        return not running

    def report(self) -> ReadinessReport:
        """The latest findings; after the warm-up, a stale scorecard check is started in the background."""
        with self._lock:
            due = self._warm and self._clock() - self._last_check >= self.recheck_seconds
            if due and not self._busy.is_set():
                self._busy.set()
                check = threading.Thread(target=self._recheck, name="readiness-check", daemon=True)
                check.start()
                self._threads = [thread for thread in self._threads if thread.is_alive()] + [check]
            checks = dict(self._checks)
            ready = all(value == OK for value in checks.values())
            return ReadinessReport(
                ready=ready, checks=checks, started_at=self._started, ready_after_s=self._ready_after
            )

    def _warm_up(self) -> None:
        try:
            self._run("knowledge index", self._index_built)
            self._run("embedding model", self._model_answers)
            self._run("scorecard", self.advisor.scorecard)
            with self._lock:
                self._warm = True
                self._last_check = self._clock()
                if all(value == OK for value in self._checks.values()):
                    self._ready_after = round(self._clock() - self._started, 3)
                    log.info("ready after %.1f s", self._ready_after)
        finally:
            self._busy.clear()
        try:
            self.advisor.warm_up()  # the drill-downs a metric's page shows; not needed to be ready
        except Exception as error:  # left for the request that meets it
            log.warning("warm-up of the drill-downs stopped: %s", error)

    def _model_answers(self) -> None:
        """One query loads the embedding model, the keyword index and the vector store together."""
        self.advisor.search("how do we reduce reopened tickets", 1)

    def _index_built(self) -> None:
        """The index is built where the app is built (`advisor serve`, the app's start), before it listens; an
        index that is still empty here was given so, and is reported rather than built behind callers' backs."""
        if self.advisor.index.is_empty():
            raise RuntimeError("the knowledge index is empty: build it with `advisor index` or the data page")
        state = self.advisor.index.build_state()
        if not state.complete:  # a killed build: searches answer from what is there, but it is not ready
            raise RuntimeError(state.describe())

    def _recheck(self) -> None:
        try:
            self._run("knowledge index", self._index_built)  # one metadata read: another process's build
            with self._lock:
                model_failed = self._checks["embedding model"] != OK
            if model_failed:  # a model that failed to load once is tried again, not reported forever
                self._run("embedding model", self._model_answers)
            self._run("scorecard", self.advisor.scorecard)
            with self._lock:
                self._last_check = self._clock()
                if self._ready_after is None and all(value == OK for value in self._checks.values()):
                    self._ready_after = round(self._clock() - self._started, 3)
        finally:
            self._busy.clear()

    def _run(self, name: CheckName, step: Callable[[], object]) -> None:
        try:
            step()
        except Exception as error:  # any failure is the reason reported, not a crashed thread
            log.warning("not ready: %s: %s", name, error)
            outcome = f"{type(error).__name__}: {error}"[:500]
        else:
            outcome = OK
        with self._lock:
            self._checks[name] = outcome
