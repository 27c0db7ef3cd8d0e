"""`advisor db ...`: the application database's migrations (upgrade, current revision, new revision)."""

from __future__ import annotations

from typing import Annotated

import typer

from advisor.cli.app import app, clean_errors, console, errors, settings_with

# SQLAlchemy and Alembic load when a db command runs, not for every `advisor` command (issue 18).

db = typer.Typer(help="The application database: migrations (SQLite by default, PostgreSQL in production).")
app.add_typer(db, name="db")

UrlOption = Annotated[
    str | None, typer.Option("--url", help="database URL (default: ADVISOR_DATABASE_URL / settings)")
]


def _url(url: str | None) -> str:
    return settings_with(database_url=url).database_url


def _shown(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


@db.command("upgrade")
def upgrade_command(url: UrlOption = None) -> None:
    """Bring the database to the latest revision (`advisor serve` does this at start too). A database made
    before migrations is adopted without touching its rows."""
    from advisor.schema import upgrade

    with clean_errors():
        target = _url(url)
        done = upgrade(target)
    if done.adopted:
        console.print("adopted a database made before migrations", highlight=False, soft_wrap=True)
    if done.before == done.after:
        console.print(
            f"{_shown(target)}: already at the latest revision {done.after}", highlight=False, soft_wrap=True
        )
    else:
        console.print(
            f"{_shown(target)}: upgraded from {done.before or 'nothing'} to {done.after}",
            highlight=False,
            soft_wrap=True,
        )


@db.command("current")
def current_command(url: UrlOption = None) -> None:
    """Print the database's revision and the latest one; exit code 1 when it is behind."""
    from advisor.schema import current, head

    with clean_errors():
        target = _url(url)
        found, latest = current(target), head()
    console.print(
        f"{_shown(target)}: at {found or 'no revision'}, latest {latest}", highlight=False, soft_wrap=True
    )
    if found != latest:
        errors.print("the database is behind: run `advisor db upgrade`", highlight=False, soft_wrap=True)
        raise typer.Exit(1)


@db.command("revision")
def revision_command(
    message: Annotated[str, typer.Argument(help="what the revision changes, e.g. 'add articles'")],
    url: UrlOption = None,
    empty: Annotated[
        bool, typer.Option("--empty", help="an empty revision, not compared with the models")
    ] = False,
) -> None:
    """For developers: write a new revision from the difference between the models and a database at the
    latest revision (review the file before committing it)."""
    from advisor.schema import new_revision, upgrade

    with clean_errors():
        target = _url(url)
        upgrade(target)
        path = new_revision(target, message, autogenerate=not empty)
    console.print(f"wrote {path}; review it, then `advisor db upgrade`", highlight=False, soft_wrap=True)
