"""`advisor digest`: what changed since a day (metrics that crossed a band, steps due or overdue, outcomes
measured), as Markdown or HTML to paste into mail or chat. Sending it is left to the reader."""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Annotated

import typer

from advisor.cli.app import advisor_with, app, clean_errors


class DigestFormat(StrEnum):
    markdown = "markdown"
    html = "html"


@app.command("digest")
def digest(
    since: Annotated[
        str | None,
        typer.Option("--since", help="YYYY-MM-DD: what changed from this day on (default: the last 7 days)"),
    ] = None,
    output_format: Annotated[
        DigestFormat, typer.Option("--format", help="markdown, or html (a whole escaped document)")
    ] = DigestFormat.markdown,
    base_url: Annotated[
        str, typer.Option("--base-url", help="the server's address, to make the links absolute")
    ] = "",
) -> None:
    """What changed since last time: metrics that crossed a band, steps due or overdue, outcomes measured."""
    with clean_errors():
        start = _day(since)
        # imported here: the digest loads the scorecard, the stores and the outcome statistics
        from advisor.digest import digest_for, digest_html, digest_markdown

        found = digest_for(advisor_with(), start)
        base = base_url.rstrip("/")
        text = (
            digest_html(found, base_url=base, standalone=True)
            if output_format is DigestFormat.html
            else digest_markdown(found, base_url=base)
        )
    typer.echo(text, nl=not text.endswith("\n"))


def _day(text: str | None) -> date | None:
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ValueError(f"--since {text!r} is not a date like 2026-11-01") from None
