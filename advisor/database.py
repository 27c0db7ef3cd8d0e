"""The application database (SQLAlchemy engines) and the signing key kept beside it."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import MetaData, create_engine, event
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from advisor.errors import StateUnavailable

SECRET_KEY_FILE = "secret_key"  # noqa: S105 - a file name, not a secret


def engine(url: str) -> Engine:
    """An engine for `url`; a plain SQLite file gets its folder made and foreign keys switched on."""
    database_file = _sqlite_file(url)
    if database_file is not None:
        database_file.parent.mkdir(parents=True, exist_ok=True)
    built = create_engine(url)
    if make_url(url).drivername.startswith("sqlite"):

        @event.listens_for(built, "connect")
        def _sqlite_pragmas(connection: Any, _record: Any) -> None:
            cursor = connection.cursor()
            cursor.execute("PRAGMA foreign_keys = ON")
            cursor.close()

    return built


def open_database(url: str, metadata: MetaData) -> sessionmaker[Session]:
    """Sessions on the database at `url`, with `metadata`'s tables created if missing."""
    try:
        built = engine(url)
        metadata.create_all(built)
    except (SQLAlchemyError, OSError) as error:
        raise StateUnavailable(f"cannot open the application database {url}: {error}") from None
    return sessionmaker(built, expire_on_commit=False)


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
