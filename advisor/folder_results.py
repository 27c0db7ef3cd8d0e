"""Results computed once per organisation folder and forgotten when its files change (scorecards, diagnoses)."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Generic, TypeVar

Result = TypeVar("Result")
#: A key starts with the resolved data folder; the rest are the arguments the result was computed for.
Key = tuple[Any, ...]


class FolderResults(Generic[Result]):
    """A bounded, thread-safe map from `(folder, *arguments)` to a result: the oldest go first when full,
    and everything of one folder goes at once when that folder's data changes."""

    def __init__(self, limit: int) -> None:
        self._limit = limit
        self._results: OrderedDict[Key, Result] = OrderedDict()
        self._lock = threading.Lock()
        self._flights: dict[Key, threading.Lock] = {}

    def get(self, key: Key) -> Result | None:
        with self._lock:
            return self._results.get(key)

    def put(self, key: Key, result: Result) -> None:
        with self._lock:
            self._results[key] = result
            while len(self._results) > self._limit:
                self._results.popitem(last=False)

    @contextmanager
    def flight(self, key: Key) -> Iterator[None]:
        """One computation of `key` at a time: callers asking together wait for the first one (and then find
        its result) instead of all computing the same thing at once, which under load starves everyone."""
        with self._lock:
            lock = self._flights.setdefault(key, threading.Lock())
        try:
            with lock:
                yield
        finally:
            with self._lock:
                if self._flights.get(key) is lock and not lock.locked():
                    del self._flights[key]

    def get_or_compute(self, key: Key, compute: Callable[[], Result]) -> Result:
        """The result of `key`, computed by one caller while the others wait for it."""
        found = self.get(key)
        if found is not None:
            return found
        with self.flight(key):
            found = self.get(key)
            if found is None:
                found = compute()
                self.put(key, found)
            return found

    def forget(self, folder: Path | None = None) -> None:
        """Drop the results of `folder` (of every folder when None)."""
        with self._lock:
            if folder is None:
                self._results.clear()
                return
            for key in [key for key in self._results if key[0] == folder]:
                del self._results[key]
