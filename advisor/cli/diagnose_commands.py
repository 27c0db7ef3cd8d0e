"""`advisor diagnose`: why a metric is weak, where, since when, and what was tried before."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from advisor.cli.app import (
    BaselineOption,
    PeriodOption,
    advisor_with,
    app,
    clean_errors,
    console,
    parse_period,
    print_json,
)
from advisor.models import DiagnosisReport

#: Segments printed in the table (the JSON holds them all).
SHOWN_SEGMENTS = 10


@app.command("diagnose")
def diagnose(
    data_dir: Annotated[Path, typer.Argument(help="organisation data folder")],
    metric: Annotated[str, typer.Argument(help="metric id, for example C6 or C1b")],
    period: PeriodOption = None,
    baseline: BaselineOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
) -> None:
    """Split a metric's change into the contributions of each team, product, channel and segment (rate vs
    mix), find the month it left its usual band, and list what was tried before and the practices that fit."""
    with clean_errors():
        advisor = advisor_with(data_dir=data_dir)
        report = advisor.diagnose(metric, period=parse_period(period), baseline=parse_period(baseline))
    if as_json:
        print_json(report.model_dump(mode="json"))
        return
    print_report(report)


def print_report(report: DiagnosisReport) -> None:
    console.print(f"[bold]{report.metric} {report.name}[/bold] {report.period.start}..{report.period.end}")
    console.print(report.summary, highlight=False)
    if report.segments:
        reference = report.compared_with
        table = Table(title=f"Contributions to the change ({report.contribution_unit}), largest first")
        for column in ("group", "n", "now", "before" if reference and reference.kind != "target" else "target",
                       "share now", "share before", "contribution", "effect"):  # fmt: skip
            table.add_column(column, justify="left" if column in {"group", "effect"} else "right")
        for segment in report.segments[:SHOWN_SEGMENTS]:
            table.add_row(
                f"{segment.by}: {segment.value}",
                f"{segment.n:,}",
                _number(segment.value_now),
                _number(segment.value_before if reference and reference.kind != "target" else reference.value)
                if reference
                else "-",
                f"{100 * segment.share_now:.0f}%",
                f"{100 * segment.share_before:.0f}%",
                f"{segment.contribution:+.3g}",
                segment.effect,
            )
        console.print(table)
    if report.note:
        console.print(f"[dim]{report.note}[/dim]", highlight=False)
    console.print(report.tried_note, highlight=False)
    for solution in report.prior_solutions:
        extra = f": {solution.outcome}" if solution.outcome else ""
        console.print(f"  - {solution.kind} {solution.title}{extra}", highlight=False)
    if report.practices:
        console.print("[bold]Practices that target it[/bold]")
    for practice in report.practices:
        scope = (
            f", starting with {', '.join(f'{k} {v}' for k, v in practice.scope.items())}"
            if practice.scope
            else ""
        )
        tried = " (tried here)" if practice.tried else ""
        console.print(
            f"  - {practice.title} [dim]({practice.id}, effort {practice.effort}{scope}){tried}[/dim]"
        )


def _number(value: float | None) -> str:
    return "-" if value is None else f"{value:.4g}"
