"""Commands over an organisation's data: the demo organisation and the scorecard."""

from __future__ import annotations

from datetime import UTC, date, datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from advisor.cli.app import app, clean_errors, console, parse_period, print_json
from advisor.settings import get_settings
from metrics.models import MetricValue, Scorecard

STATUS_STYLE = {"strong": "green", "watch": "yellow", "weak": "red", "no data": "dim"}


class DrillDimension(StrEnum):
    """What a scorecard can be drilled down by: never a person."""

    team = "team"
    product = "product"
    channel = "channel"
    segment = "segment"


class Size(StrEnum):
    small = "small"
    medium = "medium"
    large = "large"


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
    with clean_errors():
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
    by: Annotated[
        DrillDimension | None,
        typer.Option(help="drill down by team, product, channel or segment (small groups are hidden)"),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
) -> None:
    """Compute the OCMF scorecard of an organisation's data."""
    with clean_errors():
        from metrics.scorecard import compute_scorecard
        from metrics.store import open_store

        result = compute_scorecard(
            open_store(data_dir),
            parse_period(period),
            min_group_size=get_settings().min_group_size,
            by=by.value if by else None,
        )
    if as_json:
        print_json(result.model_dump(mode="json"))
    else:
        _print_scorecard(result)
        if result.drilldown is not None:
            _print_drilldown(result)


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
            elif metric.note:
                reference = f"[dim]{metric.note}[/dim]"
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


def _format_value(metric: MetricValue, value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value:g}%" if metric.unit == "%" else f"{value:g} {metric.unit}"


def _print_drilldown(result: Scorecard) -> None:
    """One table per category: a row per metric and group, groups by name (never ranked)."""
    assert result.drilldown is not None
    by = result.drilldown.by
    for category in result.categories:
        table = Table(title=f"{category.name} by {by}", title_justify="left")
        for column in ("metric", by, "value", "reference", "status", "n"):
            table.add_column(column, justify="right" if column in {"value", "n"} else "left")
        for metric in category.metrics:
            label = f"{metric.id} {metric.name}"
            if not metric.groups:
                table.add_row(
                    label, f"[dim]{metric.groups_note or metric.note or 'no data'}[/dim]", "", "", "", ""
                )
                continue
            for index, group in enumerate(metric.groups):
                reference = ""
                if group.compared_with == "target" and metric.target is not None:
                    reference = f"target {metric.target:g}"
                elif group.compared_with == "baseline" and group.baseline is not None:
                    reference = f"own baseline {group.baseline:g}"
                style = STATUS_STYLE[group.status]
                table.add_row(
                    label if index == 0 else "",
                    group.group,
                    f"[dim]{group.note}[/dim]" if group.suppressed else _format_value(metric, group.value),
                    reference,
                    f"[{style}]{group.status}[/{style}]",
                    "-" if group.n is None else f"{group.n:,}",
                )
        console.print(table)
    console.print(result.drilldown.note, style="dim")
