"""Commands of the KCS loop: candidate articles, the loop's articles, and writing the published ones back into
the organisation's data (after an import that replaced the tickets' events, or an undo)."""

from __future__ import annotations

import getpass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from advisor.cli.app import app, clean_errors, console, print_json, settings_with

if TYPE_CHECKING:
    from advisor.articles import KnowledgeLoop

articles_app = typer.Typer(help="Capture and improve knowledge (KCS).", no_args_is_help=True)
app.add_typer(articles_app, name="articles")

DataOption = Annotated[Path | None, typer.Option("--data-dir", help="the organisation's data folder")]
JsonOption = Annotated[bool, typer.Option("--json", help="print JSON")]


def _loop(data_dir: Path | None) -> KnowledgeLoop:
    from advisor.composition import build_advisor, build_knowledge_loop

    settings = settings_with(data_dir=data_dir)
    return build_knowledge_loop(settings, build_advisor(settings))


@articles_app.command("candidates")
def candidates(data_dir: DataOption = None, as_json: JsonOption = False) -> None:
    """Groups of similar resolved cases with no article, the largest first."""
    with clean_errors():
        found = _loop(data_dir).candidates()
    if as_json:
        print_json([candidate.model_dump(mode="json") for candidate in found])
        return
    table = Table(title="Candidate articles")
    for column in ("cases", "title", "teams", "id"):
        table.add_column(column)
    for candidate in found:
        table.add_row(str(candidate.size), candidate.title, ", ".join(candidate.teams), candidate.id)
    console.print(table)


@articles_app.command("list")
def list_articles(data_dir: DataOption = None, as_json: JsonOption = False) -> None:
    """The loop's articles, the most recently changed first."""
    with clean_errors():
        found = _loop(data_dir).articles()
    if as_json:
        print_json([article.model_dump(mode="json") for article in found])
        return
    table = Table(title="Articles")
    for column in ("id", "state", "title", "cases", "open flags", "changed"):
        table.add_column(column)
    for article in found:
        table.add_row(
            article.id,
            article.state,
            article.title,
            str(len(article.cases)),
            str(len(article.open_flags)),
            f"{article.updated_at:%Y-%m-%d %H:%M}",
        )
    console.print(table)


@articles_app.command("sync")
def sync(data_dir: DataOption = None) -> None:
    """Write every published article (and its cases' events) into the organisation's data again; changes
    nothing when they are all there."""
    with clean_errors():
        written = _loop(data_dir).write_to_data(actor=getpass.getuser())
    if written is None:
        console.print("No data folder: nothing to write.")
    elif written.version is None:
        console.print("Every published article is already in the organisation's data.")
    else:
        console.print(
            f"Wrote version {written.version}: {written.articles_added} article(s) added, "
            f"{written.articles_updated} updated, {written.events_added} ticket event(s) added."
        )
