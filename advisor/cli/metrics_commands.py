"""Commands over an organisation's data: the demo organisation and the scorecard."""

from __future__ import annotations

from datetime import UTC, date, datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from advisor.cli.app import BaselineOption, PeriodOption, app, clean_errors, console, parse_period, print_json
from advisor.settings import get_settings
from metrics.models import MetricValue, Scorecard

STATUS_STYLE = {"strong": "green", "watch": "yellow", "weak": "red", "no baseline": "cyan", "no data": "dim"}


class DrillDimension(StrEnum):
    """What a scorecard can be drilled down by: never a person."""

    team = "team"
    product = "product"
    channel = "channel"
    priority = "priority"
    segment = "segment"


class Engine(StrEnum):
    """What computes the scorecard (docs/engines.md)."""

    duckdb = "duckdb"
    spark = "spark"


class Size(StrEnum):
    small = "small"
    medium = "medium"
    large = "large"


class DemoShape(StrEnum):
    """How much of the demo organisation to write, cut the way real exports are (metrics/demo/shapes.py)."""

    full = "full"
    tickets_events = "tickets_events"
    ten_weeks = "ten_weeks"
    no_surveys = "no_surveys"


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
    shape: Annotated[
        DemoShape,
        typer.Option(
            help="full (every table), tickets_events (tickets and events only), ten_weeks (the last ten "
            "weeks of history), no_surveys (every table but surveys)"
        ),
    ] = DemoShape.full,
    plant_in: Annotated[
        list[str] | None,
        typer.Option(
            "--plant-in",
            help="put a weakness in one group, WEAKNESS=DIMENSION:GROUP (repeatable), e.g. "
            "handoffs=team:Platform Support; volume=team:Technical L2 grows a group's share of the work only",
        ),
    ] = None,
) -> None:
    """Write a fictional software company's support data, with planted weaknesses to find."""
    from metrics.demo import generate_demo
    from metrics.demo.shapes import check_shape

    today = datetime.now(UTC).date()
    with clean_errors():
        manifest = generate_demo(
            out_dir,
            end=date(today.year, today.month, 1),
            seed=seed,
            size=size.value,
            weaknesses=weakness,
            shape=check_shape(shape.value),
            plant_in=_plant_places(plant_in or []),
        )
    counts = ", ".join(f"{table} {count:,}" for table, count in manifest.counts.items())
    console.print(f"wrote {out_dir}: {counts}")
    console.print(f"planted weaknesses: {', '.join(manifest.weaknesses)}")
    for name, (dimension, group) in manifest.plant_in.items():
        console.print(f"planted {name} in {dimension} {group}")


def _plant_places(texts: list[str]) -> dict[str, tuple[str, str]]:
    """`handoffs=team:Platform Support` as {"handoffs": ("team", "Platform Support")}."""
    places = {}
    for text in texts:
        name, _, place = text.partition("=")
        dimension, _, group = place.partition(":")
        if not (name.strip() and dimension.strip() and group.strip()):
            raise typer.BadParameter(
                f"{text!r} must look like handoffs=team:Platform Support", param_hint="--plant-in"
            )
        places[name.strip()] = (dimension.strip(), group.strip())
    return places


@app.command()
def scorecard(
    data_dir: Annotated[Path, typer.Argument(help="organisation data folder")],
    period: PeriodOption = None,
    baseline: BaselineOption = None,
    by: Annotated[
        DrillDimension | None,
        typer.Option(help="drill down by team, product, channel or segment (small groups are hidden)"),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
    engine: Annotated[
        Engine | None,
        typer.Option(
            help="duckdb (embedded) or spark (setting spark_master); default: setting metrics_engine"
        ),
    ] = None,
) -> None:
    """Compute the OCMF scorecard of an organisation's data."""
    with clean_errors():
        from advisor.metrics_engine import open_metrics_store
        from metrics.scorecard import compute_scorecard

        result = compute_scorecard(
            open_metrics_store(get_settings(), data_dir, engine.value if engine else None),
            parse_period(period),
            baseline=parse_period(baseline),
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
        # The metric's name keeps its words together ("C6 Hand-offs per ticket") on a narrow terminal.
        table.add_column(
            column,
            justify="right" if column in {"value", "n"} else "left",
            min_width=14 if column == "metric" else None,
        )
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
            status = f"{metric.status} (provisional)" if metric.provisional else metric.status
            table.add_row(
                "",
                f"{metric.id} {metric.name}",
                value,
                reference,
                f"[{style}]{status}[/{style}]",
                f"{metric.n:,}",
            )
    console.print(table)
    console.print(f"Period: {result.period_reason}", style="dim", highlight=False)
    console.print(f"Baseline: {result.baseline_reason}", style="dim", highlight=False)


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
