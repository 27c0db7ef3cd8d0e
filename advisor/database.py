"""The application database: one SQLAlchemy metadata (`Base`), its engines and transactions, and the signing
key kept beside it.

Every store opens the database through `open_database`, which brings its schema to the latest Alembic revision
once per process (see advisor.schema). SQLite runs in WAL mode with a busy timeout, so readers never wait for a
writer and a writer waits its turn instead of failing; PostgreSQL is the production database.
"""

from __future__ import annotations

import logging
import os
import secrets
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.sql import Executable

from advisor.errors import StateUnavailable

SECRET_KEY_FILE = "secret_key"  # noqa: S105 - a file name, not a secret
#: How long a SQLite writer waits for another to commit before giving up (seconds).
SQLITE_BUSY_TIMEOUT_S = 15.0
#: Engines (each with its pool of connections) kept open per process.
MAX_ENGINES = 32

logger = logging.getLogger(__name__)
_engines: dict[str, Engine] = {}
_engines_lock = threading.Lock()


class Base(DeclarativeBase):
    """The one metadata of the application's tables (users, conversations, recommendations, ...); Alembic
    migrates it together with knowledge.feedback's (which may not import advisor)."""


def engine(url: str) -> Engine:
    """The engine for `url`, one per process: a SQLite file gets its folder made, foreign keys, WAL and a busy
    timeout; PostgreSQL connections are checked before use (a restarted server is not an error)."""
    with _engines_lock:
        found = _engines.pop(url, None)
        if found is None:
            found = _new_engine(url)
        _engines[url] = found  # the most recently used last
        if len(_engines) > MAX_ENGINES:  # e.g. a test session's many databases: close the least used
            oldest = next(iter(_engines))
            _engines.pop(oldest).dispose()  # still usable by whoever holds it: it reconnects when asked
        return found


def _new_engine(url: str) -> Engine:
    database_file = _sqlite_file(url)
    if database_file is not None:
        database_file.parent.mkdir(parents=True, exist_ok=True)
    if not make_url(url).drivername.startswith("sqlite"):
        return create_engine(url, pool_pre_ping=True)
    built = create_engine(url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_S})
    database = make_url(url).database or ""
    on_disk = database_file is not None or (
        database.startswith("file:") and "mode=memory" not in database and ":memory:" not in database
    )

    @event.listens_for(built, "connect")
    def _sqlite_pragmas(connection: Any, _record: Any) -> None:
        cursor = connection.cursor()
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.execute(f"PRAGMA busy_timeout = {int(SQLITE_BUSY_TIMEOUT_S * 1000)}")
        if on_disk:
            try:  # WAL: readers do not block the writer nor it them; kept in the file once set
                cursor.execute("PRAGMA journal_mode = WAL")
                cursor.execute("PRAGMA synchronous = NORMAL")
            except sqlite3.Error as error:  # a read-only file keeps its mode
                logger.debug("SQLite WAL mode not set on %s: %s", url, error)
        cursor.close()

    return built


def open_database(url: str) -> sessionmaker[Session]:
    """Sessions on the database at `url`, its schema migrated to the latest revision first (once a process)."""
    from advisor.schema import upgrade_once  # the schema module imports every store's tables

    try:
        upgrade_once(url)
        built = engine(url)
    except (SQLAlchemyError, OSError) as error:
        raise StateUnavailable(f"cannot open the application database {_safe(url)}: {error}") from None
    return sessionmaker(built, expire_on_commit=False)


def _safe(url: str) -> str:
    """The URL without its password, for messages."""
    return make_url(url).render_as_string(hide_password=True)


@contextmanager
def transaction(sessions: sessionmaker[Session]) -> Iterator[Session]:
    """One transaction: committed when the block ends, rolled back on any error; a database failure is
    raised as StateUnavailable ("nothing changed")."""
    session = sessions()
    try:
        yield session
        session.commit()
    except SQLAlchemyError as error:
        session.rollback()
        raise StateUnavailable(
            f"the application database could not be written; nothing changed ({error.__class__.__name__})"
        ) from None
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def state_folder(url: str, default: Path = Path("var")) -> Path:
    """The folder of a SQLite database file; `default` for any other database."""
    database_file = _sqlite_file(url)
    return database_file.parent if database_file is not None else default


def _sqlite_file(url: str) -> Path | None:
    """The file of a plain SQLite database; None for in-memory, `file:` URI and other databases."""
    parsed = make_url(url)
    database = parsed.database or ""
    if parsed.drivername.startswith("sqlite") and database not in ("", ":memory:"):
        return None if database.startswith("file:") else Path(database)
    return None


def load_or_create_secret(path: Path) -> str:
    """The secret in `path`; made once (random, readable by the owner only) when the file is missing."""
    try:
        return _read_secret(path)
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    secret = secrets.token_urlsafe(48)
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process made it first: use theirs
        return _read_secret(path)
    with os.fdopen(descriptor, "w", encoding="utf-8") as file:
        file.write(secret + "\n")
    return secret


def _read_secret(path: Path) -> str:
    secret = path.read_text(encoding="utf-8").strip()
    if len(secret) < 32:
        raise ValueError(f"{path} holds no usable secret key (fewer than 32 characters); delete it")
    return secret


def best_effort_write(url: str, statement: Executable, *, what: str, wait_ms: int = 250) -> bool:
    """Run one write that is not what the user asked for (a token's last-used time): waiting at most
    `wait_ms` for a lock, and logging instead of raising when the database refuses; True when written."""
    try:
        with engine(url).connect() as connection:
            sqlite = connection.dialect.name == "sqlite"
            if sqlite:
                connection.exec_driver_sql(f"PRAGMA busy_timeout = {int(wait_ms)}")
            elif connection.dialect.name == "postgresql":
                connection.exec_driver_sql(f"SET LOCAL lock_timeout = '{int(wait_ms)}ms'")
            try:
                connection.execute(statement)
                connection.commit()
            finally:
                connection.rollback()
                if sqlite:  # the connection goes back to the pool: restore the usual wait
                    connection.exec_driver_sql(f"PRAGMA busy_timeout = {int(SQLITE_BUSY_TIMEOUT_S * 1000)}")
    except SQLAlchemyError as error:
        logger.warning("could not write %s (%s); the request goes on", what, error.__class__.__name__)
        return False
    return True


def dispose_engine(url: str) -> None:
    """Close the pooled connections of `url`'s engine and forget it (a dropped test database, a shutdown)."""
    with _engines_lock:
        found = _engines.pop(url, None)
    if found is not None:
        found.dispose()
    from advisor.schema import forget_upgrade

    forget_upgrade(url)
