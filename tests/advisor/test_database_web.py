"""Writes that are not the user's request never fail it (a token's last-used time on a locked database), and
reuse votes count once per person, through the real web app on SQLite and PostgreSQL."""

from __future__ import annotations

import logging
import sqlite3
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import make_url

from advisor.access import Principal
from advisor.service import Advisor
from advisor.settings import Settings
from advisor.users import UserStore
from tests.advisor.test_database_stores import PASSWORD
from tests.postgres import database_url, postgres_server
from web.app import create_app

#: pytest finds fixtures by name in the module: these two come from tests/postgres.py
FIXTURES = (database_url, postgres_server)


class Locked:
    """Another connection holding the database's write lock (SQLite) or the token's row (PostgreSQL)."""

    def __init__(self, url: str, token_id: str) -> None:
        parsed = make_url(url)
        if parsed.drivername.startswith("sqlite"):
            self.sqlite = sqlite3.connect(str(parsed.database), isolation_level=None)
            self.sqlite.execute("BEGIN IMMEDIATE")
            self.postgres = None
        else:
            self.postgres = psycopg.connect(
                f"host={parsed.host} port={parsed.port} user={parsed.username} dbname={parsed.database}"
            )
            self.postgres.execute("SELECT id FROM api_tokens WHERE id = %s FOR UPDATE", [token_id])

    def release(self) -> None:
        if self.postgres is not None:
            self.postgres.rollback()
            self.postgres.close()
        else:
            self.sqlite.execute("ROLLBACK")
            self.sqlite.close()


def test_a_locked_database_never_fails_a_token_request(
    database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    users = UserStore(database_url)
    users.create_user("admin", "admin", PASSWORD)
    made = users.create_token("admin", "script")
    moment = datetime(2026, 5, 1, 9, tzinfo=UTC)
    lock = Locked(database_url, made.token.id)
    try:
        started = time.monotonic()
        with caplog.at_level(logging.WARNING):
            assert users.token_principal(made.secret, at=moment) == Principal("admin", "admin")
        assert time.monotonic() - started < 2, "it waited a moment for the lock, not the usual 15 s"
        assert "could not write an API token's last-used time" in caplog.text
    finally:
        lock.release()
    assert users.list_tokens("admin")[0].last_used_at is None
    # written at most once a minute per token: not again 30 s later, then a minute after the last try
    assert users.token_principal(made.secret, at=moment + timedelta(seconds=30)) is not None
    assert users.list_tokens("admin")[0].last_used_at is None
    users.token_principal(made.secret, at=moment + timedelta(seconds=61))
    assert users.list_tokens("admin")[0].last_used_at == moment + timedelta(seconds=61)
    users.token_principal(made.secret, at=moment + timedelta(seconds=90))
    assert users.list_tokens("admin")[0].last_used_at == moment + timedelta(seconds=61)


@pytest.fixture
def signed_in_app(
    settings: Settings, advisor: Advisor, tmp_path: Path
) -> Iterator[tuple[TestClient, UserStore]]:
    """The web app over the session's Advisor, with users of its own (so everyone signs in)."""
    users = UserStore(f"sqlite:///{tmp_path}/users.db")
    users.create_user("admin", "admin", PASSWORD)
    with TestClient(create_app(settings, advisor=advisor, users=users)) as client:
        yield client, users


def test_a_locked_database_never_fails_the_web_request(signed_in_app: tuple[TestClient, UserStore]) -> None:
    client, users = signed_in_app
    made = users.create_token("admin", "script")
    lock = Locked(users.url, made.token.id)
    try:
        started = time.monotonic()
        answered = client.get("/api/me", headers={"Authorization": f"Bearer {made.secret}"})
        assert time.monotonic() - started < 3
    finally:
        lock.release()
    assert answered.status_code == 200 and answered.json()["username"] == "admin"


def test_a_person_cannot_inflate_a_reuse_count(
    signed_in_app: tuple[TestClient, UserStore], advisor: Advisor
) -> None:
    client, users = signed_in_app
    users.create_user("maria", "agent", PASSWORD)
    maria = {"Authorization": f"Bearer {users.create_token('maria', 'votes').secret}"}
    admin = {"Authorization": f"Bearer {users.create_token('admin', 'votes').secret}"}
    [hit] = advisor.search("hand-offs", k=1)
    before = advisor.index.reuse_count(hit.id)

    def vote(headers: dict[str, str], kind: str = "helpful") -> int:
        answered = client.post(
            "/api/knowledge/feedback", json={"document_id": hit.id, "kind": kind}, headers=headers
        )
        assert answered.status_code == 200, answered.text
        return int(answered.json()["reuse_count"])

    assert [vote(maria) for _ in range(5)] == [before + 1] * 5, "a repeat is idempotent"
    assert vote(maria, "solved") == before + 2, "one vote of each kind"
    assert vote(admin) == before + 3
    assert advisor.index.reuse_count(hit.id) == before + 3
