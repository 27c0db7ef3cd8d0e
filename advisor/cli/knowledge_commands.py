"""Commands over the knowledge index: build it, search it."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from advisor.cli.app import advisor_with, app, clean_errors, console, print_json


@app.command()
def index(
    paths: Annotated[
        list[Path] | None, typer.Argument(help="folders of Markdown or text to index too")
    ] = None,
    index_dir: Annotated[Path | None, typer.Option("--index-dir", help="index folder")] = None,
    data: Annotated[
        Path | None, typer.Option("--data", help="organisation data folder (for its articles)")
    ] = None,
) -> None:
    """Build or update the knowledge index: practices, the organisation's articles, and PATHs."""
    with clean_errors():
        for path in paths or []:
            if not path.is_dir():
                raise ValueError(f"{path} is not a folder")
        report = advisor_with(index_dir=index_dir, data_dir=data).build_index(paths=paths or [])
    console.print(
        f"index: {report.added} added, {report.updated} updated, {report.unchanged} unchanged, "
        f"{report.removed} removed ({report.chunks} passages embedded)"
    )


@app.command()
def search(
    query: Annotated[str, typer.Argument(help="what to look for")],
    k: Annotated[int, typer.Option("-k", min=1, max=100, help="number of results")] = 5,
    index_dir: Annotated[Path | None, typer.Option("--index-dir", help="index folder")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
) -> None:
    """Search practices and prior solutions."""
    with clean_errors():
        hits = advisor_with(index_dir=index_dir).search(query, k)
    if as_json:
        print_json({"hits": [hit.model_dump(mode="json", exclude={"metadata"}) for hit in hits]})
        return
    for number, hit in enumerate(hits, start=1):
        console.print(
            f"[bold]{number}. {hit.title}[/bold] [dim]{hit.kind} {hit.id} score {hit.score:.2f}[/dim]"
        )
        console.print(f"   {hit.snippet}", highlight=False, markup=False)
