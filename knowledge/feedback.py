"""Reuse counts (the KCS measure): how often a document was marked helpful or as what solved a case.

Kept in a small SQLite file in the index folder: each vote is one committed transaction, so counts survive
a crash and concurrent writers (the web app and a CLI) do not lose each other's votes.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import get_args

from knowledge.errors import KnowledgeError
from knowledge.models import FeedbackKind

FILE_NAME = "feedback.sqlite3"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS reuse (
    document_id TEXT PRIMARY KEY,
    helpful INTEGER NOT NULL DEFAULT 0,
    solved INTEGER NOT NULL DEFAULT 0,
    updated_at TEXT NOT NULL
)
"""


class ReuseCounts:
    """Reuse counts by document id, in `path` (normally `<index dir>/feedback.sqlite3`)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        path.parent.mkdir(parents=True, exist_ok=True)
        with self._connect() as connection:
            connection.execute(_SCHEMA)

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        connection = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        try:
            connection.execute("PRAGMA journal_mode=WAL")
            connection.execute("PRAGMA synchronous=FULL")
            yield connection
        finally:
            connection.close()

    def record(self, document_id: str, kind: FeedbackKind) -> int:
        """Count one vote; returns the document's new reuse count."""
        if kind not in get_args(FeedbackKind):
            raise KnowledgeError(f"feedback must be one of {list(get_args(FeedbackKind))}, not {kind!r}")
        now = datetime.now(UTC).isoformat(timespec="seconds")
        with self._lock, self._connect() as connection:
            connection.execute(
                f"INSERT INTO reuse (document_id, {kind}, updated_at) VALUES (?, 1, ?) "
                f"ON CONFLICT(document_id) DO UPDATE SET {kind} = {kind} + 1, updated_at = excluded.updated_at",
                (document_id, now),
            )
            row = connection.execute(
                "SELECT helpful + solved FROM reuse WHERE document_id = ?", (document_id,)
            ).fetchone()
        return int(row[0])

    def counts(self, document_ids: Iterable[str] | None = None) -> dict[str, int]:
        """Reuse count (helpful + solved) of the given documents (all when None); absent means 0."""
        with self._connect() as connection:
            if document_ids is None:
                rows = connection.execute("SELECT document_id, helpful + solved FROM reuse").fetchall()
            else:
                ids = list(dict.fromkeys(document_ids))
                rows = []
                for start in range(0, len(ids), 500):
                    part = ids[start : start + 500]
                    marks = ",".join("?" * len(part))
                    rows += connection.execute(
                        f"SELECT document_id, helpful + solved FROM reuse WHERE document_id IN ({marks})",
                        part,
                    ).fetchall()
        return {str(document_id): int(count) for document_id, count in rows if count}

    def details(self, document_id: str) -> dict[str, int]:
        with self._connect() as connection:
            row = connection.execute(
                "SELECT helpful, solved FROM reuse WHERE document_id = ?", (document_id,)
            ).fetchone()
        helpful, solved = row if row else (0, 0)
        return {"helpful": int(helpful), "solved": int(solved), "reuse_count": int(helpful) + int(solved)}
