"""Commands over the knowledge index: build it, search it (one query or a file of them), vote, evaluate."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, get_args

import typer
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    Task,
    TextColumn,
    TimeRemainingColumn,
)
from rich.table import Table
from rich.text import Text

from advisor.cli.app import advisor_with, app, clean_errors, console, errors, print_json
from advisor.understanding_eval import FACETS, read_questions, score_readings
from knowledge.errors import InvalidDocument, InvalidQuery
from knowledge.models import DOCUMENT_KINDS, FeedbackKind, Hit, SearchFilters, SearchMode
from knowledge.query_files import QueryLine, parse_queries, read_qrels, read_queries

if TYPE_CHECKING:  # knowledge.index loads Chroma and bm25s: only the commands that search or build need it
    from knowledge.index import Progress as ProgressCallback

eval_app = typer.Typer(
    help="Measure the advisor: retrieval quality of the knowledge index, and how the chat reads questions.",
    no_args_is_help=True,
)
app.add_typer(eval_app, name="eval")

#: Batch search embeds and looks up this many queries at a time, then prints their lines.
BATCH = 128

IndexDir = Annotated[Path | None, typer.Option("--index-dir", help="index folder")]


class RateColumn(ProgressColumn):
    """Passages per second."""

    def render(self, task: Task) -> Text:
        speed = task.finished_speed or task.speed
        return Text(f"{speed:,.1f} passages/s" if speed else "- passages/s", style="progress.data.speed")


@contextmanager
def progress_bar(description: str) -> Iterator[ProgressCallback]:
    """A progress bar on standard error with the rate and the time left; yields the index's callback."""
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        RateColumn(),
        TimeRemainingColumn(),
        console=errors,
    ) as progress:
        task = progress.add_task(description, total=None)

        def update(done: int, total: int) -> None:
            progress.update(task, completed=done, total=total)

        yield update


@app.command()
def index(
    paths: Annotated[
        list[Path] | None, typer.Argument(help="folders of Markdown, HTML or text to index too")
    ] = None,
    index_dir: IndexDir = None,
    data: Annotated[
        Path | None, typer.Option("--data", help="organisation data folder (for its articles)")
    ] = None,
    max_file_mb: Annotated[
        float, typer.Option("--max-file-mb", min=0.001, help="skip files larger than this")
    ] = 5.0,
) -> None:
    """Build or update the knowledge index: practices, the organisation's articles, and PATHs."""
    problems: list[InvalidDocument] = []
    with clean_errors():
        for path in paths or []:
            if not path.is_dir():
                raise ValueError(f"{path} is not a folder")
        advisor = advisor_with(index_dir=index_dir, data_dir=data)
        with progress_bar("embedding") as progress:
            report = advisor.build_index(
                paths=paths or [], max_bytes=int(max_file_mb * 1e6), problems=problems, progress=progress
            )
    for problem in problems:
        errors.print(f"[yellow]skipped:[/yellow] {problem}", highlight=False, soft_wrap=True)
    console.print(
        f"index: {report.added} added, {report.updated} updated, {report.unchanged} unchanged, "
        f"{report.removed} removed ({report.chunks} passages embedded)"
        + (f"; {len(problems)} file(s) skipped" if problems else ""),
        soft_wrap=True,
    )


def _filters(
    kinds: Sequence[str] | None,
    products: Sequence[str] | None,
    categories: Sequence[str] | None,
    audiences: Sequence[str] | None,
) -> SearchFilters:
    unknown = sorted(set(kinds or ()) - set(DOCUMENT_KINDS))
    if unknown:
        raise ValueError(f"--kind {', '.join(unknown)}: not one of {', '.join(DOCUMENT_KINDS)}")
    return SearchFilters(
        kinds=list(kinds or []),  # type: ignore[arg-type]
        products=list(products or []),
        categories=list(categories or []),
        audiences=list(audiences or []),
    )


def hit_json(hit: Hit) -> dict[str, Any]:
    """A hit as the JSON contract has it: id, title, kind, score, snippet, source (+ reuse_count if any)."""
    return hit.model_dump(mode="json", exclude={"metadata"})


@app.command()
def search(
    query: Annotated[str | None, typer.Argument(help="what to look for")] = None,
    queries: Annotated[
        Path | None,
        typer.Option(
            "--queries",
            help='a file of queries, one a line: JSON {"id", "query"} or plain text; - reads stdin',
        ),
    ] = None,
    k: Annotated[int, typer.Option("-k", min=1, max=100, help="number of results")] = 5,
    index_dir: IndexDir = None,
    as_json: Annotated[bool, typer.Option("--json", help="print JSON (JSON lines with --queries)")] = False,
    kind: Annotated[list[str] | None, typer.Option("--kind", help="only this kind (repeatable)")] = None,
    product: Annotated[
        list[str] | None, typer.Option("--product", help="only this product (repeatable)")
    ] = None,
    category: Annotated[
        list[str] | None, typer.Option("--category", help="only this category (repeatable)")
    ] = None,
    audience: Annotated[
        list[str] | None, typer.Option("--audience", help="only this audience (repeatable)")
    ] = None,
) -> None:
    """Search practices and prior solutions (hybrid: meaning and keywords)."""
    with clean_errors():
        if (query is None) == (queries is None):
            raise ValueError("give either a QUERY or --queries FILE")
        filters = _filters(kind, product, category, audience)
        advisor = advisor_with(index_dir=index_dir)
        if queries is not None:
            lines = sys.stdin.read().splitlines() if str(queries) == "-" else None
            batch = parse_queries(lines, "stdin") if lines is not None else read_queries(queries)
            _search_batch(advisor.search_many, batch, k, filters, as_json)
            return
        assert query is not None
        hits = advisor.search(query, k, filters=filters)
    if as_json:
        print_json({"hits": [hit_json(hit) for hit in hits]})
        return
    _print_hits(hits)


def _print_hits(hits: Sequence[Hit]) -> None:
    for number, hit in enumerate(hits, start=1):
        reuse = f", reused {hit.reuse_count}x" if hit.reuse_count else ""
        console.print(
            f"[bold]{number}. {hit.title}[/bold] [dim]{hit.kind} {hit.id} score {hit.score:.2f}{reuse}[/dim]",
            highlight=False,
        )
        console.print(f"   {hit.snippet}", highlight=False, markup=False)


def _search_batch(
    search_many: Any, batch: Sequence[QueryLine], k: int, filters: SearchFilters, as_json: bool
) -> None:
    for start in range(0, len(batch), BATCH):
        part = batch[start : start + BATCH]
        problems: dict[str, str] = {}
        from knowledge.index import validate_query

        for line in part:
            try:
                validate_query(line.query)
            except InvalidQuery as error:
                problems[line.id] = str(error)
        valid = [line for line in part if line.id not in problems]
        found = iter(search_many([line.query for line in valid], k, filters=filters))
        for line in part:
            hits: list[Hit] = [] if line.id in problems else next(found)
            if as_json:
                record: dict[str, Any] = {
                    "query_id": line.id,
                    "query": line.query,
                    "hits": [hit_json(hit) for hit in hits],
                }
                if line.id in problems:
                    record["error"] = problems[line.id]
                sys.stdout.write(json.dumps(record, ensure_ascii=False) + "\n")
            else:
                console.print(f"[bold]{line.id}[/bold]: {line.query}", highlight=False, markup=False)
                if line.id in problems:
                    errors.print(f"[red]error:[/red] {problems[line.id]}", highlight=False)
                _print_hits(hits)
        sys.stdout.flush()


@app.command()
def feedback(
    document_id: Annotated[str, typer.Argument(help="the id of an indexed document (as search shows it)")],
    kind: Annotated[str, typer.Argument(help="helpful or solved")],
    index_dir: IndexDir = None,
) -> None:
    """Mark a document helpful, or as what solved the case: its reuse count goes up."""
    with clean_errors():
        if kind not in get_args(FeedbackKind):
            raise ValueError(f"{kind!r} is not one of: {', '.join(get_args(FeedbackKind))}")
        count = advisor_with(index_dir=index_dir).record_feedback(document_id, kind)  # type: ignore[arg-type]
    console.print(f"{document_id}: reused {count} time(s)", highlight=False)


@eval_app.command("retrieval")
def eval_retrieval(
    queries: Annotated[Path, typer.Option("--queries", help='JSON lines {"id", "query"} or plain lines')],
    qrels: Annotated[
        Path, typer.Option("--qrels", help="relevance judgements: TREC 'qid 0 docid grade' or JSON lines")
    ],
    index_dir: IndexDir = None,
    min_similarity: Annotated[
        float | None, typer.Option("--min-similarity", help="dense similarity floor (default: the index's)")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
) -> None:
    """Recall@1/5/10, MRR@10 and nDCG@10 of keyword, dense and hybrid search side by side (and hybrid by
    reciprocal rank fusion, for comparison)."""
    with clean_errors():
        batch = {line.id: line.query for line in read_queries(queries)}
        judgements = read_qrels(qrels)
        if not set(batch) & set(judgements):
            raise ValueError(f"no query of {queries} has a judgement in {qrels}")
        scores = advisor_with(index_dir=index_dir).evaluate_retrieval(
            batch, judgements, min_similarity=min_similarity
        )
    modes: list[SearchMode] = ["keyword", "dense", "hybrid", "hybrid-rrf"]
    count = next(iter(scores.values())).queries
    if as_json:
        print_json({"queries": count, "scores": {mode: scores[mode].as_row() for mode in modes}})
        return
    table = Table(title=f"retrieval over {count} judged queries")
    table.add_column("metric")
    for mode in modes:
        table.add_column(mode, justify="right")
    for metric in scores["hybrid"].as_row():
        values = [scores[mode].as_row()[metric] for mode in modes]
        best = max(values)
        table.add_row(
            metric, *[f"[bold]{value:.3f}[/bold]" if value == best else f"{value:.3f}" for value in values]
        )
    console.print(table)


@eval_app.command("chat")
def eval_chat(
    questions: Annotated[
        Path,
        typer.Option("--questions", help='JSON lines {"id", "question", "expect": {intent, metrics, ...}}'),
    ],
    data: Annotated[Path | None, typer.Option("--data", help="organisation data folder")] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="print JSON, with the questions read wrong")
    ] = False,
) -> None:
    """The share of questions the chat reads as expected, per facet (intent, metrics, filters, by, period),
    on the organisation's data (its team, product, channel and segment names, and the end of its data)."""
    with clean_errors():
        batch = read_questions(questions)
        if not batch:
            raise ValueError(f"{questions} holds no question")
        advisor = advisor_with(data_dir=data)
        scores = score_readings((item, advisor.understand(item.question)) for item in batch)
    if as_json:
        print_json(scores.as_json())
        return
    table = Table(title=f"chat understanding over {scores.questions} questions")
    table.add_column("facet")
    table.add_column("questions", justify="right")
    table.add_column("read right", justify="right")
    shares = scores.shares()
    for facet in FACETS:
        share = shares[facet]
        table.add_row(facet, str(scores.checked[facet]), "-" if share is None else f"{share:.1%}")
    table.add_row("[bold]all facets[/bold]", str(scores.questions), f"[bold]{shares['all'] or 0:.1%}[/bold]")
    console.print(table)
    for miss in scores.misses:
        console.print(
            f"  {miss['id']}: {miss['question']} (wrong: {', '.join(miss['wrong'])})", highlight=False
        )
