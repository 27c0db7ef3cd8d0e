"""Commands that use the whole advisor: next steps, one question, the web server."""

from __future__ import annotations

import importlib
import os
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markdown import Markdown

from advisor.cli.app import (
    BaselineOption,
    PeriodOption,
    advisor_with,
    app,
    clean_errors,
    console,
    parse_period,
    print_json,
    settings_with,
)
from advisor.models import DateRange
from advisor.reading import reading_label
from advisor.serving import server_options
from advisor.settings import is_loopback_host


@app.command("next-steps")
def next_steps(
    data_dir: Annotated[Path, typer.Argument(help="organisation data folder")],
    period: PeriodOption = None,
    baseline: BaselineOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
) -> None:
    """Rank the smartest next steps for the weak metrics, then the metrics to measure next."""
    with clean_errors():
        advisor = advisor_with(data_dir=data_dir)
        chosen, against = parse_period(period), parse_period(baseline)
        recommendations = advisor.next_steps(chosen, baseline=against)
        gaps = advisor.measure_next(chosen, baseline=against)
    if as_json:
        print_json(
            {
                "recommendations": [rec.model_dump(mode="json") for rec in recommendations],
                "measure_next": [gap.model_dump(mode="json") for gap in gaps],
            }
        )
        return
    if not recommendations:
        console.print("No weak or worsening metric: nothing to push now.")
    for rec in recommendations:
        console.print(
            f"[bold]{rec.rank}. {rec.title}[/bold] [dim]({rec.practice_id}, {rec.level}, effort {rec.effort})[/dim]"
        )
        console.print(f"   {rec.why}", highlight=False)
    if gaps:
        console.print("\n[bold]Measure next[/bold] (cannot be judged yet; never ranked above a weakness)")
    for gap in gaps:
        start = f" Start with: {gap.practice_title} ({gap.practice_id})." if gap.practice_id else ""
        console.print(f"   - {gap.reason}{start}", highlight=False)


@app.command()
def serve(
    data: Annotated[Path | None, typer.Option("--data", help="organisation data folder")] = None,
    host: Annotated[str | None, typer.Option(help="address to listen on")] = None,
    port: Annotated[int | None, typer.Option(help="port to listen on")] = None,
    workers: Annotated[
        int | None,
        typer.Option(
            min=1,
            max=64,
            help="worker processes (default ADVISOR_WORKERS, 1); several share jobs, the sign-in throttle and "
            "the signing key through the application database",
        ),
    ] = None,
) -> None:
    """Serve the web chat and scorecard (builds the knowledge index first if it is missing)."""
    import uvicorn

    from advisor.composition import build_advisor, build_users

    settings = settings_with(data_dir=data, host=host, port=port, workers=workers)
    with clean_errors():
        users = build_users(settings)
        if not is_loopback_host(settings.host) and not users.has_users():
            raise ValueError(
                f"refusing to listen on {settings.host}: no user exists yet, so the app runs without sign-in "
                "(local single-user mode) and serves only a loopback address such as 127.0.0.1. Create the "
                "first admin with `advisor create-user NAME --role admin --password-stdin`, then serve again"
            )
        advisor = build_advisor(settings)
        if advisor.index.is_empty():
            console.print(
                "building the knowledge index (first start; about a minute on the demo organisation)"
            )
        report = advisor.ensure_index()
        if report is not None:
            console.print(f"built the knowledge index: {report.added} documents, {report.chunks} passages")
        # The model, the default scorecard and its drill-downs load as the server starts: /healthz/live
        # answers at once, /healthz once they have (advisor.readiness), or says why not.
    # Worker processes read their settings afresh: the options given here reach them as ADVISOR_* variables.
    for name, value in {"data_dir": data, "host": host, "port": port, "workers": workers}.items():
        if value is not None:
            os.environ[f"ADVISOR_{name.upper()}"] = str(value)
    create_app: Callable[..., Any] = importlib.import_module("web.app").create_app
    console.print(f"ocmf-advisor on http://{settings.host}:{settings.port}")
    if users.has_users() and settings.secure_cookies:
        console.print(
            "sign-in cookies are sent over HTTPS only: serve behind an HTTPS proxy, or set "
            "ADVISOR_COOKIE_SECURE=false on a trusted network",
            highlight=False,
        )
    if settings.workers > 1:
        del advisor  # each worker builds its own; this process only supervises them
        console.print(f"{settings.workers} worker processes", highlight=False)
        uvicorn.run(
            "web.app:create_app",
            factory=True,
            workers=settings.workers,
            log_level="info",
            **server_options(settings),
        )
        return
    uvicorn.run(
        create_app(settings, advisor=advisor, users=users), log_level="info", **server_options(settings)
    )


@app.command()
def ask(
    question: Annotated[str, typer.Argument(help="a question for the advisor")],
    data: Annotated[Path | None, typer.Option("--data", help="organisation data folder")] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="print the answer as JSON, as POST /api/chat returns it")
    ] = False,
    period: Annotated[
        str | None,
        typer.Option(help="START..END, END excluded: the period to answer for (default: as asked)"),
    ] = None,
) -> None:
    """Ask the advisor one question and print its cited answer, and how it read the question."""
    with clean_errors():
        advisor = advisor_with(data_dir=data)
        advisor.ensure_index()
        window = parse_period(period)
        understood = None
        if window is not None:
            understood = advisor.understand(question)
            understood.period = DateRange(start=window.start, end=window.end)
        answer = advisor.chat(question, understood=understood)
    if as_json:
        print_json(answer.model_dump(mode="json"))
        return
    if answer.understood is not None:
        console.print(f"Reading this as: {reading_label(answer.understood)}\n", highlight=False, markup=False)
    console.print(Markdown(answer.answer))
    if answer.citations:
        console.print("\nSources:")
        for citation in answer.citations:
            console.print(f"  {citation.title}: {citation.url}", highlight=False, markup=False)
