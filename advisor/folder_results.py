"""Results computed once per organisation folder and forgotten when its files change (scorecards, diagnoses)."""

from __future__ import annotations

import threading
from collections import OrderedDict
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

    def get(self, key: Key) -> Result | None:
        with self._lock:
            return self._results.get(key)

    def put(self, key: Key, result: Result) -> None:
        with self._lock:
            self._results[key] = result
            while len(self._results) > self._limit:
                self._results.popitem(last=False)

    def forget(self, folder: Path | None = None) -> None:
        """Drop the results of `folder` (of every folder when None)."""
        with self._lock:
            if folder is None:
                self._results.clear()
                return
            for key in [key for key in self._results if key[0] == folder]:
                del self._results[key]
