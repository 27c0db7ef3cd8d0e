"""`advisor import`: read help-desk exports through a preset or a YAML mapping into an organisation's folder."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from advisor.cli.app import app, clean_errors, console, errors
from advisor.settings import get_settings
from metrics.importers import (
    ImportReport,
    import_sources,
    load_mapping,
    load_preset,
    preset_names,
)


@app.command("import")
def import_data(
    sources: Annotated[
        list[str],
        typer.Argument(
            help="export files (CSV, .csv.gz, .zip, Parquet, JSON lines); NAME=FILE feeds source NAME"
        ),
    ],
    into: Annotated[
        Path, typer.Option("--into", help="organisation data folder to write the Parquet tables into")
    ],
    preset: Annotated[
        str | None, typer.Option("--preset", help="a shipped mapping (see `advisor import-presets`)")
    ] = None,
    mapping: Annotated[
        Path | None, typer.Option("--mapping", help="your own YAML mapping (docs/importing.md)")
    ] = None,
    time_zone: Annotated[
        str | None, typer.Option("--time-zone", help="IANA zone of source times that carry no offset")
    ] = None,
    max_file_bytes: Annotated[
        int | None,
        typer.Option(
            "--max-file-bytes",
            min=1,
            help="refuse larger files (bytes; default: ADVISOR_IMPORT_MAX_FILE_BYTES)",
        ),
    ] = None,
) -> None:
    """Import exports into canonical Parquet tables; unusable rows go to rejects.csv in the folder."""
    with clean_errors():
        if preset is not None and mapping is None:
            chosen = load_preset(preset)
        elif mapping is not None and preset is None:
            chosen = load_mapping(mapping)
        else:
            raise ValueError("give exactly one of --preset NAME or --mapping FILE.yaml")
        limit = max_file_bytes or get_settings().import_max_file_bytes
        report = import_sources(sources, into, chosen, max_file_bytes=limit, time_zone=time_zone)
    _print_report(report)


@app.command("import-presets")
def import_presets() -> None:
    """List the shipped import presets."""
    with clean_errors():
        for name in preset_names():
            console.print(f"[bold]{name}[/bold]: {load_preset(name).description.strip()}", highlight=False)


def _print_report(report: ImportReport) -> None:
    console.print(f"imported into {report.into} with {report.mapping}", highlight=False, markup=False)
    tables = Table("table", "rows")
    tables.columns[1].justify = "right"
    for count in report.tables:
        tables.add_row(count.table, f"{count.rows:,}")
    console.print(tables)
    files = Table("source file", "source", "rows", "rows rejected")
    for column in files.columns[2:]:
        column.justify = "right"
    for file in report.files:
        files.add_row(file.file, file.source, f"{file.rows:,}", f"{file.rejected:,}")
    console.print(files)
    for notice in report.notices:
        console.print(f"note: {notice}", highlight=False, markup=False)
    if report.rejects:
        errors.print(
            f"{report.rejects:,} problem(s) listed in {report.rejects_path} (file, line, column, reason)",
            highlight=False,
            markup=False,
        )
    else:
        console.print("no rejects")
