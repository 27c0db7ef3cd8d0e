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
    UndoReport,
    import_sources,
    load_mapping,
    load_preset,
    preset_names,
    undo_import,
)


@app.command("import")
def import_data(
    sources: Annotated[
        list[str] | None,
        typer.Argument(
            help="export files (CSV, .csv.gz, .zip, Parquet, JSON lines); NAME=FILE feeds source NAME",
            show_default=False,
        ),
    ] = None,
    *,
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
    replace: Annotated[
        list[str] | None,
        typer.Option(
            "--replace",
            help="replace this table's rows instead of merging by id (repeat it; 'all' for every table)",
        ),
    ] = None,
    dry_run: Annotated[
        bool,
        typer.Option("--dry-run", help="show rows per table before and after, and rejects; write nothing"),
    ] = False,
    undo: Annotated[
        bool, typer.Option("--undo", help="restore the folder as it was before its latest import")
    ] = False,
) -> None:
    """Import exports into canonical Parquet tables, merged by id with the folder's data; unusable rows and
    emptied values go to rejects.csv in the folder. Every import is kept as a version (--undo)."""
    with clean_errors():
        if undo:
            if sources or preset or mapping or replace or dry_run:
                raise ValueError("--undo takes only --into")
            _print_undo(undo_import(into))
            return
        if not sources:
            raise ValueError("give the export files to import (or --undo)")
        if preset is not None and mapping is None:
            chosen = load_preset(preset)
        elif mapping is not None and preset is None:
            chosen = load_mapping(mapping)
        else:
            raise ValueError("give exactly one of --preset NAME or --mapping FILE.yaml")
        settings = get_settings()
        report = import_sources(
            sources,
            into,
            chosen,
            max_file_bytes=max_file_bytes or settings.import_max_file_bytes,
            time_zone=time_zone,
            replace=replace or (),
            dry_run=dry_run,
            date_window=settings.date_window(),
            memory_limit_bytes=settings.import_memory_bytes,
        )
    _print_report(report)


@app.command("import-presets")
def import_presets() -> None:
    """List the shipped import presets."""
    with clean_errors():
        for name in preset_names():
            console.print(f"[bold]{name}[/bold]: {load_preset(name).description.strip()}", highlight=False)


def _print_report(report: ImportReport) -> None:
    verb = "preview of an import into" if report.dry_run else "imported into"
    console.print(f"{verb} {report.into} with {report.mapping}", highlight=False, markup=False)
    tables = Table("table", "rows")
    tables.columns[1].justify = "right"
    for count in report.tables:
        tables.add_row(count.table, f"{count.rows:,}")
    console.print(tables)
    _print_changes(report)
    files = Table("source file", "source", "rows", "rows rejected")
    for column in files.columns[2:]:
        column.justify = "right"
    for file in report.files:
        files.add_row(file.file, file.source, f"{file.rows:,}", f"{file.rejected:,}")
    console.print(files)
    for notice in report.notices:
        console.print(f"note: {notice}", highlight=False, markup=False)
    where = "would be listed in rejects.csv" if report.dry_run else f"listed in {report.rejects_path}"
    if report.rejects or report.warnings:
        warned = f", and {report.warnings:,} warning(s) (values left empty)" if report.warnings else ""
        errors.print(
            f"{report.rejects:,} problem(s){warned} {where} (file, line, column, table, severity, reason)",
            highlight=False,
            markup=False,
        )
    else:
        console.print("no rejects")
    if report.dry_run:
        console.print("nothing was written: run again without --dry-run to import", highlight=False)
    elif report.version:
        console.print(
            f"kept as version {report.version}: `advisor import --undo --into {report.into}` restores the folder "
            "as it was",
            highlight=False,
            markup=False,
        )


def _print_changes(report: ImportReport) -> None:
    if not report.changes:
        return
    changes = Table("table", "before", "after", "added", "updated", "unchanged", "removed", "action")
    for column in changes.columns[1:7]:
        column.justify = "right"
    for change in report.changes:
        changes.add_row(
            change.table,
            *(
                f"{value:,}"
                for value in (
                    change.before,
                    change.after,
                    change.added,
                    change.updated,
                    change.unchanged,
                    change.removed,
                )
            ),
            change.action,
        )
    console.print(changes)


def _print_undo(report: UndoReport) -> None:
    version = report.undone
    console.print(
        f"undid the import of {version.at:%Y-%m-%d %H:%M:%S} UTC ({', '.join(version.sources) or 'no files'}, "
        f"{version.mapping}{', by ' + version.by if version.by else ''}) in {report.into}",
        highlight=False,
        markup=False,
    )
    if report.restored:
        console.print(f"restored: {', '.join(report.restored)}", highlight=False, markup=False)
    if report.removed:
        console.print(f"removed: {', '.join(report.removed)}", highlight=False, markup=False)
    console.print(f"{report.versions_left} earlier import(s) can still be undone", highlight=False)
