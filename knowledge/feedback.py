"""Reuse counts (the KCS measure): how often a document was marked helpful or as what solved a case.

Kept in the application database (any SQLAlchemy URL; SQLite by default), not in the knowledge index: the
index can be deleted and rebuilt from its sources, votes cannot. Each vote is one transaction that
increments in the database, so concurrent writers (the web app and a CLI) do not lose each other's votes.
Counts from the `feedback.sqlite3` that older versions kept in the index folder are imported once.
"""

from __future__ import annotations

import hashlib
import json
import logging
import sqlite3
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, get_args

from sqlalchemy import DateTime, Integer, String, create_engine, func, select, update
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, sessionmaker

from knowledge.errors import KnowledgeError
from knowledge.models import FeedbackKind

#: Where versions before the application database kept reuse counts: `<index dir>/feedback.sqlite3`.
LEGACY_FILE_NAME = "feedback.sqlite3"
#: Ids are read and written in slices of this many (database parameter limits).
ID_SLICE = 500

logger = logging.getLogger(__name__)


class FeedbackBase(DeclarativeBase):
    """The reuse-count tables; the application's migrations (advisor.schema) include this metadata."""


class ReuseRow(FeedbackBase):
    __tablename__ = "knowledge_reuse"

    document_id: Mapped[str] = mapped_column(String(500), primary_key=True)
    helpful: Mapped[int] = mapped_column(Integer, default=0)
    solved: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class ReuseVoteRow(FeedbackBase):
    """Who voted what for a document: one vote of each kind per person, so nobody can inflate a count."""

    __tablename__ = "knowledge_reuse_votes"

    document_id: Mapped[str] = mapped_column(String(500), primary_key=True)
    voter: Mapped[str] = mapped_column(String(200), primary_key=True)
    kind: Mapped[str] = mapped_column(String(10), primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class ReuseImportRow(FeedbackBase):
    """One imported legacy file, by a hash of the counts it held, so that it is imported only once."""

    __tablename__ = "knowledge_reuse_imports"

    digest: Mapped[str] = mapped_column(String(64), primary_key=True)
    source: Mapped[str] = mapped_column(String(1000))
    documents: Mapped[int] = mapped_column(Integer)
    imported_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


def _engine(url: str) -> Engine:
    parsed = make_url(url)
    database = parsed.database or ""
    sqlite = parsed.drivername.startswith("sqlite")
    if sqlite and database not in ("", ":memory:") and not database.startswith("file:"):
        Path(database).parent.mkdir(parents=True, exist_ok=True)
    # A writer waits up to 30 s for another to commit rather than failing with "database is locked".
    return create_engine(url, connect_args={"timeout": 30} if sqlite else {})


class ReuseCounts:
    """Reuse counts by document id, in the application database at `database_url`.

    `import_from`: a legacy `feedback.sqlite3`; when it exists its counts are added once and it is renamed.
    """

    def __init__(self, database_url: str, *, import_from: Path | None = None) -> None:
        self.url = database_url
        try:
            self._engine = _engine(database_url)
            FeedbackBase.metadata.create_all(self._engine)
        except (SQLAlchemyError, OSError) as error:
            raise KnowledgeError(f"cannot open the application database {database_url}: {error}") from None
        self._sessions = sessionmaker(self._engine, expire_on_commit=False)
        if import_from is not None and import_from.is_file():
            self.import_legacy_file(import_from)

    @contextmanager
    def _session(self) -> Iterator[Session]:
        session = self._sessions()
        try:
            yield session
            session.commit()
        except SQLAlchemyError as error:
            session.rollback()
            raise KnowledgeError(
                f"the reuse counts could not be read or written ({error.__class__.__name__})"
            ) from None
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    @contextmanager
    def _reading(self) -> Iterator[Connection]:
        try:
            with self._engine.connect() as connection:
                yield connection
        except SQLAlchemyError as error:
            raise KnowledgeError(f"the reuse counts could not be read ({error.__class__.__name__})") from None

    def record(self, document_id: str, kind: FeedbackKind, *, voter: str | None = None) -> int:
        """Count one vote (one transaction); returns the document's new reuse count. A `voter` counts once per
        document and kind: a repeat changes nothing (the count is returned as it is). Without a voter (the
        operator's CLI) every call counts."""
        if kind not in get_args(FeedbackKind):
            raise KnowledgeError(f"feedback must be one of {list(get_args(FeedbackKind))}, not {kind!r}")
        total = ReuseRow.helpful + ReuseRow.solved
        for _attempt in range(3):
            try:
                with self._session() as session:
                    if voter is None or self._first_vote(session, document_id, voter, kind):
                        self._add(
                            session, document_id, 1 if kind == "helpful" else 0, 1 if kind == "solved" else 0
                        )
                    count = session.scalar(select(total).where(ReuseRow.document_id == document_id))
                return int(count or 0)
            except _FirstVoteRace:
                continue  # another writer inserted the row first: the next attempt finds it
        raise KnowledgeError(f"could not count the vote for {document_id!r}: the database kept refusing it")

    @staticmethod
    def _first_vote(session: Session, document_id: str, voter: str, kind: str) -> bool:
        """Keep `voter`'s vote; False when they gave this one before (the primary key settles races)."""
        if session.get(ReuseVoteRow, (document_id, voter, kind)) is not None:
            return False
        session.add(ReuseVoteRow(document_id=document_id, voter=voter, kind=kind, at=datetime.now(UTC)))
        _flush(session)
        return True

    def _add(self, session: Session, document_id: str, helpful: int, solved: int) -> None:
        """Add to a document's counts inside `session`: an increment in the database, or a first row."""
        now = datetime.now(UTC)
        changed = session.execute(
            update(ReuseRow)
            .where(ReuseRow.document_id == document_id)
            .values(helpful=ReuseRow.helpful + helpful, solved=ReuseRow.solved + solved, updated_at=now)
            .execution_options(synchronize_session=False)
        )
        if getattr(changed, "rowcount", 0):
            return
        session.add(ReuseRow(document_id=document_id, helpful=helpful, solved=solved, updated_at=now))
        _flush(session)

    def counts(self, document_ids: Iterable[str] | None = None) -> dict[str, int]:
        """Reuse count (helpful + solved) of the given documents (all when None); absent means 0."""
        total = ReuseRow.helpful + ReuseRow.solved
        rows: list[Any] = []
        with self._session() as session:
            if document_ids is None:
                rows += session.execute(select(ReuseRow.document_id, total)).all()
            else:
                ids = list(dict.fromkeys(document_ids))
                for start in range(0, len(ids), ID_SLICE):
                    part = ids[start : start + ID_SLICE]
                    rows += session.execute(
                        select(ReuseRow.document_id, total).where(ReuseRow.document_id.in_(part))
                    ).all()
        return {str(document_id): int(count) for document_id, count in rows if count}

    def reuse_and_solved(self, document_ids: Iterable[str]) -> dict[str, tuple[int, int]]:
        """(reuse count, "solved" votes) of the given documents, in one query per slice; absent: no votes."""
        rows: list[Any] = []
        ids = list(dict.fromkeys(document_ids))
        columns = select(ReuseRow.document_id, ReuseRow.helpful, ReuseRow.solved)
        # a plain connection, not an ORM session: this runs on every search (issue 18)
        with self._reading() as session:
            # Few documents get votes: reading every vote is one query where slices of thousands of ids
            # (the copies of a templated note) would be many.
            many = len(ids) > ID_SLICE
            if many and (session.scalar(select(func.count()).select_from(ReuseRow)) or 0) <= len(ids):
                wanted = set(ids)
                rows = [row for row in session.execute(columns).all() if row[0] in wanted]
                ids = []
            for start in range(0, len(ids), ID_SLICE):
                part = ids[start : start + ID_SLICE]
                rows += session.execute(
                    select(ReuseRow.document_id, ReuseRow.helpful, ReuseRow.solved).where(
                        ReuseRow.document_id.in_(part)
                    )
                ).all()
        return {
            str(document_id): (int(helpful + solved), int(solved)) for document_id, helpful, solved in rows
        }

    def details(self, document_id: str) -> dict[str, int]:
        with self._session() as session:
            row = session.get(ReuseRow, document_id)
            helpful, solved = (row.helpful, row.solved) if row is not None else (0, 0)
        return {"helpful": helpful, "solved": solved, "reuse_count": helpful + solved}

    # -- the legacy file ----------------------------------------------------------------------------------
    def import_legacy_file(self, path: Path) -> int:
        """Add the counts of a legacy `feedback.sqlite3` (once: a file whose counts were imported before is
        not added again), then rename it to `<name>.imported-<UTC time>`; returns the documents imported.
        A file that cannot be read is left where it is, with a warning, so it can be looked at."""
        try:
            rows = _legacy_rows(path)
        except sqlite3.Error as error:
            logger.warning("%s: cannot read the old reuse counts (%s); left it in place", path, error)
            return 0
        digest = hashlib.sha256(json.dumps(rows).encode("utf-8")).hexdigest()
        imported = 0
        for _attempt in range(3):
            try:
                with self._session() as session:
                    if session.get(ReuseImportRow, digest) is not None:
                        break  # imported before, or by another process a moment ago
                    session.add(
                        ReuseImportRow(
                            digest=digest,
                            source=str(path.resolve()),
                            documents=len(rows),
                            imported_at=datetime.now(UTC),
                        )
                    )
                    _flush(session)
                    for document_id, helpful, solved in rows:
                        self._add(session, document_id, helpful, solved)
                    imported = len(rows)
                break
            except _FirstVoteRace:
                continue  # another writer got in first; the next attempt sees what it wrote
        else:
            raise KnowledgeError(f"{path}: could not import the old reuse counts; try again")
        renamed = _retire(path)
        if imported:
            logger.warning(
                "imported the reuse counts of %d document(s) from %s into the application database; "
                "the old file is now %s",
                imported,
                path,
                renamed or "gone",
            )
        elif renamed:
            logger.warning("%s was imported before; renamed it to %s", path, renamed)
        return imported


class _FirstVoteRace(Exception):
    """Two writers inserted the same first row at once; the loser's transaction is rolled back to retry."""


def _flush(session: Session) -> None:
    try:
        session.flush()
    except IntegrityError:
        session.rollback()
        raise _FirstVoteRace from None


def _legacy_rows(path: Path) -> list[tuple[str, int, int]]:
    connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=30)
    try:
        found = connection.execute(
            "SELECT document_id, helpful, solved FROM reuse ORDER BY document_id"
        ).fetchall()
    finally:
        connection.close()
    return [(str(document_id), int(helpful), int(solved)) for document_id, helpful, solved in found]


def _retire(path: Path) -> Path | None:
    """Rename the legacy file (and SQLite's side files) out of the way; None when it is already gone."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    target = path.with_name(f"{path.name}.imported-{stamp}")
    try:
        path.rename(target)
    except FileNotFoundError:
        return None
    for suffix in ("-wal", "-shm"):
        side = path.with_name(path.name + suffix)
        if side.exists():
            side.rename(target.with_name(target.name + suffix))
    return target
