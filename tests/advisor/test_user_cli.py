"""`advisor create-user`, `create-token`, `set-password` and `users`: the real Typer app, input on stdin."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from advisor.cli import app
from advisor.users import TOKEN_PREFIX, UserStore

runner = CliRunner()
PASSWORD = "correct horse battery"


def _store(tmp_path: Path) -> UserStore:
    return UserStore(f"sqlite:///{tmp_path}/advisor.db")  # where the autouse fixture points the settings


def test_create_the_first_admin_from_stdin(tmp_path: Path) -> None:
    result = runner.invoke(
        app, ["create-user", "Root", "--role", "admin", "--password-stdin"], input=PASSWORD + "\n"
    )
    assert result.exit_code == 0, result.output
    assert "created root (admin)" in result.stdout and "first user" in result.stdout
    assert PASSWORD not in result.output
    assert _store(tmp_path).authenticate("root", PASSWORD) is not None

    again = runner.invoke(app, ["create-user", "bob", "--password-stdin"], input=PASSWORD + "\r\n")
    assert again.exit_code == 0 and "created bob (agent)" in again.stdout and "first user" not in again.stdout
    assert _store(tmp_path).authenticate("bob", PASSWORD) is not None


def test_short_empty_and_bad_input_is_refused_clearly(tmp_path: Path) -> None:
    cases = [
        (["create-user", "root", "--role", "admin", "--password-stdin"], "short\n", "too short"),
        (["create-user", "root", "--role", "admin", "--password-stdin"], "", "empty"),
        (["create-user", "root", "--role", "admin", "--password-stdin"], "\n", "empty"),
        (["create-user", "root", "--role", "boss", "--password-stdin"], PASSWORD, "'boss' is not a role"),
        (["create-user", "<b>", "--password-stdin"], PASSWORD, "not a valid username"),
        (["create-user", "root", "--password-stdin"], f"{PASSWORD}\nsecond line\n", "single line"),
        (["create-user", "root"], "", "--password-stdin"),  # no terminal to prompt on
    ]
    for args, stdin, message in cases:
        result = runner.invoke(app, args, input=stdin)
        assert result.exit_code == 2, (args, result.output)
        assert "error:" in result.output and message in result.output, (args, result.output)
        assert "Traceback" not in result.output
    assert not _store(tmp_path).has_users()


def test_duplicate_user_is_refused(tmp_path: Path) -> None:
    assert runner.invoke(app, ["create-user", "root", "--password-stdin"], input=PASSWORD).exit_code == 0
    result = runner.invoke(app, ["create-user", "ROOT", "--password-stdin"], input=PASSWORD)
    assert result.exit_code == 2 and "the username 'root' is taken" in result.output


def test_tokens_are_printed_once_and_users_listed_without_hashes(tmp_path: Path) -> None:
    runner.invoke(app, ["create-user", "root", "--role", "admin", "--password-stdin"], input=PASSWORD)
    made = runner.invoke(app, ["create-token", "root", "--name", "nightly export"])
    assert made.exit_code == 0, made.output
    secret = made.stdout.strip()
    assert secret.startswith(TOKEN_PREFIX) and "\n" not in secret
    assert "not shown again" in made.stderr
    assert _store(tmp_path).token_principal(secret) is not None
    missing = runner.invoke(app, ["create-token", "nobody", "--name", "x"])
    assert missing.exit_code == 2 and "no user 'nobody'" in missing.output

    listed = runner.invoke(app, ["users", "--json"])
    assert listed.exit_code == 0
    [user] = json.loads(listed.stdout)["users"]
    assert user.keys() == {"username", "role", "created_at", "disabled", "team"}
    assert user["username"] == "root" and user["role"] == "admin"
    table = runner.invoke(app, ["users"])
    assert "root" in table.stdout and "argon2" not in table.stdout and secret not in table.stdout


def test_set_password_ends_sessions(tmp_path: Path) -> None:
    runner.invoke(app, ["create-user", "root", "--role", "admin", "--password-stdin"], input=PASSWORD)
    session = _store(tmp_path).start_session("root")
    result = runner.invoke(app, ["set-password", "root", "--password-stdin"], input="a new password!\n")
    assert result.exit_code == 0, result.output
    store = _store(tmp_path)
    assert store.session_principal(session) is None
    assert store.authenticate("root", "a new password!") is not None


def test_users_without_any_says_local_mode() -> None:
    result = runner.invoke(app, ["users"])
    assert result.exit_code == 0 and "local single-user mode" in result.stdout


def test_serve_refuses_a_public_address_only_while_no_user_exists() -> None:
    result = runner.invoke(app, ["serve", "--host", "0.0.0.0"])
    assert result.exit_code == 2
    assert "refusing to listen on 0.0.0.0: no user exists yet" in result.output
    assert "advisor create-user NAME --role admin --password-stdin" in result.output
