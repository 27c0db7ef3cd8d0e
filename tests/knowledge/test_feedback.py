"""Reuse counts: votes raise a document's count, durably in the application database, show with its hits and
lift it in ranking; they survive a rebuilt index, concurrent voters and the move from the old index file."""

from __future__ import annotations

import logging
import shutil
import sqlite3
import threading
from pathlib import Path

import pytest

from advisor.composition import build_knowledge_index
from knowledge.embeddings import SentenceTransformerEmbedder
from knowledge.errors import KnowledgeError, UnknownDocument
from knowledge.feedback import LEGACY_FILE_NAME, ReuseCounts
from tests.knowledge.helpers import article, knowledge_settings, open_index, state_database_url

TWINS = [
    article("kb-1", "Reset a password", "Open the sign-in page and use the reset link in the email."),
    article("kb-2", "Reset a password", "Open the sign-in page and use the reset link in the e-mail."),
    article("kb-3", "Export invoices", "Choose CSV in billing."),
]


def test_votes_count_durably_and_show_with_the_hit(
    tmp_path: Path, embedder: SentenceTransformerEmbedder
) -> None:
    index = open_index(tmp_path, embedder)
    index.build(TWINS)
    assert index.record_feedback("kb-3", "helpful") == 1
    assert index.record_feedback("kb-3", "helpful") == 2
    assert index.record_feedback("kb-3", "solved") == 3
    hit = index.search("export invoices as csv", k=1)[0]
    assert (hit.id, hit.reuse_count) == ("kb-3", 3)
    assert hit.model_dump(mode="json", exclude={"metadata"})["reuse_count"] == 3
    # a fresh process reads the same counts
    again = ReuseCounts(state_database_url(tmp_path))
    assert again.counts() == {"kb-3": 3}
    assert again.details("kb-3") == {"helpful": 2, "solved": 1, "reuse_count": 3}
    assert again.details("kb-1") == {"helpful": 0, "solved": 0, "reuse_count": 0}
    # a document nobody reused shows a count of 0
    other = index.search("reset password", k=1)[0]
    assert other.reuse_count == 0 and other.model_dump(mode="json")["reuse_count"] == 0


def test_unknown_documents_and_kinds_are_refused(
    tmp_path: Path, embedder: SentenceTransformerEmbedder
) -> None:
    index = open_index(tmp_path, embedder)
    index.build(TWINS[2:])
    with pytest.raises(UnknownDocument, match="no document 'nope' in the knowledge index"):
        index.record_feedback("nope", "helpful")
    with pytest.raises(KnowledgeError, match="feedback must be one of"):
        index.record_feedback("kb-3", "liked")  # type: ignore[arg-type]


def test_reuse_lifts_a_near_twin_above_the_other(
    tmp_path: Path, embedder: SentenceTransformerEmbedder
) -> None:
    index = open_index(tmp_path, embedder)
    index.build(TWINS)
    before = [hit.id for hit in index.search("reset my password", k=2)]
    assert set(before) == {"kb-1", "kb-2"}
    second = before[1]
    for _ in range(3):
        index.record_feedback(second, "solved")
    after = index.search("reset my password", k=2)
    assert after[0].id == second and after[0].reuse_count == 3


def test_votes_survive_deleting_the_index_folder_and_rebuilding(
    tmp_path: Path, embedder: SentenceTransformerEmbedder
) -> None:
    settings = knowledge_settings(tmp_path)
    index = build_knowledge_index(settings)
    index.build(TWINS)
    index.record_feedback("kb-3", "solved")
    index.record_feedback("kb-3", "helpful")
    assert not (settings.index_dir / LEGACY_FILE_NAME).exists()
    shutil.rmtree(settings.index_dir)
    rebuilt = build_knowledge_index(settings.model_copy(update={"index_dir": tmp_path / "rebuilt"}))
    assert rebuilt.is_empty()
    rebuilt.build(TWINS)
    hit = rebuilt.search("export invoices as csv", k=1)[0]
    assert (hit.id, hit.reuse_count) == ("kb-3", 2)
    assert rebuilt.record_feedback("kb-3", "solved") == 3


def legacy_file(path: Path, rows: list[tuple[str, int, int]]) -> Path:
    """A `feedback.sqlite3` as versions before the application database wrote it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    connection = sqlite3.connect(path)
    connection.execute(
        "CREATE TABLE reuse (document_id TEXT PRIMARY KEY, helpful INTEGER NOT NULL DEFAULT 0, "
        "solved INTEGER NOT NULL DEFAULT 0, updated_at TEXT NOT NULL)"
    )
    connection.executemany("INSERT INTO reuse VALUES (?, ?, ?, '2026-01-01T00:00:00+00:00')", rows)
    connection.commit()
    connection.close()
    return path


def test_an_old_feedback_file_is_imported_once_and_renamed(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    url = f"sqlite:///{tmp_path}/advisor.db"
    counts = ReuseCounts(url)
    counts.record("kb-1", "helpful")  # a vote already in the database adds up with the old ones
    old = legacy_file(tmp_path / "index" / LEGACY_FILE_NAME, [("kb-1", 2, 1), ("kb-2", 0, 4)])
    with caplog.at_level(logging.WARNING, logger="knowledge.feedback"):
        ReuseCounts(url, import_from=old)
    assert counts.counts() == {"kb-1": 4, "kb-2": 4}
    assert counts.details("kb-1") == {"helpful": 3, "solved": 1, "reuse_count": 4}
    assert not old.exists()
    renamed = list(old.parent.glob(f"{LEGACY_FILE_NAME}.imported-*"))
    assert len(renamed) == 1
    assert "imported the reuse counts of 2 document(s)" in caplog.text and str(renamed[0]) in caplog.text
    # the next start finds no file; the same file put back (a restored backup) is not added twice
    ReuseCounts(url, import_from=old)
    shutil.copy(renamed[0], old)
    ReuseCounts(url, import_from=old)
    assert counts.counts() == {"kb-1": 4, "kb-2": 4} and not old.exists()


def test_an_unreadable_old_file_is_left_in_place(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    old = tmp_path / LEGACY_FILE_NAME
    old.write_bytes(b"not a database")
    with caplog.at_level(logging.WARNING, logger="knowledge.feedback"):
        counts = ReuseCounts(f"sqlite:///{tmp_path}/advisor.db", import_from=old)
    assert counts.counts() == {} and old.exists()
    assert "cannot read the old reuse counts" in caplog.text


def test_concurrent_voters_lose_no_votes(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/advisor.db"
    ReuseCounts(url)
    errors: list[BaseException] = []

    def vote(times: int) -> None:
        counts = ReuseCounts(url)  # its own engine and connections, like another process
        try:
            for number in range(times):
                counts.record("fresh-doc", "helpful" if number % 2 else "solved")
        except BaseException as error:  # reported below
            errors.append(error)

    voters = [threading.Thread(target=vote, args=(25,)) for _ in range(4)]
    for voter in voters:
        voter.start()
    for voter in voters:
        voter.join()
    assert not errors
    assert ReuseCounts(url).details("fresh-doc") == {"helpful": 48, "solved": 52, "reuse_count": 100}
