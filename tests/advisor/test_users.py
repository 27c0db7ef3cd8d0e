"""Users, sessions and API tokens on a real SQLite database: hashes, refusals, expiry, the last admin."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from advisor.access import Principal
from advisor.database import load_or_create_secret
from advisor.errors import InvalidUser, UserConflict, UserNotFound
from advisor.users import TOKEN_PREFIX, UserStore

PASSWORD = "correct horse battery"


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "state" / "advisor.db"


@pytest.fixture
def users(db: Path) -> UserStore:
    return UserStore(f"sqlite:///{db}", session_hours=2)


def _column(db: Path, sql: str) -> list[str]:
    with sqlite3.connect(db) as connection:
        return [row[0] for row in connection.execute(sql)]


def test_passwords_are_stored_as_argon2_hashes(users: UserStore, db: Path) -> None:
    assert not users.has_users()
    user = users.create_user("Alice", "manager", PASSWORD)
    assert (user.username, user.role, user.disabled) == ("alice", "manager", False)
    assert users.has_users()
    [stored] = _column(db, "SELECT password_hash FROM users")
    assert stored.startswith("$argon2id$") and PASSWORD not in stored
    assert "password" not in repr(user) and "hash" not in repr(user)


def test_sign_in_needs_the_right_password_and_an_enabled_user(users: UserStore) -> None:
    users.create_user("alice", "admin", PASSWORD)
    users.create_user("bob", "agent", PASSWORD)
    assert users.authenticate("ALICE ", PASSWORD) is not None
    assert users.authenticate("alice", PASSWORD + "x") is None
    assert users.authenticate("nobody", PASSWORD) is None
    assert users.authenticate("alice", "x" * 5000) is None
    users.set_disabled("bob", True)
    assert users.authenticate("bob", PASSWORD) is None
    users.set_disabled("bob", False)
    assert users.authenticate("bob", PASSWORD) is not None


@pytest.mark.parametrize(
    ("username", "role", "password", "message"),
    [
        ("<script>", "agent", PASSWORD, "is not a valid username"),
        ("", "agent", PASSWORD, "is not a valid username"),
        ("carol", "boss", PASSWORD, "'boss' is not a role; choose one of agent, manager, leader, admin"),
        ("carol", "agent", "short", "too short: use at least 10 characters"),
        ("carol", "agent", "", "the password is empty"),
        ("carol", "agent", " " * 12, "the password is empty"),
    ],
)
def test_bad_users_are_refused_clearly(
    users: UserStore, username: str, role: str, password: str, message: str
) -> None:
    with pytest.raises(InvalidUser, match=message.replace("(", r"\(")):
        users.create_user(username, role, password)
    assert not users.has_users()


def test_a_taken_username_is_refused(users: UserStore) -> None:
    users.create_user("alice", "agent", PASSWORD)
    with pytest.raises(UserConflict, match="the username 'alice' is taken"):
        users.create_user("Alice", "admin", PASSWORD)
    with pytest.raises(UserNotFound, match="no user 'zed'"):
        users.get_user("zed")


def test_tokens_are_shown_once_and_stored_hashed(users: UserStore, db: Path) -> None:
    users.create_user("alice", "leader", PASSWORD)
    made = users.create_token("alice", "  nightly   export ")
    assert made.secret.startswith(TOKEN_PREFIX) and len(made.secret) > 40
    assert made.token.name == "nightly export" and made.token.last_used_at is None
    [stored] = _column(db, "SELECT token_hash FROM api_tokens")
    assert stored != made.secret and made.secret not in stored and len(stored) == 64
    assert not any(hasattr(token, "secret") for token in users.list_tokens("alice"))

    moment = datetime(2026, 5, 1, 9, tzinfo=UTC)
    assert users.token_principal(made.secret, at=moment) == Principal("alice", "leader")
    assert users.list_tokens("alice")[0].last_used_at == moment
    assert users.token_principal(made.secret + "x") is None
    assert users.token_principal("not-a-token") is None

    with pytest.raises(UserNotFound, match="has no API token 'nope'"):
        users.revoke_token("alice", "nope")
    users.revoke_token("alice", made.token.id)
    assert users.token_principal(made.secret) is None and users.list_tokens("alice") == []


def test_a_token_acts_with_the_current_role_and_stops_when_disabled(users: UserStore) -> None:
    users.create_user("admin", "admin", PASSWORD)
    users.create_user("bob", "agent", PASSWORD)
    secret = users.create_token("bob", "script").secret
    users.set_role("bob", "manager")
    assert users.token_principal(secret) == Principal("bob", "manager")
    users.set_disabled("bob", True)
    assert users.token_principal(secret) is None
    with pytest.raises(InvalidUser, match="a token needs a name of 1 to 100 characters"):
        users.create_token("admin", "   ")
    with pytest.raises(UserNotFound):
        users.revoke_token("admin", users.create_token("bob", "theirs").token.id)


def test_sessions_expire_end_on_sign_out_and_on_disable(users: UserStore, db: Path) -> None:
    users.create_user("admin", "admin", PASSWORD)
    users.create_user("bob", "agent", PASSWORD)
    start = datetime(2026, 5, 1, 9, tzinfo=UTC)
    token = users.start_session("bob", at=start)
    assert token not in "".join(_column(db, "SELECT token_hash FROM web_sessions"))
    assert users.session_principal(token, at=start + timedelta(hours=1)) == Principal("bob", "agent")
    assert users.session_principal(token, at=start + timedelta(hours=2)) is None  # session_hours=2
    assert _column(db, "SELECT token_hash FROM web_sessions") == []

    token = users.start_session("bob")
    users.end_session(token)
    assert users.session_principal(token) is None

    token = users.start_session("bob")
    users.set_disabled("bob", True)
    assert users.session_principal(token) is None
    users.set_disabled("bob", False)
    assert users.session_principal(token) is None  # enabling again does not bring old sessions back
    users.set_disabled("bob", True)
    with pytest.raises(InvalidUser, match="bob is disabled"):
        users.start_session("bob")


def test_changing_a_password_ends_the_other_sessions(users: UserStore) -> None:
    users.create_user("alice", "agent", PASSWORD)
    here, elsewhere = users.start_session("alice"), users.start_session("alice")
    with pytest.raises(InvalidUser, match="current password is wrong"):
        users.change_password("alice", "not my password", "a new password 1")
    users.change_password("alice", PASSWORD, "a new password 1", keep_session=here)
    assert users.session_principal(here) is not None and users.session_principal(elsewhere) is None
    assert users.authenticate("alice", "a new password 1") is not None
    users.reset_password("alice", "another password")
    assert users.session_principal(here) is None


def test_the_last_active_admin_stays(users: UserStore) -> None:
    users.create_user("root", "admin", PASSWORD)
    with pytest.raises(UserConflict, match="cannot make root an agent: they are the last active admin"):
        users.set_role("root", "agent")
    with pytest.raises(UserConflict, match="cannot disable root: they are the last active admin"):
        users.set_disabled("root", True)
    users.create_user("second", "admin", PASSWORD)
    users.set_disabled("second", True)
    with pytest.raises(UserConflict):  # a disabled admin does not count
        users.set_role("root", "leader")
    users.set_disabled("second", False)
    assert users.set_role("root", "leader").role == "leader"
    with pytest.raises(UserConflict):
        users.set_disabled("second", True)


def test_the_signing_secret_is_made_once_and_private(tmp_path: Path) -> None:
    path = tmp_path / "var" / "secret_key"
    first = load_or_create_secret(path)
    assert len(first) >= 32 and load_or_create_secret(path) == first
    assert path.stat().st_mode & 0o777 == 0o600
