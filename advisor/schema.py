"""The application database's schema: every table's metadata and its Alembic migrations (advisor/migrations).

`upgrade` brings a database to the latest revision; `advisor serve`, `advisor db upgrade` and every store run
it. A database made by `create_all` before migrations existed (no `alembic_version` table) is adopted: when
its tables match the baseline it is stamped with it, otherwise the baseline adds the tables it lacks; either
way no row is touched. A new revision: `advisor db revision "what changes"` (see docs/database.md).
"""

from __future__ import annotations

import importlib
import logging
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from alembic import command, op
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, MetaData, inspect, text
from sqlalchemy.exc import SQLAlchemyError

from advisor.database import Base, engine
from advisor.errors import StateUnavailable

#: Where the revisions live (package data, so an installed package migrates too).
MIGRATIONS = Path(__file__).with_name("migrations")
#: Modules whose import defines tables on `advisor.database.Base`; add yours here.
TABLE_MODULES = (
    "advisor.users",
    "advisor.conversation_store",
    "advisor.recommendation_store",
    "advisor.recommendation_tables",
    "advisor.plan_tables",
    "advisor.article_tables",
    "advisor.digest_store",
    "advisor.job_store",
    "advisor.rate_limit_store",
    "advisor.app_secrets",
)
#: The first revision: the tables as `create_all` made them before migrations.
BASELINE = "0001"
#: The baseline's tables and the columns each must have for an existing database to be adopted.
BASELINE_COLUMNS: dict[str, frozenset[str]] = {
    "users": frozenset({"id", "username", "role", "password_hash", "created_at", "disabled"}),
    "web_sessions": frozenset({"token_hash", "user_id", "created_at", "expires_at"}),
    "api_tokens": frozenset({"id", "user_id", "name", "token_hash", "created_at", "last_used_at"}),
    "conversations": frozenset({"id", "owner", "title", "created_at", "updated_at"}),
    "conversation_turns": frozenset({"id", "conversation_id", "role", "text", "intent", "extras", "at"}),
    "answer_feedback": frozenset({"id", "turn_id", "by", "helpful", "comment", "at"}),
    "recommendations": frozenset(
        {"id", "organisation", "practice_id", "status", "period_start", "period_end", "created_at"}
        | {"updated_at", "content"}
    ),
    "recommendation_changes": frozenset(
        {"id", "recommendation_id", "from_status", "to_status", "actor", "reason", "at"}
    ),
    "recommendation_outcomes": frozenset({"id", "recommendation_id", "metric_id", "content"}),
    "knowledge_reuse": frozenset({"document_id", "helpful", "solved", "updated_at"}),
    "knowledge_reuse_imports": frozenset({"digest", "source", "documents", "imported_at"}),
}
#: Any constant: PostgreSQL's advisory lock that lets one process at a time migrate.
_PG_LOCK_KEY = 0x0CF0_AD51

logger = logging.getLogger(__name__)
_upgraded: set[str] = set()
_upgrade_lock = threading.Lock()


@dataclass(frozen=True)
class Upgrade:
    """What `upgrade` did: the revision before (None: a new or unversioned database), after, and whether an
    existing database made without migrations was adopted."""

    before: str | None
    after: str | None
    adopted: bool = False


def table_metadata() -> list[MetaData]:
    """Every metadata the migrations cover: the application's one `Base` and the reuse counts'."""
    for module in TABLE_MODULES:
        importlib.import_module(module)
    from knowledge.feedback import FeedbackBase

    return [Base.metadata, FeedbackBase.metadata]


def alembic_config(url: str, connection: Connection | None = None) -> Config:
    """Alembic's configuration without an alembic.ini: the packaged scripts and the URL from our settings."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("path_separator", "os")
    config.set_main_option("file_template", "r%%(rev)s_%%(slug)s")
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def head() -> str | None:
    """The latest revision the package ships."""
    return ScriptDirectory(str(MIGRATIONS)).get_current_head()


def current(url: str) -> str | None:
    """The revision the database at `url` is at (None: new, or made before migrations)."""
    try:
        with engine(url).connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()
    except SQLAlchemyError as error:
        raise StateUnavailable(f"cannot read the application database's revision: {error}") from None


def upgrade(url: str) -> Upgrade:
    """Bring the database at `url` to the latest revision, adopting one made before migrations. One process
    migrates at a time (PostgreSQL: an advisory lock; SQLite: BEGIN IMMEDIATE), the others then find it
    done; a database already at the latest revision is only read (it may be read-only)."""
    latest = head()
    try:
        with engine(url).connect() as connection:
            found = MigrationContext.configure(connection).get_current_revision()
        if found == latest:
            return Upgrade(before=found, after=found)
        with engine(url).begin() as connection:
            if connection.dialect.name == "postgresql":  # freed at commit
                connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_LOCK_KEY})
            elif connection.dialect.name == "sqlite":  # the write lock now, so DDL and version move together
                connection.exec_driver_sql("BEGIN IMMEDIATE")
            before = MigrationContext.configure(connection).get_current_revision()
            adopted = before is None and _adopt(connection)
            if MigrationContext.configure(connection).get_current_revision() != latest:
                command.upgrade(alembic_config(url, connection), "head")
            after = MigrationContext.configure(connection).get_current_revision()
    except SQLAlchemyError as error:
        raise StateUnavailable(f"cannot migrate the application database: {error}") from None
    if before != after:
        logger.info("application database migrated from %s to %s", before or "nothing", after)
    return Upgrade(before=before, after=after, adopted=adopted)


def upgrade_once(url: str) -> None:
    """`upgrade`, once per process and URL (every store calls it when it opens the database)."""
    with _upgrade_lock:
        if url in _upgraded:
            return
        for attempt in range(3):
            try:
                upgrade(url)
                break
            except StateUnavailable:  # another process migrating the same SQLite file at the same moment
                if attempt == 2:
                    raise
        _upgraded.add(url)


def new_revision(url: str, message: str, *, autogenerate: bool = True) -> Path:
    """Write a new revision (numbered after the latest) comparing the models with the database at `url`,
    which must be at the latest revision; returns its file for review."""
    latest = head()
    number = f"{int(latest) + 1:04d}" if latest and latest.isdigit() else None
    with engine(url).begin() as connection:
        made = command.revision(
            alembic_config(url, connection), message=message, autogenerate=autogenerate, rev_id=number
        )
    scripts = made if isinstance(made, list) else [made]
    return Path(scripts[0].path) if scripts and scripts[0] is not None else MIGRATIONS


def _adopt(connection: Connection) -> bool:
    """Stamp a database made by `create_all` (tables, no version) with the baseline when its tables match;
    True when it did. A table lacking columns stops here: migrating it blindly could lose data."""
    inspector = inspect(connection)
    present = {name: {column["name"] for column in inspector.get_columns(name)} for name in BASELINE_COLUMNS
               if inspector.has_table(name)}  # fmt: skip
    if not present:
        return False
    for name, columns in present.items():
        missing = BASELINE_COLUMNS[name] - columns
        if missing:
            raise StateUnavailable(
                f"cannot adopt the application database: table {name!r} lacks {', '.join(sorted(missing))}; "
                "it was not made by this application (or by a much older version)"
            )
    if len(present) < len(BASELINE_COLUMNS):
        logger.warning("adopting the application database: the baseline adds the tables it lacks")
        return True
    url = connection.engine.url.render_as_string(hide_password=False)
    command.stamp(alembic_config(url, connection), BASELINE)
    logger.warning("adopted the application database made before migrations: stamped %s", BASELINE)
    return True


def create_table_if_missing(name: str, *elements: Any, indexes: Sequence[Sequence[str]] = ()) -> bool:
    """For revisions: `op.create_table` with `ix_<table>_<column>` indexes, skipped when the table exists (a
    database an older version made, or one the reuse counts' own `create_all` started); True when made."""
    if inspect(op.get_bind()).has_table(name):
        return False
    op.create_table(name, *elements)
    for columns in indexes:
        op.create_index(f"ix_{name}_{'_'.join(columns)}", name, list(columns))
    return True


def forget_upgrade(url: str) -> None:
    """Let the next `upgrade_once(url)` check the database again (it was dropped or replaced)."""
    with _upgrade_lock:
        _upgraded.discard(url)
