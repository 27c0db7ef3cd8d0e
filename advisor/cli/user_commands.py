"""Commands for the people who use the web app: create users, set passwords, make API tokens, list users."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from advisor.access import ROLES
from advisor.cli.app import app, clean_errors, console, print_json, settings_with
from advisor.errors import InvalidUser

if TYPE_CHECKING:
    from advisor.settings import Settings
    from advisor.users import UserStore


def build_users(settings: Settings) -> UserStore:
    """Imported when a command runs: the composition root loads the whole app (issue 18, `--help` < 1 s)."""
    from advisor.composition import build_users as build

    return build(settings)


PasswordStdinOption = Annotated[
    bool,
    typer.Option(
        "--password-stdin", help="read the password from standard input (one line), e.g. from a secret store"
    ),
]


TeamOption = Annotated[
    str | None,
    typer.Option(
        help="the team whose figures are theirs, as the support data names it (e.g. 'Billing Desk')"
    ),
]


@app.command("create-user")
def create_user(
    username: Annotated[str, typer.Argument(help="the sign-in name (letters, digits, . _ @ -)")],
    role: Annotated[str, typer.Option(help=f"one of {', '.join(ROLES)}")] = "agent",
    password_stdin: PasswordStdinOption = False,
    team: TeamOption = None,
) -> None:
    """Create a user. The first user ends local single-user mode: from then on everyone signs in."""
    with clean_errors():
        users = build_users(settings_with())
        first = not users.has_users()
        user = users.create_user(username, role, _password(password_stdin), team=team)
    console.print(f"created {user.username} ({user.role})", highlight=False)
    if first:
        console.print(
            "This is the first user: the web app now asks everyone to sign in, and `advisor serve` may "
            "listen on addresses other than loopback.",
            highlight=False,
        )


@app.command("set-team")
def set_team(
    username: Annotated[str, typer.Argument(help="whose team to set")],
    team: Annotated[str, typer.Argument(help="the team as the support data names it; '' clears it")],
) -> None:
    """Set the team whose figures are a user's: a manager's home then shows that team's weak metrics."""
    with clean_errors():
        user = build_users(settings_with()).set_team(username, team)
    console.print(f"{user.username} is in {user.team or 'no team'}", highlight=False)


@app.command("set-password")
def set_password(
    username: Annotated[str, typer.Argument(help="whose password to set")],
    password_stdin: PasswordStdinOption = False,
) -> None:
    """Set a user's password (for example when an admin forgot theirs); their sessions end."""
    with clean_errors():
        build_users(settings_with()).reset_password(username, _password(password_stdin))
    console.print(f"set the password of {username.strip().lower()}; their web sessions have ended")


@app.command("create-token")
def create_token(
    username: Annotated[str, typer.Argument(help="whose token it is; it acts with their role")],
    name: Annotated[str, typer.Option(help="what the token is for, e.g. 'nightly export'")],
) -> None:
    """Make a personal API token and print it once (send it as `Authorization: Bearer <token>`)."""
    with clean_errors():
        made = build_users(settings_with()).create_token(username, name)
    # Only the token on standard output, so that scripts can capture it; the advice goes to standard error.
    sys.stdout.write(made.secret + "\n")
    typer.echo(
        f"API token {made.token.name!r} ({made.token.id[:8]}) for {username.strip().lower()}: keep it "
        "now, it is not shown again.",
        err=True,
    )


@app.command("users")
def list_users(as_json: Annotated[bool, typer.Option("--json", help="print JSON")] = False) -> None:
    """List users with their role and state (never their passwords)."""
    with clean_errors():
        users = build_users(settings_with()).list_users()
    if as_json:
        print_json(
            {
                "users": [
                    {
                        "username": user.username,
                        "role": user.role,
                        "created_at": user.created_at.isoformat(),
                        "disabled": user.disabled,
                        "team": user.team,
                    }
                    for user in users
                ]
            }
        )
        return
    if not users:
        console.print("No users yet: the web app runs in local single-user mode (loopback only).")
        return
    table = Table(title="Users")
    for column in ("username", "role", "team", "created", "state"):
        table.add_column(column)
    for user in users:
        state = "disabled" if user.disabled else "active"
        table.add_row(user.username, user.role, user.team or "", f"{user.created_at:%Y-%m-%d}", state)
    console.print(table)


def _password(from_stdin: bool) -> str:
    """The new password: one line of standard input, or typed twice at a hidden prompt."""
    if from_stdin:
        text = sys.stdin.read()
        password = text[:-1] if text.endswith("\n") else text
        password = password[:-1] if password.endswith("\r") else password
        if "\n" in password or "\r" in password:
            raise InvalidUser("the password on standard input must be a single line")
        if not password:
            raise InvalidUser("no password on standard input (it was empty)")
        return password
    if not sys.stdin.isatty():
        raise InvalidUser("no terminal to ask for the password: pass it with --password-stdin")
    return str(typer.prompt("Password", hide_input=True, confirmation_prompt=True))
