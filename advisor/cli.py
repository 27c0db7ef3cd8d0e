"""The `advisor` command line: an edge that parses arguments, calls the Advisor and prints."""

from __future__ import annotations

import importlib
import ipaddress
import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from advisor.composition import build_advisor
from advisor.service import Advisor
from advisor.settings import Settings, get_settings
from knowledge.errors import KnowledgeError
from metrics.errors import MetricsError
from metrics.models import Period, Scorecard

app = typer.Typer(
    help="OCMF advisor: scorecard, next steps and shared knowledge for support leaders.", no_args_is_help=True
)
console = Console()
errors = Console(stderr=True)

STATUS_STYLE = {"strong": "green", "watch": "yellow", "weak": "red", "no data": "dim"}


class Size(StrEnum):
    small = "small"
    medium = "medium"
    large = "large"


@contextmanager
def _clean_errors() -> Iterator[None]:
    """Domain errors become one readable line and exit code 2, not a traceback."""
    try:
        yield
    except (MetricsError, KnowledgeError, ValueError) as error:
        errors.print(f"[red]error:[/red] {error}", highlight=False, soft_wrap=True)
        raise typer.Exit(2) from None


def _settings(**overrides: Any) -> Settings:
    values = {key: value for key, value in overrides.items() if value is not None}
    return get_settings().model_copy(update=values)


def _advisor(**overrides: Any) -> Advisor:
    return build_advisor(_settings(**overrides))


def _period(text: str | None) -> Period | None:
    return Period.parse(text) if text else None


def _print_json(payload: Any) -> None:
    sys.stdout.write(json.dumps(payload, indent=2, default=str, ensure_ascii=False) + "\n")


@app.command()
def serve(
    data: Annotated[Path | None, typer.Option("--data", help="organisation data folder")] = None,
    host: Annotated[str | None, typer.Option(help="address to listen on")] = None,
    port: Annotated[int | None, typer.Option(help="port to listen on")] = None,
) -> None:
    """Serve the web chat and scorecard (builds the knowledge index first if it is missing)."""
    import uvicorn

    settings = _settings(data_dir=data, host=host, port=port)
    with _clean_errors():
        if not _is_loopback(settings.host):
            raise ValueError(
                f"refusing to listen on {settings.host}: without sign-in the app only serves a loopback address"
            )
        advisor = build_advisor(settings)
        report = advisor.ensure_index()
        if report is not None:
            console.print(f"built the knowledge index: {report.added} documents, {report.chunks} passages")
        advisor.scorecard()
    create_app: Callable[..., Any] = importlib.import_module("web.app").create_app
    console.print(f"ocmf-advisor on http://{settings.host}:{settings.port}")
    uvicorn.run(
        create_app(settings, advisor=advisor), host=settings.host, port=settings.port, log_level="info"
    )


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@app.command("demo-data")
def demo_data(
    out_dir: Annotated[Path, typer.Argument(help="folder to write the CSV files into")],
    seed: Annotated[int, typer.Option(help="random seed: same seed, same organisation")] = 42,
    size: Annotated[
        Size, typer.Option(help="small (~2k tickets), medium (~50k), large (~500k)")
    ] = Size.medium,
    weakness: Annotated[
        list[str] | None,
        typer.Option("--weakness", help="planted weakness (repeatable); default set if omitted"),
    ] = None,
) -> None:
    """Write a fictional software company's support data, with planted weaknesses to find."""
    from metrics.demo import generate_demo

    today = datetime.now(UTC).date()
    with _clean_errors():
        manifest = generate_demo(
            out_dir, end=date(today.year, today.month, 1), seed=seed, size=size.value, weaknesses=weakness
        )
    counts = ", ".join(f"{table} {count:,}" for table, count in manifest.counts.items())
    console.print(f"wrote {out_dir}: {counts}")
    console.print(f"planted weaknesses: {', '.join(manifest.weaknesses)}")


@app.command()
def scorecard(
    data_dir: Annotated[Path, typer.Argument(help="organisation data folder")],
    period: Annotated[
        str | None, typer.Option(help="START..END, END excluded (default: last 3 full months)")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
) -> None:
    """Compute the OCMF scorecard of an organisation's data."""
    with _clean_errors():
        from metrics.scorecard import compute_scorecard
        from metrics.store import open_store

        result = compute_scorecard(
            open_store(data_dir), _period(period), min_group_size=get_settings().min_group_size
        )
    if as_json:
        _print_json(result.model_dump(mode="json"))
    else:
        _print_scorecard(result)


def _print_scorecard(result: Scorecard) -> None:
    table = Table(title=f"OCMF scorecard {result.period.start}..{result.period.end}")
    for column in ("category", "metric", "value", "reference", "status", "n"):
        table.add_column(column, justify="right" if column in {"value", "n"} else "left")
    for category in result.categories:
        score = "-" if category.score is None else f"{category.score:.0f}"
        table.add_row(
            f"[bold]{category.name}[/bold] ({category.focus_pct}% focus)",
            f"score {score}, {category.coverage.with_data} of {category.coverage.total} measures",
            "",
            "",
            "",
            "",
        )
        for metric in category.metrics:
            reference = ""
            if metric.compared_with == "target":
                reference = f"target {metric.target:g}"
            elif metric.compared_with == "baseline" and metric.baseline is not None:
                reference = f"baseline {metric.baseline:g}"
            value = "-" if metric.value is None else f"{metric.value:g} {metric.unit}"
            style = STATUS_STYLE[metric.status]
            table.add_row(
                "",
                f"{metric.id} {metric.name}",
                value,
                reference,
                f"[{style}]{metric.status}[/{style}]",
                f"{metric.n:,}",
            )
    console.print(table)


@app.command("next-steps")
def next_steps(
    data_dir: Annotated[Path, typer.Argument(help="organisation data folder")],
    period: Annotated[
        str | None, typer.Option(help="START..END, END excluded (default: last 3 full months)")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
) -> None:
    """Rank the smartest next steps for the weak metrics."""
    with _clean_errors():
        recommendations = _advisor(data_dir=data_dir).next_steps(_period(period))
    if as_json:
        _print_json({"recommendations": [rec.model_dump(mode="json") for rec in recommendations]})
        return
    if not recommendations:
        console.print("No weak or worsening metric: nothing to push now.")
    for rec in recommendations:
        console.print(
            f"[bold]{rec.rank}. {rec.title}[/bold] [dim]({rec.practice_id}, {rec.level}, effort {rec.effort})[/dim]"
        )
        console.print(f"   {rec.why}", highlight=False)


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
    with _clean_errors():
        for path in paths or []:
            if not path.is_dir():
                raise ValueError(f"{path} is not a folder")
        report = _advisor(index_dir=index_dir, data_dir=data).build_index(paths=paths or [])
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
    with _clean_errors():
        hits = _advisor(index_dir=index_dir).search(query, k)
    if as_json:
        _print_json({"hits": [hit.model_dump(mode="json", exclude={"metadata"}) for hit in hits]})
        return
    for number, hit in enumerate(hits, start=1):
        console.print(
            f"[bold]{number}. {hit.title}[/bold] [dim]{hit.kind} {hit.id} score {hit.score:.2f}[/dim]"
        )
        console.print(f"   {hit.snippet}", highlight=False, markup=False)


@app.command()
def ask(
    question: Annotated[str, typer.Argument(help="a question for the advisor")],
    data: Annotated[Path | None, typer.Option("--data", help="organisation data folder")] = None,
) -> None:
    """Ask the advisor one question and print its cited answer."""
    with _clean_errors():
        advisor = _advisor(data_dir=data)
        advisor.ensure_index()
        answer = advisor.chat(question)
    console.print(answer.answer, highlight=False, markup=False)
    if answer.citations:
        console.print("\nSources:")
        for citation in answer.citations:
            console.print(
                f"  [{citation.id}] {citation.title} ({citation.kind})", highlight=False, markup=False
            )
