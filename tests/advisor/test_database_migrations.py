"""Alembic migrations of the application database, on SQLite and a real PostgreSQL: a new database, adopting
one made by `create_all` before migrations (rows kept), refusing a foreign one, `advisor db ...`, WAL mode."""

from __future__ import annotations

import sqlite3
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import text
from typer.testing import CliRunner

from advisor.cli import app
from advisor.database import SQLITE_BUSY_TIMEOUT_S, dispose_engine, engine
from advisor.errors import StateUnavailable
from advisor.recommendation_store import RecommendationStore
from advisor.schema import BASELINE, alembic_config, current, head, table_metadata, upgrade
from advisor.users import UserStore
from knowledge.feedback import ReuseCounts
from tests.advisor.test_database_stores import PASSWORD, SPRING, all_at_once, recommendation
from tests.postgres import database_url, postgres_server

#: pytest finds fixtures by name in the module: these two come from tests/postgres.py
FIXTURES = (database_url, postgres_server)


def _pre_migration_database(url: str) -> None:
    """A database as versions before migrations left it: the baseline's tables, no alembic_version."""
    with engine(url).begin() as connection:
        command.upgrade(alembic_config(url, connection), BASELINE)
        connection.execute(text("DROP TABLE alembic_version"))
    dispose_engine(url)


def test_a_new_database_gets_every_table_as_the_models_define_them(database_url: str) -> None:
    done = upgrade(database_url)
    assert (done.before, done.after, done.adopted) == (None, head(), False)
    assert current(database_url) == head()
    with engine(database_url).connect() as connection:
        context = MigrationContext.configure(connection)
        differences = compare_metadata(context, table_metadata())  # type: ignore[arg-type]
    assert differences == []
    assert upgrade(database_url).before == head(), "a second upgrade finds nothing to do"


def test_an_old_database_is_adopted_without_losing_rows(database_url: str) -> None:
    _pre_migration_database(database_url)
    moment = datetime(2026, 6, 1, tzinfo=UTC)
    with engine(database_url).begin() as connection:
        connection.execute(
            text(
                "INSERT INTO users (username, role, password_hash, created_at, disabled) "
                "VALUES ('old', 'admin', 'x', :at, false)"
            ),
            {"at": moment},
        )
        for number, status in enumerate(["proposed", "in_progress", "done"]):  # an old race left 2 open
            connection.execute(
                text(
                    "INSERT INTO recommendations (id, organisation, practice_id, status, period_start, "
                    "period_end, created_at, updated_at, content) VALUES (:id, 'acme', 'swarm', :status, "
                    "'2026-03-01', '2026-06-01', :at, :at, '{}')"
                ),
                {"id": f"r{number}", "status": status, "at": moment},
            )
        connection.execute(text("INSERT INTO knowledge_reuse VALUES ('kb-1', 2, 3, :at)"), {"at": moment})
    done = upgrade(database_url)
    assert (done.before, done.after, done.adopted) == (None, head(), True)
    assert [user.username for user in UserStore(database_url).list_users()] == ["old"]
    assert ReuseCounts(database_url).details("kb-1") == {"helpful": 2, "solved": 3, "reuse_count": 5}
    with engine(database_url).connect() as connection:
        statuses: dict[str, str] = dict(
            connection.execute(text("SELECT id, status FROM recommendations")).all()
        )
        reason = connection.execute(
            text("SELECT reason FROM recommendation_changes WHERE recommendation_id = 'r0'")
        ).scalar_one()
    # the one furthest along stays open; the duplicate is dismissed with a reason, not deleted
    assert statuses == {"r0": "dismissed", "r1": "in_progress", "r2": "done"}
    assert "duplicate of the open recommendation r1" in reason


def test_a_database_with_only_some_old_tables_gets_the_rest(database_url: str) -> None:
    ReuseCounts(database_url).record("kb-1", "solved")  # the reuse counts make their own tables
    done = upgrade(database_url)
    assert done.adopted and done.after == head()
    assert ReuseCounts(database_url).details("kb-1")["solved"] == 1
    assert RecommendationStore(database_url).list() == []


def test_a_foreign_table_of_the_same_name_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "other.db"
    with sqlite3.connect(path) as connection:
        connection.execute("CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT)")
    with pytest.raises(StateUnavailable, match="table 'users' lacks created_at, disabled"):
        upgrade(f"sqlite:///{path}")


def test_simultaneous_first_starts_migrate_once(database_url: str) -> None:
    results = all_at_once(6, lambda _: upgrade(database_url))
    assert not [result for result in results if isinstance(result, BaseException)], results
    assert [getattr(result, "before", "?") for result in results].count(None) == 1
    with engine(database_url).connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM alembic_version")).scalar_one() == 1


def test_the_db_commands(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/cli.db"
    runner = CliRunner()
    behind = runner.invoke(app, ["db", "current", "--url", url])
    assert behind.exit_code == 1 and "at no revision" in behind.output
    upgraded = runner.invoke(app, ["db", "upgrade", "--url", url])
    assert upgraded.exit_code == 0 and f"upgraded from nothing to {head()}" in upgraded.output
    assert runner.invoke(app, ["db", "upgrade", "--url", url]).output.count("already at the latest") == 1
    at_head = runner.invoke(app, ["db", "current", "--url", url])
    assert at_head.exit_code == 0 and f"at {head()}, latest {head()}" in at_head.output


def test_sqlite_runs_in_wal_mode_with_a_busy_timeout(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/state/advisor.db"
    users = UserStore(url)
    users.create_user("admin", "admin", PASSWORD)
    with engine(url).connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() == SQLITE_BUSY_TIMEOUT_S * 1000
    # a writer waits for another writer rather than failing (the old 5 s default made chats fail under load)
    blocker = sqlite3.connect(
        tmp_path / "state" / "advisor.db", isolation_level=None, check_same_thread=False
    )
    blocker.execute("BEGIN IMMEDIATE")
    threading.Timer(1.0, blocker.execute, ["COMMIT"]).start()
    started = time.monotonic()
    users.create_token("admin", "waited")
    assert 0.8 < time.monotonic() - started < SQLITE_BUSY_TIMEOUT_S
    blocker.close()
    store = RecommendationStore(url)
    assert len(store.propose([recommendation()], organisation="acme", period=SPRING)) == 1


def test_every_revision_goes_down_and_up_again(database_url: str) -> None:
    upgrade(database_url)
    with engine(database_url).begin() as connection:
        command.downgrade(alembic_config(database_url, connection), BASELINE)
    assert current(database_url) == BASELINE
    assert upgrade(database_url).after == head()
    assert RecommendationStore(database_url).propose([recommendation()], organisation="acme", period=SPRING)
